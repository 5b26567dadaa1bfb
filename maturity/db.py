"""Engine creation for the self-assessment database: SQLite by default, PostgreSQL when DATABASE_URL is set.

``make_engine(url)`` returns an engine and, unless told otherwise, upgrades the schema to the newest Alembic
revision first, so the app migrates itself at start-up. Create one engine per process (e.g. with
``st.cache_resource``) and one ``Session(engine)`` per unit of work.

SQLite is set up for several writers at once: WAL journal, a 30 s busy timeout, foreign keys on, and transactions
begun by SQLAlchemy (not by the sqlite3 module) so that write units can take the write lock up front with
``BEGIN IMMEDIATE`` (see :func:`begin_write`). PostgreSQL uses psycopg 3; ``postgresql://`` URLs are mapped to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from phm_core.settings import database_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "maturity_alembic_version"
SQLITE_BUSY_TIMEOUT_S = 30
SQLITE_BEGIN_OPTION = "maturity_sqlite_begin"
SUPPORTED_BACKENDS = ("sqlite", "postgresql")
# Any fixed 64-bit number: serialises concurrent start-ups migrating the same PostgreSQL database.
_MIGRATION_LOCK_KEY = 0x50484D_4D415455


def normalise_url(url: str | URL) -> URL:
    """Parse a database URL, mapping ``postgres://`` and ``postgresql://`` to the psycopg 3 driver."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
        raise ValueError(
            f"unsupported database {parsed.get_backend_name()!r}; use SQLite or PostgreSQL "
            f"(URL {parsed.render_as_string(hide_password=True)})"
        )
    return parsed


def make_engine(url: str | URL | None = None, *, migrate: bool = True, echo: bool = False) -> Engine:
    """Create an engine for ``url`` (default: ``phm_core.settings.database_url()``) and migrate it to head.

    For a SQLite file the parent directory is created. An in-memory SQLite URL (``sqlite://``) shares one
    connection and suits single-threaded scripts and tests only. ``migrate=False`` skips the Alembic upgrade
    (used by the migration environment itself).
    """
    parsed = normalise_url(url if url is not None else database_url())
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        in_memory = database in ("", ":memory:") or "mode=memory" in str(parsed)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
        if in_memory:
            kwargs["poolclass"] = StaticPool
        else:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, **kwargs)
        _configure_sqlite(engine, wal=not in_memory)
    else:
        kwargs["pool_pre_ping"] = True
        engine = sa.create_engine(parsed, **kwargs)
    if migrate:
        upgrade_to_head(engine)
    return engine


def upgrade_to_head(engine: Engine) -> None:
    """Run every maturity migration not yet applied, in one transaction that holds the write lock."""
    run_migrations(engine, migrations_dir=MIGRATIONS_DIR, lock_key=_MIGRATION_LOCK_KEY)


def current_revision(engine: Engine) -> str | None:
    """The maturity revision the database is at (None before the first migration)."""
    return revision_of(engine, version_table=VERSION_TABLE)


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration for the maturity migrations, independent of the working directory."""
    return migrations_config(MIGRATIONS_DIR, url=url)


def run_migrations(engine: Engine, *, migrations_dir: Path, lock_key: int) -> None:
    """Upgrade one set of Alembic migrations (maturity, workshop, cohorts ...) to head on ``engine``.

    One transaction holding the write lock: ``BEGIN IMMEDIATE`` on SQLite, an advisory lock keyed ``lock_key``
    on PostgreSQL, so processes starting together migrate one after the other.
    """
    config = migrations_config(migrations_dir)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection = connection.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        with connection.begin():
            if engine.dialect.name == "postgresql":
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")


def revision_of(engine: Engine, *, version_table: str) -> str | None:
    """The revision recorded in ``version_table`` (None before the first migration)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": version_table})
        return context.get_current_revision()


def migrations_config(migrations_dir: Path, *, url: str | None = None) -> Config:
    """An Alembic configuration for the migrations in ``migrations_dir``, independent of the working directory."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url)
    return config


def begin_write(session: Session) -> None:
    """Start a write transaction on ``session``; on SQLite it takes the write lock first (``BEGIN IMMEDIATE``).

    Taking the lock first means concurrent writers queue on the busy timeout instead of failing with "database
    is locked" when a transaction that has read tries to write. A read-only transaction already open on the
    session is committed first (it has nothing to write); pending changes are flushed and committed with it.
    """
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (see _on_begin) instead of the sqlite3 module's implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
        if mode not in ("DEFERRED", "IMMEDIATE"):
            raise ValueError(f"unknown SQLite begin mode {mode!r}")
        connection.exec_driver_sql(f"BEGIN {mode}")
