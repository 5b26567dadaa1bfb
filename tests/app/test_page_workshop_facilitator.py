"""Facilitator's page: start a session, the join code and QR code, hidden then revealed results, pacing,
recording the room's agreement, closing, and the role check when login is configured."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from maturity import repository
from maturity.models import AssessmentPublic
from phm_core.settings import database_url
from workshop import service
from workshop.db import make_engine

pytestmark = pytest.mark.app

ROOT = Path(__file__).resolve().parents[2]
PAGE = "workshop_facilitator.py"
FIRST, SECOND = "organisational_factors", "digitised_care_record"


@pytest.fixture
def db() -> Iterator[Engine]:
    engine = make_engine(database_url())
    yield engine
    engine.dispose()


@pytest.fixture
def assessment(db: Engine) -> AssessmentPublic:
    with Session(db) as s:
        organisation = repository.create_organisation(s, name="North ICB", kind="icb")
        return repository.create_assessment(
            s, organisation_id=organisation.id, assessment_date=date(2026, 11, 1), title="Spring round"
        )


def start(open_page, assessment: AssessmentPublic):
    at = open_page(PAGE, assessment=str(assessment.id))
    at.text_input(key="wf_title").input("Board session")
    return at.button(key="FormSubmitter:wf_start-Start the live session").click().run()


def markdown_text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_without_an_assessment_the_page_points_to_the_assessments_page(open_page) -> None:
    at = open_page(PAGE)
    assert not at.exception
    assert "Open an assessment first" in at.info[0].value


def test_starting_a_session_shows_the_code_the_link_and_the_qr_code(open_page, db, assessment) -> None:
    at = start(open_page, assessment)
    assert not at.exception
    with Session(db) as s:
        (live,) = service.list_live_sessions(s, assessment_id=assessment.id)
    assert at.query_params["live"] == str(live.id)
    assert live.title == "Board session" and live.pace_component_id == FIRST and live.hide_results
    assert service.format_code(live.join_code) in markdown_text(at)
    assert at.code[0].value.endswith(f"/workshop_join?code={live.join_code}")
    pytest.importorskip("qrcode")
    (image,) = at.get("image")
    assert "Scan to join" in str(image.proto)


def test_the_code_expiry_is_in_uk_time_with_its_zone_and_utc_beside_it(open_page, db, assessment) -> None:
    at = start(open_page, assessment)
    with Session(db) as s:
        (live,) = service.list_live_sessions(s, assessment_id=assessment.id)
    local = live.expires_at.astimezone(ZoneInfo("Europe/London"))
    utc = live.expires_at.astimezone(UTC)
    expected = f"{local:%H:%M} {local:%Z} on {local:%d %b %Y} ({utc:%H:%M} UTC"
    assert local.tzname() in ("GMT", "BST")
    (expiry,) = [c.value for c in at.caption if c.value.startswith("The code works until")]
    assert expiry.startswith(f"The code works until {expected}")


def test_the_participant_list_names_everyone_who_has_joined(open_page, db, assessment) -> None:
    at = start(open_page, assessment)
    with Session(db) as s:
        live = service.list_live_sessions(s, assessment_id=assessment.id)[0]
        for name in ("Ann", "Bob"):
            service.join_session(s, live.join_code, name=name)
    at.run()
    assert not at.exception
    (expander,) = [e for e in at.expander if e.label.startswith("Participants")]
    assert expander.label == "Participants (2)"
    assert "- Ann\n- Bob" in expander.markdown[0].value


def test_results_stay_hidden_until_revealed_then_show_the_distribution(open_page, db, assessment) -> None:
    at = start(open_page, assessment)
    with Session(db) as s:
        live = service.list_live_sessions(s, assessment_id=assessment.id)[0]
        for name, stage in (("Ann", 2), ("Bob", 3), ("Cy", 3)):
            token = service.join_session(s, live.join_code, name=name).token
            service.save_participant_answer(s, live.join_code, token, FIRST, current_stage=stage, target_stage=4)
    at.run()
    assert not at.exception
    shown = metrics(at)
    assert shown["Answered"] == "3 of 3" and shown["Median now"] == "hidden"
    assert "Everyone has answered" in at.success[0].value
    assert not at.get("plotly_chart")

    at = at.button(key="wf_reveal").click().run()
    shown = metrics(at)
    assert shown["Median now"] == "3 (Maturing)" and shown["Median target"] == "4 (Thriving)"
    (chart,) = at.get("plotly_chart")
    bars = json.loads(chart.proto.spec)["data"][0]
    assert bars["y"] == [0, 1, 2, 0]

    at = at.button(key="wf_next").click().run()  # the room moves on: hidden again, the next component
    assert not at.exception
    assert at.selectbox(key="wf_pace").value == SECOND
    assert metrics(at)["Answered"] == "0 of 3" and metrics(at)["Median now"] == "hidden"


def test_recording_the_agreement_and_closing_the_session(open_page, db, assessment) -> None:
    at = start(open_page, assessment)
    at.radio(key=f"wf_agreed_{FIRST}").set_value(2)
    at.text_area(key=f"wf_actions_{FIRST}").input("Agree the population in writing by March")
    at = at.button(key=f"FormSubmitter:wf_agreement_{FIRST}-Record").click().run()
    assert not at.exception
    with Session(db) as s:
        live = service.list_live_sessions(s, assessment_id=assessment.id)[0]
        agreed = service.agreements_for(s, live.id)[FIRST]
    assert (agreed.agreed_stage, agreed.actions) == (2, "Agree the population in writing by March")

    at = at.button(key="wf_close").click().run()
    assert not at.exception
    with Session(db) as s:
        assert service.get_live_session(s, live.id).status == "closed"
    assert "This session has ended" in at.info[0].value
    assert not at.code  # the join link is no longer shown


def test_with_login_configured_a_visitor_who_has_not_logged_in_cannot_start_a_session(db, assessment) -> None:
    at = AppTest.from_file(str(ROOT / "pages" / PAGE), default_timeout=120)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x"}
    at.secrets["access"] = {"facilitators": ["raj@example.nhs.uk"]}
    at.query_params["assessment"] = str(assessment.id)
    at.run()
    assert not at.exception
    assert "Log in to run a live workshop" in at.warning[0].value
    assert not at.button  # no way to start a session
