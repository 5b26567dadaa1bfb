"""Risk stratification page: trains with progress on first use and reuses the stored models, shows the model card
(discrimination, calibration, top shares, equity) and the risk pyramid, SYNTHETIC, opted-out people excluded."""

from __future__ import annotations

import json
import re

import pytest
import streamlit as st

from phm_core.synth.io import SAMPLE_FRACTION_ENV

pytestmark = pytest.mark.app
# NHS Suffolk and North East Essex on the April 2024 geography: a smaller ICB than the default (NHS Norfolk and
# Suffolk, 1.7 times its size) keeps generation and training quick. The first test opens the default ICB.
SNEE = {"geo": "2024-04", "icb": "E54000023"}


@pytest.fixture(autouse=True)
def _small_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SAMPLE_FRACTION_ENV, "0.05")


def _people_in_caption(at) -> int:
    caption = next(c.value for c in at.caption if "synthetic people alive on" in c.value)
    return int(re.search(r"([\d,]+) synthetic people", caption).group(1).replace(",", ""))


def test_first_visit_trains_the_models_with_progress_and_shows_the_model_card(open_page) -> None:
    at = open_page("risk.py")  # the default ICB, NHS Norfolk and Suffolk
    assert not at.exception
    assert at.title[0].value == "Risk stratification (SYNTHETIC)"
    assert "SYNTHETIC DATA" in at.warning[0].value
    assert re.fullmatch(r"Trained three risk models in \d+ s \(saved for reuse\)", at.status[-1].label)
    metrics = {m.label: m.value for m in at.metric}
    assert 0.72 < float(metrics["AUROC"]) < 0.88
    assert float(metrics["Average precision"]) > 0.2
    discrimination = at.dataframe[1].value
    assert discrimination["label"].tolist()[0].startswith("Baseline")
    assert discrimination["auroc"].iloc[1:].min() > discrimination["auroc"].iloc[0]
    charts = at.get("plotly_chart")
    assert len(charts) == 4  # pyramid, calibration, top shares, equity
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in charts]
    assert all("(SYNTHETIC)" in t for t in titles)
    calibration = json.loads(charts[1].proto.spec)
    assert len(calibration["data"]) == 4  # the diagonal and three models
    assert all(len(trace["x"]) == 10 for trace in calibration["data"][1:])


def test_the_pyramid_counts_the_tiers_and_opted_out_people_are_excluded_until_included(open_page) -> None:
    at = open_page("risk.py", **SNEE)
    pyramid = json.loads(at.get("plotly_chart")[0].proto.spec)
    counts = pyramid["data"][0]["x"]
    assert counts[0] < counts[1] < counts[2]
    assert 0.04 < counts[0] / sum(counts) < 0.06  # ranked over the ICB, opted-out people excluded
    excluded = _people_in_caption(at)
    at.toggle(key="risk_include_opted_out").set_value(True).run()
    assert not at.exception
    assert 0.03 < _people_in_caption(at) / excluded - 1 < 0.08


def test_a_second_visit_reuses_the_stored_models(open_page) -> None:
    first = open_page("risk.py", **SNEE)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = open_page("risk.py", **SNEE)
    assert not at.exception
    assert len(at.status) == 0  # neither generated nor trained again
    assert [m.value for m in at.metric] == [m.value for m in first.metric]


def test_equity_by_age_band_shows_every_band_and_suppresses_small_numbers(open_page) -> None:
    at = open_page("risk.py", **SNEE)
    at.selectbox(key="risk_equity_dimension").set_value("age_band").run()
    at.selectbox(key="risk_equity_share").set_value(0.005).run()
    assert not at.exception
    equity = json.loads(at.get("plotly_chart")[3].proto.spec)
    assert equity["data"][0]["x"] == ["0-15", "16-24", "25-34", "35-49", "50-64", "65-74", "75-84", "85+"]
    assert "Top 0.5% flagged, by age band (SYNTHETIC)" == equity["layout"]["title"]["text"]
    table = at.dataframe[-1].value
    assert table["flagged"].isna().any()


def test_a_place_changes_the_pyramid_but_not_the_model_card(open_page) -> None:
    at = open_page("risk.py", **SNEE)
    whole = _people_in_caption(at)
    auroc = at.metric[0].value
    at.radio(key="footprint_level").set_value("place").run()
    at.selectbox(key="footprint_area").set_value("E07000076").run()  # Tendring
    assert not at.exception
    assert 0.1 < _people_in_caption(at) / whole < 0.2
    assert at.metric[0].value == auroc
