"""The login gate in app.py: open without login configured; with it, every page but the workshop join page waits
for a login, and roles from the configuration decide what a logged-in user may do."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.app

ROOT = Path(__file__).resolve().parents[2]
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-secret"}


def app(*, login: bool, user: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if login:
        at.secrets["auth"] = AUTH
        at.secrets["access"] = {"facilitators": ["raj@example.nhs.uk"]}
    if user is not None:
        at.user = user
    return at


def test_without_login_configured_the_app_is_open() -> None:
    at = app(login=False).run()
    assert not at.exception
    assert not [b for b in at.button if b.key == "access_login"]


def test_with_login_configured_a_visitor_must_log_in_first() -> None:
    at = app(login=True, user={"is_logged_in": False}).run()
    assert not at.exception
    assert at.button(key="access_login").label == "Log in"
    assert [t.value for t in at.title] == ["PHM Navigator"]  # nothing of the page itself


def test_workshop_participants_join_without_logging_in() -> None:
    at = app(login=True, user={"is_logged_in": False})
    at.run()
    at.switch_page("pages/workshop_join.py").run()
    assert not at.exception
    assert at.title[0].value == "Join a live workshop"
    assert not [b for b in at.button if b.key == "access_login"]


def test_a_logged_in_viewer_cannot_run_a_session_but_a_facilitator_can() -> None:
    viewer = app(login=True, user={"is_logged_in": True, "email": "someone@example.org", "name": "Sam"})
    viewer.run()
    viewer.switch_page("pages/workshop_facilitator.py").run()
    assert not viewer.exception
    assert "Your role (Viewer) does not allow you to run a live workshop" in viewer.warning[0].value
    facilitator = app(login=True, user={"is_logged_in": True, "email": "raj@example.nhs.uk", "name": "Raj"})
    facilitator.run()
    facilitator.switch_page("pages/workshop_facilitator.py").run()
    assert not facilitator.exception
    assert not facilitator.warning
    assert any("Signed in as Raj (Facilitator)" in c.value for c in facilitator.sidebar.caption)
