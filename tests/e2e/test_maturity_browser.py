"""The self-assessment in a real browser: a lead opens an assessment, two people answer it in their own browser
sessions, one comes back with their link, and the results count both answers and export the report."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session

from maturity import repository
from maturity.db import make_engine
from tools.browser import streamlit_server

pytestmark = pytest.mark.e2e

playwright = pytest.importorskip("playwright.sync_api")
FINISHED = "Open Government Licence"  # the attribution footer is the last thing every page draws
TIMEOUT = 60_000


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("maturity-data")


@pytest.fixture(scope="module")
def app_url(data_dir: Path) -> Iterator[str]:
    with streamlit_server(env={"PHM_DATA_DIR": str(data_dir)}) as url:
        yield url


def open_in_new_session(browser, url: str):
    """A separate browser context (its own cookies and Streamlit session), like another person's computer."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(url)
    page.get_by_text(FINISHED).first.wait_for(timeout=120_000)  # the first page of a fresh server loads the data
    return page


def radio(page, label: str):
    return page.locator("[data-testid='stRadio']").filter(has_text=label)


def no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0


def settled(page) -> None:
    """Wait until the app has finished running its script (typing during a redraw can be lost by Streamlit)."""
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')?.getAttribute('data-test-script-state')"
        " === 'notRunning'",
        timeout=TIMEOUT,
    )


def answer_first_component(page, *, name: str, stage: str, notes: str) -> None:
    page.get_by_role("textbox", name="Your name").fill(name)
    page.get_by_role("textbox", name="Your role (optional)").fill("PHM lead")
    page.get_by_role("button", name="Start").click()
    page.get_by_text(f"Answering as {name}").wait_for()
    radio(page, "Current stage").get_by_text(stage).click()
    page.get_by_text("1 of 11 components rated").wait_for()
    settled(page)
    page.get_by_role("textbox", name="Evidence notes").fill(notes)
    page.get_by_role("textbox", name="Evidence links (one per line)").click()  # leaving the box saves the notes
    page.get_by_text(re.compile(r"^Saved \d")).wait_for()
    settled(page)
    no_exception(page)


def test_an_assessment_answered_in_two_browser_sessions(browser, app_url: str, data_dir: Path) -> None:
    lead = open_in_new_session(browser, app_url + "/maturity_assessments")
    lead.get_by_role("heading", name="PHM maturity self-assessment").wait_for()
    lead.get_by_role("button", name="Add organisation").click()
    lead.get_by_text("Added NHS Norfolk and Suffolk (ICB).").wait_for()
    lead.get_by_role("textbox", name="Title (optional)").fill("Browser round")
    lead.get_by_role("button", name="Open the assessment").click()
    lead.get_by_text("Opened 'Browser round'").wait_for()
    link = lead.locator("[data-testid='stCode'] code").first.inner_text().strip()
    assert link == f"{app_url}/maturity_questionnaire?assessment=1"
    no_exception(lead)

    first = open_in_new_session(browser, link)
    answer_first_component(first, name="Respondent One", stage="2 Developing", notes="Board minutes")
    second = open_in_new_session(browser, link)
    answer_first_component(second, name="Respondent Two", stage="3 Maturing", notes="Strategy")
    assert "respondent=" in first.url and first.url != second.url  # each has their own resume link

    first.reload()  # refreshing the browser loses nothing: the link carries the resume token
    first.get_by_text("Answering as Respondent One").wait_for()
    first.get_by_text("1 of 11 components rated").wait_for()
    first.get_by_role("button", name="Previous").click()
    first.get_by_role("heading", name="Organisational factors").wait_for()
    settled(first)  # the heading is drawn before the radios: until the run ends they can be the last component's
    options = radio(first, "Current stage").locator("input[type='radio']")
    assert [options.nth(i).is_checked() for i in range(4)] == [False, True, False, False]
    assert first.get_by_role("textbox", name="Evidence notes").input_value() == "Board minutes"

    engine = make_engine(f"sqlite:///{data_dir / 'phm_navigator.sqlite'}")
    with Session(engine) as s:
        answers = repository.answers_for(s, 1)
    engine.dispose()
    assert sorted(zip(answers["respondent"], answers["current_stage"], strict=True)) == [
        ("Respondent One", 2),
        ("Respondent Two", 3),
    ]

    lead.reload()
    lead.get_by_text("2 respondents").first.wait_for()
    lead.get_by_role("link", name="Results").first.click()
    lead.get_by_role("heading", name="Maturity results").wait_for()
    lead.get_by_text(FINISHED).first.wait_for()
    assert "assessment=1" in lead.url
    lead.get_by_text("Only 2 respondents so far: these results are indicative.").wait_for()
    infrastructure = lead.locator("[data-testid='stMetric']").filter(has_text="Infrastructure")
    assert "2.5 of 4" in infrastructure.inner_text()  # the median of both answers, 2 and 3
    charts = lead.locator("[data-testid='stPlotlyChart']")
    charts.nth(4).wait_for()  # matrix, three capabilities, radar, gaps ... drawn by the browser
    charts.first.locator(".main-svg").first.wait_for(timeout=120_000)  # drawn: plotly.js loads lazily
    no_exception(lead)

    with lead.expect_download() as download:
        lead.get_by_role("button", name="Report (HTML, printable)").click()
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Browser round" in report and "2 respondents" in report
    assert report.count("<svg") == 2
    for page in (lead, first, second):
        page.context.close()


def new_respondent(browser, app_url: str, data_dir: Path, *, name: str):
    """A fresh assessment answered by ``name``: the page (on the first component) and a reader of saved answers."""
    page = open_in_new_session(browser, app_url + "/maturity_assessments")  # the app has made its database
    engine = make_engine(f"sqlite:///{data_dir / 'phm_navigator.sqlite'}")
    with Session(engine) as s:
        # a new organisation each time, so the test can be repeated on one server (e.g. 20 runs in a row)
        organisation = repository.create_organisation(s, name=f"{name} ICB {uuid.uuid4().hex[:8]}", kind="ics")
        assessment = repository.create_assessment(
            s, organisation_id=organisation.id, assessment_date=date(2026, 11, 1), title=name
        )

    def saved_notes() -> list[str | None]:
        with Session(engine) as s:
            answers = repository.answers_for(s, assessment.id)
        return answers.loc[answers["respondent"] == name, "evidence_notes"].tolist()

    page.goto(f"{app_url}/maturity_questionnaire?assessment={assessment.id}")
    page.get_by_role("textbox", name="Your name").fill(name)
    page.get_by_role("button", name="Start").click()
    page.get_by_text(f"Answering as {name}").wait_for()
    settled(page)
    return page, engine, saved_notes


def wait_until(condition, *, timeout: float = TIMEOUT / 1000) -> None:
    """Poll ``condition`` until it holds (the browser saves in the background: no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {condition.__doc__ or condition}")
        time.sleep(0.1)


def test_notes_typed_while_the_page_redraws_are_kept(browser, app_url: str, data_dir: Path) -> None:
    """A respondent picks a stage and types at once, while the page is still redrawing, and then does nothing
    else: the note is saved as typed (no need to leave the box) and is there when the page is opened again."""
    page, engine, saved_notes = new_respondent(browser, app_url, data_dir, name="Respondent Three")
    notes = "Typed at once while the page was still redrawing after the stage was picked"
    page.get_by_role("textbox", name="Evidence notes").evaluate("box => { box.dataset.first = 'yes'; }")  # see below
    radio(page, "Current stage").get_by_text("1 Emerging").click()
    page.get_by_role("textbox", name="Evidence notes").press_sequentially(notes, delay=25)  # no waiting
    focused = page.evaluate("() => [document.activeElement.dataset.first, document.activeElement.value]")

    def notes_saved() -> bool:
        """the typed note in the database"""
        return saved_notes() == [notes]

    try:
        wait_until(notes_saved)
    except AssertionError as error:  # say what was saved and what the box holds
        shown = page.get_by_role("textbox", name="Evidence notes").input_value()
        errors = page.locator("[data-testid='stAlert']").all_inner_texts()
        same = page.get_by_role("textbox", name="Evidence notes").evaluate("box => box.dataset.first")  # redrawn?
        raise AssertionError(
            f"{error}: saved {saved_notes()!r}, box {shown!r} (the box typed into: {same!r}), alerts {errors!r}, "
            f"focus after typing {focused!r}"
        ) from None
    settled(page)
    no_exception(page)
    assert page.get_by_role("textbox", name="Evidence notes").input_value() == notes
    engine.dispose()
    page.context.close()


def test_first_click_on_a_sidebar_link_after_typing_is_not_swallowed(browser, app_url: str, data_dir: Path) -> None:
    """Typing and clicking a sidebar link at once (a person's click: the button held for a quarter second) saves
    the text and opens the page the first time."""
    page, engine, saved_notes = new_respondent(browser, app_url, data_dir, name="Respondent Four")
    page.get_by_role("textbox", name="Evidence notes").press_sequentially("Half typed note", delay=20)
    link = page.locator("[data-testid='stSidebarNav'] a").filter(has_text="Results").first
    box = link.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.wait_for_timeout(250)  # how long a person holds the button: part of the gesture, not a wait for the app
    page.mouse.up()
    page.wait_for_url("**/maturity_results*")
    page.get_by_role("heading", name="Maturity results").wait_for()
    assert saved_notes() == ["Half typed note"]
    no_exception(page)
    engine.dispose()
    page.context.close()


def test_reloading_with_unsaved_text_asks_first_and_saves(browser, app_url: str, data_dir: Path) -> None:
    """Reloading or closing the tab straight after typing asks before leaving, and the text is sent meanwhile."""
    page, engine, saved_notes = new_respondent(browser, app_url, data_dir, name="Respondent Five")
    dialogs: list[str] = []

    def stay(dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()  # "stay on this page"

    page.on("dialog", stay)
    page.get_by_role("textbox", name="Evidence notes").press_sequentially("Closing soon", delay=10)
    page.evaluate("() => { window.location.reload(); }")  # headless chromium asks on reload, not on close

    def notes_saved() -> bool:
        """the note sent when the page was reloading"""
        return saved_notes() == ["Closing soon"]

    wait_until(notes_saved)
    assert dialogs == ["beforeunload"]
    assert page.get_by_role("textbox", name="Evidence notes").input_value() == "Closing soon"  # stayed
    engine.dispose()
    page.context.close()
