"""A user's replacement files (a newer IMD, a population file, boundaries), kept in the local data directory.

A replacement is validated before it is stored and written atomically, so a bad upload never replaces good
data and a crash mid-write never leaves half a file. Stored replacements are applied on top of the shipped data.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd

from phm_core.loaders import (
    AGE_BANDS,
    BOUNDARY_CODE_COLUMN,
    DOMAINS,
    ENGLAND_LSOA_COUNT,
    load_boundaries,
    read_boundary_replacement,
    read_imd_replacement,
    read_population_replacement,
)
from phm_core.validation import MAX_ROWS_NAMED, DataValidationError, Problem

logger = logging.getLogger(__name__)

REPLACEABLE: dict[str, str] = {
    "imd": "Index of Multiple Deprivation (all LSOAs in England)",
    "population": "Population by LSOA (total and six age bands)",
    **{
        f"boundaries_{level}": f"{level.replace('_', '-').upper()} boundaries (GeoJSON)"
        for level in BOUNDARY_CODE_COLUMN
    },
}
PARTIAL_BOUNDARIES_LABEL = "Replace only the areas in my file (keep the shipped boundaries for the rest)"
IMD_COLUMNS = [f"{domain}_{measure}" for domain in DOMAINS for measure in ("score", "rank", "decile")]
POPULATION_COLUMNS = ["pop_total", *AGE_BANDS]


# Upload caps per table kind, checked on the raw bytes before a file is parsed: a table of LSOAs has one row per
# LSOA, so twice England's count leaves room for extra rows (Wales, totals) without letting a huge file through.
MAX_TABLE_ROWS = 2 * ENGLAND_LSOA_COUNT
MAX_TABLE_COLUMNS = 200
MIN_BOUNDARY_FEATURE_LIMIT = 100
_KIND_ARTICLE_NAME = {"imd": "an IMD file", "population": "a population file"}


@dataclass(frozen=True)
class UploadLimits:
    """The most data rows (features, for boundaries) and columns a replacement file of one kind may have."""

    rows: int
    columns: int | None


def upload_limits(kind: str, *, lsoa: pd.DataFrame | None = None) -> UploadLimits:
    """The caps for ``kind``: a boundary file may have twice as many features as areas in use (at least 100)."""
    if kind.startswith("boundaries_"):
        level = kind.removeprefix("boundaries_")
        areas = ENGLAND_LSOA_COUNT if lsoa is None else _codes_in_use(lsoa, level).size
        return UploadLimits(max(2 * areas, MIN_BOUNDARY_FEATURE_LIMIT), None)
    return UploadLimits(MAX_TABLE_ROWS, MAX_TABLE_COLUMNS)


def _require_within_limits(kind: str, data: bytes, *, source: str, lsoa: pd.DataFrame) -> None:
    """Refuse a file over its kind's caps, counting on the raw bytes so that nothing large is parsed."""
    limits = upload_limits(kind, lsoa=lsoa)
    if kind.startswith("boundaries_"):
        features = data.count(b'"Feature"')
        if features > limits.rows:
            raise DataValidationError(
                source,
                [
                    Problem(
                        f"has {features:,} features; at most {limits.rows:,} are accepted for "
                        f"{REPLACEABLE[kind].removesuffix(' (GeoJSON)')} (twice the areas in use)"
                    )
                ],
            )
        return
    lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    rows = max(lines - 1, 0)
    what = _KIND_ARTICLE_NAME[kind]
    if rows > limits.rows:
        raise DataValidationError(
            source,
            [Problem(f"has {rows:,} data rows; at most {limits.rows:,} are accepted for {what} (one row per LSOA)")],
        )
    header = data.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    columns = len(next(csv.reader([header]), []))
    if limits.columns is not None and columns > limits.columns:
        raise DataValidationError(
            source, [Problem(f"has {columns:,} columns; at most {limits.columns:,} are accepted for {what}")]
        )


@dataclass(frozen=True)
class Replacement:
    """A stored replacement: what it replaces, the file it came from, when, and its rows."""

    kind: str
    original_name: str
    saved_at: str
    rows: int
    path: Path


def replacements_dir(data_dir: Path) -> Path:
    return data_dir / "replacements"


def validate_upload(kind: str, data: bytes, *, source: str, lsoa: pd.DataFrame, partial: bool = False) -> pd.DataFrame:
    """Validate an uploaded file for ``kind``; raises :class:`DataValidationError` with the reasons.

    A boundary file must cover every area in use, unless ``partial``: then only the areas in the file are
    replaced and the shipped boundaries are kept for the rest. Any unexpected failure while checking is turned
    into a :class:`DataValidationError` (and logged), so a user sees a report, never a traceback.
    """
    if kind not in REPLACEABLE:
        raise ValueError(f"unknown replacement kind '{kind}'; choose one of {', '.join(REPLACEABLE)}")
    try:
        _require_within_limits(kind, data, source=source, lsoa=lsoa)
        return _validate(kind, data, source=source, lsoa=lsoa, partial=partial)
    except DataValidationError:
        raise
    except Exception as error:  # every failure while checking a file becomes a report, not a traceback
        logger.exception("Checking the uploaded file %r for %s failed unexpectedly", source, kind)
        raise DataValidationError(
            source,
            [
                Problem(
                    f"could not be checked: an unexpected error occurred ({type(error).__name__}). The data in use is "
                    "unchanged; check that the file is the kind described above, or ask the person who runs this app "
                    "to look at the server log"
                )
            ],
        ) from None


def _validate(kind: str, data: bytes, *, source: str, lsoa: pd.DataFrame, partial: bool) -> pd.DataFrame:
    known_lsoas = pd.Index(lsoa["lsoa21_code"])
    if kind == "imd":
        return read_imd_replacement(data, source=source, known_lsoas=known_lsoas)
    if kind == "population":
        return read_population_replacement(data, source=source, known_lsoas=known_lsoas)
    level = kind.removeprefix("boundaries_")
    code = BOUNDARY_CODE_COLUMN[level]
    in_use = _codes_in_use(lsoa, level)
    frame = read_boundary_replacement(data, level=level, source=source, known_codes=in_use)
    if partial:
        shipped = load_boundaries(level)  # type: ignore[arg-type]
        kept = shipped.loc[~shipped[code].isin(frame[code]), [code, "geometry"]]
        merged = gpd.GeoDataFrame(pd.concat([kept, frame], ignore_index=True), geometry="geometry", crs="EPSG:4326")
        merged.attrs["areas_in_file"] = len(frame)
        return merged
    absent = in_use.difference(pd.Index(frame[code]))
    if len(absent):
        examples = ", ".join(absent[:MAX_ROWS_NAMED])
        raise DataValidationError(
            source,
            [
                Problem(f"{len(absent):,} of the {len(in_use):,} areas in use are missing (e.g. {examples})", code),
                Problem(
                    "a boundary file replaces every boundary of its level, so it must cover every area in use. To "
                    "replace only the areas in your file and keep the shipped boundaries for the rest, choose "
                    f"'{PARTIAL_BOUNDARIES_LABEL}'"
                ),
            ],
        )
    return frame


_LSOA_LEVEL_COLUMN = {"msoa": "msoa21_code", "lad": "ltla24_code", "sub_icb": "sicbl24_code", "icb": "icb24_code"}


def _codes_in_use(lsoa: pd.DataFrame, level: str) -> pd.Index:
    source_codes = lsoa["lsoa21_code"] if level == "lsoa" else lsoa[_LSOA_LEVEL_COLUMN[level]]
    return pd.Index(source_codes.unique(), name=BOUNDARY_CODE_COLUMN[level])


def _atomic_write(path: Path, write: callable) -> None:  # type: ignore[valid-type]
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def save_replacement(kind: str, frame: pd.DataFrame, *, data_dir: Path, original_name: str) -> Replacement:
    """Store a validated replacement (Parquet plus a small JSON note), replacing any earlier one atomically."""
    if kind not in REPLACEABLE:
        raise ValueError(f"unknown replacement kind '{kind}'")
    folder = replacements_dir(data_dir)
    path = folder / f"{kind}.parquet"
    if isinstance(frame, gpd.GeoDataFrame):
        _atomic_write(path, lambda p: frame.to_parquet(p, index=False))
    else:
        _atomic_write(path, lambda p: pd.DataFrame(frame).to_parquet(p, index=False))
    note = {"kind": kind, "original_name": original_name, "saved_at": datetime.now(UTC).isoformat(timespec="seconds")}
    note["rows"] = len(frame)
    _atomic_write(folder / f"{kind}.json", lambda p: p.write_text(json.dumps(note, indent=2)))
    return Replacement(kind, original_name, note["saved_at"], len(frame), path)


def list_replacements(data_dir: Path) -> list[Replacement]:
    """The replacements stored in the data directory (skipping any whose note is unreadable)."""
    folder = replacements_dir(data_dir)
    found = []
    for kind in REPLACEABLE:
        note_path, path = folder / f"{kind}.json", folder / f"{kind}.parquet"
        if not (note_path.exists() and path.exists()):
            continue
        try:
            note = json.loads(note_path.read_text())
            found.append(Replacement(kind, note["original_name"], note["saved_at"], int(note["rows"]), path))
        except (OSError, ValueError, KeyError):
            continue
    return found


def remove_replacement(kind: str, *, data_dir: Path) -> bool:
    """Go back to the shipped data for ``kind``; returns whether a replacement was removed."""
    removed = False
    for suffix in (".parquet", ".json"):
        path = replacements_dir(data_dir) / f"{kind}{suffix}"
        if path.exists():
            path.unlink()
            removed = True
    return removed


def apply_table_replacements(lsoa: pd.DataFrame, *, data_dir: Path) -> tuple[pd.DataFrame, list[str]]:
    """Overlay stored IMD and population replacements on the LSOA table; returns it and any warnings."""
    warnings: list[str] = []
    out = lsoa
    for kind, columns in (("imd", IMD_COLUMNS), ("population", POPULATION_COLUMNS)):
        path = replacements_dir(data_dir) / f"{kind}.parquet"
        if not path.exists():
            continue
        try:
            replacement = pd.read_parquet(path).set_index("lsoa21_code")[columns]
        except (OSError, ValueError, KeyError) as error:
            warnings.append(f"The stored {kind} replacement could not be read ({error}); the shipped data is used.")
            continue
        out = out.copy()
        aligned = replacement.reindex(out["lsoa21_code"])
        if aligned.isna().any().any():
            warnings.append(f"The stored {kind} replacement does not cover every LSOA; the shipped data is used.")
            continue
        for column in columns:
            out[column] = aligned[column].to_numpy().astype(out[column].dtype)
    return out, warnings


def replacement_boundaries(level: str, *, data_dir: Path) -> gpd.GeoDataFrame | None:
    """A stored boundary replacement for ``level``, or ``None`` if there is none or it is unreadable."""
    path = replacements_dir(data_dir) / f"boundaries_{level}.parquet"
    if not path.exists():
        return None
    try:
        return gpd.read_parquet(path)
    except (OSError, ValueError):
        return None


__all__ = [
    "REPLACEABLE",
    "PARTIAL_BOUNDARIES_LABEL",
    "DataValidationError",
    "Replacement",
    "UploadLimits",
    "apply_table_replacements",
    "list_replacements",
    "remove_replacement",
    "replacement_boundaries",
    "save_replacement",
    "upload_limits",
    "validate_upload",
]
