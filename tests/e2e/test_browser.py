"""A real browser (Playwright driving Debian's chromium) against `streamlit run` on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.browser import streamlit_server

pytestmark = pytest.mark.e2e

playwright = pytest.importorskip("playwright.sync_api")
FINISHED = "Open Government Licence"  # the attribution footer is the last thing every page draws


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("data")
    with streamlit_server(env={"PHM_DATA_DIR": str(data)}) as url:
        yield url


def _open(browser, url: str, *, shots: Path | None = None, name: str = "page"):
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.goto(url)
    page.get_by_text(FINISHED).first.wait_for(timeout=120_000)
    if shots is not None:
        page.screenshot(path=str(shots / f"{name}.png"))
    return page


@pytest.mark.parametrize(
    ("path", "heading"),
    [("/", "NHS Norfolk and Suffolk"), ("/data_sources", "Data sources"), ("/about", "About PHM Navigator")],
)
def test_each_page_renders_without_an_exception(browser, app_url: str, path: str, heading: str) -> None:
    page = _open(browser, app_url + path)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_role("heading", name=heading).first.is_visible()
    assert page.locator("[data-testid='stSidebarNav']").get_by_role("link", name="Home").is_visible()
    page.close()


def test_home_page_draws_the_map_on_a_canvas(browser, app_url: str) -> None:
    page = _open(browser, app_url + "/")
    chart = page.locator("[data-testid='stDeckGlJsonChart']")
    chart.locator("canvas").first.wait_for(timeout=60_000)
    assert chart.locator("canvas").count() >= 1
    # Plotly's code loads lazily after the page has run: wait for the second chart before counting.
    page.locator("[data-testid='stPlotlyChart']").nth(1).wait_for(state="attached", timeout=120_000)
    assert page.locator("[data-testid='stPlotlyChart']").count() == 2
    page.close()


@pytest.mark.parametrize(
    ("query", "heading"),
    [
        ("icb=E54000065&level=place&area=E07000241", "Welwyn Hatfield, in NHS Central East"),
        (
            "geo=2024-04&icb=E54000025&level=place&area=E07000241",
            "Welwyn Hatfield, in NHS Hertfordshire and West Essex",
        ),
    ],
)
def test_a_shared_link_opens_the_same_footprint_and_the_choice_survives_a_page_switch(
    browser, app_url: str, query: str, heading: str
) -> None:
    page = _open(browser, app_url + "/?" + query)
    assert page.get_by_role("heading", name=heading).is_visible()
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name="About").click()
    page.get_by_role("heading", name="About PHM Navigator").wait_for()
    assert all(part in page.url for part in query.split("&"))  # the geography version too, when not the default
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name="Home").click()
    page.get_by_role("heading", name=heading).wait_for(timeout=60_000)
    page.close()


def test_map_page_switches_layer_and_keeps_a_canvas(browser, app_url: str) -> None:
    page = _open(browser, app_url + "/maps")
    chart = page.locator("[data-testid='stDeckGlJsonChart']")
    chart.locator("canvas").first.wait_for(timeout=60_000)
    assert page.get_by_text("are in England's most deprived tenth on IMD 2025").first.is_visible()
    page.locator("[data-testid='stSelectbox']").filter(has_text="Show").click()
    page.keyboard.type("Share aged 65")  # the list is long: type to filter it, as a user would
    page.get_by_role("option", name="Population: Share aged 65 and over", exact=True).click()
    page.get_by_text("the share aged 65 and over is highest in").first.wait_for(timeout=60_000)
    assert page.locator("[data-testid='stException']").count() == 0
    assert chart.locator("canvas").count() >= 1
    page.close()


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/deprivation_air", "Deprivation and air quality"),
        ("/inequalities", "Inequalities in life expectancy"),
        ("/benchmarks", "Benchmarks"),
    ],
)
def test_profiling_pages_render(browser, app_url: str, path: str, heading: str) -> None:
    page = _open(browser, app_url + path)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_role("heading", name=heading).first.is_visible()
    page.close()
