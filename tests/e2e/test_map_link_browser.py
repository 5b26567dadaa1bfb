"""A map link in a real browser: the areas and layer chosen on the Map page go into the URL beside the footprint,
and opening that URL again shows the same map."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tools.browser import streamlit_server

pytestmark = pytest.mark.e2e

playwright = pytest.importorskip("playwright.sync_api")
FINISHED = "Open Government Licence"  # the attribution footer is the last thing every page draws
TIMEOUT = 90_000


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with streamlit_server(env={"PHM_DATA_DIR": str(tmp_path_factory.mktemp("map-data"))}) as url:
        yield url


def test_a_map_link_opens_the_same_map(browser, app_url: str) -> None:
    page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(app_url + "/maps?icb=E54000066&level=place&area=E07000071")  # Colchester, in NHS Essex
    page.get_by_text(FINISHED).first.wait_for()
    page.get_by_role("combobox", name="Areas").click()
    page.get_by_role("option", name="MSOA (about 8,000 people)").click()
    page.get_by_role("combobox", name="Show").click()
    page.get_by_role("option", name="Population: Share aged 65 and over").click()
    page.wait_for_url(re.compile(r"layer=share_65_plus"))
    link = page.url
    for part in ("icb=E54000066", "level=place", "area=E07000071", "map_level=msoa", "layer=share_65_plus"):
        assert part in link, link

    shared = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()  # someone else opens it
    shared.set_default_timeout(TIMEOUT)
    shared.goto(link)
    shared.get_by_text(re.compile(r"Across the \d+ MSOAs of Colchester, in NHS Essex, the share aged 65")).wait_for()
    assert shared.locator("[data-testid='stException']").count() == 0
    page.context.close()
    shared.context.close()
