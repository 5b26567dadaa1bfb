"""Participant's page: the code, joining, answering the component the room is on, resuming, and refusals."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from maturity import repository
from phm_core.settings import database_url
from workshop import service
from workshop.db import make_engine
from workshop.models import LiveSessionPublic

pytestmark = pytest.mark.app

PAGE = "workshop_join.py"
FIRST, SECOND = "organisational_factors", "digitised_care_record"


@pytest.fixture
def db() -> Iterator[Engine]:
    engine = make_engine(database_url())
    yield engine
    engine.dispose()


@pytest.fixture
def live(db: Engine) -> LiveSessionPublic:
    with Session(db) as s:
        organisation = repository.create_organisation(s, name="North ICB", kind="icb")
        assessment = repository.create_assessment(
            s, organisation_id=organisation.id, assessment_date=date(2026, 11, 1), title="Spring round"
        )
        return service.start_session(s, assessment_id=assessment.id, title="Board session")


def join(open_page, live: LiveSessionPublic, name: str = "Ann Lee"):
    at = open_page(PAGE, code=live.join_code)
    at.text_input(key="wj_name").input(name)
    return at.button(key="wj_join_button").click().run()


def test_without_a_code_the_page_asks_for_one_and_hides_the_sidebar(open_page) -> None:
    at = open_page(PAGE)
    assert not at.exception
    assert at.title[0].value == "Join a live workshop"
    assert at.text_input(key="wj_code").label == "Join code"
    styles = [e.proto.body for e in at.get("html")]
    assert any('[data-testid="stSidebar"]' in body and "display: none" in body for body in styles)


def test_an_unknown_code_is_refused(open_page, db) -> None:
    at = open_page(PAGE, code="ZZZZ9999")
    assert not at.exception
    assert "no live session has this code" in at.error[0].value


def test_after_a_mistyped_code_the_page_offers_a_box_to_type_it_again(open_page, db, live) -> None:
    wrong = live.join_code[:-1] + ("2" if live.join_code[-1] != "2" else "3")
    at = open_page(PAGE, code=wrong)
    assert not at.exception and "no live session has this code" in at.error[0].value
    box = at.text_input(key="wj_code")
    assert box.label == "Join code" and box.value == service.format_code(wrong)  # to correct, not retype
    box.input(service.format_code(live.join_code).lower())
    at = at.button(key="wj_code_continue").click().run()
    assert not at.exception and not at.error
    assert at.query_params["code"] == live.join_code
    assert at.title[0].value == "Board session" and at.text_input(key="wj_name").label == "Your name"


@pytest.mark.parametrize("typed", ["ZZZ", "not a code at all"])
def test_a_code_that_cannot_be_a_join_code_is_explained_and_asked_again(open_page, db, typed: str) -> None:
    at = open_page(PAGE, code=typed)
    assert not at.exception
    assert "eight letters and digits" in at.error[0].value
    assert at.text_input(key="wj_code").label == "Join code"
    at.text_input(key="wj_code").input("abc")
    at = at.button(key="wj_code_continue").click().run()
    assert "eight letters and digits" in at.error[0].value and at.text_input(key="wj_code").value == "abc"


def test_joining_shows_the_current_component_and_saves_answers(open_page, db, live) -> None:
    at = join(open_page, live)
    assert not at.exception
    token = at.query_params["p"]
    assert at.query_params["code"] == live.join_code and len(token) >= 32
    assert at.title[0].value == "Board session"
    assert at.subheader[0].value == "Organisational factors"
    assert at.get("progress")[0].proto.text == "Question 1 of 11"
    now = at.radio(key=f"wj_current_stage_{FIRST}")
    assert now.options == ["1 Emerging", "2 Developing", "3 Maturing", "4 Thriving"] and now.value is None
    at = now.set_value(2).run()
    at = at.radio(key=f"wj_target_stage_{FIRST}").set_value(4).run()
    assert not at.exception
    with Session(db) as s:
        answers = service.participant_view(s, live.join_code, token).answers
    assert (answers[FIRST].current_stage, answers[FIRST].target_stage) == (2, 4)
    assert any(c.value.startswith("Saved: 2 Developing.") for c in at.caption)


def test_the_page_follows_the_facilitator_to_the_next_component(open_page, db, live) -> None:
    at = join(open_page, live)
    with Session(db) as s:
        service.set_pace(s, live.id, SECOND)
    at.run()
    assert at.subheader[0].value == "Digitised care and a shared care record"
    assert at.get("progress")[0].proto.text == "Question 2 of 11"


def test_a_refresh_with_the_link_resumes_and_a_wrong_token_is_refused(open_page, db, live) -> None:
    at = join(open_page, live)
    token = at.query_params["p"]
    again = open_page(PAGE, code=live.join_code, p=token)  # a new browser session with the same link
    assert not again.exception and "Ann Lee" in again.caption[0].value
    forged = open_page(PAGE, code=live.join_code, p="A" * 32)
    assert "not valid for this session" in forged.error[0].value
    assert "p" not in forged.query_params  # forgotten: the person can join afresh
    assert forged.text_input(key="wj_code").value == service.format_code(live.join_code)  # or type another code


def test_after_the_session_closes_the_participant_is_thanked(open_page, db, live) -> None:
    at = join(open_page, live)
    at.radio(key=f"wj_current_stage_{FIRST}").set_value(3).run()
    with Session(db) as s:
        service.close_session(s, live.id)
    at.run()
    assert not at.exception
    assert "This session has ended" in at.success[0].value
    assert any("- Organisational factors: Maturing" in m.value for m in at.markdown)
