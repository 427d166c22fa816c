"""The chart and PDF of an optimisation folder, drawn from its result files.

:func:`write_optimise_report` reads ``manifest.json``, ``trials.csv`` and ``pareto.csv`` (written
by ``twin optimise``), saves ``pareto.png`` (every candidate's objective against the first
constraint's KPI, the frontier, the bound and the winner) and writes ``optimise.pdf``: a page
that says in words what to set and how sure we are, then the chart. Nothing here simulates, and
the PDF's creation date comes from the manifest, so the same folder renders to the same file.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from twin.reports.charts import COST_COLOUR, GAIN_COLOUR, MEAN_COLOUR, new_figure, save_figures
from twin.reports.pages import LEFT, PAGE_SIZE, chart_page, created_utc, number_pages, put, save_pdf

REPORT_NAME = "optimise.pdf"
CHART_NAME = "pareto.png"


def frontier_figure(manifest: dict[str, Any], trials: pd.DataFrame, pareto: pd.DataFrame) -> Figure:
    """Objective against the first constrained KPI's mean: candidates, frontier, bound, winner."""
    figure, (ax,) = new_figure()
    ok = trials[trials["error"].isna() | (trials["error"] == "")]
    terms = manifest.get("constraint_terms") or []
    column = f"{terms[0]['kpi']}_mean" if terms else None
    if column and column in pareto and column in ok:
        ax.scatter(ok[column], ok["objective_mean"], color="0.7", s=18, label="candidates")
        ax.plot(
            pareto[column],
            pareto["objective_mean"],
            "o-",
            color=MEAN_COLOUR,
            ms=5,
            label="frontier (Pareto set)",
        )
        if terms[0].get("probability") is None:
            ax.axvline(
                terms[0]["bound"],
                color=COST_COLOUR,
                linestyle="--",
                linewidth=1,
                label=f"bound {terms[0]['bound']:g}",
            )
        winner = ok[ok["selected"]]
        if not winner.empty:
            ax.scatter(
                winner[column],
                winner["objective_mean"],
                marker="*",
                s=180,
                color=GAIN_COLOUR,
                label="chosen",
                zorder=5,
            )
        ax.set_xlabel(f"{terms[0]['kpi']} (mean over replications)")
        title = "objective against the constrained KPI"
    else:
        low = ok["objective_mean"] - ok["objective_ci_low"]
        high = ok["objective_ci_high"] - ok["objective_mean"]
        ax.errorbar(
            ok["candidate"],
            ok["objective_mean"],
            yerr=[low, high],
            fmt="o",
            color="0.5",
            ms=4,
            capsize=2,
            label="candidates (95 % interval)",
        )
        winner = ok[ok["selected"]]
        if not winner.empty:
            ax.scatter(
                winner["candidate"],
                winner["objective_mean"],
                marker="*",
                s=180,
                color=GAIN_COLOUR,
                label="chosen",
                zorder=5,
            )
        ax.set_xlabel("candidate (in the order the search proposed them)")
        title = "objective of every candidate"
    ax.set_ylabel("objective (mean over replications)")
    ax.set_title(f"{manifest['optimisation']}: {title}\n{manifest['objective']}", fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    return figure


def _text_page(manifest: dict[str, Any]) -> Figure:
    page = Figure(figsize=PAGE_SIZE)
    y = 0.85
    put(page, LEFT, y, "twin optimise", fontsize=10, color="0.4")
    y += 0.5
    put(page, LEFT, y, str(manifest["optimisation"]), fontsize=22, weight="bold")
    y += 0.45
    for line in textwrap.wrap(str(manifest.get("description") or ""), width=125)[:3]:
        put(page, LEFT, y, line, fontsize=10.5)
        y += 0.22
    y += 0.25
    for sentence in manifest["sentences"]:
        for i, line in enumerate(textwrap.wrap(sentence, width=110)):
            put(page, LEFT, y, line, fontsize=12 if i == 0 and sentence.startswith("Set") else 11)
            y += 0.25
        y += 0.1
    y += 0.2
    facts = [
        f"file {manifest['file']}, base {manifest['base']}, run seed {manifest['seed']}",
        f"objective: {manifest['objective']}; constraints: "
        + ("; ".join(manifest["constraints"]) or "none"),
        f"indifference delta {manifest['delta']:g}, confidence {manifest['confidence']:.0%}, "
        f"{manifest['simulations']} simulations, {manifest['candidates']} candidates, "
        f"wall {manifest['wall_s']:.1f} s",
        "every candidate in trials.csv; the frontier in pareto.csv; the chosen values in best.yaml",
    ]
    for fact in facts:
        for line in textwrap.wrap(fact, width=140):
            put(page, LEFT, y, line, fontsize=9, color="0.35")
            y += 0.2
    return page


def write_optimise_report(folder: Path) -> Path:
    """Draw ``pareto.png`` and write ``optimise.pdf`` in an optimisation folder."""
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    trials = pd.read_csv(
        folder / "trials.csv", dtype={"error": str}, keep_default_na=False, na_values=[""]
    )
    pareto = pd.read_csv(folder / "pareto.csv")
    chart = frontier_figure(manifest, trials, pareto)
    save_figures({CHART_NAME: chart}, folder)
    pages = [_text_page(manifest), chart_page(chart)]
    number_pages(pages, f"twin optimise · {manifest['optimisation']}")
    created = created_utc(manifest)
    metadata = {
        "Title": f"twin optimise: {manifest['optimisation']}",
        "Creator": f"twin {manifest['twin_version']}",
        "CreationDate": created,
        "ModDate": created,
    }
    return save_pdf(folder / REPORT_NAME, pages, metadata)
