"""Data sources page: ONS's official LSOA to ICB lookup is checked, loaded as a geography version, and removed.

The "official" file is the app's shipped April 2026 reconstruction written in the ONS layout, with Frimley's
sub-ICB location (split three ways between ICBs) given one made-up code per piece, as an official file would.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from phm_core import geography_files, geoversions, loaders
from phm_core.settings import data_dir

pytestmark = pytest.mark.app
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def lookup_2026() -> pd.DataFrame:
    table = geoversions.load_shipped_lookup("2026-04")
    pieces = table.groupby("sub_icb_code")["icb_code"].transform("nunique") > 1
    for number, (_, rows) in enumerate(table.loc[pieces].groupby(["sub_icb_code", "icb_code"]), start=1):
        nhs = f"F{number}X"
        table.loc[rows.index, ["sub_icb_code", "sub_icb_code_nhs"]] = (f"E38{900000 + number}", nhs)
        table.loc[rows.index, "sub_icb_name"] = f"{rows['icb_name'].iloc[0]} - {nhs}"
    return table


@pytest.fixture(scope="module")
def valid_file(lookup_2026: pd.DataFrame) -> bytes:
    return geography_files.official_lookup_csv_from(lookup_2026, lsoa=loaders.load_lsoa())


def _upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader(key="geo_lookup_upload").upload(name, content, "text/csv")
    return at.run()


def test_the_panel_explains_itself_and_nothing_is_loaded_at_first(open_page) -> None:
    at = open_page("data_sources.py")
    assert not at.exception
    assert "Geography versions (ICB boundaries)" in [s.value for s in at.subheader]
    assert any("replace the app's reconstruction" in m.value for m in at.markdown)
    assert at.button(key="geo_lookup_load").disabled  # nothing to check yet
    assert any("No official lookup is loaded" in c.value for c in at.caption)


def test_a_valid_file_is_checked_loaded_and_can_be_removed(open_page, valid_file: bytes) -> None:
    at = _upload(open_page("data_sources.py"), "LSOA21_ICB26_EN.csv", valid_file)
    at.text_input(key="geo_lookup_label").input("ICBs as at April 2026 (ONS)")
    at.button(key="geo_lookup_load").click().run()
    assert not at.exception
    assert (
        "**LSOA21\\_ICB26\\_EN.csv** passed every check and is in use as **ICBs as at April 2026 (ONS)** "
        "(geography version 2026-04)." in [s.value for s in at.success]
    )
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["LSOAs"] == "33,755" and metrics["ICBs"] == "36"
    assert metrics["Sub-ICB locations"] == "108" and metrics["NHS England regions"] == "7"
    stored = geography_files.stored_versions(data_dir())
    assert list(stored) == ["2026-04"] and stored["2026-04"]["label"] == "ICBs as at April 2026 (ONS)"
    assert stored["2026-04"]["status"] == "official" and stored["2026-04"]["rows"] == 33_755
    listed = next(m.value for m in at.markdown if "(version 2026-04, from 2026-04-01)" in m.value)
    assert "33,755 LSOAs, 36 ICBs, 108 sub-ICB locations, 7 regions; loaded 20" in listed and " UTC." in listed

    assert at.button(key="geo_remove_2026-04").disabled  # until the removal is confirmed
    at.checkbox(key="geo_remove_confirm_2026-04").check().run()
    at.button(key="geo_remove_2026-04").click().run()
    assert not at.exception
    assert geography_files.stored_versions(data_dir()) == {}
    assert any("No official lookup is loaded" in c.value for c in at.caption)


def test_a_file_with_problems_is_refused_with_each_reason_and_changes_nothing(
    open_page, valid_file: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = valid_file.decode("utf-8-sig").split("\r\n")
    lines[5] = lines[5].replace("E01", "E02", 1)  # row 6: not an LSOA code
    lines[9] = lines[9].replace(",E54", ",E99", 1)  # row 10: not an ICB code
    checks: list[str] = []
    real = geography_files.read_official_lookup

    def counted(*args, **kwargs):
        checks.append(kwargs["source"])
        return real(*args, **kwargs)

    monkeypatch.setattr(geography_files, "read_official_lookup", counted)
    at = _upload(open_page("data_sources.py"), "lookup.csv", "\r\n".join(lines).encode())
    at.button(key="geo_lookup_load").click().run()
    assert not at.exception
    error = next(e.value for e in at.error if "lookup.csv" in e.value)
    assert "**lookup.csv** cannot be used: 3 problem(s) found. Nothing was changed." in error
    assert "- column 'LSOA21CD': value 'E02" in error and "(row 6)" in error
    assert "- column 'ICB26CD': value 'E99" in error and "(row 10)" in error
    assert "- column 'LSOA21CD': 1 of England's 33,755 LSOAs (2021) are missing" in error
    assert not geography_files.geography_dir(data_dir()).exists()

    at.button(key="geo_lookup_load").click().run()  # the same file again: the kept result, not a new check
    at.run()
    assert checks == ["lookup.csv"]
    assert any("cannot be used" in e.value for e in at.error)


def test_with_login_a_viewer_cannot_load_or_remove_a_version(valid_file: bytes) -> None:
    table, meta = geography_files.read_official_lookup(
        valid_file, source="ons.csv", england_lsoa_codes=frozenset(loaders.load_lsoa()["lsoa21_code"])
    )
    geography_files.store_version(table, meta, data_dir=data_dir())
    at = AppTest.from_file(str(ROOT / "pages" / "data_sources.py"), default_timeout=120)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-secret"}
    at.user = {"is_logged_in": True, "email": "viewer@example.org", "name": "Viv"}
    at.run()
    assert not at.exception
    assert any("Your role (Viewer) does not allow you to change the geography in use" in w.value for w in at.warning)
    assert not [u for u in at.file_uploader if u.key == "geo_lookup_upload"]
    assert not [b for b in at.button if b.key == "geo_remove_2026-04"]
    assert any("(version 2026-04, from 2026-04-01)" in m.value for m in at.markdown)  # still listed
    assert list(geography_files.stored_versions(data_dir())) == ["2026-04"]


def test_next_years_file_loads_as_a_new_version_beside_april_2026(open_page, lookup_2026: pd.DataFrame) -> None:
    data = geography_files.official_lookup_csv_from(lookup_2026, year="27", lsoa=loaders.load_lsoa())
    at = _upload(open_page("data_sources.py"), "LSOA21_ICB27_EN.csv", data)
    at.button(key="geo_lookup_load").click().run()
    assert not at.exception
    assert any("in use as **ICBs as at April 2027** (geography version 2027-04)" in s.value for s in at.success)
    assert list(geography_files.stored_versions(data_dir())) == ["2027-04"]
