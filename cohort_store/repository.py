"""Saved cohorts and export audit rows: functions that take a ``Session`` (one per unit of work).

Saving a cohort under a name already used in the ICB updates it (one ``INSERT ... ON CONFLICT DO UPDATE``, so two
people saving the same name at once never make two rows). Export audit rows are only added, never changed: every
export needs a reason of at least ``MIN_REASON_LENGTH`` characters, checked here before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from cohort_store.models import (
    MIN_REASON_LENGTH,
    ExportAudit,
    ExportAuditPublic,
    ExportKind,
    SavedCohort,
    SavedCohortPublic,
)
from maturity.db import begin_write
from maturity.models import utc_now

MAX_NAME_LENGTH = 200


def _clean_name(name: str) -> str:
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise ValueError("a saved cohort needs a name")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ValueError(f"a cohort name can be at most {MAX_NAME_LENGTH} characters")
    return cleaned


def save_cohort(
    session: Session,
    *,
    name: str,
    icb_code: str,
    criteria: Mapping[str, Any],
    description: str | None = None,
    created_by: str | None = None,
) -> SavedCohortPublic:
    """Save a named cohort of an ICB, or update the criteria of the one with that name; return it."""
    name = _clean_name(name)
    now = utc_now()
    values = {
        "name": name,
        "icb_code": icb_code,
        "criteria": dict(criteria),
        "description": description,
        "created_by": created_by,
        "created_at": now,
        "updated_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(SavedCohort)
    statement = insert.values(**values).on_conflict_do_update(
        index_elements=["icb_code", "name"],
        set_={"criteria": insert.excluded.criteria, "description": insert.excluded.description, "updated_at": now},
    )
    begin_write(session)
    session.exec(statement)  # type: ignore[call-overload]
    session.commit()
    saved = session.exec(select(SavedCohort).where(SavedCohort.icb_code == icb_code, SavedCohort.name == name)).one()
    return SavedCohortPublic.model_validate(saved)


def list_cohorts(session: Session, *, icb_code: str) -> list[SavedCohortPublic]:
    """The saved cohorts of an ICB, most recently saved first."""
    rows = session.exec(
        select(SavedCohort)
        .where(SavedCohort.icb_code == icb_code)
        .order_by(sa.desc(SavedCohort.updated_at), SavedCohort.name)
    ).all()
    return [SavedCohortPublic.model_validate(row) for row in rows]


def get_cohort(session: Session, cohort_id: int) -> SavedCohortPublic | None:
    """One saved cohort, or None."""
    row = session.get(SavedCohort, cohort_id)
    return SavedCohortPublic.model_validate(row) if row is not None else None


def delete_cohort(session: Session, cohort_id: int) -> bool:
    """Delete a saved cohort (its export audit rows stay); return whether there was one."""
    begin_write(session)
    row = session.get(SavedCohort, cohort_id)
    if row is None:
        session.commit()
        return False
    session.delete(row)
    session.commit()
    return True


def record_export(
    session: Session,
    *,
    kind: ExportKind | str,
    reason: str,
    icb_code: str,
    footprint: str,
    criteria: Mapping[str, Any],
    rows: int,
    file_name: str,
    sha256: str,
    exported_by: str | None = None,
    cohort_name: str | None = None,
    include_opted_out: bool = False,
) -> ExportAuditPublic:
    """Add the audit row of one export; a reason shorter than MIN_REASON_LENGTH characters is a ValueError."""
    reason = " ".join(str(reason).split())
    if len(reason) < MIN_REASON_LENGTH:
        raise ValueError(f"give the reason for this export (at least {MIN_REASON_LENGTH} characters)")
    if rows < 0:
        raise ValueError("rows cannot be negative")
    row = ExportAudit(
        kind=ExportKind(kind),
        reason=reason,
        exported_by=exported_by,
        icb_code=icb_code,
        footprint=footprint,
        cohort_name=cohort_name,
        criteria=dict(criteria),
        rows=rows,
        include_opted_out=include_opted_out,
        file_name=file_name,
        sha256=sha256,
    )
    begin_write(session)
    session.add(row)
    session.commit()
    session.refresh(row)
    return ExportAuditPublic.model_validate(row)


def list_exports(session: Session, *, icb_code: str | None = None, limit: int = 50) -> list[ExportAuditPublic]:
    """The most recent export audit rows (of one ICB when given), newest first."""
    statement = select(ExportAudit).order_by(sa.desc(ExportAudit.exported_at), sa.desc(ExportAudit.id)).limit(limit)
    if icb_code is not None:
        statement = statement.where(ExportAudit.icb_code == icb_code)
    return [ExportAuditPublic.model_validate(row) for row in session.exec(statement).all()]
