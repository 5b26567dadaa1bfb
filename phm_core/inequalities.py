"""Life expectancy by place and its gap between the most and least deprived, from real published figures.

* Places: the ONS Health Index life expectancy series per local authority (2015-2021), on 2021 boundaries,
  brought to 2024 places by population-weighting the districts that merged.
* The gap: OHID life expectancy per GP practice against the practice's deprivation. Practices are grouped into
  fifths of registered patients by deprivation; the slope index of inequality (phm_core.stats.sii) is fitted
  on the fifths' means with standard errors from the spread between practices, limits by seeded simulation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from phm_core import stats

# Context for boards (ONS, Health state life expectancies by national deprivation deciles, England: 2018 to
# 2020): healthy life expectancy at birth differs by about 19 years between the most and least deprived tenths.
NATIONAL_HEALTHY_LIFE_EXPECTANCY_GAP_YEARS = 19
NATIONAL_HEALTHY_LIFE_EXPECTANCY_GAP_SOURCE = (
    "ONS, Health state life expectancies by national deprivation deciles, England: 2018 to 2020"
)
MINIMUM_PRACTICES = 10
SII_REPETITIONS = 10_000


def place_life_expectancy(
    health_index: pd.DataFrame, lad_lookup: pd.DataFrame, *, indicator: str = "Life expectancy"
) -> pd.DataFrame:
    """An ONS Health Index indicator per 2024 local authority and year, with England's value on every row.

    Districts merged in 2023 are population-weighted into their new authority; England is the
    population-weighted average of all authorities (the Health Index publishes no England row).
    """
    series = health_index.loc[health_index["indicator"] == indicator, ["ltla21_code", "year", "value"]]
    series = series.merge(
        lad_lookup.rename(columns={"lad21_code": "ltla21_code"}), on="ltla21_code", how="inner"
    ).dropna(subset=["value"])
    series["weighted"] = series["value"] * series["lad21_population"]
    by_place = series.groupby(["lad24_code", "year"], as_index=False)[["weighted", "lad21_population"]].sum()
    by_place["value"] = by_place["weighted"] / by_place["lad21_population"]
    england = series.groupby("year")[["weighted", "lad21_population"]].sum()
    by_place["england"] = by_place["year"].map(england["weighted"] / england["lad21_population"])
    return by_place[["lad24_code", "year", "value", "england"]].rename(columns={"lad24_code": "ltla24_code"})


def practice_deprivation_fifths(
    practices: pd.DataFrame, practice_life_expectancy: pd.DataFrame, *, sex: str, year: int = 2020
) -> pd.DataFrame:
    """Practices grouped into fifths of registered patients by deprivation, with mean life expectancy.

    One row per fifth (1 = the most deprived fifth of patients): practices, registered patients,
    list-weighted mean life expectancy, and its standard error from the spread between practices.
    """
    le = practice_life_expectancy.loc[
        (practice_life_expectancy["sex"] == sex) & (practice_life_expectancy["year"] == year),
        ["practice_code", "life_expectancy"],
    ]
    frame = practices[["practice_code", "list_size", "practice_imd2019_score"]].merge(le, on="practice_code")
    frame = frame.dropna().loc[lambda f: f["list_size"] > 0]
    if len(frame) < MINIMUM_PRACTICES:
        return pd.DataFrame(columns=["fifth", "practices", "list_size", "life_expectancy", "se"])
    frame = frame.sort_values("practice_imd2019_score", ascending=False, kind="stable")
    cumulative = frame["list_size"].cumsum() - frame["list_size"] / 2
    frame["fifth"] = np.minimum((cumulative / frame["list_size"].sum() * 5).astype(int) + 1, 5)
    rows = []
    for fifth, group in frame.groupby("fifth"):
        weights = group["list_size"].to_numpy(dtype=float)
        values = group["life_expectancy"].to_numpy(dtype=float)
        mean = float(np.average(values, weights=weights))
        n = len(group)
        spread = float(np.sqrt(np.average((values - mean) ** 2, weights=weights) * n / max(n - 1, 1)))
        effective_n = weights.sum() ** 2 / (weights**2).sum()
        rows.append(
            {
                "fifth": int(fifth),
                "practices": n,
                "list_size": int(weights.sum()),
                "life_expectancy": mean,
                "se": spread / np.sqrt(effective_n) if n > 1 else np.nan,
            }
        )
    return pd.DataFrame(rows)


def life_expectancy_gap(
    fifths: pd.DataFrame, *, rng: np.random.Generator | int | None = None, repetitions: int = SII_REPETITIONS
) -> dict[str, float | str]:
    """The slope index of inequality in life expectancy across deprivation fifths, with 95% limits.

    Returns the SII in years (least minus most deprived), its limits, and whether the gradient is significant.
    """
    usable = fifths.dropna(subset=["se"])
    usable = usable.loc[usable["se"] > 0]
    if len(usable) < 3:
        return {"sii": np.nan, "lower": np.nan, "upper": np.nan, "significant": False, "note": "too few practices"}
    result = stats.sii(
        usable,
        quantile="fifth",
        population="list_size",
        value="life_expectancy",
        se="se",
        value_type="normal",
        repetitions=repetitions,
        polarity="high is good",
        rng=rng,
    ).iloc[0]
    lower, upper = float(result["lowercl"]), float(result["uppercl"])
    return {
        "sii": float(result["value"]),
        "lower": lower,
        "upper": upper,
        "significant": bool(lower > 0 or upper < 0),
        "note": str(result.get("inequality", "")),
    }


def gap_sentence(gap: dict[str, float | str], *, sex: str, where: str) -> str:
    """One sentence a board can read about the gap, which never calls a non-significant gap real."""
    noun = {"Female": "women", "Male": "men"}.get(sex, "people")
    if np.isnan(gap["sii"]):  # type: ignore[arg-type]
        return f"There are too few practices with published life expectancy in {where} to measure the gap for {noun}."
    years = f"{abs(gap['sii']):.1f} years"  # type: ignore[arg-type]
    limits = f"95% confidence interval {gap['lower']:.1f} to {gap['upper']:.1f}"
    if not gap["significant"]:
        return (
            f"In {where}, the gap in life expectancy for {noun} between the practices serving the most and least "
            f"deprived patients ({years}; {limits}) is not statistically significant."
        )
    who = "least" if gap["sii"] > 0 else "most"  # type: ignore[operator]
    return (
        f"In {where}, {noun} registered with practices serving the {who} deprived patients are expected to live "
        f"{years} longer than those at the other end of the deprivation scale ({limits}; slope index of inequality)."
    )
