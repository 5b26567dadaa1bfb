"""Create the table of user-defined neighbourhoods.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

One row per neighbourhood a user has drawn inside an ICB on one geography version, built from whole PCNs or from
LSOAs. Self-contained on purpose: plain SQLAlchemy types, never the app's models.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cohort_neighbourhood",
        sa.Column("icb_code", sa.String(length=16), nullable=False),
        sa.Column("geography_version", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("built_from", sa.String(length=8), nullable=False),
        sa.Column("lsoa_codes", sa.JSON(), nullable=False),
        sa.Column("pcn_codes", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("built_from IN ('pcn', 'lsoa')", name="ck_cohort_neighbourhood_built_from"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("geography_version", "icb_code", "name", name="uq_cohort_neighbourhood_version_icb_name"),
        sa.UniqueConstraint("geography_version", "icb_code", "code", name="uq_cohort_neighbourhood_version_icb_code"),
    )


def downgrade() -> None:
    op.drop_table("cohort_neighbourhood")
