"""The workshop tables' migrations, run on the same engine (and database) as the maturity tables.

``make_engine(url)`` is :func:`maturity.db.make_engine` (SQLite or PostgreSQL, maturity migrations to head)
followed by the workshop migrations, whose version table is ``workshop_alembic_version``. A page that already
holds the maturity engine calls :func:`upgrade_to_head` on it once instead, so the process keeps one engine.
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from sqlalchemy.engine import URL, Engine

from maturity import db as maturity_db

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "workshop_alembic_version"
# Any fixed 64-bit number other than the maturity one: serialises concurrent start-ups on PostgreSQL.
_MIGRATION_LOCK_KEY = 0x50484D_574B5348


def make_engine(url: str | URL | None = None, *, echo: bool = False) -> Engine:
    """An engine for ``url`` (default: ``settings.database_url()``) with maturity and workshop tables at head."""
    engine = maturity_db.make_engine(url, echo=echo)
    upgrade_to_head(engine)
    return engine


def upgrade_to_head(engine: Engine) -> None:
    """Run the workshop migrations not yet applied (the maturity tables must exist: they are referenced)."""
    maturity_db.run_migrations(engine, migrations_dir=MIGRATIONS_DIR, lock_key=_MIGRATION_LOCK_KEY)


def current_revision(engine: Engine) -> str | None:
    """The workshop revision the database is at (None before the first migration)."""
    return maturity_db.revision_of(engine, version_table=VERSION_TABLE)


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration for the workshop migrations, independent of the working directory.

    From the command line: ``.venv/bin/alembic -c workshop/alembic.ini upgrade head`` (or ``revision
    --autogenerate -m "..."``).
    """
    return maturity_db.migrations_config(MIGRATIONS_DIR, url=url)
