"""SQLModel tables of saved cohorts, export audit rows and neighbourhoods, and the plain models handed to pages.

Tables (prefixed ``cohort_``, on their own metadata with their own Alembic migrations and version table
``cohort_alembic_version``, so they share the app's database with the maturity and workshop tables untouched):

* ``cohort_saved``: a named cohort of an ICB: its criteria (JSON, see phm_core.cohorts.CohortCriteria), who saved
  it and when. Names are unique within an ICB on one geography version; saving a name again updates it.
* ``cohort_export_audit``: one row per export of a cohort: when, by whom, what kind (a pseudonymised list or
  suppressed aggregates), the reason given, the criteria and footprint, how many rows, and the SHA-256 of the file.
  Rows are only ever added: database triggers refuse updates and deletes, and each row carries the hash of the
  row before and its own (``previous_hash``, ``row_hash``: a chain, see :mod:`cohort_store.audit_chain`); a
  previous hash is unique, so two rows can never follow the same one.
* ``cohort_neighbourhood``: the neighbourhoods a user has drawn inside an ICB on one geography version, each built
  from whole PCNs or from LSOAs, with a stable code given by the caller. Names are unique within the ICB and version.

Every row records the geography version (``YYYY-MM``) its ICB code belongs to: codes are never re-pointed when the
NHS configuration changes. Rows saved before versions were recorded are 2024-04 (see
:data:`maturity.models.UNVERSIONED_GEOGRAPHY_VERSION`, also the column's database default).

Any change here needs an Alembic migration in ``cohort_store/migrations/versions`` (a test compares the two).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import JSON, Field, SQLModel

from maturity.models import (
    DEFAULT_GEOGRAPHY_VERSION,
    GEOGRAPHY_VERSION_LENGTH,
    UNVERSIONED_GEOGRAPHY_VERSION,
    UTCDateTime,
    utc_now,
)

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


class NeighbourhoodSource(StrEnum):
    """What a neighbourhood is built from."""

    PCN = "pcn"
    LSOA = "lsoa"


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


def _geography_version() -> Any:
    return Field(
        default=DEFAULT_GEOGRAPHY_VERSION,
        max_length=GEOGRAPHY_VERSION_LENGTH,
        sa_column_kwargs={"server_default": UNVERSIONED_GEOGRAPHY_VERSION},
        description="the geography version (YYYY-MM) of icb_code",
    )


# --- saved cohorts -----------------------------------------------------------------------------------------------


class SavedCohortBase(CohortModel):
    name: str = Field(max_length=200)
    icb_code: str = Field(max_length=16, index=True)
    geography_version: str = _geography_version()
    criteria: dict[str, Any] = Field(sa_type=JSON)
    description: str | None = Field(default=None, max_length=2000)
    created_by: str | None = Field(default=None, max_length=200)


class SavedCohort(SavedCohortBase, table=True):
    __tablename__ = "cohort_saved"
    __table_args__ = (
        sa.UniqueConstraint("geography_version", "icb_code", "name", name="uq_cohort_saved_version_icb_name"),
    )

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
    geography_version: str = _geography_version()
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
        sa.UniqueConstraint("previous_hash", name="uq_cohort_export_audit_previous_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    exported_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime, index=True)
    previous_hash: str = Field(max_length=64, description="row_hash of the row before (the first: all zeros)")
    row_hash: str = Field(max_length=64, description="SHA-256 of this row's content and previous_hash")


class ExportAuditPublic(ExportAuditBase):
    id: int
    exported_at: datetime
    previous_hash: str
    row_hash: str


# --- user-defined neighbourhoods ---------------------------------------------------------------------------------


class NeighbourhoodBase(CohortModel):
    icb_code: str = Field(max_length=16)
    geography_version: str = Field(max_length=GEOGRAPHY_VERSION_LENGTH)
    name: str = Field(max_length=100)
    code: str = Field(max_length=20, description="stable code given by the caller")
    built_from: NeighbourhoodSource = Field(sa_type=sa.String(8))
    lsoa_codes: list[str] = Field(default_factory=list, sa_type=JSON)
    pcn_codes: list[str] = Field(default_factory=list, sa_type=JSON)
    created_by: str | None = Field(default=None, max_length=200)
    updated_by: str | None = Field(default=None, max_length=200)


class Neighbourhood(NeighbourhoodBase, table=True):
    __tablename__ = "cohort_neighbourhood"
    __table_args__ = (
        sa.UniqueConstraint("geography_version", "icb_code", "name", name="uq_cohort_neighbourhood_version_icb_name"),
        sa.UniqueConstraint("geography_version", "icb_code", "code", name="uq_cohort_neighbourhood_version_icb_code"),
        sa.CheckConstraint(_in("built_from", NeighbourhoodSource), name="ck_cohort_neighbourhood_built_from"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class NeighbourhoodPublic(NeighbourhoodBase):
    id: int
    created_at: datetime
    updated_at: datetime


COHORT_TABLES = (SavedCohort.__table__, ExportAudit.__table__, Neighbourhood.__table__)
