"""Funnel plot control limits for proportions, ratios and rates, and which points lie outside them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import gammainc

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

_KINDS = ("proportion", "ratio", "rate")


def poisson_control_counts(expected: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Continuous Poisson control limits (in events) around an expected count, from the gamma function.

    The lower limit is the count O whose exact upper confidence limit equals ``expected``
    (P(O + 1, E) = 1 - alpha/2) and the upper limit the count whose exact lower limit equals it
    (P(O, E) = alpha/2), as in the PHE funnel plot tools. Solved by bisection, vectorised.
    """
    e = np.asarray(expected, dtype=float)
    alpha = 1 - level

    def solve(target: float, offset: float) -> np.ndarray:
        low = np.zeros_like(e)
        high = e + 20 * np.sqrt(e + 1) + 20
        for _ in range(80):
            middle = (low + high) / 2
            value = gammainc(middle + offset, e)
            # gammainc decreases as the shape grows: too big a value means the shape is too small.
            too_small = value > target
            low = np.where(too_small, middle, low)
            high = np.where(too_small, high, middle)
        return (low + high) / 2

    lower = solve(1 - alpha / 2, 1.0)
    lower = np.where(gammainc(1.0, e) <= 1 - alpha / 2, 0.0, lower)
    upper = solve(alpha / 2, 0.0)
    return lower, upper


def _overdispersion(z_scores: np.ndarray, trim: float = 0.1) -> float:
    """Multiplicative overdispersion factor phi from Winsorised z-scores (Spiegelhalter 2005); at least 1."""
    z = z_scores[~np.isnan(z_scores)]
    if z.size == 0:
        return 1.0
    low, high = np.quantile(z, [trim, 1 - trim])
    phi = float(np.mean(np.clip(z, low, high) ** 2))
    return max(phi, 1.0)


def funnel_limits(
    df: pd.DataFrame,
    *,
    numerator: str,
    denominator: str,
    kind: str = "proportion",
    comparator: float | None = None,
    group_by: GroupBy = None,
    confidence: ConfidenceLike = (0.95, 0.998),
    multiplier: float | None = None,
    overdispersion: bool = False,
    denominators: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Funnel plot control limits around a comparator, and which points lie outside them.

    ``kind`` is "proportion" (numerator of denominator; normal approximation p +/- z sqrt(p(1-p)/n),
    kept within 0 and 1, as the PHE funnel tool), "ratio" (observed / expected, e.g. an ISR) or "rate"
    (events per population); ratios and rates use exact Poisson limits around the expected count.
    The comparator defaults to the pooled value of each group (sum of numerators / sum of denominators;
    1 for ratios). ``multiplier`` scales values and limits (100 for proportions and ratios, 100,000 for
    rates by default). ``overdispersion`` widens the limits by Spiegelhalter's multiplicative factor from
    10% Winsorised z-scores (normal approximation).

    Without ``denominators``: one row per row of ``df`` with ``value``, the limits at its denominator and
    ``significance`` ("High (0.001)", "High (0.025)", "Not significant", "Low (0.025)", "Low (0.001)"
    for 99.8% and 95% limits). With ``denominators``: the curves to draw, one row per group and
    denominator.
    """
    function = "funnel_limits"
    require_frame(df, function)
    if kind not in _KINDS:
        raise ValueError(f"{function}: kind must be one of {', '.join(_KINDS)}, not {kind!r}")
    levels = confidence_levels(confidence)
    keys = group_columns(group_by)
    require_columns(df, [*keys, numerator, denominator], function)
    x = numeric(df, numerator, function)
    n = numeric(df, denominator, function)
    if (n <= 0).any():
        raise ValueError(f"{function}: denominators must be greater than zero ({denominator!r})")
    if kind == "proportion" and (x > n).any():
        raise ValueError(f"{function}: a numerator is larger than its denominator")
    scale = multiplier if multiplier is not None else (100_000.0 if kind == "rate" else 100.0)
    groups = make_groups(df, keys)
    if comparator is not None:
        baseline = np.full(groups.count, float(comparator) / scale)
    elif kind == "ratio":
        baseline = np.ones(groups.count)
    else:
        present = ~(np.isnan(x) | np.isnan(n))
        baseline = groups.sum(np.where(present, x, 0.0)) / groups.sum(np.where(present, n, 0.0))

    with np.errstate(invalid="ignore", divide="ignore"):
        value = x / n
        base = baseline[groups.codes]
        spread = np.sqrt(base * (1 - base) / n) if kind == "proportion" else np.sqrt(base / n)
        z_scores = (value - baseline[groups.codes]) / spread
    phi = np.ones(groups.count)
    if overdispersion:
        for g in range(groups.count):
            phi[g] = _overdispersion(z_scores[groups.codes == g])

    def limits_at(codes: np.ndarray, size: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
        base = baseline[codes]
        if overdispersion or kind == "proportion":
            if kind == "proportion":
                sd = np.sqrt(base * (1 - base) / size)
            else:
                sd = np.sqrt(base / size)
            half = z_value(level) * np.sqrt(phi[codes]) * sd
            low, high = base - half, base + half
            if kind == "proportion":
                return np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)
            return np.maximum(low, 0.0), high
        low_count, high_count = poisson_control_counts(base * size, level)
        return low_count / size, high_count / size

    if denominators is not None:
        axis = np.asarray(denominators, dtype=float)
        if axis.ndim != 1 or axis.size == 0 or (axis <= 0).any():
            raise ValueError(f"{function}: denominators must be a sequence of positive numbers")
        codes = np.repeat(np.arange(groups.count), axis.size)
        size = np.tile(axis, groups.count)
        out = groups.keys.loc[codes].reset_index(drop=True)
        out[denominator] = size
        out["comparator"] = baseline[codes] * scale
        lows, highs = zip(*(limits_at(codes, size, level) for level in levels), strict=True)
        add_limits(out, levels, [low * scale for low in lows], [high * scale for high in highs])
        add_metadata(out, levels, _statistic(kind, scale), _method(kind, overdispersion))
        return out

    out = df.copy()
    out["value"] = value * scale
    out["comparator"] = baseline[groups.codes] * scale
    lows, highs = zip(*(limits_at(groups.codes, n, level) for level in levels), strict=True)
    add_limits(out, levels, [low * scale for low in lows], [high * scale for high in highs])
    significance = np.full(len(df), "Not significant", dtype=object)
    for level, low, high in sorted(zip(levels, lows, highs, strict=True), key=lambda item: item[0]):
        tail = f"{(1 - level) / 2:.4g}".lstrip("0") if level < 1 else ""
        significance = np.where(value > high, f"High (0{tail})", significance)
        significance = np.where(value < low, f"Low (0{tail})", significance)
    significance = np.where(np.isnan(value), "Not applicable", significance)
    out["significance"] = significance
    add_metadata(out, levels, _statistic(kind, scale), _method(kind, overdispersion))
    if overdispersion:
        out["overdispersion"] = phi[groups.codes]
    return out


def _statistic(kind: str, scale: float) -> str:
    names = {"proportion": "proportion", "ratio": "ratio", "rate": "rate"}
    return f"{names[kind]} funnel limits (x {multiplier_text(scale)})"


def _method(kind: str, overdispersion: bool) -> str:
    base = "normal approximation" if kind == "proportion" else "exact Poisson"
    if overdispersion:
        base = "normal approximation with multiplicative overdispersion (10% Winsorised)"
    return base


__all__ = ["funnel_limits", "poisson_control_counts"]
