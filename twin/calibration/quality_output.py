"""Write the quality step's outcome: counts, quarantined rows, the ERP-CRM links and a chart.

Quarantined rows and links are shown to people, so ids are pseudonymised and personal columns
dropped (:mod:`twin.calibration.privacy`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twin.calibration.privacy import pseudonym, pseudonym_key, pseudonymise
from twin.calibration.quality import QualityResult


def write_quality(result: QualityResult, out_dir: Path | str) -> list[Path]:
    """Write the quality report of `result` into `out_dir`.

    Parameters
    ----------
    result : QualityResult
        From :func:`~twin.calibration.quality.check_history`.
    out_dir : path
        Folder to write to; created when absent.

    Returns
    -------
    list of pathlib.Path
        ``quality.csv`` (the counts), ``quarantine/<table>.csv`` for every table (header only when
        nothing was quarantined; the input row number in column ``row``; customer and account ids
        pseudonymised and personal columns dropped, see :mod:`twin.calibration.privacy`),
        ``erp_crm_match.csv`` when there is a match (one row per CRM account, ids hashed, columns
        :data:`~twin.calibration.matching.LINK_COLUMNS`) and ``quality.png`` (rows per table and
        reason, log scale; the match rate in the title).
    """
    from matplotlib.figure import Figure

    out = Path(out_dir)
    (out / "quarantine").mkdir(parents=True, exist_ok=True)
    paths = [out / "quality.csv"]
    result.counts.to_csv(paths[0], index=False)
    key = pseudonym_key(out)
    for name, frame in result.quarantine.items():
        path = out / "quarantine" / f"{name}.csv"
        # quarantined rows are shown to people: ids hashed, names and contacts left out
        pseudonymise(frame, key).to_csv(path, index=True, index_label="row")
        paths.append(path)
    if result.match is not None:
        path = out / "erp_crm_match.csv"
        links = pseudonymise(result.match.links, key)
        # candidate and given ids are customer ids too: hashed alike, so they can be compared
        links["given_customer_id"] = links["given_customer_id"].map(lambda v: pseudonym(v, key))
        links["candidate_ids"] = [
            ";".join(str(pseudonym(c, key)) for c in str(v).split(";")) if v else v
            for v in links["candidate_ids"].fillna("")
        ]
        links.to_csv(path, index=False)
        paths.append(path)

    counts = result.counts
    n = max(len(counts), 1)
    figure = Figure(figsize=(8, 1.5 + 0.3 * n), layout="constrained")
    axes = figure.subplots()
    labels = [f"{t}: {r}" for t, r in zip(counts["table"], counts["reason"], strict=True)]
    colours = ["tab:green" if o == "used" else "tab:red" for o in counts["outcome"]]
    positions = np.arange(len(counts))
    axes.barh(positions, counts["rows"], color=colours)
    axes.set_yticks(positions, labels)
    axes.invert_yaxis()
    if len(counts):
        axes.set_xscale("log")
    for y, value in zip(positions, counts["rows"], strict=True):
        axes.annotate(f"{value:,}", (value, y), xytext=(3, 0), textcoords="offset points",
                      va="center", fontsize=8)  # fmt: skip
    axes.set_xlabel("rows (log scale); green used, red quarantined")
    title = "Data quality: rows per table and reason"
    if result.match is not None:
        title += f"\nERP-CRM match rate {100 * result.match.rate:.1f} % of CRM accounts"
        title += f" ({result.match.matched} of {result.match.accounts})"
    axes.set_title(title)
    png = out / "quality.png"
    figure.savefig(png, dpi=100)
    paths.append(png)
    return paths
