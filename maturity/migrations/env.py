"""Alembic environment for the maturity tables, configured in code so it works from any working directory.

Used two ways:

* by ``maturity.db.make_engine`` (start-up), which passes an open connection in ``config.attributes``;
* from the command line at the repository root, e.g. ``.venv/bin/alembic upgrade head`` or
  ``.venv/bin/alembic revision --autogenerate -m "..."``, which uses ``DATABASE_URL`` or the SQLite file in the
  data directory (``phm_core.settings.database_url``) unless ``sqlalchemy.url`` is set in the config.

Only tables named ``maturity_*`` belong to these migrations, and the version table is ``maturity_alembic_version``,
so other parts of the app may keep their own tables (and migrations) in the same database.
"""

from __future__ import annotations

import sys
from logging.config import fileConfig
from pathlib import Path

from alembic import context

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from sqlmodel.sql.sqltypes import AutoString  # noqa: E402

from maturity import models  # noqa: E402  (registers the tables on the metadata)
from maturity.db import VERSION_TABLE, make_engine  # noqa: E402
from phm_core.settings import database_url  # noqa: E402

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
target_metadata = models.SQLModel.metadata


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Only look at the maturity tables when comparing the database with the models."""
    if type_ == "table":
        return bool(name) and name.startswith(models.TABLE_PREFIX)
    return True


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Render the app's column types as plain SQLAlchemy types, so migrations never import the models."""
    if type_ == "type":
        if isinstance(obj, models.UTCDateTime):
            return "sa.DateTime(timezone=True)"
        if isinstance(obj, AutoString):
            return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        include_name=include_name,
        render_item=render_item,
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    """Emit SQL to standard output instead of running it (``alembic upgrade head --sql``)."""
    url = config.get_main_option("sqlalchemy.url") or database_url()
    _configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations on the connection given by make_engine, or on a new engine for the configured URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or database_url(), migrate=False)
    try:
        with engine.begin() as connection:
            _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
