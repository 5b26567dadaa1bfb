"""Where the app keeps what it writes at run time, and where the shipped data lives."""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GEODATA_DIR = PROJECT_ROOT / "geodata" / "data"
DEFAULT_DATA_DIR = PROJECT_ROOT / ".data"
DATA_DIR_ENV = "PHM_DATA_DIR"
DATABASE_URL_ENV = "DATABASE_URL"
TIME_ZONE_ENV = "PHM_TIME_ZONE"
# Without login configured nobody is known, so the pseudonymised (person-level) list is off unless this is set.
PERSON_LEVEL_EXPORT_WITHOUT_LOGIN_ENV = "PHM_ALLOW_PERSON_LEVEL_EXPORT_WITHOUT_LOGIN"
# Times are stored in UTC and shown in UK time: GMT, or BST (GMT+1) from the last Sunday of March to October's.
DEFAULT_TIME_ZONE = "Europe/London"


def data_dir(*, create: bool = True) -> Path:
    """Return the one local directory for run-time files (database, synthetic populations, models).

    Set ``PHM_DATA_DIR`` to move it; the default is ``.data/`` in the project, which git ignores.
    """
    path = Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR).expanduser()
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    """Return ``DATABASE_URL`` when set (e.g. PostgreSQL), otherwise a SQLite file in the data directory."""
    url = os.environ.get(DATABASE_URL_ENV)
    if url:
        return url
    return f"sqlite:///{data_dir() / 'phm_navigator.sqlite'}"


def person_level_export_without_login() -> bool:
    """Whether the pseudonymised list may be downloaded when no login is configured (default: no).

    An administrator turns it on with ``PHM_ALLOW_PERSON_LEVEL_EXPORT_WITHOUT_LOGIN=1`` (or ``true``/``yes``/``on``),
    for an app on ``127.0.0.1`` used by one person. With login configured, roles decide and this is not read.
    """
    return os.environ.get(PERSON_LEVEL_EXPORT_WITHOUT_LOGIN_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def display_time_zone() -> ZoneInfo:
    """Return the time zone times are shown in: ``PHM_TIME_ZONE`` (an IANA name) or UK time (Europe/London).

    Raises ``ValueError`` naming the setting when ``PHM_TIME_ZONE`` is not a time zone the system knows.
    """
    name = os.environ.get(TIME_ZONE_ENV) or DEFAULT_TIME_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"{TIME_ZONE_ENV}={name!r} is not a known time zone (e.g. Europe/London)") from error


# The NHS geography the app opens on, and its default ICB: NHS Norfolk and Suffolk ICB (April 2026). Other
# versions name their own default in geodata/data/geography_versions.json (or the metadata of a loaded file).
DEFAULT_GEOGRAPHY = "2026-04"
# The geography of everything saved before saved work recorded its version (the 42 ICBs of April 2024).
LEGACY_GEOGRAPHY = "2024-04"
DEFAULT_ICB = "E54000068"
