"""Create the saved cohort and export audit tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-28

Version table ``cohort_alembic_version`` (the maturity and workshop tables have their own). Self-contained on
purpose: plain SQLAlchemy types, never the app's models.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cohort_saved",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("icb_code", sa.String(length=16), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("icb_code", "name", name="uq_cohort_saved_icb_name"),
    )
    op.create_index("ix_cohort_saved_icb_code", "cohort_saved", ["icb_code"], unique=False)
    op.create_table(
        "cohort_export_audit",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("exported_by", sa.String(length=200), nullable=True),
        sa.Column("icb_code", sa.String(length=16), nullable=False),
        sa.Column("footprint", sa.String(length=300), nullable=False),
        sa.Column("cohort_name", sa.String(length=200), nullable=True),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("include_opted_out", sa.Boolean(), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exported_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('pseudonymised_list', 'aggregates', 'scenario_comparison')",
            name="ck_cohort_export_audit_kind",
        ),
        sa.CheckConstraint("rows >= 0", name="ck_cohort_export_audit_rows"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cohort_export_audit_exported_at", "cohort_export_audit", ["exported_at"], unique=False)
    op.create_index("ix_cohort_export_audit_icb_code", "cohort_export_audit", ["icb_code"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cohort_export_audit_icb_code", table_name="cohort_export_audit")
    op.drop_index("ix_cohort_export_audit_exported_at", table_name="cohort_export_audit")
    op.drop_table("cohort_export_audit")
    op.drop_index("ix_cohort_saved_icb_code", table_name="cohort_saved")
    op.drop_table("cohort_saved")
