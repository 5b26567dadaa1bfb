"""Directly standardised rates (Dobson limits) and indirectly standardised ratios and rates."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from phm_core.stats._common import (
    ConfidenceLike,
    GroupBy,
    Groups,
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
from phm_core.stats._intervals import byars_limits, poisson_limits

#: The 2013 European Standard Population in 19 bands: 0-4, 5-9, ..., 85-89, 90+ (Eurostat 2013).
ESP2013: tuple[int, ...] = (
    5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000,
    7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000,
)  # fmt: skip

#: Fewest events for which a DSR is published (Fingertips rule; Morris et al. 2017).
DSR_MINIMUM_EVENTS = 10


def _band_values(
    df: pd.DataFrame,
    groups: Groups,
    reference: str | Sequence[float],
    age: str | None,
    name: str,
    function: str,
) -> np.ndarray:
    """Return one reference value per row: from a column, or from a sequence matched by band position.

    With a sequence the k values are matched to the age bands in ascending ``age`` order (or, without
    ``age``, to the rows of each group in the order given), and every group needs each band.
    """
    if isinstance(reference, str):
        require_columns(df, [reference], function)
        return numeric(df, reference, function)
    values = np.asarray(reference, dtype=float)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"{function}: {name} must be a column name or a sequence of numbers, one per age band")
    if (values < 0).any() or np.isnan(values).any():
        raise ValueError(f"{function}: {name} must hold non-negative numbers")
    k = values.size
    if age is None:
        sizes = groups.size()
        if (sizes != k).any():
            bad = int(np.flatnonzero(sizes != k)[0])
            raise ValueError(
                f"{function}: each group needs {k} rows, one per {name} band, in band order "
                f"(group {bad + 1} has {sizes[bad]}); pass age= to match bands by age instead"
            )
        order = np.argsort(groups.codes, kind="stable")
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        position = np.empty(len(df), dtype=np.int64)
        position[order] = np.arange(len(df)) - np.repeat(starts, sizes)
        return values[position]
    ages = numeric(df, age, function)
    bands = np.unique(ages[~np.isnan(ages)])
    if bands.size != k:
        raise ValueError(
            f"{function}: {name} has {k} bands but column {age!r} has {bands.size} distinct ages "
            f"({', '.join(f'{a:g}' for a in bands)})"
        )
    band_count = pd.DataFrame({"g": groups.codes, "a": ages}).drop_duplicates().groupby("g").size()
    if (band_count.reindex(range(groups.count), fill_value=0).to_numpy() != k).any():
        raise ValueError(f"{function}: every group needs a row for each of the {k} age bands")
    return values[np.searchsorted(bands, ages)]


def dsr(
    df: pd.DataFrame,
    *,
    count: str,
    population: str,
    standard_population: str | Sequence[float] | None = None,
    age: str | None = None,
    group_by: GroupBy = None,
    confidence: ConfidenceLike = 0.95,
    multiplier: float = 100_000,
    event_frequency: str | None = None,
) -> pd.DataFrame:
    """Directly standardised rates with Dobson confidence limits, one row per group.

    Each row of ``df`` is one age band of one group. The standard population is the 2013 European
    Standard Population (19 bands, 0-4 ... 90+) by default, or a column name, or a sequence of band
    populations matched by ascending ``age`` (or by row order within each group when ``age`` is None).
    Missing counts are taken as zero events. The Dobson limits use Byars' limits of the total count;
    a DSR with fewer than 10 events is not published (value and limits missing, ``reason`` says why).

    Non-independent events (e.g. people admitted more than once): give ``event_frequency``, a column
    holding how many events each person in the row had, with ``count`` holding the number of people;
    ``age`` is then required. The DSR counts every event, and the variance uses the squared
    frequencies, which widens the limits.
    """
    function = "dsr"
    require_frame(df, function)
    levels = confidence_levels(confidence)
    keys = group_columns(group_by)
    if event_frequency is not None and age is None:
        raise ValueError(f"{function}: event_frequency needs age= to know which rows share an age band")
    require_columns(df, [*keys, count, population, age, event_frequency], function)
    x = np.nan_to_num(numeric(df, count, function))
    n = numeric(df, population, function)
    if np.isnan(n).any() or (n <= 0).any():
        raise ValueError(f"{function}: populations must all be present and greater than zero ({population!r})")
    groups = make_groups(df, keys)
    reference = ESP2013 if standard_population is None else standard_population
    w = _band_values(df, groups, reference, age, "standard_population", function)
    if event_frequency is not None:
        f = numeric(df, event_frequency, function)
        if np.isnan(f).any() or (f < 1).any():
            raise ValueError(f"{function}: event frequencies must be whole numbers of at least 1")
        first = ~pd.DataFrame({"g": groups.codes, "a": df[age].to_numpy()}).duplicated().to_numpy()
    else:
        f = np.ones_like(x)
        first = np.ones(len(df), dtype=bool)
    events = f * x
    total_count = groups.sum(events)
    total_pop = groups.sum(np.where(first, n, 0.0))
    weight_total = groups.sum(np.where(first, w, 0.0))
    rate_sum = groups.sum(w * events / n)
    variance = groups.sum(w**2 * f**2 * x / n**2) / weight_total**2
    with np.errstate(invalid="ignore", divide="ignore"):
        value = rate_sum / weight_total
        spread = np.sqrt(variance / total_count)
    publish = total_count >= DSR_MINIMUM_EVENTS
    out = groups.keys.copy()
    out["total_count"] = total_count
    out["total_pop"] = total_pop
    out["value"] = np.where(publish, value * multiplier, np.nan)
    lower, upper = [], []
    for level in levels:
        low, high = byars_limits(total_count, z_value(level))
        lower.append(np.where(publish, (value + spread * (low - total_count)) * multiplier, np.nan))
        upper.append(np.where(publish, (value + spread * (high - total_count)) * multiplier, np.nan))
    add_limits(out, levels, lower, upper)
    method = "Dobson" if event_frequency is None else "Dobson, with variance for non-independent events"
    add_metadata(out, levels, f"dsr per {multiplier_text(multiplier)}", method)
    out["reason"] = np.where(publish, "", f"fewer than {DSR_MINIMUM_EVENTS} events")
    return out


def isr(
    df: pd.DataFrame,
    *,
    count: str,
    population: str,
    reference_count: str | Sequence[float],
    reference_population: str | Sequence[float],
    age: str | None = None,
    group_by: GroupBy = None,
    confidence: ConfidenceLike = 0.95,
    kind: str = "ratio",
    reference_value: float = 100,
    multiplier: float = 100_000,
) -> pd.DataFrame:
    """Indirectly standardised ratios (or rates): observed / expected events against a reference population.

    Each row of ``df`` is one age band of one group; the reference counts and populations are columns
    or sequences matched by band (see ``dsr``). Expected = sum of population x reference band rate.
    ``kind="ratio"`` gives observed / expected x ``reference_value`` (100: the reference is 100);
    ``kind="rate"`` gives observed / expected x the reference crude rate per ``multiplier``. Limits are
    the Poisson limits of the observed count (exact below 10, Byars from 10) scaled the same way.
    """
    function = "isr"
    require_frame(df, function)
    if kind not in ("ratio", "rate"):
        raise ValueError(f"{function}: kind must be 'ratio' or 'rate', not {kind!r}")
    levels = confidence_levels(confidence)
    keys = group_columns(group_by)
    require_columns(df, [*keys, count, population, age], function)
    x = np.nan_to_num(numeric(df, count, function))
    n = numeric(df, population, function)
    if np.isnan(n).any():
        raise ValueError(f"{function}: populations must all be present ({population!r})")
    groups = make_groups(df, keys)
    ref_x = _band_values(df, groups, reference_count, age, "reference_count", function)
    ref_n = _band_values(df, groups, reference_population, age, "reference_population", function)
    if (ref_n <= 0).any():
        raise ValueError(f"{function}: reference populations must be greater than zero")
    observed = groups.sum(x)
    expected = groups.sum(n * ref_x / ref_n)
    out = groups.keys.copy()
    out["observed"] = observed
    out["expected"] = expected
    if kind == "ratio":
        scale = np.full(groups.count, float(reference_value))
        statistic = f"indirectly standardised ratio (reference = {reference_value:g})"
    else:
        if isinstance(reference_count, str):
            reference_rate = groups.sum(ref_x) / groups.sum(ref_n)
        else:
            reference_rate = np.full(groups.count, np.sum(reference_count) / np.sum(reference_population))
        out["reference_rate"] = reference_rate * multiplier
        scale = reference_rate * multiplier
        statistic = f"indirectly standardised rate per {multiplier_text(multiplier)}"
    with np.errstate(invalid="ignore", divide="ignore"):
        out["value"] = np.where(expected > 0, observed / expected * scale, np.nan)
        lower, upper = [], []
        used_exact = observed < 10
        for level in levels:
            low, high, used_exact = poisson_limits(observed, level, z_value(level))
            lower.append(np.where(expected > 0, low / expected * scale, np.nan))
            upper.append(np.where(expected > 0, high / expected * scale, np.nan))
    add_limits(out, levels, lower, upper)
    add_metadata(out, levels, statistic, np.where(used_exact, "Exact", "Byars"))
    out["reason"] = np.where(expected > 0, "", "no expected events")
    return out
