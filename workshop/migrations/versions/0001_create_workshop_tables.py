"""Create the live workshop tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-28

Version table ``workshop_alembic_version`` (the maturity tables have their own). Self-contained on purpose: plain
SQLAlchemy types, never the app's models. The maturity tables must exist first (foreign keys point at them).
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
        "workshop_session",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("pace_component_id", sa.String(length=64), nullable=True),
        sa.Column("hide_results", sa.Boolean(), nullable=False),
        sa.Column("results_revealed", sa.Boolean(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("state_version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("join_code", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('open', 'closed')", name="ck_workshop_session_status"),
        sa.ForeignKeyConstraint(["assessment_id"], ["maturity_assessment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("join_code", name="uq_workshop_session_join_code"),
    )
    op.create_index("ix_workshop_session_assessment_id", "workshop_session", ["assessment_id"])
    op.create_table(
        "workshop_agreement",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.String(length=64), nullable=False),
        sa.Column("agreed_stage", sa.Integer(), nullable=True),
        sa.Column("actions", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("agreed_stage >= 1", name="ck_workshop_agreement_stage"),
        sa.ForeignKeyConstraint(["session_id"], ["workshop_session.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "component_id", name="uq_workshop_agreement_session_component"),
    )
    op.create_table(
        "workshop_participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("respondent_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["respondent_id"], ["maturity_respondent.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["workshop_session.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("respondent_id", name="uq_workshop_participant_respondent"),
        sa.UniqueConstraint("token_hash", name="uq_workshop_participant_token_hash"),
    )
    op.create_index("ix_workshop_participant_session_id", "workshop_participant", ["session_id"])


def downgrade() -> None:
    op.drop_index("ix_workshop_participant_session_id", table_name="workshop_participant")
    op.drop_table("workshop_participant")
    op.drop_table("workshop_agreement")
    op.drop_index("ix_workshop_session_assessment_id", table_name="workshop_session")
    op.drop_table("workshop_session")
