"""Alembic environment for the maturity tables (``maturity_*``, version table ``maturity_alembic_version``).

Run at start-up by ``maturity.db.make_engine`` and from the command line at the repository root, e.g.
``.venv/bin/alembic upgrade head`` or ``.venv/bin/alembic revision --autogenerate -m "..."``. The environment
itself is shared by every set of tables: see ``phm_core.alembic_env``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import context

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from maturity import models  # noqa: E402  (registers the tables on the metadata)
from maturity.db import VERSION_TABLE, make_engine  # noqa: E402
from phm_core import alembic_env  # noqa: E402

alembic_env.run(
    context,
    metadata=models.SQLModel.metadata,
    version_table=VERSION_TABLE,
    table_prefix=models.TABLE_PREFIX,
    make_engine=make_engine,
    datetime_type=models.UTCDateTime,
)
