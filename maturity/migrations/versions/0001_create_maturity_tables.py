"""Create the maturity self-assessment tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-28

Self-contained on purpose: migrations use plain SQLAlchemy types, never the app's models, so that later changes
to maturity/models.py cannot change what this revision does.
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
        "maturity_organisation",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('ics', 'icb', 'place', 'pcn')", name="ck_maturity_organisation_kind"),
        sa.ForeignKeyConstraint(["parent_id"], ["maturity_organisation.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "name", name="uq_maturity_organisation_kind_name"),
    )
    op.create_table(
        "maturity_assessment",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("assessment_date", sa.Date(), nullable=False),
        sa.Column("framework_id", sa.String(length=64), nullable=False),
        sa.Column("framework_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('open', 'closed')", name="ck_maturity_assessment_status"),
        sa.ForeignKeyConstraint(["organisation_id"], ["maturity_organisation.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uid", name="uq_maturity_assessment_uid"),
    )
    op.create_index("ix_maturity_assessment_organisation_id", "maturity_assessment", ["organisation_id"])
    op.create_table(
        "maturity_respondent",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=200), nullable=True),
        sa.Column("is_anonymous", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resume_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("is_anonymous OR name IS NOT NULL", name="ck_maturity_respondent_named_or_anonymous"),
        sa.ForeignKeyConstraint(["assessment_id"], ["maturity_assessment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("resume_token", name="uq_maturity_respondent_resume_token"),
    )
    op.create_index("ix_maturity_respondent_assessment_id", "maturity_respondent", ["assessment_id"])
    op.create_table(
        "maturity_answer",
        sa.Column("respondent_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.String(length=64), nullable=False),
        sa.Column("current_stage", sa.Integer(), nullable=True),
        sa.Column("target_stage", sa.Integer(), nullable=True),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("confidence", sa.Integer(), nullable=True),
        sa.Column("evidence_notes", sa.Text(), nullable=True),
        sa.Column("evidence_links", sa.JSON(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("current_stage >= 1", name="ck_maturity_answer_current_stage"),
        sa.CheckConstraint("target_stage >= 1", name="ck_maturity_answer_target_stage"),
        sa.CheckConstraint("confidence >= 1", name="ck_maturity_answer_confidence"),
        sa.ForeignKeyConstraint(["respondent_id"], ["maturity_respondent.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("respondent_id", "component_id", name="uq_maturity_answer_respondent_component"),
    )


def downgrade() -> None:
    op.drop_table("maturity_answer")
    op.drop_index("ix_maturity_respondent_assessment_id", table_name="maturity_respondent")
    op.drop_table("maturity_respondent")
    op.drop_index("ix_maturity_assessment_organisation_id", table_name="maturity_assessment")
    op.drop_table("maturity_assessment")
    op.drop_table("maturity_organisation")
