"""A segment's ``customer_base`` section and customers file, with its fit-report rows.

Which segments get one: those whose orders carry customer ids (at least
``MIN_IDENTIFIED_SHARE`` of them) and that show enough repeat purchasing to fit its
heterogeneity (``MIN_REPEAT_CUSTOMERS`` customers with a repeat purchase, and at least
``MIN_REPEAT_SHARE`` of all customers), and whose chosen fit is identified: converged inside
its box with a positive definite Hessian (so ``log_parameter_covariance`` can be written for
the parameter draws). The sample's simulated customers all buy at one rate and never leave; the
gamma prior then collapses (r and alpha grow without bound) and neither holds. Other segments
keep their aggregate arrivals, with a row in the fit report saying why; this is not an error.

The section follows the customer-level demand interface (``docs/calibration.md``, "Customer
base"): the chosen model (:mod:`.select`), its parameters per day, the covariance of their
logarithms, the name of the customers file (written beside ``model.yaml`` by
:mod:`twin.calibration.output`), the new-customer arrivals (:mod:`.new_customers`) and, on a
calendar, the fit report's rows of the day multiplier fitted around the customer model's own
expectation and of its in-sample level (:mod:`.residuals`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from twin.calibration.customer_base.clock import calendar_clock
from twin.calibration.customer_base.first_purchases import (
    fit_first_purchases,
    with_unseen_customers,
)
from twin.calibration.customer_base.new_customers import new_customers_spec
from twin.calibration.customer_base.residuals import (
    LEVEL_WEEKS,
    LEVEL_Z,
    CustomerResiduals,
    fit_customer_residuals,
)
from twin.calibration.customer_base.select import fit_customer_base
from twin.calibration.customer_base.summaries import customer_summaries
from twin.calibration.fit_report import FitReport

MIN_IDENTIFIED_SHARE = 0.98
"""Share of a segment's orders that must carry a customer id for a customer base."""
MIN_REPEAT_CUSTOMERS = 100
"""Fewest customers with a repeat purchase for the repeat-purchase models."""
MIN_REPEAT_SHARE = 0.05
"""Smallest share of customers with a repeat purchase: below it (e.g. a marketplace where
nearly everyone buys once) the drop-out process is not identified, and aggregate arrivals of
what are almost all first purchases describe the demand better."""

FILE_COLUMNS = ("customer", "frequency", "recency_days", "age_days")
"""Columns of a customers file (see the interface in ``docs/calibration.md``)."""


def customer_base_enabled() -> bool:
    """Whether the scenario schema has ``segments.<name>.customer_base`` (the model side may
    not have it yet; until then calibration writes none, so its models still load)."""
    from twin.scenario.segments import Segment

    return "customer_base" in Segment.model_fields


def customers_file(segment: str) -> str:
    """The customers file's name for a segment, relative to the model folder."""
    return f"customers-{segment}.parquet"


def _skip(report: FitReport, segment: str, n: int, reason: str) -> None:
    report.add(
        "customer_base",
        segment,
        "none",
        n,
        "orders.customer_id",
        True,
        f"{reason}: aggregate arrivals kept",
        distribution="none",
    )


def _text(values: dict[str, float]) -> str:
    return ", ".join(f"{k}={v:.6g}" for k, v in values.items())


def fit_segment_customer_base(
    orders: pd.DataFrame,
    period: tuple[dt.date, dt.date],
    report: FitReport,
    notes: list[str],
    segment: str,
    tables: dict[str, pd.DataFrame] | None = None,
    arrivals: dict | None = None,
) -> tuple[dict | None, pd.DataFrame | None]:
    """The ``customer_base`` section of a segment and its customers (columns
    :data:`FILE_COLUMNS`, raw ids: the writer pseudonymises them), or ``(None, None)``.

    Parameters
    ----------
    orders : pandas.DataFrame
        The segment's canonical orders.
    period : (datetime.date, datetime.date)
        The active period; ages are measured to the day after its last day (the model's
        ``run.start_date``), and only orders before that day are summarised.
    arrivals : dict, optional
        The segment's fitted Poisson ``arrivals``: recency and age are then measured in its
        calendar-weighted days (:mod:`.clock`), the clock the model simulates each customer on.
    """
    first_day, last_day = period
    as_of = pd.Timestamp(last_day) + pd.Timedelta(days=1)
    known = orders[orders["ordered_at"] < as_of]
    identified = int(known["customer_id"].notna().sum())
    if identified == 0:
        _skip(report, segment, 0, "no customer ids in the segment's orders")
        return None, None
    share = identified / len(known)
    if share < MIN_IDENTIFIED_SHARE:
        _skip(
            report,
            segment,
            identified,
            f"only {share:.1%} of the segment's orders carry a customer id "
            f"(< {MIN_IDENTIFIED_SHARE:.0%})",
        )
        return None, None
    clock = None
    if arrivals is not None and arrivals.get("kind") == "poisson":
        clock = calendar_clock(arrivals, first_day, as_of)
    customers = customer_summaries(known, as_of, clock)
    repeat = int((customers["frequency"] > 0).sum())
    if repeat < MIN_REPEAT_CUSTOMERS or repeat < MIN_REPEAT_SHARE * len(customers):
        _skip(
            report,
            segment,
            len(customers),
            f"{repeat} of {len(customers)} customers made a repeat purchase (fewer than "
            f"{MIN_REPEAT_CUSTOMERS} or {MIN_REPEAT_SHARE:.0%}): repeat purchasing not fitted",
        )
        return None, None
    fit = fit_customer_base(customers)
    for name, model in fit.fits.items():
        report.add(
            f"customer_base.{name}",
            segment,
            _text(model.parameters) + "; se " + _text(model.se),
            model.n,
            "orders.customer_id, orders.ordered_at",
            False,
            f"log-likelihood {model.log_likelihood:.6f}; "
            f"{'chosen' if name == fit.chosen else 'not chosen'}; {model.message}",
            aic=model.aic,
            distribution=name,
        )
    best = fit.best
    if not best.converged or not np.all(np.isfinite(best.log_covariance)):
        _skip(
            report,
            segment,
            len(customers),
            f"the chosen {fit.chosen} fit is not identified ({best.message}); customers this "
            "alike (one rate, no drop-out) are what aggregate arrivals describe",
        )
        return None, None
    other = next(m for n, m in fit.fits.items() if n != fit.chosen)
    section: dict = {
        "model": fit.chosen,
        "parameters": dict(best.parameters),
        "log_parameter_covariance": best.log_covariance.tolist(),
        "customers_file": customers_file(segment),
    }
    report.add(
        "customer_base",
        segment,
        dict(best.parameters),
        best.n,
        "orders.customer_id, orders.ordered_at",
        False,
        f"{fit.chosen} chosen by AIC (equal parameter counts): log-likelihood "
        f"{best.log_likelihood:.2f} against {other.log_likelihood:.2f} for {other.model}; "
        f"{repeat} customers with repeat purchases; ages to {as_of.date()}",
        aic=best.aic,
        distribution=fit.chosen,
    )
    split = fit_first_purchases(
        customers["first_order_at"], first_day, as_of, clock, fit.chosen, best.parameters
    )
    new = new_customers_spec(split, arrivals if clock is not None else None, notes, segment)
    if new is not None:
        section["new_customers"] = new
    report.add(
        "customer_base.new_customers",
        segment,
        new if new is not None else "none",
        split.first_orders,
        "first orders of customers",
        new is None and not split.closed,  # a closed panel's none is a finding, not a default
        f"{'closed panel' if split.closed else 'open customer base'} by AIC (closed "
        f"{split.aic_closed:.1f}, open {split.aic_open:.1f}); first orders split into new "
        f"customers ({split.new_per_day:.4g} a day on the segment's calendar, log-rate sd "
        f"{split.log_rate_sd:.3g}) and old customers seen for the first time "
        f"({split.old_at_start:.0f} alive when the history starts, rate shape "
        f"{split.old_shape:.3g}; {split.old_unseen:.0f} of them not yet seen, simulated as known "
        f"customers without a purchase); Pearson dispersion {split.dispersion:.2f}",
        distribution="poisson" if new is not None else "none",
    )
    if clock is not None:
        residuals = fit_customer_residuals(
            known, first_day, as_of, clock, fit.chosen, best.parameters, split
        )
        # reported, not written: see the module docstring of .residuals
        _report_residuals(report, notes, segment, residuals)
        end_clock = float(clock(pd.Series([as_of]))[0])
    else:
        end_clock = (as_of - pd.Timestamp(first_day)) / pd.Timedelta(days=1)
    customers = with_unseen_customers(customers, split, age_days=end_clock)
    return section, customers[list(FILE_COLUMNS)]


def _report_residuals(
    report: FitReport, notes: list[str], segment: str, residuals: CustomerResiduals
) -> None:
    """Fit-report rows of the customer model's day multiplier and in-sample level."""
    noise = residuals.noise
    n = int(residuals.observed.size - residuals.burn_in_days)
    report.add(
        "customer_base.overdispersion",
        segment,
        {"sd_log": noise.sd_log, "autocorrelation": noise.autocorrelation}
        if noise.present
        else "none",
        n,
        "orders.ordered_at",
        False,
        "mean-one lognormal AR(1) day multiplier of every customer's rate, moment fit around the "
        "customer model's one-week-ahead expectation (not the aggregate arrivals'), first "
        f"{residuals.burn_in_days} days left out; Pearson dispersion {noise.dispersion:.3g} "
        f"(p = {noise.p_value:.2g})" + ("" if noise.present else ": Poisson, no multiplier"),
        distribution="lognormal_ar1" if noise.present else "none",
    )
    bias = 1.0 / residuals.level - 1.0  # expected orders over actual ones, less 1
    verdict = (
        f"biased: the customer model's one-week-ahead expectation is {bias:+.1%} against "
        "the orders (more than "
        f"{LEVEL_Z:g} standard errors); the forecast starts from the same model"
        if residuals.biased
        else f"within {LEVEL_Z:g} standard errors of 1 (unbiased as far as the history tells)"
    )
    report.add(
        "customer_base.in_sample_level",
        segment,
        {"level": residuals.level, "se": residuals.level_se},
        int(residuals.observed[-LEVEL_WEEKS * 7 :].sum()),
        "orders.ordered_at",
        False,
        f"orders over the customer model's expected orders in the last {LEVEL_WEEKS} weeks: "
        f"{residuals.level:.3f} (se {residuals.level_se:.3f}), {verdict}",
    )
    if residuals.biased:
        notes.append(
            f"segment {segment}: the customer model's in-sample expectation of the last "
            f"{LEVEL_WEEKS} weeks is {bias:+.1%} against the orders ({residuals.level:.3f} orders "
            f"per expected order, se {residuals.level_se:.3f}): its forecast may be off by as much"
        )


ANONYMOUS_SUFFIX = "_anonymous"


def split_anonymous(segment: pd.Series, orders: pd.DataFrame, report: FitReport) -> pd.Series:
    """Segments with orders both with and without a customer id, split in two.

    Orders without an id (counter sales, guest checkouts) cannot belong to a customer base;
    left in, they would keep the segment from one (or be lost from its demand). Where there
    are at least ``MIN_SEGMENT_ORDERS`` of them they form the segment ``<name>_anonymous``,
    with aggregate arrivals; fewer stay where they are.
    """
    from twin.calibration.segments import MIN_SEGMENT_ORDERS

    anonymous = orders["customer_id"].isna()
    out = segment.copy()
    for name in sorted(segment.unique()):
        inside = segment == name
        n_anonymous = int((inside & anonymous).sum())
        if n_anonymous >= MIN_SEGMENT_ORDERS and n_anonymous < int(inside.sum()):
            out[inside & anonymous] = f"{name}{ANONYMOUS_SUFFIX}"
            report.add(
                "segments",
                f"{name}{ANONYMOUS_SUFFIX}",
                1,
                n_anonymous,
                "orders.customer_id",
                False,
                f"orders of segment {name} without a customer id, split off: aggregate arrivals",
            )
    return out
