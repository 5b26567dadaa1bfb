"""Data sources page: a bad upload is rejected with its reasons; a good one is used and can be reverted."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from phm_core import loaders, replacements
from phm_core.settings import data_dir

pytestmark = pytest.mark.app
ROOT = Path(__file__).resolve().parents[2]


def test_page_opens_with_the_shipped_data_in_use(open_page) -> None:
    at = open_page("data_sources.py")
    assert not at.exception
    assert at.success[0].value == "The shipped data is in use for every table."
    assert at.selectbox(key="kind").value == "imd"
    assert any("does not change with a replacement" in c.value for c in at.caption)  # the synthetic population


def test_a_stored_replacement_is_listed_and_can_be_reverted(open_page) -> None:
    lsoa = loaders.load_lsoa()
    frame = lsoa[["lsoa21_code", *replacements.POPULATION_COLUMNS]]
    replacements.save_replacement("population", frame, data_dir=data_dir(), original_name="my_population.csv")
    at = open_page("data_sources.py")
    assert not at.exception
    assert "my_population.csv" in " ".join(m.value for m in at.markdown)
    at.button(key="revert_population").click().run()
    assert not at.exception
    assert replacements.list_replacements(data_dir()) == []
    assert at.success[0].value == "The shipped data is in use for every table."


def test_a_corrupt_stored_replacement_shows_a_warning_not_an_error(open_page) -> None:
    folder = replacements.replacements_dir(data_dir())
    folder.mkdir(parents=True)
    (folder / "imd.parquet").write_bytes(b"broken")
    at = open_page("data_sources.py")
    assert not at.exception
    assert any("could not be read" in w.value for w in at.warning)
    home = open_page("home.py")
    assert not home.exception
    assert any("could not be read" in w.value for w in home.warning)


def test_with_login_a_viewer_cannot_change_the_data_in_use(open_page) -> None:
    lsoa = loaders.load_lsoa()
    frame = lsoa[["lsoa21_code", *replacements.POPULATION_COLUMNS]]
    replacements.save_replacement("population", frame, data_dir=data_dir(), original_name="my_population.csv")
    at = AppTest.from_file(str(ROOT / "pages" / "data_sources.py"), default_timeout=120)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-secret"}
    at.user = {"is_logged_in": True, "email": "viewer@example.org", "name": "Viv"}
    at.run()
    at.button(key="revert_population").click().run()
    assert not at.exception
    assert "Your role (Viewer) does not allow you to change the data in use" in at.warning[0].value
    assert [r.kind for r in replacements.list_replacements(data_dir())] == ["population"]  # nothing changed
