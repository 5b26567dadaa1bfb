"""The pseudonymised (person-level) list in a real browser: each download is one click, one audit row and one
transfer. The URL the browser was given serves that click only: fetched again, by the same browser or by a client
without a session, it answers 404 (Not Found). SYNTHETIC data; no login, so the setting that allows the list
without login is on."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from cohort_store import repository
from cohort_store.db import make_engine
from phm_core.settings import PERSON_LEVEL_EXPORT_WITHOUT_LOGIN_ENV
from tools.browser import streamlit_server

pytestmark = pytest.mark.e2e

FINISHED = "Open Government Licence"  # the attribution footer is the last thing every page draws
TIMEOUT = 60_000
# NHS Suffolk and North East Essex on the April 2024 geography, 5% sample: quick to generate.
COHORTS = "/cohorts?geo=2024-04&icb=E54000023"
# Counts the script runs that end, so that the test waits for the run its typing started (see test_cohorts_browser).
RUN_COUNTER = """
window.__phmRuns = 0;
new MutationObserver((records) => {
  for (const record of records) if (record.oldValue === "running") window.__phmRuns += 1;
}).observe(document, {
  attributes: true, subtree: true, attributeOldValue: true, attributeFilter: ["data-test-script-state"],
});
"""


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("person-level-download")


@pytest.fixture(scope="module")
def app_url(data_dir: Path) -> Iterator[str]:
    env = {"PHM_DATA_DIR": str(data_dir), "PHM_SYNTH_FRACTION": "0.05", PERSON_LEVEL_EXPORT_WITHOUT_LOGIN_ENV: "1"}
    with streamlit_server(env=env) as url:
        yield url


def _wait_settled(page, since: int) -> None:
    page.wait_for_function(
        "since => window.__phmRuns > since && document.querySelector('[data-testid=\"stApp\"]')"
        "?.getAttribute('data-test-script-state') === 'notRunning'",
        arg=since,
        timeout=TIMEOUT,
    )
    page.get_by_text(FINISHED).first.wait_for()


def _status_without_session(url: str) -> int:
    """The HTTP status of a plain GET of ``url``: no cookies, no websocket, no session."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _list_exports(data_dir: Path) -> list:
    engine = make_engine(f"sqlite:///{data_dir / 'phm_navigator.sqlite'}")
    try:
        with Session(engine) as s:
            return [r for r in repository.list_exports(s) if r.kind == "pseudonymised_list"]
    finally:
        engine.dispose()


def _download_list(page) -> tuple[str, str]:
    """Click the list's download button; return the URL the browser fetched and the file's text.

    Streamlit's button fetches the URL twice: a check (fetch()) and the download. Both are waited for, so that
    what the test fetches afterwards is a further request."""
    with page.expect_response(lambda response: "/media/" in response.url) as check, page.expect_download() as download:
        page.locator("button:not([disabled])", has_text="Download the list").first.click()
    assert check.value.url == download.value.url
    return download.value.url, Path(download.value.path()).read_text(encoding="utf-8")


def test_each_download_of_the_list_is_one_audited_fetch(browser, app_url: str, data_dir: Path) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 1100}, accept_downloads=True)
    context.add_init_script(RUN_COUNTER)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    try:
        page.goto(app_url + COHORTS)
        page.get_by_text(FINISHED).first.wait_for(timeout=240_000)  # generates the population, trains the models
        page.get_by_role("heading", name="Cohort builder (SYNTHETIC)").wait_for()
        # The text is sent when the box loses focus, or 800 ms after the last key press (assets/keep_typed_text.js),
        # whichever comes first: count runs from before typing, and wait for the button to be enabled.
        before = page.evaluate("window.__phmRuns")
        page.get_by_role("textbox", name="Details (recorded)").fill("Frailty MDT, Colchester PCN, March")
        page.keyboard.press("Tab")
        _wait_settled(page, before)
        page.locator("button:not([disabled])", has_text="Download the list").first.wait_for()
        assert _list_exports(data_dir) == []

        first_url, first = _download_list(page)
        assert "person_id" in first.splitlines()[0]
        assert "/media/" in first_url
        assert len(_list_exports(data_dir)) == 1  # the click wrote one audit row
        # The same URL again: refused to a client without a session and to the browser that downloaded it.
        assert _status_without_session(first_url) == 404
        assert page.request.get(first_url).status == 404

        second_url, second = _download_list(page)
        assert second == first  # the same cohort: a new download makes the file again
        rows = _list_exports(data_dir)
        assert len(rows) == 2  # one audit row per download
        assert all(r.reason.endswith("Frailty MDT, Colchester PCN, March") for r in rows)
        assert _status_without_session(second_url) == 404
    except Exception:
        page.screenshot(path=str(data_dir / "failure.png"), full_page=True)
        print("screenshot:", data_dir / "failure.png")
        raise
    finally:
        context.close()
