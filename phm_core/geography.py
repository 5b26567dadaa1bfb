"""Footprints (system, place, sub-ICB, neighbourhood) and population summaries built up from LSOAs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from phm_core.loaders import AGE_BANDS

FootprintLevel = Literal["icb", "place", "sub_icb", "pcn"]
FOOTPRINT_LEVELS: tuple[FootprintLevel, ...] = ("icb", "place", "sub_icb", "pcn")
LEVEL_LABELS: dict[str, str] = {
    "icb": "Whole system (ICB)",
    "place": "Place (local authority)",
    "sub_icb": "Sub-ICB location",
    "pcn": "Neighbourhood (PCN)",
}
LEVEL_NOUNS: dict[str, str] = {
    "icb": "ICB",
    "place": "place",
    "sub_icb": "sub-ICB location",
    "pcn": "neighbourhood (PCN)",
}
LEVEL_COLUMNS: dict[str, tuple[str, str]] = {
    "icb": ("icb24_code", "icb24_name"),
    "place": ("ltla24_code", "ltla24_name"),
    "sub_icb": ("sicbl24_code", "sicbl24_name"),
    "pcn": ("pcn_code", "pcn_name"),
}
DEFAULT_ICB = "E54000023"  # NHS Suffolk and North East Essex ICB

# The three tiers of population health management and their typical sizes (people).
PHM_TIERS: dict[str, tuple[int, int | None]] = {
    "neighbourhood": (30_000, 50_000),
    "place": (250_000, 500_000),
    "system": (1_000_000, None),
}
LEVEL_TIER: dict[str, str] = {"icb": "system", "place": "place", "sub_icb": "place", "pcn": "neighbourhood"}


@dataclass(frozen=True)
class Footprint:
    """An area to look at: an ICB, optionally narrowed to one place, sub-ICB or neighbourhood within it."""

    icb_code: str = DEFAULT_ICB
    level: FootprintLevel = "icb"
    area_code: str | None = None

    def as_query(self) -> dict[str, str]:
        """The footprint as URL query parameters (``icb``, ``level``, ``area``)."""
        query = {"icb": self.icb_code}
        if self.level != "icb" and self.area_code:
            query |= {"level": self.level, "area": self.area_code}
        return query


def short_icb_name(name: str) -> str:
    """Drop the 'Integrated Care Board' suffix that every ICB name carries."""
    return name.removesuffix(" Integrated Care Board").strip()


def icb_options(lsoa: pd.DataFrame) -> pd.DataFrame:
    """The 42 ICBs with code, short name and population, sorted by name."""
    icbs = lsoa.groupby(["icb24_code", "icb24_name"], as_index=False)["pop_total"].sum()
    icbs["label"] = icbs["icb24_name"].map(short_icb_name)
    return icbs.rename(columns={"icb24_code": "code", "icb24_name": "name", "pop_total": "population"}).sort_values(
        "label", ignore_index=True
    )


def area_options(lsoa: pd.DataFrame, *, icb_code: str, level: FootprintLevel) -> pd.DataFrame:
    """Areas of one level inside an ICB: code, name, population and a label ('(part)' if split across ICBs)."""
    if level == "icb":
        return icb_options(lsoa).loc[lambda f: f["code"] == icb_code].reset_index(drop=True)
    code_column, name_column = LEVEL_COLUMNS[level]
    inside = lsoa.loc[lsoa["icb24_code"] == icb_code]
    areas = inside.groupby([code_column, name_column], as_index=False)["pop_total"].sum()
    areas.columns = ["code", "name", "population"]
    everywhere = lsoa.loc[lsoa[code_column].isin(areas["code"])].groupby(code_column)["icb24_code"].nunique()
    split = areas["code"].map(everywhere).gt(1)
    areas["label"] = areas["name"].where(~split, areas["name"] + " (part)")
    if level == "sub_icb":
        areas["label"] = areas["label"].str.replace(r"^NHS .* ICB - ", "Sub-ICB ", regex=True)
    return areas.sort_values("label", ignore_index=True)


def resolve_footprint(
    lsoa: pd.DataFrame, *, icb: str | None = None, level: str | None = None, area: str | None = None
) -> tuple[Footprint, list[str]]:
    """Turn possibly stale or hand-edited query values into a valid footprint, saying what was corrected."""
    notes: list[str] = []
    icbs = set(lsoa["icb24_code"].unique())
    if icb and icb not in icbs:
        notes.append(f"'{icb}' is not an ICB code in the 2024 lookup, so the default ICB is shown.")
    icb = icb if icb in icbs else DEFAULT_ICB
    if not level or level == "icb":
        return Footprint(icb), notes
    if level not in FOOTPRINT_LEVELS:
        notes.append(f"'{level}' is not a footprint level, so the whole ICB is shown.")
        return Footprint(icb), notes
    options = area_options(lsoa, icb_code=icb, level=level)  # type: ignore[arg-type]
    if area not in set(options["code"]):
        if area:
            notes.append(f"'{area}' is not a {LEVEL_NOUNS[level]} in this ICB, so the whole ICB is shown.")
        return Footprint(icb), notes
    return Footprint(icb, level, area), notes  # type: ignore[arg-type]


def lsoas_in(lsoa: pd.DataFrame, footprint: Footprint) -> pd.DataFrame:
    """The LSOAs that make up a footprint (an empty frame if the footprint matches none)."""
    inside = lsoa["icb24_code"] == footprint.icb_code
    if footprint.level != "icb" and footprint.area_code:
        inside &= lsoa[LEVEL_COLUMNS[footprint.level][0]] == footprint.area_code
    return lsoa.loc[inside]


def footprint_name(lsoa: pd.DataFrame, footprint: Footprint) -> str:
    """A readable name: 'NHS Suffolk and North East Essex' or 'Ipswich, in NHS Suffolk and North East Essex'."""
    icb_rows = lsoa.loc[lsoa["icb24_code"] == footprint.icb_code, "icb24_name"]
    icb_name = short_icb_name(icb_rows.iloc[0]) if len(icb_rows) else footprint.icb_code
    if footprint.level == "icb" or not footprint.area_code:
        return icb_name
    options = area_options(lsoa, icb_code=footprint.icb_code, level=footprint.level)
    match = options.loc[options["code"] == footprint.area_code, "label"]
    label = match.iloc[0] if len(match) else footprint.area_code
    return f"{label}, in {icb_name}"


def tier_of(level: FootprintLevel) -> str:
    """The PHM tier (system, place or neighbourhood) a footprint level belongs to."""
    return LEVEL_TIER[level]


def tier_note(level: FootprintLevel, population: int) -> str | None:
    """A short note when a footprint is far from its tier's typical size, else ``None``."""
    tier = tier_of(level)
    low, high = PHM_TIERS[tier]
    if population < low * 0.5:
        return f"smaller than a typical {tier} ({_size_range(low, high)} people)"
    if high is not None and population > high * 2:
        return f"larger than a typical {tier} ({_size_range(low, high)} people)"
    return None


def _size_range(low: int, high: int | None) -> str:
    def short(n: int) -> str:
        return f"{n / 1e6:g}m" if n >= 1_000_000 else f"{n / 1e3:g}k"

    return f"{short(low)}+" if high is None else f"{short(low)}-{short(high)}"


def population_by_area(lsoa: pd.DataFrame, *, level: FootprintLevel) -> pd.DataFrame:
    """Population by area at one level: code, name, total and each age band (sums of LSOAs)."""
    code_column, name_column = LEVEL_COLUMNS[level]
    columns = ["pop_total", *AGE_BANDS]
    return (
        lsoa.groupby([code_column, name_column], as_index=False)[columns]
        .sum()
        .rename(columns={code_column: "code", name_column: "name"})
    )


def age_structure(lsoas: pd.DataFrame, england: pd.DataFrame) -> pd.DataFrame:
    """People in each Census age band in the footprint and England, as counts and shares."""
    bands = list(AGE_BANDS)
    people = lsoas[bands].sum()
    england_people = england[bands].sum()
    total = people.sum()
    return pd.DataFrame(
        {
            "band": list(AGE_BANDS.values()),
            "people": people.to_numpy(),
            "share": (people / total).to_numpy() if total else 0.0,
            "england_share": (england_people / england_people.sum()).to_numpy(),
        }
    )


def deprivation_profile(lsoas: pd.DataFrame, england: pd.DataFrame, *, domain: str = "imd") -> pd.DataFrame:
    """Share of people in each national IMD decile (1 = most deprived 10% of England), against England."""
    decile = f"{domain}_decile"
    people = lsoas.groupby(decile)["pop_total"].sum().reindex(range(1, 11), fill_value=0)
    england_people = england.groupby(decile)["pop_total"].sum().reindex(range(1, 11), fill_value=0)
    total = people.sum()
    return pd.DataFrame(
        {
            "decile": range(1, 11),
            "people": people.to_numpy(),
            "share": (people / total).to_numpy() if total else 0.0,
            "england_share": (england_people / england_people.sum()).to_numpy(),
        }
    )


CHILD_LEVEL: dict[str, tuple[str, str, str, str]] = {
    # footprint level -> (code column, name column, one row is a ..., the rows are ...)
    "icb": ("ltla24_code", "ltla24_name", "Place", "Places"),
    "sub_icb": ("ltla24_code", "ltla24_name", "Place", "Places"),
    "place": ("pcn_code", "pcn_name", "Neighbourhood (PCN)", "Neighbourhoods (PCNs)"),
    "pcn": ("msoa21_code", "msoa21_name", "MSOA", "MSOAs"),
}


def area_summary(lsoas: pd.DataFrame, *, level: FootprintLevel) -> tuple[pd.DataFrame, str, str]:
    """One row per area one step below the footprint: people, share 65+ and under 16, deprivation.

    Returns the table and what one row and all rows are called ("Place", "Places"). The average IMD score is
    population-weighted over LSOAs.
    """
    code_column, name_column, noun, plural = CHILD_LEVEL[level]
    weighted = lsoas.assign(
        _score_people=lsoas["imd_score"] * lsoas["pop_total"],
        _deprived=lsoas["pop_total"].where(lsoas["imd_decile"] <= 2, 0),
    )
    grouped = weighted.groupby([code_column, name_column], as_index=False).agg(
        people=("pop_total", "sum"),
        lsoas=("lsoa21_code", "count"),
        older=("pop_65_plus", "sum"),
        children=("pop_0_15", "sum"),
        score_people=("_score_people", "sum"),
        deprived=("_deprived", "sum"),
    )
    people = grouped["people"].where(grouped["people"] > 0)
    table = pd.DataFrame(
        {
            "code": grouped[code_column],
            "name": grouped[name_column],
            "people": grouped["people"],
            "lsoas": grouped["lsoas"],
            "aged_65_plus": grouped["older"] / people,
            "aged_0_15": grouped["children"] / people,
            "most_deprived_fifth": grouped["deprived"] / people,
            "average_imd_score": grouped["score_people"] / people,
        }
    )
    return table.sort_values("people", ascending=False, ignore_index=True), noun, plural
