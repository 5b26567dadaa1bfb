"""A live workshop in real browsers: a facilitator starts a session, three participants join on their own devices
(separate browser contexts), and the facilitator's screen shows their answers arrive without a reload; when the
facilitator moves the room on, the participants' pages follow by themselves."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session

from maturity import repository
from tools.browser import streamlit_server
from workshop import service
from workshop.db import make_engine

pytestmark = pytest.mark.e2e

playwright = pytest.importorskip("playwright.sync_api")
FINISHED = "Open Government Licence"  # the attribution footer is the last thing every page draws
TIMEOUT = 60_000
LIVE_UPDATE_TIMEOUT = 15_000  # the panel refreshes every 2 s; allow for a slow shared machine


@pytest.fixture(scope="module")
def chromium(browser) -> object:
    """The session's one chromium (tests/e2e/conftest.py): a second Playwright instance cannot run beside it."""
    return browser


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("workshop-data")
    engine = make_engine(f"sqlite:///{folder / 'phm_navigator.sqlite'}")
    with Session(engine) as s:
        organisation = repository.create_organisation(s, name="North ICB", kind="icb")
        repository.create_assessment(
            s, organisation_id=organisation.id, assessment_date=date(2026, 11, 1), title="Board round"
        )
    engine.dispose()
    return folder


@pytest.fixture(scope="module")
def app_url(data_dir: Path) -> Iterator[str]:
    with streamlit_server(env={"PHM_DATA_DIR": str(data_dir)}) as url:
        yield url


def new_device(browser, url: str, *, phone: bool):
    """A separate browser context (own cookies, own Streamlit session), like another person's device."""
    viewport = {"width": 412, "height": 900} if phone else {"width": 1920, "height": 1080}
    page = browser.new_context(viewport=viewport).new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(url)
    page.get_by_text(FINISHED).first.wait_for(timeout=120_000)
    return page


def metric(page, label: str):
    return page.locator("[data-testid='stMetric']").filter(has_text=label)


def no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0


def test_the_facilitator_sees_three_participants_answers_arrive_without_a_reload(
    chromium, app_url: str, data_dir: Path
) -> None:
    facilitator = new_device(chromium, app_url + "/workshop_facilitator?assessment=1", phone=False)
    facilitator.get_by_role("textbox", name="Title (optional)").fill("Board session")
    facilitator.get_by_role("button", name="Start the live session").click()
    facilitator.get_by_role("heading", name="Board session").wait_for()
    link = facilitator.locator("[data-testid='stCode'] code").first.inner_text().strip()
    assert re.fullmatch(re.escape(app_url) + r"/workshop_join\?code=[A-Z2-9]{8}", link)
    metric(facilitator, "Answered").filter(has_text="0 of 0").wait_for()
    facilitator_url = facilitator.url
    no_exception(facilitator)

    participants = []
    for name, stage in (("Ann", "2 Developing"), ("Bob", "2 Developing"), ("Cy", "3 Maturing")):
        page = new_device(chromium, link, phone=True)
        page.locator("[data-testid='stSidebar']").wait_for(state="hidden")  # the questions only, no navigation
        page.get_by_role("textbox", name="Your name").fill(name)
        page.get_by_role("button", name="Join").click()
        page.get_by_role("heading", name="Organisational factors").wait_for()
        participants.append((page, stage))
    metric(facilitator, "Answered").filter(has_text="0 of 3").wait_for(timeout=LIVE_UPDATE_TIMEOUT)

    for page, stage in participants:
        page.locator("[data-testid='stRadio']").filter(has_text="Where are we now?").get_by_text(stage).click()
        page.get_by_text(f"Saved: {stage}.").wait_for()
        no_exception(page)
    # The facilitator's screen counts all three answers by itself: no reload, no click.
    metric(facilitator, "Answered").filter(has_text="3 of 3").wait_for(timeout=LIVE_UPDATE_TIMEOUT)
    facilitator.get_by_text("Everyone has answered").wait_for()
    assert facilitator.url == facilitator_url

    facilitator.get_by_role("button", name="Reveal the results").click()
    metric(facilitator, "Median now").filter(has_text="2 (Developing)").wait_for()
    facilitator.locator("[data-testid='stPlotlyChart'] .main-svg").first.wait_for(timeout=120_000)
    no_exception(facilitator)

    cy = participants[2][0]
    note = "Cy was still typing this when the room moved on"
    cy.get_by_role("textbox", name="Anything the room should know? (optional)").press_sequentially(note, delay=5)
    facilitator.get_by_role("button", name="Next").click()  # at once: Cy has not left the box
    for page, _ in participants:  # each participant's page follows the room to the next component
        page.get_by_role("heading", name="Digitised care and a shared care record").wait_for(
            timeout=LIVE_UPDATE_TIMEOUT
        )
        no_exception(page)

    engine = make_engine(f"sqlite:///{data_dir / 'phm_navigator.sqlite'}")
    with Session(engine) as s:
        (live,) = service.list_live_sessions(s, assessment_id=1)
        results = service.live_results(s, live.id)
        answers = repository.answers_for(s, 1)
    engine.dispose()
    assert results.n_participants == 3
    assert results.result.component("organisational_factors").counts == (0, 2, 1, 0)
    cy_answers = answers.loc[(answers["respondent"] == "Cy") & (answers["component_id"] == "organisational_factors")]
    assert cy_answers["evidence_notes"].tolist() == [note]  # half-typed, yet kept when the room moved on
    for page, _ in [(facilitator, None), *participants]:
        page.context.close()


def test_presentation_mode_moves_with_the_arrow_keys(chromium, app_url: str) -> None:
    page = new_device(chromium, app_url + "/presentation?icb=E54000068", phone=False)
    page.get_by_role("heading", name="NHS Norfolk and Suffolk").wait_for()
    page.locator("[data-testid='stSidebar']").wait_for(state="hidden")
    page.keyboard.press("ArrowRight")  # the title slide's own heading also says "who lives here": match the start
    page.get_by_role("heading", name=re.compile("^Who lives here")).wait_for()
    page.locator("[data-testid='stPlotlyChart']").first.wait_for(state="attached", timeout=120_000)
    page.keyboard.press("ArrowRight")
    page.get_by_role("heading", name=re.compile("^Where need is")).wait_for()
    page.keyboard.press("ArrowLeft")
    page.get_by_role("heading", name=re.compile("^Who lives here")).wait_for()
    no_exception(page)
    page.context.close()
