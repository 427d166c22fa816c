"""Write the quality step's outcome: counts, quarantined rows, the ERP-CRM links and a chart.

Quarantined rows and links are shown to people, so ids are pseudonymised and personal columns
dropped (:mod:`twin.calibration.privacy`).
"""

from __future__ import annotations

from pathlib import Path

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
        nothing was quarantined; where each row came from in columns ``file`` and ``row``, the
        data row in that file, 1-based, header excluded; customer and account ids
        pseudonymised and personal columns dropped, see :mod:`twin.calibration.privacy`),
        ``erp_crm_match.csv`` when there is a match (one row per CRM account, ids hashed, columns
        :data:`~twin.calibration.matching.LINK_COLUMNS`) and ``quality.png`` (rows per table and
        reason, log scale; the match rate in the title).
    """
    from matplotlib.figure import Figure

    from twin.calibration.figures import draw_quality_bars  # matplotlib only when writing

    out = Path(out_dir)
    (out / "quarantine").mkdir(parents=True, exist_ok=True)
    paths = [out / "quality.csv"]
    result.counts.to_csv(paths[0], index=False)
    key = pseudonym_key(out)
    for name, frame in result.quarantine.items():
        path = out / "quarantine" / f"{name}.csv"
        # quarantined rows are shown to people: ids hashed, names and contacts left out
        pseudonymise(frame, key).to_csv(path, index=False)
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
    draw_quality_bars(axes, counts)
    title = "Data quality: rows per table and reason"
    if result.match is not None:
        title += f"\nERP-CRM match rate {100 * result.match.rate:.1f} % of CRM accounts"
        title += f" ({result.match.matched} of {result.match.accounts})"
    axes.set_title(title)
    png = out / "quality.png"
    figure.savefig(png, dpi=100)
    paths.append(png)
    return paths
