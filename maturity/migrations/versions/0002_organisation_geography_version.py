"""Record the geography version of each organisation and, optionally, the footprint it stands for.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

Organisations saved before this revision were made when England had 42 ICBs: they get ``geography_version``
'2024-04' (also the column's database default, so a row written without a version by the previous release is
labelled with the only configuration that release knew). ``area_code`` and ``area_level`` stay NULL for them.

Only columns and an index are added (``recreate="never"``): on SQLite, rebuilding ``maturity_organisation`` would
drop the old table, and with foreign keys on that deletes every assessment through ``ON DELETE CASCADE``.
Self-contained on purpose: plain SQLAlchemy types, never the app's models.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("maturity_organisation", recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column("geography_version", sa.String(length=16), server_default="2024-04", nullable=False)
        )
        batch_op.add_column(sa.Column("area_code", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("area_level", sa.String(length=16), nullable=True))
        batch_op.create_index(
            "uq_maturity_organisation_version_area", ["geography_version", "area_code"], unique=True
        )


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later), never a rebuild: see the note above.
    with op.batch_alter_table("maturity_organisation", recreate="never") as batch_op:
        batch_op.drop_index("uq_maturity_organisation_version_area")
        batch_op.drop_column("area_level")
        batch_op.drop_column("area_code")
        batch_op.drop_column("geography_version")
