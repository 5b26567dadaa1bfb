"""Life expectancy from an abridged life table (Chiang II) with Silcocks' variance for the final band."""

from __future__ import annotations

from collections.abc import Sequence

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
    numeric,
    require_columns,
    require_frame,
    z_value,
)

#: Start ages of the standard abridged bands: 0, 1-4, 5-9, ..., 85-89, 90+.
STANDARD_AGE_BANDS: tuple[int, ...] = (0, 1, *range(5, 95, 5))

#: Life expectancy is not published for a group whose total population is this or less (PHE guidance).
LIFE_EXPECTANCY_MINIMUM_POPULATION = 5_000

#: Life expectancy is not published where the 95% confidence interval is wider than this many years.
LIFE_EXPECTANCY_MAXIMUM_CI_WIDTH = 20.0

#: Radix of the life table (the notional cohort at birth).
RADIX = 100_000.0


def age_bands(final_age: int = 90) -> tuple[int, ...]:
    """Return the band start ages 0, 1, 5, 10, ..., ``final_age`` (the last band is open-ended)."""
    if final_age < 5 or final_age % 5:
        raise ValueError(f"the final age band must start at a multiple of 5 of at least 5, not {final_age}")
    return (0, 1, *range(5, final_age + 5, 5))


def _life_table(deaths: np.ndarray, population: np.ndarray, bands: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Chiang II life table for groups x bands arrays; return (life expectancy, its variance) at each band.

    a = 0.1 in the first year of life and 0.5 elsewhere; the final band is open, with L = l / M and
    Silcocks' variance term l^2 / M^4 * D / P^2 (Silcocks, Jenner & Reza 2001).
    """
    width = np.diff(bands).astype(float)  # bands - 1 closed widths
    fraction = np.where(bands[:-1] == 0, 0.1, 0.5)
    rate_ = deaths / population
    m = rate_[:, :-1]
    q = width * m / (1 + width * (1 - fraction) * m)
    groups, band_count = deaths.shape
    alive = np.empty((groups, band_count))
    alive[:, 0] = RADIX
    alive[:, 1:] = RADIX * np.cumprod(1 - q, axis=1)
    dying = alive[:, :-1] - alive[:, 1:]
    years = np.empty((groups, band_count))
    years[:, :-1] = width * (alive[:, 1:] + fraction * dying)
    with np.errstate(divide="ignore", invalid="ignore"):
        years[:, -1] = alive[:, -1] / rate_[:, -1]
        total_years = np.cumsum(years[:, ::-1], axis=1)[:, ::-1]
        expectancy = total_years / alive
        q_variance = np.where(deaths[:, :-1] > 0, q**2 * (1 - q) / deaths[:, :-1], 0.0)
        terms = np.empty((groups, band_count))
        terms[:, :-1] = alive[:, :-1] ** 2 * ((1 - fraction) * width + expectancy[:, 1:]) ** 2 * q_variance
        terms[:, -1] = alive[:, -1] ** 2 / rate_[:, -1] ** 4 * deaths[:, -1] / population[:, -1] ** 2
        variance = np.cumsum(terms[:, ::-1], axis=1)[:, ::-1] / alive**2
    return expectancy, variance


def life_expectancy(
    df: pd.DataFrame,
    *,
    deaths: str,
    population: str,
    age: str,
    group_by: GroupBy = None,
    confidence: ConfidenceLike = 0.95,
    at_age: int | Sequence[int] | None = 0,
    final_age: int | None = None,
) -> pd.DataFrame:
    """Life expectancy with confidence limits (Chiang II; Silcocks for the final band), per group and age.

    ``df`` has one row per age band per group; ``age`` holds the band's start age: 0, 1, 5, 10, ...,
    up to ``final_age`` (90 for the standard 20 bands to 90+, or 85 for a final band of 85+; by default
    the largest age in the data). Returns life expectancy at birth, or at the ``at_age`` start ages
    given (``None`` for every band). Groups that break the standard rules are kept, with the value
    missing and ``reason`` saying why: a band with no population, deaths above population, a missing
    band, no deaths in the final band, or a total population of 5,000 or less. A value whose 95%
    interval is wider than 20 years is withheld too, its limits kept. Negative deaths or populations
    are impossible and raise ValueError.
    """
    function = "life_expectancy"
    require_frame(df, function)
    levels = confidence_levels(confidence)
    keys = group_columns(group_by)
    require_columns(df, [*keys, deaths, population, age], function)
    d = numeric(df, deaths, function)
    p = numeric(df, population, function)
    ages = numeric(df, age, function)
    if np.isnan(ages).any():
        raise ValueError(f"{function}: column {age!r} has missing ages")
    final = int(np.max(ages)) if final_age is None else int(final_age)
    bands = np.asarray(age_bands(final))
    unknown = sorted(set(np.unique(ages)) - set(bands.tolist()))
    if unknown:
        raise ValueError(
            f"{function}: ages {', '.join(f'{a:g}' for a in unknown)} are not band start ages "
            f"({', '.join(map(str, bands))})"
        )
    groups = make_groups(df, keys)
    band_index = np.searchsorted(bands, ages)
    if pd.DataFrame({"g": groups.codes, "b": band_index}).duplicated().any():
        raise ValueError(f"{function}: a group has more than one row for the same age band")
    shape = (groups.count, bands.size)
    dd = np.full(shape, np.nan)
    pp = np.full(shape, np.nan)
    dd[groups.codes, band_index] = d
    pp[groups.codes, band_index] = p

    reasons = np.full(groups.count, "", dtype=object)

    def flag(mask: np.ndarray, text: str) -> None:
        reasons[mask & (reasons == "")] = text

    flag(np.isnan(dd).any(axis=1) | np.isnan(pp).any(axis=1), "missing age band or missing data")
    with np.errstate(invalid="ignore"):
        flag((pp <= 0).any(axis=1), "an age band has no population")
        flag((dd > pp).any(axis=1), "an age band has more deaths than population")
        flag(dd[:, -1] == 0, "no deaths in the final age band")
        flag(np.nansum(pp, axis=1) <= LIFE_EXPECTANCY_MINIMUM_POPULATION, "total population of 5,000 or less")
    valid = reasons == ""
    safe_d = np.where(valid[:, None], dd, 1.0)
    safe_p = np.where(valid[:, None], pp, 2.0)
    expectancy, variance = _life_table(safe_d, safe_p, bands)
    expectancy[~valid] = np.nan
    variance[~valid] = np.nan

    if at_age is None:
        wanted = np.arange(bands.size)
    else:
        requested = [at_age] if np.isscalar(at_age) else list(at_age)  # type: ignore[arg-type]
        missing = [a for a in requested if a not in bands]
        if missing:
            raise ValueError(f"{function}: at_age {missing} are not band start ages ({', '.join(map(str, bands))})")
        wanted = np.searchsorted(bands, requested)

    sd = np.sqrt(variance[:, wanted]).ravel()
    value = expectancy[:, wanted].ravel()
    wide = 2 * z_value(0.95) * sd > LIFE_EXPECTANCY_MAXIMUM_CI_WIDTH
    row_reasons = np.repeat(reasons, wanted.size)
    row_reasons = np.where((row_reasons == "") & wide, "95% confidence interval wider than 20 years", row_reasons)
    out = groups.keys.loc[np.repeat(np.arange(groups.count), wanted.size)].reset_index(drop=True)
    out[age] = np.tile(bands[wanted], groups.count)
    out["value"] = np.where(wide, np.nan, value)
    add_limits(
        out,
        levels,
        [value - z_value(level) * sd for level in levels],
        [value + z_value(level) * sd for level in levels],
    )
    statistic = [f"life expectancy at {a}" for a in np.tile(bands[wanted], groups.count)]
    add_metadata(out, levels, "", "Chiang, using Silcocks et al for confidence limits")
    out["statistic"] = statistic
    out["reason"] = row_reasons
    return out
