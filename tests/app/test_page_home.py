"""Home page: the chosen footprint's figures, map and narrative, and switching footprint changes them all."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.app


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _deck(at) -> dict:
    return json.loads(at.get("deck_gl_json_chart")[0].proto.json)


def test_default_footprint_is_suffolk_and_north_east_essex(open_page) -> None:
    at = open_page("home.py")
    assert not at.exception
    assert at.title[0].value == "NHS Suffolk and North East Essex"
    assert _metrics(at)["Residents (Census 2021)"] == "985,317"
    assert "1.0 million people live in NHS Suffolk and North East Essex" in at.markdown[0].value
    features = _deck(at)["layers"][0]["data"]["features"]
    assert len(features) == 583
    assert len(at.get("plotly_chart")) == 2
    assert at.query_params["icb"] == "E54000023"


def test_switching_icb_changes_every_figure(open_page) -> None:
    at = open_page("home.py")
    before = (_metrics(at), at.markdown[0].value, at.dataframe[0].value["name"].tolist())
    at.selectbox(key="footprint_icb").set_value("E54000025").run()
    assert not at.exception
    after = (_metrics(at), at.markdown[0].value, at.dataframe[0].value["name"].tolist())
    assert at.title[0].value == "NHS Hertfordshire and West Essex"
    assert after[0]["Residents (Census 2021)"] == "1,498,159"
    for old, new in zip(before[0].values(), after[0].values(), strict=True):
        assert old != new
    assert before[1] != after[1] and "Hertfordshire" in after[1]
    assert "Dacorum" in after[2] and "Colchester" not in after[2]
    assert len(_deck(at)["layers"][0]["data"]["features"]) == 887
    assert at.query_params["icb"] == "E54000025"


def test_choosing_a_place_narrows_the_figures_and_the_url(open_page) -> None:
    at = open_page("home.py")
    at.radio(key="footprint_level").set_value("place").run()
    at.selectbox(key="footprint_area").set_value("E07000076").run()  # Tendring
    assert not at.exception
    assert at.title[0].value == "Tendring, in NHS Suffolk and North East Essex"
    assert _metrics(at)["Residents (Census 2021)"] == "148,285"
    assert at.query_params["level"] == "place" and at.query_params["area"] == "E07000076"
    neighbourhoods = at.dataframe[0].value
    assert int(neighbourhoods["people"].sum()) == 148_285
    assert any("Neighbourhoods (PCNs) in this footprint" in h.value for h in at.subheader)


def test_a_shared_link_reproduces_the_view(open_page) -> None:
    at = open_page("home.py", icb="E54000025", level="place", area="E07000241")
    assert not at.exception
    assert at.title[0].value == "Welwyn Hatfield, in NHS Hertfordshire and West Essex"
    assert _metrics(at)["Residents (Census 2021)"] == "119,838"


def test_a_bad_link_falls_back_with_a_note(open_page) -> None:
    at = open_page("home.py", icb="NOT-AN-ICB")
    assert not at.exception
    assert at.title[0].value == "NHS Suffolk and North East Essex"
    assert any("not an ICB code" in c.value for c in at.sidebar.caption)
