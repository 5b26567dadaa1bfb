"""Footprints, summaries and the home narrative, on the real shipped data."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from phm_core import geography, maps, narrative
from phm_core.geography import Footprint

pytestmark = pytest.mark.unit

SNEE, HWE = "E54000023", "E54000025"
COLCHESTER, EAST_SUFFOLK = "E07000071", "E07000244"


def test_resolve_footprint_defaults_to_suffolk_and_north_east_essex(lsoa: pd.DataFrame) -> None:
    footprint, notes = geography.resolve_footprint(lsoa)
    assert footprint == Footprint(SNEE, "icb", None) and notes == []


@pytest.mark.parametrize(
    ("query", "expected", "note"),
    [
        ({"icb": "E54999999"}, Footprint(SNEE), "not an ICB code"),
        ({"icb": HWE, "level": "ward", "area": "x"}, Footprint(HWE), "not a footprint level"),
        ({"icb": HWE, "level": "place", "area": COLCHESTER}, Footprint(HWE), "not a place in this ICB"),
        ({"icb": SNEE, "level": "place", "area": COLCHESTER}, Footprint(SNEE, "place", COLCHESTER), None),
    ],
)
def test_resolve_footprint_corrects_bad_links_and_says_so(
    lsoa: pd.DataFrame, query: dict, expected: Footprint, note: str | None
) -> None:
    footprint, notes = geography.resolve_footprint(lsoa, **query)
    assert footprint == expected
    assert (note is None and notes == []) or (note is not None and note in notes[0])


def test_footprint_round_trips_through_the_query_string(lsoa: pd.DataFrame) -> None:
    footprint = Footprint(SNEE, "pcn", lsoa.loc[lsoa["icb24_code"] == SNEE, "pcn_code"].iloc[0])
    again, notes = geography.resolve_footprint(lsoa, **footprint.as_query())
    assert again == footprint and notes == []
    assert Footprint(HWE).as_query() == {"icb": HWE}


@pytest.mark.parametrize("level", ["place", "sub_icb", "pcn"])
def test_areas_of_a_level_partition_the_icb(lsoa: pd.DataFrame, level: str) -> None:
    icb_people = int(lsoa.loc[lsoa["icb24_code"] == SNEE, "pop_total"].sum())
    options = geography.area_options(lsoa, icb_code=SNEE, level=level)
    assert int(options["population"].sum()) == icb_people
    parts = [geography.lsoas_in(lsoa, Footprint(SNEE, level, code)) for code in options["code"]]
    assert sum(len(p) for p in parts) == 583
    assert sum(int(p["pop_total"].sum()) for p in parts) == icb_people


def test_a_place_split_between_icbs_is_labelled_part(lsoa: pd.DataFrame) -> None:
    places = geography.area_options(lsoa, icb_code=SNEE, level="place").set_index("code")
    assert places.loc[EAST_SUFFOLK, "label"] == "East Suffolk (part)"
    assert places.loc[COLCHESTER, "label"] == "Colchester"
    assert geography.footprint_name(lsoa, Footprint(SNEE, "place", COLCHESTER)) == (
        "Colchester, in NHS Suffolk and North East Essex"
    )


def test_icb_options_list_all_42_with_short_names(lsoa: pd.DataFrame) -> None:
    icbs = geography.icb_options(lsoa)
    assert len(icbs) == 42
    assert not icbs["label"].str.contains("Integrated Care Board").any()
    assert int(icbs["population"].sum()) == int(lsoa["pop_total"].sum())


def test_tier_notes_flag_unusual_sizes() -> None:
    assert geography.tier_note("icb", 1_500_000) is None
    assert "smaller than a typical place" in geography.tier_note("place", 100_000)
    assert "larger than a typical neighbourhood" in geography.tier_note("pcn", 120_000)
    assert geography.tier_note("pcn", 40_000) is None


def test_profiles_are_shares_that_sum_to_one(lsoa: pd.DataFrame) -> None:
    snee = geography.lsoas_in(lsoa, Footprint(SNEE))
    profile = geography.deprivation_profile(snee, lsoa)
    structure = geography.age_structure(snee, lsoa)
    for frame in (profile, structure):
        assert frame["share"].sum() == pytest.approx(1.0)
        assert frame["england_share"].sum() == pytest.approx(1.0)
    assert int(profile["people"].sum()) == 985_317
    expected_decile_1 = int(snee.loc[snee["imd_decile"] == 1, "pop_total"].sum())
    assert int(profile.loc[profile["decile"] == 1, "people"].item()) == expected_decile_1


def test_area_summary_adds_up_to_the_footprint(lsoa: pd.DataFrame) -> None:
    snee = geography.lsoas_in(lsoa, Footprint(SNEE))
    table, noun, plural = geography.area_summary(snee, level="icb")
    assert (noun, plural) == ("Place", "Places") and len(table) == 7
    assert int(table["people"].sum()) == 985_317
    tendring = table.set_index("name").loc["Tendring"]
    rows = snee.loc[snee["ltla24_name"] == "Tendring"]
    assert tendring["average_imd_score"] == pytest.approx(
        (rows["imd_score"] * rows["pop_total"]).sum() / rows["pop_total"].sum()
    )


def test_narrative_figures_come_from_the_data(lsoa: pd.DataFrame) -> None:
    snee = geography.lsoas_in(lsoa, Footprint(SNEE))
    text = " ".join(narrative.home_narrative(snee, lsoa, name="NHS Suffolk and North East Essex"))
    assert text.startswith("1.0 million people live in NHS Suffolk and North East Essex")
    assert "Tendring 018A" in text and "ranked 1st most deprived of 33,755" in text
    hwe = geography.lsoas_in(lsoa, Footprint(HWE))
    other = " ".join(narrative.home_narrative(hwe, lsoa, name="NHS Hertfordshire and West Essex"))
    assert other.startswith("1.5 million people") and "Tendring" not in other
    assert narrative.home_narrative(snee.iloc[0:0], lsoa, name="Nowhere") == [
        "No neighbourhoods (LSOAs) are recorded for Nowhere."
    ]


@pytest.mark.parametrize(("share", "text"), [(0.083, "1 in 12"), (0.0, "nobody"), (0.6, "60%"), (0.2, "1 in 5")])
def test_one_in(share: float, text: str) -> None:
    assert narrative.one_in(share) == text


def test_ordinals_and_people() -> None:
    assert [narrative.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 2525)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "2,525th",
    ]
    assert narrative.format_people(985_317) == "1.0 million"
    assert narrative.format_people(119_838) == "119,838"


def test_deprivation_map_has_one_feature_per_lsoa_and_a_small_payload(lsoa: pd.DataFrame) -> None:
    from phm_core import loaders

    snee = geography.lsoas_in(lsoa, Footprint(SNEE))
    practices = loaders.load_practices()
    deck = maps.deprivation_deck(
        snee, loaders.load_boundaries("lsoa"), practices=practices[practices["icb24_code"] == SNEE]
    )
    spec = json.loads(deck.to_json())
    polygons, points = spec["layers"]
    assert polygons["@@type"] == "GeoJsonLayer" and points["@@type"] == "ScatterplotLayer"
    features = polygons["data"]["features"]
    assert len(features) == 583
    by_name = {f["properties"]["name"]: f["properties"] for f in features}
    assert by_name["Tendring 018A"]["value"].startswith("IMD 2025 decile 1 (rank 1 of 33,755)")
    assert len(points["data"]) == int(practices.loc[practices["icb24_code"] == SNEE, "lat"].notna().sum())
    assert maps.payload_bytes(deck) < 1_000_000
    assert 0.0 < spec["initialViewState"]["longitude"] < 2.0
