"""Promotion lift by kind and the post-promotion dip, as ratios to each SKU's baseline week.

The SKU is the unit of independence: the 95 % intervals are percentile intervals of a bootstrap
over SKUs, drawn from a generator seeded by ``seed`` (the same data give the same result).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

BOOTSTRAP_DRAWS = 200


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
