"""A user's replacement files (a newer IMD, a population file, boundaries), kept in the local data directory.

A replacement is validated before it is stored and written atomically, so a bad upload never replaces good
data and a crash mid-write never leaves half a file. Stored replacements are applied on top of the shipped data.
"""

from __future__ import annotations

import json
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
    read_boundary_replacement,
    read_imd_replacement,
    read_population_replacement,
)
from phm_core.validation import DataValidationError

REPLACEABLE: dict[str, str] = {
    "imd": "Index of Multiple Deprivation (all LSOAs in England)",
    "population": "Population by LSOA (total and six age bands)",
    **{
        f"boundaries_{level}": f"{level.replace('_', '-').upper()} boundaries (GeoJSON)"
        for level in BOUNDARY_CODE_COLUMN
    },
}
IMD_COLUMNS = [f"{domain}_{measure}" for domain in DOMAINS for measure in ("score", "rank", "decile")]
POPULATION_COLUMNS = ["pop_total", *AGE_BANDS]


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


def validate_upload(kind: str, data: bytes, *, source: str, lsoa: pd.DataFrame) -> pd.DataFrame:
    """Validate an uploaded file for ``kind``; raises :class:`DataValidationError` with the reasons."""
    known_lsoas = pd.Index(lsoa["lsoa21_code"])
    if kind == "imd":
        return read_imd_replacement(data, source=source, known_lsoas=known_lsoas)
    if kind == "population":
        return read_population_replacement(data, source=source, known_lsoas=known_lsoas)
    if kind.startswith("boundaries_"):
        level = kind.removeprefix("boundaries_")
        code = BOUNDARY_CODE_COLUMN[level]
        source_codes = lsoa["lsoa21_code"] if level == "lsoa" else lsoa[_LSOA_LEVEL_COLUMN[level]]
        return read_boundary_replacement(
            data, level=level, source=source, known_codes=pd.Index(source_codes.unique(), name=code)
        )
    raise ValueError(f"unknown replacement kind '{kind}'; choose one of {', '.join(REPLACEABLE)}")


_LSOA_LEVEL_COLUMN = {"msoa": "msoa21_code", "lad": "ltla24_code", "sub_icb": "sicbl24_code", "icb": "icb24_code"}


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
    "DataValidationError",
    "Replacement",
    "apply_table_replacements",
    "list_replacements",
    "remove_replacement",
    "replacement_boundaries",
    "save_replacement",
    "validate_upload",
]
