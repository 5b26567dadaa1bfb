"""Reading and writing assessments: functions that take a ``Session`` and return plain ``*Public`` models.

Every write function is one unit of work: it begins a write transaction (taking SQLite's write lock up front),
validates, writes and commits, or rolls back and raises ``ValueError`` (bad input) or ``LookupError`` (no such
row). Returned models are detached copies, safe to keep in ``st.session_state``.

Changes to an assessment (title, date, organisation, archiving, restoring, deleting) and to its respondents
(merging two, showing a personal link again) are recorded in the audit trail (``maturity_audit``) in the same
transaction: who (``actor``: the logged-in user's e-mail or name, None without login), when, what, and the values
before and after. Read it with :func:`audit_events`.

Answers are saved one at a time with an atomic upsert (``INSERT ... ON CONFLICT (respondent_id, component_id)
DO UPDATE``, on SQLite and PostgreSQL alike), and only the fields passed are changed, so two browser tabs or two
people answering at once never lose or duplicate each other's answers.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from maturity.db import begin_write
from maturity.framework import DEFAULT_FRAMEWORK_ID, Framework, load_framework
from maturity.models import (
    DEFAULT_GEOGRAPHY_VERSION,
    Answer,
    AnswerPublic,
    AreaLevel,
    Assessment,
    AssessmentPublic,
    AssessmentStatus,
    AuditAction,
    AuditEvent,
    AuditEventPublic,
    Organisation,
    OrganisationKind,
    OrganisationPublic,
    Respondent,
    RespondentPublic,
    check_geography_version,
    utc_now,
)
from maturity.scoring import (
    DEFAULT_AGREEMENT_RULE,
    AgreementRule,
    AssessmentResult,
    MedianTie,
    results_frame,
    score_assessment,
)

MAX_NAME_LENGTH = 200
MAX_NOTES_LENGTH = 20_000
MAX_LINKS = 50
MAX_LINK_LENGTH = 2_000
MAX_ACTOR_LENGTH = 320
RESUME_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class _Unset:
    """Marks a keyword argument that was not given (so ``None`` can mean "clear this field")."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Final = _Unset()


@contextmanager
def write_transaction(session: Session) -> Iterator[None]:
    """Run the block as one write transaction: commit at the end, roll back on any error."""
    begin_write(session)
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise


# --- organisations ---------------------------------------------------------------------------------------------


def create_organisation(
    session: Session,
    *,
    name: str,
    kind: OrganisationKind | str,
    code: str | None = None,
    parent_id: int | None = None,
    geography_version: str = DEFAULT_GEOGRAPHY_VERSION,
    area_code: str | None = None,
    area_level: AreaLevel | str | None = None,
) -> OrganisationPublic:
    """Add an ICS/ICB, place or PCN on a geography version, optionally standing for one footprint.

    ``area_code`` (the footprint's code: ICB, LAD, sub-ICB, PCN or neighbourhood) and ``area_level`` go together.
    ``ValueError`` when an organisation of that kind and name already exists, or one already stands for that
    footprint on that geography version.
    """
    name = _required_text(name, "organisation name")
    kind = _organisation_kind(kind)
    code = _optional_text(code, "organisation code", max_length=20)
    geography_version = check_geography_version(geography_version)
    area_code, area_level = _footprint(area_code, area_level)
    try:
        with write_transaction(session):
            if parent_id is not None and session.get(Organisation, parent_id) is None:
                raise LookupError(f"no organisation with id {parent_id} (parent)")
            _check_organisation_free(session, kind, name)
            if area_code is not None:
                _check_footprint_free(session, area_code, geography_version)
            organisation = Organisation(
                name=name,
                kind=kind,
                code=code,
                parent_id=parent_id,
                geography_version=geography_version,
                area_code=area_code,
                area_level=area_level,
            )
            session.add(organisation)
            session.flush()
            public = OrganisationPublic.model_validate(organisation)
    except sa.exc.IntegrityError:  # created by someone else between the check and the insert
        raise ValueError(
            f"there is already an organisation of kind {kind.value!r} called {name!r}"
            + (f", or one for area {area_code} on geography version {geography_version}" if area_code else "")
        ) from None
    return public


def get_organisation(session: Session, organisation_id: int) -> OrganisationPublic:
    """One organisation by id; ``LookupError`` when there is none."""
    return OrganisationPublic.model_validate(_organisation(session, organisation_id))


def list_organisations(
    session: Session,
    *,
    kind: OrganisationKind | str | None = None,
    parent_id: int | None = None,
    geography_version: str | None = None,
    area_level: AreaLevel | str | None = None,
) -> list[OrganisationPublic]:
    """Organisations sorted by kind and name, optionally only one kind, the children of one parent, those of one
    geography version or those standing for footprints of one level (None: all)."""
    statement = select(Organisation)
    if kind is not None:
        statement = statement.where(Organisation.kind == _organisation_kind(kind))
    if parent_id is not None:
        statement = statement.where(Organisation.parent_id == parent_id)
    if geography_version is not None:
        statement = statement.where(Organisation.geography_version == check_geography_version(geography_version))
    if area_level is not None:
        statement = statement.where(Organisation.area_level == _area_level(area_level))
    statement = statement.order_by(Organisation.kind, Organisation.name, Organisation.id)
    return [OrganisationPublic.model_validate(o) for o in session.exec(statement).all()]


def find_organisation(session: Session, *, area_code: str, geography_version: str) -> OrganisationPublic | None:
    """The organisation standing for the footprint ``area_code`` on ``geography_version``, or None.

    Exact: an organisation recorded on another version is not returned, even when the footprint kept its code.
    """
    geography_version = check_geography_version(geography_version)
    code = _optional_text(area_code, "area code", max_length=20)
    if code is None:
        raise ValueError("give the area code of the footprint")
    organisation = session.exec(
        select(Organisation).where(Organisation.geography_version == geography_version, Organisation.area_code == code)
    ).first()
    return None if organisation is None else OrganisationPublic.model_validate(organisation)


def organisations_for_area(
    session: Session, *, area_code: str, name: str | None = None, kind: OrganisationKind | str | None = None
) -> list[OrganisationPublic]:
    """The organisations that stand for one area, e.g. to show a footprint its own assessments and nobody else's.

    These are the organisations recorded for ``area_code`` on any geography version (an ONS code names the same
    area in every version that has it: a changed area gets a new code), and, with ``name`` and ``kind``, those
    saved before organisations recorded their footprint (no area code) whose name and kind are exactly these.
    An organisation recorded for another area is never returned, whatever its name. Sorted by kind and name.
    """
    code = _optional_text(area_code, "area code", max_length=20)
    if code is None:
        raise ValueError("give the area code of the footprint")
    if (name is None) != (kind is None):
        raise ValueError("give both the name and the kind of the organisation, or neither")
    standing_for = Organisation.area_code == code
    if name is not None:
        unrecorded = sa.and_(
            Organisation.area_code.is_(None),  # type: ignore[union-attr]
            Organisation.name == name.strip(),
            Organisation.kind == _organisation_kind(kind),  # type: ignore[arg-type]
        )
        standing_for = sa.or_(standing_for, unrecorded)
    statement = select(Organisation).where(standing_for).order_by(Organisation.kind, Organisation.name, Organisation.id)
    return [OrganisationPublic.model_validate(o) for o in session.exec(statement).all()]


# --- assessments -----------------------------------------------------------------------------------------------


def create_assessment(
    session: Session,
    *,
    organisation_id: int,
    assessment_date: date,
    title: str | None = None,
    framework_id: str = DEFAULT_FRAMEWORK_ID,
    framework_version: int | None = None,
) -> AssessmentPublic:
    """Open a new assessment of an organisation, under a framework version (the latest by default)."""
    if not isinstance(assessment_date, date) or isinstance(assessment_date, datetime):
        raise ValueError(f"assessment_date must be a date, got {assessment_date!r}")
    framework = load_framework(framework_id, framework_version)
    title = _required_text(title, "title") if title is not None else f"Self-assessment {assessment_date.isoformat()}"
    with write_transaction(session):
        _organisation(session, organisation_id)
        assessment = Assessment(
            organisation_id=organisation_id,
            title=title,
            assessment_date=assessment_date,
            framework_id=framework.id,
            framework_version=framework.version,
            status=AssessmentStatus.OPEN,
            uid=str(uuid.uuid4()),
        )
        session.add(assessment)
        session.flush()
        public = AssessmentPublic.model_validate(assessment)
    return public


def get_assessment(session: Session, assessment_id: int) -> AssessmentPublic:
    """One assessment by id; ``LookupError`` when there is none."""
    return AssessmentPublic.model_validate(_assessment(session, assessment_id))


def list_assessments(
    session: Session,
    *,
    organisation_id: int | None = None,
    status: AssessmentStatus | str | None = None,
    archived: bool | None = False,
) -> list[AssessmentPublic]:
    """Assessments oldest first (by date, then id), optionally of one organisation or one status.

    Archived assessments are left out by default; ``archived=True`` lists only them, ``archived=None`` all.
    """
    statement = select(Assessment)
    if archived is not None:
        archived_at = Assessment.archived_at
        statement = statement.where(archived_at.is_not(None) if archived else archived_at.is_(None))  # type: ignore[union-attr]
    if organisation_id is not None:
        statement = statement.where(Assessment.organisation_id == organisation_id)
    if status is not None:
        statement = statement.where(Assessment.status == AssessmentStatus(status))
    statement = statement.order_by(Assessment.assessment_date, Assessment.id)
    return [AssessmentPublic.model_validate(a) for a in session.exec(statement).all()]


def set_assessment_status(session: Session, assessment_id: int, status: AssessmentStatus | str) -> AssessmentPublic:
    """Open or close an assessment; a closed assessment takes no new respondents or answers."""
    try:
        status = AssessmentStatus(status)
    except ValueError:
        raise ValueError(f"status must be one of {', '.join(AssessmentStatus)}, got {status!r}") from None
    with write_transaction(session):
        assessment = _assessment(session, assessment_id)
        if status == AssessmentStatus.OPEN and assessment.archived_at is not None:
            raise ValueError(f"'{assessment.title}' is archived: restore it before reopening it")
        assessment.status = status
        session.add(assessment)
        session.flush()
        public = AssessmentPublic.model_validate(assessment)
    return public


def update_assessment(
    session: Session,
    assessment_id: int,
    *,
    title: str | _Unset = UNSET,
    assessment_date: date | _Unset = UNSET,
    organisation_id: int | _Unset = UNSET,
    actor: str | None = None,
) -> AssessmentPublic:
    """Change an assessment's title, date (the period it describes) or organisation (reassign it), and audit it.

    Only the fields passed change. ``ValueError`` when the title is empty or another assessment of the (new)
    organisation already has it (case and spaces ignored), or the date is not a date; ``LookupError`` when the
    assessment or the new organisation does not exist. A call that changes nothing records nothing.
    """
    changes: dict[str, Any] = {}
    if title is not UNSET:
        changes["title"] = _required_text(title, "title")
    if assessment_date is not UNSET:
        if not isinstance(assessment_date, date) or isinstance(assessment_date, datetime):
            raise ValueError(f"assessment date must be a date, got {assessment_date!r}")
        changes["assessment_date"] = assessment_date
    if organisation_id is not UNSET:
        if isinstance(organisation_id, bool) or not isinstance(organisation_id, int):
            raise ValueError(f"organisation must be given by its id, got {organisation_id!r}")
        changes["organisation_id"] = organisation_id
    actor = _actor(actor)
    with write_transaction(session):
        assessment = _assessment(session, assessment_id)
        if "organisation_id" in changes and session.get(Organisation, changes["organisation_id"]) is None:
            raise LookupError(f"no organisation with id {changes['organisation_id']}: the assessment was not moved")
        changed = {name: value for name, value in changes.items() if getattr(assessment, name) != value}
        if not changed:
            return AssessmentPublic.model_validate(assessment)
        new_title = changed.get("title", assessment.title)
        new_organisation = _organisation(session, changed.get("organisation_id", assessment.organisation_id))
        _check_title_free(session, new_organisation, new_title, except_id=assessment.id)
        before, after = {}, {}
        for name, value in changed.items():
            old = getattr(assessment, name)
            if name == "organisation_id":
                before["organisation_id"], after["organisation_id"] = old, value
                before["organisation"] = _organisation_text(_organisation(session, old))
                after["organisation"] = _organisation_text(new_organisation)
            else:
                before[name], after[name] = _plain(old), _plain(value)
            setattr(assessment, name, value)
        session.add(assessment)
        session.flush()
        _audit(session, assessment, AuditAction.EDITED, actor=actor, before=before, after=after)
        public = AssessmentPublic.model_validate(assessment)
    return public


def archive_assessment(session: Session, assessment_id: int, *, actor: str | None = None) -> AssessmentPublic:
    """Archive an assessment: closed to answers and left out of lists and results, but kept and restorable.

    ``ValueError`` when it is archived already.
    """
    actor = _actor(actor)
    with write_transaction(session):
        assessment = _assessment(session, assessment_id)
        if assessment.archived_at is not None:
            raise ValueError(f"'{assessment.title}' is already archived")
        before = {"status": str(AssessmentStatus(assessment.status)), "archived": False}
        assessment.archived_at = utc_now()
        assessment.status = AssessmentStatus.CLOSED
        session.add(assessment)
        session.flush()
        _audit(
            session,
            assessment,
            AuditAction.ARCHIVED,
            actor=actor,
            before=before,
            after={"status": str(AssessmentStatus.CLOSED), "archived": True},
        )
        public = AssessmentPublic.model_validate(assessment)
    return public


def restore_assessment(session: Session, assessment_id: int, *, actor: str | None = None) -> AssessmentPublic:
    """Bring an archived assessment back into the lists and results, still closed (reopen it to take answers).

    ``ValueError`` when it is not archived.
    """
    actor = _actor(actor)
    with write_transaction(session):
        assessment = _assessment(session, assessment_id)
        if assessment.archived_at is None:
            raise ValueError(f"'{assessment.title}' is not archived")
        assessment.archived_at = None
        session.add(assessment)
        session.flush()
        status = str(AssessmentStatus(assessment.status))
        _audit(
            session,
            assessment,
            AuditAction.RESTORED,
            actor=actor,
            before={"status": status, "archived": True},
            after={"status": status, "archived": False},
        )
        public = AssessmentPublic.model_validate(assessment)
    return public


def delete_assessment(session: Session, assessment_id: int, *, actor: str | None = None) -> None:
    """Delete an assessment with its respondents and answers, for good; the audit trail keeps a record of it."""
    actor = _actor(actor)
    with write_transaction(session):
        assessment = _assessment(session, assessment_id)
        respondents = select(Respondent.id).where(Respondent.assessment_id == assessment_id)
        n_respondents = len(session.exec(respondents).all())
        n_answers = len(session.exec(select(Answer.id).where(Answer.respondent_id.in_(respondents))).all())
        before = {
            "title": assessment.title,
            "organisation_id": assessment.organisation_id,
            "organisation": _organisation_text(_organisation(session, assessment.organisation_id)),
            "assessment_date": _plain(assessment.assessment_date),
            "status": str(AssessmentStatus(assessment.status)),
            "archived": assessment.archived_at is not None,
            "respondents": n_respondents,
            "answers": n_answers,
        }
        _audit(session, assessment, AuditAction.DELETED, actor=actor, before=before, after={})
        session.exec(sa.delete(Answer).where(Answer.respondent_id.in_(respondents)))
        session.exec(sa.delete(Respondent).where(Respondent.assessment_id == assessment_id))
        session.exec(sa.delete(Assessment).where(Assessment.id == assessment_id))


def audit_events(
    session: Session, *, assessment_id: int | None = None, action: AuditAction | str | None = None
) -> list[AuditEventPublic]:
    """The audit trail, oldest first: of one assessment (also after it was deleted), of one kind of action, or all."""
    statement = select(AuditEvent)
    if assessment_id is not None:
        statement = statement.where(AuditEvent.assessment_id == assessment_id)
    if action is not None:
        statement = statement.where(AuditEvent.action == AuditAction(action))
    statement = statement.order_by(AuditEvent.at, AuditEvent.id)
    return [AuditEventPublic.model_validate(e) for e in session.exec(statement).all()]


def framework_for(assessment: AssessmentPublic | Assessment) -> Framework:
    """The framework version an assessment was made under."""
    return load_framework(assessment.framework_id, assessment.framework_version)


# --- respondents -----------------------------------------------------------------------------------------------


def new_resume_token() -> str:
    """A fresh unguessable resume token (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)


def get_or_create_respondent(
    session: Session,
    assessment_id: int,
    *,
    name: str | None = None,
    role: str | None = None,
    anonymous: bool = False,
    resume_token: str | None = None,
) -> RespondentPublic:
    """Return the respondent with ``resume_token`` in this assessment, or add one.

    Without a token a new respondent is always created with a fresh token. With a token the call is idempotent,
    even when two tabs make it at the same moment: the first creates the respondent, later calls return it
    unchanged. A named respondent needs a ``name``; an anonymous one may give a role but no name. New respondents
    can only join an open assessment. ``ValueError`` when the token belongs to another assessment.
    """
    anonymous = bool(anonymous)
    name = _optional_text(name, "name", max_length=MAX_NAME_LENGTH)
    role = _optional_text(role, "role", max_length=MAX_NAME_LENGTH)
    if anonymous and name is not None:
        raise ValueError("an anonymous respondent has no name; leave the name empty")
    if not anonymous and name is None:
        raise ValueError("a named respondent needs a name (or choose to answer anonymously)")
    if resume_token is not None and not RESUME_TOKEN_PATTERN.match(resume_token):
        raise ValueError("a resume token is 16-64 letters, digits, '-' or '_'")
    with write_transaction(session):
        if resume_token is not None:
            existing = _respondent_by_token(session, resume_token)
            if existing is not None:
                if existing.assessment_id != assessment_id:
                    raise ValueError("this resume token belongs to another assessment")
                return RespondentPublic.model_validate(existing)
        assessment = _assessment(session, assessment_id)
        if assessment.status != AssessmentStatus.OPEN:
            raise ValueError(f"assessment {assessment_id} is closed to new respondents")
        values = {
            "assessment_id": assessment_id,
            "name": name,
            "role": role,
            "is_anonymous": anonymous,
            "resume_token": resume_token or new_resume_token(),
            "created_at": utc_now(),
        }
        table = Respondent.__table__
        insert = _insert(session, table).values(**values)
        # Two tabs creating the same respondent: one inserts, the other finds it (no error, no duplicate).
        session.exec(insert.on_conflict_do_nothing(index_elements=["resume_token"]))
        respondent = _respondent_by_token(session, values["resume_token"])
        if respondent is None or respondent.assessment_id != assessment_id:
            raise ValueError("this resume token belongs to another assessment")
        public = RespondentPublic.model_validate(respondent)
    return public


def resume_respondent(session: Session, resume_token: str) -> RespondentPublic | None:
    """The respondent with this resume token, or None (an unknown or malformed token)."""
    if not isinstance(resume_token, str) or not RESUME_TOKEN_PATTERN.match(resume_token.strip()):
        return None
    respondent = _respondent_by_token(session, resume_token.strip())
    return None if respondent is None else RespondentPublic.model_validate(respondent)


def list_respondents(session: Session, assessment_id: int) -> list[RespondentPublic]:
    """The respondents of an assessment in the order they joined."""
    statement = select(Respondent).where(Respondent.assessment_id == assessment_id).order_by(Respondent.id)
    return [RespondentPublic.model_validate(r) for r in session.exec(statement).all()]


def rated_components(session: Session, assessment_id: int) -> dict[int, int]:
    """How many components each respondent of an assessment has given a current stage for, by respondent id."""
    statement = (
        select(Respondent.id, sa.func.count(Answer.id))
        .join(Answer, sa.and_(Answer.respondent_id == Respondent.id, Answer.current_stage.is_not(None)), isouter=True)  # type: ignore[union-attr]
        .where(Respondent.assessment_id == assessment_id)
        .group_by(Respondent.id)
    )
    return {respondent_id: count for respondent_id, count in session.exec(statement).all()}


def respondents_named(session: Session, assessment_id: int, name: str | None) -> list[RespondentPublic]:
    """The named respondents of an assessment called ``name``, ignoring case and spaces, in the order they joined.

    Anonymous respondents are never matched. Used to offer a returning person their own response.
    """
    wanted = _folded(name)
    if not wanted:
        return []
    return [r for r in list_respondents(session, assessment_id) if not r.is_anonymous and _folded(r.name) == wanted]


def returning_respondents(
    session: Session, assessment_id: int, *, name: str | None, role: str | None
) -> list[RespondentPublic]:
    """The respondents of :func:`respondents_named` who also gave this role (case and spaces ignored).

    The check a returning person passes without their personal link: the name and the role they gave before (an
    empty role matches an empty role). Nothing about the others is returned.
    """
    wanted = _folded(role)
    return [r for r in respondents_named(session, assessment_id, name) if _folded(r.role) == wanted]


@dataclass(frozen=True)
class MergePlan:
    """Where each answer of two merged respondents comes from: the newer answer for each component wins."""

    keep_id: int
    merge_id: int
    from_kept: tuple[str, ...]  # component ids whose answer is the kept respondent's
    from_merged: tuple[str, ...]  # component ids whose answer comes from the merged respondent


def plan_merge(session: Session, *, keep_id: int, merge_id: int) -> MergePlan:
    """Which answers a merge of ``merge_id`` into ``keep_id`` would keep, without changing anything.

    For each component the answer saved last wins (the kept respondent's when both were saved at the same
    moment). ``ValueError``/``LookupError`` as :func:`merge_respondents`.
    """
    keep, merge = _merge_pair(session, keep_id, merge_id)
    return _merge_plan(session, keep, merge)


def merge_respondents(session: Session, *, keep_id: int, merge_id: int, actor: str | None = None) -> RespondentPublic:
    """Merge two respondents of one open assessment who are the same person, and audit it.

    The kept respondent keeps their name, role and personal link; the other respondent is removed and their link
    stops working. For each component the newer answer wins (see :func:`plan_merge`). ``ValueError`` for the same
    respondent twice, respondents of different assessments or a closed assessment; ``LookupError`` for an unknown id.
    """
    actor = _actor(actor)
    with write_transaction(session):
        keep, merge = _merge_pair(session, keep_id, merge_id)
        assessment = _assessment(session, keep.assessment_id)
        if assessment.status != AssessmentStatus.OPEN:
            raise ValueError(f"'{assessment.title}' is closed: reopen it to merge respondents")
        plan = _merge_plan(session, keep, merge)
        kept_answers = _answers_of(session, keep.id)
        before = {"kept": _respondent_text(keep, len(kept_answers)), "merged": _respondent_text(merge, None)}
        before["merged"]["answers"] = len(_answers_of(session, merge.id))
        replaced = [kept_answers[c].id for c in plan.from_merged if c in kept_answers]
        if replaced:
            session.exec(sa.delete(Answer).where(Answer.id.in_(replaced)))
        if plan.from_merged:
            session.exec(
                sa.update(Answer)
                .where(Answer.respondent_id == merge.id, Answer.component_id.in_(plan.from_merged))
                .values(respondent_id=keep.id)
            )
        session.exec(sa.delete(Answer).where(Answer.respondent_id == merge.id))
        session.exec(sa.delete(Respondent).where(Respondent.id == merge.id))
        session.expire_all()
        after = {
            "kept": _respondent_text(keep, len(_answers_of(session, keep.id))),
            "from_merged": list(plan.from_merged),
        }
        _audit(session, assessment, AuditAction.RESPONDENTS_MERGED, actor=actor, before=before, after=after)
        public = RespondentPublic.model_validate(_respondent(session, keep.id))
    return public


def personal_link_token(session: Session, respondent_id: int, *, actor: str | None = None) -> str:
    """A respondent's resume token, to show their personal link again; recorded in the audit trail (the token is not).

    ``LookupError`` when there is no such respondent.
    """
    actor = _actor(actor)
    with write_transaction(session):
        respondent = _respondent(session, respondent_id)
        assessment = _assessment(session, respondent.assessment_id)
        shown = {
            "respondent_id": respondent.id,
            "respondent": _display_name(respondent.id, respondent.name, respondent.is_anonymous),
        }
        _audit(session, assessment, AuditAction.LINK_SHOWN, actor=actor, before={}, after=shown)
        token = respondent.resume_token
    return token


# --- answers ---------------------------------------------------------------------------------------------------


def save_answer(
    session: Session,
    respondent_id: int,
    component_id: str,
    *,
    current_stage: int | None | _Unset = UNSET,
    target_stage: int | None | _Unset = UNSET,
    target_date: date | None | _Unset = UNSET,
    confidence: int | None | _Unset = UNSET,
    evidence_notes: str | None | _Unset = UNSET,
    evidence_links: Sequence[str] | str | None | _Unset = UNSET,
) -> AnswerPublic:
    """Save part or all of one answer in one transaction, as the respondent gives it.

    Only the fields passed change; ``None`` clears a field (a blank rating counts as missing in the results).
    Stages and confidence are checked against the assessment's framework version; ``evidence_links`` may be a
    list or one string with a link per line. ``updated_at`` is set to now. The answer is created on first save.
    """
    changes: dict[str, Any] = {
        name: value
        for name, value in (
            ("current_stage", current_stage),
            ("target_stage", target_stage),
            ("target_date", target_date),
            ("confidence", confidence),
            ("evidence_notes", evidence_notes),
            ("evidence_links", evidence_links),
        )
        if value is not UNSET
    }
    with write_transaction(session):
        row = session.exec(
            select(Assessment.status, Assessment.framework_id, Assessment.framework_version)
            .join(Respondent, Respondent.assessment_id == Assessment.id)
            .where(Respondent.id == respondent_id)
        ).first()
        if row is None:
            raise LookupError(f"no respondent with id {respondent_id}")
        status, framework_id, framework_version = row
        if status != AssessmentStatus.OPEN:
            raise ValueError("this assessment is closed: answers can no longer be changed")
        framework = load_framework(framework_id, framework_version)
        changes = validate_answer_fields(framework, component_id, changes)
        now = utc_now()
        table = Answer.__table__
        insert = _insert(session, table).values(
            respondent_id=respondent_id,
            component_id=component_id,
            created_at=now,
            updated_at=now,
            **{"evidence_links": [], **changes},
        )
        update = {name: insert.excluded[name] for name in changes}
        update["updated_at"] = insert.excluded.updated_at
        statement = insert.on_conflict_do_update(
            index_elements=["respondent_id", "component_id"], set_=update
        ).returning(*table.c)
        saved = session.exec(statement).one()
        public = AnswerPublic.model_validate(dict(saved._mapping))
    return public


def validate_answer_fields(framework: Framework, component_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Check answer fields against a framework and return them normalised; ``ValueError`` says what is wrong."""
    if not framework.has_component(component_id):
        raise ValueError(f"component {component_id!r} is not in framework {framework.key}")
    clean: dict[str, Any] = {}
    for name in ("current_stage", "target_stage"):
        if name in changes:
            value = changes[name]
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueError(f"{name.replace('_', ' ')} must be a whole number, got {value!r}")
                if not framework.min_score <= value <= framework.max_score:
                    raise ValueError(
                        f"{name.replace('_', ' ')} must be {framework.min_score}-{framework.max_score}, got {value}"
                    )
            clean[name] = value
    if "confidence" in changes:
        value = changes["confidence"]
        levels = [level.score for level in framework.confidence_levels]
        if value is not None and (isinstance(value, bool) or value not in levels):
            raise ValueError(f"confidence must be one of {levels}, got {value!r}")
        clean["confidence"] = value
    if "target_date" in changes:
        value = changes["target_date"]
        if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
            raise ValueError(f"target date must be a date, got {value!r}")
        clean["target_date"] = value
    if "evidence_notes" in changes:
        value = changes["evidence_notes"]
        if value is not None:
            if not isinstance(value, str):
                raise ValueError("evidence notes must be text")
            if len(value) > MAX_NOTES_LENGTH:
                raise ValueError(f"evidence notes are limited to {MAX_NOTES_LENGTH} characters")
            if not value.strip():
                value = None
        clean["evidence_notes"] = value
    if "evidence_links" in changes:
        clean["evidence_links"] = _links(changes["evidence_links"])
    unknown = set(changes) - set(clean)
    if unknown:
        raise ValueError(f"unknown answer field(s): {', '.join(sorted(unknown))}")
    return clean


def answers_for_respondent(session: Session, respondent_id: int) -> dict[str, AnswerPublic]:
    """A respondent's saved answers by component id, to fill the questionnaire in again when they resume."""
    statement = select(Answer).where(Answer.respondent_id == respondent_id).order_by(Answer.component_id)
    return {a.component_id: AnswerPublic.model_validate(a) for a in session.exec(statement).all()}


ANSWER_FRAME_COLUMNS = (
    "answer_id",
    "respondent_id",
    "respondent",  # the name, or "Anonymous respondent <id>"
    "role",
    "is_anonymous",
    "component_id",
    "current_stage",
    "target_stage",
    "target_date",
    "confidence",
    "evidence_notes",
    "evidence_links",
    "created_at",
    "updated_at",
)


def answers_for(session: Session, assessment_id: int) -> pd.DataFrame:
    """Every answer of an assessment, one row per respondent and component, ordered by respondent then component.

    Columns: ``ANSWER_FRAME_COLUMNS``; ratings are nullable integers (``<NA>`` = not answered); ``respondent`` is
    the name, or "Anonymous respondent <id>".
    """
    statement = (
        select(
            Answer.id,
            Answer.respondent_id,
            Respondent.name,
            Respondent.role,
            Respondent.is_anonymous,
            Answer.component_id,
            Answer.current_stage,
            Answer.target_stage,
            Answer.target_date,
            Answer.confidence,
            Answer.evidence_notes,
            Answer.evidence_links,
            Answer.created_at,
            Answer.updated_at,
        )
        .join(Respondent, Answer.respondent_id == Respondent.id)
        .where(Respondent.assessment_id == assessment_id)
        .order_by(Respondent.id, Answer.component_id)
    )
    records = []
    for row in session.exec(statement).all():
        record = dict(zip(ANSWER_FRAME_COLUMNS, row, strict=True))
        record["respondent"] = _display_name(record["respondent_id"], record["respondent"], record["is_anonymous"])
        record["evidence_links"] = list(record["evidence_links"] or [])
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=list(ANSWER_FRAME_COLUMNS))
    for column in ("answer_id", "respondent_id", "current_stage", "target_stage", "confidence"):
        frame[column] = frame[column].astype("Int64")
    frame["is_anonymous"] = frame["is_anonymous"].astype("boolean")
    frame["target_date"] = frame["target_date"].astype(object)
    return frame


# --- results ---------------------------------------------------------------------------------------------------


def assessment_results(
    session: Session,
    assessment_id: int,
    *,
    rule: AgreementRule = DEFAULT_AGREEMENT_RULE,
    median_tie: MedianTie = "lower",
) -> AssessmentResult:
    """Score an assessment under its own framework version (see :mod:`maturity.scoring` for the rules)."""
    assessment = get_assessment(session, assessment_id)
    respondent_ids = session.exec(select(Respondent.id).where(Respondent.assessment_id == assessment_id)).all()
    return score_assessment(
        answers_for(session, assessment_id),
        framework_for(assessment),
        respondent_ids=respondent_ids,
        rule=rule,
        median_tie=median_tie,
    )


def history(
    session: Session,
    organisation_id: int,
    *,
    rule: AgreementRule = DEFAULT_AGREEMENT_RULE,
    median_tie: MedianTie = "lower",
) -> pd.DataFrame:
    """Results of every assessment of an organisation, oldest first, for trend charts.

    One row per assessment and component/capability/overall (see :func:`maturity.scoring.results_frame`), plus
    ``assessment_id``, ``assessment_date``, ``title``, ``framework_version`` and ``n_respondents``. Component ids
    of older framework versions are mapped to those of the newest assessment's framework; ``in_reference`` is
    False for components that framework no longer has.
    """
    assessments = list_assessments(session, organisation_id=organisation_id)
    return _results_table(session, assessments, rule=rule, median_tie=median_tie)


def compare(
    session: Session,
    organisation_ids: Sequence[int],
    *,
    status: AssessmentStatus | str | None = None,
    rule: AgreementRule = DEFAULT_AGREEMENT_RULE,
    median_tie: MedianTie = "lower",
) -> pd.DataFrame:
    """The latest assessment of each organisation side by side (e.g. the places of one ICS).

    Same columns as :func:`history` plus ``organisation_id`` and ``organisation``; organisations with no
    assessment (of ``status``, when given) are left out. Rows follow the order of ``organisation_ids``.
    """
    latest = []
    for organisation_id in dict.fromkeys(organisation_ids):
        assessments = list_assessments(session, organisation_id=organisation_id, status=status)
        if assessments:
            latest.append(assessments[-1])
    return _results_table(session, latest, rule=rule, median_tie=median_tie)


# --- internals -------------------------------------------------------------------------------------------------


def _results_table(
    session: Session, assessments: Sequence[AssessmentPublic], *, rule: AgreementRule, median_tie: MedianTie
) -> pd.DataFrame:
    if not assessments:
        return pd.DataFrame(columns=["organisation_id", "organisation", "assessment_id", "assessment_date"])
    frameworks = [framework_for(a) for a in assessments]
    reference = max(frameworks, key=lambda f: (f.id == frameworks[-1].id, f.version))
    names = {o.id: o.name for o in list_organisations(session)}
    frames = []
    for assessment in assessments:
        result = assessment_results(session, assessment.id, rule=rule, median_tie=median_tie)
        frame = results_frame(result, reference=reference if reference.id == assessment.framework_id else None)
        frame.insert(0, "n_respondents", result.n_respondents)
        frame.insert(0, "framework_version", assessment.framework_version)
        frame.insert(0, "title", assessment.title)
        frame.insert(0, "assessment_date", assessment.assessment_date)
        frame.insert(0, "assessment_id", assessment.id)
        frame.insert(0, "organisation", names.get(assessment.organisation_id))
        frame.insert(0, "organisation_id", assessment.organisation_id)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _display_name(respondent_id: int, name: str | None, is_anonymous: bool) -> str:
    return name if (name and not is_anonymous) else f"Anonymous respondent {respondent_id}"


def _insert(session: Session, table: sa.Table) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"upserts are implemented for SQLite and PostgreSQL, not {dialect}")


def _organisation(session: Session, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise LookupError(f"no organisation with id {organisation_id}")
    return organisation


def _assessment(session: Session, assessment_id: int) -> Assessment:
    assessment = session.get(Assessment, assessment_id)
    if assessment is None:
        raise LookupError(f"no assessment with id {assessment_id}")
    return assessment


def _respondent(session: Session, respondent_id: int) -> Respondent:
    respondent = session.get(Respondent, respondent_id)
    if respondent is None:
        raise LookupError(f"no respondent with id {respondent_id}")
    return respondent


def _merge_pair(session: Session, keep_id: int, merge_id: int) -> tuple[Respondent, Respondent]:
    if keep_id == merge_id:
        raise ValueError("choose two different respondents: a respondent cannot be merged with the same respondent")
    keep, merge = _respondent(session, keep_id), _respondent(session, merge_id)
    if keep.assessment_id != merge.assessment_id:
        raise ValueError("only two respondents of the same assessment can be merged")
    return keep, merge


def _answers_of(session: Session, respondent_id: int) -> dict[str, Answer]:
    return {a.component_id: a for a in session.exec(select(Answer).where(Answer.respondent_id == respondent_id)).all()}


def _merge_plan(session: Session, keep: Respondent, merge: Respondent) -> MergePlan:
    kept, merged = _answers_of(session, keep.id), _answers_of(session, merge.id)
    from_merged = sorted(c for c, a in merged.items() if c not in kept or a.updated_at > kept[c].updated_at)
    from_kept = sorted(set(kept) - set(from_merged))
    return MergePlan(keep.id, merge.id, tuple(from_kept), tuple(from_merged))


def _respondent_text(respondent: Respondent, answers: int | None) -> dict[str, Any]:
    return {"id": respondent.id, "name": respondent.name, "role": respondent.role, "answers": answers}


def _audit(
    session: Session,
    assessment: Assessment,
    action: AuditAction,
    *,
    actor: str | None,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    session.add(
        AuditEvent(
            assessment_id=assessment.id,
            assessment_uid=assessment.uid,
            assessment_title=assessment.title,
            action=action,
            actor=actor,
            before=before,
            after=after,
            at=utc_now(),
        )
    )
    session.flush()


def _actor(actor: str | None) -> str | None:
    return _optional_text(actor, "the person making the change", max_length=MAX_ACTOR_LENGTH)


def _organisation_text(organisation: Organisation) -> str:
    return f"{organisation.name} ({OrganisationKind(organisation.kind).value})"


def _plain(value: Any) -> Any:
    """A value as the audit trail stores it (JSON): dates as ISO text."""
    return value.isoformat() if isinstance(value, date) else value


def _folded(text: str | None) -> str:
    """Text compared ignoring case and runs of spaces ('  Ann  LEE ' and 'ann lee' are the same)."""
    return " ".join((text or "").split()).casefold()


def _check_title_free(session: Session, organisation: Organisation, title: str, *, except_id: int) -> None:
    titles = session.exec(
        select(Assessment.title).where(Assessment.organisation_id == organisation.id, Assessment.id != except_id)
    ).all()
    clash = next((t for t in titles if _folded(t) == _folded(title)), None)
    if clash is not None:
        raise ValueError(f"{organisation.name} already has an assessment called {clash!r}; choose another title")


def _respondent_by_token(session: Session, token: str) -> Respondent | None:
    return session.exec(select(Respondent).where(Respondent.resume_token == token)).first()


def _check_organisation_free(session: Session, kind: OrganisationKind, name: str) -> None:
    clash = session.exec(select(Organisation.id).where(Organisation.kind == kind, Organisation.name == name)).first()
    if clash is not None:
        raise ValueError(f"there is already an organisation of kind {kind.value!r} called {name!r}")


def _check_footprint_free(session: Session, area_code: str, geography_version: str) -> None:
    clash = session.exec(
        select(Organisation.name).where(
            Organisation.geography_version == geography_version, Organisation.area_code == area_code
        )
    ).first()
    if clash is not None:
        raise ValueError(f"{clash!r} already stands for area {area_code} on geography version {geography_version}")


def _footprint(area_code: str | None, area_level: AreaLevel | str | None) -> tuple[str | None, AreaLevel | None]:
    code = _optional_text(area_code, "area code", max_length=20)
    level = None if area_level is None else _area_level(area_level)
    if (code is None) != (level is None):
        raise ValueError("give both the area code and the area level of the footprint, or neither")
    return code, level


def _area_level(level: AreaLevel | str) -> AreaLevel:
    try:
        return AreaLevel(str(level).lower())
    except ValueError:
        raise ValueError(f"area level must be one of {', '.join(AreaLevel)}, got {level!r}") from None


def _organisation_kind(kind: OrganisationKind | str) -> OrganisationKind:
    try:
        return OrganisationKind(str(kind).lower())
    except ValueError:
        raise ValueError(f"organisation kind must be one of {', '.join(OrganisationKind)}, got {kind!r}") from None


def _required_text(value: Any, what: str, *, max_length: int = MAX_NAME_LENGTH) -> str:
    text = _optional_text(value, what, max_length=max_length)
    if text is None:
        raise ValueError(f"{what} must not be empty")
    return text


def _optional_text(value: Any, what: str, *, max_length: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text, got {value!r}")
    value = value.strip()
    if not value:
        return None
    if len(value) > max_length:
        raise ValueError(f"{what} is limited to {max_length} characters")
    return value


def _links(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise ValueError("evidence links must be a list of text (or one link per line)")
    links = [v.strip() for v in value if v.strip()]
    if len(links) > MAX_LINKS:
        raise ValueError(f"at most {MAX_LINKS} evidence links per answer")
    for link in links:
        if len(link) > MAX_LINK_LENGTH:
            raise ValueError(f"an evidence link is limited to {MAX_LINK_LENGTH} characters")
    return links
