"""SQLModel tables of saved cohorts and export audit rows, and the plain models handed to pages.

Tables (prefixed ``cohort_``, on their own metadata with their own Alembic migrations and version table
``cohort_alembic_version``, so they share the app's database with the maturity and workshop tables untouched):

* ``cohort_saved``: a named cohort of an ICB: its criteria (JSON, see phm_core.cohorts.CohortCriteria), who saved
  it and when. Names are unique within an ICB; saving a name again updates it.
* ``cohort_export_audit``: one row per export of a cohort: when, by whom, what kind (a pseudonymised list or
  suppressed aggregates), the reason given, the criteria and footprint, how many rows, and the SHA-256 of the file.
  Rows are only ever added.

Any change here needs an Alembic migration in ``cohort_store/migrations/versions`` (a test compares the two).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import JSON, Field, SQLModel

from maturity.models import UTCDateTime, utc_now

TABLE_PREFIX = "cohort_"
COHORT_REGISTRY = registry()
COHORT_METADATA = COHORT_REGISTRY.metadata
MIN_REASON_LENGTH = 10


class CohortModel(SQLModel, registry=COHORT_REGISTRY):
    """Base of the cohort tables (on :data:`COHORT_METADATA`, not ``SQLModel.metadata``)."""


class ExportKind(StrEnum):
    """What was exported."""

    PSEUDONYMISED_LIST = "pseudonymised_list"
    AGGREGATES = "aggregates"
    SCENARIO_COMPARISON = "scenario_comparison"


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


# --- saved cohorts -----------------------------------------------------------------------------------------------


class SavedCohortBase(CohortModel):
    name: str = Field(max_length=200)
    icb_code: str = Field(max_length=16, index=True)
    criteria: dict[str, Any] = Field(sa_type=JSON)
    description: str | None = Field(default=None, max_length=2000)
    created_by: str | None = Field(default=None, max_length=200)


class SavedCohort(SavedCohortBase, table=True):
    __tablename__ = "cohort_saved"
    __table_args__ = (sa.UniqueConstraint("icb_code", "name", name="uq_cohort_saved_icb_name"),)

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class SavedCohortPublic(SavedCohortBase):
    id: int
    created_at: datetime
    updated_at: datetime


# --- export audit ----------------------------------------------------------------------------------------------------


class ExportAuditBase(CohortModel):
    kind: ExportKind = Field(sa_type=sa.String(32))
    reason: str = Field(max_length=2000)
    exported_by: str | None = Field(default=None, max_length=200)
    icb_code: str = Field(max_length=16, index=True)
    footprint: str = Field(max_length=300)
    cohort_name: str | None = Field(default=None, max_length=200)
    criteria: dict[str, Any] = Field(sa_type=JSON)
    rows: int = Field(ge=0)
    include_opted_out: bool = False
    file_name: str = Field(max_length=300)
    sha256: str = Field(max_length=64)


class ExportAudit(ExportAuditBase, table=True):
    __tablename__ = "cohort_export_audit"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", ExportKind), name="ck_cohort_export_audit_kind"),
        sa.CheckConstraint("rows >= 0", name="ck_cohort_export_audit_rows"),
    )

    id: int | None = Field(default=None, primary_key=True)
    exported_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime, index=True)


class ExportAuditPublic(ExportAuditBase):
    id: int
    exported_at: datetime


COHORT_TABLES = (SavedCohort.__table__, ExportAudit.__table__)
