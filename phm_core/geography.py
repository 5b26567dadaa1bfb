"""Footprints (region, system, place, sub-ICB, neighbourhood) and population summaries built up from LSOAs.

A footprint is (geography version, level, code): the functions here take the LSOA table *of one geography
version* (:func:`phm_core.geoversions.versioned_lsoa`), whose ``icb_code``, ``sub_icb_code`` and ``region_code``
are that version's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from phm_core import geoversions
from phm_core.geoversions import GeographyVersion, short_icb_name
from phm_core.loaders import AGE_BANDS
from phm_core.settings import DEFAULT_GEOGRAPHY, DEFAULT_ICB

FootprintLevel = Literal["icb", "place", "sub_icb", "pcn", "neighbourhood", "region"]
FOOTPRINT_LEVELS: tuple[FootprintLevel, ...] = ("icb", "place", "sub_icb", "pcn", "neighbourhood", "region")
LEVEL_LABELS: dict[str, str] = {
    "icb": "Whole system (ICB)",
    "place": "Place (local authority)",
    "sub_icb": "Sub-ICB location",
    "pcn": "Primary care network (PCN)",
    "neighbourhood": "Neighbourhood (defined by the ICB)",
    "region": "NHS England region",
}
LEVEL_NOUNS: dict[str, str] = {
    "icb": "ICB",
    "place": "place",
    "sub_icb": "sub-ICB location",
    "pcn": "primary care network (PCN)",
    "neighbourhood": "neighbourhood",
    "region": "NHS England region",
}
LEVEL_COLUMNS: dict[str, tuple[str, str]] = {
    "icb": ("icb_code", "icb_name"),
    "place": ("ltla24_code", "ltla24_name"),
    "sub_icb": ("sub_icb_code", "sub_icb_label"),
    "pcn": ("pcn_code", "pcn_name"),
    "neighbourhood": ("neighbourhood_code", "neighbourhood_name"),
    "region": ("region_code", "region_name"),
}

# The three tiers of population health management and their typical sizes (people).
PHM_TIERS: dict[str, tuple[int, int | None]] = {
    "neighbourhood": (30_000, 50_000),
    "place": (250_000, 500_000),
    "system": (1_000_000, None),
    "region": (5_000_000, None),
}
LEVEL_TIER: dict[str, str] = {
    "icb": "system",
    "place": "place",
    "sub_icb": "place",
    "pcn": "neighbourhood",
    "neighbourhood": "neighbourhood",
    "region": "region",
}


@dataclass(frozen=True)
class Footprint:
    """An area to look at on one geography version: an ICB, or a place, sub-ICB, PCN or neighbourhood in it,
    or the NHS England region around it."""

    icb_code: str = DEFAULT_ICB
    level: FootprintLevel = "icb"
    area_code: str | None = None
    geography: str = DEFAULT_GEOGRAPHY

    def as_query(self) -> dict[str, str]:
        """The footprint as URL query parameters (``geo`` unless the default, ``icb``, ``level``, ``area``)."""
        query = {"geo": self.geography} if self.geography != DEFAULT_GEOGRAPHY else {}
        query["icb"] = self.icb_code
        if self.level != "icb" and self.area_code:
            query |= {"level": self.level, "area": self.area_code}
        return query

    @property
    def system(self) -> Footprint:
        """The whole ICB this footprint belongs to."""
        return Footprint(self.icb_code, geography=self.geography)


@dataclass(frozen=True)
class FootprintChoice:
    """A footprint offered to the user when a link cannot be opened as it stands (e.g. an abolished ICB)."""

    label: str
    footprint: Footprint


@dataclass
class Resolution:
    """What a link resolves to: a footprint, or nothing plus an explanation and the footprints to choose from."""

    footprint: Footprint | None
    notes: list[str] = field(default_factory=list)
    message: str | None = None
    choices: list[FootprintChoice] = field(default_factory=list)
    geography: str = DEFAULT_GEOGRAPHY


def icb_options(lsoa: pd.DataFrame) -> pd.DataFrame:
    """The version's ICBs with code, short name, region and population, sorted by region then name."""
    icbs = lsoa.groupby(["icb_code", "icb_name", "region_name"], as_index=False, observed=True)["pop_total"].sum()
    icbs["label"] = icbs["icb_name"].map(short_icb_name)
    icbs = icbs.rename(columns={"icb_code": "code", "icb_name": "name", "pop_total": "population"})
    return icbs.sort_values(["region_name", "label"], ignore_index=True)


def area_options(lsoa: pd.DataFrame, *, icb_code: str, level: FootprintLevel) -> pd.DataFrame:
    """Areas of one level for an ICB: code, name, population and a label ('(part)' if split across ICBs).

    For ``region`` it is the NHS England region the ICB is in. Neighbourhoods need the ``neighbourhood_code`` and
    ``neighbourhood_name`` columns (the ICB's saved definitions); without them there are none.
    """
    if level == "icb":
        return icb_options(lsoa).loc[lambda f: f["code"] == icb_code].reset_index(drop=True)
    code_column, name_column = LEVEL_COLUMNS[level]
    if code_column not in lsoa.columns:
        return pd.DataFrame({"code": [], "name": [], "population": [], "label": []})
    inside = lsoa.loc[lsoa["icb_code"] == icb_code]
    if level == "region":
        regions = inside[code_column].dropna().unique()
        inside = lsoa.loc[lsoa[code_column].isin(regions)]
    areas = (
        inside.dropna(subset=[code_column])
        .groupby([code_column, name_column], as_index=False, observed=True)["pop_total"]
        .sum()
    )
    areas.columns = ["code", "name", "population"]
    if level in ("region", "neighbourhood"):
        areas["label"] = areas["name"]
        return areas.sort_values("label", ignore_index=True)
    everywhere = lsoa.loc[lsoa[code_column].isin(areas["code"])].groupby(code_column)["icb_code"].nunique()
    split = areas["code"].map(everywhere).gt(1)
    areas["label"] = areas["name"].where(~split, areas["name"] + " (part)")
    return areas.sort_values("label", ignore_index=True)


def resolve_footprint(
    lsoa: pd.DataFrame,
    *,
    icb: str | None = None,
    level: str | None = None,
    area: str | None = None,
    version: GeographyVersion | None = None,
) -> Resolution:
    """Turn possibly stale or hand-edited query values into a footprint on ``version``, saying what was corrected.

    An ICB code that is not in this version gives no footprint, and a message: the caller explains (an abolished
    ICB is explained by :func:`phm_core.geoversions.abolition_message`) and offers choices, rather than showing
    another organisation's figures in its place. A wrong level or area falls back to the whole ICB, with a note.
    """
    key = version.key if version else DEFAULT_GEOGRAPHY
    label = version.label if version else f"ICBs as at {key}"
    icbs = set(lsoa["icb_code"].unique())
    if not icb:
        icb = version.default_icb if version and version.default_icb in icbs else _default_icb(icbs)
    if icb not in icbs:
        return Resolution(None, message=f"'{icb}' is not an ICB in the {label} geography.", geography=key)
    notes: list[str] = []
    whole = Resolution(Footprint(icb, geography=key), notes, geography=key)
    if not level or level == "icb":
        return whole
    if level not in FOOTPRINT_LEVELS:
        notes.append(f"'{level}' is not a footprint level, so the whole ICB is shown.")
        return whole
    options = area_options(lsoa, icb_code=icb, level=level)  # type: ignore[arg-type]
    if area not in set(options["code"]):
        if area:
            notes.append(f"'{area}' is not a {LEVEL_NOUNS[level]} in this ICB, so the whole ICB is shown.")
        return whole
    return Resolution(Footprint(icb, level, area, key), notes, geography=key)  # type: ignore[arg-type]


def explain_missing_icb(
    icb_code: str,
    *,
    version: GeographyVersion,
    lsoa: pd.DataFrame,
    others: list[tuple[GeographyVersion, pd.DataFrame]],
) -> tuple[str, list[FootprintChoice]]:
    """Why an ICB code is not in ``version`` and which footprints to offer instead.

    If another version has the code, the ICB was abolished or recoded since (its successors are offered) or did
    not exist yet (its predecessors are offered), and the ICB itself on the other version is offered too.
    Otherwise the code is unknown and nothing is offered: the user chooses in the picker.
    """
    for other, other_lsoa in others:
        names = other_lsoa.loc[other_lsoa["icb_code"] == icb_code, "icb_name"]
        if names.empty:
            continue
        name = str(names.iloc[0])
        moved = geoversions.successors(geoversions.changes_between(other_lsoa, lsoa), icb_code)
        if other.effective_from < version.effective_from:
            parts = geoversions.moved_places(other_lsoa, lsoa, icb_code=icb_code)
            message = geoversions.abolition_message(name, icb_code, moved, version=version, parts=parts)
        else:
            message = geoversions.formation_message(name, moved, formed=other, shown=version)
        choices = [
            FootprintChoice(
                f"{short_icb_name(row.icb_name_new)} ({version.label})",
                Footprint(row.icb_code_new, geography=version.key),
            )
            for row in moved.itertuples()
        ]
        choices.append(
            FootprintChoice(f"{short_icb_name(name)} ({other.label})", Footprint(icb_code, geography=other.key))
        )
        return message, choices
    known = ", ".join(v.label for v, _ in [(version, lsoa), *others])
    return f"'{icb_code}' is not an ICB code in any geography the app knows ({known}). Choose an ICB.", []


def _default_icb(icbs: set[str]) -> str:
    return DEFAULT_ICB if DEFAULT_ICB in icbs else sorted(icbs)[0]


def lsoas_in(lsoa: pd.DataFrame, footprint: Footprint) -> pd.DataFrame:
    """The LSOAs that make up a footprint (an empty frame if the footprint matches none)."""
    if footprint.level == "region" and footprint.area_code:
        return lsoa.loc[lsoa["region_code"] == footprint.area_code]
    inside = lsoa["icb_code"] == footprint.icb_code
    if footprint.level != "icb" and footprint.area_code:
        column = LEVEL_COLUMNS[footprint.level][0]
        if column not in lsoa.columns:
            return lsoa.iloc[0:0]
        inside &= lsoa[column] == footprint.area_code
    return lsoa.loc[inside]


def footprint_name(lsoa: pd.DataFrame, footprint: Footprint) -> str:
    """A readable name: 'NHS Norfolk and Suffolk', 'Ipswich, in NHS Norfolk and Suffolk' or 'East of England'."""
    icb_rows = lsoa.loc[lsoa["icb_code"] == footprint.icb_code, "icb_name"]
    icb_name = short_icb_name(icb_rows.iloc[0]) if len(icb_rows) else footprint.icb_code
    if footprint.level == "icb" or not footprint.area_code:
        return icb_name
    options = area_options(lsoa, icb_code=footprint.icb_code, level=footprint.level)
    match = options.loc[options["code"] == footprint.area_code, "label"]
    label = match.iloc[0] if len(match) else footprint.area_code
    if footprint.level == "region":
        return f"{label} (NHS England region)"
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
    "region": ("icb_code", "icb_name", "ICB", "ICBs"),
    "icb": ("ltla24_code", "ltla24_name", "Place", "Places"),
    "sub_icb": ("ltla24_code", "ltla24_name", "Place", "Places"),
    "place": ("pcn_code", "pcn_name", "Primary care network (PCN)", "Primary care networks (PCNs)"),
    "pcn": ("msoa21_code", "msoa21_name", "MSOA", "MSOAs"),
    "neighbourhood": ("msoa21_code", "msoa21_name", "MSOA", "MSOAs"),
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
