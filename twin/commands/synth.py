"""The ``twin synth`` command: the sample company's ERP and CRM history, for calibration."""

from __future__ import annotations

from pathlib import Path

import click

from twin.commands.folders import claim_output
from twin.commands.options import out_option


@click.command(name="synth")
@out_option(default=Path("calibration/sample"), show_default=True)
@click.option(
    "--scenario",
    "scenario_file",
    type=click.Path(path_type=Path),
    help="The company whose history to write (default: the sample company shipped with twin, "
    "twin/calibration/data/company/company.yaml).",
)
@click.option("--years", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--seed", type=click.IntRange(min=0), help="Seed of the history and its dirt.")
def synth(out_dir: Path, scenario_file: Path | None, years: int, seed: int | None) -> None:
    """Write ERP and CRM history of a scenario's company, with realistic dirt, for calibration.

    Beside it: the company's stock ledger and its true open state at the end (true_state/)."""
    from twin.calibration.synth import DEFAULT_SEED, company_file, write_sample

    folder = claim_output(out_dir, "history folder", "synth")
    with folder.writing() as target:  # all files or none, renamed to out_dir at the end
        sample = write_sample(
            target,
            scenario_file or company_file(),
            years=years,
            seed=DEFAULT_SEED if seed is None else seed,
        )
    click.echo(
        f"History {sample.history_start}..{sample.history_end} in {out_dir} "
        f"({sample.total_bytes / 1e6:.1f} MB)"
    )
