"""Alembic environment for the cohort tables (``cohort_*``, version table ``cohort_alembic_version``).

Used by ``cohort_store.db.upgrade_to_head`` (which passes an open connection in ``config.attributes``) and from the
command line: ``.venv/bin/alembic -c cohort_store/alembic.ini upgrade head``. Only ``cohort_*`` tables are
compared, so the maturity and workshop tables in the same database are never touched.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import context

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from sqlmodel.sql.sqltypes import AutoString  # noqa: E402

from cohort_store import models  # noqa: E402  (registers the tables on the metadata)
from cohort_store.db import VERSION_TABLE  # noqa: E402
from maturity import db as maturity_db  # noqa: E402
from maturity.models import UTCDateTime  # noqa: E402
from phm_core.settings import database_url  # noqa: E402

config = context.config
target_metadata = models.COHORT_METADATA


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Only look at the cohort tables when comparing the database with the models."""
    if type_ == "table":
        return bool(name) and name.startswith(models.TABLE_PREFIX)
    return True


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Render the app's column types as plain SQLAlchemy types, so migrations never import the models."""
    if type_ == "type":
        if isinstance(obj, UTCDateTime):
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
    url = config.get_main_option("sqlalchemy.url") or database_url()
    _configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = maturity_db.make_engine(config.get_main_option("sqlalchemy.url") or database_url(), migrate=False)
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
