"""Benchmarking as Fingertips does it, and trend markers over the most recent points."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtr

from phm_core.stats._common import (
    ConfidenceLike,
    GroupBy,
    add_limits,
    add_metadata,
    confidence_levels,
    group_columns,
    level_tag,
    make_groups,
    numeric,
    require_columns,
    require_frame,
    z_value,
)
from phm_core.stats.quantiles import quantile_numbers

POLARITIES = ("high is good", "low is good", "no polarity")

_QUINTILE_LABELS = {
    "high is good": ("best", "better", "middle", "worse", "worst"),
    "low is good": ("best", "better", "middle", "worse", "worst"),
    "no polarity": ("highest", "high", "middle", "low", "lowest"),
}


def _check_polarity(polarity: str, function: str) -> str:
    text = str(polarity).strip().lower().removeprefix("rag - ")
    if text not in POLARITIES:
        raise ValueError(f"{function}: polarity must be one of {', '.join(map(repr, POLARITIES))}, not {polarity!r}")
    return text


def _find_limits(df: pd.DataFrame, levels: tuple[float, ...], function: str) -> list[tuple[str, str]]:
    """Find the limit columns for each level: lowercl/uppercl for one level, lower95_0cl ... otherwise."""
    names: list[tuple[str, str]] = []
    for level in levels:
        tagged = (f"lower{level_tag(level)}cl", f"upper{level_tag(level)}cl")
        if tagged[0] in df.columns and tagged[1] in df.columns:
            names.append(tagged)
        elif len(levels) == 1 and "lowercl" in df.columns and "uppercl" in df.columns:
            names.append(("lowercl", "uppercl"))
        else:
            raise ValueError(
                f"{function}: no limit columns for the {level:.1%} level (expected {tagged[0]!r} and {tagged[1]!r})"
            )
    return names


def benchmark(
    df: pd.DataFrame,
    *,
    comparator: float | str,
    polarity: str,
    value: str = "value",
    group_by: GroupBy = None,
    confidence: ConfidenceLike = (0.95, 0.998),
) -> pd.DataFrame:
    """Compare each area with a comparator (England, region, peer group) as Fingertips does.

    An area is significantly different when the comparator value lies outside the area's confidence
    interval at that level. ``comparator`` is a number or a column (e.g. England's value on each row);
    the limit columns are found by the naming convention of this package (``lowercl``/``uppercl`` for one
    level, ``lower95_0cl`` ... for several). For each level a column ``benchmark_95_0``,
    ``benchmark_99_8`` ... holds "better"/"similar"/"worse" ("higher"/"similar"/"lower" when there is no
    polarity). ``benchmark`` combines the levels: "best"/"worst" ("highest"/"lowest") when different at
    the widest level, "better"/"worse" ("higher"/"lower") when different only at narrower ones, else
    "similar"; "not compared" when the value or limits are missing. ``quintile`` ranks the areas
    within ``group_by`` (1 = best, or 1 = highest with no polarity) and ``quintile_label`` names it.
    """
    function = "benchmark"
    require_frame(df, function)
    polarity = _check_polarity(polarity, function)
    levels = confidence_levels(confidence)
    keys = group_columns(group_by)
    require_columns(df, [*keys, value], function)
    names = _find_limits(df, levels, function)
    v = numeric(df, value, function, allow_negative=True)
    if isinstance(comparator, str):
        require_columns(df, [comparator], function)
        comp = numeric(df, comparator, function, allow_negative=True)
    else:
        comp = np.full(len(df), float(comparator))
    up, down = {"high is good": ("better", "worse"), "low is good": ("worse", "better")}.get(
        polarity, ("higher", "lower")
    )
    out = df.copy()
    missing = np.isnan(v) | np.isnan(comp)
    widest = np.full(len(df), "", dtype=object)
    narrower = np.full(len(df), "", dtype=object)
    for index, (level, (low_name, high_name)) in enumerate(
        sorted(zip(levels, names, strict=True), key=lambda item: -item[0])
    ):
        low = numeric(df, low_name, function, allow_negative=True)
        high = numeric(df, high_name, function, allow_negative=True)
        gap = missing | np.isnan(low) | np.isnan(high)
        label = np.where(low > comp, up, np.where(high < comp, down, "similar"))
        label = np.where(gap, "not compared", label)
        out[f"benchmark_{level_tag(level)}"] = label
        if index == 0:
            widest = label
        else:
            narrower = np.where(narrower == "", label, narrower)
    strong = {"better": "best", "worse": "worst", "higher": "highest", "lower": "lowest"}
    combined = np.array([strong.get(label, label) for label in widest], dtype=object)
    if len(levels) > 1:
        combined = np.where(combined == "similar", narrower, combined)
    out["benchmark"] = combined
    groups = make_groups(df, keys)
    invert = polarity != "low is good"
    sizes = np.bincount(groups.codes[~np.isnan(v)], minlength=groups.count)
    if (sizes[sizes > 0] >= 5).all():
        numbers = quantile_numbers(v, groups.codes, groups.count, 5, invert)
        labels = np.array(("",) + _QUINTILE_LABELS[polarity], dtype=object)
        out["quintile"] = pd.array(np.where(numbers > 0, numbers, 0), dtype="Int64")
        out.loc[numbers == 0, "quintile"] = pd.NA
        out["quintile_label"] = labels[numbers]
    else:
        out["quintile"] = pd.array([pd.NA] * len(df), dtype="Int64")
        out["quintile_label"] = "too few areas to rank"
    out["polarity"] = polarity
    return out


def trend(
    df: pd.DataFrame,
    *,
    time: str,
    kind: str = "proportion",
    numerator: str | None = None,
    denominator: str | None = None,
    value: str | None = None,
    lower_cl: str | None = None,
    upper_cl: str | None = None,
    polarity: str = "no polarity",
    group_by: GroupBy = None,
    confidence: ConfidenceLike = 0.95,
    points: int = 5,
) -> pd.DataFrame:
    """Trend marker over the last ``points`` (default five) time points of each group.

    Methods (one row per group; ``value`` is the slope per time step with its limits):

    * ``kind="proportion"``: chi-square test for linear trend (Cochran-Armitage) on ``numerator`` of
      ``denominator``; the slope is the change in proportion per step.
    * ``kind="rate"``: score (chi-square) test for a log-linear trend in Poisson counts (``numerator``
      events in ``denominator`` population); the slope is the change in log rate per step.
    * ``kind="value"``: weighted least-squares regression of ``value`` on time, weights 1/se^2 with se
      from the 95% limits ``lower_cl``/``upper_cl``.

    ``trend`` is "increasing", "decreasing" or "no significant change" at the (first) confidence level,
    followed by "and getting better/worse" when ``polarity`` is given; "could not be calculated" when
    fewer than ``points`` points are available. ``p_value`` is two-sided.
    """
    function = "trend"
    require_frame(df, function)
    polarity = _check_polarity(polarity, function)
    levels = confidence_levels(confidence)
    if kind not in ("proportion", "rate", "value"):
        raise ValueError(f"{function}: kind must be 'proportion', 'rate' or 'value', not {kind!r}")
    needed = [numerator, denominator] if kind != "value" else [value, lower_cl, upper_cl]
    if any(column is None for column in needed):
        wants = "numerator= and denominator=" if kind != "value" else "value=, lower_cl= and upper_cl="
        raise ValueError(f"{function}: kind={kind!r} needs {wants}")
    keys = group_columns(group_by)
    require_columns(df, [*keys, time, *needed], function)
    if points < 3:
        raise ValueError(f"{function}: at least three points are needed for a trend")
    t_all = numeric(df, time, function, allow_negative=True)
    groups = make_groups(df, keys)
    # Keep the last `points` rows of each group by time.
    frame = pd.DataFrame({"g": groups.codes, "t": t_all, "row": np.arange(len(df))})
    frame = frame.sort_values(["g", "t"], kind="stable")
    frame["from_end"] = frame.groupby("g").cumcount(ascending=False)
    kept = frame[frame["from_end"] < points].sort_values(["g", "t"], kind="stable")
    rows = kept["row"].to_numpy()
    codes = kept["g"].to_numpy()
    counts = np.bincount(codes, minlength=groups.count)
    enough = counts == points
    if pd.DataFrame({"g": codes, "t": t_all[rows]}).duplicated().any():
        raise ValueError(f"{function}: a group has two rows for the same time point")
    step = kept.groupby("g").cumcount().to_numpy().astype(float)  # 0 .. points-1, equally spaced steps

    def per_group(values: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=values, minlength=groups.count)

    with np.errstate(invalid="ignore", divide="ignore"):
        if kind == "proportion":
            x = numeric(df, numerator, function)[rows]  # type: ignore[arg-type]
            n = numeric(df, denominator, function)[rows]  # type: ignore[arg-type]
            if (x > n).any():
                raise ValueError(f"{function}: a numerator is larger than its denominator")
            p_bar = per_group(x) / per_group(n)
            t_bar = per_group(n * step) / per_group(n)
            dev = step - t_bar[codes]
            statistic = per_group(x * dev)
            information = per_group(n * dev**2)
            slope = statistic / information
            slope_se = np.sqrt(p_bar * (1 - p_bar) / information)
            method = "chi-square test for trend (Cochran-Armitage)"
        elif kind == "rate":
            x = numeric(df, numerator, function)[rows]  # type: ignore[arg-type]
            n = numeric(df, denominator, function)[rows]  # type: ignore[arg-type]
            expected = n * (per_group(x) / per_group(n))[codes]
            t_bar = per_group(expected * step) / per_group(expected)
            dev = step - t_bar[codes]
            statistic = per_group((x - expected) * dev)
            information = per_group(expected * dev**2)
            slope = statistic / information
            slope_se = 1 / np.sqrt(information)
            method = "chi-square (score) test for log-linear trend in Poisson counts"
        else:
            y = numeric(df, value, function, allow_negative=True)[rows]  # type: ignore[arg-type]
            low = numeric(df, lower_cl, function, allow_negative=True)[rows]  # type: ignore[arg-type]
            high = numeric(df, upper_cl, function, allow_negative=True)[rows]  # type: ignore[arg-type]
            weight = 1 / ((high - low) / (2 * z_value(0.95))) ** 2
            t_bar = per_group(weight * step) / per_group(weight)
            y_bar = per_group(weight * y) / per_group(weight)
            dev = step - t_bar[codes]
            information = per_group(weight * dev**2)
            slope = per_group(weight * dev * (y - y_bar[codes])) / information
            slope_se = 1 / np.sqrt(information)
            method = "weighted least-squares regression (weights 1/se^2)"
        z = slope / slope_se
        p_value = 2 * (1 - ndtr(np.abs(z)))
    valid = enough & np.isfinite(z)
    out = groups.keys.copy()
    out["points"] = counts
    out["value"] = np.where(valid, slope, np.nan)
    add_limits(
        out,
        levels,
        [np.where(valid, slope - z_value(level) * slope_se, np.nan) for level in levels],
        [np.where(valid, slope + z_value(level) * slope_se, np.nan) for level in levels],
    )
    out["p_value"] = np.where(valid, p_value, np.nan)
    significant = valid & (p_value < 1 - levels[0])
    direction = np.where(slope > 0, "increasing", "decreasing")
    if polarity == "no polarity":
        label = direction
    else:
        good = (slope > 0) == (polarity == "high is good")
        label = np.char.add(direction.astype(str), np.where(good, " and getting better", " and getting worse"))
    out["trend"] = np.where(~enough, "could not be calculated", np.where(significant, label, "no significant change"))
    out.loc[enough & ~np.isfinite(z), "trend"] = "could not be calculated"
    add_metadata(out, levels, f"trend over the last {points} points (slope per time step)", method)
    return out


__all__ = ["POLARITIES", "benchmark", "trend"]
