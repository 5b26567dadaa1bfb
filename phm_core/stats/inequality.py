"""Slope and relative index of inequality across deprivation quantiles, with simulated confidence limits."""

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
    limit_columns,
    make_groups,
    multiplier_text,
    numeric,
    require_columns,
    require_frame,
    z_value,
)

#: Seed used when no generator is given, so that the simulated limits are reproducible by default.
SII_DEFAULT_SEED = 20_240_501

#: Most simulated values (repetitions x groups x quantiles) held in memory at once.
_CHUNK = 4_000_000

_VALUE_TYPES = ("normal", "rate", "proportion")


def _forward(values: np.ndarray, value_type: str) -> np.ndarray:
    if value_type == "rate":
        return np.log(values)
    if value_type == "proportion":
        return np.log(values / (1 - values))
    return values


def _inverse(values: np.ndarray, value_type: str) -> np.ndarray:
    if value_type == "rate":
        return np.exp(values)
    if value_type == "proportion":
        return 1 / (1 + np.exp(-values))
    return values


def _fit(y: np.ndarray, share: np.ndarray, rank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Population-weighted least squares of y on relative rank along the last axis: (intercept, slope)."""
    mean_rank = np.sum(share * rank, axis=-1, keepdims=True)
    mean_y = np.sum(share * y, axis=-1, keepdims=True)
    slope = np.sum(share * (rank - mean_rank) * (y - mean_y), axis=-1) / np.sum(
        share * (rank - mean_rank) ** 2, axis=-1
    )
    intercept = mean_y[..., 0] - slope * mean_rank[..., 0]
    return intercept, slope


def _indices(
    y: np.ndarray, share: np.ndarray, rank: np.ndarray, transform: bool, value_type: str
) -> tuple[np.ndarray, np.ndarray]:
    """SII (fitted value at rank 1 minus rank 0) and RII (their ratio), back-transformed if needed."""
    intercept, slope = _fit(y, share, rank)
    if transform and value_type != "normal":
        at_zero = _inverse(intercept, value_type)
        at_one = _inverse(intercept + slope, value_type)
    else:
        at_zero = intercept
        at_one = intercept + slope
    with np.errstate(divide="ignore", invalid="ignore"):
        return at_one - at_zero, at_one / at_zero


def sii(
    df: pd.DataFrame,
    *,
    quantile: str,
    population: str,
    value: str,
    group_by: GroupBy = None,
    confidence: ConfidenceLike = 0.95,
    se: str | None = None,
    lower_cl: str | None = None,
    upper_cl: str | None = None,
    value_type: str = "normal",
    transform: bool = False,
    multiplier: float = 1,
    repetitions: int = 100_000,
    rii: bool = False,
    polarity: str | None = None,
    rng: np.random.Generator | int | None = None,
) -> pd.DataFrame:
    """Slope index of inequality (and optionally the relative index) with simulated confidence limits.

    ``df`` has one row per quantile per group, quantile 1 the most deprived. Each quantile gets a
    relative rank, the midpoint of its share of the group's population, and the SII is the slope of a
    population-weighted least-squares line of ``value`` on rank: the fitted value in the least deprived
    (rank 1) minus the most deprived (rank 0). The RII is their ratio. ``value_type`` "rate" or
    "proportion" takes standard errors from the 95% limits on the log or logit scale; ``transform``
    fits the line on that scale and transforms back. Limits come from ``repetitions`` simulations
    of every quantile's value (normal on the analysis scale) with the generator ``rng`` (a seed or a
    ``numpy.random.Generator``; a fixed seed by default, so results are reproducible). A negative
    ``multiplier`` flips the sign of the SII and inverts the RII. ``direction`` says which end the
    fitted line is higher at and, given ``polarity``, ``inequality`` says who fares worse and whether
    the gradient is significant at the first confidence level.
    """
    function = "sii"
    require_frame(df, function)
    if value_type not in _VALUE_TYPES:
        raise ValueError(f"{function}: value_type must be one of {', '.join(_VALUE_TYPES)}, not {value_type!r}")
    if se is None and (lower_cl is None or upper_cl is None):
        raise ValueError(f"{function}: give either se= or both lower_cl= and upper_cl= (the 95% limits)")
    if transform and se is not None and value_type != "normal":
        raise ValueError(f"{function}: transform=True needs the 95% limits, not a standard error")
    if repetitions < 1000:
        raise ValueError(f"{function}: repetitions must be at least 1,000")
    if polarity is not None and polarity not in ("high is good", "low is good", "no polarity"):
        raise ValueError(f"{function}: polarity must be 'high is good', 'low is good' or 'no polarity'")
    levels = confidence_levels(confidence)
    keys = group_columns(group_by)
    require_columns(df, [*keys, quantile, population, value, se, lower_cl, upper_cl], function)
    generator = (
        rng if isinstance(rng, np.random.Generator) else np.random.default_rng(SII_DEFAULT_SEED if rng is None else rng)
    )

    q = numeric(df, quantile, function)
    pop = numeric(df, population, function)
    y = numeric(df, value, function, allow_negative=value_type == "normal")
    groups = make_groups(df, keys)
    if pd.DataFrame({"g": groups.codes, "q": q}).duplicated().any():
        raise ValueError(f"{function}: a group has more than one row for the same quantile")
    z95 = z_value(0.95)
    with np.errstate(divide="ignore", invalid="ignore"):
        if se is not None:
            spread = numeric(df, se, function)
        else:
            low = numeric(df, lower_cl, function, allow_negative=True)
            high = numeric(df, upper_cl, function, allow_negative=True)
            if value_type == "normal":
                spread = (high - low) / (2 * z95)
            else:
                spread = (_forward(high, value_type) - _forward(low, value_type)) / (2 * z95)
    if value_type == "proportion" and ((y <= 0) | (y >= 1)).any():
        raise ValueError(f"{function}: proportions must lie strictly between 0 and 1 (scale percentages first)")

    # Arrange as groups x quantiles, ordered by quantile, padding groups with fewer quantiles.
    order = np.lexsort((q, groups.codes))
    sizes = groups.size()
    width = int(sizes.max())
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    column = np.arange(len(df)) - np.repeat(starts, sizes)
    shape = (groups.count, width)
    Y, P, S = (np.zeros(shape) for _ in range(3))
    present = np.zeros(shape, dtype=bool)
    codes = groups.codes[order]
    Y[codes, column] = y[order]
    P[codes, column] = pop[order]
    S[codes, column] = spread[order]
    present[codes, column] = True

    reasons = np.full(groups.count, "", dtype=object)
    invalid = present & (np.isnan(Y) | np.isnan(P) | np.isnan(S) | (P <= 0))
    reasons[invalid.any(axis=1)] = "missing or zero value, population or standard error in a quantile"
    reasons[(sizes < 2) & (reasons == "")] = "fewer than two quantiles"
    valid = reasons == ""
    Y = np.where(present & valid[:, None], np.nan_to_num(Y), 0.0)
    P = np.where(present & valid[:, None], np.nan_to_num(P), 0.0)
    S = np.where(present & valid[:, None], np.nan_to_num(S), 0.0)
    P[~valid, 0] = 1.0
    P[~valid, -1] = P[~valid, -1] + 1.0

    share = P / P.sum(axis=1, keepdims=True)
    rank = np.cumsum(share, axis=1) - share / 2
    scale_y = _forward(np.where(present & valid[:, None], Y, 0.5), value_type) if value_type != "normal" else Y
    fit_y = scale_y if transform else Y
    sii_value, rii_value = _indices(fit_y, share, rank, transform, value_type)

    # Simulation, in chunks of repetitions to bound memory.
    per_rep = groups.count * width
    chunk = max(1, _CHUNK // per_rep)
    sims_sii = np.empty((repetitions, groups.count))
    sims_rii = np.empty((repetitions, groups.count))
    done = 0
    while done < repetitions:
        take = min(chunk, repetitions - done)
        draws = scale_y + S * generator.standard_normal((take, groups.count, width))
        if not transform and value_type != "normal":
            draws = _inverse(draws, value_type)
        draws = np.where(present, draws, 0.0)
        sims_sii[done : done + take], sims_rii[done : done + take] = _indices(draws, share, rank, transform, value_type)
        done += take

    flip = multiplier < 0
    out = groups.keys.copy()
    out["value"] = np.where(valid, sii_value * multiplier, np.nan)
    lower, upper, rii_lower, rii_upper = [], [], [], []
    for level in levels:
        tail = (1 - level) / 2
        low, high = np.quantile(sims_sii, [tail, 1 - tail], axis=0) * multiplier
        rlow, rhigh = np.quantile(sims_rii, [tail, 1 - tail], axis=0)
        if flip:
            low, high = high, low
            rlow, rhigh = 1 / rhigh, 1 / rlow
        lower.append(np.where(valid, low, np.nan))
        upper.append(np.where(valid, high, np.nan))
        rii_lower.append(np.where(valid, rlow, np.nan))
        rii_upper.append(np.where(valid, rhigh, np.nan))
    add_limits(out, levels, lower, upper)
    if rii:
        out["rii"] = np.where(valid, 1 / rii_value if flip else rii_value, np.nan)
        for (lo_name, hi_name), rlow, rhigh in zip(limit_columns(levels), rii_lower, rii_upper, strict=True):
            out[f"rii_{lo_name}"] = rlow
            out[f"rii_{hi_name}"] = rhigh
    scale_name = {"normal": "", "rate": ", log scale" if transform else "", "proportion": ""}[value_type]
    if value_type == "proportion" and transform:
        scale_name = ", logit scale"
    add_metadata(
        out,
        levels,
        f"slope index of inequality (x {multiplier_text(multiplier)})",
        f"weighted regression{scale_name}; limits by simulation, {repetitions} repetitions",
    )
    higher_least = sii_value * np.sign(multiplier or 1) > 0
    out["direction"] = np.where(
        ~valid, "", np.where(higher_least, "higher in least deprived", "lower in least deprived")
    )
    significant = (lower[0] > 0) | (upper[0] < 0)
    if polarity in ("high is good", "low is good"):
        raw_higher_least = sii_value > 0
        good_high = polarity == "high is good"
        deprived_worse = raw_higher_least == good_high
        text = np.where(deprived_worse, "most deprived fare worse", "most deprived fare better")
        out["inequality"] = np.where(~valid, "", np.where(significant, text, "no significant gradient"))
    out["reason"] = reasons
    return out
