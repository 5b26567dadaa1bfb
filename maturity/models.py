"""SQLModel tables of the self-assessment, and the plain models the repository hands to pages.

Tables (all prefixed ``maturity_`` so they can share a database with the rest of the app):

* ``maturity_organisation``: an ICS/ICB, place or PCN, optionally inside a parent organisation. It records the
  geography version it was made on and, optionally, the footprint it stands for (``area_code`` at ``area_level``).
* ``maturity_assessment``: one round of self-assessment of an organisation on a date, under a framework version.
* ``maturity_respondent``: a person answering (named with a role, or anonymous) with a secret resume token.
* ``maturity_answer``: one respondent's answer for one component; unique per (respondent, component).
* ``maturity_audit``: who changed an assessment or its respondents, when, what, with the values before and after
  (edits, archiving, restoring, deleting, merging respondents, showing a personal link again). It has no foreign
  key, so the record of a deleted assessment stays.

An archived assessment (``archived_at`` set) is kept with its answers but left out of lists, results over time and
comparisons until it is restored.

Geography versions: the NHS configuration of ICBs and places changes (42 ICBs from July 2022, 36 from 1 April
2026), so everything saved that refers to geography records the version it was made on. Rows saved before
versions were recorded are :data:`UNVERSIONED_GEOGRAPHY_VERSION` (the migration fills it in, and it is the
database default, so a row written without a version by the previous release is labelled with the only
configuration that release knew); new rows default to :data:`DEFAULT_GEOGRAPHY_VERSION`, but callers pass the
version they work on.

Any change here needs an Alembic migration in ``maturity/migrations/versions`` (a test compares the two).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import JSON, Field, SQLModel

from phm_core.settings import DEFAULT_GEOGRAPHY, LEGACY_GEOGRAPHY

#: The geography version new rows are made on unless the caller says otherwise (the app's default).
DEFAULT_GEOGRAPHY_VERSION = DEFAULT_GEOGRAPHY
#: The version of everything saved before versions were recorded (42 ICBs, July 2022 to March 2026).
UNVERSIONED_GEOGRAPHY_VERSION = LEGACY_GEOGRAPHY
GEOGRAPHY_VERSION_PATTERN = re.compile(r"^[0-9]{4}-[0-9]{2}$")
GEOGRAPHY_VERSION_LENGTH = 16


def check_geography_version(version: object) -> str:
    """A geography version label (``YYYY-MM``, e.g. ``2026-04``), stripped; ``ValueError`` for anything else."""
    if not isinstance(version, str) or not GEOGRAPHY_VERSION_PATTERN.match(version.strip()):
        raise ValueError(
            f"a geography version is written YYYY-MM (e.g. {DEFAULT_GEOGRAPHY_VERSION!r}), got {version!r}"
        )
    return version.strip()


class AreaLevel(StrEnum):
    """The level of the footprint an organisation stands for."""

    REGION = "region"
    ICB = "icb"
    SUB_ICB = "sub_icb"
    PLACE = "place"
    PCN = "pcn"
    NEIGHBOURHOOD = "neighbourhood"


class OrganisationKind(StrEnum):
    """The kinds of organisation that run an assessment."""

    ICS = "ics"
    ICB = "icb"
    PLACE = "place"
    PCN = "pcn"


class AssessmentStatus(StrEnum):
    """An open assessment takes answers; a closed one is read-only."""

    OPEN = "open"
    CLOSED = "closed"


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite stores no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamp {value!r} has no time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


# --- organisation ----------------------------------------------------------------------------------------------


class OrganisationBase(SQLModel):
    name: str = Field(max_length=200)
    kind: OrganisationKind = Field(sa_type=sa.String(10))
    code: str | None = Field(default=None, max_length=20, description="ODS code, if known")
    parent_id: int | None = Field(default=None, foreign_key="maturity_organisation.id", ondelete="SET NULL")
    geography_version: str = Field(
        default=DEFAULT_GEOGRAPHY_VERSION,
        max_length=GEOGRAPHY_VERSION_LENGTH,
        sa_column_kwargs={"server_default": UNVERSIONED_GEOGRAPHY_VERSION},
        description="the geography version (YYYY-MM) the organisation was recorded on",
    )
    area_code: str | None = Field(
        default=None, max_length=20, description="ONS code of the footprint it stands for (ICB, LAD, ...)"
    )
    area_level: AreaLevel | None = Field(default=None, sa_type=sa.String(16), description="level of area_code")


class Organisation(OrganisationBase, table=True):
    __tablename__ = "maturity_organisation"
    __table_args__ = (
        sa.UniqueConstraint("kind", "name", name="uq_maturity_organisation_kind_name"),
        sa.CheckConstraint(_in("kind", OrganisationKind), name="ck_maturity_organisation_kind"),
        # At most one organisation per footprint and version (a unique index: SQLite adds it without rebuilding
        # the table). Organisations without a footprint (area_code NULL) are not limited.
        sa.Index("uq_maturity_organisation_version_area", "geography_version", "area_code", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class OrganisationPublic(OrganisationBase):
    id: int
    created_at: datetime


# --- assessment ------------------------------------------------------------------------------------------------


class AssessmentBase(SQLModel):
    organisation_id: int = Field(foreign_key="maturity_organisation.id", ondelete="CASCADE", index=True)
    title: str = Field(max_length=200)
    assessment_date: date
    framework_id: str = Field(max_length=64)
    framework_version: int
    status: AssessmentStatus = Field(default=AssessmentStatus.OPEN, sa_type=sa.String(10))


class Assessment(AssessmentBase, table=True):
    __tablename__ = "maturity_assessment"
    __table_args__ = (
        sa.UniqueConstraint("uid", name="uq_maturity_assessment_uid"),
        sa.CheckConstraint(_in("status", AssessmentStatus), name="ck_maturity_assessment_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(max_length=36, description="stable identity across export and import")
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime, description="when it was archived")


class AssessmentPublic(AssessmentBase):
    id: int
    uid: str
    created_at: datetime
    archived_at: datetime | None = None

    @property
    def is_archived(self) -> bool:
        """Archived: kept, but left out of lists and results until restored."""
        return self.archived_at is not None


# --- respondent ------------------------------------------------------------------------------------------------


class RespondentBase(SQLModel):
    assessment_id: int = Field(foreign_key="maturity_assessment.id", ondelete="CASCADE", index=True)
    name: str | None = Field(default=None, max_length=200)
    role: str | None = Field(default=None, max_length=200)
    is_anonymous: bool = False


class Respondent(RespondentBase, table=True):
    __tablename__ = "maturity_respondent"
    __table_args__ = (
        sa.UniqueConstraint("resume_token", name="uq_maturity_respondent_resume_token"),
        sa.CheckConstraint("is_anonymous OR name IS NOT NULL", name="ck_maturity_respondent_named_or_anonymous"),
    )

    id: int | None = Field(default=None, primary_key=True)
    resume_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class RespondentPublic(RespondentBase):
    id: int
    resume_token: str
    created_at: datetime

    @property
    def display_name(self) -> str:
        """The name to show: the person's name, or 'Anonymous respondent <id>'."""
        return self.name if (self.name and not self.is_anonymous) else f"Anonymous respondent {self.id}"


# --- answer ----------------------------------------------------------------------------------------------------


class AnswerBase(SQLModel):
    respondent_id: int = Field(foreign_key="maturity_respondent.id", ondelete="CASCADE")
    component_id: str = Field(max_length=64)
    current_stage: int | None = None
    target_stage: int | None = None
    target_date: date | None = Field(default=None, description="when the target stage should be reached")
    confidence: int | None = None
    evidence_notes: str | None = Field(default=None, sa_type=sa.Text)
    evidence_links: list[str] = Field(default_factory=list, sa_type=JSON)


class Answer(AnswerBase, table=True):
    __tablename__ = "maturity_answer"
    __table_args__ = (
        sa.UniqueConstraint("respondent_id", "component_id", name="uq_maturity_answer_respondent_component"),
        sa.CheckConstraint("current_stage >= 1", name="ck_maturity_answer_current_stage"),
        sa.CheckConstraint("target_stage >= 1", name="ck_maturity_answer_target_stage"),
        sa.CheckConstraint("confidence >= 1", name="ck_maturity_answer_confidence"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class AnswerPublic(AnswerBase):
    id: int
    created_at: datetime
    updated_at: datetime


# --- audit trail -----------------------------------------------------------------------------------------------


class AuditAction(StrEnum):
    """What was done to an assessment or its respondents."""

    EDITED = "edited"  # title, date or organisation changed
    ARCHIVED = "archived"
    RESTORED = "restored"
    DELETED = "deleted"
    RESPONDENTS_MERGED = "respondents_merged"
    LINK_SHOWN = "link_shown"  # a respondent's personal link shown again to a facilitator


class AuditEventBase(SQLModel):
    assessment_id: int = Field(index=True, description="no foreign key: the record outlives a deleted assessment")
    assessment_uid: str = Field(max_length=36)
    assessment_title: str = Field(max_length=200, description="the title after the change")
    action: AuditAction = Field(sa_type=sa.String(32))
    actor: str | None = Field(default=None, max_length=320, description="e-mail or name; None without login")
    before: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    after: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class AuditEvent(AuditEventBase, table=True):
    __tablename__ = "maturity_audit"
    __table_args__ = (sa.CheckConstraint(_in("action", AuditAction), name="ck_maturity_audit_action"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class AuditEventPublic(AuditEventBase):
    id: int
    at: datetime


MATURITY_TABLES: tuple[Any, ...] = (
    Organisation.__table__,
    Assessment.__table__,
    Respondent.__table__,
    Answer.__table__,
    AuditEvent.__table__,
)
TABLE_PREFIX = "maturity_"
