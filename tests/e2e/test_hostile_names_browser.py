"""A hostile name in a real browser: shown as its text, with no heading, image, link or bold made from it, and no
request to the address it names (before, every participant's phone fetched the image and got clickable links)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tools.browser import streamlit_server

pytestmark = pytest.mark.e2e

playwright = pytest.importorskip("playwright.sync_api")
FINISHED = "Open Government Licence"  # the attribution footer is the last thing every page draws
TIMEOUT = 90_000
HOSTILE = "# Big ![x](http://evil.example/x.png) [link](http://evil.example) <b>bold</b> www.evil.example"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, int]]:
    data = tmp_path_factory.mktemp("hostile-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PHM_DATA_DIR", str(data))
        patch.delenv("DATABASE_URL", raising=False)
        code, assessment_id = _hostile_workshop(data)
    with streamlit_server(env={"PHM_DATA_DIR": str(data)}) as url:
        yield url, code, assessment_id


def _hostile_workshop(data: Path) -> tuple[str, int]:
    from sqlmodel import Session

    from maturity import repository
    from phm_core.settings import database_url
    from workshop import service
    from workshop.db import make_engine

    engine = make_engine(database_url())
    try:
        with Session(engine) as s:
            organisation = repository.create_organisation(s, name=HOSTILE, kind="icb")
            assessment = repository.create_assessment(
                s, organisation_id=organisation.id, assessment_date=date(2026, 11, 1), title=HOSTILE
            )
            live = service.start_session(s, assessment_id=assessment.id, title=HOSTILE)
            service.join_session(s, live.join_code, name=HOSTILE)
            return live.join_code, assessment.id
    finally:
        engine.dispose()


@pytest.mark.parametrize("path", ["/workshop_join?code={code}", "/maturity_results?assessment={assessment}"])
def test_a_hostile_name_is_shown_as_text(browser, app, path: str) -> None:
    url, code, assessment_id = app
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(TIMEOUT)
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url) if "evil" in request.url else None)
    page.goto(url + path.format(code=code, assessment=assessment_id))
    page.get_by_text(FINISHED).first.wait_for()
    page.get_by_text("Big ![x]").first.wait_for()  # the name is shown, as typed
    hrefs = page.locator("a[href*='evil']").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert [h for h in hrefs if not h.startswith("#")] == []  # heading anchors are in-page
    assert page.locator("img[src*='evil']").count() == 0
    assert page.locator("b:has-text('bold')").count() == 0  # no HTML from the name
    assert fetched == []
    page.context.close()
