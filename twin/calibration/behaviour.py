"""Fits of customer behaviour: price and promotion response, pipeline, tickets, satisfaction, churn.

:func:`fit_behaviour` reads canonical history tables after the quality step and returns a
plain-data dict (floats, ints, strings, lists, dicts; distributions in the
:mod:`twin.distributions` vocabulary as :func:`~twin.calibration.fitting.fit_continuous` makes
them), written as ``behaviour.yaml`` next to ``model.yaml``. Each quantity carries the data it was
fitted from (``source``), how many values (``n``), the model and its statistics, and ``defaulted``
with the stated default when the data are missing or too few. It also hands one fit-report row per
quantity to a :class:`~twin.calibration.fit_report.FitReport`.

The blocks, named for the policy levers that use them:

- ``price_response`` (promotions lever): own-price elasticity from a log-log regression of weekly
  units on the effective price, with SKU and week fixed effects and SKU-clustered standard errors;
  promotion lift by kind and the post-promotion dip, as ratios to each SKU's baseline week, with
  SKU-bootstrap intervals.
- ``pipeline`` (credit and sales levers): win rate with a Wilson interval, sales-cycle time of won
  and lost deals, deal value, opportunities created per agent and day.
- ``after_sales``: tickets per delivered order, resolution time.
- ``satisfaction``: review score against delivery lateness (days late, by date): bin means, the
  parametric curve chosen by AIC, and the probability of a low score.
- ``customer_loop`` (per segment): repeat share, inter-purchase time, churn probability within an
  inactivity window.

Random numbers are used only for the bootstrap, from a generator seeded by ``seed``: the same data
give the same result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd
import scipy.optimize
import scipy.special

from twin.calibration.fit_report import DAY, MIN_FIT_VALUES, FitReport, chosen_statistics, days
from twin.calibration.fitting import fit_continuous
from twin.errors import InputError

PARTS = ("price_response", "pipeline", "after_sales", "satisfaction", "customer_loop")
"""The blocks of ``behaviour.yaml``, in order."""
EMPIRICAL_VALUES = 200
MIN_PRICE_OBSERVATIONS = 30
BOOTSTRAP_DRAWS = 200
Z95 = 1.959963984540054

DEFAULT_ELASTICITY = -2.62
"""Mean own-price elasticity of the meta-analysis of Bijmolt, van Heerde & Pieters (2005),
J. Marketing Research 42(2), used when the history has too little price variation."""
DEFAULT_LIFT = 1.0  # no lift: a promotion lever without history has no effect until it is set
DEFAULT_DIP = 1.0  # no post-promotion dip
DEFAULT_WIN_RATE = 0.25
DEFAULT_CYCLE_DAYS = 30.0
DEFAULT_RESOLUTION_DAYS = 2.0
DEFAULT_INACTIVITY_DAYS = 180
WON = frozenset({"won", "closed won", "closed_won", "closedwon", "win"})
LOST = frozenset({"lost", "closed lost", "closed_lost", "closedlost", "loss"})
LATENESS_BINS = (-math.inf, -7, -1, 0, 3, 7, 14, 30, math.inf)
"""Edges (days late) of the satisfaction bins: (-inf, -7], (-7, -1], (-1, 0] (= on the promised
day), (0, 3], (3, 7], (7, 14], (14, 30], (30, inf)."""

Row = dict[str, Any]


# --------------------------------------------------------------------------- plumbing


def _plain(value: Any) -> Any:
    """A YAML-safe copy: numpy scalars to Python, NaN and infinities to None, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    return value


def _duration(
    rows: FitReport,
    quantity: str,
    group: str,
    values: np.ndarray,
    source: str,
    default: float | None,
) -> dict:
    """A fitted distribution of non-negative values (days, money), or the stated default."""
    values = values[np.isfinite(values) & (values >= 0)]
    if values.size >= MIN_FIT_VALUES:
        result = fit_continuous(values, max_empirical_values=EMPIRICAL_VALUES)
        aic, gof_p = chosen_statistics(result)
        rows.add(quantity, group, result.dist, result.n, source, False, result.reason, aic, gof_p)
        return {
            "dist": result.dist,
            "n": result.n,
            "mean": float(values.mean()),
            "median": float(np.median(values)),
            "model": result.reason,
            "aic": aic,
            "gof_p": gof_p,
            "source": source,
            "defaulted": False,
        }
    dist = {"dist": "constant", "value": default} if default is not None else None
    note = f"fewer than {MIN_FIT_VALUES} values ({values.size})" + (
        f"; default constant {default:g}" if default is not None else "; no default"
    )
    rows.add(quantity, group, dist or "none", int(values.size), source, True, note)
    return {"dist": dist, "n": int(values.size), "source": source, "defaulted": True, "note": note}


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (Wilson, 1927, JASA 22).

    ``centre ± half`` with ``centre = (p + z²/2n) / (1 + z²/n)`` and
    ``half = z sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n)``; ``(nan, nan)`` when ``n == 0``.
    """
    if n <= 0:
        return math.nan, math.nan
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _proportion(successes: int, n: int) -> dict:
    low, high = wilson_interval(successes, n)
    return {
        "value": successes / n if n else math.nan,
        "ci95": [low, high],
        "successes": int(successes),
        "n": int(n),
    }


# --------------------------------------------------------------------------- price response


def _ordered_lines(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Ordered (not cancelled or returned) lines with positive quantity, dated by their order."""
    orders = tables.get("orders")
    lines = tables.get("order_lines")
    if orders is None or lines is None or orders.empty or lines.empty:
        return pd.DataFrame(columns=["sku", "quantity", "unit_price", "discount", "ordered_at"])
    live = orders[orders["status"] != "cancelled"]
    lines = lines[(lines["status"] == "ordered") & (lines["quantity"] > 0)]
    dated = lines.merge(live[["order_id", "ordered_at"]], on="order_id", how="inner")
    return dated.dropna(subset=["ordered_at"])


def weekly_sales(lines: pd.DataFrame) -> pd.DataFrame:
    """Units and effective price per SKU and week.

    Weeks start on Monday (``week`` is the Monday, a midnight timestamp). The effective price of a
    SKU-week is its revenue after discounts per unit: ``(Σ unit_price·quantity − Σ discount) /
    Σ quantity`` (a missing discount counts as 0). Columns: ``sku, week, units, price``.
    """
    if lines.empty:
        return pd.DataFrame(columns=["sku", "week", "units", "price"])
    stamps = lines["ordered_at"]
    week = stamps.dt.normalize() - pd.to_timedelta(stamps.dt.day_of_week, unit="D")
    quantity = lines["quantity"].to_numpy(dtype=float)
    gross = lines["unit_price"].to_numpy(dtype=float) * quantity
    discount = lines["discount"].fillna(0.0).to_numpy(dtype=float)
    frame = pd.DataFrame(
        {
            "sku": lines["sku"].astype(str).to_numpy(),
            "week": week.to_numpy(),
            "units": quantity,
            "net": gross - discount,
        }
    )
    weekly = frame.groupby(["sku", "week"], sort=True, as_index=False)[["units", "net"]].sum()
    weekly["price"] = weekly["net"] / weekly["units"]
    return weekly.drop(columns="net")


def fit_elasticity(weekly: pd.DataFrame, *, time_effects: bool = True) -> dict:
    """Own-price elasticity: OLS of log units on log price with SKU (and week) fixed effects.

    ``log q_sw = β log p_sw + α_s + γ_w + ε_sw`` over SKU-weeks with units > 0 and price > 0.
    The SKU effects are removed by demeaning within SKU (the within estimator), the week effects
    are week dummies (demeaned the same way); SKUs with one SKU-week or no price variation carry
    no information and are left out. The standard error of β is clustered by SKU (CR1: the
    sandwich with ``G/(G−1)·(N−1)/(N−K)``), so serial correlation within a SKU does not make it
    too small. Weeks without sales are not observed (log 0), which biases β towards 0 when many
    SKU-weeks are empty: say so when the data are sparse.

    Returns a dict with ``value, se, ci95, n, n_skus, n_weeks, r2_within, model`` (``value`` NaN
    when fewer than :data:`MIN_PRICE_OBSERVATIONS` informative SKU-weeks remain).
    """
    data = weekly[(weekly["units"] > 0) & (weekly["price"] > 0)].copy()
    data["y"] = np.log(data["units"].to_numpy(dtype=float))
    data["x"] = np.log(data["price"].to_numpy(dtype=float))
    by_sku = data.groupby("sku")["x"]
    spread = by_sku.transform("max") - by_sku.transform("min")
    data = data[spread > 1e-9]
    model = "log(units) ~ log(price) + SKU" + (" + week" if time_effects else "") + " effects"
    out: dict[str, Any] = {
        "value": math.nan,
        "se": math.nan,
        "ci95": [math.nan, math.nan],
        "n": len(data),
        "n_skus": int(data["sku"].nunique()),
        "n_weeks": int(data["week"].nunique()),
        "r2_within": math.nan,
        "model": model,
    }
    if len(data) < MIN_PRICE_OBSERVATIONS or out["n_skus"] < 1:
        return out
    columns = [data["x"].to_numpy()]
    if time_effects:
        weeks = pd.Categorical(data["week"])
        dummies = np.eye(len(weeks.categories))[weeks.codes][:, 1:]
        columns += list(dummies.T)
    design = np.column_stack(columns)
    groups = pd.factorize(data["sku"])[0]
    y = data["y"].to_numpy()
    y_w = y - _group_means(y, groups)
    x_w = design - _group_means(design, groups)
    keep = np.abs(x_w).sum(axis=0) > 1e-12  # a week seen only with one SKU drops out
    keep[0] = True
    x_w = x_w[:, keep]
    beta, *_ = np.linalg.lstsq(x_w, y_w, rcond=None)
    resid = y_w - x_w @ beta
    n, k = x_w.shape
    g = int(groups.max()) + 1
    bread = np.linalg.pinv(x_w.T @ x_w)
    scores = np.zeros((g, k))
    np.add.at(scores, groups, x_w * resid[:, None])
    meat = scores.T @ scores
    dof = n - k - g
    if g < 2 or dof <= 0:
        return out
    correction = g / (g - 1) * (n - 1) / max(n - k, 1)
    variance = correction * (bread @ meat @ bread)[0, 0]
    se = math.sqrt(max(variance, 0.0))
    tss = float(y_w @ y_w)
    out.update(
        value=float(beta[0]),
        se=se,
        ci95=[float(beta[0] - Z95 * se), float(beta[0] + Z95 * se)],
        r2_within=1 - float(resid @ resid) / tss if tss > 0 else math.nan,
    )
    return out


def _group_means(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    counts = np.bincount(groups).astype(float)
    if values.ndim == 1:
        return (np.bincount(groups, weights=values) / counts)[groups]
    sums = np.zeros((counts.size, values.shape[1]))
    np.add.at(sums, groups, values)
    return (sums / counts[:, None])[groups]


def promotion_weeks(
    promotions: pd.DataFrame, skus: list[str], weeks: pd.DatetimeIndex, post_weeks: int = 1
) -> pd.DataFrame:
    """Which SKU-weeks are promoted (by kind) and which are post-promotion weeks.

    A week (Monday to Sunday) is promoted for a kind when a promotion of that kind on the SKU
    (or on the whole range: missing ``sku``) overlaps any of its days; a missing ``ends_on`` is a
    one-day promotion; a missing kind is ``unspecified``. A post-promotion week is one of the
    ``post_weeks`` weeks after a promoted week that is not promoted itself. ``location`` is not
    used: the history's sales are not by store. Columns: ``sku, week, kinds`` (a tuple, empty
    when not promoted) and ``post`` (bool).
    """
    index = pd.MultiIndex.from_product([skus, weeks], names=["sku", "week"])
    kinds: dict[tuple[str, pd.Timestamp], set[str]] = {}
    for promo in promotions.itertuples(index=False):
        start = pd.Timestamp(promo.starts_on).normalize()
        end = pd.Timestamp(promo.ends_on).normalize() if pd.notna(promo.ends_on) else start
        first = start - pd.Timedelta(days=start.day_of_week)
        hit = weeks[(weeks >= first) & (weeks <= end)]
        kind = str(promo.kind) if pd.notna(promo.kind) else "unspecified"
        targets = skus if pd.isna(promo.sku) else [str(promo.sku)]
        for sku in targets:
            for week in hit:
                kinds.setdefault((sku, week), set()).add(kind)
    frame = pd.DataFrame(index=index).reset_index()
    frame["kinds"] = [
        tuple(sorted(kinds.get((s, w), ())))
        for s, w in zip(frame["sku"], frame["week"], strict=True)
    ]
    # the frame is SKU-major with the weeks in order, so a SKU's weeks are one row of this
    promoted = frame["kinds"].map(len).gt(0).to_numpy().reshape(len(skus), len(weeks))
    after = np.zeros_like(promoted)
    for lag in range(1, post_weeks + 1):
        after[:, lag:] |= promoted[:, :-lag]
    frame["post"] = (after & ~promoted).ravel()
    return frame


def fit_promotions(
    weekly: pd.DataFrame,
    promotions: pd.DataFrame,
    *,
    post_weeks: int = 1,
    draws: int = BOOTSTRAP_DRAWS,
    seed: int = 20_240_601,
) -> dict:
    """Promotion lift by kind and the post-promotion dip, as ratios to baseline weeks.

    The panel is every week from the first to the last week of the history for every promoted
    SKU, with 0 units for weeks without sales. A SKU's baseline is its mean units over weeks
    neither promoted nor post-promotion (at least 2 such weeks, else the SKU is left out). Lift of
    kind k = Σ units over the SKU-weeks promoted with k / Σ of their SKUs' baselines; a week with
    two kinds counts for both. Dip = the same ratio over post-promotion weeks (< 1 is a dip). The
    95 % intervals are percentile intervals of ``draws`` bootstrap resamples of SKUs (the SKU is
    the unit of independence).
    """
    weeks = pd.date_range(weekly["week"].min(), weekly["week"].max(), freq="7D")
    promoted_skus = set(promotions["sku"].dropna().astype(str))
    whole_range = promotions["sku"].isna().any()
    skus = sorted(set(weekly["sku"]) if whole_range else promoted_skus & set(weekly["sku"]))
    if not skus or not len(weeks):
        return {"lift": {}, "dip": {"value": math.nan, "n": 0}, "n_skus": 0}
    panel = promotion_weeks(promotions, skus, weeks, post_weeks)
    units = weekly.set_index(["sku", "week"])["units"]
    panel["units"] = (
        units.reindex(pd.MultiIndex.from_frame(panel[["sku", "week"]])).fillna(0.0).to_numpy()
    )
    panel["baseline_week"] = panel["kinds"].map(len).eq(0) & ~panel["post"]
    base = panel[panel["baseline_week"]].groupby("sku")["units"].agg(["mean", "size"])
    base = base[base["size"] >= 2]["mean"]
    panel = panel[panel["sku"].isin(base.index)].copy()
    panel["base"] = panel["sku"].map(base).to_numpy()
    sku_codes, sku_index = pd.factorize(panel["sku"])
    kinds = sorted({k for ks in panel["kinds"] for k in ks})

    def sums(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        num = np.bincount(
            sku_codes[mask], weights=panel["units"].to_numpy()[mask], minlength=len(sku_index)
        )
        den = np.bincount(
            sku_codes[mask], weights=panel["base"].to_numpy()[mask], minlength=len(sku_index)
        )
        return num, den

    rng = np.random.default_rng(seed)
    resamples = rng.integers(0, len(sku_index), size=(draws, len(sku_index)))

    def ratio(mask: np.ndarray) -> dict:
        num, den = sums(mask)
        n = int(mask.sum())
        if n == 0 or den.sum() <= 0:
            return {"value": math.nan, "ci95": [math.nan, math.nan], "n": n, "n_skus": 0}
        boot = num[resamples].sum(axis=1) / np.maximum(den[resamples].sum(axis=1), 1e-300)
        boot = boot[den[resamples].sum(axis=1) > 0]
        return {
            "value": float(num.sum() / den.sum()),
            "ci95": [float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975))],
            "n": n,
            "n_skus": int((den > 0).sum()),
        }

    lift = {
        kind: ratio(panel["kinds"].map(lambda ks, k=kind: k in ks).to_numpy(dtype=bool))
        for kind in kinds
    }
    dip = ratio(panel["post"].to_numpy(dtype=bool))
    return {
        "lift": lift,
        "dip": dip,
        "n_skus": len(sku_index),
        "baseline_weeks": int(panel["baseline_week"].sum()),
    }


def _price_response(tables: dict[str, pd.DataFrame], rows: FitReport, post_weeks: int) -> dict:
    weekly = weekly_sales(_ordered_lines(tables))
    elasticity = fit_elasticity(weekly)
    source = "order_lines+orders.ordered_at"
    if math.isfinite(elasticity["value"]):
        elasticity.update(source=source, defaulted=False)
        rows.add(
            "price_response.elasticity", "all", elasticity["value"], elasticity["n"], source,
            False,
            f"{elasticity['model']}; SE {elasticity['se']:.3g} (clustered by SKU), 95 % CI "
            f"[{elasticity['ci95'][0]:.3g}, {elasticity['ci95'][1]:.3g}], {elasticity['n_skus']} "
            "SKUs",
        )  # fmt: skip
    else:
        note = (
            f"{elasticity['n']} SKU-weeks with price variation, fewer than "
            f"{MIN_PRICE_OBSERVATIONS}: default {DEFAULT_ELASTICITY} (Bijmolt et al. 2005)"
        )
        elasticity.update(value=DEFAULT_ELASTICITY, source=source, defaulted=True, note=note)
        rows.add(
            "price_response.elasticity",
            "all",
            DEFAULT_ELASTICITY,
            elasticity["n"],
            source,
            True,
            note,
        )
    block: dict[str, Any] = {"elasticity": elasticity, "post_promotion_weeks": post_weeks}
    promotions = tables.get("promotions")
    if promotions is None or promotions.empty or weekly.empty:
        note = f"no promotions table: lift {DEFAULT_LIFT}, dip {DEFAULT_DIP} (no effect)"
        block["lift"] = {"default": {"value": DEFAULT_LIFT, "defaulted": True, "note": note}}
        block["dip"] = {"value": DEFAULT_DIP, "defaulted": True, "note": note}
        rows.add("price_response.lift", "all", DEFAULT_LIFT, 0, "promotions", True, note)
        rows.add("price_response.dip", "all", DEFAULT_DIP, 0, "promotions", True, note)
        return block
    fit = fit_promotions(weekly, promotions, post_weeks=post_weeks)
    source = "promotions+order_lines"
    block["lift"] = {}
    for kind, result in fit["lift"].items():
        result.update(source=source, defaulted=False)
        block["lift"][kind] = result
        rows.add(
            "price_response.lift", kind, result["value"], result["n"], source, False,
            f"units in promoted SKU-weeks / SKU baseline; bootstrap 95 % CI "
            f"[{result['ci95'][0]:.3g}, {result['ci95'][1]:.3g}] over {result['n_skus']} SKUs",
        )  # fmt: skip
    dip = fit["dip"]
    if dip.get("n", 0) and math.isfinite(dip["value"]):
        dip.update(source=source, defaulted=False)
        rows.add(
            "price_response.dip", "all", dip["value"], dip["n"], source, False,
            f"units in the {post_weeks} week(s) after a promotion / SKU baseline; bootstrap 95 % "
            f"CI [{dip['ci95'][0]:.3g}, {dip['ci95'][1]:.3g}]",
        )  # fmt: skip
    else:
        note = f"no post-promotion weeks with a baseline: default {DEFAULT_DIP} (no dip)"
        dip = {"value": DEFAULT_DIP, "n": 0, "source": source, "defaulted": True, "note": note}
        rows.add("price_response.dip", "all", DEFAULT_DIP, 0, source, True, note)
    block["dip"] = dip
    block["baseline_weeks"] = fit.get("baseline_weeks", 0)
    return block


# --------------------------------------------------------------------------- pipeline


def fit_win_rate(opportunities: pd.DataFrame) -> tuple[dict, np.ndarray, np.ndarray]:
    """Win rate = won / (won + lost) with its Wilson 95 % interval, and the won and lost masks.

    A stage is won or lost by name, case-insensitively (:data:`WON`, :data:`LOST`); every other
    stage is an open deal. Open deals are right-censored (their outcome is not known yet) and are
    left out; the number is kept in ``open``.
    """
    stage = opportunities["stage"].astype("string").str.strip().str.lower()
    won = stage.isin(WON).fillna(False).to_numpy(dtype=bool)
    lost = stage.isin(LOST).fillna(False).to_numpy(dtype=bool)
    open_ = ~(won | lost)
    win = _proportion(int(won.sum()), int(won.sum() + lost.sum()))
    censoring = (
        f"{int(open_.sum())} open deals excluded (right-censored: their outcome is not yet "
        "known; if won and lost deals close at different speeds the closed-deal win rate is "
        "biased towards the faster outcome)"
    )
    win.update(open=int(open_.sum()), source="opportunities", defaulted=False, note=censoring)
    return win, won, lost


def _pipeline(tables: dict[str, pd.DataFrame], rows: FitReport) -> dict:
    opportunities = tables.get("opportunities")
    source = "opportunities"
    if opportunities is None or opportunities.empty:
        note = (
            f"no opportunities: win rate {DEFAULT_WIN_RATE}, cycle {DEFAULT_CYCLE_DAYS:g} days "
            "(placeholders; set them from the CRM)"
        )
        rows.add("pipeline.win_rate", "all", DEFAULT_WIN_RATE, 0, source, True, note)
        return {
            "win_rate": {"value": DEFAULT_WIN_RATE, "n": 0, "defaulted": True, "note": note},
            "cycle_days": {
                outcome: {"dist": {"dist": "constant", "value": DEFAULT_CYCLE_DAYS},
                          "n": 0, "defaulted": True}
                for outcome in ("won", "lost")
            },
            "defaulted": True,
        }  # fmt: skip
    win, won, lost = fit_win_rate(opportunities)
    rows.add(
        "pipeline.win_rate", "all", win["value"], win["n"], source, False,
        f"won / (won + lost), Wilson 95 % CI [{win['ci95'][0]:.4f}, {win['ci95'][1]:.4f}]; "
        + win["note"],
    )  # fmt: skip
    cycle_all = (opportunities["closed_at"] - opportunities["created_at"]) / DAY
    cycle_days = {}
    for outcome, mask in (("won", won), ("lost", lost)):
        values = cycle_all[mask].to_numpy(dtype=float)
        cycle_days[outcome] = _duration(
            rows, f"pipeline.cycle_days.{outcome}", "all", values[np.isfinite(values)],
            "opportunities.closed_at-created_at", DEFAULT_CYCLE_DAYS,
        )  # fmt: skip
    amounts = opportunities.loc[won, "amount"].to_numpy(dtype=float)
    deal_value = _duration(
        rows, "pipeline.deal_value", "all", amounts[np.isfinite(amounts)],
        "opportunities.amount (won)", None,
    )  # fmt: skip
    return {
        "win_rate": win,
        "cycle_days": cycle_days,
        "deal_value": deal_value,
        "opportunities_per_agent_day": agent_rate(opportunities, rows),
        "defaulted": False,
    }


def agent_rate(opportunities: pd.DataFrame, rows: FitReport | None = None) -> dict:
    """Opportunities created per day per sales agent, over the span of the creation dates.

    The span runs from the first to the last creation date of the whole table (both days
    included), the same for every agent; an opportunity without an owner is ``unassigned``.
    """
    rows = rows or FitReport()
    created = opportunities.dropna(subset=["created_at"])
    source = "opportunities.created_at+owner"
    if created.empty:
        note = "no creation dates: no agent rate"
        rows.add("pipeline.opportunities_per_agent_day", "all", math.nan, 0, source, True, note)
        return {"value": None, "n": 0, "defaulted": True, "note": note}
    first = created["created_at"].min().normalize()
    last = created["created_at"].max().normalize()
    span = int((last - first) / DAY) + 1
    owner = created["owner"].astype("string").fillna("unassigned")
    per_agent = owner.value_counts().sort_index() / span
    note = (
        f"opportunities with a creation date / {span} days ({first.date()}..{last.date()}), "
        f"per agent; {len(opportunities) - len(created)} without a creation date not counted"
    )
    rows.add(
        "pipeline.opportunities_per_agent_day", "all", float(per_agent.mean()), len(created),
        source, False, note + f"; {len(per_agent)} agents",
    )  # fmt: skip
    return {
        "value": float(per_agent.mean()),
        "sd": float(per_agent.std(ddof=1)) if len(per_agent) > 1 else 0.0,
        "agents": len(per_agent),
        "per_agent": {str(k): float(v) for k, v in per_agent.items()},
        "span_days": span,
        "n": len(created),
        "source": source,
        "defaulted": False,
        "note": note,
    }


# --------------------------------------------------------------------------- tickets


def _delivered(orders: pd.DataFrame) -> pd.DataFrame:
    return orders[orders["delivered_at"].notna() | (orders["status"] == "delivered")]


def _after_sales(tables: dict[str, pd.DataFrame], rows: FitReport) -> dict:
    tickets = tables.get("tickets")
    orders = tables.get("orders")
    if tickets is None or tickets.empty:
        note = f"no tickets: rate 0, resolution {DEFAULT_RESOLUTION_DAYS:g} days"
        rows.add("after_sales.tickets_per_delivered_order", "all", 0.0, 0, "tickets", True, note)
        return {
            "tickets_per_delivered_order": {"value": 0.0, "n": 0, "defaulted": True,
                                            "note": note},
            "resolution_days": {"dist": {"dist": "constant", "value": DEFAULT_RESOLUTION_DAYS},
                                "n": 0, "defaulted": True},
        }  # fmt: skip
    delivered = _delivered(orders) if orders is not None else pd.DataFrame(columns=["order_id"])
    on_delivered = tickets["order_id"].isin(delivered["order_id"]).to_numpy(dtype=bool)
    n_delivered = int(delivered["order_id"].nunique())
    rate = on_delivered.sum() / n_delivered if n_delivered else math.nan
    orders_with = int(tickets.loc[on_delivered, "order_id"].nunique())
    note = (
        f"{int(on_delivered.sum())} tickets on {n_delivered} delivered orders "
        f"({orders_with} orders with at least one); {int((~on_delivered).sum())} tickets "
        "without a delivered order not counted"
    )
    source = "tickets.order_id+orders"
    rows.add(
        "after_sales.tickets_per_delivered_order",
        "all",
        rate,
        n_delivered,
        source,
        not n_delivered,
        note,
    )
    share = _proportion(orders_with, n_delivered) if n_delivered else {"value": math.nan}
    resolution = _duration(
        rows, "after_sales.resolution_days", "all",
        days(tickets["closed_at"] - tickets["opened_at"]), "tickets.closed_at-opened_at",
        DEFAULT_RESOLUTION_DAYS,
    )  # fmt: skip
    return {
        "tickets_per_delivered_order": {
            "value": rate, "n": n_delivered, "tickets": int(on_delivered.sum()),
            "source": source, "defaulted": not n_delivered, "note": note,
        },
        "share_of_delivered_orders_with_ticket": share,
        "resolution_days": resolution,
    }  # fmt: skip


# --------------------------------------------------------------------------- satisfaction


def latenessdays(orders: pd.DataFrame) -> pd.Series:
    """Days late per order: delivered date − promised date (by calendar date; < 0 is early)."""
    return (orders["delivered_at"].dt.normalize() - orders["promised_at"].dt.normalize()) / DAY


def _curve_candidates() -> dict[str, tuple[Callable[..., np.ndarray], list[float], int]]:
    """Mean score as a function of days late L: name → (function, start values, parameters)."""

    def constant(lateness, a):
        return np.full_like(lateness, a, dtype=float)

    def step(lateness, a, b):
        return np.where(lateness > 0, a - b, a)

    def hinge(lateness, a, b):
        return a - b * np.maximum(lateness, 0.0)

    def step_hinge(lateness, a, b, c):
        late = lateness > 0
        return a - late * (b + c * np.maximum(lateness - 1.0, 0.0))

    def logistic(lateness, top, drop, midpoint, width):
        z = np.clip((lateness - midpoint) / np.maximum(np.abs(width), 1e-3), -50, 50)
        return top - drop / (1.0 + np.exp(-z))

    return {
        "constant": (constant, [4.0], 1),
        "step": (step, [4.0, 1.0], 2),
        "piecewise_linear": (hinge, [4.0, 0.1], 2),
        "step_piecewise_linear": (step_hinge, [4.0, 1.0, 0.05], 3),
        "logistic": (logistic, [4.3, 2.0, 2.0, 2.0], 4),
    }


_CURVE_FORMS = {
    "constant": "score = a",
    "step": "score = a − b·[L > 0]",
    "piecewise_linear": "score = a − b·max(L, 0)",
    "step_piecewise_linear": "score = a − [L > 0]·(b + c·max(L − 1, 0))",
    "logistic": "score = top − drop / (1 + exp(−(L − midpoint) / width))",
}


def predicted_score(curve: dict, lateness: np.ndarray) -> np.ndarray:
    """Mean score at `lateness` (days late) of a fitted ``score_curve`` (``chosen``, ``params``)."""
    function, _, _ = _curve_candidates()[curve["chosen"]]
    return function(np.asarray(lateness, dtype=float), **curve["params"])


def fit_score_curve(lateness: np.ndarray, score: np.ndarray) -> dict:
    """Mean score against days late L: candidates fitted by least squares, chosen by AIC.

    Each candidate is a mean curve with normal errors of one variance, so its log-likelihood is
    ``−n/2 (log(2π RSS/n) + 1)`` and ``AIC = 2(k + 1) − 2 loglik`` (k curve parameters plus the
    variance). The scores are on the source's ordinal scale; treating them as numbers is the
    usual first model of a review score and gives the mean the twin needs.
    """
    lateness = np.asarray(lateness, dtype=float)
    score = np.asarray(score, dtype=float)
    n = score.size
    candidates = []
    for name, (function, start, k) in _curve_candidates().items():
        try:
            params, _ = scipy.optimize.curve_fit(function, lateness, score, p0=start, maxfev=5000)
        except (RuntimeError, ValueError, scipy.optimize.OptimizeWarning):
            candidates.append({"name": name, "params": None, "k": k, "aic": math.nan,
                               "note": "did not converge"})  # fmt: skip
            continue
        rss = float(np.sum((score - function(lateness, *params)) ** 2))
        loglik = -n / 2 * (math.log(2 * math.pi * max(rss, 1e-300) / n) + 1)
        names = function.__code__.co_varnames[1 : 1 + k]
        candidates.append(
            {
                "name": name,
                "form": _CURVE_FORMS[name],
                "params": {p: float(v) for p, v in zip(names, params, strict=True)},
                "k": k,
                "rss": rss,
                "aic": 2 * (k + 1) - 2 * loglik,
            }
        )
    fitted = [c for c in candidates if c["params"] is not None and math.isfinite(c["aic"])]
    best = min(fitted, key=lambda c: c["aic"])
    for candidate in candidates:
        candidate["chosen"] = candidate is best
        if candidate["params"] is not None:
            candidate["delta_aic"] = candidate["aic"] - best["aic"]
    return {"chosen": best["name"], "form": best["form"], "params": best["params"],
            "aic": best["aic"], "n": n, "candidates": candidates}  # fmt: skip


def fit_low_score(lateness: np.ndarray, low: np.ndarray) -> dict:
    """Probability of a low score: logistic regression on ``[L > 0]`` and ``max(L, 0)``.

    ``logit P(low) = b0 + b1·[L > 0] + b2·max(L, 0)``, fitted by maximum likelihood (BFGS on the
    log-likelihood), with standard errors from the inverse Hessian of the log-likelihood at the
    optimum.
    """
    late = (lateness > 0).astype(float)
    days_late = np.maximum(lateness, 0.0)
    design = np.column_stack([np.ones_like(late), late, days_late])
    y = low.astype(float)

    def negloglik(beta: np.ndarray) -> tuple[float, np.ndarray]:
        eta = design @ beta
        value = float(np.sum(np.logaddexp(0.0, eta) - y * eta))
        gradient = design.T @ (scipy.special.expit(eta) - y)
        return value, gradient

    share = min(max(y.mean(), 1e-6), 1 - 1e-6)
    start = np.array([math.log(share / (1 - share)), 0.0, 0.0])
    result = scipy.optimize.minimize(negloglik, start, jac=True, method="BFGS")
    beta = result.x
    p = scipy.special.expit(design @ beta)
    hessian = design.T @ (design * (p * (1 - p))[:, None])
    se = np.sqrt(np.clip(np.diag(np.linalg.pinv(hessian)), 0.0, None))
    return {
        "form": "logit P(low) = b0 + b1·[L > 0] + b2·max(L, 0)",
        "params": {"b0": float(beta[0]), "b1": float(beta[1]), "b2": float(beta[2])},
        "se": {"b0": float(se[0]), "b1": float(se[1]), "b2": float(se[2])},
        "aic": 2 * 3 + 2 * float(result.fun),
        "n": int(y.size),
    }


def _satisfaction(tables: dict[str, pd.DataFrame], rows: FitReport, low_score_max: float) -> dict:
    tickets = tables.get("tickets")
    orders = tables.get("orders")
    source = "tickets.score+orders.delivered_at-promised_at"
    scored = tickets.dropna(subset=["score", "order_id"]) if tickets is not None else pd.DataFrame()
    if scored.empty or orders is None:
        note = "no scored tickets on orders: satisfaction not fitted"
        rows.add("satisfaction.score_curve", "all", "none", 0, source, True, note)
        return {"defaulted": True, "note": note}
    late = latenessdays(orders.set_index("order_id"))
    lateness = scored["order_id"].map(late).to_numpy(dtype=float)
    known = np.isfinite(lateness)
    score = scored["score"].to_numpy(dtype=float)[known]
    lateness = lateness[known]
    note = (
        f"{int(known.sum())} scores on delivered orders with a promise date "
        f"({int((~known).sum())} scores without a delivery or promise date left out); "
        "lateness = delivered date − promised date in days"
    )
    if score.size < MIN_FIT_VALUES:
        rows.add("satisfaction.score_curve", "all", "none", int(score.size), source, True, note)
        return {"defaulted": True, "n": int(score.size), "note": note}
    bins = pd.cut(lateness, LATENESS_BINS, right=True)
    frame = pd.DataFrame({"bin": bins, "score": score, "low": score <= low_score_max})
    table = frame.groupby("bin", observed=True).agg(
        n=("score", "size"), mean_score=("score", "mean"), sd=("score", "std"), low=("low", "sum")
    )
    bin_rows = []
    for interval, row in table.iterrows():
        low_p = _proportion(int(row["low"]), int(row["n"]))
        bin_rows.append(
            {
                "days_late_above": float(interval.left),
                "days_late_at_most": float(interval.right),
                "n": int(row["n"]),
                "mean_score": float(row["mean_score"]),
                "se": float(row["sd"] / math.sqrt(row["n"])) if row["n"] > 1 else math.nan,
                "low_score_probability": low_p["value"],
                "low_score_ci95": low_p["ci95"],
            }
        )
    curve = fit_score_curve(lateness, score)
    low = fit_low_score(lateness, score <= low_score_max)
    on_time = lateness <= 0
    rows.add(
        "satisfaction.score_curve", "all", {"dist": curve["chosen"], **curve["params"]},
        curve["n"], source, False, f"{curve['form']}, chosen by AIC; " + note, aic=curve["aic"],
    )  # fmt: skip
    rows.add(
        "satisfaction.low_score_probability", "all", {"dist": "logistic", **low["params"]},
        low["n"], source, False, f"{low['form']}; low = score <= {low_score_max:g}",
        aic=low["aic"],
    )  # fmt: skip
    return {
        "mean_score_on_time": float(score[on_time].mean()) if on_time.any() else math.nan,
        "mean_score_late": float(score[~on_time].mean()) if (~on_time).any() else math.nan,
        "n_on_time": int(on_time.sum()),
        "n_late": int((~on_time).sum()),
        "low_score_max": low_score_max,
        "bins": bin_rows,
        "score_curve": curve,
        "low_score": low,
        "n": int(score.size),
        "source": source,
        "defaulted": False,
        "note": note,
    }


# --------------------------------------------------------------------------- customer loop


def churn_outcomes(orders: pd.DataFrame, end: pd.Timestamp, window_days: float) -> pd.DataFrame:
    """Each order with its customer's next order and whether the customer churned after it.

    An order churns when the customer places no further order within ``window_days`` after it.
    Censoring rule: only orders placed at least ``window_days`` before ``end`` (the last order
    time of the history) have a known outcome (``observed``); later orders are left out of the
    churn rate whether or not a next order was seen, because keeping only their repeats would bias
    the rate down. Columns: ``customer_id, ordered_at, gap_days`` (to the next order; NaN for the
    last), ``observed, churned``.
    """
    frame = orders[["customer_id", "ordered_at"]].sort_values(["customer_id", "ordered_at"])
    following = frame.groupby("customer_id")["ordered_at"].shift(-1)
    gap = (following - frame["ordered_at"]) / DAY
    observed = frame["ordered_at"] <= end - pd.Timedelta(days=window_days)
    churned = ~(gap <= window_days)
    return frame.assign(
        gap_days=gap.to_numpy(), observed=observed.to_numpy(), churned=churned.to_numpy()
    )


def _customer_loop(
    tables: dict[str, pd.DataFrame],
    segment_of_customer: pd.Series | None,
    rows: FitReport,
    window_days: float,
) -> dict:
    orders = tables.get("orders")
    if orders is None or orders.empty:
        return {}
    orders = orders[(orders["status"] != "cancelled")].dropna(subset=["customer_id", "ordered_at"])
    if orders.empty:
        return {}
    end = orders["ordered_at"].max()
    outcomes = churn_outcomes(orders, end, window_days)
    if segment_of_customer is not None:
        segment = outcomes["customer_id"].map(segment_of_customer).fillna("unassigned")
    else:
        segment = pd.Series("all", index=outcomes.index)
    loop = {}
    source = "orders.customer_id+ordered_at"
    cutoff = end - pd.Timedelta(days=window_days)
    for name, mine in outcomes.groupby(segment.astype(str), sort=True):
        per_customer = mine.groupby("customer_id")["ordered_at"].agg(["min", "size"])
        repeat = _proportion(int((per_customer["size"] > 1).sum()), len(per_customer))
        first_orders = mine.groupby("customer_id").head(1)
        early = first_orders[first_orders["observed"]]
        within = _proportion(int((~early["churned"]).sum()), len(early))
        gaps = mine["gap_days"].to_numpy(dtype=float)
        gaps = gaps[np.isfinite(gaps)]
        inter = _duration(rows, "customer_loop.inter_purchase_days", name, gaps, source, None)
        observed = mine[mine["observed"]]
        churn = _proportion(int(observed["churned"].sum()), len(observed))
        rule = (
            f"orders placed by {cutoff.date()} ({window_days:g} days before the last order of "
            f"the history); {int((~mine['observed']).sum())} later orders are censored and left "
            "out"
        )
        churn.update(window_days=window_days, rule=rule)
        if churn["n"]:
            daily = -math.log(max(1 - churn["value"], 1e-12)) / window_days
            churn["hazard_per_day"] = daily
        rows.add(
            "customer_loop.repeat_share", name, repeat["value"], repeat["n"], source, False,
            f"customers with 2+ orders / customers; within {window_days:g} days of the first "
            f"order (customers first seen by {cutoff.date()}): {within['value']:.4g}",
        )  # fmt: skip
        rows.add(
            "customer_loop.churn_probability", name, churn["value"], churn["n"], source,
            not churn["n"],
            f"no further order within {window_days:g} days; Wilson 95 % CI "
            f"[{churn['ci95'][0]:.4g}, {churn['ci95'][1]:.4g}]; " + rule,
        )  # fmt: skip
        loop[name] = {
            "customers": len(per_customer),
            "orders": len(mine),
            "repeat_share": repeat,
            "repeat_within_window": within,
            "inter_purchase_days": inter,
            "churn": churn,
            "source": source,
        }
    return loop


# --------------------------------------------------------------------------- entry point


def fit_behaviour(
    tables: dict[str, pd.DataFrame],
    segment_of_customer: pd.Series | None = None,
    report: FitReport | None = None,
    *,
    parts: Iterable[str] = PARTS,
    inactivity_days: float = DEFAULT_INACTIVITY_DAYS,
    post_promotion_weeks: int = 1,
    low_score_max: float = 2.0,
) -> dict:
    """Fit the customer-behaviour quantities from canonical, quality-checked history.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        Canonical tables by name, as the quality step returns them; only those present are used
        (``orders``, ``order_lines``, ``promotions``, ``opportunities``, ``tickets``).
    segment_of_customer : pandas.Series, optional
        Segment name indexed by ``customer_id``, for the customer loop; customers not in it are
        ``unassigned``. None: one segment ``all``.
    report : callable, optional
        Gets one row per fitted or defaulted quantity (the calibration's report, so that
        ``fit_report.csv`` lists these fits too); None: a report of its own, discarded.
    parts : iterable of str
        The blocks to fit, from :data:`PARTS` (default all of them).
    inactivity_days : float
        The churn window (days): a customer churns after an order when no order follows within it.
    post_promotion_weeks : int
        Weeks after a promotion counted as post-promotion weeks (the dip).
    low_score_max : float
        A score at most this is a low score (2 on a 1-5 scale).

    Returns
    -------
    dict
        Plain data for ``behaviour.yaml``: ``price_response``, ``pipeline``, ``after_sales``,
        ``satisfaction``, ``customer_loop`` (see ``docs/calibration.md``). NaN is written as
        None.
    """
    parts = tuple(parts)
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise InputError(
            f"fit_behaviour: unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}"
        )
    rows = FitReport() if report is None else report
    fits: dict[str, Callable[[], dict]] = {
        "price_response": lambda: _price_response(tables, rows, post_promotion_weeks),
        "pipeline": lambda: _pipeline(tables, rows),
        "after_sales": lambda: _after_sales(tables, rows),
        "satisfaction": lambda: _satisfaction(tables, rows, low_score_max),
        "customer_loop": lambda: _customer_loop(tables, segment_of_customer, rows, inactivity_days),
    }
    return _plain({part: fits[part]() for part in PARTS if part in parts})
