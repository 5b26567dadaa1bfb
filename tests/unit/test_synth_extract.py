"""Loading a real extract in the person-level schema: good files load, bad files get errors naming what is wrong."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from phm_core.synth import generate_population, load_inputs, schema
from phm_core.synth.io import read_extract
from phm_core.validation import DataValidationError

pytestmark = pytest.mark.unit

DERIVED = [f.name for f in schema.PERSON_FIELDS if not f.required]


@pytest.fixture(scope="module")
def population(lsoa, practices):
    inputs = load_inputs("E54000011", lsoa=lsoa, practices=practices)
    return generate_population(inputs, rng=np.random.default_rng(3), fraction=0.004)


@pytest.fixture
def extract(population) -> pd.DataFrame:
    """The required columns only, as an ICB might send them (text in a CSV)."""
    people = population.people[[f.name for f in schema.PERSON_FIELDS if f.required]].copy()
    people["sex"] = people["sex"].map({"F": "Female", "M": "Male"})
    return people


def _write(frame: pd.DataFrame, tmp_path: Path, name: str = "extract.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False) if name.endswith(".csv") else frame.to_parquet(path, index=False)
    return path


def test_a_good_csv_extract_loads_with_derived_columns_filled(population, extract, tmp_path, lsoa) -> None:
    loaded = read_extract(_write(extract, tmp_path), lsoa=lsoa).people
    original = population.people
    assert list(loaded.columns[: len(schema.PERSON_COLUMNS)]) == list(schema.PERSON_COLUMNS)
    assert loaded["sex"].tolist() == original["sex"].tolist()
    np.testing.assert_array_equal(loaded["ltc_count"], original["ltc_count"])
    np.testing.assert_allclose(loaded["multimorbidity_score"], original["multimorbidity_score"], rtol=1e-6)
    np.testing.assert_allclose(loaded["cost_total_y1"], original["cost_total_y1"], rtol=1e-5)
    pd.testing.assert_series_equal(loaded["death_date"], original["death_date"], check_names=False)
    assert loaded["imd_quintile"].tolist() == original["imd_quintile"].tolist()
    assert loaded["frailty"].isna().tolist() == original["frailty"].isna().tolist()


def test_a_parquet_extract_with_events_loads(population, tmp_path, lsoa) -> None:
    people_path = _write(population.people, tmp_path, "people.parquet")
    events_path = _write(population.events, tmp_path, "events.parquet")
    loaded = read_extract(people_path, events_path, lsoa=lsoa)
    assert len(loaded.people) == len(population.people) and len(loaded.events) == len(population.events)
    assert loaded.metadata["synthetic"] == "false"


@pytest.mark.parametrize("sex_codes", [("F", "M"), ("female", "MALE"), ("2", "1")])
def test_sex_may_be_coded_in_the_common_ways(extract, tmp_path, sex_codes) -> None:
    extract["sex"] = np.where(extract["sex"] == "Female", sex_codes[0], sex_codes[1])
    loaded = read_extract(_write(extract, tmp_path)).people
    assert set(loaded["sex"].astype("string")) == {"F", "M"}


def _problems(frame: pd.DataFrame, tmp_path: Path, **kwargs) -> str:
    with pytest.raises(DataValidationError) as caught:
        read_extract(_write(frame, tmp_path), **kwargs)
    message = str(caught.value)
    assert message.startswith("extract.csv cannot be used")
    return message


def test_a_missing_column_is_named(extract, tmp_path) -> None:
    message = _problems(extract.drop(columns=["copd", "death_date"]), tmp_path)
    assert "missing required column(s)" in message and "copd" in message and "death_date" in message


def test_bad_values_are_reported_with_their_column_and_rows(extract, tmp_path) -> None:
    extract["sex"] = extract["sex"].astype(object)
    extract.loc[1, "sex"] = "X"
    extract["diabetes"] = extract["diabetes"].astype(object)
    extract.loc[[2, 3], "diabetes"] = "maybe"
    extract["age"] = extract["age"].astype(object)
    extract.loc[4, "age"] = "old"
    message = _problems(extract, tmp_path)
    assert "column 'sex': value 'X' is not a valid code (row 3)" in message
    assert "column 'age': value 'old' is not a number (row 6)" in message


def test_booleans_and_dates_are_checked(extract, tmp_path) -> None:
    extract["diabetes"] = extract["diabetes"].astype(object)
    extract.loc[[2, 3], "diabetes"] = "maybe"
    extract["death_date"] = extract["death_date"].astype(object)
    extract.loc[0, "death_date"] = "not a date"
    message = _problems(extract, tmp_path)
    assert "column 'diabetes': value 'maybe' is not true or false (rows 4, 5)" in message
    assert "column 'death_date': value 'not a date' is not a date (use YYYY-MM-DD) (row 2)" in message


def test_records_that_cannot_be_true_are_reported(extract, tmp_path) -> None:
    child = extract.index[extract["age"] < 10][0]
    extract.loc[child, "diabetes"] = True
    no_admission = extract.index[extract["emergency_admissions_y1"] == 0][0]
    extract.loc[no_admission, "bed_days_y1"] = 4
    alive = extract.index[extract["death_date"].isna() & (extract["gp_contacts_y2"] > 0)][0]
    extract.loc[alive, "death_date"] = pd.Timestamp("2023-06-01")
    message = _problems(extract, tmp_path)
    assert f"column 'diabetes': the QOF register is for people aged 17+ (row {child + 2})" in message
    assert f"column 'bed_days_y1': bed days without an emergency admission (row {no_admission + 2})" in message
    assert f"activity in year 2 after a death in year 1 (row {alive + 2})" in message


def test_duplicate_people_and_unknown_areas_are_reported(extract, tmp_path, lsoa) -> None:
    extract.loc[5, "person_id"] = extract.loc[4, "person_id"]
    assert "appears more than once" in _problems(extract, tmp_path)
    extract.loc[5, "person_id"] = "unique-id"
    extract["lsoa21_code"] = extract["lsoa21_code"].astype(object)
    extract.loc[7, "lsoa21_code"] = "E01999999"
    message = _problems(extract, tmp_path, lsoa=lsoa)
    assert "column 'lsoa21_code': 'E01999999' is not an LSOA 2021 in England (row 9)" in message


def test_bad_events_are_reported(population, extract, tmp_path) -> None:
    people_path = _write(extract, tmp_path)
    events = population.events.head(20).copy()
    events["person_id"] = events["person_id"].astype(object)
    events.loc[3, "person_id"] = "nobody"
    events["event_date"] = events["event_date"].astype(object)
    events.loc[5, "event_date"] = "2019-01-01"
    events_path = _write(events, tmp_path, "events.csv")
    with pytest.raises(DataValidationError) as caught:
        read_extract(people_path, events_path)
    message = str(caught.value)
    assert message.startswith("events.csv cannot be used")
    assert "column 'person_id': is not a person in the person table (row 5)" in message
    assert "column 'event_date': must fall between 2023-04-01 and 2025-03-31 (row 7)" in message


def test_unreadable_files_get_a_clear_error(tmp_path) -> None:
    path = tmp_path / "extract.parquet"
    path.write_bytes(b"this is not parquet")
    with pytest.raises(DataValidationError, match="could not be read as CSV or Parquet"):
        read_extract(path)
    with pytest.raises(DataValidationError, match="file not found"):
        read_extract(tmp_path / "missing.csv")
