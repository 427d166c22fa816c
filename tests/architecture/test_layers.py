"""The import direction of `twin/` holds: no import points up a layer, none closes a cycle.

The import graph is built with `ast` from every module's source, imports inside functions and
under `TYPE_CHECKING` included, so a cycle cannot hide behind a deferred import. The layer order
is `LAYERS`, lowest first; `docs/architecture.md` draws the same order.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "twin"

# Lowest first. A module may import its own layer and the layers below it, never above.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "foundations",
        (
            "twin",
            "twin.errors",
            "twin.stats",
            "twin.formatting",
            "twin.kpi_labels",
            "twin.distributions",
            "twin.calendar",
            "twin.streams",
            "twin.records",
            "twin.levels",
            "twin.tables",
            "twin.output_folder",
            "twin.input_files",
        ),
    ),
    ("scenario", ("twin.scenario",)),
    ("model", ("twin.model",)),
    ("kpis", ("twin.kpis",)),
    ("experiments", ("twin.experiments",)),
    ("reports", ("twin.reports",)),
    ("calibration", ("twin.calibration",)),
    ("commands", ("twin.commands", "twin.cli")),
)

# Narrower rules inside the order: (importer prefix, imported prefixes it must not use, why).
FORBIDDEN: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "twin.reports",
        ("twin.model", "twin.kpis", "twin.experiments", "twin.calibration"),
        "reports draw result files; they never run or reduce a simulation",
    ),
)
# Calibration fits read the scenario and the foundations; only these modules run the twin.
CALIBRATION_RUNS_THE_TWIN = (
    "twin.calibration.synth",
    "twin.calibration.validate",
    "twin.calibration.backtest",
)


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(p, package): p for p in sorted(package.rglob("*.py"))}


def imports(name: str, path: Path, known: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """Every `twin` module `name` imports, with the line: absolute, relative and deferred."""
    here = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")[: len(here.split(".")) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            # `from pkg import submodule` imports the submodule; `from mod import name` the module
            targets = [
                f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            if target == "twin" or target.startswith("twin."):
                while target not in known and "." in target:
                    target = target.rpartition(".")[0]
                yield target, node.lineno


def graph(known: dict[str, Path]) -> dict[str, dict[str, int]]:
    edges: dict[str, dict[str, int]] = {}
    for name, path in known.items():
        edges[name] = {}
        for target, line in imports(name, path, known):
            if target != name:
                edges[name].setdefault(target, line)
    return edges


def layer_of(name: str) -> int:
    """The index in `LAYERS` of the longest prefix naming `name` or a package holding it; -1
    when none does. The prefix `twin` names only the package's own `__init__`, so a new
    top-level module must be placed in a layer explicitly."""
    best = (-1, -1)  # (length of the matching prefix, layer index)
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            inside = name.startswith(prefix + ".") and prefix != "twin"
            if (name == prefix or inside) and len(prefix) > best[0]:
                best = (len(prefix), index)
    return best[1]


def upward_imports(edges: dict[str, dict[str, int]], known: dict[str, Path]) -> list[str]:
    found = []
    for source, targets in edges.items():
        for target, line in targets.items():
            if layer_of(target) > layer_of(source):
                found.append(
                    f"{source} ({LAYERS[layer_of(source)][0]}) imports {target} "
                    f"({LAYERS[layer_of(target)][0]}) at {known[source].name}:{line}"
                )
    return found


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


KNOWN = modules()
EDGES = graph(KNOWN)


def test_every_module_has_a_layer() -> None:
    unplaced = [name for name in KNOWN if layer_of(name) < 0]
    assert not unplaced, f"modules in no layer (add them to LAYERS and the doc): {unplaced}"


def test_no_import_points_up_a_layer() -> None:
    found = upward_imports(EDGES, KNOWN)
    assert not found, "imports that point up a layer:\n" + "\n".join(found)


def test_no_import_cycle() -> None:
    found = cycles(EDGES)
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


@pytest.mark.parametrize(("importer", "banned", "why"), FORBIDDEN)
def test_narrower_rules(importer: str, banned: tuple[str, ...], why: str) -> None:
    found = [
        f"{source} imports {target}"
        for source, targets in EDGES.items()
        if source.startswith(importer)
        for target in targets
        if target.startswith(banned)
    ]
    assert not found, f"{why}:\n" + "\n".join(found)


def test_calibration_fits_do_not_run_the_twin() -> None:
    runs = ("twin.model", "twin.kpis", "twin.experiments")
    found = [
        f"{source} imports {target}"
        for source, targets in EDGES.items()
        if source.startswith("twin.calibration") and source not in CALIBRATION_RUNS_THE_TWIN
        for target in targets
        if target.startswith(runs)
    ]
    why = "calibration fits read the scenario and foundations only"
    assert not found, f"{why}:\n" + "\n".join(found)


def test_the_checker_sees_an_upward_import_and_a_cycle(tmp_path: Path) -> None:
    """The rules above can fail: a planted upward import and a planted cycle are both found."""
    pkg = tmp_path / "twin"
    (pkg / "model").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "stats.py").write_text("def f():\n    from twin.model import network\n")
    (pkg / "model" / "__init__.py").write_text("")
    (pkg / "model" / "network.py").write_text("from . import demand\n")
    (pkg / "model" / "demand.py").write_text("def g():\n    from twin.model.network import x\n")
    known = modules(pkg)
    edges = graph(known)
    assert upward_imports(edges, known) == [
        "twin.stats (foundations) imports twin.model.network (model) at stats.py:2"
    ]
    assert cycles(edges) == [["twin.model.demand", "twin.model.network"]]


def test_a_module_is_placed_by_its_package_but_a_new_top_level_module_is_not() -> None:
    assert layer_of("twin.distributions.base") == layer_of("twin.distributions") == 0
    assert layer_of("twin.model.network") == 2
    assert layer_of("twin") == 0
    assert layer_of("twin.something_new") == -1
