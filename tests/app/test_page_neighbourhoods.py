"""Neighbourhoods page: the PCN suggestion, saving (all or nothing), CSV export and import, and use as a footprint."""

from __future__ import annotations

import pytest

from phm_core import geoversions, neighbourhoods

pytestmark = pytest.mark.app

NORFOLK_SUFFOLK = "E54000068"


@pytest.fixture(scope="module")
def lsoa_2026():
    return geoversions.load_versioned_lsoa("2026-04")


def _items(at) -> list[dict]:
    return at.session_state["nbh_draft"]["items"]


def _name_keys(at) -> list[str]:
    return [f"nbh_{item['id']}_name" for item in _items(at)]


def test_first_visit_suggests_one_neighbourhood_per_pcn(open_page, lsoa_2026) -> None:
    at = open_page("neighbourhoods.py")
    assert not at.exception
    assert at.title[0].value == "Neighbourhoods in NHS Norfolk and Suffolk"
    assert "suggests one neighbourhood per PCN" in at.info[0].value
    pcns = lsoa_2026.loc[lsoa_2026["icb_code"] == NORFOLK_SUFFOLK, "pcn_code"].nunique()
    table = at.dataframe[0].value
    assert len(table) == pcns and int(table["population"].sum()) == 1_676_800
    assert set(table["built_from"]) == {"PCNs"}
    assert any("within the usual size" in s for s in table["size_status"])
    assert any("cover 1,676,800 of the ICB's 1,676,800 people (100%)" in c.value for c in at.caption)
    assert at.get("deck_gl_json_chart")


def test_saving_then_using_a_neighbourhood_as_the_footprint(open_page) -> None:
    at = open_page("neighbourhoods.py")
    first = _name_keys(at)[0]
    at.text_input(key=first).set_value("Great Yarmouth and Waveney North").run()
    at.button(key="nbh_save").click().run()
    assert not at.exception
    assert at.success and "Saved" in at.success[0].value
    assert at.selectbox(key="nbh_open")  # saved: a neighbourhood can now be opened
    at = open_page("home.py")
    at.radio(key="footprint_level").set_value("neighbourhood").run()
    assert not at.exception
    options = at.selectbox(key="footprint_area").options
    assert any(o.startswith("Great Yarmouth and Waveney North - ") for o in options)
    at.selectbox(key="footprint_area").set_value(
        neighbourhoods.neighbourhood_code("Great Yarmouth and Waveney North", icb_code=NORFOLK_SUFFOLK)
    ).run()
    assert not at.exception
    assert at.title[0].value == "Great Yarmouth and Waveney North, in NHS Norfolk and Suffolk"
    assert at.query_params["level"] == "neighbourhood" and at.query_params["area"].startswith("NBH-")


def test_a_shared_neighbourhood_link_reopens_it(open_page) -> None:
    at = open_page("neighbourhoods.py")
    name_key = _name_keys(at)[0]
    name = at.text_input(key=name_key).value
    at.button(key="nbh_save").click().run()
    code = neighbourhoods.neighbourhood_code(name, icb_code=NORFOLK_SUFFOLK)
    again = open_page("home.py", icb=NORFOLK_SUFFOLK, level="neighbourhood", area=code)
    assert not again.exception
    assert again.title[0].value == f"{name}, in NHS Norfolk and Suffolk"


def test_an_overlapping_set_saves_nothing_and_says_why(open_page) -> None:
    at = open_page("neighbourhoods.py")
    items = _items(at)
    first, second = items[0], items[1]
    at.radio(key=f"nbh_{second['id']}_from").set_value("lsoa").run()
    at.multiselect(key=f"nbh_{second['id']}_lsoas").set_value(list(first["lsoa_codes"])[:2] or []).run()
    # the first PCN neighbourhood's LSOAs, now also in the second
    definitions = at.session_state["nbh_draft"]["items"]
    assert definitions[1]["built_from"] == "lsoa"
    at.button(key="nbh_save").click().run()
    assert not at.exception
    assert any("Nothing was saved" in e.value and "share" in e.value for e in at.error)
    assert not at.success
    fresh = open_page("neighbourhoods.py")
    assert "suggests one neighbourhood per PCN" in fresh.info[0].value  # still nothing saved


def test_the_saved_set_exports_and_a_bad_file_is_refused_without_touching_the_draft(open_page) -> None:
    at = open_page("neighbourhoods.py")
    at.button(key="nbh_save").click().run()
    export = at.get("download_button")
    assert any(d.proto.label == "Download the saved neighbourhoods (CSV)" for d in export)
    before = [i["name"] for i in _items(at)]
    at.file_uploader(key="nbh_import").upload("bad.csv", b"neighbourhood,lsoa21_code\nOnly,NOTACODE\n", "text/csv")
    at.run()
    assert any("bad.csv was not imported" in e.value for e in at.error)
    assert [i["name"] for i in _items(at)] == before


def test_an_exported_file_imports_back_into_the_draft(open_page) -> None:
    at = open_page("neighbourhoods.py")
    at.text_input(key=_name_keys(at)[0]).set_value("Renamed").run()
    at.button(key="nbh_save").click().run()
    saved = [(i["name"], sorted(i["lsoa_codes"])) for i in _items(at)]
    data = next(d for d in at.get("download_button") if d.proto.label.startswith("Download the saved"))
    assert data.proto.url  # the file is served
    definitions = [neighbourhoods.Neighbourhood(i["name"], tuple(i["lsoa_codes"]), "lsoa") for i in _items(at)]
    content = neighbourhoods.neighbourhoods_to_csv(definitions, icb_code=NORFOLK_SUFFOLK, geography_version="2026-04")
    at.file_uploader(key="nbh_import").upload("mine.csv", content, "text/csv")
    at.run()
    at.button(key="nbh_import_go").click().run()
    assert not at.exception
    assert "imported from mine.csv" in at.info[0].value
    assert sorted(i["name"] for i in _items(at)) == sorted(name for name, _ in saved)


FOOTPRINT_PAGES = (
    "home",
    "maps",
    "deprivation_air",
    "inequalities",
    "benchmarks",
    "presentation",
    "population_segments",
    "cohorts",
    "scenarios",
    "evaluation",
)


def test_a_saved_neighbourhood_is_a_footprint_on_every_page(open_page, monkeypatch, lsoa_2026) -> None:
    from sqlmodel import Session

    from cohort_store import db as cohort_db
    from cohort_store import repository
    from cohort_store.db import make_engine
    from phm_core.settings import database_url
    from phm_core.synth.io import SAMPLE_FRACTION_ENV

    monkeypatch.setenv(SAMPLE_FRACTION_ENV, "0.005")
    inside = lsoa_2026.loc[lsoa_2026["icb_code"] == NORFOLK_SUFFOLK]
    ipswich = inside.loc[inside["ltla24_name"] == "Ipswich", "lsoa21_code"].tolist()
    code = neighbourhoods.neighbourhood_code("Ipswich town", icb_code=NORFOLK_SUFFOLK)
    engine = make_engine(database_url())
    cohort_db.upgrade_to_head(engine)
    with Session(engine) as s:
        repository.replace_neighbourhoods(
            s,
            icb_code=NORFOLK_SUFFOLK,
            geography_version="2026-04",
            neighbourhoods=[
                {"name": "Ipswich town", "code": code, "built_from": "lsoa", "lsoa_codes": ipswich, "pcn_codes": []}
            ],
        )
    engine.dispose()
    people = int(inside.loc[inside["lsoa21_code"].isin(ipswich), "pop_total"].sum())
    for page in FOOTPRINT_PAGES:
        at = open_page(f"{page}.py", icb=NORFOLK_SUFFOLK, level="neighbourhood", area=code)
        assert not at.exception, page
        shown = " ".join(e.value for e in [*at.title, *at.markdown, *at.caption, *at.subheader])
        assert "Ipswich town" in shown, page
        if page == "home":
            assert {m.label: m.value for m in at.metric}["Residents (Census 2021)"] == f"{people:,}"
        if page != "presentation":
            assert at.query_params["level"] == "neighbourhood" and at.query_params["area"] == code, page
