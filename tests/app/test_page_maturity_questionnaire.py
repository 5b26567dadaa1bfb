"""Questionnaire page: join, every answer saved as it is given, resume from the link, failures shown, not lost."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from maturity import repository
from maturity.db import make_engine
from maturity.models import AssessmentPublic
from phm_core.settings import database_url

pytestmark = pytest.mark.app

PAGE = "maturity_questionnaire.py"


@pytest.fixture
def db() -> Iterator[Engine]:
    """The database the page uses (a SQLite file in the test's own data directory)."""
    engine = make_engine(database_url())
    yield engine
    engine.dispose()


@pytest.fixture
def assessment(db: Engine) -> AssessmentPublic:
    with Session(db) as s:
        organisation = repository.create_organisation(s, name="North ICB", kind="icb")
        return repository.create_assessment(
            s, organisation_id=organisation.id, assessment_date=date(2025, 3, 1), title="Spring round"
        )


def key(field: str, component: str = "organisational_factors") -> str:
    return f"mq_{field}_{component}"


def join(open_page, assessment: AssessmentPublic, name: str = "Ann Lee", role: str = "Analyst"):
    at = open_page(PAGE, assessment=str(assessment.id))
    at.text_input(key="mq_join_name").input(name)
    at.text_input(key="mq_join_role").input(role)
    return at.button(key="mq_join").click().run()


def saved(db: Engine, assessment: AssessmentPublic) -> dict:
    with Session(db) as s:
        (respondent,) = repository.list_respondents(s, assessment.id)
        return repository.answers_for_respondent(s, respondent.id)


def test_joining_puts_the_resume_token_in_the_url(open_page, db, assessment) -> None:
    at = join(open_page, assessment)
    assert not at.exception
    with Session(db) as s:
        (respondent,) = repository.list_respondents(s, assessment.id)
    assert (respondent.name, respondent.role, respondent.is_anonymous) == ("Ann Lee", "Analyst", False)
    assert at.query_params["assessment"] == str(assessment.id)
    assert at.query_params["respondent"] == respondent.resume_token
    assert "Answering as **Ann Lee**, Analyst." in [m.value for m in at.markdown]
    assert at.code[0].value.endswith(f"?assessment={assessment.id}&respondent={respondent.resume_token}")
    assert at.get("progress")[0].proto.text == "0 of 11 components rated"
    assert at.subheader[0].value == "Organisational factors"


def test_an_anonymous_respondent_stores_no_name(open_page, db, assessment) -> None:
    at = open_page(PAGE, assessment=str(assessment.id))
    at.text_input(key="mq_join_name").input("Would be ignored")
    at.checkbox(key="mq_join_anonymous").check()
    at.button(key="mq_join").click().run()
    assert not at.exception
    with Session(db) as s:
        (respondent,) = repository.list_respondents(s, assessment.id)
    assert respondent.is_anonymous and respondent.name is None
    assert f"Answering as **Anonymous respondent {respondent.id}**." in [m.value for m in at.markdown]


def test_every_answer_is_saved_as_it_is_given(open_page, db, assessment) -> None:
    at = join(open_page, assessment)
    at.radio(key=key("current_stage")).set_value(2).run()
    assert saved(db, assessment)["organisational_factors"].current_stage == 2
    assert at.get("progress")[0].proto.text == "1 of 11 components rated"
    at.radio(key=key("target_stage")).set_value(4).run()
    at.date_input(key=key("target_date")).set_value(date(2026, 3, 31)).run()
    at.radio(key=key("confidence")).set_value(3).run()
    at.text_area(key=key("evidence_notes")).input("PHM board minutes, May").run()
    at.text_area(key=key("evidence_links")).input("https://example.org/a\n\nhttps://example.org/b").run()
    assert not at.exception
    assert not at.error
    answer = saved(db, assessment)["organisational_factors"]
    assert (answer.current_stage, answer.target_stage, answer.target_date, answer.confidence) == (
        2,
        4,
        date(2026, 3, 31),
        3,
    )
    assert answer.evidence_notes == "PHM board minutes, May"
    assert answer.evidence_links == ["https://example.org/a", "https://example.org/b"]
    badges = " ".join(m.value for m in at.markdown)
    assert ":blue-badge[Your current stage]" in badges and ":green-badge[Your target]" in badges
    at.radio(key=key("target_stage")).set_value(3).run()
    answer = saved(db, assessment)["organisational_factors"]
    assert (answer.current_stage, answer.target_stage, answer.evidence_notes) == (2, 3, "PHM board minutes, May")


def test_a_new_session_with_the_link_resumes_the_saved_answers(open_page, db, assessment) -> None:
    with Session(db) as s:
        respondent = repository.get_or_create_respondent(s, assessment.id, name="Bo", role="GP")
        repository.save_answer(s, respondent.id, "organisational_factors", current_stage=3, evidence_notes="Minutes")
    at = open_page(PAGE, assessment=str(assessment.id), respondent=respondent.resume_token)
    assert not at.exception
    assert "Answering as **Bo**, GP." in [m.value for m in at.markdown]
    assert at.get("progress")[0].proto.text == "1 of 11 components rated"
    # It opens at the first component not yet rated; going back shows the saved answer.
    assert at.selectbox(key="mq_component").value == "digitised_care_record"
    at.button(key="mq_component_previous").click().run()
    assert at.subheader[0].value == "Organisational factors"
    assert at.radio(key=key("current_stage")).value == 3
    assert at.radio(key=key("target_stage")).value is None
    assert at.text_area(key=key("evidence_notes")).value == "Minutes"
    with Session(db) as s:
        assert len(repository.list_respondents(s, assessment.id)) == 1  # resumed, not a second respondent


def test_the_widgets_follow_the_database_when_another_tab_changes_an_answer(open_page, db, assessment) -> None:
    at = join(open_page, assessment)
    at.radio(key=key("current_stage")).set_value(2).run()
    with Session(db) as s:
        (respondent,) = repository.list_respondents(s, assessment.id)
        repository.save_answer(s, respondent.id, "organisational_factors", current_stage=4)
    at.run()
    assert at.radio(key=key("current_stage")).value == 4


def test_a_failed_save_is_shown_with_what_was_given_and_can_be_retried(open_page, db, assessment) -> None:
    at = join(open_page, assessment)
    with Session(db) as s:
        repository.set_assessment_status(s, assessment.id, "closed")  # the lead closes it meanwhile
    at.radio(key=key("current_stage")).set_value(3)
    at.text_area(key=key("evidence_notes")).input("Notes typed before the close")
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Current stage (Maturing) was not saved: this assessment is closed: answers can no longer be changed",
        "Evidence notes (below) was not saved: this assessment is closed: answers can no longer be changed",
    ]
    assert at.code[-1].value == "Notes typed before the close"  # shown, so the text can be copied
    assert saved(db, assessment) == {}
    with Session(db) as s:
        repository.set_assessment_status(s, assessment.id, "open")
    at.run()
    at.button(key="mq_retry_organisational_factors").click().run()
    assert not at.error
    answer = saved(db, assessment)["organisational_factors"]
    assert (answer.current_stage, answer.evidence_notes) == (3, "Notes typed before the close")
    assert at.radio(key=key("current_stage")).value == 3


def test_an_unknown_resume_link_is_reported_and_the_respondent_can_start_again(open_page, assessment) -> None:
    at = open_page(PAGE, assessment=str(assessment.id), respondent="NotARealTokenButWellFormed")
    assert not at.exception
    assert "not recognised" in at.error[0].value
    assert "respondent" not in at.query_params
    assert at.text_input(key="mq_join_name").value == ""


def test_previous_and_next_move_through_the_components(open_page, assessment) -> None:
    at = join(open_page, assessment)
    assert at.button(key="mq_component_previous").disabled
    at.button(key="mq_component_next").click().run()
    assert at.subheader[0].value == "Digitised care and a shared care record"
    assert at.selectbox(key="mq_component").label == "Component 2 of 11"
    at.button(key="mq_next_bottom").click().run()
    assert at.subheader[0].value == "Integrated data and a single version of the truth"
    at.selectbox(key="mq_component").set_value("incentives_alignment").run()
    assert at.subheader[0].value == "Incentives alignment"
    assert at.button(key="mq_component_next").disabled


def test_all_components_on_one_page(open_page, db, assessment) -> None:
    at = join(open_page, assessment)
    at.toggle(key="mq_show_all").set_value(True).run()
    assert not at.exception
    assert [h.value for h in at.header] == ["Infrastructure", "Intelligence", "Interventions"]
    assert len(at.subheader) == 11
    at.radio(key=key("current_stage", "analyses")).set_value(1).run()
    assert saved(db, assessment)["analyses"].current_stage == 1


def test_a_closed_assessment_shows_the_answers_read_only(open_page, db, assessment) -> None:
    with Session(db) as s:
        respondent = repository.get_or_create_respondent(s, assessment.id, name="Cy")
        repository.save_answer(s, respondent.id, "organisational_factors", current_stage=2)
        repository.set_assessment_status(s, assessment.id, "closed")
    at = open_page(PAGE, assessment=str(assessment.id), respondent=respondent.resume_token)
    assert not at.exception
    assert "closed" in at.info[0].value
    at.button(key="mq_component_previous").click().run()
    radio = at.radio(key=key("current_stage"))
    assert radio.value == 2 and radio.disabled
    fresh = open_page(PAGE, assessment=str(assessment.id))
    assert "closed" in fresh.info[0].value and not fresh.text_input


def test_with_no_assessment_the_page_points_to_the_assessments_page(open_page) -> None:
    at = open_page(PAGE)
    assert not at.exception
    assert at.info[0].value == "There is no assessment to answer yet."
    assert "[Open an assessment](/maturity_assessments)" in [m.value for m in at.markdown]


# --- a returning person without their personal link (issue 13, item 13) ----------------------------------------------


def earlier_response(db: Engine, assessment: AssessmentPublic):
    """Ann Lee joined before, as Director of PHM, and rated one component."""
    with Session(db) as s:
        ann = repository.get_or_create_respondent(s, assessment.id, name="Ann Lee", role="Director of PHM")
        repository.save_answer(s, ann.id, "organisational_factors", current_stage=3, evidence_notes="Ann's own note")
    return ann


def page_text(at) -> str:
    return "\n".join(e.value for group in (at.markdown, at.info, at.warning, at.caption) for e in group)


def test_a_returning_person_with_the_same_name_and_role_carries_on_with_their_own_response(
    open_page, db, assessment
) -> None:
    ann = earlier_response(db, assessment)
    at = join(open_page, assessment, name="  ann LEE", role="director of phm")
    assert not at.exception
    assert "respondent" not in at.query_params  # nothing started yet: the person is asked first
    assert "There is already a response from **ann LEE** (director of phm) in this assessment" in page_text(at)
    assert "1 of 11 components rated" in at.button(key=f"mq_resume_{ann.id}").label
    at.button(key=f"mq_resume_{ann.id}").click().run()
    assert not at.exception
    assert at.query_params["respondent"] == ann.resume_token
    assert "Answering as **Ann Lee**, Director of PHM." in [m.value for m in at.markdown]
    at.toggle(key="mq_show_all").set_value(True).run()
    assert at.radio(key=key("current_stage")).value == 3  # their earlier answer
    with Session(db) as s:
        assert len(repository.list_respondents(s, assessment.id)) == 1


def test_the_same_name_with_another_role_is_not_shown_the_earlier_response(open_page, db, assessment) -> None:
    ann = earlier_response(db, assessment)
    at = join(open_page, assessment, name="Ann Lee", role="GP partner")
    assert not at.exception
    text = page_text(at)
    assert "Someone called **Ann Lee** has already started a response here, with a different role" in text
    assert "Director of PHM" not in text and "Ann's own note" not in text  # nothing of theirs is shown
    assert not [b for b in at.button if b.key == f"mq_resume_{ann.id}"]
    # Back to the form with what was typed, to correct the role ...
    at.button(key="mq_join_back").click().run()
    assert (at.text_input(key="mq_join_name").value, at.text_input(key="mq_join_role").value) == (
        "Ann Lee",
        "GP partner",
    )
    # ... or a new response for another person of the same name.
    at.button(key="mq_join").click().run()
    at.button(key="mq_join_new").click().run()
    assert not at.exception
    with Session(db) as s:
        people = repository.list_respondents(s, assessment.id)
    assert [(p.name, p.role) for p in people] == [("Ann Lee", "Director of PHM"), ("Ann Lee", "GP partner")]
    assert at.query_params["respondent"] == people[1].resume_token
    assert at.radio(key=key("current_stage")).value is None  # an empty response, not Ann's


def test_an_anonymous_respondent_is_never_matched_by_name(open_page, db, assessment) -> None:
    earlier_response(db, assessment)
    at = open_page(PAGE, assessment=str(assessment.id))
    at.text_input(key="mq_join_name").input("Ann Lee")
    at.text_input(key="mq_join_role").input("Director of PHM")
    at.checkbox(key="mq_join_anonymous").check()
    at.button(key="mq_join").click().run()
    assert not at.exception
    with Session(db) as s:
        assert len(repository.list_respondents(s, assessment.id)) == 2


def test_a_link_to_an_archived_assessment_says_it_is_archived(open_page, db, assessment) -> None:
    with Session(db) as s:
        repository.archive_assessment(s, assessment.id)
        other = repository.create_assessment(
            s, organisation_id=assessment.organisation_id, assessment_date=date(2025, 9, 1), title="Autumn round"
        )
    at = open_page(PAGE, assessment=str(assessment.id))
    assert not at.exception
    assert "'Spring round' is archived" in at.warning[0].value
    assert at.selectbox(key="mq_assessment").options == ["North ICB: Autumn round (01 Sep 2025)"]
    assert at.query_params["assessment"] == str(other.id)
