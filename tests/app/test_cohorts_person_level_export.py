"""Who may download the pseudonymised (person-level) list on the cohort builder: without login configured, nobody
unless an administrator turns it on (PHM_ALLOW_PERSON_LEVEL_EXPORT_WITHOUT_LOGIN=1), and the page says why and how;
with login configured, the role decides (PHM leads and admins), whatever that setting says. SYNTHETIC data."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from phm_core.settings import PERSON_LEVEL_EXPORT_WITHOUT_LOGIN_ENV
from phm_core.synth.io import SAMPLE_FRACTION_ENV

pytestmark = pytest.mark.app

ROOT = Path(__file__).resolve().parents[2]
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-secret"}
# NHS Suffolk and North East Essex on the April 2024 geography, 5% sample: quick to generate.
SNEE = {"geo": "2024-04", "icb": "E54000023"}
LIST = "cohort_download_list"


@pytest.fixture(autouse=True)
def _small_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SAMPLE_FRACTION_ENV, "0.05")
    monkeypatch.delenv(PERSON_LEVEL_EXPORT_WITHOUT_LOGIN_ENV, raising=False)


def _cohort_page(*, login: bool = False, user: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "cohorts.py"), default_timeout=120)
    for key, value in SNEE.items():
        at.query_params[key] = value
    if login:
        at.secrets["auth"] = AUTH
        at.secrets["access"] = {"phm_leads": ["lee@example.nhs.uk"]}
    if user is not None:
        at.user = user
    return at.run()


def _download_keys(at: AppTest) -> list[str]:
    return [d.proto.id for d in at.get("download_button")]


def _has_list(at: AppTest) -> bool:
    return any(LIST in key for key in _download_keys(at))


def _has_aggregates(at: AppTest) -> bool:
    return any("cohort_download_aggregates" in key for key in _download_keys(at))


def test_without_login_the_list_is_off_and_the_page_says_why_and_how_to_turn_it_on() -> None:
    at = _cohort_page()
    assert not at.exception
    assert _has_aggregates(at)  # aggregate exports are not person-level: still there
    assert not _has_list(at)
    assert not any(s.key == "cohort_list_reason" for s in at.text_input)
    notes = " ".join(i.value for i in at.info)
    assert "no login is configured" in notes
    assert f"{PERSON_LEVEL_EXPORT_WITHOUT_LOGIN_ENV}=1" in notes


@pytest.mark.parametrize("value", ["1", "true"])
def test_without_login_an_administrator_can_turn_the_list_on(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(PERSON_LEVEL_EXPORT_WITHOUT_LOGIN_ENV, value)
    at = _cohort_page()
    assert not at.exception
    assert _has_list(at)
    assert not any(PERSON_LEVEL_EXPORT_WITHOUT_LOGIN_ENV in i.value for i in at.info)


def test_with_login_a_phm_lead_may_download_the_list_without_the_setting() -> None:
    at = _cohort_page(login=True, user={"is_logged_in": True, "email": "lee@example.nhs.uk", "name": "Lee"})
    assert not at.exception
    assert _has_list(at)


def test_with_login_a_viewer_may_not_even_with_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PERSON_LEVEL_EXPORT_WITHOUT_LOGIN_ENV, "1")
    at = _cohort_page(login=True, user={"is_logged_in": True, "email": "sam@example.org", "name": "Sam"})
    assert not at.exception
    assert not _has_list(at)
    warnings = " ".join(w.value for w in at.warning)
    assert "Your role (Viewer) does not allow you to export a pseudonymised list" in warnings
