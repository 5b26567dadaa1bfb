"""Scenarios page: an intervention for its eligible cohort or the builder's, editable assumptions with sources,
a seeded Monte Carlo forecast, the shift between settings, and a comparison of up to three scenarios."""

from __future__ import annotations

import json
import re

import pytest

from phm_core.cohorts import CohortCriteria
from phm_core.synth.io import SAMPLE_FRACTION_ENV

pytestmark = pytest.mark.app


@pytest.fixture(autouse=True)
def _small_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SAMPLE_FRACTION_ENV, "0.05")


def _eligible(at) -> int:
    return int(next(m.value for m in at.metric if m.label == "People eligible").replace(",", ""))


def _outcomes(at) -> dict[str, tuple]:
    table = at.dataframe[0].value
    return {row.label: (row.median, row.low, row.high) for row in table.itertuples()}


def test_a_default_scenario_is_forecast_with_intervals_and_sources(open_page) -> None:
    at = open_page("scenarios.py")
    assert not at.exception
    assert at.title[0].value == "Impactability and scenarios (SYNTHETIC)"
    assert at.selectbox(key="scenario_intervention").value == "medication_review"
    eligible = _eligible(at)
    assert 500 < eligible < 5_000
    outcomes = _outcomes(at)
    median, low, high = outcomes["Emergency admissions avoided"]
    assert 0 <= low < median < high
    reached = outcomes["People taking part"][0]
    assert 0.3 * eligible < reached < 0.8 * eligible
    assert any("Rankin" in c.value for c in at.caption)  # the source of the default effect
    shift = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert shift["layout"]["title"]["text"] == "Shift of activity between settings (SYNTHETIC)"
    assert "Add up to 3 scenarios" in at.info[0].value


def test_the_childhood_asthma_intervention_targets_children_in_deprived_polluted_places(open_page) -> None:
    at = open_page("scenarios.py")
    at.selectbox(key="scenario_intervention").set_value("childhood_asthma").run()
    assert not at.exception
    assert 10 < _eligible(at) < 500
    cohort = next(c.value for c in at.caption if c.value.startswith("People children"))
    assert "Aged 0 to 15" in cohort and "Deprivation quintile: 1, 2" in cohort and "most polluted 40%" in cohort
    assert at.number_input(key="scenario_childhood_asthma_effect_emergency_admissions").value == 21
    assert any("Boyd" in c.value for c in at.caption)


def test_editing_an_assumption_changes_the_forecast_and_the_seed_makes_it_repeatable(open_page) -> None:
    at = open_page("scenarios.py")
    first = _outcomes(at)
    at.run()
    assert _outcomes(at) == first  # same seed, same answer
    at.number_input(key="scenario_seed").set_value(2).run()
    assert _outcomes(at) != first
    at.number_input(key="scenario_medication_review_effect_emergency_admissions").set_value(0.0).run()
    assert not at.exception
    assert _outcomes(at)["Emergency admissions avoided"] == (0, 0, 0)
    assert any(c.value.startswith("*Assumption.* Changed by the user (default 0.05") for c in at.caption)


def test_the_cohort_builders_cohort_can_be_used(open_page) -> None:
    at = open_page("scenarios.py")
    at.session_state["cohort_current"] = CohortCriteria(age_min=85, frailty=("severe",)).to_dict()
    at.run()
    at.radio(key="scenario_cohort_source").set_value("builder").run()
    assert not at.exception
    assert 20 < _eligible(at) < 500
    assert any("Aged 85 or over" in c.value for c in at.caption)


def test_three_scenarios_are_compared_side_by_side_and_exported(open_page) -> None:
    at = open_page("scenarios.py")
    for key in ("medication_review", "falls_risk_management", "early_ed_review", "advance_care_planning"):
        at.selectbox(key="scenario_intervention").set_value(key).run()
        at.button(key="scenario_add").click().run()
        assert not at.exception
    table = at.dataframe[-1].value
    names = list(table.columns[1:])
    assert names == ["Falls risk management", "Early review in the emergency department", "Advance care planning"]
    assert table.iloc[0]["Outcome in a year"] == "People eligible (cohort)"
    admissions = table.set_index("Outcome in a year").loc["Emergency admissions avoided"]
    assert all(re.fullmatch(r"[\d,]+ \([\d,]+ to [\d,]+\)", value) for value in admissions)
    comparison = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert [trace["name"] for trace in comparison["data"]] == names
    downloads = at.get("download_button")
    assert any("Download the comparison" in d.proto.label for d in downloads)
    at.button(key="scenario_remove_Falls risk management").click().run()
    assert list(at.dataframe[-1].value.columns[1:]) == names[1:]
