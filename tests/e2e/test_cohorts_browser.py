"""Cohort builder and scenarios in a real browser: a PHM lead builds a cohort of frail older people, saves it,
exports its suppressed aggregates with a reason (an audit row is written), then forecasts proactive care for that
cohort on the scenarios page, adds it to the comparison and downloads the comparison with a reason (audited too)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from cohort_store import repository
from cohort_store.db import make_engine
from tools.browser import streamlit_server

pytestmark = pytest.mark.e2e

FINISHED = "Open Government Licence"  # the attribution footer is the last thing every page draws
TIMEOUT = 60_000
# NHS Suffolk and North East Essex on the April 2024 geography: a smaller ICB than the default (NHS Norfolk and
# Suffolk) keeps generating its people and training the models quick.
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
    return tmp_path_factory.mktemp("cohort-data")


@pytest.fixture(scope="module")
def app_url(data_dir: Path) -> Iterator[str]:
    with streamlit_server(env={"PHM_DATA_DIR": str(data_dir), "PHM_SYNTH_FRACTION": "0.05"}) as url:
        yield url


def _metric(page, label: str) -> str:
    metric = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return metric.locator("[data-testid='stMetricValue']").inner_text().strip()


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


def _choose(page, tab: str, label: str, option: str) -> None:
    page.get_by_role("tab", name=tab).click()
    page.locator("[data-testid='stMultiSelect']").filter(has_text=label).click()
    before = _runs(page)
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")
    _wait_settled(page, before)


def test_build_a_cohort_export_it_and_run_a_scenario(browser, app_url: str, data_dir: Path) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 1100}, accept_downloads=True)
    context.add_init_script(RUN_COUNTER)
    page = context.new_page()
    try:
        _journey(page, app_url, data_dir)
    except Exception:
        page.screenshot(path=str(data_dir / "failure.png"), full_page=True)
        print("screenshot:", data_dir / "failure.png")
        raise
    finally:
        context.close()


def _journey(page, app_url: str, data_dir: Path) -> None:
    page.set_default_timeout(TIMEOUT)
    page.goto(app_url + COHORTS)
    page.get_by_text(FINISHED).first.wait_for(timeout=240_000)  # generates the population, trains the models
    page.get_by_role("heading", name="Cohort builder (SYNTHETIC)").wait_for()
    _wait_settled(page)
    everyone = int(_metric(page, "People in the cohort").replace(",", ""))
    assert everyone > 40_000

    _choose(page, "Health and care", "Frailty (eFI, aged 65+)", "Moderate")
    _choose(page, "Health and care", "Frailty (eFI, aged 65+)", "Severe")
    page.get_by_text("Frailty (eFI): Moderate, Severe").first.wait_for()  # the redraw with both, before reading
    _wait_settled(page)
    frail = int(_metric(page, "People in the cohort").replace(",", ""))
    assert 500 < frail < everyone / 10

    page.get_by_role("textbox", name="Name").fill("Frail older people")
    before = _runs(page)
    page.locator("button:not([disabled])", has_text="Save cohort").first.click()
    _wait_settled(page, before)
    page.get_by_text("Saved 'Frail older people'").wait_for()

    page.get_by_role("textbox", name="Reason for this export").fill("Frailty service business case")
    before = _runs(page)
    page.keyboard.press("Tab")
    _wait_settled(page, before)
    with page.expect_download() as download:
        # While Streamlit redraws, the old (disabled) button can still be in the page beside the new one.
        page.locator("button:not([disabled])", has_text="Download aggregates").first.click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert exported.startswith("data,table,group,in_cohort,people,rate,rate_unit")
    assert "SYNTHETIC,summary,People," in exported
    engine = make_engine(f"sqlite:///{data_dir / 'phm_navigator.sqlite'}")
    with Session(engine) as s:
        rows = repository.list_exports(s)
        saved = repository.list_cohorts(s, icb_code="E54000023")
    engine.dispose()
    assert [(r.kind, r.reason, r.cohort_name, r.geography_version) for r in rows] == [
        ("aggregates", "Frailty service business case", "Frail older people", "2024-04")
    ]
    assert [(c.name, c.geography_version) for c in saved] == [("Frail older people", "2024-04")]

    page.get_by_role("link", name="Scenarios").click()  # the same browser session: the cohort comes along
    page.get_by_role("heading", name="Impactability and scenarios (SYNTHETIC)").wait_for()
    _wait_settled(page)
    page.locator("[data-testid='stSelectbox']").filter(has_text="Intervention").click()
    before = _runs(page)
    page.get_by_role("option", name="Proactive neighbourhood team care").click()
    _wait_settled(page, before)
    before = _runs(page)
    page.get_by_text("The cohort from the cohort builder").click()
    _wait_settled(page, before)
    assert int(_metric(page, "People eligible").replace(",", "")) == frail
    table = page.locator("[data-testid='stDataFrame']").first
    table.wait_for()
    before = _runs(page)
    page.locator("button:not([disabled])", has_text="Add to the comparison").first.click()
    _wait_settled(page, before)
    page.get_by_role("heading", name="Comparison").wait_for()
    assert page.locator("button[disabled]", has_text="Download the comparison (CSV)").count() == 1  # no reason yet
    page.get_by_role("textbox", name="Reason for this export").fill("Frailty business case: proactive care")
    before = _runs(page)
    page.keyboard.press("Tab")
    _wait_settled(page, before)
    with page.expect_download() as download:
        page.locator("button:not([disabled])", has_text="Download the comparison (CSV)").first.click()
    comparison = Path(download.value.path()).read_text(encoding="utf-8")
    assert comparison.startswith("data,section,item,label,unit,measure,scenario_1_low,scenario_1_central")
    assert ",name,Scenario name,,text,,,,Proactive neighbourhood team care" in comparison
    assert re.search(r",eligible,People eligible \(cohort\),people,[^,]+,," + str(frail) + ",,", comparison)
    admissions = next(line for line in comparison.splitlines() if ",emergency_admissions_avoided," in line)
    low, median, high = (float(x) for x in admissions.split(",")[6:9])
    assert 0 <= low <= median <= high and median > 0
    engine = make_engine(f"sqlite:///{data_dir / 'phm_navigator.sqlite'}")
    with Session(engine) as s:
        latest = repository.list_exports(s, limit=1)[0]
    engine.dispose()
    assert (latest.kind, latest.reason) == ("scenario_comparison", "Frailty business case: proactive care")
    assert latest.sha256 == hashlib.sha256(comparison.encode("utf-8")).hexdigest()
    assert page.locator("[data-testid='stException']").count() == 0
