"""Cached content for the population profiling pages: maps, deprivation and air quality, inequalities, benchmarks.

Everything here is built from shared public data, so it is safe in the global caches; decks are cached as
resources so the same object comes back for the same choice and the map keeps its view.
"""

from __future__ import annotations

import html

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import streamlit as st

from phm_core import benchmarking, environment, geography, geoversions, inequalities, loaders, maps, narrative, profiles
from phm_core.settings import GEODATA_DIR
from ui import data


@st.cache_resource(show_spinner=False)
def lsoa_areas_km2() -> pd.Series:
    return profiles.lsoa_areas_km2(data.boundaries("lsoa"))


@st.cache_resource(show_spinner="Drawing boundaries ...", max_entries=64)
def footprint_shapes(footprint: geography.Footprint, level: str, signature: tuple) -> gpd.GeoDataFrame:
    lsoas = data.lsoas_of(footprint)
    return profiles.dissolve_by(data.boundaries("lsoa"), lsoas, level=level)  # type: ignore[arg-type]


@st.cache_data(show_spinner=False, max_entries=128)
def measure_table(footprint: geography.Footprint, level: str, signature: tuple) -> pd.DataFrame:
    """Every measure for the footprint's areas at ``level`` (the table view and CSV download)."""
    lsoas = data.lsoas_of(footprint)
    return profiles.area_measures(lsoas, level=level, areas_km2=lsoa_areas_km2())  # type: ignore[arg-type]


@st.cache_resource(show_spinner="Drawing the map ...", max_entries=128)
def measure_map(
    footprint: geography.Footprint, level: str, measure_key: str, show_practices: bool, signature: tuple
) -> tuple[pdk.Deck, list[profiles.LegendEntry], dict]:
    """The map deck, its legend and a static (PNG-ready) version, for one footprint, level and measure."""
    measure = profiles.MEASURES[measure_key]
    table = measure_table(footprint, level, signature).set_index("code")
    shapes = footprint_shapes(footprint, level, signature)
    values = table.loc[shapes["code"], measure_key]
    colours, legend = profiles.colour_measure(values.reset_index(drop=True), measure)
    names = table.loc[shapes["code"], "name"].tolist()
    texts = [f"{measure.tooltip_label}: {profiles.format_value(v, measure)}" for v in values]
    layers = [maps.choropleth_layer(shapes, names=names, values=texts, colours=colours, layer_id=f"{level}-areas")]
    if show_practices:
        lsoas = data.lsoas_of(footprint)
        layers.append(maps.practices_layer(data.practices_in(footprint, lsoas)))
    bounds = footprint_shapes(footprint, "lsoa", signature).total_bounds
    deck = maps.profile_deck(layers, bounds=bounds)
    hex_colours = ["#{:02x}{:02x}{:02x}".format(*c) for c in colours]
    static = {
        "geojson": {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "id": code, "geometry": geometry.__geo_interface__, "properties": {}}
                for code, geometry in zip(shapes["code"], shapes.geometry.values, strict=True)
            ],
        },
        "codes": shapes["code"].tolist(),
        "colours": hex_colours,
        "names": [f"{n}: {t}" for n, t in zip(names, texts, strict=True)],
    }
    return deck, legend, static


def legend_html(legend: list[profiles.LegendEntry], *, note: str = "") -> str:
    """A compact HTML legend of coloured squares, with an optional sentence under it (e.g. the range shown)."""
    items = "".join(
        f'<span style="display:inline-flex;align-items:center;margin:0 14px 4px 0;">'
        f'<span style="width:14px;height:14px;background:{e.colour};border:1px solid #768692;'
        f'display:inline-block;margin-right:6px;"></span>{e.label}</span>'
        for e in legend
    )
    below = f'<div style="color:#425563;">{html.escape(note)}</div>' if note else ""
    return f'<div style="font-size:0.85rem;line-height:1.6;">{items}{below}</div>'


@st.cache_data(show_spinner=False)
def _national_thirds(signature: tuple) -> dict:
    return environment.national_thirds(data.lsoa_table())


@st.cache_resource(show_spinner="Drawing the map ...", max_entries=64)
def air_quality_content(footprint: geography.Footprint, signature: tuple) -> dict:
    """Bivariate deprivation x air-quality map, the 3x3 tables and the worst-of-both neighbourhoods."""
    lsoa = data.lsoa_for(footprint)
    lsoas = geography.lsoas_in(lsoa, footprint)
    banded = environment.assign_bands(lsoas, _national_thirds(signature))
    shapes = footprint_shapes(footprint, "lsoa", signature)
    bands = banded.set_index("lsoa21_code").loc[shapes["code"]]
    colours = [
        environment.BIVARIATE_COLOURS[d][a] for d, a in zip(bands["deprivation_band"], bands["air_band"], strict=True)
    ]
    texts = [
        f"{environment.BANDS[d].capitalize()} deprived third, {environment.BANDS[a]} polluted third "
        f"(IMD decile {dec}, air-quality indicator {aq:.2f})"
        for d, a, dec, aq in zip(
            bands["deprivation_band"], bands["air_band"], bands["imd_decile"], bands["aq_indicator"], strict=True
        )
    ]
    rgb = [[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in colours]
    layer = maps.choropleth_layer(
        shapes, names=bands["lsoa21_name"].tolist(), values=texts, colours=rgb, layer_id="bivariate"
    )
    deck = maps.profile_deck([layer], bounds=shapes.total_bounds)
    people = environment.bivariate_table(banded)
    children = environment.bivariate_table(banded, count="pop_0_15")
    worst = environment.worst_of_both(banded)
    name = geography.footprint_name(lsoa, footprint)
    return {
        "deck": deck,
        "people": people,
        "children": children,
        "worst": worst,
        "narrative": narrative.air_quality_narrative(people, worst, name=name),
        "name": name,
    }


@st.cache_resource(show_spinner=False)
def _lad_lookup() -> pd.DataFrame:
    return pd.read_parquet(GEODATA_DIR / "lad21_to_lad24.parquet")


@st.cache_resource(show_spinner="Loading the ONS Health Index ...")
def health_index_by_place() -> pd.DataFrame:
    return benchmarking.health_index_by_place(loaders.load_health_index(), _lad_lookup())


@st.cache_resource(show_spinner=False)
def practice_life_expectancy() -> pd.DataFrame:
    return loaders.load_practice_life_expectancy()


@st.cache_resource(show_spinner=False)
def published_england_gaps(measure: str = "life expectancy") -> dict[str, inequalities.PublishedGap]:
    """ONS's published England gap for ``measure`` by sex, from the shipped file (read once, shared)."""
    return inequalities.load_published_england_gaps(measure=measure)


def _places(footprint: geography.Footprint) -> pd.DataFrame:
    lsoas = data.lsoas_of(footprint)
    return lsoas.groupby(["ltla24_code", "ltla24_name"], as_index=False)["pop_total"].sum().sort_values("ltla24_name")


@st.cache_data(show_spinner="Measuring the gap ...", max_entries=64)
def inequalities_content(footprint: geography.Footprint, signature: tuple) -> dict:
    """Life expectancy by place with England, and the gap by practice deprivation with SII and limits, beside
    England's gap by the same method and ONS's published England gap."""
    lsoa = data.lsoa_for(footprint)
    places = _places(footprint)
    names = dict(zip(places["ltla24_code"], places["ltla24_name"], strict=True))
    place_series = health_index_by_place()
    series = place_series.loc[
        (place_series["indicator"] == "Life expectancy") & place_series["ltla24_code"].isin(names)
    ]
    latest_year = int(series["year"].max()) if len(series) else 2021
    latest = series.loc[series["year"] == latest_year]
    lsoas = geography.lsoas_in(lsoa, footprint)
    footprint_practices = data.practices_in(footprint, lsoas)
    le = practice_life_expectancy()
    fifths, gaps, sentences = {}, {}, []
    where = geography.footprint_name(lsoa, footprint)
    for sex in ("Female", "Male"):
        fifths[sex] = inequalities.practice_deprivation_fifths(footprint_practices, le, sex=sex)
        gaps[sex] = inequalities.life_expectancy_gap(fifths[sex], rng=np.random.default_rng(2025))
        sentences.append(inequalities.gap_sentence(gaps[sex], sex=sex, where=where))
    england_fifths = {sex: inequalities.practice_deprivation_fifths(data.practices(), le, sex=sex) for sex in gaps}
    england_gaps = {
        sex: inequalities.life_expectancy_gap(f, rng=np.random.default_rng(2025)) for sex, f in england_fifths.items()
    }
    published = published_england_gaps()
    table = pd.concat([f.assign(sex=s) for s, f in fifths.items()], ignore_index=True) if fifths else pd.DataFrame()
    return {
        "name": where,
        "names": names,
        "series": series,
        "latest_year": latest_year,
        "place_sentence": narrative.life_expectancy_place_narrative(latest, names=names, year=latest_year),
        "fifths": fifths,
        "gaps": gaps,
        "england_gaps": england_gaps,  # the same practice method for all England: the like-for-like comparator
        "published_gaps": published,  # ONS's published gap between England's neighbourhoods, with its source
        "england_explanation": inequalities.england_gap_explanation(published["Male"]),
        "gap_sentences": sentences,
        "fifths_table": table,
        "practices": len(footprint_practices),
    }


def _number_text(value: float) -> str:
    """One decimal place, or three for values below 1 in size (IMD domain rates)."""
    return f"{value:.3f}" if abs(value) < 1 else f"{value:,.1f}"


@st.cache_data(show_spinner="Benchmarking against England ...", max_entries=64)
def benchmark_content(footprint: geography.Footprint, signature: tuple) -> dict:
    """Places against England (tartan rug and spine chart rows) and the ICB's statistical peers."""
    lsoa = data.lsoa_for(footprint)
    places = _places(footprint)
    codes = places["ltla24_code"].tolist()
    names = dict(zip(places["ltla24_code"], places["ltla24_name"], strict=True))
    qof = pd.read_parquet(GEODATA_DIR / "qof_prevalence_lad24.parquet")
    tested = benchmarking.qof_prevalence_benchmarks(qof, places=codes)
    tested = tested.rename(columns={"lower95_0cl": "lower95", "upper95_0cl": "upper95"})
    tested["value_text"] = (tested["value"] * 100).map("{:.1f}%".format)
    tested["england_text"] = (tested["england"] * 100).map("{:.1f}%".format)
    hi = health_index_by_place()
    ranked = benchmarking.ranked_indicators(lsoa, hi, places=codes)
    ranked["value_text"] = ranked["value"].map(_number_text)
    ranked["england_text"] = ranked["england"].map(_number_text)
    rows = pd.concat(
        [
            ranked.assign(kind="ranked"),
            tested.assign(kind="tested", polarity="no polarity", trend="single year")[
                [
                    "ltla24_code",
                    "indicator",
                    "source",
                    "value",
                    "england",
                    "benchmark",
                    "value_text",
                    "england_text",
                    "lower95",
                    "upper95",
                    "polarity",
                    "trend",
                    "kind",
                ]
            ],
        ],
        ignore_index=True,
    )
    rows["area"] = rows["ltla24_code"].map(names)
    # Crude prevalence is read against age: the narrative compares each place's share aged 65+ with England's.
    rows = rows.merge(benchmarking.share_aged_65_plus(lsoa, places=codes), on="ltla24_code", how="left")
    # Trend markers on the rug: a significant rise or fall over the last five years of the series.
    arrows = rows["trend"].map(
        lambda t: " ▲" if t.startswith("increasing") else " ▼" if t.startswith("decreasing") else ""
    )
    rows["value_text"] = rows["value_text"] + arrows
    england = rows.drop_duplicates("indicator").assign(area="England", benchmark="not compared")
    england["value_text"] = england["england_text"]
    columns = ["indicator", "area", "value_text", "benchmark"]
    rug = pd.concat([england[columns], rows[columns]], ignore_index=True)
    features = benchmarking.icb_features(lsoa)
    peers = benchmarking.peer_icbs(features, icb_code=footprint.icb_code)
    group = pd.concat([features.loc[features["code"] == footprint.icb_code], peers], ignore_index=True)
    ranks = {
        column: (
            benchmarking.rank_among(group, icb_code=footprint.icb_code, column=column),
            benchmarking.rank_among(features, icb_code=footprint.icb_code, column=column),
        )
        for column in ("imd_score", "most_deprived_fifth", "share_65_plus", "aq_indicator")
    }
    return {
        "names": names,
        "rows": rows,
        "rug": rug,
        "features": features,
        "peers": peers,
        "group": group,
        "ranks": ranks,
        "icb_name": geography.short_icb_name(lsoa.loc[lsoa["icb_code"] == footprint.icb_code, "icb_name"].iloc[0]),
    }


def where_it_came_from(history: dict, *, name: str) -> None:
    """A new ICB's predecessors: people and LSOAs taken from each, how it was decided, and a map of the pieces."""
    version, before = history["version"], history["before"]
    pieces = history["pieces"]
    st.subheader(f"Where {name} came from")
    names = [geography.short_icb_name(n) for n in pieces["icb_name_old"]]
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    st.markdown(
        f"{name} was formed on {geoversions.long_date(version.effective_from)} from {joined}. "
        f"The table shows the people (Census 2021) and LSOAs it took from each ICB of {before.short_label}."
    )
    table = pd.DataFrame(
        {
            "ICB before": names,
            "Code": pieces["icb_code_old"],
            "People": pieces["people"],
            "LSOAs": pieces["lsoas"],
            "Share of people": pieces["people"] / pieces["people"].sum(),
            "How it was decided": pieces["basis"],
        }
    )
    st.table(
        table.assign(
            People=table["People"].map("{:,}".format),
            **{"Share of people": table["Share of people"].map("{:.0%}".format)},
        ).set_index("ICB before")
    )
    if version.is_reconstruction:
        st.caption(
            f"{version.label} is reconstructed from the published succession rules. "
            + " ".join(version.notes)
            + " Load ONS's official lookup on the Data sources page to replace it."
        )
    st.pydeck_chart(history["deck"], height=380, key="home_history_map")
    st.caption("Each colour is the part taken from one ICB of " + before.short_label + ".")
