"""Storage of synthetic populations (Parquet in the data directory, reused) and loading of real extracts.

A population is a folder: ``people.parquet`` (one row per person), ``events.parquet`` (dated A&E attendances,
emergency admissions and ambulance conveyances) and ``metadata.json`` (ICB, seed, sample fraction, generator
version). Files are written to a temporary name and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from phm_core.settings import DEFAULT_GEOGRAPHY
from phm_core.synth import schema
from phm_core.synth.generator import GENERATOR_VERSION, Population, Progress, generate_population
from phm_core.synth.inputs import load_inputs
from phm_core.validation import DataValidationError, Problem

PEOPLE_FILE = "people.parquet"
EVENTS_FILE = "events.parquet"
METADATA_FILE = "metadata.json"
SYNTHETIC_DIR = "synthetic"
#: Set to a number between 0 and 1 to make the app generate a proportional sample instead of everyone (demos on
#: small machines, and the app tests).
SAMPLE_FRACTION_ENV = "PHM_SYNTH_FRACTION"


class PopulationWriteError(OSError):
    """The population could not be written where it was asked to go."""


def sample_fraction_setting() -> float:
    """The sample fraction the app uses: ``PHM_SYNTH_FRACTION`` if set (0 < f <= 1), else 1 (everyone)."""
    raw = os.environ.get(SAMPLE_FRACTION_ENV, "").strip()
    if not raw:
        return 1.0
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{SAMPLE_FRACTION_ENV}={raw!r} is not a number between 0 and 1") from None
    if not 0 < value <= 1:
        raise ValueError(f"{SAMPLE_FRACTION_ENV}={raw!r} must be more than 0 and at most 1")
    return value


def population_folder(icb_code: str, *, seed: int, fraction: float = 1.0, base: Path) -> Path:
    """Where the population of an ICB, seed and sample fraction is kept under ``base`` (the data directory)."""
    name = f"{icb_code}_seed{seed}" + ("" if fraction >= 1 else f"_sample{fraction:g}")
    return base / SYNTHETIC_DIR / name


def check_writable(folder: Path) -> None:
    """Create ``folder`` if needed and make sure a file can be written in it; raise PopulationWriteError if not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test-{uuid.uuid4().hex}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise PopulationWriteError(f"cannot write to {folder}: {reason}") from None
    if not folder.is_dir():
        raise PopulationWriteError(f"cannot write to {folder}: it is not a folder")


def _write_parquet(frame: pd.DataFrame, path: Path, metadata: dict[str, str]) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    merged = {**(table.schema.metadata or {}), **{f"phm.{k}".encode(): v.encode() for k, v in metadata.items()}}
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    pq.write_table(table.replace_schema_metadata(merged), temporary, compression="zstd")
    os.replace(temporary, path)


def write_population(population: Population, folder: Path) -> dict[str, Path]:
    """Write a population's people, events and metadata into ``folder``; return the paths written."""
    check_writable(folder)
    paths = {"people": folder / PEOPLE_FILE, "events": folder / EVENTS_FILE, "metadata": folder / METADATA_FILE}
    try:
        _write_parquet(population.people, paths["people"], population.metadata)
        _write_parquet(population.events, paths["events"], population.metadata)
        temporary = folder / f".{METADATA_FILE}.{uuid.uuid4().hex}.tmp"
        temporary.write_text(json.dumps(population.metadata, indent=2) + "\n")
        os.replace(temporary, paths["metadata"])
    except OSError as error:
        raise PopulationWriteError(f"cannot write to {folder}: {error.strerror or error}") from None
    return paths


def read_metadata(folder: Path) -> dict[str, str] | None:
    """The metadata of a stored population, or None if the folder holds no complete population."""
    try:
        metadata = json.loads((folder / METADATA_FILE).read_text())
    except (OSError, ValueError):
        return None
    if not all((folder / name).exists() for name in (PEOPLE_FILE, EVENTS_FILE)):
        return None
    return metadata


def read_population(folder: Path) -> Population:
    """Read a stored synthetic population (written by ``write_population``)."""
    metadata = read_metadata(folder)
    if metadata is None:
        raise DataValidationError(str(folder), [Problem("holds no complete synthetic population")])
    people = pd.read_parquet(folder / PEOPLE_FILE)
    missing = [c for c in (*schema.PERSON_COLUMNS, *schema.AREA_COLUMNS) if c not in people.columns]
    if missing:
        raise DataValidationError(PEOPLE_FILE, [Problem(f"missing column(s): {', '.join(missing)}")])
    events = pd.read_parquet(folder / EVENTS_FILE)
    return Population(people=people, events=events, metadata=metadata)


def load_or_generate(
    icb_code: str,
    *,
    seed: int,
    base: Path,
    fraction: float = 1.0,
    progress: Progress | None = None,
    lsoa: pd.DataFrame | None = None,
    practices: pd.DataFrame | None = None,
    geography: str = DEFAULT_GEOGRAPHY,
) -> tuple[Population, bool]:
    """Read the stored population of an ICB and seed, or generate and store it; return it and whether it was new.

    A stored population made by another generator version is replaced.
    """
    folder = population_folder(icb_code, seed=seed, fraction=fraction, base=base)
    metadata = read_metadata(folder)
    if metadata is not None and metadata.get("generator_version") == GENERATOR_VERSION:
        return read_population(folder), False
    inputs = load_inputs(icb_code, lsoa=lsoa, practices=practices, geography=geography)
    population = generate_population(inputs, rng=np.random.default_rng(seed), fraction=fraction, progress=progress)
    population.metadata["seed"] = str(seed)
    write_population(population, folder)
    return population, True


def _read_table(path: Path, *, source: str) -> pd.DataFrame:
    if not path.exists():
        raise DataValidationError(source, [Problem(f"file not found: {path}")])
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataValidationError(source, [Problem("is not UTF-8 text; save it as CSV (UTF-8) or Parquet")]) from None
    except Exception as error:  # pyarrow and the CSV parser raise many kinds of error for unreadable files
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataValidationError(source, [Problem(f"could not be read as CSV or Parquet ({first})")]) from None


def read_extract(
    people_path: Path,
    events_path: Path | None = None,
    *,
    lsoa: pd.DataFrame | None = None,
) -> Population:
    """Load a real (pseudonymised) extract in the person-level schema, validated, with clear errors.

    ``people_path`` (CSV or Parquet) must hold the required columns of ``schema.PERSON_FIELDS``;
    ``events_path`` optionally holds dated events in ``schema.EVENT_FIELDS``. With ``lsoa`` (the shipped LSOA
    table), residence codes are checked and place, deprivation and air quality are attached. Raises
    DataValidationError naming the file, the column and the rows for anything wrong.
    """
    people_path, source = Path(people_path), Path(people_path).name
    people = schema.validate_people(
        _read_table(people_path, source=source),
        source=source,
        known_lsoas=pd.Index(lsoa["lsoa21_code"]) if lsoa is not None else None,
        lsoa=lsoa,
    )
    if events_path is not None:
        events_path = Path(events_path)
        events = schema.validate_events(
            _read_table(events_path, source=events_path.name),
            source=events_path.name,
            person_ids=pd.Index(people["person_id"]),
        )
    else:
        events = pd.DataFrame({name: pd.Series(dtype="object") for name in schema.EVENT_COLUMNS})
    metadata = {"synthetic": "false", "source": str(people_path), "people": str(len(people))}
    return Population(people=people, events=events, metadata=metadata)
