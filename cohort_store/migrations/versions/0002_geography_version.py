"""Record the geography version of saved cohorts and export audit rows.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

Rows saved before this revision were made when England had 42 ICBs: they get ``geography_version`` '2024-04'
(also the column's database default, so a row written without a version by the previous release is labelled with
the only configuration that release knew) and keep their ``icb_code``, abolished or not. A cohort name is now
unique within an ICB on one geography version, so an ICB that keeps its code in a new configuration can have a
cohort of the same name on each version without one overwriting the other.

On SQLite ``cohort_saved`` is rebuilt to change its unique constraint (no table refers to it);
``cohort_export_audit`` only gains a column. Self-contained on purpose: plain SQLAlchemy types, never the models.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cohort_saved") as batch_op:
        batch_op.add_column(
            sa.Column("geography_version", sa.String(length=16), server_default="2024-04", nullable=False)
        )
        batch_op.drop_constraint("uq_cohort_saved_icb_name", type_="unique")
        batch_op.create_unique_constraint("uq_cohort_saved_version_icb_name", ["geography_version", "icb_code", "name"])
    with op.batch_alter_table("cohort_export_audit") as batch_op:
        batch_op.add_column(
            sa.Column("geography_version", sa.String(length=16), server_default="2024-04", nullable=False)
        )


def downgrade() -> None:
    # Refuses (unique constraint) when one ICB has cohorts of the same name on two versions: nothing is dropped.
    with op.batch_alter_table("cohort_export_audit") as batch_op:
        batch_op.drop_column("geography_version")
    with op.batch_alter_table("cohort_saved") as batch_op:
        batch_op.drop_constraint("uq_cohort_saved_version_icb_name", type_="unique")
        batch_op.create_unique_constraint("uq_cohort_saved_icb_name", ["icb_code", "name"])
        batch_op.drop_column("geography_version")
