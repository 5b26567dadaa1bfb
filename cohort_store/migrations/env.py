"""Alembic environment for the cohort tables (``cohort_*``, version table ``cohort_alembic_version``).

Run by ``cohort_store.db.upgrade_to_head`` and from the command line: ``.venv/bin/alembic -c
cohort_store/alembic.ini upgrade head``. Only ``cohort_*`` tables are compared, so the maturity and workshop tables
in the same database are never touched. The environment itself is shared by every set of tables: see
``phm_core.alembic_env``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import context

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from cohort_store import models  # noqa: E402  (registers the tables on the metadata)
from cohort_store.db import VERSION_TABLE  # noqa: E402
from maturity.db import make_engine  # noqa: E402
from maturity.models import UTCDateTime  # noqa: E402
from phm_core import alembic_env  # noqa: E402

alembic_env.run(
    context,
    metadata=models.COHORT_METADATA,
    version_table=VERSION_TABLE,
    table_prefix=models.TABLE_PREFIX,
    make_engine=make_engine,
    datetime_type=UTCDateTime,
)
