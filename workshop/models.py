"""SQLModel tables of live workshops, and the plain models the service hands to pages.

Tables (all prefixed ``workshop_``, with their own Alembic migrations and version table, so they share the
database with the maturity tables without touching them):

* ``workshop_session``: a live session run by a facilitator on one maturity assessment: a join code, an expiry,
  the component the room is on (pacing), whether results are hidden until revealed.
* ``workshop_participant``: a person who joined with the code. Each is a maturity respondent of the assessment
  (so their answers are ordinary maturity answers) and holds a secret token; only its SHA-256 is stored.
* ``workshop_agreement``: the stage the room agreed on for a component, and the actions, recorded by the facilitator.

Any change here needs an Alembic migration in ``workshop/migrations/versions`` (a test compares the two).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from maturity.models import MATURITY_TABLES, UTCDateTime, utc_now

TABLE_PREFIX = "workshop_"

#: The workshop tables live on their own metadata, not ``SQLModel.metadata``: the maturity migrations and their
#: model check see only maturity tables. Copies of the maturity tables are added so foreign keys resolve.
WORKSHOP_REGISTRY = registry()
WORKSHOP_METADATA = WORKSHOP_REGISTRY.metadata
for _table in MATURITY_TABLES:
    _table.to_metadata(WORKSHOP_METADATA)


class WorkshopModel(SQLModel, registry=WORKSHOP_REGISTRY):
    """Base of the workshop models (on :data:`WORKSHOP_METADATA`)."""


class LiveStatus(StrEnum):
    """An open session takes participants and answers until it expires; a closed one takes nothing."""

    OPEN = "open"
    CLOSED = "closed"


# --- live session ----------------------------------------------------------------------------------------------


class LiveSessionBase(WorkshopModel):
    assessment_id: int = Field(foreign_key="maturity_assessment.id", ondelete="CASCADE", index=True)
    title: str = Field(max_length=200)
    status: LiveStatus = Field(default=LiveStatus.OPEN, sa_type=sa.String(10))
    pace_component_id: str | None = Field(
        default=None, max_length=64, description="the one component participants answer now; None = any, at their pace"
    )
    hide_results: bool = Field(
        default=True, description="results stay hidden on the facilitator's screen until revealed"
    )
    results_revealed: bool = False
    expires_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str | None = Field(default=None, max_length=200)
    state_version: int = Field(default=1, description="raised on every facilitator change; participants watch it")


class LiveSession(LiveSessionBase, table=True):
    __tablename__ = "workshop_session"
    __table_args__ = (
        sa.UniqueConstraint("join_code", name="uq_workshop_session_join_code"),
        sa.CheckConstraint("status IN ('open', 'closed')", name="ck_workshop_session_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    join_code: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class LiveSessionPublic(LiveSessionBase):
    id: int
    join_code: str
    created_at: datetime

    def is_open_at(self, now: datetime) -> bool:
        """True while the session is open and has not expired."""
        return self.status == LiveStatus.OPEN and now < self.expires_at


# --- participant -----------------------------------------------------------------------------------------------


class Participant(WorkshopModel, table=True):
    __tablename__ = "workshop_participant"
    __table_args__ = (
        sa.UniqueConstraint("token_hash", name="uq_workshop_participant_token_hash"),
        sa.UniqueConstraint("respondent_id", name="uq_workshop_participant_respondent"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="workshop_session.id", ondelete="CASCADE", index=True)
    respondent_id: int = Field(foreign_key="maturity_respondent.id", ondelete="CASCADE")
    token_hash: str = Field(max_length=64, description="SHA-256 of the participant's secret token (hex)")
    joined_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class ParticipantPublic(SQLModel):
    """A participant as the facilitator sees them: no token, no hash."""

    id: int
    session_id: int
    respondent_id: int
    display_name: str
    joined_at: datetime


# --- agreement -------------------------------------------------------------------------------------------------


class AgreementBase(WorkshopModel):
    session_id: int = Field(foreign_key="workshop_session.id", ondelete="CASCADE")
    component_id: str = Field(max_length=64)
    agreed_stage: int | None = None
    actions: str | None = Field(default=None, sa_type=sa.Text)
    recorded_by: str | None = Field(default=None, max_length=200)


class Agreement(AgreementBase, table=True):
    __tablename__ = "workshop_agreement"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "component_id", name="uq_workshop_agreement_session_component"),
        sa.CheckConstraint("agreed_stage >= 1", name="ck_workshop_agreement_stage"),
    )

    id: int | None = Field(default=None, primary_key=True)
    recorded_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class AgreementPublic(AgreementBase):
    id: int
    recorded_at: datetime
