"""Cohort builder OR groups and exclusions in a real browser: a PHM lead picks people with severe frailty, adds "or
people who fell", then "except people living in a care home", sees the count and the sentence follow, saves the
cohort, clears it and opens it again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.browser import streamlit_server

pytestmark = pytest.mark.e2e

FINISHED = "Open Government Licence"  # the attribution footer is the last thing every page draws
TIMEOUT = 60_000
# NHS Suffolk and North East Essex on the April 2024 geography: a smaller ICB than the default (NHS Norfolk and
# Suffolk) keeps generating its people quick.
COHORTS = "/cohorts?geo=2024-04&icb=E54000023"
# Counts the script runs that end (the app's script state leaving 'running'), so that a test can wait for the run
# its click started to finish, without guessing how long that takes.
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
    return tmp_path_factory.mktemp("cohort-groups-data")


@pytest.fixture(scope="module")
def app_url(data_dir: Path) -> Iterator[str]:
    with streamlit_server(env={"PHM_DATA_DIR": str(data_dir), "PHM_SYNTH_FRACTION": "0.05"}) as url:
        yield url


def _runs(page) -> int:
    """How many script runs the page has finished so far (counted by RUN_COUNTER)."""
    return page.evaluate("window.__phmRuns")


def _wait_settled(page, since: int | None = None) -> None:
    """Wait until the app is not running its script, and (with ``since``) has finished a run since then."""
    page.wait_for_function(
        "since => window.__phmRuns > since && document.querySelector('[data-testid=\"stApp\"]')"
        "?.getAttribute('data-test-script-state') === 'notRunning'",
        arg=-1 if since is None else since,
        timeout=TIMEOUT,
    )
    page.get_by_text(FINISHED).first.wait_for()


def _count(page) -> int:
    metric = page.locator("[data-testid='stMetric']").filter(has_text="People in the cohort").first
    return int(metric.locator("[data-testid='stMetricValue']").inner_text().strip().replace(",", ""))


def _group(page, key: str):
    """A group's bordered box (its Streamlit key is a CSS class)."""
    return page.locator(f".st-key-{key}")


def _click(page, label: str) -> None:
    # While Streamlit redraws, the old (disabled) button can still be in the page beside the new one.
    before = _runs(page)
    page.locator("button:not([disabled])", has_text=label).first.click()
    _wait_settled(page, before)


def test_or_group_and_exclusion_in_the_browser(browser, app_url: str, data_dir: Path) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 1100})
    context.add_init_script(RUN_COUNTER)
    page = context.new_page()
    try:
        _journey(page, app_url)
    except Exception:
        page.screenshot(path=str(data_dir / "failure.png"), full_page=True)
        print("screenshot:", data_dir / "failure.png")
        raise
    finally:
        context.close()


def _journey(page, app_url: str) -> None:
    page.set_default_timeout(TIMEOUT)
    page.goto(app_url + COHORTS)
    page.get_by_text(FINISHED).first.wait_for(timeout=240_000)  # generates the population, trains the models
    _wait_settled(page)
    first = _group(page, "cohort_box")
    first.get_by_role("tab", name="Health and care").click()
    first.locator("[data-testid='stMultiSelect']").filter(has_text="Frailty (eFI, aged 65+)").click()
    before = _runs(page)
    page.get_by_role("option", name="Severe", exact=True).click()
    page.keyboard.press("Escape")
    _wait_settled(page, before)
    severe = _count(page)
    assert severe > 100
    first.get_by_text("People with severe frailty (eFI)").wait_for()

    _click(page, "Or people who ...")
    page.get_by_text("Nothing chosen in this group yet: it adds nobody").wait_for()
    assert _count(page) == severe
    second = _group(page, "cohort_or2_box")
    second.get_by_role("tab", name="Health and care").click()
    falls = second.locator("[data-testid='stNumberInput']").filter(has_text="Falls in the last year").locator("input")
    falls.fill("1")
    before = _runs(page)
    falls.press("Enter")
    _wait_settled(page, before)
    second.get_by_text("Or people who fell in the last 12 months").wait_for()
    either = _count(page)
    assert either > severe

    _click(page, "Except people who ...")
    exclusion = _group(page, "cohort_not1_box")
    exclusion.get_by_role("tab", name="Health and care").click()
    exclusion.locator("[data-testid='stSelectbox']").filter(has_text="Lives in a care home").click()
    before = _runs(page)
    page.get_by_role("option", name="Yes", exact=True).click()
    _wait_settled(page, before)
    exclusion.get_by_text("Except people living in a care home").wait_for()
    final = _count(page)
    assert 0 < final < either
    page.get_by_text(
        "Criteria: People with severe frailty (eFI); or people who fell in the last 12 months; except people "
        "living in a care home; opted-out people excluded."
    ).wait_for()

    page.get_by_role("textbox", name="Name").fill("Frail or fell, not in a care home")
    _click(page, "Save cohort")
    page.get_by_text("Saved 'Frail or fell, not in a care home'").wait_for()
    _click(page, "Clear all criteria")
    assert _count(page) > final and _group(page, "cohort_or2_box").count() == 0
    _click(page, "Open")
    _group(page, "cohort_not1_box").get_by_text("Except people living in a care home").wait_for()
    assert _count(page) == final
    assert page.locator("[data-testid='stException']").count() == 0
