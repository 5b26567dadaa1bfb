"""Migrations of the cohort tables, run on the app's database (SQLite by default, PostgreSQL with DATABASE_URL).

``make_engine(url)`` is :func:`maturity.db.make_engine` without the maturity migrations (same SQLite set-up: WAL,
busy timeout, ``BEGIN IMMEDIATE`` for writes) followed by the cohort migrations, whose version table is
``cohort_alembic_version``. A page that already holds an engine of the app's database calls
:func:`upgrade_to_head` on it once instead. Never ``create_all``: the tables are made by the migrations.
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from sqlalchemy.engine import URL, Engine

from maturity import db as maturity_db

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "cohort_alembic_version"
# Any fixed 64-bit number other than the maturity and workshop ones: serialises concurrent start-ups on PostgreSQL.
_MIGRATION_LOCK_KEY = 0x50484D_434F4854


def make_engine(url: str | URL | None = None, *, echo: bool = False) -> Engine:
    """An engine for ``url`` (default: ``settings.database_url()``) with the cohort tables at the newest revision."""
    engine = maturity_db.make_engine(url, migrate=False, echo=echo)
    upgrade_to_head(engine)
    return engine


def upgrade_to_head(engine: Engine) -> None:
    """Run the cohort migrations not yet applied, in one transaction that holds the write lock."""
    maturity_db.run_migrations(engine, migrations_dir=MIGRATIONS_DIR, lock_key=_MIGRATION_LOCK_KEY)


def current_revision(engine: Engine) -> str | None:
    """The cohort revision the database is at (None before the first migration)."""
    return maturity_db.revision_of(engine, version_table=VERSION_TABLE)


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration for the cohort migrations, independent of the working directory.

    From the command line: ``.venv/bin/alembic -c cohort_store/alembic.ini upgrade head`` (or ``revision
    --autogenerate -m "..."``).
    """
    return maturity_db.migrations_config(MIGRATIONS_DIR, url=url)
