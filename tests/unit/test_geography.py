"""Footprints, summaries and the home narrative, on the real shipped data."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from phm_core import geography, geoversions, maps, narrative
from phm_core.geography import Footprint

pytestmark = pytest.mark.unit

SNEE, HWE = "E54000023", "E54000025"  # April 2024 ICBs, abolished on 1 April 2026
NORFOLK_SUFFOLK, ESSEX, CENTRAL_EAST = "E54000068", "E54000066", "E54000065"
COLCHESTER, EAST_SUFFOLK, IPSWICH = "E07000071", "E07000244", "E07000202"
V2026 = geoversions.GeographyVersion(
    "2026-04", "ICBs as at April 2026", "2026-04-01", "reconstruction", "", NORFOLK_SUFFOLK
)
V2024 = geoversions.GeographyVersion("2024-04", "ICBs as at April 2024", "2024-04-01", "published", "", SNEE)


def test_resolve_footprint_defaults_to_norfolk_and_suffolk(lsoa: pd.DataFrame) -> None:
    resolution = geography.resolve_footprint(lsoa, version=V2026)
    assert resolution.footprint == Footprint(NORFOLK_SUFFOLK, "icb", None, "2026-04") and resolution.notes == []


def test_the_2024_geography_defaults_to_its_own_default_icb(lsoa_2024: pd.DataFrame) -> None:
    resolution = geography.resolve_footprint(lsoa_2024, version=V2024)
    assert resolution.footprint == Footprint(SNEE, geography="2024-04")
    assert resolution.footprint.as_query() == {"geo": "2024-04", "icb": SNEE}


@pytest.mark.parametrize(
    ("query", "expected", "note"),
    [
        ({"icb": ESSEX, "level": "ward", "area": "x"}, Footprint(ESSEX), "not a footprint level"),
        ({"icb": ESSEX, "level": "place", "area": IPSWICH}, Footprint(ESSEX), "not a place in this ICB"),
        ({"icb": ESSEX, "level": "place", "area": COLCHESTER}, Footprint(ESSEX, "place", COLCHESTER), None),
        ({"icb": ESSEX, "level": "region", "area": "E40000007"}, Footprint(ESSEX, "region", "E40000007"), None),
    ],
)
def test_resolve_footprint_corrects_bad_levels_and_areas_and_says_so(
    lsoa: pd.DataFrame, query: dict, expected: Footprint, note: str | None
) -> None:
    resolution = geography.resolve_footprint(lsoa, version=V2026, **query)
    assert resolution.footprint == expected
    assert (note is None and resolution.notes == []) or (note is not None and note in resolution.notes[0])


def test_an_unknown_icb_gives_no_footprint_rather_than_another_icb(lsoa: pd.DataFrame) -> None:
    resolution = geography.resolve_footprint(lsoa, icb="E54999999", version=V2026)
    assert resolution.footprint is None and "not an ICB" in resolution.message
    message, choices = geography.explain_missing_icb("E54999999", version=V2026, lsoa=lsoa, others=[])
    assert "not an ICB code in any geography" in message and choices == []


def test_an_abolished_icb_is_explained_with_its_successors_and_the_2024_view(
    lsoa: pd.DataFrame, lsoa_2024: pd.DataFrame
) -> None:
    assert geography.resolve_footprint(lsoa, icb=SNEE, version=V2026).footprint is None
    message, choices = geography.explain_missing_icb(SNEE, version=V2026, lsoa=lsoa, others=[(V2024, lsoa_2024)])
    assert message.startswith("NHS Suffolk and North East Essex was abolished on 1 April 2026; its area is now in")
    assert "NHS Norfolk and Suffolk (" in message and "NHS Essex (Colchester and Tendring)" in message
    offered = {c.footprint for c in choices}
    assert offered == {
        Footprint(NORFOLK_SUFFOLK),
        Footprint(ESSEX),
        Footprint(SNEE, geography="2024-04"),
    }
    assert any(c.label == "NHS Suffolk and North East Essex (ICBs as at April 2024)" for c in choices)


def test_a_new_icb_on_the_old_geography_names_its_predecessors(lsoa: pd.DataFrame, lsoa_2024: pd.DataFrame) -> None:
    message, choices = geography.explain_missing_icb(
        NORFOLK_SUFFOLK, version=V2024, lsoa=lsoa_2024, others=[(V2026, lsoa)]
    )
    assert message == (
        "NHS Norfolk and Suffolk did not exist in April 2024: it was formed on 1 April 2026. In April 2024 its area "
        "was in NHS Norfolk and Waveney and NHS Suffolk and North East Essex."
    )
    assert {c.footprint for c in choices} == {
        Footprint("E54000022", geography="2024-04"),
        Footprint(SNEE, geography="2024-04"),
        Footprint(NORFOLK_SUFFOLK),
    }


def test_a_recoded_icb_says_so(lsoa: pd.DataFrame, lsoa_2024: pd.DataFrame) -> None:
    message, _ = geography.explain_missing_icb("E54000042", version=V2026, lsoa=lsoa, others=[(V2024, lsoa_2024)])
    assert message == "NHS Hampshire and Isle of Wight took a new ONS code on 1 April 2026: E54000042 became E54000067."


def test_footprint_round_trips_through_the_query_string(lsoa: pd.DataFrame, lsoa_2024: pd.DataFrame) -> None:
    footprint = Footprint(NORFOLK_SUFFOLK, "pcn", lsoa.loc[lsoa["icb_code"] == NORFOLK_SUFFOLK, "pcn_code"].iloc[0])
    query = footprint.as_query()
    assert "geo" not in query
    assert geography.resolve_footprint(lsoa, version=V2026, **query).footprint == footprint
    old = Footprint(HWE, "place", "E07000241", "2024-04")
    query = old.as_query()
    assert query["geo"] == "2024-04"
    again = geography.resolve_footprint(
        lsoa_2024, icb=query["icb"], level=query["level"], area=query["area"], version=V2024
    )
    assert again.footprint == old


@pytest.mark.parametrize("level", ["place", "sub_icb", "pcn"])
def test_areas_of_a_level_partition_the_icb(lsoa: pd.DataFrame, level: str) -> None:
    icb_people = int(lsoa.loc[lsoa["icb_code"] == NORFOLK_SUFFOLK, "pop_total"].sum())
    assert icb_people == 1_676_800
    options = geography.area_options(lsoa, icb_code=NORFOLK_SUFFOLK, level=level)
    assert int(options["population"].sum()) == icb_people
    parts = [geography.lsoas_in(lsoa, Footprint(NORFOLK_SUFFOLK, level, code)) for code in options["code"]]
    assert sum(len(p) for p in parts) == 1_001
    assert sum(int(p["pop_total"].sum()) for p in parts) == icb_people


def test_sub_icb_locations_have_readable_names_never_icb_dash_code(lsoa: pd.DataFrame) -> None:
    labels = geography.area_options(lsoa, icb_code=NORFOLK_SUFFOLK, level="sub_icb")["label"].tolist()
    assert labels == [
        "Ipswich, East Suffolk, Mid Suffolk and Babergh (06L)",
        "Norfolk and Waveney (26A)",
        "West Suffolk, Babergh and Mid Suffolk (07K)",
    ]
    assert not lsoa["sub_icb_label"].str.contains(" ICB - ").any()
    frimley = geography.area_options(lsoa, icb_code="E54000070", level="sub_icb").set_index("code")["label"]
    assert frimley["E38000252"] == "Frimley (D4U1Y) (part)"


def test_a_place_split_between_icbs_is_labelled_part(lsoa_2024: pd.DataFrame) -> None:
    places = geography.area_options(lsoa_2024, icb_code=SNEE, level="place").set_index("code")
    assert places.loc[EAST_SUFFOLK, "label"] == "East Suffolk (part)"
    assert places.loc[COLCHESTER, "label"] == "Colchester"
    assert geography.footprint_name(lsoa_2024, Footprint(SNEE, "place", COLCHESTER, "2024-04")) == (
        "Colchester, in NHS Suffolk and North East Essex"
    )


def test_icb_options_list_36_by_region_and_42_in_2024(lsoa: pd.DataFrame, lsoa_2024: pd.DataFrame) -> None:
    icbs = geography.icb_options(lsoa)
    assert len(icbs) == 36 and icbs["region_name"].nunique() == 7
    assert icbs["region_name"].is_monotonic_increasing
    assert not icbs["label"].str.contains("Integrated Care Board").any()
    assert int(icbs["population"].sum()) == int(lsoa["pop_total"].sum())
    new = {"NHS Essex", "NHS Central East", "NHS Thames Valley", "NHS Surrey and Sussex", "NHS Norfolk and Suffolk"}
    assert new | {"NHS West and North London"} <= set(icbs["label"])
    assert "NHS Suffolk and North East Essex" not in set(icbs["label"])
    old = geography.icb_options(lsoa_2024)
    assert len(old) == 42 and "NHS Suffolk and North East Essex" in set(old["label"])


def test_a_region_footprint_is_every_icb_in_it(lsoa: pd.DataFrame) -> None:
    regions = geography.area_options(lsoa, icb_code=NORFOLK_SUFFOLK, level="region")
    assert regions["name"].tolist() == ["East of England"]
    footprint = Footprint(NORFOLK_SUFFOLK, "region", regions["code"].iloc[0])
    east = geography.lsoas_in(lsoa, footprint)
    assert set(east["icb_code"]) == {NORFOLK_SUFFOLK, ESSEX, CENTRAL_EAST}
    assert geography.footprint_name(lsoa, footprint) == "East of England (NHS England region)"
    table, noun, _ = geography.area_summary(east, level="region")
    assert noun == "ICB" and len(table) == 3 and int(table["people"].sum()) == int(east["pop_total"].sum())


def test_a_neighbourhood_level_needs_the_icbs_definitions(lsoa: pd.DataFrame) -> None:
    assert geography.area_options(lsoa, icb_code=NORFOLK_SUFFOLK, level="neighbourhood").empty
    footprint = Footprint(NORFOLK_SUFFOLK, "neighbourhood", "NBH-1")
    assert geography.lsoas_in(lsoa, footprint).empty
    named = lsoa.assign(
        neighbourhood_code=lsoa["pcn_code"].where(lsoa["icb_code"] == NORFOLK_SUFFOLK).map(lambda c: c and "NBH-1"),
        neighbourhood_name="Everyone",
    )
    named.loc[named["icb_code"] != NORFOLK_SUFFOLK, "neighbourhood_code"] = None
    assert len(geography.lsoas_in(named, footprint)) == 1_001


def test_tier_notes_flag_unusual_sizes() -> None:
    assert geography.tier_note("icb", 1_500_000) is None
    assert "smaller than a typical place" in geography.tier_note("place", 100_000)
    assert "larger than a typical neighbourhood" in geography.tier_note("pcn", 120_000)
    assert geography.tier_note("pcn", 40_000) is None


def test_profiles_are_shares_that_sum_to_one(lsoa_2024: pd.DataFrame) -> None:
    snee = geography.lsoas_in(lsoa_2024, Footprint(SNEE, geography="2024-04"))
    profile = geography.deprivation_profile(snee, lsoa_2024)
    structure = geography.age_structure(snee, lsoa_2024)
    for frame in (profile, structure):
        assert frame["share"].sum() == pytest.approx(1.0)
        assert frame["england_share"].sum() == pytest.approx(1.0)
    assert int(profile["people"].sum()) == 985_317
    expected_decile_1 = int(snee.loc[snee["imd_decile"] == 1, "pop_total"].sum())
    assert int(profile.loc[profile["decile"] == 1, "people"].item()) == expected_decile_1


def test_area_summary_adds_up_to_the_footprint(lsoa_2024: pd.DataFrame) -> None:
    snee = geography.lsoas_in(lsoa_2024, Footprint(SNEE, geography="2024-04"))
    table, noun, plural = geography.area_summary(snee, level="icb")
    assert (noun, plural) == ("Place", "Places") and len(table) == 7
    assert int(table["people"].sum()) == 985_317
    tendring = table.set_index("name").loc["Tendring"]
    rows = snee.loc[snee["ltla24_name"] == "Tendring"]
    assert tendring["average_imd_score"] == pytest.approx(
        (rows["imd_score"] * rows["pop_total"]).sum() / rows["pop_total"].sum()
    )


def test_narrative_figures_come_from_the_data(lsoa_2024: pd.DataFrame) -> None:
    snee = geography.lsoas_in(lsoa_2024, Footprint(SNEE, geography="2024-04"))
    text = " ".join(narrative.home_narrative(snee, lsoa_2024, name="NHS Suffolk and North East Essex"))
    assert text.startswith("1.0 million people live in NHS Suffolk and North East Essex")
    assert "Tendring 018A" in text and "ranked 1st most deprived of 33,755" in text
    hwe = geography.lsoas_in(lsoa_2024, Footprint(HWE, geography="2024-04"))
    other = " ".join(narrative.home_narrative(hwe, lsoa_2024, name="NHS Hertfordshire and West Essex"))
    assert other.startswith("1.5 million people") and "Tendring" not in other
    assert narrative.home_narrative(snee.iloc[0:0], lsoa_2024, name="Nowhere") == [
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


def test_deprivation_map_has_one_feature_per_lsoa_and_a_small_payload(lsoa_2024: pd.DataFrame) -> None:
    from phm_core import loaders

    practices = geoversions.load_versioned_practices("2024-04")
    snee = geography.lsoas_in(lsoa_2024, Footprint(SNEE, geography="2024-04"))
    deck = maps.deprivation_deck(
        snee, loaders.load_boundaries("lsoa"), practices=practices[practices["icb_code"] == SNEE]
    )
    spec = json.loads(deck.to_json())
    polygons, points = spec["layers"]
    assert polygons["@@type"] == "GeoJsonLayer" and points["@@type"] == "ScatterplotLayer"
    features = polygons["data"]["features"]
    assert len(features) == 583
    by_name = {f["properties"]["name"]: f["properties"] for f in features}
    assert by_name["Tendring 018A"]["value"].startswith("IMD 2025 decile 1 (rank 1 of 33,755)")
    assert len(points["data"]) == int(practices.loc[practices["icb_code"] == SNEE, "lat"].notna().sum())
    assert maps.payload_bytes(deck) < 1_000_000
    assert 0.0 < spec["initialViewState"]["longitude"] < 2.0
