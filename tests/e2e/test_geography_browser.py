"""The NHS map as it is now, in a real browser: an old link, the official lookup, neighbourhoods as footprints.

One journey, as a PHM lead would take it: open a bookmark to an abolished ICB and follow its successor; load an
invalid and then a valid official ONS lookup on the Data sources page; define two neighbourhoods (imported from a
CSV, one renamed) and save them; look at one on the Home and Map pages; reload the shared link.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from phm_core import geography_files, geoversions, loaders, neighbourhoods
from tools.browser import streamlit_server

pytestmark = pytest.mark.e2e

playwright = pytest.importorskip("playwright.sync_api")
FINISHED = "Open Government Licence"  # the attribution footer is the last thing every page draws
NORFOLK_SUFFOLK = "E54000068"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("data")
    with streamlit_server(env={"PHM_DATA_DIR": str(data)}) as url:
        yield url


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A valid official lookup (the reconstruction in ONS's layout, Frimley's pieces given their own sub-ICB
    codes as an official file would), an invalid one (an LSOA missing), and a CSV of two neighbourhoods."""
    folder = tmp_path_factory.mktemp("files")
    table = geoversions.load_shipped_lookup("2026-04")
    pieces = table.groupby("sub_icb_code")["icb_code"].transform("nunique") > 1
    for number, (_, rows) in enumerate(table.loc[pieces].groupby(["sub_icb_code", "icb_code"]), start=1):
        table.loc[rows.index, ["sub_icb_code", "sub_icb_code_nhs"]] = (f"E38{900000 + number}", f"F{number}X")
        table.loc[rows.index, "sub_icb_name"] = f"{rows['icb_name'].iloc[0]} - F{number}X"
    base = loaders.load_lsoa()
    valid = geography_files.official_lookup_csv_from(table, lsoa=base)
    lines = valid.decode("utf-8-sig").splitlines()
    invalid = ("\ufeff" + "\n".join(lines[:-1]) + "\n").encode()  # the last LSOA left out
    lsoa = geoversions.load_versioned_lsoa("2026-04")
    inside = lsoa.loc[lsoa["icb_code"] == NORFOLK_SUFFOLK]
    pcns = inside.groupby("pcn_code")["pop_total"].sum().sort_values(ascending=False).index[:2]
    two = [
        neighbourhoods.neighbourhood_from_pcns(lsoa, icb_code=NORFOLK_SUFFOLK, name=name, pcn_codes=[pcn])
        for name, pcn in zip(("Neighbourhood A", "Neighbourhood B"), pcns, strict=True)
    ]
    csv = neighbourhoods.neighbourhoods_to_csv(two, icb_code=NORFOLK_SUFFOLK, geography_version="2026-04")
    paths = {
        "valid": folder / "LSOA21_ICB26_EN.csv",
        "invalid": folder / "broken.csv",
        "neighbourhoods": folder / "two.csv",
    }
    for key, content in (("valid", valid), ("invalid", invalid), ("neighbourhoods", csv)):
        paths[key].write_bytes(content)
    return paths


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.goto(url)
    page.get_by_text(FINISHED).first.wait_for(timeout=120_000)
    return page


def _settled(page) -> None:
    """Wait until the app has finished running its script."""
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')?.getAttribute('data-test-script-state')"
        " === 'notRunning'",
        timeout=120_000,
    )


def _nav(page, name: str) -> None:
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=name, exact=True).click()


def test_an_old_link_explains_the_abolition_and_follows_the_successor(browser, app_url: str) -> None:
    page = _open(browser, app_url + "/?icb=E54000023")
    page.get_by_role("heading", name="This link needs a choice").wait_for()
    assert page.get_by_text("NHS Suffolk and North East Essex was abolished on 1 April 2026").is_visible()
    assert page.locator("[data-testid='stMetric']").count() == 0  # no figures of another organisation
    page.get_by_role("button", name="NHS Norfolk and Suffolk (ICBs as at April 2026)").click()
    page.get_by_role("heading", name="NHS Norfolk and Suffolk", exact=True).wait_for(timeout=60_000)
    page.get_by_role("heading", name="Where NHS Norfolk and Suffolk came from").wait_for(timeout=60_000)
    page.wait_for_url(re.compile(r"icb=E54000068"))
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()


def test_an_invalid_official_lookup_changes_nothing_and_a_valid_one_is_used(
    browser, app_url: str, files: dict[str, Path]
) -> None:
    page = _open(browser, app_url + "/data_sources")
    uploader = page.locator("[data-testid='stFileUploader']").filter(has_text="ONS lookup (CSV)")
    uploader.locator("input[type='file']").set_input_files(str(files["invalid"]))
    load = page.get_by_role("button", name="Check and load")
    load.wait_for()
    page.wait_for_function("b => !b.disabled", arg=load.element_handle(), timeout=60_000)
    _settled(page)
    load.click()
    page.get_by_text("cannot be used").first.wait_for(timeout=120_000)
    assert page.get_by_text("Nothing was changed").first.is_visible()
    assert page.get_by_text("No official lookup is loaded").first.is_visible()

    uploader.locator("input[type='file']").set_input_files(str(files["valid"]))
    # The new file's rerun clears the old file's result: only then does the button act on the new file.
    page.get_by_text("cannot be used").first.wait_for(state="hidden", timeout=60_000)
    _settled(page)
    load.click()
    page.get_by_text("passed every check and is in use").first.wait_for(timeout=180_000)
    page.get_by_text("Official file loaded").first.wait_for(state="attached", timeout=120_000)
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()
    # Every page now reads the official file: the Home page still opens on the default ICB, with no exception.
    home = _open(browser, app_url + "/")
    home.get_by_role("heading", name="NHS Norfolk and Suffolk", exact=True).wait_for(timeout=120_000)
    assert home.locator("[data-testid='stException']").count() == 0
    home.close()


def test_two_neighbourhoods_are_defined_saved_and_used_as_the_footprint(
    browser, app_url: str, files: dict[str, Path]
) -> None:
    page = _open(browser, app_url + "/neighbourhoods")
    page.get_by_role("heading", name="Neighbourhoods in NHS Norfolk and Suffolk").wait_for()
    uploader = page.locator("[data-testid='stFileUploader']").filter(has_text="Import neighbourhoods")
    uploader.locator("input[type='file']").set_input_files(str(files["neighbourhoods"]))
    page.get_by_role("button", name=re.compile("Replace the draft with the 2 neighbourhoods")).click()
    _settled(page)
    page.get_by_text("imported from two.csv").first.wait_for(timeout=60_000)
    expander = page.locator("[data-testid='stExpander']").filter(has_text="Neighbourhood B -")
    expander.get_by_text("Neighbourhood B -").first.click()  # open it
    name = expander.get_by_label("Name")
    name.fill("Lowestoft and villages")
    name.press("Enter")
    page.get_by_text("Lowestoft and villages -", exact=False).first.wait_for(timeout=60_000)
    _settled(page)
    page.get_by_role("button", name="Save neighbourhoods").click()
    page.get_by_text("Saved 2 neighbourhoods").wait_for(timeout=60_000)
    _settled(page)

    page.get_by_role("button", name="Open on the Home page").wait_for()
    page.locator("[data-testid='stSelectbox']").filter(has_text="Look at a saved neighbourhood").click()
    page.keyboard.type("Lowestoft")  # type to filter the list, as a user would
    page.keyboard.press("Enter")
    _settled(page)
    page.get_by_role("button", name="Open on the Home page").click()
    heading = "Lowestoft and villages, in NHS Norfolk and Suffolk"
    page.get_by_role("heading", name=heading).wait_for(timeout=120_000)
    page.wait_for_url(re.compile(r"level=neighbourhood"))
    shared = page.url

    _nav(page, "Map")
    page.get_by_role("heading", name="Map", exact=True).wait_for(timeout=60_000)
    page.get_by_text(FINISHED).first.wait_for(timeout=120_000)
    assert "level=neighbourhood" in page.url
    assert page.get_by_text("Lowestoft and villages").first.is_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()

    again = _open(browser, shared)
    again.get_by_role("heading", name=heading).wait_for(timeout=120_000)
    assert again.locator("[data-testid='stException']").count() == 0
    again.close()
