"""Population segments page: generated on first use with progress, labelled SYNTHETIC, opted-out excluded by
default, small numbers suppressed, and the footprint, opt-out toggle and map segment change what is shown."""

from __future__ import annotations

import json
import re

import pytest
import streamlit as st

from phm_core.synth.io import SAMPLE_FRACTION_ENV

pytestmark = pytest.mark.app
# NHS Suffolk and North East Essex on the April 2024 geography: a smaller ICB than the default (NHS Norfolk and
# Suffolk, 1.7 times its size) keeps generating its people quick; the figures below are for its 5% sample.
SNEE = {"geo": "2024-04", "icb": "E54000023"}


@pytest.fixture(autouse=True)
def _small_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    # A 5% sample keeps each test to a few seconds; the page says it is a sample.
    monkeypatch.setenv(SAMPLE_FRACTION_ENV, "0.05")


def _people_in_caption(at) -> int:
    caption = next(c.value for c in at.caption if "synthetic people alive on" in c.value)
    return int(re.search(r"([\d,]+) synthetic people", caption).group(1).replace(",", ""))


def _map(at) -> dict:
    return json.loads(at.get("deck_gl_json_chart")[0].proto.json)


def test_first_use_generates_with_progress_and_everything_says_synthetic(open_page) -> None:
    at = open_page("population_segments.py", **SNEE)
    assert not at.exception
    assert at.title[0].value == "Population segments (SYNTHETIC)"
    assert "SYNTHETIC DATA" in at.warning[0].value
    assert re.fullmatch(r"Generated [\d,]+ synthetic people \(saved for reuse\)", at.status[0].label)
    assert "(a 5% sample)" in next(c.value for c in at.caption if "synthetic people alive on" in c.value)
    charts = at.get("plotly_chart")
    assert len(charts) == 6  # segments, risk pyramid, and four breakdowns
    for chart in charts:
        assert "(SYNTHETIC)" in json.loads(chart.proto.spec)["layout"]["title"]["text"]
    summary = at.dataframe[0].value
    assert summary["label"].tolist()[0] == "End of life" and summary["label"].tolist()[-1] == "Healthy"
    deck = _map(at)
    assert len(deck["layers"][0]["data"]["features"]) == 583
    assert any("SYNTHETIC" in c.value for c in at.caption if "Colour:" in c.value)
    prevalence = next(d.value for d in at.dataframe if "error_points" in d.value.columns)
    assert len(prevalence) == 7 * 20  # seven places x 20 registers
    assert prevalence["error_points"].abs().max() <= 0.05


def test_a_second_visit_reuses_the_stored_population(open_page) -> None:
    open_page("population_segments.py", **SNEE)
    st.cache_resource.clear()
    at = open_page("population_segments.py", **SNEE)  # same data directory: read back, not generated again
    assert not at.exception
    assert len(at.status) == 0 and _people_in_caption(at) > 40_000


def test_opted_out_people_are_excluded_until_included(open_page) -> None:
    at = open_page("population_segments.py", **SNEE)
    excluded = _people_in_caption(at)
    at.toggle(key="segments_include_opted_out").set_value(True).run()
    assert not at.exception
    included = _people_in_caption(at)
    assert 0.03 < included / excluded - 1 < 0.08  # about 5% opted out


def test_small_numbers_are_suppressed_in_the_neighbourhood_breakdown(open_page) -> None:
    at = open_page("population_segments.py", **SNEE)
    tables = [d.value for d in at.dataframe]
    neighbourhoods = tables[-1]  # the PCN tab's table is rendered last
    assert neighbourhoods.isna().to_numpy().any()
    assert any("blank = suppressed" in c.value for c in at.caption)


def test_a_place_narrows_the_people_and_the_map(open_page) -> None:
    at = open_page("population_segments.py", **SNEE)
    whole = _people_in_caption(at)
    at.radio(key="footprint_level").set_value("place").run()
    at.selectbox(key="footprint_area").set_value("E07000076").run()  # Tendring
    assert not at.exception
    place = _people_in_caption(at)
    assert 0.1 < place / whole < 0.2
    assert "Tendring" in next(c.value for c in at.caption if "synthetic people alive on" in c.value)
    assert len(_map(at)["layers"][0]["data"]["features"]) < 583


def test_choosing_another_segment_redraws_the_map(open_page) -> None:
    at = open_page("population_segments.py", **SNEE)
    before = _map(at)["layers"][0]["data"]["features"]
    at.selectbox(key="segments_map_segment").set_value("stable_ltc").run()
    assert not at.exception
    after = _map(at)["layers"][0]["data"]["features"]
    assert [f["properties"]["fill"] for f in before] != [f["properties"]["fill"] for f in after]
    assert "Stable long-term condition (SYNTHETIC)" in at.get("deck_gl_json_chart")[0].proto.tooltip


def test_the_pyramid_uses_the_fitted_models_tiers_once_they_are_trained(open_page) -> None:
    at = open_page("population_segments.py", **SNEE)
    assert any("Interim tiers from a points score" in c.value for c in at.caption)
    risk_page = open_page("risk.py", **SNEE)  # trains and stores the models (same data directory)
    assert not risk_page.exception
    model = json.loads(risk_page.get("plotly_chart")[0].proto.spec)["data"][0]["x"]
    at = open_page("population_segments.py", **SNEE)
    assert not at.exception
    assert any("fitted emergency admission risk model" in c.value for c in at.caption)
    shown = json.loads(at.get("plotly_chart")[1].proto.spec)["data"][0]["x"]
    assert shown == model  # the same people in the same tiers as on the Risk page
