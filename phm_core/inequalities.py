"""Life expectancy by place and its gap between the most and least deprived, from real published figures.

* Places: the ONS Health Index life expectancy series per local authority (2015-2021), on 2021 boundaries,
  brought to 2024 places by population-weighting the districts that merged.
* The gap: OHID life expectancy per GP practice against the practice's deprivation. Practices are grouped into
  fifths of registered patients by deprivation; the slope index of inequality (phm_core.stats.sii) is fitted
  on the fifths' means with standard errors from the spread between practices, limits by seeded simulation.
* England's comparators: the same practice-based gap for all of England's practices (the like-for-like
  comparator), and ONS's published gap between England's most and least deprived neighbourhoods, read from
  ``geodata/data/ons_life_expectancy_gap_england.csv`` with its source and period (see geodata/PROVENANCE.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from phm_core import stats
from phm_core.settings import GEODATA_DIR
from phm_core.validation import Column, DataValidationError, Problem, TableSchema, validate_frame

MINIMUM_PRACTICES = 10
PUBLISHED_GAP_FILE = "ons_life_expectancy_gap_england.csv"
PUBLISHED_GAP_SCHEMA = TableSchema(
    name="Published England life expectancy gaps",
    columns=(
        Column("measure", "text", pattern="life expectancy|healthy life expectancy"),
        Column("sex", "text", pattern="Female|Male"),
        Column("sii_years", "number", minimum=0, maximum=40),
        Column("period", "text"),
        Column("area", "text", pattern="England"),
        Column("deprivation", "text"),
        Column("publisher", "text"),
        Column("title", "text"),
        Column("table", "text"),
        Column("released", "text", pattern=r"\d{4}-\d{2}-\d{2}"),
        Column("url", "text", pattern=r"https://\S+"),
    ),
    key=("measure", "sex"),
    min_rows=2,
)
#: How publishers are named in a citation.
PUBLISHER_SHORT_NAMES = {"Office for National Statistics": "ONS"}
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


@dataclass(frozen=True)
class PublishedGap:
    """England's published slope index of inequality for one measure and sex, with its source and period."""

    measure: str  # "life expectancy" or "healthy life expectancy", at birth
    sex: str
    years: float
    period: str  # "2018 to 2020"
    deprivation: str  # how the areas were ranked, e.g. national deciles of LSOAs by IMD 2019
    publisher: str
    title: str
    table: str
    released: str
    url: str

    @property
    def citation(self) -> str:
        """'ONS, <title>, Table 1': the publisher, the publication and the table the figure is from."""
        publisher = PUBLISHER_SHORT_NAMES.get(self.publisher, self.publisher)
        return f"{publisher}, {self.title}, {self.table}"


def load_published_england_gaps(
    path: Path | None = None, *, measure: str = "life expectancy"
) -> dict[str, PublishedGap]:
    """England's published gap (slope index of inequality) for ``measure``, by sex ("Female", "Male").

    Read from the shipped file of published figures (``geodata/data/ons_life_expectancy_gap_england.csv``, a
    transcription of the publication's table) and validated: a damaged file is refused with its name.
    """
    path = path or GEODATA_DIR / PUBLISHED_GAP_FILE
    table = validate_frame(pd.read_csv(path, dtype=str), PUBLISHED_GAP_SCHEMA, source=path.name)
    rows = table.loc[table["measure"] == measure]
    if set(rows["sex"]) != {"Female", "Male"}:
        raise DataValidationError(path.name, [Problem(f"needs one row for Female and Male for {measure}", "sex")])
    return {
        row.sex: PublishedGap(
            measure=row.measure,
            sex=row.sex,
            years=float(row.sii_years),
            period=row.period,
            deprivation=row.deprivation,
            publisher=row.publisher,
            title=row.title,
            table=row.table,
            released=row.released,
            url=row.url,
        )
        for row in rows.itertuples()
    }


def england_gap_explanation(published: PublishedGap) -> str:
    """Why England's published gap is larger than the practice-based one, in plain English, with the source."""
    return (
        "Two England figures are shown. The practice-based one uses the same method as this footprint's (GP "
        "practices' life expectancy against their patients' average deprivation, in fifths of patients), so it is "
        "the fair comparison. The published one "
        f"({published.citation}) ranks England's neighbourhoods (LSOAs) into tenths by deprivation (IMD 2019) and "
        f"compares the deaths in each tenth, over {published.period}. A practice's patients come from richer and "
        "poorer neighbourhoods, so practices' figures are averages that sit closer together: the practice-based "
        "gap is smaller than the gap between neighbourhoods, and it covers a different period (the latest OHID "
        "practice estimates, labelled 2020)."
    )
