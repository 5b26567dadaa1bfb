"""Home page: the chosen footprint's figures, map and narrative; geography versions, abolished ICBs and regions."""

from __future__ import annotations

import json

import pytest

from phm_core import geoversions

pytestmark = pytest.mark.app

NORFOLK_SUFFOLK, ESSEX, SNEE, HWE = "E54000068", "E54000066", "E54000023", "E54000025"


@pytest.fixture(scope="module")
def lsoa_2026():
    return geoversions.load_versioned_lsoa("2026-04")


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _deck(at, index: int = 0) -> dict:
    return json.loads(at.get("deck_gl_json_chart")[index].proto.json)


def _people(lsoa, icb: str) -> int:
    return int(lsoa.loc[lsoa["icb_code"] == icb, "pop_total"].sum())


def test_default_footprint_is_norfolk_and_suffolk_as_at_april_2026(open_page, lsoa_2026) -> None:
    at = open_page("home.py")
    assert not at.exception
    assert at.title[0].value == "NHS Norfolk and Suffolk"
    assert _metrics(at)["Residents (Census 2021)"] == "1,676,800" == f"{_people(lsoa_2026, NORFOLK_SUFFOLK):,}"
    assert "ICBs as at April 2026" in at.caption[0].value and "1,001 LSOAs" in at.caption[0].value
    assert at.markdown[0].value.startswith("1.7 million people live in NHS Norfolk and Suffolk")
    assert len(_deck(at)["layers"][0]["data"]["features"]) == 1_001
    assert len(at.get("plotly_chart")) == 2
    assert at.query_params["icb"] == NORFOLK_SUFFOLK and "geo" not in at.query_params
    assert at.selectbox(key="footprint_geo").value == "2026-04"
    assert len(at.selectbox(key="footprint_icb").options) == 36


def test_a_new_icb_shows_where_it_came_from(open_page) -> None:
    at = open_page("home.py")
    assert any(h.value == "Where NHS Norfolk and Suffolk came from" for h in at.subheader)
    table = at.table[0].value
    assert list(table.index) == ["NHS Norfolk and Waveney", "NHS Suffolk and North East Essex"]
    people = table["People"].str.replace(",", "").astype(int)
    assert int(people.sum()) == 1_676_800
    assert table["LSOAs"].astype(int).sum() == 1_001
    assert "split by sub-ICB location" in table.loc["NHS Suffolk and North East Essex", "How it was decided"]
    pieces = _deck(at, 1)["layers"][0]["data"]["features"]
    assert sorted(f["properties"]["name"] for f in pieces) == sorted(table.index)


def test_an_unchanged_icb_has_no_history_section(open_page) -> None:
    at = open_page("home.py", icb="E54000008")  # Cheshire and Merseyside, unchanged in 2026
    assert not at.exception
    assert at.title[0].value == "NHS Cheshire and Merseyside"
    assert not any(h.value.startswith("Where ") for h in at.subheader)


def test_switching_icb_changes_every_figure(open_page, lsoa_2026) -> None:
    at = open_page("home.py")
    before = (_metrics(at), at.markdown[0].value, at.dataframe[0].value["name"].tolist())
    at.selectbox(key="footprint_icb").set_value(ESSEX).run()
    assert not at.exception
    after = (_metrics(at), at.markdown[0].value, at.dataframe[0].value["name"].tolist())
    assert at.title[0].value == "NHS Essex"
    assert after[0]["Residents (Census 2021)"] == f"{_people(lsoa_2026, ESSEX):,}" == "1,860,224"
    for old, new in zip(before[0].values(), after[0].values(), strict=True):
        assert old != new
    assert before[1] != after[1] and "Essex" in after[1]
    assert "Colchester" in after[2] and "Ipswich" not in after[2]
    assert at.query_params["icb"] == ESSEX


def test_choosing_a_place_narrows_the_figures_and_the_url(open_page, lsoa_2026) -> None:
    at = open_page("home.py", icb=ESSEX)
    at.radio(key="footprint_level").set_value("place").run()
    at.selectbox(key="footprint_area").set_value("E07000076").run()  # Tendring
    assert not at.exception
    assert at.title[0].value == "Tendring, in NHS Essex"
    assert _metrics(at)["Residents (Census 2021)"] == "148,285"
    assert at.query_params["level"] == "place" and at.query_params["area"] == "E07000076"
    networks = at.dataframe[0].value
    assert int(networks["people"].sum()) == 148_285
    assert any("Primary care networks (PCNs) in this footprint" in h.value for h in at.subheader)


def test_a_sub_icb_location_has_a_readable_name(open_page) -> None:
    at = open_page("home.py")
    at.radio(key="footprint_level").set_value("sub_icb").run()
    labels = at.selectbox(key="footprint_area").options
    assert any(label.startswith("Norfolk and Waveney (26A)") for label in labels)
    assert not any(" ICB - " in label for label in labels)


def test_a_region_is_a_footprint_above_the_icb(open_page, lsoa_2026) -> None:
    at = open_page("home.py")
    at.radio(key="footprint_level").set_value("region").run()
    assert not at.exception
    assert at.title[0].value == "East of England (NHS England region)"
    east = lsoa_2026.loc[lsoa_2026["region_name"] == "East of England", "pop_total"].sum()
    assert _metrics(at)["Residents (Census 2021)"] == f"{int(east):,}"
    assert sorted(at.dataframe[0].value["name"]) == [
        "NHS Central East Integrated Care Board",
        "NHS Essex Integrated Care Board",
        "NHS Norfolk and Suffolk Integrated Care Board",
    ]


def test_a_shared_link_reproduces_the_view(open_page) -> None:
    at = open_page("home.py", icb="E54000065", level="place", area="E07000241")
    assert not at.exception
    assert at.title[0].value == "Welwyn Hatfield, in NHS Central East"
    assert _metrics(at)["Residents (Census 2021)"] == "119,838"


def test_a_2024_link_opens_the_old_icb_and_lists_42(open_page) -> None:
    at = open_page("home.py", geo="2024-04", icb=HWE)
    assert not at.exception
    assert at.title[0].value == "NHS Hertfordshire and West Essex"
    assert _metrics(at)["Residents (Census 2021)"] == "1,498,159"
    assert "ICBs as at April 2024" in at.caption[0].value
    assert len(at.selectbox(key="footprint_icb").options) == 42
    assert at.query_params["geo"] == "2024-04"
    assert not any(h.value.startswith("Where ") for h in at.subheader)


def test_a_link_to_an_abolished_icb_explains_and_offers_its_successors(open_page) -> None:
    at = open_page("home.py", icb=SNEE)
    assert not at.exception
    assert at.title[0].value == "This link needs a choice"
    assert at.info[0].value.startswith(
        "NHS Suffolk and North East Essex was abolished on 1 April 2026; its area is now in NHS Norfolk and Suffolk"
    )
    assert "NHS Essex (Colchester and Tendring)" in at.info[0].value
    assert not at.metric and not at.get("deck_gl_json_chart")  # no other organisation's figures
    labels = [b.label for b in at.button]
    assert labels == [
        "NHS Norfolk and Suffolk (ICBs as at April 2026)",
        "NHS Essex (ICBs as at April 2026)",
        "NHS Suffolk and North East Essex (ICBs as at April 2024)",
    ]
    at.button[1].click().run()
    assert not at.exception
    assert at.title[0].value == "NHS Essex" and at.query_params["icb"] == ESSEX


def test_the_abolished_icb_can_still_be_seen_as_it_was(open_page) -> None:
    at = open_page("home.py", icb=SNEE)
    at.button[2].click().run()
    assert not at.exception
    assert at.title[0].value == "NHS Suffolk and North East Essex"
    assert _metrics(at)["Residents (Census 2021)"] == "985,317"
    assert at.query_params["geo"] == "2024-04" and at.query_params["icb"] == SNEE


def test_switching_geography_keeps_an_unchanged_icb_and_explains_a_missing_one(open_page) -> None:
    at = open_page("home.py", icb="E54000008")
    at.selectbox(key="footprint_geo").set_value("2024-04").run()
    assert not at.exception
    assert at.title[0].value == "NHS Cheshire and Merseyside" and at.query_params["geo"] == "2024-04"
    at = open_page("home.py")
    at.selectbox(key="footprint_geo").set_value("2024-04").run()
    assert not at.exception
    assert at.title[0].value == "This link needs a choice"
    assert at.info[0].value.startswith("NHS Norfolk and Suffolk did not exist in April 2024")
    assert [b.label for b in at.button][:2] == [
        "NHS Norfolk and Waveney (ICBs as at April 2024)",
        "NHS Suffolk and North East Essex (ICBs as at April 2024)",
    ]


def test_a_bad_link_shows_no_other_organisation(open_page) -> None:
    at = open_page("home.py", icb="NOT-AN-ICB")
    assert not at.exception
    assert at.title[0].value == "This link needs a choice"
    assert "not an ICB code in any geography" in at.info[0].value
    assert not at.metric
    at.selectbox(key="footprint_icb").set_value(ESSEX).run()
    assert at.title[0].value == "NHS Essex"


def test_an_unknown_geography_falls_back_to_the_default_with_a_note(open_page) -> None:
    at = open_page("home.py", geo="1999-04", icb=ESSEX)
    assert not at.exception
    assert at.title[0].value == "NHS Essex"
    assert any("not a geography version" in c.value for c in at.sidebar.caption)
