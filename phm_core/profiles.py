"""Population profiles for maps: measures per area at LSOA, MSOA, place (LAD) or sub-ICB level, and their colours.

A measure is defined once in ``MEASURES`` (label, unit, how it is coloured, at which levels it exists). Figures for
areas above LSOA are built up from LSOAs: counts are summed, and scores, shares and air-quality ratios are
population-weighted averages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from phm_core.loaders import AIR_QUALITY, DOMAINS
from phm_core.palettes import DEPRIVATION_DECILE_COLOURS, hex_to_rgb

MapLevel = Literal["lsoa", "msoa", "place", "sub_icb"]
MAP_LEVELS: dict[str, str] = {
    "lsoa": "LSOA (neighbourhood, about 1,600 people)",
    "msoa": "MSOA (about 8,000 people)",
    "place": "Place (local authority)",
    "sub_icb": "Sub-ICB location",
}
LEVEL_KEYS: dict[str, tuple[str, str]] = {
    "lsoa": ("lsoa21_code", "lsoa21_name"),
    "msoa": ("msoa21_code", "msoa21_name"),
    "place": ("ltla24_code", "ltla24_name"),
    "sub_icb": ("sub_icb_code", "sub_icb_label"),
}

# Colour-blind-safe ColorBrewer schemes, five classes, light (low) to dark (high). Fewer areas get fewer classes
# (see class_count), spread over the same scheme.
MAX_CLASSES = 5
SEQUENTIAL: dict[str, tuple[str, ...]] = {
    "deprivation": ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"),
    "people": ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"),
    "air": ("#f1eef6", "#d7b5d8", "#df65b0", "#dd1c77", "#980043"),
}
# Okabe-Ito colours, distinguishable with every common colour-vision deficiency.
CATEGORICAL = ("#0072B2", "#56B4E9", "#009E73", "#F0E442", "#E69F00", "#D55E00", "#CC79A7", "#999999")
RURAL_URBAN_ORDER = (
    "Urban: Nearer to a major town or city",
    "Urban: Further from a major town or city",
    "Larger rural: Nearer to a major town or city",
    "Larger rural: Further from a major town or city",
    "Smaller rural: Nearer to a major town or city",
    "Smaller rural: Further from a major town or city",
)
AIR_QUALITY_NOTE = (
    "Air quality is the IoD2019 indicator: modelled 2016 concentrations divided by their limit values "
    "(a ratio, not a concentration); the indicator is the sum of the four ratios."
)


@dataclass(frozen=True)
class Measure:
    """One thing a map can show: its label, how to read it, how it is coloured, and where it exists."""

    key: str
    label: str
    group: str
    kind: Literal["decile", "sequential", "categorical"]
    scheme: str = "people"
    fmt: str = "{:,.1f}"
    levels: tuple[str, ...] = ("lsoa", "msoa", "place", "sub_icb")
    note: str = ""
    short: str = ""
    subject: str = ""

    @property
    def tooltip_label(self) -> str:
        return self.short or self.label

    @property
    def sentence_subject(self) -> str:
        """The measure as the singular subject of a sentence after "the": "number of residents (Census 2021)"."""
        if self.subject:
            return self.subject
        return self.label if self.label[:3].isupper() else self.label[0].lower() + self.label[1:]


def _measures() -> dict[str, Measure]:
    measures: list[Measure] = []
    for key, name in DOMAINS.items():
        title = "IMD 2025" if key == "imd" else f"{name} domain"
        measures.append(
            Measure(
                f"{key}_decile",
                f"{title}: national decile (1 = most deprived 10%)",
                "Deprivation",
                "decile",
                fmt="{:.0f}",
                levels=("lsoa",),
                short=f"{title} national decile",
            )
        )
        measures.append(
            Measure(
                f"{key}_local_rank",
                f"{title}: rank within the ICB (1 = most deprived)",
                "Deprivation",
                "sequential",
                scheme="deprivation",
                fmt="{:,.0f}",
                levels=("lsoa",),
                note="Darker = more deprived relative to the rest of the ICB.",
                short=f"{title} rank within the ICB",
            )
        )
        measures.append(
            Measure(
                f"{key}_score",
                f"{title}: score (population-weighted)",
                "Deprivation",
                "sequential",
                "deprivation",
                short=f"{title} score",
                subject=f"{title} score (population-weighted)",
            )
        )
    measures.append(
        Measure(
            "imd_most_deprived_fifth",
            "Share of people in England's most deprived fifth (IMD 2025)",
            "Deprivation",
            "sequential",
            "deprivation",
            fmt="{:.1%}",
            short="In England's most deprived fifth",
        )
    )
    measures += [
        Measure(
            "pop_total",
            "Residents (Census 2021)",
            "Population",
            "sequential",
            "people",
            fmt="{:,.0f}",
            subject="number of residents (Census 2021)",
        ),
        Measure(
            "density",
            "People per square kilometre (approximate)",
            "Population",
            "sequential",
            "people",
            fmt="{:,.0f}",
            note="Area from generalised boundaries: approximate.",
            subject="number of people per square kilometre (approximate)",
        ),
        Measure("share_65_plus", "Share aged 65 and over", "Population", "sequential", "people", fmt="{:.1%}"),
        Measure("share_0_15", "Share aged 15 and under", "Population", "sequential", "people", fmt="{:.1%}"),
        Measure(
            "ruc21_name",
            "Rural-urban classification (2021)",
            "Population",
            "categorical",
            fmt="{}",
            levels=("lsoa",),
        ),
        Measure("share_rural", "Share of people in rural LSOAs", "Population", "sequential", "people", fmt="{:.1%}"),
    ]
    for key, label in AIR_QUALITY.items():
        short = label.split(" (")[0] + " (ratio to limit)" if key != "aq_indicator" else "Air-quality indicator"
        subject = "" if key == "aq_indicator" else f"level of {label[0].lower()}{label[1:]}"
        measures.append(
            Measure(
                key,
                label,
                "Air quality",
                "sequential",
                "air",
                fmt="{:.3f}",
                note=AIR_QUALITY_NOTE,
                short=short,
                subject=subject,
            )
        )
    return {m.key: m for m in measures}


MEASURES: dict[str, Measure] = _measures()


def measures_for(level: MapLevel) -> list[Measure]:
    """The measures that exist at a level, in display order."""
    return [m for m in MEASURES.values() if level in m.levels]


def lsoa_areas_km2(boundaries: gpd.GeoDataFrame) -> pd.Series:
    """Approximate area of each LSOA in km² from the display polygons (British National Grid), by LSOA code."""
    areas = boundaries.to_crs("EPSG:27700").geometry.area / 1e6
    return pd.Series(areas.to_numpy(), index=boundaries["lsoa21_code"].to_numpy(), name="area_km2")


def area_measures(lsoas: pd.DataFrame, *, level: MapLevel, areas_km2: pd.Series | None = None) -> pd.DataFrame:
    """Every measure for each area of ``level`` inside the given LSOAs; one row per area, ``code`` and ``name``.

    ``areas_km2`` (by LSOA code) enables the density measure.
    """
    code_column, name_column = LEVEL_KEYS[level]
    frame = lsoas.copy()
    people = frame["pop_total"].astype(float)
    frame["_area"] = frame["lsoa21_code"].map(areas_km2) if areas_km2 is not None else np.nan
    frame["_rural"] = np.where(frame["ruc21_urban_rural"].eq("Rural"), people, 0.0)
    frame["_fifth"] = np.where(frame["imd_decile"] <= 2, people, 0.0)
    frame["_lsoas"] = 1
    weighted = [f"{d}_score" for d in DOMAINS] + list(AIR_QUALITY)
    for column in weighted:
        frame[f"_w_{column}"] = frame[column] * people
    sums = {
        "pop_total": "sum",
        "pop_65_plus": "sum",
        "pop_0_15": "sum",
        "_area": "sum",
        "_rural": "sum",
        "_fifth": "sum",
        "_lsoas": "sum",
        **{f"_w_{c}": "sum" for c in weighted},
    }
    grouped = frame.groupby([code_column, name_column], as_index=False).agg(sums)
    total = grouped["pop_total"].where(grouped["pop_total"] > 0)
    out = pd.DataFrame({"code": grouped[code_column], "name": grouped[name_column]})
    out["lsoas"] = grouped["_lsoas"]
    out["pop_total"] = grouped["pop_total"]
    out["density"] = grouped["pop_total"] / grouped["_area"].where(grouped["_area"] > 0)
    out["share_65_plus"] = grouped["pop_65_plus"] / total
    out["share_0_15"] = grouped["pop_0_15"] / total
    out["share_rural"] = grouped["_rural"] / total
    out["imd_most_deprived_fifth"] = grouped["_fifth"] / total
    for column in weighted:
        out[column] = grouped[f"_w_{column}"] / total
    if level == "lsoa":
        extra = lsoas.set_index("lsoa21_code")
        for key in DOMAINS:
            out[f"{key}_decile"] = out["code"].map(extra[f"{key}_decile"])
            local = extra[f"{key}_rank"].rank(method="min")  # 1 = most deprived within these LSOAs
            out[f"{key}_local_rank"] = out["code"].map(local)
        out["ruc21_name"] = out["code"].map(extra["ruc21_name"])
    return out.sort_values("code", ignore_index=True)


@dataclass(frozen=True)
class LegendEntry:
    colour: str
    label: str


def colour_measure(values: pd.Series, measure: Measure) -> tuple[list[list[int]], list[LegendEntry]]:
    """RGB colours for each value, and the legend that explains them. Missing values are grey."""
    grey = "#D8DDE0"
    if measure.kind == "decile":
        colours = [DEPRIVATION_DECILE_COLOURS[int(v) - 1] if pd.notna(v) else grey for v in values]
        legend = [LegendEntry(DEPRIVATION_DECILE_COLOURS[0], "1 most deprived")]
        legend += [LegendEntry(DEPRIVATION_DECILE_COLOURS[i], str(i + 1)) for i in range(1, 9)]
        legend += [LegendEntry(DEPRIVATION_DECILE_COLOURS[9], "10 least deprived")]
    elif measure.kind == "categorical":
        categories = [c for c in RURAL_URBAN_ORDER if c in set(values)] + sorted(
            set(values.dropna()) - set(RURAL_URBAN_ORDER)
        )
        palette = {c: CATEGORICAL[i % len(CATEGORICAL)] for i, c in enumerate(categories)}
        colours = [palette.get(v, grey) for v in values]
        legend = [LegendEntry(palette[c], c) for c in categories]
    else:
        scheme = SEQUENTIAL[measure.scheme]
        numbers = pd.to_numeric(values, errors="coerce")
        reverse = measure.key.endswith("_local_rank")  # rank 1 is the most deprived: darkest
        finite = numbers.dropna()
        if finite.empty:
            return [hex_to_rgb(grey)] * len(values), [LegendEntry(grey, "no data")]
        if finite.nunique() == 1:  # one area (or all alike): one colour, nothing to compare
            shade = _shades(scheme, 1)[0]
            colours = [shade if pd.notna(v) else grey for v in numbers]
            legend = [LegendEntry(shade, f"{measure.fmt.format(finite.iloc[0])} ({_areas(len(finite))})")]
            return [hex_to_rgb(c) for c in colours], legend
        classes = class_count(len(finite))
        edges = np.unique(np.quantile(finite, np.linspace(0, 1, classes + 1)))
        bins = np.clip(np.searchsorted(edges, numbers.to_numpy(), side="right") - 1, 0, len(edges) - 2)
        shades = _shades(scheme, len(edges) - 1)
        if reverse:
            shades = shades[::-1]
        colours = [shades[b] if pd.notna(v) else grey for b, v in zip(bins, numbers, strict=True)]
        counts = np.bincount(bins[numbers.notna().to_numpy()], minlength=len(edges) - 1)
        legend = [
            LegendEntry(
                shades[i],
                f"{measure.fmt.format(edges[i])} to {measure.fmt.format(edges[i + 1])} ({_areas(int(counts[i]))})",
            )
            for i in range(len(edges) - 1)
        ]
    return [hex_to_rgb(c) for c in colours], legend


def class_count(areas: int) -> int:
    """How many colour classes a map of ``areas`` areas gets: at most half the areas, at least two, at most five.

    Five classes on three areas would give each area its own colour and suggest a spread the data do not have.
    One area gets one colour.
    """
    if areas <= 1:
        return 1
    return min(MAX_CLASSES, max(2, areas // 2))


def _shades(scheme: tuple[str, ...], classes: int) -> list[str]:
    """``classes`` shades spread over the scheme from its lightest to its darkest."""
    if classes >= len(scheme):
        return list(scheme)
    if classes == 1:
        return [scheme[len(scheme) // 2]]
    return [scheme[round(i * (len(scheme) - 1) / (classes - 1))] for i in range(classes)]


def _areas(count: int) -> str:
    return f"{count:,} area" + ("" if count == 1 else "s")


def legend_note(values: pd.Series, measure: Measure, *, noun: str) -> str:
    """One sentence under a sequential map's legend: the range of the values across the areas and the classes.

    ``noun`` names the areas in the plural ('sub-ICB locations'). Deciles (a national scale) and categories need
    no note: an empty string.
    """
    if measure.kind != "sequential":
        return ""
    numbers = pd.to_numeric(values, errors="coerce")
    finite = numbers.dropna()
    if finite.empty:
        return f"No figures for these {noun}."
    if len(finite) == 1:
        return (
            f"One {noun.removesuffix('s')}: {measure.fmt.format(finite.iloc[0])}. "
            "Choose a level with more areas to compare."
        )
    low, high = measure.fmt.format(finite.min()), measure.fmt.format(finite.max())
    where = f"across the {len(finite):,} {noun}" + (" with figures" if finite.size < numbers.size else "")
    if finite.nunique() == 1:
        return f"All {len(finite):,} {noun} have the same value, {low}."
    classes = len(colour_measure(finite, measure)[1])
    return f"From {low} to {high} {where}; {classes} colour classes, each with about the same number of areas."


def dissolve_by(lsoa_shapes: gpd.GeoDataFrame, lsoas: pd.DataFrame, *, level: MapLevel) -> gpd.GeoDataFrame:
    """Polygons for the areas of ``level`` made from the footprint's own LSOAs (so split areas show their part)."""
    code_column = LEVEL_KEYS[level][0]
    if level == "lsoa":
        shapes = lsoa_shapes.merge(lsoas[["lsoa21_code"]], on="lsoa21_code")
        return shapes.rename(columns={"lsoa21_code": "code"})[["code", "geometry"]]
    shapes = lsoa_shapes.merge(lsoas[["lsoa21_code", code_column]], on="lsoa21_code")
    merged = shapes.dissolve(by=code_column, as_index=False)
    merged["geometry"] = shapely.set_precision(merged.geometry.values, 1e-4)
    return merged.rename(columns={code_column: "code"})[["code", "geometry"]]


def format_value(value: object, measure: Measure) -> str:
    """A value as the map tooltip and table show it."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "no data"
    try:
        return measure.fmt.format(value)
    except (ValueError, TypeError):
        return str(value)
