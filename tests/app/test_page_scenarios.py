"""Scenarios page: an intervention for its eligible cohort or the builder's, editable assumptions (low, most likely
and high) with sources, a seeded Monte Carlo forecast, the shift between settings, and a comparison of up to three
scenarios whose download needs a reason and writes an audit row."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable

import pandas as pd
import pytest
from sqlmodel import Session
from streamlit.runtime.media_file_manager import MediaFileManager

from cohort_store import repository
from cohort_store.db import make_engine
from phm_core.cohorts import CohortCriteria, sha256
from phm_core.settings import database_url
from phm_core.synth.io import SAMPLE_FRACTION_ENV
from ui.maturity import escape_markdown

pytestmark = pytest.mark.app
# NHS Suffolk and North East Essex on the April 2024 geography: a smaller ICB than the default (NHS Norfolk and
# Suffolk, 1.7 times its size) keeps generating its people quick; the figures below are for its 5% sample.
SNEE = {"geo": "2024-04", "icb": "E54000023"}


@pytest.fixture(autouse=True)
def _small_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SAMPLE_FRACTION_ENV, "0.05")


@pytest.fixture
def deferred(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], bytes]]:
    """The data callables of download buttons, by file id: calling one is what a click on the button does."""
    captured: dict[str, Callable[[], bytes]] = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, *args, **kwargs) -> str:
        file_id = original(self, data_callable, *args, **kwargs)
        captured[file_id] = data_callable
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return captured


def _exports() -> list:
    engine = make_engine(database_url())
    try:
        with Session(engine) as s:
            return repository.list_exports(s)
    finally:
        engine.dispose()


def _eligible(at) -> int:
    return int(next(m.value for m in at.metric if m.label == "People eligible").replace(",", ""))


def _outcomes(at) -> dict[str, tuple]:
    table = at.dataframe[0].value
    return {row.label: (row.median, row.low, row.high) for row in table.itertuples()}


def test_a_default_scenario_is_forecast_with_intervals_and_sources(open_page) -> None:
    at = open_page("scenarios.py", **SNEE)
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
    at = open_page("scenarios.py", **SNEE)
    at.selectbox(key="scenario_intervention").set_value("childhood_asthma").run()
    assert not at.exception
    assert 10 < _eligible(at) < 500
    cohort = next(c.value for c in at.caption if c.value.startswith("Children (0-15) with asthma"))
    assert "in the ICB's most polluted 40%:" in cohort  # not "icb's"
    assert "Aged 0 to 15" in cohort and "Deprivation quintile: 1, 2" in cohort and "most polluted 40%" in cohort
    assert at.number_input(key="scenario_childhood_asthma_effect_emergency_admissions").value == 21
    assert any("Boyd" in c.value for c in at.caption)


def test_editing_an_assumption_changes_the_forecast_and_the_seed_makes_it_repeatable(open_page) -> None:
    at = open_page("scenarios.py", **SNEE)
    first = _outcomes(at)
    at.run()
    assert _outcomes(at) == first  # same seed, same answer
    at.number_input(key="scenario_seed").set_value(2).run()
    assert _outcomes(at) != first
    key = "scenario_medication_review_effect_emergency_admissions"
    assert [at.number_input(key=k).value for k in (f"{key}_low", key, f"{key}_high")] == [0, 5, 12]
    at.number_input(key=key).set_value(0.0).run()
    assert not at.exception
    assert [at.number_input(key=k).value for k in (f"{key}_low", key, f"{key}_high")] == [0, 0, 0]  # range follows
    assert _outcomes(at)["Emergency admissions avoided"] == (0, 0, 0)
    assert any(c.value.startswith("*Assumption.* Changed by the user (default 5%, range 0% to 12%") for c in at.caption)


def test_a_range_set_by_the_user_is_used_and_kept(open_page) -> None:
    at = open_page("scenarios.py", **SNEE)
    key = "scenario_medication_review_effect_emergency_admissions"
    default = _outcomes(at)["Emergency admissions avoided"]
    at.number_input(key=f"{key}_high").set_value(40.0).run()
    wider = _outcomes(at)["Emergency admissions avoided"]
    assert wider[2] > default[2] * 1.5 and wider[2] - wider[1] > default[2] - default[1]  # (median, low, high)
    at.number_input(key=key).set_value(8.0).run()  # the user's range stays when the most likely value moves
    assert [at.number_input(key=k).value for k in (f"{key}_low", key, f"{key}_high")] == [0, 8, 40]
    assert any(c.value.startswith("*Assumption.* Changed by the user (default 5%") for c in at.caption)
    at.number_input(key=f"{key}_low").set_value(8.0).run()
    at.number_input(key=f"{key}_high").set_value(8.0).run()
    fixed = _outcomes(at)["Emergency admissions avoided"]
    assert fixed[1] < fixed[0] < fixed[2]  # a fixed effect: chance in the cohort's activity and uptake remains
    assert fixed[2] - fixed[1] < wider[2] - wider[1]


def test_a_bad_range_is_explained_and_the_scenario_waits_without_losing_anything(open_page) -> None:
    at = open_page("scenarios.py", **SNEE)
    at.button(key="scenario_add").click().run()
    key = "scenario_medication_review_reach"
    at.number_input(key=f"{key}_low").set_value(85.0).run()  # above the most likely 70%
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Low (85%) is above the most likely value (70%): lower it or raise the most likely. The scenario is not run "
        "until this is corrected."
    ]
    assert "correct it to run the scenario" in at.warning[-1].value
    assert not [b for b in at.button if b.key == "scenario_add"]  # nothing to add while it cannot run
    assert at.number_input(key=f"{key}_low").value == 85 and at.number_input(key=key).value == 70  # kept
    comparison = at.dataframe[-1].value
    assert list(comparison.columns[1:]) == ["Medication review for polypharmacy"]  # the comparison is kept
    at.number_input(key=key).set_value(88.0).run()
    assert not at.error and not at.exception
    assert _outcomes(at)["People taking part"][0] > 0
    assert [b for b in at.button if b.key == "scenario_add"]


def test_the_cohort_builders_cohort_can_be_used(open_page) -> None:
    at = open_page("scenarios.py", **SNEE)
    at.session_state["cohort_current"] = CohortCriteria(age_min=85, frailty=("severe",)).to_dict()
    at.run()
    at.radio(key="scenario_cohort_source").set_value("builder").run()
    assert not at.exception
    assert 20 < _eligible(at) < 500
    assert any("Aged 85 or over" in c.value for c in at.caption)


def test_a_saved_cohort_keeps_the_case_of_its_name_wherever_it_is_shown(open_page) -> None:
    at = open_page("scenarios.py", **SNEE)
    engine = make_engine(database_url())
    try:
        with Session(engine) as s:
            criteria = CohortCriteria(age_min=65, conditions=("copd",)).to_dict()
            repository.save_cohort(
                s,
                name="COPD 65+ in Ipswich (MDT)",
                icb_code="E54000023",
                criteria=criteria,
                geography_version="2024-04",
            )
    finally:
        engine.dispose()
    at.run()
    at.radio(key="scenario_cohort_source").set_value("saved").run()
    assert not at.exception
    assert at.selectbox(key="scenario_saved_cohort").options == ["COPD 65+ in Ipswich (MDT)"]
    shown = escape_markdown("The saved cohort 'COPD 65+ in Ipswich (MDT)': Aged 65")  # rendered as plain text
    assert any(c.value.startswith(shown) for c in at.caption)
    at.button(key="scenario_add").click().run()
    assert not at.exception
    compared = at.session_state["scenario_comparison"][0]
    assert compared["cohort"].startswith("The saved cohort 'COPD 65+ in Ipswich (MDT)': Aged 65")  # as exported


def test_three_scenarios_are_compared_side_by_side_and_exported(open_page) -> None:
    at = open_page("scenarios.py", **SNEE)
    for key in ("medication_review", "falls_risk_management", "early_ed_review", "advance_care_planning"):
        at.selectbox(key="scenario_intervention").set_value(key).run()
        at.button(key="scenario_add").click().run()
        assert not at.exception
    table = at.dataframe[-2].value
    names = list(table.columns[1:])
    assert names == ["Falls risk management", "Early review in the emergency department", "Advance care planning"]
    assert table.iloc[0]["Outcome in a year"] == "People eligible (cohort)"
    admissions = table.set_index("Outcome in a year").loc["Emergency admissions avoided"]
    assert all(re.fullmatch(r"[\d,]+ \([\d,]+ to [\d,]+\)", value) for value in admissions)
    assumptions = at.dataframe[-1].value.set_index("Assumption")
    assert list(assumptions.columns) == names
    assert assumptions.loc["Reach (%)", "Falls risk management"] == "60 (40 to 80)"
    assert assumptions.loc["Effect on emergency bed days (%)", "Falls risk management"] == ""  # not one of its effects
    comparison = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert [trace["name"] for trace in comparison["data"]] == names
    downloads = at.get("download_button")
    assert any("Download the comparison" in d.proto.label for d in downloads)
    at.button(key="scenario_remove_Falls risk management").click().run()
    assert list(at.dataframe[-2].value.columns[1:]) == names[1:]


def _download(at):
    return next(d for d in at.get("download_button") if "Download the comparison" in d.proto.label)


def test_the_comparison_download_needs_a_reason_describes_itself_and_is_audited(open_page, deferred) -> None:
    at = open_page("scenarios.py", **SNEE)
    at.text_input(key="scenario_name_medication_review").set_value("=HYPERLINK(1)").run()
    at.number_input(key="scenario_medication_review_reach_high").set_value(95.0).run()
    at.button(key="scenario_add").click().run()
    at.selectbox(key="scenario_intervention").set_value("falls_risk_management").run()
    at.button(key="scenario_add").click().run()
    assert _download(at).proto.disabled
    assert any("Give a reason (at least 10 characters)" in c.value for c in at.caption)
    at.text_input(key="scenario_export_reason").set_value("too short").run()
    assert _download(at).proto.disabled
    assert _exports() == []
    at.text_input(key="scenario_export_reason").set_value("Frailty business case for the board").run()
    button = _download(at)
    assert not button.proto.disabled
    assert _exports() == []  # nothing is written before the click

    content = deferred[button.proto.deferred_file_id]()  # the click
    rows = _exports()
    assert [(r.kind, r.reason) for r in rows] == [("scenario_comparison", "Frailty business case for the board")]
    row = rows[0]
    assert row.sha256 == sha256(content) and row.file_name.startswith("SYNTHETIC-scenario-comparison-E54")
    assert row.cohort_name == "Scenarios: =HYPERLINK(1); Falls risk management"
    first, second = row.criteria["scenarios"]
    assert first["intervention"] == "medication_review" and first["assumptions"]["reach"] == [50.0, 70.0, 95.0]
    assert second["criteria"]["falls_min"] == 1 and second["draws"] == 2000 and second["seed"] == 1

    table = pd.read_csv(io.BytesIO(content), keep_default_na=False, dtype=str).set_index("item")
    assert len(table) == row.rows
    assert table.loc["name", "scenario_1_text"] == "'=HYPERLINK(1)"  # a formula is neutralised
    assert table.loc["intervention", "scenario_2_text"] == "Falls risk management"
    assert table.loc["cohort", "scenario_2_text"].startswith("People aged 65+ who fell in the last year: Aged 65")
    assert int(table.loc["eligible", "scenario_1_central"]) > 500
    assert (table.loc["draws", "scenario_1_central"], table.loc["seed", "scenario_2_central"]) == ("2000", "1")
    reach = table.loc["reach"]
    assert [float(reach[f"scenario_1_{p}"]) for p in ("low", "central", "high")] == [50, 70, 95]
    assert reach["scenario_1_text"].startswith("Assumption: Changed by the user (default 70%, range 50% to 90%")
    assert table.loc["effect_emergency_admissions", "scenario_1_text"].startswith("Published evidence: Cochrane")
    assert table.loc["effect_ambulance_conveyances", "scenario_1_central"] == ""  # not this intervention's
    admissions = table.loc["emergency_admissions_avoided"]
    low, median, high = (float(admissions[f"scenario_2_{p}"]) for p in ("low", "central", "high"))
    assert 0 <= low < median < high
    assert set(table["data"]) == {"SYNTHETIC"}

    deferred[button.proto.deferred_file_id]()  # a second download is a second row
    assert len(_exports()) == 2
