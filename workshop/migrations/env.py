"""Alembic environment for the workshop tables (``workshop_*``, version table ``workshop_alembic_version``).

Run by ``workshop.db.upgrade_to_head`` and from the command line: ``.venv/bin/alembic -c workshop/alembic.ini
upgrade head`` (the maturity tables, which the workshop tables refer to, must be migrated first: run
``alembic upgrade head`` at the root or start the app once). Only ``workshop_*`` tables are compared here. The
environment itself is shared by every set of tables: see ``phm_core.alembic_env``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import context

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from maturity.db import make_engine  # noqa: E402
from maturity.models import UTCDateTime  # noqa: E402
from phm_core import alembic_env  # noqa: E402
from workshop import models  # noqa: E402  (registers the tables on the metadata)
from workshop.db import VERSION_TABLE  # noqa: E402

alembic_env.run(
    context,
    metadata=models.WORKSHOP_METADATA,
    version_table=VERSION_TABLE,
    table_prefix=models.TABLE_PREFIX,
    make_engine=make_engine,
    datetime_type=UTCDateTime,
)
