"""The facilitator's screen in a real browser: the participant list follows the room without a reload, the
median labels of the live chart are drawn inside the chart, and the code's expiry is given in UK time."""

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
FIRST = "organisational_factors"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("facilitator-data")
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


def test_participants_appear_without_a_reload_and_the_median_labels_fit(browser, app_url: str, data_dir: Path) -> None:
    page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(app_url + "/workshop_facilitator?assessment=1")
    page.get_by_text(FINISHED).first.wait_for(timeout=120_000)
    page.get_by_role("textbox", name="Title (optional)").fill("Board session")
    page.get_by_role("button", name="Start the live session").click()
    page.get_by_role("heading", name="Board session").wait_for()
    expiry = page.get_by_text(re.compile(r"The code works until")).inner_text()
    assert re.search(r"until \d\d:\d\d (GMT|BST) on \d\d \w{3} \d{4} \(\d\d:\d\d UTC", expiry), expiry
    page.get_by_text("Participants (0)").click()  # the facilitator opens the list before anyone joins
    page.get_by_text("Nobody has joined yet.").wait_for()
    url = page.url

    engine = make_engine(f"sqlite:///{data_dir / 'phm_navigator.sqlite'}")
    with Session(engine) as s:
        (live,) = service.list_live_sessions(s, assessment_id=1)
        for name, stage in (("Ann", 4), ("Bob", 4), ("Cy", 3)):
            token = service.join_session(s, live.join_code, name=name).token
            service.save_participant_answer(s, live.join_code, token, FIRST, current_stage=stage, target_stage=4)
    engine.dispose()
    # The list in the expander follows the room by itself, as the answer count in the live panel does.
    page.get_by_text("Participants (3)").wait_for(timeout=LIVE_UPDATE_TIMEOUT)
    page.get_by_text("Cy", exact=True).wait_for()  # and it stays open as the names arrive
    page.locator("[data-testid='stMetric']").filter(has_text="3 of 3").wait_for(timeout=LIVE_UPDATE_TIMEOUT)
    assert page.url == url

    page.get_by_role("button", name="Reveal the results").click()
    chart = page.locator("[data-testid='stPlotlyChart'] .main-svg").first
    chart.wait_for(timeout=120_000)
    frame = chart.bounding_box()
    for text in ("Median now 4", "Median target 4"):
        label = page.locator("[data-testid='stPlotlyChart'] text").filter(has_text=text)
        label.wait_for()
        box = label.bounding_box()
        assert frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"], text
    assert page.locator("[data-testid='stException']").count() == 0
    page.context.close()
