"""Participant's page: guessing join codes is throttled per browser session ("Too many tries: wait N seconds"),
and a right code typed before the limit still joins."""

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
FREE_TRIES = service.JoinCodeLimiter().free_tries


@pytest.fixture
def live() -> Iterator[LiveSessionPublic]:
    engine: Engine = make_engine(database_url())
    with Session(engine) as s:
        organisation = repository.create_organisation(s, name="North ICB", kind="icb")
        assessment = repository.create_assessment(
            s, organisation_id=organisation.id, assessment_date=date(2026, 11, 1), title="Spring round"
        )
        yield service.start_session(s, assessment_id=assessment.id, title="Board session")
    engine.dispose()


def wrong_codes(live: LiveSessionPublic, count: int) -> list[str]:
    """``count`` well-formed codes that are not ``live``'s."""
    codes = [f"ZZZZ{n:04d}".replace("0", "2").replace("1", "3") for n in range(count)]
    return [c for c in codes if c != live.join_code][:count]


def type_code(at, code: str):
    at.text_input(key="wj_code").input(code)
    return at.button(key="wj_code_continue").click().run()


def test_the_page_refuses_after_too_many_wrong_codes_and_says_how_long_to_wait(open_page, live) -> None:
    codes = wrong_codes(live, FREE_TRIES + 1)
    at = open_page(PAGE, code=codes[0])
    assert "no live session has this code" in at.error[0].value
    for code in codes[1:FREE_TRIES]:
        at = type_code(at, code)
        assert not at.exception
        assert "no live session has this code" in at.error[0].value
    # The last free try is used: even the right code is refused now, without being looked up.
    at = type_code(at, service.format_code(live.join_code))
    assert not at.exception
    message = at.error[0].value
    assert message.startswith("Too many tries: wait ") and "seconds" in message, message
    assert not [box for box in at.text_input if box.key == "wj_name"]
    assert at.title[0].value == "Join a live workshop"


def test_another_browser_session_is_not_held_up_by_one_guesser(open_page, live) -> None:
    codes = wrong_codes(live, FREE_TRIES + 1)
    at = open_page(PAGE, code=codes[0])
    for code in codes[1:]:
        at = type_code(at, code)
    assert at.error[0].value.startswith("Too many tries")
    other = open_page(PAGE, code=live.join_code)
    assert not other.exception
    assert other.title[0].value == "Board session"


def test_a_right_code_within_the_free_tries_joins(open_page, live) -> None:
    codes = wrong_codes(live, FREE_TRIES - 1)
    at = open_page(PAGE, code=codes[0])
    for code in codes[1:]:
        at = type_code(at, code)
    at = type_code(at, live.join_code)
    assert not at.exception
    assert not at.error
    assert at.title[0].value == "Board session"
