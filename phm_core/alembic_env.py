"""The one Alembic environment behind every set of tables the app migrates (maturity, workshop, cohort store).

Each set keeps its own tables (one name prefix), its own metadata, migrations and version table, so the sets can
share a database and be migrated independently. Their ``migrations/env.py`` files only name those and call
:func:`run`. Used two ways:

* at start-up (``maturity.db.run_migrations``), which passes an open connection in ``config.attributes``;
* from the command line at the repository root, e.g. ``.venv/bin/alembic -c workshop/alembic.ini upgrade head``
  or ``... revision --autogenerate -m "..."``, which uses ``DATABASE_URL`` or the SQLite file in the data
  directory (``phm_core.settings.database_url``) unless ``sqlalchemy.url`` is set in the config.
"""

from __future__ import annotations

from collections.abc import Callable
from logging.config import fileConfig
from typing import Any

import sqlalchemy as sa
from sqlmodel.sql.sqltypes import AutoString

from phm_core.settings import database_url


def run(
    context: Any,
    *,
    metadata: sa.MetaData,
    version_table: str,
    table_prefix: str,
    make_engine: Callable[..., sa.Engine],
    datetime_type: type,
) -> None:
    """Run the migrations of one set of tables, online or offline as Alembic asks.

    Only tables whose names start with ``table_prefix`` are compared with ``metadata`` (also leaving out copies
    of other sets' tables that sit on it for foreign keys); ``datetime_type`` (the app's timezone-aware column
    type) and SQLModel's strings are written into new migrations as plain SQLAlchemy types, so migrations never
    import the models. ``make_engine(url, migrate=False)`` makes the engine on the command line.
    """
    config = context.config
    file_config = getattr(config, "file_config", None)
    if (
        config.config_file_name is not None
        and config.attributes.get("configure_logger", True)
        and file_config is not None
        and file_config.has_section("loggers")
    ):
        fileConfig(config.config_file_name, disable_existing_loggers=False)

    def ours(name: str | None, type_: str) -> bool:
        return type_ != "table" or (bool(name) and str(name).startswith(table_prefix))

    def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
        return ours(name, type_)

    def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
        return ours(name, type_)

    def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
        if type_ == "type":
            if isinstance(obj, datetime_type):
                return "sa.DateTime(timezone=True)"
            if isinstance(obj, AutoString):
                return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
        return False

    def configure(**kwargs: Any) -> None:
        context.configure(
            target_metadata=metadata,
            version_table=version_table,
            include_name=include_name,
            include_object=include_object,
            render_item=render_item,
            compare_type=True,
            **kwargs,
        )

    def migrate(connection: sa.Connection) -> None:
        configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()

    if context.is_offline_mode():  # emit SQL instead of running it (``alembic upgrade head --sql``)
        url = config.get_main_option("sqlalchemy.url") or database_url()
        configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        migrate(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or database_url(), migrate=False)
    try:
        with engine.begin() as connection:
            migrate(connection)
    finally:
        engine.dispose()
