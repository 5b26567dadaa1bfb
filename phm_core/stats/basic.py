"""Proportions, crude rates and means with the standard PHE confidence-interval methods."""

from __future__ import annotations

import numpy as np
import pandas as pd

from phm_core.stats._common import (
    ConfidenceLike,
    GroupBy,
    add_limits,
    add_metadata,
    confidence_levels,
    group_columns,
    make_groups,
    multiplier_text,
    numeric,
    require_columns,
    require_frame,
    z_value,
)
from phm_core.stats._intervals import poisson_limits, student_t_quantile, wilson_limits


def _row_or_group_totals(
    df: pd.DataFrame, columns: list[str], group_by: GroupBy, function: str
) -> tuple[pd.DataFrame, list[np.ndarray]]:
    """Return the frame to write results into and the (summed) input columns.

    Without ``group_by`` each row is its own group and keeps all its columns; with ``group_by`` the
    inputs are summed within each group and the result has one row per group.
    """
    keys = group_columns(group_by)
    require_columns(df, [*keys, *columns], function)
    arrays = [numeric(df, column, function) for column in columns]
    if not keys:
        return df.copy(), arrays
    groups = make_groups(df, keys)
    out = groups.keys.copy()
    totals = [groups.sum(values) for values in arrays]
    for column, total in zip(columns, totals, strict=True):
        out[column] = total
    return out, totals


def proportion(
    df: pd.DataFrame,
    *,
    numerator: str,
    denominator: str,
    group_by: GroupBy = None,
    confidence: ConfidenceLike = 0.95,
    multiplier: float = 1,
) -> pd.DataFrame:
    """Proportions with Wilson score confidence limits, one row per row of ``df`` or per group.

    ``value`` = numerator / denominator x ``multiplier`` (1 for a proportion, 100 for a percentage).
    With ``group_by`` the numerators and denominators are summed within each group first. Missing
    inputs give missing results; a zero or negative denominator, a negative numerator or a numerator
    above its denominator is impossible and raises ValueError.
    """
    function = "proportion"
    require_frame(df, function)
    levels = confidence_levels(confidence)
    out, (x, n) = _row_or_group_totals(df, [numerator, denominator], group_by, function)
    if (n <= 0).any():
        raise ValueError(f"{function}: denominators must be greater than zero ({denominator!r})")
    if (x > n).any():
        raise ValueError(f"{function}: a numerator is larger than its denominator ({numerator!r} > {denominator!r})")
    out["value"] = x / n * multiplier
    limits = [wilson_limits(x, n, z_value(level)) for level in levels]
    add_limits(out, levels, [low * multiplier for low, _ in limits], [high * multiplier for _, high in limits])
    statistic = "percentage" if multiplier == 100 else f"proportion of {multiplier_text(multiplier)}"
    add_metadata(out, levels, statistic, "Wilson")
    return out


def rate(
    df: pd.DataFrame,
    *,
    count: str,
    population: str,
    multiplier: float = 100_000,
    group_by: GroupBy = None,
    confidence: ConfidenceLike = 0.95,
) -> pd.DataFrame:
    """Crude rates per ``multiplier`` with exact Poisson limits below 10 events and Byars' from 10.

    One row per row of ``df``, or per group after summing counts and populations within ``group_by``.
    ``method`` says which limits each row used. Missing inputs give missing results; a zero or
    negative population or a negative count raises ValueError.
    """
    function = "rate"
    require_frame(df, function)
    levels = confidence_levels(confidence)
    out, (x, n) = _row_or_group_totals(df, [count, population], group_by, function)
    if (n <= 0).any():
        raise ValueError(f"{function}: populations must be greater than zero ({population!r})")
    out["value"] = x / n * multiplier
    lower, upper = [], []
    used_exact = np.zeros(len(x), dtype=bool)
    for level in levels:
        low, high, used_exact = poisson_limits(x, level, z_value(level))
        lower.append(low / n * multiplier)
        upper.append(high / n * multiplier)
    add_limits(out, levels, lower, upper)
    method = pd.Categorical.from_codes(np.where(np.isnan(x), -1, used_exact.astype(np.int8)), ["Byars", "Exact"])
    add_metadata(out, levels, f"rate per {multiplier_text(multiplier)}", method)
    return out


def mean(
    df: pd.DataFrame,
    *,
    value: str,
    group_by: GroupBy = None,
    confidence: ConfidenceLike = 0.95,
) -> pd.DataFrame:
    """Means with Student's t confidence limits, one row per group (the whole frame without ``group_by``).

    Missing values are left out of the mean and the count; a group with one value has no limits.
    Output columns: the group keys, ``value_sum``, ``value_count``, ``stdev``, ``value`` and the limits.
    """
    function = "mean"
    require_frame(df, function)
    levels = confidence_levels(confidence)
    keys = group_columns(group_by)
    require_columns(df, [*keys, value], function)
    values = numeric(df, value, function, allow_negative=True)
    groups = make_groups(df, keys)
    present = ~np.isnan(values)
    codes = groups.codes[present]
    kept = values[present]
    count = np.bincount(codes, minlength=groups.count).astype(float)
    total = np.bincount(codes, weights=kept, minlength=groups.count)
    with np.errstate(invalid="ignore", divide="ignore"):
        average = total / count
        squares = np.bincount(codes, weights=(kept - average[codes]) ** 2, minlength=groups.count)
        stdev = np.sqrt(squares / (count - 1))
    out = groups.keys.copy()
    out["value_sum"] = total
    out["value_count"] = count.astype(np.int64)
    out["stdev"] = stdev
    out["value"] = average
    lower, upper = [], []
    for level in levels:
        with np.errstate(invalid="ignore", divide="ignore"):
            half = student_t_quantile(level, count - 1) * stdev / np.sqrt(count)
        lower.append(average - half)
        upper.append(average + half)
    add_limits(out, levels, lower, upper)
    add_metadata(out, levels, "mean", "Student's t-distribution")
    return out
