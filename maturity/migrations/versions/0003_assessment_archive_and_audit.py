"""Archive assessments, and keep an audit trail of changes to assessments and their respondents.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30

``maturity_assessment.archived_at`` (NULL: not archived, so every assessment saved before stays in the lists).
``maturity_audit``: who did what to which assessment, when, with the values before and after. It has no foreign
key to the assessment, so the record of a deleted assessment stays (its id, uid and title are copied into it).

Only a column and a new table are added (``recreate="never"``): on SQLite, rebuilding ``maturity_assessment``
would drop the old table, and with foreign keys on that deletes every respondent and answer through
``ON DELETE CASCADE``. Self-contained on purpose: plain SQLAlchemy types, never the app's models.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIONS = ("edited", "archived", "restored", "deleted", "respondents_merged", "link_shown")


def upgrade() -> None:
    with op.batch_alter_table("maturity_assessment", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "maturity_audit",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("assessment_uid", sa.String(length=36), nullable=False),
        sa.Column("assessment_title", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=True),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"action IN ({', '.join(repr(a) for a in ACTIONS)})", name="ck_maturity_audit_action"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_maturity_audit_assessment_id", "maturity_audit", ["assessment_id"])


def downgrade() -> None:
    op.drop_index("ix_maturity_audit_assessment_id", table_name="maturity_audit")
    op.drop_table("maturity_audit")
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later), never a rebuild: see the note above.
    with op.batch_alter_table("maturity_assessment", recreate="never") as batch_op:
        batch_op.drop_column("archived_at")
