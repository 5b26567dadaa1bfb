"""ONS's official LSOA (2021) to sub-ICB to ICB to NHS region lookup, read, checked and kept as a geography version.

A geography version is data with a key ("2026-04"), a label ("ICBs as at April 2026") and a lookup table with
one row per LSOA 2021 in England (see :data:`VERSION_COLUMNS`). :func:`read_official_lookup` turns the ONS CSV
("LSOA (2021) to SICBL to ICB to NHSER to LAD (April 2026) Lookup in EN", or a later year's) into that format,
collecting every problem before it refuses a file. :func:`store_version` keeps a version in the local data
directory, written so that a version is visible only once both its files are complete. The year comes from the
column headings (``ICB26CD`` -> 2026), so next year's file (``ICB27CD``) needs no code change.

Nothing here touches Streamlit.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from phm_core.geoversions import LOOKUP_COLUMNS
from phm_core.loaders import ICB_CODE, LAD_CODE, LSOA_CODE, SUB_ICB_CODE
from phm_core.validation import MAX_ROWS_NAMED, DataValidationError, Problem

REGION_CODE = r"E40\d{6}"
#: NHS (ODS) codes: sub-ICB locations ("06L", "A3A8R"), ICBs ("QMF", "T6Y0W"), NHS England regions ("Y61").
NHS_CODE = r"[A-Z0-9]{3,5}"
VERSION_KEY = r"\d{4}-(0[1-9]|1[0-2])"
VERSION_COLUMNS: tuple[str, ...] = LOOKUP_COLUMNS  # a version's lookup, as phm_core.geoversions reads it
OFFICIAL_BASIS = "ONS official lookup"
OFFICIAL_LOOKUP_TITLE = "ONS LSOA (2021) to SICBL to ICB to NHSER to LAD (April {year}) lookup"
GEOGRAPHY_FOLDER = "geography"
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 60_000
FEWEST_ICBS = 10
MOST_ICBS = 100

_YEAR_HEADING = re.compile(r"(SICBL|ICB|NHSER|LAD)(\d{2})(CDH|CD|NM)")
_OTHER_NATION_AREA = r"[WSN]\d{8}"
_NATIONS = {"W": "Wales", "S": "Scotland", "N": "Northern Ireland"}
# Internal (year-free) column -> app column, the code pattern it must match, and what a code of it is called.
_FIELDS: dict[str, tuple[str | None, str | None, str]] = {
    "LSOA21CD": ("lsoa21_code", LSOA_CODE, "LSOA (2021) code (E01 and 6 digits)"),
    "LSOA21NM": (None, None, "LSOA name"),
    "SICBLCD": ("sub_icb_code", SUB_ICB_CODE, "sub-ICB location code (E38 and 6 digits)"),
    "SICBLCDH": (
        "sub_icb_code_nhs",
        NHS_CODE,
        "NHS sub-ICB location code (3 to 5 capital letters or digits, e.g. 06L)",
    ),
    "SICBLNM": ("sub_icb_name", None, "sub-ICB location name"),
    "ICBCD": ("icb_code", ICB_CODE, "ICB code (E54 and 6 digits)"),
    "ICBCDH": ("icb_code_nhs", NHS_CODE, "NHS ICB code (3 to 5 capital letters or digits, e.g. QMF)"),
    "ICBNM": ("icb_name", None, "ICB name"),
    "NHSERCD": ("region_code", REGION_CODE, "NHS England region code (E40 and 6 digits)"),
    "NHSERCDH": ("region_code_nhs", NHS_CODE, "NHS code of an NHS England region (e.g. Y61)"),
    "NHSERNM": ("region_name", None, "NHS England region name"),
    "LADCD": (None, LAD_CODE, "local authority district code (E06, E07, E08 or E09 and 6 digits)"),
    "LADNM": (None, None, "local authority district name"),
}
_LEVEL_WORDS = {
    "SICBL": ("sub-ICB location", "sub-ICB locations"),
    "ICB": ("ICB", "ICBs"),
    "NHSER": ("NHS England region", "NHS England regions"),
    "LAD": ("local authority district", "local authority districts"),
}


def official_headings(year: str) -> tuple[str, ...]:
    """The 13 column headings of the ONS lookup for a two-digit year, e.g. ``SICBL26CD`` for ``"26"``."""
    return tuple(_heading(field, year) for field in _FIELDS)


def _heading(field: str, year: str) -> str:
    if field.startswith("LSOA21"):
        return field
    level, part = re.fullmatch(r"(SICBL|ICB|NHSER|LAD)(CDH|CD|NM)", field).groups()  # type: ignore[union-attr]
    return f"{level}{year}{part}"


def read_official_lookup(
    data: bytes,
    *,
    source: str,
    england_lsoa_codes: Collection[str],
    key: str | None = None,
    label: str | None = None,
    user: str | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read and check ONS's LSOA (2021) to SICBL to ICB to NHSER to LAD lookup; return a version table and metadata.

    ``data`` is the CSV as uploaded (UTF-8, with or without a byte-order mark); ``source`` is its file name, used
    in messages. Headings may differ in case and trailing spaces; other columns (e.g. ``ObjectId``) are ignored.
    The two-digit year of the headings (all must share one) gives the key ``"20yy-04"`` and the label
    ``"ICBs as at April 20yy"`` unless ``key`` or ``label`` is given. Every problem is collected before raising
    :class:`DataValidationError`, which names the column and up to 5 rows (the header is row 1). Rows for areas
    in Wales, Scotland or Northern Ireland that a UK-wide file assigns to no English sub-ICB, ICB or region are
    dropped and the metadata ``notes`` say so; a non-English LSOA given an English ICB is a problem.
    """
    if key is not None and not re.fullmatch(VERSION_KEY, key):
        raise ValueError(f"a geography version key looks like '2026-04' (year-month), not {key!r}")
    england = frozenset(england_lsoa_codes)
    frame, file_rows, year, headings = _read_csv(data, source=source)
    notes: list[str] = []
    problems: list[Problem] = []

    other_nation = frame["LSOA21CD"].str.fullmatch(_OTHER_NATION_AREA).to_numpy(dtype=bool)
    if other_nation.any():
        english_nhs = (
            frame.loc[other_nation, ["SICBLCD", "ICBCD", "NHSERCD"]]
            .apply(lambda column: column.str.startswith("E"))
            .any(axis=1)
            .to_numpy(dtype=bool)
        )
        if english_nhs.any():
            wrong = np.zeros(len(frame), dtype=bool)
            wrong[np.flatnonzero(other_nation)[english_nhs]] = True
            example = frame.loc[wrong, "LSOA21CD"].iloc[0]
            problems.append(
                _problem(
                    f"{int(wrong.sum()):,} LSOA code(s) are outside England (e.g. '{example}') but are given an "
                    "English sub-ICB location, ICB or region; this lookup must cover England only",
                    headings["LSOA21CD"],
                    wrong,
                    file_rows,
                )
            )
        else:
            nations = sorted({_NATIONS[code[0]] for code in frame.loc[other_nation, "LSOA21CD"]})
            notes.append(
                f"The file covers more than England: {int(other_nation.sum()):,} rows for {' and '.join(nations)} "
                "were left out, as this app covers England only."
            )
        frame, file_rows = frame.loc[~other_nation].reset_index(drop=True), file_rows[~other_nation]

    empty_cells = {field: (frame[field] == "").to_numpy() for field in _FIELDS}
    valid = {}
    for field, (_, pattern, what) in _FIELDS.items():
        empty = empty_cells[field]
        if empty.any():
            problems.append(_problem("is empty", headings[field], empty, file_rows))
        ok = ~empty
        if pattern is not None:
            bad = ok & ~frame[field].str.fullmatch(pattern).to_numpy(dtype=bool)
            if bad.any():
                example = frame.loc[bad, field].iloc[0]
                problems.append(_problem(f"value '{example}' is not a valid {what}", headings[field], bad, file_rows))
            ok &= ~bad
        valid[field] = ok

    problems += _lsoa_problems(frame, file_rows, valid["LSOA21CD"], england, heading=headings["LSOA21CD"])
    for child, parent in (("SICBL", "ICB"), ("ICB", "NHSER")):
        problem = _nesting_problem(frame, file_rows, child, parent, valid=valid, headings=headings)
        if problem is not None:
            problems.append(problem)
    for level in _LEVEL_WORDS:
        checks = [_one_value_per_code(frame, file_rows, level, "NM", valid=valid, headings=headings)]
        if level != "LAD":  # districts have no NHS code
            checks.append(_one_value_per_code(frame, file_rows, level, "CDH", valid=valid, headings=headings))
            checks.append(_one_code_per_nhs_code(frame, file_rows, level, valid=valid, headings=headings))
        problems += [problem for problem in checks if problem is not None]
    icb_count = int(frame.loc[valid["ICBCD"], "ICBCD"].nunique())
    if not FEWEST_ICBS <= icb_count <= MOST_ICBS:
        problems.append(
            Problem(
                f"has {icb_count} ICB(s); a lookup for England has between {FEWEST_ICBS} and {MOST_ICBS} "
                "(42 from July 2022, 36 from April 2026)",
                headings["ICBCD"],
            )
        )
    if problems:
        raise DataValidationError(source, problems)

    table = pd.DataFrame(
        {app: frame[field].to_numpy() for field, (app, _, _) in _FIELDS.items() if app is not None}
    ).assign(basis=OFFICIAL_BASIS)
    table = table.sort_values("lsoa21_code").reset_index(drop=True)[list(VERSION_COLUMNS)].astype(str)
    full_year = f"20{year}"
    key = key or f"{full_year}-04"
    meta: dict[str, Any] = {
        "key": key,
        "label": label.strip() if label and label.strip() else f"ICBs as at April {full_year}",
        "effective_from": f"{key}-01",
        "source": f"{source}: {OFFICIAL_LOOKUP_TITLE.format(year=full_year)}",
        "file_name": source,
        "status": "official",
        "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "loaded_by": user,
        "sha256": hashlib.sha256(data).hexdigest(),
        "rows": len(table),
        "icb_count": int(table["icb_code"].nunique()),
        "sub_icb_count": int(table["sub_icb_code"].nunique()),
        "region_count": int(table["region_code"].nunique()),
        "notes": notes,
    }
    return table, meta


def _read_csv(data: bytes, *, source: str) -> tuple[pd.DataFrame, np.ndarray, str, dict[str, str]]:
    """The file's rows under year-free column names, their row numbers in the file, the year, and the headings."""
    if not data or not data.strip():
        raise DataValidationError(source, [Problem("is empty")])
    if len(data) > MAX_FILE_BYTES:
        raise DataValidationError(
            source,
            [
                Problem(
                    f"is {len(data) / 1e6:.1f} MB; files over {MAX_FILE_BYTES // (1024 * 1024)} MB are refused "
                    "(the ONS lookup for England is about 8 MB)"
                )
            ],
        )
    if data[:4] == b"PK\x03\x04":
        raise DataValidationError(
            source, [Problem("is an Excel workbook or a zip file, not a CSV; save or extract it as CSV (UTF-8)")]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataValidationError(source, [Problem("is not UTF-8 text; save it as CSV (UTF-8)")]) from None
    if "\x00" in text:
        raise DataValidationError(source, [Problem("is not a CSV text file (it contains binary data)")])
    if not text.strip():
        raise DataValidationError(source, [Problem("is empty")])
    try:
        raw = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataValidationError(source, [Problem(f"is not a readable CSV file ({first})")]) from None
    raw = raw.fillna("").astype(str)

    given = [str(h).replace("\ufeff", "").strip() for h in raw.iloc[0]]
    normal = [h.upper() for h in given]
    repeated = sorted({h for h in normal if h and normal.count(h) > 1})
    if repeated:
        raise DataValidationError(source, [Problem(f"column '{h}' appears more than once", h) for h in repeated])
    years: dict[str, list[str]] = {}
    for heading in normal:
        match = _YEAR_HEADING.fullmatch(heading)
        if match:
            years.setdefault(match.group(2), []).append(heading)
    if len(years) > 1:
        found = "; ".join(f"{', '.join(headings)} ({year})" for year, headings in sorted(years.items()))
        raise DataValidationError(
            source,
            [
                Problem(
                    f"the SICBL, ICB, NHSER and LAD columns must all carry the same year, e.g. all 26; found {found}"
                )
            ],
        )
    year = next(iter(years), None)
    expected = official_headings(year or "yy")
    missing = [h for h in expected if h not in normal]
    if missing:
        hint = ""
        if "LSOA11CD" in normal:
            hint = " This looks like a lookup of 2011 LSOAs; the app needs LSOA 2021 (LSOA21CD)."
        raise DataValidationError(
            source,
            [
                Problem(
                    f"missing required column(s): {', '.join(missing)}. "
                    f"Columns found: {', '.join(given[:30]) or 'none'}.{hint}"
                )
            ],
        )
    positions = {field: normal.index(_heading(field, year)) for field in _FIELDS}  # type: ignore[arg-type]
    headings = {field: given[position] for field, position in positions.items()}
    body = raw.iloc[1:, list(positions.values())]
    body.columns = list(positions)
    body = body.apply(lambda column: column.str.strip())
    file_rows = np.arange(len(body)) + 2  # the header is row 1
    filled = (body != "").any(axis=1).to_numpy()
    body, file_rows = body.loc[filled].reset_index(drop=True), file_rows[filled]
    if len(body) > MAX_ROWS:
        raise DataValidationError(
            source,
            [Problem(f"has {len(body):,} data rows; at most {MAX_ROWS:,} expected (England has 33,755 LSOAs)")],
        )
    if body.empty:
        raise DataValidationError(source, [Problem("has a header but no data rows")])
    return body, file_rows, year, headings  # type: ignore[return-value]


def _problem(message: str, column: str | None, mask: np.ndarray, file_rows: np.ndarray) -> Problem:
    positions = np.flatnonzero(mask)
    return Problem(message, column, tuple(int(r) for r in file_rows[positions[:MAX_ROWS_NAMED]]), len(positions))


def _lsoa_problems(
    frame: pd.DataFrame, file_rows: np.ndarray, valid: np.ndarray, england: frozenset[str], *, heading: str
) -> list[Problem]:
    problems = []
    codes = frame["LSOA21CD"]
    duplicated = valid & codes.duplicated(keep=False).to_numpy()
    if duplicated.any():
        repeated = codes[duplicated].unique()
        problems.append(
            _problem(
                f"{len(repeated):,} LSOA code(s) appear more than once (e.g. '{repeated[0]}'); each LSOA needs one row",
                heading,
                duplicated,
                file_rows,
            )
        )
    unknown = valid & ~codes.isin(england).to_numpy()
    if unknown.any():
        problems.append(
            _problem(
                f"{int(unknown.sum()):,} code(s) are not LSOAs (2021) in England (e.g. '{codes[unknown].iloc[0]}')",
                heading,
                unknown,
                file_rows,
            )
        )
    absent = sorted(england.difference(codes[valid]))
    if absent:
        examples = ", ".join(absent[:MAX_ROWS_NAMED])
        problems.append(
            Problem(
                f"{len(absent):,} of England's {len(england):,} LSOAs (2021) are missing (e.g. {examples})", heading
            )
        )
    return problems


def _off_mode_rows(frame: pd.DataFrame, key: str, value: str, among: np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """Rows whose ``value`` is not the most common one for their ``key`` (keys with several values), and the keys."""
    pairs = frame.loc[among, [key, value]]
    counts = pairs.groupby(key)[value].nunique()
    several = counts.index[counts > 1]
    if not len(several):
        return np.zeros(len(frame), dtype=bool), several
    usual = pairs.loc[pairs[key].isin(several)].groupby(key)[value].agg(lambda s: s.value_counts().index[0])
    mask = among & frame[key].isin(several).to_numpy() & (frame[value] != frame[key].map(usual)).to_numpy()
    return mask, several


def _values_of(frame: pd.DataFrame, key: str, value: str, code: str, among: np.ndarray) -> str:
    found = frame.loc[among & (frame[key] == code).to_numpy(), value].value_counts().index
    return " and ".join(f"'{v}'" for v in found[:3])


def _nesting_problem(
    frame: pd.DataFrame,
    file_rows: np.ndarray,
    child: str,
    parent: str,
    *,
    valid: Mapping[str, np.ndarray],
    headings: Mapping[str, str],
) -> Problem | None:
    """A sub-ICB location in more than one ICB, or an ICB in more than one region (rows outside the usual one)."""
    among = valid[f"{child}CD"] & valid[f"{parent}CD"]
    mask, several = _off_mode_rows(frame, f"{child}CD", f"{parent}CD", among)
    if not len(several):
        return None
    child_word, parent_word = _LEVEL_WORDS[child][0], _LEVEL_WORDS[parent][0]
    example = several[0]
    return _problem(
        f"{len(several):,} {_LEVEL_WORDS[child][1] if len(several) > 1 else child_word} "
        f"{'are' if len(several) > 1 else 'is'} in more than one {parent_word} (e.g. {example} is in "
        f"{_values_of(frame, f'{child}CD', f'{parent}CD', example, among)}); each must be in one",
        headings[f"{parent}CD"],
        mask,
        file_rows,
    )


def _one_value_per_code(
    frame: pd.DataFrame,
    file_rows: np.ndarray,
    level: str,
    part: str,
    *,
    valid: Mapping[str, np.ndarray],
    headings: Mapping[str, str],
) -> Problem | None:
    """A code given two different names (``part`` NM) or two different NHS codes (``part`` CDH)."""
    code, value = f"{level}CD", f"{level}{part}"
    among = valid[code] & valid[value]
    mask, several = _off_mode_rows(frame, code, value, among)
    if not len(several):
        return None
    what = "name" if part == "NM" else "NHS code"
    example = several[0]
    return _problem(
        f"{len(several):,} {_LEVEL_WORDS[level][0]} code(s) have more than one {what} (e.g. {example}: "
        f"{_values_of(frame, code, value, example, among)}); each code must have one {what}",
        headings[value],
        mask,
        file_rows,
    )


def _one_code_per_nhs_code(
    frame: pd.DataFrame,
    file_rows: np.ndarray,
    level: str,
    *,
    valid: Mapping[str, np.ndarray],
    headings: Mapping[str, str],
) -> Problem | None:
    """One NHS code given to two different ONS codes."""
    code, nhs = f"{level}CD", f"{level}CDH"
    among = valid[code] & valid[nhs]
    mask, several = _off_mode_rows(frame, nhs, code, among)
    if not len(several):
        return None
    example = several[0]
    return _problem(
        f"{len(several):,} NHS {_LEVEL_WORDS[level][0]} code(s) are given to more than one "
        f"{_LEVEL_WORDS[level][0]} (e.g. {example}: {_values_of(frame, nhs, code, example, among)})",
        headings[nhs],
        mask,
        file_rows,
    )


def official_lookup_csv_from(table: pd.DataFrame, *, year: str = "26", lsoa: pd.DataFrame | None = None) -> bytes:
    """Write a version table back in the ONS CSV layout (UTF-8 with a byte-order mark), e.g. to make a test file.

    ``table`` has the :data:`VERSION_COLUMNS` (``basis`` is not needed) plus ``lsoa21_name`` and a local
    authority district as ``ltla24_code``/``ltla24_name`` or ``lad_code``/``lad_name``; any of these it lacks are
    taken from ``lsoa`` (e.g. the shipped LSOA table), joined on ``lsoa21_code``.
    """
    if not re.fullmatch(r"\d{2}", year):
        raise ValueError(f"year is two digits, e.g. '26', not {year!r}")
    frame = table
    if lsoa is not None:
        extra = [c for c in ("lsoa21_name", "ltla24_code", "ltla24_name") if c in lsoa and c not in frame]
        frame = frame.merge(lsoa[["lsoa21_code", *extra]], on="lsoa21_code", how="left", validate="one_to_one")
    lad = ("ltla24_code", "ltla24_name") if {"ltla24_code", "ltla24_name"} <= set(frame) else ("lad_code", "lad_name")
    needed = [c for c in VERSION_COLUMNS if c != "basis"] + ["lsoa21_name", *lad]
    missing = [c for c in needed if c not in frame]
    if missing:
        raise ValueError(f"the table lacks {', '.join(missing)}; pass lsoa= (the LSOA table) for names and districts")
    sources = {
        "LSOA21CD": "lsoa21_code",
        "LSOA21NM": "lsoa21_name",
        **{field: app for field, (app, _, _) in _FIELDS.items() if app is not None and field != "LSOA21CD"},
        "LADCD": lad[0],
        "LADNM": lad[1],
    }
    out = pd.DataFrame({_heading(field, year): frame[sources[field]].to_numpy() for field in _FIELDS})
    return ("\ufeff" + out.to_csv(index=False, lineterminator="\r\n")).encode("utf-8")


# -- stored versions ---------------------------------------------------------------------------------------------


def geography_dir(data_dir: Path) -> Path:
    """The folder of stored geography versions in the local data directory."""
    return data_dir / GEOGRAPHY_FOLDER


def _checked_key(key: object) -> str:
    if not isinstance(key, str) or not re.fullmatch(VERSION_KEY, key):
        raise ValueError(f"a geography version key looks like '2026-04' (year-month), not {key!r}")
    return key


def version_problems(table: pd.DataFrame) -> list[Problem]:
    """What is wrong with a version table (columns, empty cells, code patterns, an LSOA twice); empty if nothing."""
    missing = [c for c in VERSION_COLUMNS if c not in table.columns]
    if missing:
        return [Problem(f"missing required column(s): {', '.join(missing)}")]
    problems = []
    patterns = {
        "lsoa21_code": LSOA_CODE,
        "sub_icb_code": SUB_ICB_CODE,
        "icb_code": ICB_CODE,
        "region_code": REGION_CODE,
    }
    for column in VERSION_COLUMNS:
        values = table[column]
        text = values.astype(str).str.strip()
        empty = (values.isna() | (text == "")).to_numpy()
        if empty.any():
            problems.append(_problem("is empty", column, empty, np.arange(len(table)) + 1))
        if column in patterns:
            bad = ~empty & ~text.str.fullmatch(patterns[column]).to_numpy(dtype=bool)
            if bad.any():
                problems.append(
                    _problem(f"value '{text[bad].iloc[0]}' is not a valid code", column, bad, np.arange(len(table)) + 1)
                )
    twice = table["lsoa21_code"].duplicated(keep=False).to_numpy()
    if twice.any():
        problems.append(_problem("an LSOA appears more than once", "lsoa21_code", twice, np.arange(len(table)) + 1))
    return problems


def store_version(table: pd.DataFrame, meta: Mapping[str, Any], *, data_dir: Path) -> Path:
    """Keep a version in ``data_dir/geography/<key>.parquet`` and ``<key>.json``; returns the Parquet path.

    Both files are written in full to temporary files in the same folder first, then moved into place with
    ``os.replace``, the JSON last: a version is visible (listed by :func:`stored_versions`) only when both are
    complete. A stored version with the same key is replaced.
    """
    key = _checked_key(meta.get("key"))
    problems = version_problems(table)
    if problems:
        raise DataValidationError(f"geography version {key}", problems)
    note = json.dumps(dict(meta), indent=2)  # fails here, before anything is written, if it is not JSON
    folder = geography_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    table_path, meta_path = folder / f"{key}.parquet", folder / f"{key}.json"
    table_out = table[list(VERSION_COLUMNS)].astype(str).reset_index(drop=True)
    temporary_table = _write_temporary(folder, table_path.name, lambda p: table_out.to_parquet(p, index=False))
    try:
        temporary_meta = _write_temporary(folder, meta_path.name, lambda p: p.write_text(note, encoding="utf-8"))
        try:
            meta_path.unlink(missing_ok=True)  # hide an earlier version of this key while its table is replaced
            os.replace(temporary_table, table_path)
            os.replace(temporary_meta, meta_path)
        finally:
            temporary_meta.unlink(missing_ok=True)
    finally:
        temporary_table.unlink(missing_ok=True)
    return table_path


def _write_temporary(folder: Path, name: str, write: Callable[[Path], object]) -> Path:
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    os.close(handle)
    path = Path(temporary)
    try:
        write(path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _scan(data_dir: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    folder = geography_dir(data_dir)
    versions: dict[str, dict[str, Any]] = {}
    warnings: list[str] = []
    if not folder.is_dir():
        return versions, warnings
    names = sorted(p.name for p in folder.iterdir() if p.suffix in (".json", ".parquet") and not p.name.startswith("."))
    for key in sorted({Path(name).stem for name in names}):
        where = f"{GEOGRAPHY_FOLDER}/{key}"
        if not re.fullmatch(VERSION_KEY, key):
            warnings.append(f"{where}: not a geography version (names look like 2026-04.json); ignored.")
            continue
        table_path, meta_path = folder / f"{key}.parquet", folder / f"{key}.json"
        if not meta_path.exists():
            warnings.append(f"Geography version {key} is incomplete (no {key}.json); ignored. Load the file again.")
            continue
        if not table_path.exists():
            warnings.append(f"Geography version {key} is incomplete (no {key}.parquet); ignored. Load the file again.")
            continue
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            warnings.append(f"Geography version {key}: {key}.json could not be read ({error}); ignored.")
            continue
        if not isinstance(meta, dict) or meta.get("key") != key:
            warnings.append(f"Geography version {key}: {key}.json does not describe version {key}; ignored.")
            continue
        try:
            columns = set(pq.read_schema(table_path).names)
        except (OSError, ValueError) as error:
            warnings.append(f"Geography version {key}: {key}.parquet could not be read ({error}); ignored.")
            continue
        if not set(VERSION_COLUMNS) <= columns:
            warnings.append(f"Geography version {key}: {key}.parquet lacks columns of a version table; ignored.")
            continue
        versions[key] = meta
    return versions, warnings


def stored_versions(data_dir: Path) -> dict[str, dict[str, Any]]:
    """The complete stored versions, key -> metadata, in key order (incomplete or unreadable ones are left out)."""
    return _scan(data_dir)[0]


def stored_version_warnings(data_dir: Path) -> list[str]:
    """One sentence for each stored version left out because it is incomplete or unreadable."""
    return _scan(data_dir)[1]


def read_stored_version(key: str, *, data_dir: Path) -> pd.DataFrame:
    """The lookup table of a stored version, checked again; ``FileNotFoundError`` if it is not stored in full."""
    key = _checked_key(key)
    meta = stored_versions(data_dir).get(key)
    if meta is None:
        raise FileNotFoundError(f"no complete geography version '{key}' in {geography_dir(data_dir)}")
    source = f"{GEOGRAPHY_FOLDER}/{key}.parquet"
    try:
        table = pd.read_parquet(geography_dir(data_dir) / f"{key}.parquet")
    except (OSError, ValueError) as error:
        raise DataValidationError(source, [Problem(f"could not be read ({error})")]) from None
    problems = version_problems(table)
    if not problems and "rows" in meta and int(meta["rows"]) != len(table):
        problems.append(Problem(f"has {len(table):,} rows; its description ({key}.json) says {int(meta['rows']):,}"))
    if problems:
        raise DataValidationError(source, problems)
    return table[list(VERSION_COLUMNS)].astype(str)


def remove_stored_version(key: str, *, data_dir: Path) -> bool:
    """Remove a stored version (its description first, so it disappears at once); returns whether one was there."""
    key = _checked_key(key)
    removed = False
    for suffix in (".json", ".parquet"):
        path = geography_dir(data_dir) / f"{key}{suffix}"
        if path.exists():
            path.unlink(missing_ok=True)
            removed = True
    return removed


__all__ = [
    "OFFICIAL_BASIS",
    "VERSION_COLUMNS",
    "DataValidationError",
    "geography_dir",
    "official_headings",
    "official_lookup_csv_from",
    "read_official_lookup",
    "read_stored_version",
    "remove_stored_version",
    "store_version",
    "stored_version_warnings",
    "stored_versions",
    "version_problems",
]
