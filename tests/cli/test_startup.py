"""Starting ``twin`` imports nothing heavy: ``--version`` and ``--help`` load no command module's
dependencies, loading a scenario needs neither pandas, scipy, matplotlib nor SimPy, and a scenario
that fails validation is reported before numpy is loaded.

These are deterministic checks of ``sys.modules`` in a fresh interpreter, not timings; the time
is measured by ``benchmarks/bench_startup.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from twin.cli import COMMANDS, cli, load_command

HEAVY = ("pandas", "scipy", "matplotlib", "simpy")
SMALL = Path(__file__).resolve().parent / "fixtures" / "small.yaml"
BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


def heavy_modules_after(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; the heavy packages it left in ``sys.modules``, and
    whatever ``code`` put in the dict ``out``."""
    script = textwrap.dedent(
        """
        import json, sys
        out = {}
        """
    )
    script += textwrap.dedent(code)
    script += textwrap.dedent(
        f"""
        heavy = sorted(
            {{name.split(".")[0] for name in sys.modules}} & set({list(HEAVY)!r})
        )
        print(json.dumps({{"heavy": heavy, "out": out}}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [["--version"], ["--help"]], ids=["version", "help"])
def test_group_answers_without_heavy_imports(args: list[str]) -> None:
    result = heavy_modules_after(
        f"""
        from click.testing import CliRunner
        from twin.cli import cli
        result = CliRunner().invoke(cli, {args!r}, prog_name="twin")
        out["exit_code"] = result.exit_code
        out["output"] = result.output
        """
    )
    assert result["out"]["exit_code"] == 0, result["out"]["output"]
    assert result["heavy"] == []


def test_help_lists_every_command_without_loading_it() -> None:
    result = heavy_modules_after(
        """
        from click.testing import CliRunner
        from twin.cli import cli
        out["output"] = CliRunner().invoke(cli, ["--help"], prog_name="twin").output
        out["loaded"] = sorted(m for m in sys.modules if m.startswith("twin.commands."))
        """
    )
    assert result["out"]["loaded"] == []
    for name in COMMANDS:
        assert f"  {name} " in result["out"]["output"]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_help_without_heavy_imports(name: str) -> None:
    result = heavy_modules_after(
        f"""
        from click.testing import CliRunner
        from twin.cli import cli
        result = CliRunner().invoke(cli, [{name!r}, "--help"], prog_name="twin")
        out["exit_code"] = result.exit_code
        """
    )
    assert result["out"]["exit_code"] == 0
    assert result["heavy"] == []


def test_scenario_error_without_heavy_imports(tmp_path: Path) -> None:
    bad = tmp_path / "typo.yaml"
    bad.write_text(f"extends: {SMALL}\nrun:\n  horizon_dayz: 30\n", encoding="utf-8")
    result = heavy_modules_after(
        f"""
        from click.testing import CliRunner
        from twin.cli import cli
        result = CliRunner().invoke(cli, ["run", {str(bad)!r}], prog_name="twin")
        out["exit_code"] = result.exit_code
        out["output"] = result.output
        """
    )
    assert result["out"]["exit_code"] == 2, result["out"]["output"]
    assert "horizon_dayz" in result["out"]["output"]
    assert result["heavy"] == []


@pytest.mark.parametrize("base", [SMALL, BASELINE], ids=["small", "baseline"])
def test_scenario_error_before_numpy(tmp_path: Path, base: Path) -> None:
    """numpy alone costs about a third of the 0.3 s budget; a typo must not wait for it. The
    baseline extends the sample model, so every section (empirical values, customer base, prices
    file) is validated before the typo is reported."""
    bad = tmp_path / "typo.yaml"
    bad.write_text(f"extends: {base}\nrun:\n  horizon_dayz: 3\n", encoding="utf-8")
    result = heavy_modules_after(
        f"""
        from click.testing import CliRunner
        from twin.cli import cli
        result = CliRunner().invoke(cli, ["run", {str(bad)!r}], prog_name="twin")
        out["exit_code"] = result.exit_code
        out["output"] = result.output
        out["numpy"] = "numpy" in sys.modules
        """
    )
    assert result["out"]["exit_code"] == 2, result["out"]["output"]
    assert "horizon_dayz" in result["out"]["output"]
    assert result["out"]["numpy"] is False
    assert result["heavy"] == []


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_registered_help_is_the_commands_own(name: str) -> None:
    """The one-line help ``twin --help`` shows before loading a command is the command's."""
    module, short = COMMANDS[name]
    command = load_command(name, module)
    assert command.name == name
    stand_in = click.Command(name, help=short)
    for limit in (20, 45, 60, 74, 120):
        assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit)


def test_help_is_the_same_once_commands_are_loaded() -> None:
    lazy = heavy_modules_after(
        """
        from click.testing import CliRunner
        from twin.cli import cli
        out["output"] = CliRunner().invoke(cli, ["--help"], prog_name="twin").output
        """
    )["out"]["output"]
    for name in COMMANDS:  # load every command, as `twin <name>` would
        assert cli.get_command(click.Context(cli), name) is not None
    loaded = CliRunner().invoke(cli, ["--help"], prog_name="twin").output
    assert lazy == loaded
    assert set(cli.commands) == set(COMMANDS)
