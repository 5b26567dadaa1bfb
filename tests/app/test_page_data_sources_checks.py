"""Data sources page: an implausible file gets a report, not a traceback; boundaries can be replaced in part."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from phm_core import loaders, replacements
from phm_core.settings import data_dir

pytestmark = pytest.mark.app
ROOT = Path(__file__).resolve().parents[2]

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-0.1, 51.5], [-0.09, 51.5], [-0.09, 51.51], [-0.1, 51.51], [-0.1, 51.5]]],
}


def test_a_population_file_with_an_infinite_count_gets_a_report(open_page) -> None:
    frame = loaders.load_lsoa()[["lsoa21_code", *replacements.POPULATION_COLUMNS]].astype({"pop_total": object})
    frame.loc[0, "pop_total"] = "inf"
    at = open_page("data_sources.py")
    at.selectbox(key="kind").set_value("population").run()
    at.file_uploader(key="upload_population").upload("pop.csv", frame.to_csv(index=False).encode(), "text/csv").run()
    assert not at.exception
    assert "column 'pop_total': must be a finite number (row 2)" in at.error[0].value
    assert not [b for b in at.button if b.key == "apply_replacement"]


def test_a_one_area_boundary_file_replaces_that_area_only_when_asked(open_page) -> None:
    code = loaders.load_boundaries("lsoa")["lsoa21_code"].iloc[0]
    feature = {"type": "Feature", "properties": {"LSOA21CD": code}, "geometry": SQUARE}
    content = json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()
    at = open_page("data_sources.py")
    at.selectbox(key="kind").set_value("boundaries_lsoa").run()
    at.file_uploader(key="upload_boundaries_lsoa").upload("one.geojson", content, "application/geo+json").run()
    assert not at.exception
    assert "33,754 of the 33,755 areas in use are missing" in at.error[0].value
    assert not [b for b in at.button if b.key == "apply_replacement"]
    at.checkbox(key="partial_boundaries_lsoa").check().run()
    assert not at.exception and not at.error
    assert "1 area(s) from your file, the shipped boundaries for the rest" in at.success[-1].value
    at.button(key="apply_replacement").click().run()
    assert not at.exception
    stored = replacements.replacement_boundaries("lsoa", data_dir=data_dir())
    assert stored is not None and len(stored) == 33_755


def test_an_upload_is_checked_once_not_on_every_rerun(open_page, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    check = replacements.validate_upload

    def counted(kind: str, data: bytes, **options: object):
        calls.append(kind)
        return check(kind, data, **options)

    monkeypatch.setattr(replacements, "validate_upload", counted)
    frame = loaders.load_lsoa()[["lsoa21_code", *replacements.POPULATION_COLUMNS]]
    at = open_page("data_sources.py")
    at.selectbox(key="kind").set_value("population").run()
    at.file_uploader(key="upload_population").upload("pop.csv", frame.to_csv(index=False).encode(), "text/csv").run()
    assert "pop.csv passed every check" in at.success[-1].value
    at.run()
    at.run()
    assert calls == ["population"]  # the result is kept for this file: reruns do not check it again
    assert "pop.csv passed every check" in at.success[-1].value
    changed = frame.copy()
    changed.loc[0, ["pop_total", "pop_0_15"]] += 1
    at.file_uploader(key="upload_population").upload("pop.csv", changed.to_csv(index=False).encode(), "text/csv").run()
    assert calls == ["population", "population"]  # a different file (by content) is checked


def test_with_login_a_viewer_is_not_offered_the_upload(open_page) -> None:
    at = AppTest.from_file(str(ROOT / "pages" / "data_sources.py"), default_timeout=120)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-secret"}
    at.user = {"is_logged_in": True, "email": "viewer@example.org", "name": "Viv"}
    at.run()
    assert not at.exception
    assert not [u for u in at.file_uploader if u.key.startswith("upload_")]
    assert any("does not allow you to replace a table with your own file" in w.value for w in at.warning)
