"""The HTML page beside ``optimise.pdf``, ``optimise.html``: what to set and how sure we are
in words, the facts, the frontier chart as inline SVG, the Pareto set and every candidate
(sortable), and a glossary of the KPIs the objective and constraints name. Drawn from the
folder's files, as the PDF is (:mod:`twin.reports.optimise_report`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from twin.reports.html import Section, facts, page, paragraph
from twin.reports.html_report import charts_html, glossary_section, write_page
from twin.reports.html_terms import frame_table, notes_html
from twin.reports.optimise_report import CHART_NAME, frontier_figure

OPTIMISE_PAGE = "optimise.html"


def _named_kpis(manifest: dict) -> list[str]:
    """The KPIs the objective and constraints name (the manifest's units are keyed by them)."""
    terms = [str(term.get("kpi")) for term in manifest.get("constraint_terms") or []]
    return list(dict.fromkeys([*manifest.get("units", {}), *terms]))


def write_optimise_html(folder: Path) -> Path:
    """Write ``optimise.html`` in an optimisation folder from its manifest and tables."""
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    trials = pd.read_csv(
        folder / "trials.csv", dtype={"error": str}, keep_default_na=False, na_values=[""]
    )
    pareto = pd.read_csv(folder / "pareto.csv")
    lines = [
        ("File", f"{manifest['file']} (base {manifest['base']}, run seed {manifest['seed']})"),
        ("Objective", str(manifest["objective"])),
        ("Constraints", "; ".join(manifest["constraints"]) or "none"),
        (
            "Search",
            f"indifference delta {manifest['delta']:g}, confidence {manifest['confidence']:.0%}, "
            f"{manifest['simulations']} simulations, {manifest['candidates']} candidates",
        ),
    ]
    answer = "\n".join(paragraph(str(s), "lead") for s in manifest["sentences"])
    sections = [
        Section("answer", "The answer", answer + facts(lines) + notes_html(manifest["notes"])),
        Section(
            "chart",
            "Frontier",
            charts_html({CHART_NAME: frontier_figure(manifest, trials, pareto)}),
        ),
        Section("pareto", "Pareto set", frame_table(pareto)),
        Section("trials", "Every candidate", frame_table(trials)),
        glossary_section(_named_kpis(manifest)),
    ]
    text = page("twin optimise", str(manifest["optimisation"]), sections, "twin optimise")
    return write_page(folder / OPTIMISE_PAGE, text)
