"""Bad input gets a clear message naming the file, the column and the rows, and never replaces good data."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from phm_core import loaders, replacements
from phm_core.validation import DataValidationError

pytestmark = pytest.mark.unit


def _imd_csv(lsoa: pd.DataFrame, *, official_headings: bool = False) -> pd.DataFrame:
    columns = ["lsoa21_code"] + replacements.IMD_COLUMNS
    frame = lsoa[columns].copy()
    if official_headings:
        names = {"lsoa21_code": "LSOA code (2021)"}
        for key, (official, _) in loaders._DOMAIN_FILE_NAMES.items():
            names[f"{key}_score"] = f"{official} Score"
            names[f"{key}_rank"] = f"{official} Rank (where 1 is most deprived)"
            names[f"{key}_decile"] = f"{official} Decile (where 1 is most deprived 10% of LSOAs)"
        frame = frame.rename(columns=names)
    return frame


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def test_a_complete_imd_file_with_official_headings_is_accepted(lsoa: pd.DataFrame) -> None:
    frame = _imd_csv(lsoa, official_headings=True)
    got = loaders.read_imd_replacement(
        _csv_bytes(frame), source="File_7.csv", known_lsoas=pd.Index(lsoa["lsoa21_code"])
    )
    assert list(got.columns) == ["lsoa21_code", *replacements.IMD_COLUMNS]
    assert len(got) == 33_755


def test_imd_file_missing_a_column_names_it(lsoa: pd.DataFrame) -> None:
    frame = _imd_csv(lsoa).drop(columns=["health_decile"])
    with pytest.raises(DataValidationError) as error:
        loaders.read_imd_replacement(_csv_bytes(frame), source="imd_new.csv")
    message = str(error.value)
    assert "imd_new.csv" in message and "health_decile" in message and "missing required column" in message


def test_imd_file_with_bad_values_names_the_column_and_rows(lsoa: pd.DataFrame) -> None:
    frame = _imd_csv(lsoa).head(20).astype({"imd_decile": object, "imd_score": object})
    frame.loc[3, "imd_decile"] = 11
    frame.loc[5, "imd_score"] = "n/a"
    frame.loc[7, "lsoa21_code"] = "W01000001"
    with pytest.raises(DataValidationError) as error:
        loaders.read_imd_replacement(_csv_bytes(frame), source="imd.csv")
    message = str(error.value)
    assert "column 'imd_decile': must be at most 10 (row 5)" in message  # header is row 1
    assert "column 'imd_score': value 'n/a' is not a number (row 7)" in message
    assert "column 'lsoa21_code': value 'W01000001' is not a valid code (row 9)" in message


def test_imd_file_must_cover_every_lsoa_once(lsoa: pd.DataFrame) -> None:
    known = pd.Index(lsoa["lsoa21_code"])
    partial = _imd_csv(lsoa).head(100)
    with pytest.raises(DataValidationError, match="33,655 of the 33,755 LSOAs"):
        loaders.read_imd_replacement(_csv_bytes(partial), source="imd.csv", known_lsoas=known)
    doubled = pd.concat([partial, partial.head(2)])
    with pytest.raises(DataValidationError, match="appears more than once"):
        loaders.read_imd_replacement(_csv_bytes(doubled), source="imd.csv")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "not a readable CSV"),
        (b"\xff\xfe\x00\x00garbage\x00", "not UTF-8"),
        (b"just one column\nvalue\n", "missing required column"),
        (b"lsoa21_code,imd_score\n", "missing required column"),
    ],
)
def test_malformed_uploads_get_a_clear_message(content: bytes, expected: str) -> None:
    with pytest.raises(DataValidationError, match=expected):
        loaders.read_imd_replacement(content, source="upload.csv")


def test_population_file_whose_bands_do_not_add_up_is_rejected(lsoa: pd.DataFrame) -> None:
    frame = lsoa[["lsoa21_code", *replacements.POPULATION_COLUMNS]].head(10).copy()
    frame.loc[2, "pop_total"] += 5
    with pytest.raises(DataValidationError) as error:
        loaders.read_population_replacement(_csv_bytes(frame), source="pop.csv")
    assert "do not add up" in str(error.value) and "row 4" in str(error.value)


def test_population_file_with_census_headings_and_negative_counts(lsoa: pd.DataFrame) -> None:
    frame = lsoa[["lsoa21_code", *replacements.POPULATION_COLUMNS]].head(5).copy()
    frame = frame.rename(columns={"pop_total": "total_usual_residents", "pop_65_plus": "Aged 65 years and over"})
    frame.loc[0, "pop_0_15"] = -1
    with pytest.raises(DataValidationError, match="column 'pop_0_15': must be at least 0"):
        loaders.read_population_replacement(_csv_bytes(frame), source="pop.csv")


def _feature_collection(features: list[dict]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


SQUARE = {"type": "Polygon", "coordinates": [[[0.0, 52.0], [0.01, 52.0], [0.01, 52.01], [0.0, 52.01], [0.0, 52.0]]]}


def test_boundary_upload_accepts_ons_property_names() -> None:
    data = _feature_collection([{"type": "Feature", "properties": {"LSOA21CD": "E01000001"}, "geometry": SQUARE}])
    frame = loaders.read_boundary_replacement(data, level="lsoa", source="lsoa.geojson")
    assert list(frame.columns) == ["lsoa21_code", "geometry"]


def test_boundary_upload_in_british_national_grid_is_reprojected() -> None:
    square = {
        "type": "Polygon",
        "coordinates": [[[600000, 250000], [601000, 250000], [601000, 251000], [600000, 251000], [600000, 250000]]],
    }
    data = _feature_collection([{"type": "Feature", "properties": {"lsoa21_code": "E01000001"}, "geometry": square}])
    frame = loaders.read_boundary_replacement(data, level="lsoa", source="bng.geojson")
    min_lon, min_lat, max_lon, max_lat = frame.total_bounds
    assert 0 < min_lon < 2 and 51 < min_lat < 53


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"{not json", "not valid JSON"),
        (_feature_collection([{"type": "Feature", "properties": {"name": "x"}, "geometry": SQUARE}]), "no area code"),
        (
            _feature_collection(
                [
                    {
                        "type": "Feature",
                        "properties": {"LSOA21CD": "E01000001"},
                        "geometry": {"type": "Point", "coordinates": [0, 52]},
                    }
                ]
            ),
            "not a polygon",
        ),
        (
            _feature_collection(
                [
                    {"type": "Feature", "properties": {"LSOA21CD": "E01000001"}, "geometry": SQUARE},
                    {"type": "Feature", "properties": {"LSOA21CD": "E01000001"}, "geometry": SQUARE},
                ]
            ),
            "more than once",
        ),
    ],
)
def test_bad_boundary_uploads_are_rejected(data: bytes, expected: str) -> None:
    with pytest.raises(DataValidationError, match=expected):
        loaders.read_boundary_replacement(data, level="lsoa", source="bad.geojson")


def test_boundary_upload_with_unknown_codes_is_rejected() -> None:
    data = _feature_collection([{"type": "Feature", "properties": {"LSOA21CD": "E01999999"}, "geometry": SQUARE}])
    with pytest.raises(DataValidationError, match="not known area codes"):
        loaders.read_boundary_replacement(data, level="lsoa", source="x.geojson", known_codes=pd.Index(["E01000001"]))


def test_missing_or_corrupt_shipped_files_raise_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataValidationError, match="file not found"):
        loaders.load_lsoa(tmp_path / "nope.parquet")
    broken = tmp_path / "lsoa.parquet"
    pd.DataFrame({"lsoa21_code": ["E01000001"]}).to_parquet(broken)
    with pytest.raises(DataValidationError, match="missing required column"):
        loaders.load_lsoa(broken)
    with pytest.raises(ValueError, match="unknown boundary level"):
        loaders.load_boundaries("ward")  # type: ignore[arg-type]


def test_a_valid_replacement_is_applied_and_can_be_reverted(lsoa: pd.DataFrame, tmp_path: Path) -> None:
    frame = _imd_csv(lsoa)
    frame["imd_score"] = frame["imd_score"] + 1.0
    validated = replacements.validate_upload("imd", _csv_bytes(frame), source="newer.csv", lsoa=lsoa)
    stored = replacements.save_replacement("imd", validated, data_dir=tmp_path, original_name="newer.csv")
    assert stored.rows == 33_755
    assert [r.kind for r in replacements.list_replacements(tmp_path)] == ["imd"]
    applied, warnings = replacements.apply_table_replacements(lsoa, data_dir=tmp_path)
    assert warnings == []
    assert applied["imd_score"].to_numpy() == pytest.approx(lsoa["imd_score"].to_numpy() + 1.0)
    assert lsoa["imd_score"].iloc[0] != applied["imd_score"].iloc[0]  # the shared table is untouched
    assert replacements.remove_replacement("imd", data_dir=tmp_path)
    applied, _ = replacements.apply_table_replacements(lsoa, data_dir=tmp_path)
    assert applied["imd_score"].equals(lsoa["imd_score"])


def test_a_rejected_upload_leaves_the_stored_replacement_alone(lsoa: pd.DataFrame, tmp_path: Path) -> None:
    good = replacements.validate_upload("imd", _csv_bytes(_imd_csv(lsoa)), source="good.csv", lsoa=lsoa)
    replacements.save_replacement("imd", good, data_dir=tmp_path, original_name="good.csv")
    with pytest.raises(DataValidationError):
        replacements.validate_upload("imd", b"lsoa21_code\nE01000001\n", source="bad.csv", lsoa=lsoa)
    assert replacements.list_replacements(tmp_path)[0].original_name == "good.csv"


def test_a_corrupt_stored_replacement_falls_back_to_shipped_data(lsoa: pd.DataFrame, tmp_path: Path) -> None:
    folder = replacements.replacements_dir(tmp_path)
    folder.mkdir(parents=True)
    (folder / "population.parquet").write_bytes(b"this is not parquet")
    applied, warnings = replacements.apply_table_replacements(lsoa, data_dir=tmp_path)
    assert applied["pop_total"].equals(lsoa["pop_total"])
    assert warnings and "could not be read" in warnings[0]


def test_unknown_replacement_kind_is_refused(lsoa: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown replacement kind"):
        replacements.validate_upload("weather", b"", source="x.csv", lsoa=lsoa)
    with pytest.raises(ValueError, match="unknown replacement kind"):
        replacements.save_replacement("weather", pd.DataFrame(), data_dir=tmp_path, original_name="x")


def test_csv_from_a_file_object_is_read(lsoa: pd.DataFrame) -> None:
    buffer = io.BytesIO(_csv_bytes(lsoa[["lsoa21_code", *replacements.POPULATION_COLUMNS]].head(3)))
    assert len(loaders.read_population_replacement(buffer, source="pop.csv")) == 3
