"""Cohort builder page: counts follow the criteria, breakdowns and the map are drawn, small numbers are suppressed,
cohorts are saved and reopened, and exports need a recorded reason. SYNTHETIC, opted-out people excluded."""

from __future__ import annotations

import json

import pytest

from phm_core.synth.io import SAMPLE_FRACTION_ENV

pytestmark = pytest.mark.app


@pytest.fixture(autouse=True)
def _small_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SAMPLE_FRACTION_ENV, "0.05")


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _count(at) -> int:
    return int(_metrics(at)["People in the cohort"].replace(",", ""))


def _download(at, key: str):
    return next(d for d in at.get("download_button") if d.proto.id.endswith(key) or key in d.proto.id)


def test_the_whole_footprint_to_start_with_breakdowns_and_map(open_page) -> None:
    at = open_page("cohorts.py")
    assert not at.exception
    assert at.title[0].value == "Cohort builder (SYNTHETIC)"
    assert "SYNTHETIC DATA" in at.warning[0].value
    assert 40_000 < _count(at) < 50_000
    assert _metrics(at)["Share of the footprint"] == "100.0%"
    charts = at.get("plotly_chart")
    assert len(charts) == 5  # deprivation, age, sex, place, practice
    assert all("(SYNTHETIC)" in json.loads(c.proto.spec)["layout"]["title"]["text"] for c in charts)
    deck = at.get("deck_gl_json_chart")[0]
    assert len(json.loads(deck.proto.json)["layers"][0]["data"]["features"]) == 583
    assert "SYNTHETIC" in deck.proto.tooltip


def test_counts_update_as_criteria_change(open_page) -> None:
    at = open_page("cohorts.py")
    everyone = _count(at)
    at.slider(key="cohort_age").set_value((65, 120)).run()
    older = _count(at)
    at.multiselect(key="cohort_frailty").set_value(["moderate", "severe"]).run()
    assert not at.exception
    frail = _count(at)
    assert everyone > older > frail > 500
    assert float(_metrics(at)["Mean predicted risk"].rstrip("%")) > 25  # frail people are at high risk
    criteria = next(c.value for c in at.caption if c.value.startswith("Criteria:"))
    assert "Aged 65 or over" in criteria and "Frailty (eFI): Moderate, Severe" in criteria
    at.multiselect(key="cohort_risk_tiers").set_value(["high"]).run()
    assert _count(at) < frail
    at.toggle(key="cohort_include_opted_out").set_value(True).run()
    assert not at.exception
    assert "Opted-out people included" in next(c.value for c in at.caption if c.value.startswith("Criteria:"))


def test_a_tiny_cohort_is_suppressed_everywhere(open_page) -> None:
    at = open_page("cohorts.py")
    at.slider(key="cohort_age").set_value((0, 15)).run()
    at.multiselect(key="cohort_conditions").set_value(["cancer"]).run()  # a handful of children in the 5% sample
    assert not at.exception
    metrics = _metrics(at)
    assert metrics["People in the cohort"] == "fewer than 8"
    assert metrics["Share of the footprint"] == "suppressed" and metrics["Mean predicted risk"] == "suppressed"
    summary = at.dataframe[0].value
    assert (summary["Cohort"] == "").all() and (summary["Footprint"] != "").all()
    for table in at.dataframe[1:6]:  # the breakdowns: no count from 1 to 7
        counts = table.value["in_cohort"].dropna()
        assert not counts.between(1, 7).any()
    features = json.loads(at.get("deck_gl_json_chart")[0].proto.json)["layers"][0]["data"]["features"]
    assert all(f["properties"]["count"] in ("0", "fewer than 8") for f in features)


def test_a_cohort_is_saved_cleared_and_reopened(open_page) -> None:
    at = open_page("cohorts.py")
    everyone = _count(at)
    at.slider(key="cohort_age").set_value((5, 15)).run()
    at.multiselect(key="cohort_conditions").set_value(["asthma"]).run()
    at.multiselect(key="cohort_imd_quintiles").set_value([1, 2]).run()
    at.selectbox(key="cohort_air_quality").set_value("Most polluted 40%").run()
    children = _count(at)
    assert 20 < children < everyone / 100
    at.text_input(key="cohort_save_name").set_value("Children with asthma, deprived and polluted")
    next(b for b in at.button if b.label == "Save cohort").click().run()
    assert not at.exception
    assert "Saved 'Children with asthma, deprived and polluted'" in at.success[0].value
    at.button(key="cohort_clear").click().run()
    assert _count(at) == everyone
    choice = at.selectbox(key="cohort_saved_choice")
    assert len(choice.options) == 1 and choice.options[0].startswith("Children with asthma, deprived and polluted")
    at.button(key="cohort_open").click().run()
    assert not at.exception
    assert _count(at) == children
    assert at.slider(key="cohort_age").value == (5, 15)
    assert at.selectbox(key="cohort_air_quality").value == "Most polluted 40%"


def test_exports_wait_for_a_reason(open_page) -> None:
    at = open_page("cohorts.py")
    at.slider(key="cohort_age").set_value((65, 120)).run()
    assert _download(at, "cohort_download_aggregates").proto.disabled
    assert _download(at, "cohort_download_list").proto.disabled
    at.text_input(key="cohort_aggregate_reason").set_value("Falls service business case").run()
    at.text_input(key="cohort_list_reason").set_value("Frailty MDT, Colchester PCN").run()
    assert not at.exception
    assert not _download(at, "cohort_download_aggregates").proto.disabled
    listed = _download(at, "cohort_download_list")
    assert not listed.proto.disabled and "people)" in listed.proto.label
