"""Chain the export audit rows by hash and make the table append-only.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

Each row gains ``previous_hash`` (the ``row_hash`` of the row before it in id order; the first row follows 64
zeros) and ``row_hash`` (the SHA-256 of its content and ``previous_hash``); rows already there get their chain
computed here, oldest first. ``previous_hash`` is unique, so two rows can never follow the same one. Triggers
refuse every UPDATE and DELETE of the table (and TRUNCATE on PostgreSQL). Self-contained on purpose: plain
SQLAlchemy types and a frozen copy of the hash of :mod:`cohort_store.audit_chain` (a test checks they agree).

A later migration that rebuilds this table on SQLite (``batch_alter_table``) drops the triggers with the old
table and must create them again.
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64
CHAIN_FIELDS = (
    "kind",
    "reason",
    "exported_by",
    "icb_code",
    "geography_version",
    "footprint",
    "cohort_name",
    "criteria",
    "rows",
    "include_opted_out",
    "file_name",
    "sha256",
    "exported_at",
)
REFUSAL = "export audit rows are append-only: they cannot be changed or deleted"
SQLITE_TRIGGERS = {
    "cohort_export_audit_no_update": "UPDATE",
    "cohort_export_audit_no_delete": "DELETE",
}


def _row_hash(row: dict[str, Any], previous_hash: str) -> str:
    content: dict[str, Any] = {}
    for field in CHAIN_FIELDS:
        value = row[field]
        if field == "exported_at":
            if isinstance(value, str):  # SQLite without a typed column
                value = datetime.fromisoformat(value)
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
            value = value.isoformat(timespec="microseconds")
        elif field == "rows":
            value = int(value)
        elif field == "include_opted_out":
            value = bool(value)
        elif field == "criteria":
            value = json.loads(value) if isinstance(value, str) else json.loads(json.dumps(dict(value)))
        content[field] = value
    text = json.dumps(
        {"previous_hash": previous_hash, "row": content}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("cohort_export_audit") as batch_op:
        batch_op.add_column(sa.Column("previous_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
    audit = sa.table(
        "cohort_export_audit",
        sa.column("id", sa.Integer()),
        sa.column("previous_hash", sa.String()),
        sa.column("row_hash", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("reason", sa.String()),
        sa.column("exported_by", sa.String()),
        sa.column("icb_code", sa.String()),
        sa.column("geography_version", sa.String()),
        sa.column("footprint", sa.String()),
        sa.column("cohort_name", sa.String()),
        sa.column("criteria", sa.JSON()),
        sa.column("rows", sa.Integer()),
        sa.column("include_opted_out", sa.Boolean()),
        sa.column("file_name", sa.String()),
        sa.column("sha256", sa.String()),
        sa.column("exported_at", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    previous = GENESIS_HASH
    rows = connection.execute(sa.select(audit).order_by(audit.c.id)).mappings().all()
    for row in rows:
        digest = _row_hash(dict(row), previous)
        connection.execute(
            sa.update(audit).where(audit.c.id == row["id"]).values(previous_hash=previous, row_hash=digest)
        )
        previous = digest
    with op.batch_alter_table("cohort_export_audit") as batch_op:
        batch_op.alter_column("previous_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("row_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint("uq_cohort_export_audit_previous_hash", ["previous_hash"])
    if connection.dialect.name == "sqlite":
        for name, event in SQLITE_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON cohort_export_audit "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION cohort_export_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER cohort_export_audit_append_only BEFORE UPDATE OR DELETE ON cohort_export_audit "
            "FOR EACH ROW EXECUTE FUNCTION cohort_export_audit_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER cohort_export_audit_no_truncate BEFORE TRUNCATE ON cohort_export_audit "
            "FOR EACH STATEMENT EXECUTE FUNCTION cohort_export_audit_refuse_change()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS cohort_export_audit_no_truncate ON cohort_export_audit")
        op.execute("DROP TRIGGER IF EXISTS cohort_export_audit_append_only ON cohort_export_audit")
        op.execute("DROP FUNCTION IF EXISTS cohort_export_audit_refuse_change()")
    with op.batch_alter_table("cohort_export_audit") as batch_op:
        batch_op.drop_constraint("uq_cohort_export_audit_previous_hash", type_="unique")
        batch_op.drop_column("row_hash")
        batch_op.drop_column("previous_hash")
