"""Map measures built up from LSOAs, their colours and legends, and the polygons of each level."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from phm_core import geography, loaders, maps, profiles

pytestmark = pytest.mark.unit

# NHS Suffolk and North East Essex, on the April 2024 geography (it was abolished on 1 April 2026).
SNEE = geography.Footprint("E54000023", geography="2024-04")


@pytest.fixture(scope="module")
def snee(lsoa_2024: pd.DataFrame) -> pd.DataFrame:
    return geography.lsoas_in(lsoa_2024, SNEE)


@pytest.fixture(scope="module")
def lsoa_shapes():
    return loaders.load_boundaries("lsoa")


@pytest.mark.parametrize(("level", "areas"), [("lsoa", 583), ("msoa", 114), ("place", 7), ("sub_icb", 3)])
def test_measures_add_up_at_every_level(snee: pd.DataFrame, level: str, areas: int) -> None:
    table = profiles.area_measures(snee, level=level)
    assert len(table) == areas
    assert int(table["pop_total"].sum()) == 985_317
    assert int(table["lsoas"].sum()) == 583
    share_older = (table["share_65_plus"] * table["pop_total"]).sum() / table["pop_total"].sum()
    assert share_older == pytest.approx(snee["pop_65_plus"].sum() / snee["pop_total"].sum())


def test_the_default_icb_adds_up_at_every_level_with_readable_sub_icb_names(lsoa: pd.DataFrame) -> None:
    norfolk_and_suffolk = geography.lsoas_in(lsoa, geography.Footprint())  # the default: April 2026's E54000068
    for level, areas in [("lsoa", 1_001), ("place", 12), ("sub_icb", 3)]:
        table = profiles.area_measures(norfolk_and_suffolk, level=level)
        assert len(table) == areas
        assert int(table["pop_total"].sum()) == 1_676_800
        assert int(table["lsoas"].sum()) == 1_001
    names = set(profiles.area_measures(norfolk_and_suffolk, level="sub_icb")["name"])
    assert "Norfolk and Waveney (26A)" in names
    assert not any(" ICB - " in name for name in names)  # not the official '<ICB> ICB - 26A'


def test_place_scores_are_population_weighted(snee: pd.DataFrame) -> None:
    table = profiles.area_measures(snee, level="place").set_index("name")
    tendring = snee.loc[snee["ltla24_name"] == "Tendring"]
    expected = (tendring["imd_score"] * tendring["pop_total"]).sum() / tendring["pop_total"].sum()
    assert table.loc["Tendring", "imd_score"] == pytest.approx(expected)
    assert table.loc["Tendring", "aq_indicator"] == pytest.approx(
        (tendring["aq_indicator"] * tendring["pop_total"]).sum() / tendring["pop_total"].sum()
    )


def test_lsoa_level_keeps_deciles_and_ranks_within_the_icb(snee: pd.DataFrame) -> None:
    table = profiles.area_measures(snee, level="lsoa").set_index("name")
    assert table.loc["Tendring 018A", "imd_decile"] == 1
    assert table.loc["Tendring 018A", "imd_local_rank"] == 1
    assert table["imd_local_rank"].max() == 583
    assert set(table["ruc21_name"]) <= set(profiles.RURAL_URBAN_ORDER)


def test_density_uses_lsoa_areas(snee: pd.DataFrame, lsoa_shapes) -> None:
    areas = profiles.lsoa_areas_km2(lsoa_shapes)
    table = profiles.area_measures(snee, level="place", areas_km2=areas).set_index("name")
    # Ipswich is a town; Mid Suffolk is rural: the density ordering must say so.
    assert table.loc["Ipswich", "density"] > 10 * table.loc["Mid Suffolk", "density"]
    assert 2_000 < table.loc["Ipswich", "density"] < 5_000


def test_every_measure_has_colours_and_a_legend(snee: pd.DataFrame) -> None:
    lsoa_table = profiles.area_measures(snee, level="lsoa", areas_km2=pd.Series(dtype=float))
    for measure in profiles.measures_for("lsoa"):
        colours, legend = profiles.colour_measure(lsoa_table[measure.key], measure)
        assert len(colours) == len(lsoa_table)
        assert all(len(c) == 3 for c in colours)
        assert legend, measure.key


def test_sequential_colours_darken_with_value() -> None:
    measure = profiles.MEASURES["share_65_plus"]
    colours, legend = profiles.colour_measure(pd.Series([0.1, 0.2, 0.3, 0.4, 0.5, np.nan]), measure)
    assert colours[0] != colours[-2]
    assert colours[-1] == [216, 221, 224]  # missing values are grey
    assert legend[0].label.startswith("10.0%")


def test_local_rank_colours_are_darkest_for_rank_one() -> None:
    measure = profiles.MEASURES["imd_local_rank"]
    colours, _ = profiles.colour_measure(pd.Series(range(1, 11)), measure)
    darkest = profiles.SEQUENTIAL["deprivation"][-1]
    assert colours[0] == [int(darkest[i : i + 2], 16) for i in (1, 3, 5)]


def test_levels_dissolve_into_one_polygon_per_area(snee: pd.DataFrame, lsoa_shapes) -> None:
    shapes = profiles.dissolve_by(lsoa_shapes, snee, level="place")
    assert sorted(shapes["code"]) == sorted(snee["ltla24_code"].unique())
    assert shapes.geometry.is_valid.all()


def test_profile_deck_sends_only_what_the_layer_needs(snee: pd.DataFrame, lsoa_shapes) -> None:
    shapes = profiles.dissolve_by(lsoa_shapes, snee, level="lsoa")
    layer = maps.choropleth_layer(
        shapes, names=["x"] * len(shapes), values=["v"] * len(shapes), colours=[[1, 2, 3]] * len(shapes), layer_id="a"
    )
    deck = maps.profile_deck([layer], bounds=shapes.total_bounds)
    spec = json.loads(deck.to_json())
    feature = spec["layers"][0]["data"]["features"][0]
    assert set(feature["properties"]) == {"name", "value", "fill"}
    assert len(spec["layers"][0]["data"]["features"]) == 583
    assert maps.payload_bytes(deck) < 1_000_000
