"""Evaluation page: the simulated pilot compared before and after with a matched comparison group, SYNTHETIC, with
its true effect stated, and the outcome and comparison pool changeable."""

from __future__ import annotations

import json
import re

import pytest

from phm_core.synth.io import SAMPLE_FRACTION_ENV

pytestmark = pytest.mark.app
# NHS Suffolk and North East Essex on the April 2024 geography: smaller than the default ICB, so quick to generate.
SNEE = {"geo": "2024-04", "icb": "E54000023"}


@pytest.fixture(autouse=True)
def _small_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SAMPLE_FRACTION_ENV, "0.05")


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_pilot_is_evaluated_against_a_matched_comparison_group(open_page) -> None:
    at = open_page("evaluation.py", **SNEE)
    assert not at.exception
    assert at.title[0].value == "Evaluation (SYNTHETIC)"
    metrics = _metrics(at)
    enrolled = int(metrics["People enrolled"].replace(",", ""))
    assert 100 < enrolled < 400
    assert int(metrics["Matched"].replace(",", "")) >= 0.85 * enrolled
    assert re.fullmatch(r"[+-]\d+%", metrics["Naive before and after"])
    assert re.fullmatch(r"[+-]\d+%", metrics["Matched estimate"])
    assert any("true effect of **-15%**" in m.value for m in at.markdown)
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert [c["layout"]["title"]["text"] for c in charts] == [
        "Before and after: emergency admissions (SYNTHETIC)",
        "Month by month around the date (SYNTHETIC)",
    ]
    groups = at.dataframe[0].value
    assert groups["group"].tolist()[:2] == ["Enrolled (all)", "Enrolled (all)"]
    balance = at.dataframe[1].value
    assert balance["after_matching"].abs().max() < balance["before_matching"].abs().max()


def test_outcome_and_comparison_pool_can_be_changed(open_page) -> None:
    at = open_page("evaluation.py", **SNEE)
    at.selectbox(key="evaluation_outcome").set_value("ambulance_conveyance").run()
    assert not at.exception
    assert "ambulance conveyances" in json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"]
    assert at.dataframe[0].value.columns.tolist()[3] == "events"
    at.selectbox(key="evaluation_pool").set_value("not_enrolled").run()
    assert not at.exception
    assert re.fullmatch(r"[+-]\d+%", _metrics(at)["Matched estimate"])


def test_a_place_narrows_the_evaluation(open_page) -> None:
    at = open_page("evaluation.py", **SNEE)
    whole = int(_metrics(at)["People enrolled"].replace(",", ""))
    at.radio(key="footprint_level").set_value("place").run()
    at.selectbox(key="footprint_area").set_value("E07000076").run()  # Tendring
    assert not at.exception
    if at.info:  # the pilot's neighbourhoods may all lie elsewhere
        assert "Nobody in" in at.info[0].value
    else:
        assert int(_metrics(at)["People enrolled"].replace(",", "")) < whole


def test_the_page_says_whether_the_interval_holds_the_synthetic_true_effect(open_page) -> None:
    at = open_page("evaluation.py", **SNEE)
    assert not at.exception
    notes = [e.value for e in [*at.success, *at.warning] if "true effect of -15%" in e.value]
    assert len(notes) == 1
    assert "holds the true effect" in notes[0] or "misses the true effect" in notes[0]
    if "misses" in notes[0]:
        assert "1 evaluation in 20" in notes[0]
