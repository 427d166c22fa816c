"""The scenario base's segments: which orders form each, the active period, and their arrivals.

A segment is the customers table's ``segment`` (orders of unknown customers form ``unassigned``);
segments with fewer than ``MIN_SEGMENT_ORDERS`` orders are pooled into ``other``. Each segment's
arrivals are the Poisson model of :mod:`twin.calibration.arrivals` over the active period, with
trend changepoints, retail events and the public holidays of the history's country.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from twin.calibration.arrivals import fit_poisson_arrivals
from twin.calibration.base_values import scenario_key
from twin.calibration.fit_report import DAY, FitReport
from twin.calibration.retail_events import retail_events
from twin.errors import InputError

MIN_SEGMENT_ORDERS = 200
UNASSIGNED = "unassigned"
POOLED_SEGMENT = "other"


def segments_of_orders(
    tables: dict[str, pd.DataFrame], orders: pd.DataFrame, report: FitReport
) -> pd.Series:
    customers = tables.get("customers")
    if customers is not None and len(customers) and customers["segment"].notna().any():
        segment_of = customers.set_index("customer_id")["segment"]
        segments = orders["customer_id"].map(segment_of).fillna(UNASSIGNED).astype(str)
    else:
        segments = pd.Series("all", index=orders.index)
        report.add(
            "segments",
            "all",
            1,
            len(orders),
            "orders",
            True,
            "no customer segments in the history: one segment",
        )
    sizes = segments.value_counts()
    small = sizes[sizes < MIN_SEGMENT_ORDERS].index
    if len(small) and len(small) < len(sizes):
        segments = segments.where(~segments.isin(small), POOLED_SEGMENT)
        report.add(
            "segments",
            POOLED_SEGMENT,
            len(small),
            int(sizes[small].sum()),
            "orders",
            False,
            f"segments with fewer than {MIN_SEGMENT_ORDERS} orders pooled: "
            + ", ".join(map(str, small[:10])),
        )
    # each distinct name once, not once per order
    return segments.map({name: scenario_key(name) for name in segments.unique()})


def active_period(timestamps: pd.Series) -> tuple[dt.date, dt.date]:
    """First and last day of the longest run of whole months with substantive volume.

    Extracts often begin and end with a few stray orders (olist: one order in its first month,
    none in the next two); fitting a rate over those months would bias it. An edge month is
    taken as partly extracted, and left out, when its first (last) order falls after the 3rd
    (before the 3rd-last) day of that month; inside, a month counts when it has at least a tenth
    of the median month. Growth or seasonality never trims a month that is wholly covered.
    """
    times = timestamps.dropna()
    months = times.dt.to_period("M")
    counts = months.value_counts().sort_index()
    full = pd.period_range(counts.index.min(), counts.index.max(), freq="M")
    counts = counts.reindex(full, fill_value=0)
    first, last = times.min(), times.max()
    if len(counts) > 1 and first.day > 3:
        counts = counts.iloc[1:]
    if len(counts) > 1 and last.day < last.days_in_month - 2:
        counts = counts.iloc[:-1]
    good = counts >= 0.1 * counts.median()
    run: list = []
    best_run: list = []
    for month, ok in good.items():
        run = [*run, month] if ok else []
        if len(run) > len(best_run):
            best_run = run
    best = best_run or list(counts.index)
    return best[0].start_time.date(), best[-1].end_time.date()


def history_country(tables: dict[str, pd.DataFrame]) -> tuple[str | None, str]:
    """The most common ``orders.country``, else ``customers.country``, and where it came from."""
    for table in ("orders", "customers"):
        frame = tables.get(table)
        if frame is not None and "country" in frame:
            values = frame["country"].dropna().astype(str).str.strip().str.upper()
            values = values[values != ""]
            if not values.empty:
                return str(values.value_counts().index[0]), f"{table}.country"
    return None, ""


def fit_segment_arrivals(
    times: pd.Series,
    start: dt.date,
    end: dt.date,
    reference: dt.date,
    notes: list[str],
    segment: str,
    tables: dict[str, pd.DataFrame] | None = None,
):
    """Fit a segment's arrivals with trend changepoints, retail events and public holidays.

    The public holidays are those of the most common country of the orders (else customers);
    with no country column there are none, only the retail events.
    """
    import holidays

    inside = times[(times >= pd.Timestamp(start)) & (times < pd.Timestamp(end) + DAY)]
    country, source = history_country(tables or {})
    if country is not None and country not in holidays.list_supported_countries():
        notes.append(
            f"segment {segment}: no public holidays are known for country {country!r} "
            f"(most common {source}); only retail events are fitted"
        )
        country = None
    events = retail_events(country)
    common = {
        "start": start,
        "end": end,
        "reference_date": reference,
        "events": events,
        "min_month_years": 2,
    }
    try:
        try:
            fit = fit_poisson_arrivals(inside, changepoints=True, **common)
        except (RuntimeError, ValueError) as exc:
            # a trend that does not converge, or one so steep that the rate would fall to 0
            # within a year (a short history of a shrinking segment), is not forecast
            reason = " ".join(str(exc).split()[:24])
            notes.append(
                f"segment {segment}: the trend could not be fitted ({reason}); fitted without one"
            )
            fit = fit_poisson_arrivals(inside, fit_trend=False, **common)
    except (ValueError, RuntimeError) as exc:
        raise InputError(
            f"Segment {segment!r} has too little order history to fit arrivals "
            f"({len(inside)} orders between {start} and {end}): {exc}"
        ) from None
    if country is not None:
        notes.append(f"segment {segment}: public holidays of {country} (most common {source})")
    return fit, inside


def report_rate_noise(report: FitReport, segment: str, fit, n_orders: int) -> None:
    """The fit report's rows for a segment's overdispersion and rate/trend uncertainty."""
    noise = fit.spec.get("overdispersion")
    report.add(
        "arrivals.overdispersion",
        segment,
        noise if noise is not None else "none",
        n_orders,
        "orders.ordered_at",
        False,
        f"mean-one lognormal AR(1) day multiplier, moment fit; Pearson dispersion "
        f"{fit.dispersion:.2f}" + ("" if noise else " (not significantly above 1: Poisson)"),
        distribution="lognormal_ar1" if noise else "poisson",
    )
    report.add(
        "arrivals.uncertainty",
        segment,
        fit.spec["uncertainty"],
        n_orders,
        "orders.ordered_at",
        False,
        "sampling sd of log(rate_per_day) and of the trend slope from the start date, and their "
        "correlation (sandwich under the day multiplier); drawn with run.parameter_uncertainty",
        distribution="normal",
    )
