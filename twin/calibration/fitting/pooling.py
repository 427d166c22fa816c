"""Fit each group of a table (a supplier, a segment) under one pooling rule: :func:`fit_grouped`."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from twin.calibration.fitting.continuous import fit_continuous
from twin.calibration.fitting.result import FitResult


def fit_grouped(
    frame: pd.DataFrame,
    group_col: str,
    value_col: str,
    fit: Callable[..., FitResult] = fit_continuous,
    min_n: int = 30,
    **fit_kwargs: Any,
) -> dict[Hashable, FitResult]:
    """Fit each group on its own when it has enough values, pool the small ones.

    The pooling rule: a group with at least ``min_n`` values gets its own fit. All groups with
    fewer are fitted together, once, and share that fit (``pooled=True``, ``pooled_groups``
    listing them). If those small groups hold fewer than ``min_n`` values between them, the pool
    is the whole column instead (every group's values), since a fit from the small groups alone
    would be no better founded than each of them.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per observation.
    group_col, value_col : str
        Column naming the group (a supplier, a segment) and column of values.
    fit : callable
        :func:`fit_continuous` or :func:`fit_count` (or any function of values returning a
        :class:`FitResult`).
    min_n : int
        Fewest values for a group to be fitted on its own.
    **fit_kwargs
        Passed to ``fit``.

    Returns
    -------
    dict
        Group value -> :class:`FitResult` with ``group`` set, in sorted group order.

    Raises
    ------
    ValueError
        If a column is missing, or from ``fit``.
    """
    for column in (group_col, value_col):
        if column not in frame.columns:
            raise ValueError(f"fit_grouped: no column {column!r}; columns are {list(frame)}")
    groups = {key: part[value_col].to_numpy() for key, part in frame.groupby(group_col, sort=True)}
    small = [key for key, values in groups.items() if len(values) < min_n]
    results: dict[Hashable, FitResult] = {}
    for key, values in groups.items():
        if key not in small:
            results[key] = replace(fit(values, **fit_kwargs), group=key)
    if small:
        pool = np.concatenate([groups[key] for key in small])
        whole = pool.size < min_n
        if whole:
            pool = frame[value_col].to_numpy()
        shared = fit(pool, **fit_kwargs)
        scope = "all groups" if whole else f"{len(small)} group(s) with < {min_n} values"
        for key in small:
            results[key] = replace(
                shared,
                group=key,
                pooled=True,
                pooled_groups=tuple(small),
                reason=f"pooled over {scope} (n = {pool.size}): {shared.reason}",
            )
    return {key: results[key] for key in groups}
