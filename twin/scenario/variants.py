"""Variants of a scenario: the named overrides of its ``variants:`` section, or other files.

A variant is a mapping deep-merged over the base file's data exactly as an extending file is
merged over its base (``twin.scenario.yaml_source``): mappings merge key by key, scalars and lists
replace, a mapping of another ``dist`` or ``kind`` replaces the base's whole. A top-level key of a
variant that contains dots is a key path into the scenario, as in ``--set``::

    variants:
      more-stock:
        inventory.suppliers.northwind.policy.reorder_point_days: 12
      two-pickers:
        staffing: {warehouse: {headcount: 2}}

Only top-level keys are split at dots, because names (SKUs, suppliers, promotions) may contain
dots themselves; a bracketed name picks a list entry, ``promotions[spring-tools].discount: 0.3``.
``--set`` overrides apply after the merge, to the base and every variant alike.

Every variant must run on the base's ``run.seed``: replication r of each variant then draws the
same random numbers (common random numbers), so a difference between variants is the policy's,
not the luck of the draw.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twin.errors import InputError
from twin.scenario.key_paths import Entry, split_key_path
from twin.scenario.key_setting import child_key
from twin.scenario.loader import load
from twin.scenario.overrides import apply_overrides
from twin.scenario.schema import Scenario
from twin.scenario.validation import validate
from twin.scenario.yaml_source import Origin, SourceMap, load_yaml, merge, same_kind

#: Keys a variant may not set: its name is its key in ``variants:``, and it has no variants.
RESERVED_KEYS = ("name", "variants")

# Marks the end of a variant's origin in a validation message, so that the key path after it can
# be joined to ``variants.<name>`` (see _VariantOrigin).
_JOIN = "\x1f"


@dataclass(frozen=True)
class Variants:
    """The scenarios of a comparison, base first.

    Attributes
    ----------
    base : str
        The base scenario's name (the first key of `scenarios`).
    scenarios : dict of str to Scenario
        Variant name -> validated scenario, in the order given; variants have ``variants: {}``.
    sources : dict of str to str
        Variant name -> where it was defined: the base file, ``<file> variants.<name>``, or the
        variant's own file.
    """

    base: str
    scenarios: dict[str, Scenario]
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def seed(self) -> int:
        """The common ``run.seed`` of every variant."""
        return self.scenarios[self.base].run.seed

    @property
    def names(self) -> list[str]:
        return list(self.scenarios)


@dataclass(frozen=True)
class _VariantOrigin(Origin):
    """The origin of a key set by a variant: the file and line, then ``variants.<name>``."""

    variant: str = ""

    def __str__(self) -> str:
        return f"{super().__str__()}: variants.{self.variant}{_JOIN}"


def load_variants(
    path: Path | str, overrides: Sequence[str] = (), names: Sequence[str] = ()
) -> Variants:
    """Load a base scenario and the variants to compare with it.

    Parameters
    ----------
    path : pathlib.Path or str
        The base scenario file, as the user gave it.
    overrides : sequence of str
        ``key.path=value`` overrides applied to the base and to every variant.
    names : sequence of str
        Which variants: a name in the base file's ``variants:`` section, or the path of another
        scenario file (whose scenario name is then the variant's name). None: every variant of
        the base file's section, in its order.

    Returns
    -------
    Variants
        The base scenario and the chosen variants, base first.

    Raises
    ------
    InputError
        The base or a variant is invalid (the message names the file, line and
        ``variants.<name>.<key path>``), a name is neither a variant nor a file, two variants
        share a name, or a variant's ``run.seed`` differs from the base's.
    """
    source = str(path)
    data, sources = load_yaml(path)
    raw_sources = SourceMap()
    raw_sources.update(sources)
    base_data = apply_overrides(data, sources, overrides)
    base = validate(Scenario, base_data, sources)
    scenarios: dict[str, Scenario] = {base.name: base}
    origins = {base.name: source}
    chosen = list(names) if names else list(base.variants)
    for name in chosen:
        if name == base.name and name not in base.variants:
            raise InputError(
                f"{name}: this is the base scenario of {source}, which is always compared; name "
                "only the variants to compare with it"
            )
        if name in base.variants:
            variant = _section_variant(source, data, raw_sources, base, name, overrides)
            where = f"{source} variants.{name}"
        elif _looks_like_file(name):
            variant = load(Scenario, name, list(overrides)).model_copy(update={"variants": {}})
            where = name
        else:
            known = ", ".join(base.variants) or "none"
            raise InputError(
                f"{name}: not a variant of {source} (its variants: {known}) and not a scenario "
                "file; give a name from the base file's variants: section or the path of a "
                "scenario file (.yaml)"
            )
        if variant.name in scenarios:
            raise InputError(
                f"{where}: the variant name '{variant.name}' is already taken by "
                f"{origins[variant.name]}; every variant of a comparison needs its own name "
                "(a variant file is named by its 'name' key)"
            )
        if variant.run.seed != base.run.seed:
            raise InputError(
                f"{where}: run.seed is {variant.run.seed} but the base {source} has "
                f"{base.run.seed}; variants must share the seed so that replication r of each "
                "sees the same demand and lead times (common random numbers) and the paired "
                "differences measure the policy, not the luck of the draw. Remove run.seed from "
                "the variant or give both files the same seed"
            )
        scenarios[variant.name] = variant
        origins[variant.name] = where
    return Variants(base=base.name, scenarios=scenarios, sources=origins)


def _looks_like_file(name: str) -> bool:
    return name.endswith((".yaml", ".yml")) or "/" in name or Path(name).is_file()


def _section_variant(
    source: str,
    data: dict[str, Any],
    raw_sources: SourceMap,
    base: Scenario,
    name: str,
    overrides: Sequence[str],
) -> Scenario:
    """Merge variant `name` of the base file over its data, apply `overrides`, validate."""
    spec = base.variants[name]
    sources = SourceMap()
    sources.update(raw_sources)
    merged = copy.deepcopy({k: v for k, v in data.items() if k != "variants"})
    for key, value in spec.items():
        line = raw_sources.lookup(("variants", name, key))
        label = f"{line}: variants.{name}.{key}"
        try:
            parts = split_key_path(str(key))
        except ValueError as exc:
            raise InputError(
                f"{label}: the key path {exc}; write dotted keys such as "
                "inventory.suppliers.northwind.policy.reorder_point_days"
            ) from None
        if parts[0] in RESERVED_KEYS:
            raise InputError(
                f"{label}: a variant cannot set '{parts[0]}'; its name is its key under "
                "variants:, and variants do not nest"
            )
        path = _merge_at(merged, parts, copy.deepcopy(value), label, sources)
        _claim(sources, path, ("variants", name, key), value, raw_sources, name)
    merged["name"] = name
    merged = apply_overrides(merged, sources, overrides)
    merged["variants"] = {}
    try:
        return validate(Scenario, merged, sources)
    except InputError as exc:
        # join "<file>, line n: variants.<name>" and the key path into one dotted path
        message = str(exc).replace(f"{_JOIN}: ", ".").replace(_JOIN, "")
        raise InputError(
            message.replace(f"Invalid scenario {source}", f"Invalid variant {name} of {source}", 1)
        ) from None


def _merge_at(
    root: dict[Any, Any], parts: list[str | Entry], value: Any, label: str, sources: SourceMap
) -> tuple[str | int, ...]:
    """Merge `value` at key path `parts` of `root` as ``extends`` would; returns the path."""
    node: Any = root
    path: list[str | int] = []
    for depth, part in enumerate(parts):
        key = child_key(node, part, path, label)
        path.append(key)
        if depth == len(parts) - 1:
            old = node[key] if isinstance(node, list) else node.get(key)
            if isinstance(old, dict) and isinstance(value, dict) and same_kind(old, value):
                node[key] = merge(old, value, tuple(path), sources)
            else:
                sources.discard(path)
                node[key] = value
            break
        child = node[key] if isinstance(node, list) else node.get(key)
        if child is None:
            child = node[key] = {}
        if not isinstance(child, dict | list):
            raise InputError(
                f"{label}: cannot go into '{'.'.join(map(str, path))}' to set "
                f"'{parts[depth + 1]}': it holds the value {child!r}, not a mapping or list"
            )
        node = child
    return tuple(path)


def _claim(
    sources: SourceMap,
    path: tuple[str | int, ...],
    raw_path: tuple[str | int, ...],
    value: Any,
    raw_sources: SourceMap,
    name: str,
) -> None:
    """Point `path` and every key below it at the variant's lines in the base file."""
    origin = raw_sources.lookup(raw_path)
    file, line = (origin.source, origin.line) if origin else ("<input>", None)
    sources.set(path, _VariantOrigin(file, line, name))
    children: list[tuple[Any, Any]] = []
    if isinstance(value, dict):
        children = list(value.items())
    elif isinstance(value, list):
        children = list(enumerate(value))
    for key, child in children:
        _claim(sources, (*path, key), (*raw_path, key), child, raw_sources, name)
