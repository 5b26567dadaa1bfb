"""Cohort builder page: counts follow the criteria, breakdowns and the map are drawn, small numbers are suppressed,
cohorts are saved and reopened, and exports need a recorded reason; OR groups and exclusions change the count and
the sentence, are saved and reopened, reach the scenarios page, and old saved cohorts still open. SYNTHETIC,
opted-out people excluded."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlmodel import Session

from cohort_store import repository
from cohort_store.db import make_engine
from phm_core.cohorts import CohortCriteria, CohortDefinition
from phm_core.settings import PERSON_LEVEL_EXPORT_WITHOUT_LOGIN_ENV, database_url
from phm_core.synth.io import SAMPLE_FRACTION_ENV
from ui import cohorts as ui_cohorts
from ui import risk as risk_ui

pytestmark = pytest.mark.app
# NHS Suffolk and North East Essex on the April 2024 geography: a smaller ICB than the default (NHS Norfolk and
# Suffolk, 1.7 times its size) keeps generating its people quick; the figures below are for its 5% sample.
SNEE = {"geo": "2024-04", "icb": "E54000023"}


@pytest.fixture(autouse=True)
def _small_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SAMPLE_FRACTION_ENV, "0.05")
    # No login in these tests: the pseudonymised list is shown only with this setting (see
    # test_cohorts_person_level_export.py for the page without it).
    monkeypatch.setenv(PERSON_LEVEL_EXPORT_WITHOUT_LOGIN_ENV, "1")


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _count(at) -> int:
    return int(_metrics(at)["People in the cohort"].replace(",", ""))


def _download(at, key: str):
    return next(d for d in at.get("download_button") if d.proto.id.endswith(key) or key in d.proto.id)


def test_the_whole_footprint_to_start_with_breakdowns_and_map(open_page) -> None:
    at = open_page("cohorts.py", **SNEE)
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
    at = open_page("cohorts.py", **SNEE)
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
    at = open_page("cohorts.py", **SNEE)
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
    at = open_page("cohorts.py", **SNEE)
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
    at = open_page("cohorts.py", **SNEE)
    at.slider(key="cohort_age").set_value((65, 120)).run()
    assert _download(at, "cohort_download_aggregates").proto.disabled
    assert _download(at, "cohort_download_list").proto.disabled
    at.text_input(key="cohort_aggregate_reason").set_value("Falls service business case").run()
    at.text_input(key="cohort_list_reason").set_value("Frailty MDT, Colchester PCN").run()
    assert not at.exception
    assert not _download(at, "cohort_download_aggregates").proto.disabled
    listed = _download(at, "cohort_download_list")
    assert not listed.proto.disabled and "people)" in listed.proto.label


def test_the_list_says_what_its_columns_mean_and_that_no_risk_is_0_or_100_percent(open_page) -> None:
    at = open_page("cohorts.py", **SNEE)
    assert not at.exception
    notes = next(e for e in at.expander if e.label == "What the list's columns mean")
    text = " ".join(m.value for m in notes.markdown)
    assert "`risk_percent`" in text and "from 1 to 99" in text and "`person_id`" in text


# --- OR groups and exclusions ----------------------------------------------------------------------------------------


def _description(at) -> str:
    return next(c.value for c in at.caption if c.value.startswith("Criteria:"))


def _map_counts(at) -> tuple[int, int]:
    """The map's people in the cohort, summed over the LSOAs shown, and the number of suppressed LSOAs."""
    features = json.loads(at.get("deck_gl_json_chart")[0].proto.json)["layers"][0]["data"]["features"]
    counts = [f["properties"]["count"] for f in features]
    return sum(int(c.replace(",", "")) for c in counts if c != "fewer than 8"), counts.count("fewer than 8")


def _expected(people, *, groups, exclusions) -> int:
    """The cohort counted with plain pandas on the same synthetic people (opted-out people left out)."""
    keep = ~people["opted_out"]
    keep &= pd.concat(groups, axis=1).any(axis=1)
    for exclusion in exclusions:
        keep &= ~exclusion
    return int(keep.sum())


def test_an_or_group_and_exclusions_change_the_count_and_read_as_a_sentence(open_page) -> None:
    at = open_page("cohorts.py", **SNEE)
    at.slider(key="cohort_age").set_value((65, 120)).run()
    at.multiselect(key="cohort_frailty").set_value(["severe"]).run()
    severe = _count(at)
    assert at.button(key="cohort_add_exclusion").label == "Except people who ..."

    at.button(key="cohort_add_group").click().run()
    assert not at.exception
    assert _count(at) == severe  # the new, empty group adds nobody ...
    assert ui_cohorts.EMPTY_GROUP_NOTE in [c.value for c in at.caption]  # ... and the page says so
    assert _description(at).startswith("Criteria: Aged 65 or over; Frailty (eFI): Severe")
    at.slider(key="cohort_or2_age").set_value((65, 120)).run()
    at.number_input(key="cohort_or2_falls_min").set_value(1).run()
    assert not at.exception
    either = _count(at)
    assert either > severe + 100
    assert ui_cohorts.EMPTY_GROUP_NOTE not in [c.value for c in at.caption]
    assert _description(at) == (
        "Criteria: People aged 65 or over and with severe frailty (eFI); or people aged 65 or over and who fell in "
        "the last 12 months; opted-out people excluded. SYNTHETIC data."
    )

    at.button(key="cohort_add_exclusion").click().run()
    assert _count(at) == either  # an empty exclusion removes nobody
    assert ui_cohorts.EMPTY_EXCLUSION_NOTE in [c.value for c in at.caption]
    at.selectbox(key="cohort_not1_care_home").set_value("yes").run()
    assert at.button(key="cohort_add_exclusion").label == "Also except people who ..."
    at.button(key="cohort_add_exclusion").click().run()
    at.selectbox(key="cohort_not2_palliative_care").set_value("yes").run()
    assert not at.exception
    final = _count(at)
    assert 500 < final < either
    assert at.button(key="cohort_add_exclusion").disabled  # at most two exclusions
    assert _description(at).endswith(
        "; except people living in a care home or on the palliative care register; opted-out people excluded. "
        "SYNTHETIC data."
    )
    people = risk_ui.scored_population("E54000023")  # the page's people (shared cache), counted with pandas
    older = people["age"] >= 65
    assert final == _expected(
        people,
        groups=[older & (people["frailty"] == "severe"), older & (people["falls_y1"] >= 1)],
        exclusions=[people["care_home"], people["palliative_care"]],
    )
    # Everything else on the page is of the combined cohort: the list export, the map and the summary.
    assert f"({final:,} people)" in _download(at, "cohort_download_list").proto.label
    shown, suppressed = _map_counts(at)
    assert shown <= final <= shown + 7 * suppressed
    assert at.dataframe[0].value.loc[0, "Cohort"] == f"{final:,}"
    stored = at.session_state["cohort_current"]  # what the scenarios page reads (cohorts_ui.current_criteria)
    definition = CohortDefinition.from_dict(stored)
    assert len(definition.groups) == 2 and len(definition.exclusions) == 2

    at.button(key="cohort_not1_remove").click().run()  # the palliative care exclusion moves up
    assert at.selectbox(key="cohort_not1_palliative_care").value == "yes"
    at.button(key="cohort_remove").click().run()  # remove the first group: the fallers' group moves up
    assert not at.exception
    assert at.number_input(key="cohort_falls_min").value == 1
    assert _count(at) == _expected(
        people, groups=[older & (people["falls_y1"] >= 1)], exclusions=[people["palliative_care"]]
    )
    at.button(key="cohort_clear").click().run()
    assert _count(at) > 40_000 and len(at.get("button")) and not at.exception
    assert _description(at).startswith("Criteria: none chosen, so everyone in")


def test_a_combined_cohort_is_saved_reopened_and_used_by_the_scenarios_page(open_page) -> None:
    at = open_page("cohorts.py", **SNEE)
    at.multiselect(key="cohort_conditions").set_value(["asthma"]).run()
    at.slider(key="cohort_age").set_value((5, 15)).run()
    at.button(key="cohort_add_group").click().run()
    at.multiselect(key="cohort_or2_conditions").set_value(["copd"]).run()
    at.button(key="cohort_add_exclusion").click().run()
    at.multiselect(key="cohort_not1_imd_quintiles").set_value([4, 5]).run()
    combined = _count(at)
    at.text_input(key="cohort_save_name").set_value("Asthma or COPD, deprived")
    next(b for b in at.button if b.label == "Save cohort").click().run()
    assert not at.exception and "Saved 'Asthma or COPD, deprived'" in at.success[0].value
    at.button(key="cohort_clear").click().run()
    assert at.session_state["cohort_group_count"] == 1 and at.session_state["cohort_exclusion_count"] == 0
    at.button(key="cohort_open").click().run()
    assert not at.exception
    assert _count(at) == combined
    assert at.multiselect(key="cohort_or2_conditions").value == ["copd"]
    assert at.multiselect(key="cohort_not1_imd_quintiles").value == [4, 5]
    stored = dict(at.session_state["cohort_current"])
    # After a visit to another page the widgets are drawn again from the stored cohort: every group comes back.
    definition = CohortDefinition.from_dict(stored)
    assert len(definition.groups) == 2 and len(definition.exclusions) == 1
    assert ui_cohorts.definition_from_state(ui_cohorts.state_from_definition(definition)) == definition

    scenarios = open_page("scenarios.py", **SNEE)  # another page of the same session: the builder's cohort comes along
    scenarios.session_state["cohort_current"] = stored
    scenarios.run()
    scenarios.radio(key="scenario_cohort_source").set_value("builder").run()
    assert not scenarios.exception
    eligible = next(m.value for m in scenarios.metric if m.label == "People eligible")
    assert eligible == f"{combined:,}"
    assert any(
        "or people with COPD; except people in deprivation quintile 4 or 5" in c.value for c in scenarios.caption
    )


def test_a_cohort_saved_in_the_old_format_opens_as_one_group(open_page) -> None:
    at = open_page("cohorts.py", **SNEE)
    everyone = _count(at)
    old = CohortCriteria(age_min=75, care_home=True).to_dict()  # a row written before groups existed
    engine = make_engine(database_url())
    with Session(engine) as s:
        repository.save_cohort(
            s, name="Care home residents 75+", icb_code="E54000023", criteria=old, geography_version="2024-04"
        )
    engine.dispose()
    at.run()
    at.button(key="cohort_open").click().run()
    assert not at.exception
    assert 0 < _count(at) < everyone / 50
    assert at.slider(key="cohort_age").value == (75, 120) and at.selectbox(key="cohort_care_home").value == "yes"
    assert at.session_state["cohort_group_count"] == 1 and at.session_state["cohort_exclusion_count"] == 0
    assert _description(at) == (
        "Criteria: Aged 75 or over; Living in a care home; Opted-out people excluded. SYNTHETIC data."
    )


def test_a_tiny_combined_cohort_is_suppressed(open_page) -> None:
    at = open_page("cohorts.py", **SNEE)
    at.slider(key="cohort_age").set_value((0, 15)).run()
    at.multiselect(key="cohort_conditions").set_value(["cancer"]).run()
    at.button(key="cohort_add_group").click().run()
    at.slider(key="cohort_or2_age").set_value((100, 120)).run()  # children with cancer or centenarians ...
    at.button(key="cohort_add_exclusion").click().run()
    at.multiselect(key="cohort_not1_sexes").set_value(["F"]).run()  # ... except girls and women: a handful
    assert not at.exception
    metrics = _metrics(at)
    assert metrics["People in the cohort"] == "fewer than 8"
    assert metrics["Share of the footprint"] == "suppressed" and metrics["Mean predicted risk"] == "suppressed"
    assert (at.dataframe[0].value["Cohort"] == "").all()
    for table in at.dataframe[1:6]:
        assert not table.value["in_cohort"].dropna().between(1, 7).any()
