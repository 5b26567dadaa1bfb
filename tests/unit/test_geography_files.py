"""ONS's official LSOA to ICB lookup: a valid file becomes a geography version; a bad one is refused with reasons.

The valid file is made from the shipped LSOA table (2024 sub-ICB locations and ICBs) with a made-up but
consistent assignment of ICBs to NHS England regions, written in the ONS layout by ``official_lookup_csv_from``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from phm_core import geography_files, loaders
from phm_core.geography_files import (
    VERSION_COLUMNS,
    official_lookup_csv_from,
    read_official_lookup,
    read_stored_version,
    remove_stored_version,
    store_version,
    stored_version_warnings,
    stored_versions,
)
from phm_core.validation import DataValidationError

pytestmark = pytest.mark.unit

# NHS England's seven regions; which ICB goes in which is made up for these tests (each ICB in exactly one).
REGIONS = (
    ("E40000003", "Y56", "London"),
    ("E40000005", "Y59", "South East"),
    ("E40000006", "Y58", "South West"),
    ("E40000007", "Y61", "East of England"),
    ("E40000008", "Y60", "Midlands"),
    ("E40000009", "Y63", "North East and Yorkshire"),
    ("E40000010", "Y62", "North West"),
)


def version_table_from(lsoa: pd.DataFrame) -> pd.DataFrame:
    """The shipped 2024 geography in the version format, with a made-up region for each ICB."""
    table = pd.DataFrame(
        {
            "lsoa21_code": lsoa["lsoa21_code"],
            "sub_icb_code": lsoa["sicbl24_code"],
            "sub_icb_code_nhs": lsoa["sicbl24_code_nhs"],
            "sub_icb_name": lsoa["sicbl24_name"],
            "icb_code": lsoa["icb24_code"],
            "icb_code_nhs": lsoa["icb24_code_nhs"],
            "icb_name": lsoa["icb24_name"],
        }
    )
    region_of = {icb: REGIONS[i % len(REGIONS)] for i, icb in enumerate(sorted(table["icb_code"].unique()))}
    for position, column in enumerate(("region_code", "region_code_nhs", "region_name")):
        table[column] = table["icb_code"].map(lambda icb, p=position: region_of[icb][p])
    return table.assign(basis="ONS official lookup")


@pytest.fixture(scope="module")
def shipped_lsoa() -> pd.DataFrame:
    """The LSOA table as shipped, with its April 2024 sub-ICB locations and ICBs."""
    return loaders.load_lsoa()


@pytest.fixture(scope="module")
def england(shipped_lsoa: pd.DataFrame) -> frozenset[str]:
    return frozenset(shipped_lsoa["lsoa21_code"])


@pytest.fixture(scope="module")
def version_table(shipped_lsoa: pd.DataFrame) -> pd.DataFrame:
    return version_table_from(shipped_lsoa)


@pytest.fixture(scope="module")
def valid_file(version_table: pd.DataFrame, shipped_lsoa: pd.DataFrame) -> bytes:
    return official_lookup_csv_from(version_table, lsoa=shipped_lsoa)


@pytest.fixture
def official(valid_file: bytes) -> pd.DataFrame:
    """The valid file as a table in the ONS layout (a fresh copy to spoil)."""
    return pd.read_csv(io.BytesIO(valid_file), dtype=str, encoding="utf-8-sig", keep_default_na=False)


def csv_bytes(frame: pd.DataFrame, *, bom: bool = True) -> bytes:
    return (("\ufeff" if bom else "") + frame.to_csv(index=False)).encode("utf-8")


def rejection(data: bytes, england: frozenset[str], *, source: str = "lookup.csv") -> str:
    with pytest.raises(DataValidationError) as error:
        read_official_lookup(data, source=source, england_lsoa_codes=england)
    return str(error.value)


# -- a valid file -------------------------------------------------------------------------------------------------


def test_a_valid_file_gives_one_row_per_lsoa_and_the_counts(
    valid_file: bytes, version_table: pd.DataFrame, england: frozenset[str]
) -> None:
    table, meta = read_official_lookup(
        valid_file, source="LSOA21_ICB26_EN.csv", england_lsoa_codes=england, user="ann.lee@nhs.net"
    )
    assert list(table.columns) == list(VERSION_COLUMNS)
    assert len(table) == 33_755 and table["lsoa21_code"].is_unique
    assert set(table["basis"]) == {"ONS official lookup"}
    expected = version_table.set_index("lsoa21_code").loc[table["lsoa21_code"], list(VERSION_COLUMNS[1:])]
    assert (table.set_index("lsoa21_code")[list(VERSION_COLUMNS[1:])] == expected).all().all()
    assert meta["key"] == "2026-04" and meta["label"] == "ICBs as at April 2026"
    assert meta["effective_from"] == "2026-04-01" and meta["status"] == "official"
    assert meta["source"] == (
        "LSOA21_ICB26_EN.csv: ONS LSOA (2021) to SICBL to ICB to NHSER to LAD (April 2026) lookup"
    )
    assert (meta["rows"], meta["icb_count"], meta["sub_icb_count"], meta["region_count"]) == (33_755, 42, 106, 7)
    assert meta["loaded_by"] == "ann.lee@nhs.net" and meta["loaded_at"].endswith("+00:00")
    assert len(meta["sha256"]) == 64 and meta["notes"] == []
    assert json.loads(json.dumps(meta)) == meta


def test_a_file_without_a_byte_order_mark_with_untidy_headings_and_extra_columns_gives_the_same_table(
    valid_file: bytes, official: pd.DataFrame, england: frozenset[str]
) -> None:
    reference, _ = read_official_lookup(valid_file, source="a.csv", england_lsoa_codes=england)
    untidy = official.rename(columns=lambda c: c.lower() + "  " if c.startswith("ICB") else c.title())
    untidy["ObjectId"] = [str(i) for i in range(1, len(untidy) + 1)]
    table, _ = read_official_lookup(csv_bytes(untidy, bom=False), source="b.csv", england_lsoa_codes=england)
    pd.testing.assert_frame_equal(table, reference)


def test_a_key_and_label_can_be_given(valid_file: bytes, england: frozenset[str]) -> None:
    _, meta = read_official_lookup(
        valid_file, source="a.csv", england_lsoa_codes=england, key="2026-10", label="  ICBs after the Frimley fix "
    )
    assert (meta["key"], meta["label"], meta["effective_from"]) == (
        "2026-10",
        "ICBs after the Frimley fix",
        "2026-10-01",
    )
    with pytest.raises(ValueError, match="2026-04"):
        read_official_lookup(valid_file, source="a.csv", england_lsoa_codes=england, key="April 2026")


def test_next_years_file_becomes_version_2027_04_without_a_code_change(
    version_table: pd.DataFrame, shipped_lsoa: pd.DataFrame, england: frozenset[str]
) -> None:
    data = official_lookup_csv_from(version_table, year="27", lsoa=shipped_lsoa)
    assert data.startswith(b"\xef\xbb\xbfLSOA21CD,LSOA21NM,SICBL27CD,SICBL27CDH,SICBL27NM,ICB27CD")
    table, meta = read_official_lookup(data, source="LSOA21_ICB27_EN.csv", england_lsoa_codes=england)
    assert (meta["key"], meta["label"], meta["effective_from"]) == ("2027-04", "ICBs as at April 2027", "2027-04-01")
    assert "(April 2027) lookup" in meta["source"] and len(table) == 33_755


def test_a_uk_file_keeps_england_and_says_what_it_left_out(official: pd.DataFrame, england: frozenset[str]) -> None:
    wales = pd.DataFrame([dict.fromkeys(official.columns, "")] * 3)
    wales["LSOA21CD"] = ["W01000001", "W01000002", "W01000003"]
    wales["LSOA21NM"] = ["Isle of Anglesey 001A", "Isle of Anglesey 001B", "Isle of Anglesey 001C"]
    wales["LAD26CD"], wales["LAD26NM"] = "W06000001", "Isle of Anglesey"
    scotland = wales.assign(LSOA21CD=["S01006506", "S01006507", "S01006508"])
    uk = pd.concat([official, wales, scotland], ignore_index=True)
    table, meta = read_official_lookup(csv_bytes(uk), source="uk.csv", england_lsoa_codes=england)
    assert len(table) == 33_755 and table["lsoa21_code"].str.startswith("E01").all()
    assert meta["notes"] == [
        "The file covers more than England: 6 rows for Scotland and Wales were left out, as this app covers "
        "England only."
    ]


# -- files that are refused ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "lookup.csv cannot be used: 1 problem(s) found.\n- is empty"),
        (b"\xef\xbb\xbf\r\n", "- is empty"),
        (b"\xff\xfeL\x00S\x00O\x00A\x00", "- is not UTF-8 text; save it as CSV (UTF-8)"),
        (b"PK\x03\x04\x14\x00\x06\x00", "- is an Excel workbook or a zip file, not a CSV"),
        (b"LSOA21CD,LSOA21NM\x00\x00\x01", "- is not a CSV text file (it contains binary data)"),
        (b"a,b\n1,2\n1,2,3,4\n", "- is not a readable CSV file"),
        (b"LSOA11CD,LSOA11NM\nE01000001,City of London 001A\n", "This looks like a lookup of 2011 LSOAs"),
        (b"LSOA21CD,LSOA21NM,SICBL26CD\n", "missing required column(s): SICBL26CDH, SICBL26NM, ICB26CD"),
    ],
)
def test_what_is_not_a_csv_lookup_is_refused_with_the_reason(
    data: bytes, expected: str, england: frozenset[str]
) -> None:
    assert expected in rejection(data, england)


def test_a_file_over_20_mb_is_refused_before_it_is_read(england: frozenset[str]) -> None:
    assert "is 21.0 MB; files over 20 MB are refused" in rejection(b"x" * 21_000_000, england)


def test_more_than_60000_rows_are_refused(official: pd.DataFrame, england: frozenset[str]) -> None:
    doubled = pd.concat([official, official], ignore_index=True)
    assert "has 67,510 data rows; at most 60,000 expected" in rejection(csv_bytes(doubled), england)


def test_a_missing_column_is_named(official: pd.DataFrame, england: frozenset[str]) -> None:
    message = rejection(csv_bytes(official.drop(columns=["ICB26CDH"])), england, source="ons.csv")
    assert message.startswith("ons.csv cannot be used")
    assert "missing required column(s): ICB26CDH. Columns found: LSOA21CD, LSOA21NM" in message


def test_columns_of_two_years_are_refused(official: pd.DataFrame, england: frozenset[str]) -> None:
    mixed = official.rename(columns={"LAD26CD": "LAD25CD", "LAD26NM": "LAD25NM"})
    message = rejection(csv_bytes(mixed), england)
    assert "must all carry the same year, e.g. all 26; found LAD25CD, LAD25NM (25); SICBL26CD" in message


@pytest.mark.parametrize(
    ("row", "values", "expected"),
    [
        (9, {"LSOA21CD": "E0100001"}, "column 'LSOA21CD': value 'E0100001' is not a valid LSOA (2021) code"),
        (10, {"SICBL26CD": "E3800001"}, "column 'SICBL26CD': value 'E3800001' is not a valid sub-ICB location code"),
        (
            11,
            {"ICB26CD": "E5400000X"},
            "column 'ICB26CD': value 'E5400000X' is not a valid ICB code (E54 and 6 digits)",
        ),
        (12, {"NHSER26CD": "Y56"}, "column 'NHSER26CD': value 'Y56' is not a valid NHS England region code"),
        (13, {"LAD26CD": "E10000002"}, "column 'LAD26CD': value 'E10000002' is not a valid local authority district"),
        (14, {"ICB26CDH": "nhs icb"}, "column 'ICB26CDH': value 'nhs icb' is not a valid NHS ICB code"),
        (15, {"SICBL26NM": ""}, "column 'SICBL26NM': is empty"),
        (
            16,
            {"LSOA21CD": "W01000001"},
            "column 'LSOA21CD': 1 LSOA code(s) are outside England (e.g. 'W01000001') but are given an English "
            "sub-ICB location, ICB or region; this lookup must cover England only",
        ),
        (
            17,
            {"LSOA21CD": "E01999999"},
            "column 'LSOA21CD': 1 code(s) are not LSOAs (2021) in England (e.g. 'E01999999')",
        ),
    ],
)
def test_a_wrong_value_is_refused_naming_the_column_and_the_row(
    row: int, values: dict[str, str], expected: str, official: pd.DataFrame, england: frozenset[str]
) -> None:
    for column, value in values.items():
        official.loc[row, column] = value
    message = rejection(csv_bytes(official), england)
    assert f"{expected}" in message
    assert f"(row {row + 2})" in message  # the header is row 1


def test_an_lsoa_missing_or_twice_is_named(official: pd.DataFrame, england: frozenset[str]) -> None:
    missing_code = official.loc[100, "LSOA21CD"]
    spoiled = pd.concat([official.drop(index=100), official.loc[[5, 6]]], ignore_index=True)
    message = rejection(csv_bytes(spoiled), england)
    assert f"1 of England's 33,755 LSOAs (2021) are missing (e.g. {missing_code})" in message
    assert (
        f"2 LSOA code(s) appear more than once (e.g. '{official.loc[5, 'LSOA21CD']}'); each LSOA needs one row "
        "(rows 7, 8, 33756, 33757)" in message
    )


def test_a_sub_icb_location_in_two_icbs_is_refused(official: pd.DataFrame, england: frozenset[str]) -> None:
    same_region = official.loc[
        (official["NHSER26CD"] == official.loc[0, "NHSER26CD"]) & (official["ICB26CD"] != official.loc[0, "ICB26CD"])
    ].index[0]
    moved = ["ICB26CD", "ICB26CDH", "ICB26NM"]
    official.loc[3, moved] = official.loc[same_region, moved].to_numpy()
    message = rejection(csv_bytes(official), england)
    assert (
        f"column 'ICB26CD': 1 sub-ICB location is in more than one ICB (e.g. {official.loc[0, 'SICBL26CD']} is in"
    ) in message
    assert "each must be in one (row 5)" in message
    assert "1 problem(s) found" in message  # nothing else is wrong


def test_an_icb_in_two_regions_is_refused(official: pd.DataFrame, england: frozenset[str]) -> None:
    other = official.loc[official["NHSER26CD"] != official.loc[0, "NHSER26CD"]].index[0]
    moved = ["NHSER26CD", "NHSER26CDH", "NHSER26NM"]
    official.loc[[20, 21], moved] = official.loc[[other, other], moved].to_numpy()
    message = rejection(csv_bytes(official), england)
    assert f"1 ICB is in more than one NHS England region (e.g. {official.loc[0, 'ICB26CD']} is in" in message
    assert "(rows 22, 23)" in message and "1 problem(s) found" in message


def test_a_code_with_two_names_or_two_nhs_codes_is_refused(official: pd.DataFrame, england: frozenset[str]) -> None:
    icb = official.loc[30, "ICB26CD"]
    official.loc[30, "ICB26NM"] = "NHS Somewhere Else Integrated Care Board"
    official.loc[31, "SICBL26CDH"] = "99Z"
    message = rejection(csv_bytes(official), england)
    assert f"column 'ICB26NM': 1 ICB code(s) have more than one name (e.g. {icb}:" in message
    assert "'NHS Somewhere Else Integrated Care Board'); each code must have one name (row 32)" in message
    assert "column 'SICBL26CDH': 1 sub-ICB location code(s) have more than one NHS code" in message
    assert "(row 33)" in message


@pytest.mark.parametrize(("per", "expected"), [("region", "has 7 ICB(s)"), ("sub_icb", "has 106 ICB(s)")])
def test_too_few_or_too_many_icbs_are_refused(
    per: str, expected: str, official: pd.DataFrame, england: frozenset[str]
) -> None:
    # One ICB per region (too few) or per sub-ICB location (too many), otherwise consistent.
    source = "NHSER26" if per == "region" else "SICBL26"
    official["ICB26CD"] = "E54" + official[f"{source}CD"].str[3:]
    official["ICB26CDH"] = official[f"{source}CDH"] + ("X" if per == "region" else "")
    official["ICB26NM"] = official[f"{source}NM"] + " ICB"
    message = rejection(csv_bytes(official), england)
    assert f"{expected}; a lookup for England has between 10 and 100" in message
    assert "1 problem(s) found" in message


def test_every_problem_is_listed_with_at_most_five_rows_each(official: pd.DataFrame, england: frozenset[str]) -> None:
    official.loc[[2, 3, 4, 5, 6, 7, 8], "LAD26NM"] = ""
    official.loc[40, "NHSER26CD"] = "E4000000"
    official = official.rename(columns={"LSOA21NM": "lsoa21nm "})
    message = rejection(csv_bytes(official, bom=False), england)
    assert "column 'LAD26NM': is empty (rows 4, 5, 6, 7, 8 and 2 more)" in message
    assert "column 'NHSER26CD': value 'E4000000' is not a valid NHS England region code" in message
    assert "2 problem(s) found" in message


def test_a_blank_line_is_skipped_without_shifting_row_numbers(valid_file: bytes, england: frozenset[str]) -> None:
    lines = valid_file.decode("utf-8-sig").split("\r\n")
    lines.insert(3, "")  # a blank row 4
    lines[10] = lines[10].replace("E01", "X01", 1)  # row 11 as a spreadsheet shows it
    message = rejection("\r\n".join(lines).encode(), england)
    assert "is not a valid LSOA (2021) code (E01 and 6 digits) (row 11)" in message


# -- storing versions ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded(valid_file: bytes, england: frozenset[str]) -> tuple[pd.DataFrame, dict]:
    return read_official_lookup(valid_file, source="LSOA21_ICB26_EN.csv", england_lsoa_codes=england)


def test_a_refused_file_writes_nothing(tmp_path: Path, official: pd.DataFrame, england: frozenset[str]) -> None:
    official.loc[0, "ICB26CD"] = "E5"
    with pytest.raises(DataValidationError):
        read_official_lookup(csv_bytes(official), source="bad.csv", england_lsoa_codes=england)
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []
    assert stored_versions(tmp_path) == {}


def test_a_table_with_problems_is_not_stored(tmp_path: Path, loaded: tuple[pd.DataFrame, dict]) -> None:
    table, meta = loaded
    with pytest.raises(DataValidationError, match="lsoa21_code"):
        store_version(pd.concat([table, table.head(1)]), meta, data_dir=tmp_path)
    with pytest.raises(ValueError, match="2026-04"):
        store_version(table, {**meta, "key": "../escape"}, data_dir=tmp_path)
    assert stored_versions(tmp_path) == {}
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_store_read_and_remove_a_version(tmp_path: Path, loaded: tuple[pd.DataFrame, dict]) -> None:
    table, meta = loaded
    path = store_version(table, meta, data_dir=tmp_path)
    folder = tmp_path / "geography"
    assert path == folder / "2026-04.parquet"
    assert sorted(p.name for p in folder.iterdir()) == ["2026-04.json", "2026-04.parquet"]  # no temporary files
    assert stored_versions(tmp_path) == {"2026-04": meta}
    assert stored_version_warnings(tmp_path) == []
    pd.testing.assert_frame_equal(read_stored_version("2026-04", data_dir=tmp_path), table)

    relabelled = {**meta, "label": "ICBs as at April 2026 (official)"}
    store_version(table, relabelled, data_dir=tmp_path)  # the same key again replaces it
    assert stored_versions(tmp_path)["2026-04"]["label"] == "ICBs as at April 2026 (official)"

    assert remove_stored_version("2026-04", data_dir=tmp_path) is True
    assert stored_versions(tmp_path) == {} and list(folder.iterdir()) == []
    assert remove_stored_version("2026-04", data_dir=tmp_path) is False
    with pytest.raises(FileNotFoundError, match="2026-04"):
        read_stored_version("2026-04", data_dir=tmp_path)


def test_two_versions_are_kept_side_by_side(tmp_path: Path, loaded: tuple[pd.DataFrame, dict]) -> None:
    table, meta = loaded
    store_version(table, meta, data_dir=tmp_path)
    store_version(table, {**meta, "key": "2027-04", "label": "ICBs as at April 2027"}, data_dir=tmp_path)
    assert list(stored_versions(tmp_path)) == ["2026-04", "2027-04"]


def test_a_half_written_or_corrupt_version_is_ignored_and_reported(
    tmp_path: Path, loaded: tuple[pd.DataFrame, dict]
) -> None:
    table, meta = loaded
    store_version(table, meta, data_dir=tmp_path)
    folder = tmp_path / "geography"
    (folder / "2027-04.parquet").write_bytes((folder / "2026-04.parquet").read_bytes())  # its JSON never written
    (folder / "2028-04.json").write_text(json.dumps({**meta, "key": "2028-04"}))  # its table missing
    (folder / "2029-04.json").write_text('{"key": "2029-04", "lab')  # cut short
    (folder / "2029-04.parquet").write_bytes(b"PAR1")
    (folder / "2030-04.json").write_text(json.dumps({**meta, "key": "2030-04"}))
    (folder / "2030-04.parquet").write_bytes((folder / "2026-04.parquet").read_bytes()[:1000])  # truncated
    (folder / ".2031-04.parquet.abc123.tmp").write_bytes(b"a temporary file left by a crash")
    assert list(stored_versions(tmp_path)) == ["2026-04"]
    warnings = stored_version_warnings(tmp_path)
    assert [w[:25] for w in warnings] == [f"Geography version {year}-04" for year in (2027, 2028, 2029, 2030)]
    assert "incomplete (no 2027-04.json)" in warnings[0] and "incomplete (no 2028-04.parquet)" in warnings[1]
    assert "2029-04.json could not be read" in warnings[2] and "2030-04.parquet could not be read" in warnings[3]
    with pytest.raises(FileNotFoundError):
        read_stored_version("2027-04", data_dir=tmp_path)


def test_a_stored_table_is_checked_again_when_read(tmp_path: Path, loaded: tuple[pd.DataFrame, dict]) -> None:
    table, meta = loaded
    store_version(table, meta, data_dir=tmp_path)
    path = tmp_path / "geography" / "2026-04.parquet"
    table.head(100).to_parquet(path, index=False)
    with pytest.raises(DataValidationError, match="has 100 rows; its description"):
        read_stored_version("2026-04", data_dir=tmp_path)
    table.assign(icb_code="Q").to_parquet(path, index=False)
    with pytest.raises(DataValidationError, match="column 'icb_code': value 'Q' is not a valid code"):
        read_stored_version("2026-04", data_dir=tmp_path)


def test_writing_a_test_file_needs_names_and_districts(version_table: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="lsoa21_name"):
        official_lookup_csv_from(version_table)
    with pytest.raises(ValueError, match="two digits"):
        official_lookup_csv_from(version_table, year="2026")
    assert geography_files.official_headings("27")[2:5] == ("SICBL27CD", "SICBL27CDH", "SICBL27NM")
