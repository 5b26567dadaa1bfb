"""Running a live workshop: functions that take a ``Session``, used by the facilitator and participant pages.

A facilitator starts a live session on an open maturity assessment and gets a short join code. Participants join
with the code and receive a secret token; each participant is a maturity respondent of the assessment, so their
answers are ordinary maturity answers saved by :func:`maturity.repository.save_answer` (an atomic upsert: no
answer is lost or duplicated when many people answer at once).

Access rules, checked here for every participant read and write:

* a participant is identified only by ``(join code, token)``; the respondent id is never taken from the caller;
* the token must belong to a participant of the session with that code (``AccessDenied`` otherwise), so a
  participant can read and write only their own answers, and only through the session they joined;
* writes need the session open and not expired (``SessionUnavailable``) and, when the facilitator paces the
  room, the component the room is on (``WorkshopError``).

Facilitator functions take the live session's id; the pages check the user's role before calling them
(``ui.access``). Every write is one transaction that commits or rolls back.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from maturity import repository
from maturity.framework import Framework
from maturity.models import AnswerPublic, Assessment, AssessmentStatus, Respondent, utc_now
from maturity.repository import UNSET, write_transaction
from maturity.scoring import AssessmentResult, score_assessment
from phm_core.settings import display_time_zone
from workshop.models import (
    Agreement,
    AgreementPublic,
    LiveSession,
    LiveSessionPublic,
    LiveStatus,
    Participant,
    ParticipantPublic,
)

#: Join codes: no 0/O, 1/I/L, so a code read off a projector is typed right. 31**8 is about 8.5e11 codes.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8
DEFAULT_HOURS = 4.0
MAX_HOURS = 24.0
TOKEN_BYTES = 24  # 32 URL-safe characters
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
MAX_NAME_LENGTH = repository.MAX_NAME_LENGTH
MAX_ACTIONS_LENGTH = 5_000
PARTICIPANT_FIELDS = ("current_stage", "target_stage", "confidence", "evidence_notes")
NOTE_FIELDS = ("evidence_notes",)  # kept even after the room has moved on (see save_participant_answer)


class WorkshopError(ValueError):
    """Something a participant or facilitator asked for that cannot be done (the message says why)."""


class SessionUnavailable(WorkshopError):
    """No open session has this code: unknown, closed or expired."""


class AccessDenied(PermissionError):
    """The token does not belong to a participant of this session."""


@dataclass(frozen=True)
class JoinedParticipant:
    """A new participant and their secret token (shown once; only its hash is stored)."""

    participant: ParticipantPublic
    token: str


@dataclass(frozen=True)
class ParticipantView:
    """What one participant may see: the session's state and their own answers, nothing else."""

    live: LiveSessionPublic
    participant: ParticipantPublic
    answers: dict[str, AnswerPublic]
    is_open: bool


@dataclass(frozen=True)
class LiveResults:
    """The facilitator's live panel: the room's answers scored (participants of this session only)."""

    live: LiveSessionPublic
    n_participants: int
    result: AssessmentResult
    answered: dict[str, int]
    agreements: dict[str, AgreementPublic] = field(default_factory=dict)
    participants: tuple[ParticipantPublic, ...] = ()

    @property
    def framework(self) -> Framework:
        return self.result.framework

    def everyone_answered(self, component_id: str) -> bool:
        """True when every participant (at least one) has rated the component's current stage."""
        return self.n_participants > 0 and self.answered.get(component_id, 0) >= self.n_participants


# --- codes and tokens ------------------------------------------------------------------------------------------


def new_join_code() -> str:
    """An unguessable join code of eight characters from :data:`JOIN_CODE_ALPHABET` (``secrets``)."""
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalise_code(text: str | None) -> str | None:
    """The code as stored ('abcd-2345 ' -> 'ABCD2345'), or None when it cannot be a join code."""
    if not isinstance(text, str):
        return None
    code = re.sub(r"[\s-]", "", text).upper()
    if len(code) != JOIN_CODE_LENGTH or any(c not in JOIN_CODE_ALPHABET for c in code):
        return None
    return code


def format_code(code: str) -> str:
    """'ABCD2345' -> 'ABCD 2345', easier to read off a screen."""
    return f"{code[:4]} {code[4:]}"


def local_time_text(moment: datetime, *, zone: ZoneInfo, with_date: bool = False, seconds: bool = False) -> str:
    """A time as people in the room read it, with UTC beside it: '16:30 GMT (16:30 UTC)', '16:30 BST (15:30 UTC)'.

    ``with_date`` adds the local date ('16:30 GMT on 29 Nov 2026 (16:30 UTC)'), and the UTC date too when it is
    another day. A time without a zone is taken to be UTC (as the database stores it).
    """
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    local = utc.astimezone(zone)
    clock = "%H:%M:%S" if seconds else "%H:%M"
    text = f"{local.strftime(clock)} {local.tzname()}"
    if with_date:
        text += f" on {local:%d %b %Y}"
    if local.tzname() == "UTC":
        return text
    utc_text = f"{utc.strftime(clock)} UTC"
    if with_date and utc.date() != local.date():
        utc_text += f" on {utc:%d %b}"
    return f"{text} ({utc_text})"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- facilitator -----------------------------------------------------------------------------------------------


def start_session(
    session: Session,
    *,
    assessment_id: int,
    title: str | None = None,
    hours: float = DEFAULT_HOURS,
    hide_results: bool = True,
    paced: bool = True,
    created_by: str | None = None,
    now: datetime | None = None,
) -> LiveSessionPublic:
    """Open a live session on an open assessment; it expires after ``hours`` (at most :data:`MAX_HOURS`).

    Paced sessions start on the framework's first component; unpaced ones let participants answer any component.
    """
    if not isinstance(hours, int | float) or isinstance(hours, bool) or not 0 < hours <= MAX_HOURS:
        raise WorkshopError(f"a live session lasts more than 0 and at most {MAX_HOURS:g} hours, got {hours!r}")
    now = now or utc_now()
    assessment = repository.get_assessment(session, assessment_id)
    if assessment.status != AssessmentStatus.OPEN:
        raise WorkshopError("this assessment is closed: reopen it to run a live session")
    framework = repository.framework_for(assessment)
    title = _text(title, "title") or f"Live session {now.astimezone(display_time_zone()):%d %b %Y %H:%M %Z}"
    for _attempt in range(5):  # a clash of random codes is vanishingly rare; retry rather than fail
        try:
            with write_transaction(session):
                live = LiveSession(
                    assessment_id=assessment_id,
                    title=title,
                    join_code=new_join_code(),
                    pace_component_id=framework.component_ids[0] if paced else None,
                    hide_results=bool(hide_results),
                    expires_at=now + timedelta(hours=float(hours)),
                    created_by=_text(created_by, "facilitator"),
                    created_at=now,
                )
                session.add(live)
                session.flush()
                return LiveSessionPublic.model_validate(live)
        except sa.exc.IntegrityError:
            continue
    raise WorkshopError("could not find a free join code; try again")


def get_live_session(session: Session, live_id: int) -> LiveSessionPublic:
    """One live session by id; ``LookupError`` when there is none."""
    return LiveSessionPublic.model_validate(_live(session, live_id))


def list_live_sessions(session: Session, *, assessment_id: int | None = None) -> list[LiveSessionPublic]:
    """Live sessions, newest first, optionally of one assessment."""
    statement = select(LiveSession).order_by(LiveSession.created_at.desc(), LiveSession.id.desc())
    if assessment_id is not None:
        statement = statement.where(LiveSession.assessment_id == assessment_id)
    return [LiveSessionPublic.model_validate(s) for s in session.exec(statement).all()]


def set_pace(session: Session, live_id: int, component_id: str | None) -> LiveSessionPublic:
    """Put the room on one component (participants answer only that one), or None to let them answer any.

    Moving to another component hides its results again when the session hides results until revealed.
    """
    with write_transaction(session):
        live = _live(session, live_id)
        _require_open(live, utc_now())
        if component_id is not None:
            framework = _framework(session, live.assessment_id)
            if not framework.has_component(component_id):
                raise WorkshopError(f"component {component_id!r} is not in framework {framework.key}")
        if component_id != live.pace_component_id:
            live.pace_component_id = component_id
            live.results_revealed = False
            live.state_version += 1
        session.add(live)
        session.flush()
        return LiveSessionPublic.model_validate(live)


def set_results_visibility(
    session: Session, live_id: int, *, revealed: bool | None = None, hide_until_revealed: bool | None = None
) -> LiveSessionPublic:
    """Reveal or hide the results on the facilitator's screen, or change whether they start hidden."""
    with write_transaction(session):
        live = _live(session, live_id)
        if revealed is not None:
            live.results_revealed = bool(revealed)
        if hide_until_revealed is not None:
            live.hide_results = bool(hide_until_revealed)
        live.state_version += 1
        session.add(live)
        session.flush()
        return LiveSessionPublic.model_validate(live)


def close_session(session: Session, live_id: int, *, now: datetime | None = None) -> LiveSessionPublic:
    """End a live session: no more participants or answers through it (the assessment itself stays open)."""
    with write_transaction(session):
        live = _live(session, live_id)
        if live.status != LiveStatus.CLOSED:
            live.status = LiveStatus.CLOSED
            live.closed_at = now or utc_now()
            live.state_version += 1
        session.add(live)
        session.flush()
        return LiveSessionPublic.model_validate(live)


def record_agreement(
    session: Session,
    live_id: int,
    component_id: str,
    *,
    agreed_stage: int | None,
    actions: str | None = None,
    recorded_by: str | None = None,
) -> AgreementPublic:
    """Record (or change) the stage the room agreed on for a component and the actions it chose."""
    actions = actions.strip() if isinstance(actions, str) else None
    if actions and len(actions) > MAX_ACTIONS_LENGTH:
        raise WorkshopError(f"actions are limited to {MAX_ACTIONS_LENGTH} characters")
    with write_transaction(session):
        live = _live(session, live_id)
        framework = _framework(session, live.assessment_id)
        if not framework.has_component(component_id):
            raise WorkshopError(f"component {component_id!r} is not in framework {framework.key}")
        if agreed_stage is not None and (
            isinstance(agreed_stage, bool)
            or not isinstance(agreed_stage, int)
            or not framework.min_score <= agreed_stage <= framework.max_score
        ):
            raise WorkshopError(f"the agreed stage must be {framework.min_score}-{framework.max_score}")
        agreement = session.exec(
            select(Agreement).where(Agreement.session_id == live_id, Agreement.component_id == component_id)
        ).first()
        if agreement is None:
            agreement = Agreement(session_id=live_id, component_id=component_id)
        agreement.agreed_stage = agreed_stage
        agreement.actions = actions or None
        agreement.recorded_by = _text(recorded_by, "facilitator")
        agreement.recorded_at = utc_now()
        session.add(agreement)
        session.flush()
        return AgreementPublic.model_validate(agreement)


def agreements_for(session: Session, live_id: int) -> dict[str, AgreementPublic]:
    """What the room agreed, by component id."""
    rows = session.exec(select(Agreement).where(Agreement.session_id == live_id)).all()
    return {a.component_id: AgreementPublic.model_validate(a) for a in rows}


def list_participants(session: Session, live_id: int) -> list[ParticipantPublic]:
    """The session's participants in the order they joined (names only: no tokens)."""
    statement = (
        select(Participant, Respondent)
        .join(Respondent, Participant.respondent_id == Respondent.id)
        .where(Participant.session_id == live_id)
        .order_by(Participant.id)
    )
    return [_participant_public(p, r) for p, r in session.exec(statement).all()]


def live_results(session: Session, live_id: int) -> LiveResults:
    """The room's answers scored with the maturity rules (median, agreement, target), participants only."""
    live = get_live_session(session, live_id)
    assessment = repository.get_assessment(session, live.assessment_id)
    framework = repository.framework_for(assessment)
    participants = tuple(list_participants(session, live_id))
    ids = [p.respondent_id for p in participants]
    answers = repository.answers_for(session, live.assessment_id)
    answers = answers.loc[answers["respondent_id"].isin(ids)] if ids else answers.iloc[0:0]
    result = score_assessment(answers, framework, respondent_ids=ids)
    rated = answers.loc[answers["current_stage"].notna()]
    answered = {cid: int(n) for cid, n in rated.groupby("component_id").size().items()}
    return LiveResults(
        live=live,
        n_participants=len(ids),
        result=result,
        answered=answered,
        agreements=agreements_for(session, live_id),
        participants=participants,
    )


def session_record(session: Session, live_id: int) -> pd.DataFrame:
    """One row per component: the room's median current and target stages, agreement, and what was agreed."""
    results = live_results(session, live_id)
    framework = results.framework
    rows = []
    for component in results.result.components:
        agreed = results.agreements.get(component.component_id)
        rows.append(
            {
                "capability": framework.capability(component.capability_id).label,
                "component": component.label,
                "answered": results.answered.get(component.component_id, 0),
                "participants": results.n_participants,
                "median_current": component.current,
                "median_target": component.target,
                "agreement": component.agreement.value,
                "agreed_stage": framework.stage(agreed.agreed_stage).label if agreed and agreed.agreed_stage else None,
                "actions": agreed.actions if agreed else None,
            }
        )
    return pd.DataFrame(rows)


# --- participants ----------------------------------------------------------------------------------------------


def find_open_session(session: Session, code: str | None, *, now: datetime | None = None) -> LiveSessionPublic:
    """The open session with this join code; ``SessionUnavailable`` says why there is none."""
    normal = normalise_code(code)
    if normal is None:
        raise SessionUnavailable("that is not a join code: it has eight letters and digits, e.g. ABCD 2345")
    live = session.exec(select(LiveSession).where(LiveSession.join_code == normal)).first()
    if live is None:
        raise SessionUnavailable("no live session has this code: check it with the facilitator")
    _require_open(live, now or utc_now())
    return LiveSessionPublic.model_validate(live)


def join_session(
    session: Session,
    code: str | None,
    *,
    name: str | None = None,
    role: str | None = None,
    anonymous: bool = False,
    now: datetime | None = None,
) -> JoinedParticipant:
    """Join an open session: a new maturity respondent of its assessment and a participant token, in one transaction."""
    name = _text(name, "name")
    role = _text(role, "role")
    if anonymous:
        name = None
    elif name is None:
        raise WorkshopError("please give your name, or choose to answer anonymously")
    normal = normalise_code(code)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = now or utc_now()
    with write_transaction(session):
        live = session.exec(select(LiveSession).where(LiveSession.join_code == normal)).first() if normal else None
        if live is None:
            raise SessionUnavailable("no live session has this code: check it with the facilitator")
        _require_open(live, now)
        assessment = session.get(Assessment, live.assessment_id)
        if assessment is None or assessment.status != AssessmentStatus.OPEN:
            raise SessionUnavailable("this assessment is closed: it takes no new answers")
        respondent = Respondent(
            assessment_id=live.assessment_id,
            name=name,
            role=role,
            is_anonymous=bool(anonymous),
            resume_token=repository.new_resume_token(),
            created_at=now,
        )
        session.add(respondent)
        session.flush()
        participant = Participant(
            session_id=live.id, respondent_id=respondent.id, token_hash=_hash(token), joined_at=now
        )
        session.add(participant)
        session.flush()
        public = _participant_public(participant, respondent)
    return JoinedParticipant(participant=public, token=token)


def participant_view(
    session: Session, code: str | None, token: str | None, *, now: datetime | None = None
) -> ParticipantView:
    """The session's state and this participant's own answers (also after the session has closed, read-only)."""
    live, participant, respondent = _authorise(session, code, token)
    public_live = LiveSessionPublic.model_validate(live)
    return ParticipantView(
        live=public_live,
        participant=_participant_public(participant, respondent),
        answers=repository.answers_for_respondent(session, participant.respondent_id),
        is_open=public_live.is_open_at(now or utc_now()),
    )


def session_state(session: Session, code: str | None, token: str | None) -> tuple[int, str, str | None]:
    """What a participant's page polls: (state version, status, paced component), after the same access check."""
    live, _, _ = _authorise(session, code, token)
    return live.state_version, str(live.status), live.pace_component_id


def save_participant_answer(
    session: Session,
    code: str | None,
    token: str | None,
    component_id: str,
    *,
    now: datetime | None = None,
    **fields: Any,
) -> AnswerPublic:
    """Save part of the participant's own answer for one component (the fields in :data:`PARTICIPANT_FIELDS`).

    ``AccessDenied`` when the token is not a participant of the session with this code; ``SessionUnavailable``
    when it has closed or expired; ``WorkshopError`` when the room is paced on another component (except for
    a note: one typed as the room moved on is kept);
    ``ValueError`` for a stage or confidence the framework does not have.
    """
    unknown = set(fields) - set(PARTICIPANT_FIELDS)
    if unknown:
        raise WorkshopError(f"participants cannot set {', '.join(sorted(unknown))}")
    if not fields:
        raise WorkshopError("nothing to save")
    live, participant, _ = _authorise(session, code, token)
    _require_open(live, now or utc_now())
    paced_elsewhere = live.pace_component_id is not None and component_id != live.pace_component_id
    if paced_elsewhere and set(fields) - set(NOTE_FIELDS):
        # Ratings are counted live, so only the room's component takes them. A note is kept wherever the room
        # is: it was typed while the room was on its component and reaches us as the room moves on.
        raise WorkshopError("the room has moved on to another component: your page shows the one to answer now")
    # save_answer ends this read and runs its own write transaction (an atomic upsert).
    values = {k: v for k, v in fields.items() if v is not UNSET}
    return repository.save_answer(session, participant.respondent_id, component_id, **values)


# --- internals -------------------------------------------------------------------------------------------------


def _authorise(session: Session, code: str | None, token: str | None) -> tuple[LiveSession, Participant, Respondent]:
    """The participant holding ``token`` in the session with ``code``; ``AccessDenied`` for anything else."""
    normal = normalise_code(code)
    if normal is None or not isinstance(token, str) or not TOKEN_PATTERN.match(token):
        raise AccessDenied("this link is not valid for this session: join again with the code")
    row = session.exec(
        select(Participant, LiveSession, Respondent)
        .join(LiveSession, Participant.session_id == LiveSession.id)
        .join(Respondent, Participant.respondent_id == Respondent.id)
        .where(Participant.token_hash == _hash(token))
    ).first()
    if row is None:
        raise AccessDenied("this link is not valid for this session: join again with the code")
    participant, live, respondent = row
    # Compare in constant time: the token matched, the code must be this participant's own session.
    if not secrets.compare_digest(live.join_code, normal) or respondent.assessment_id != live.assessment_id:
        raise AccessDenied("this link is not valid for this session: join again with the code")
    return live, participant, respondent


def _require_open(live: LiveSession | LiveSessionPublic, now: datetime) -> None:
    if live.status != LiveStatus.OPEN:
        raise SessionUnavailable("this live session has ended: thank you for taking part")
    if now >= live.expires_at:
        raise SessionUnavailable("this live session has expired: ask the facilitator for a new code")


def _live(session: Session, live_id: int) -> LiveSession:
    live = session.get(LiveSession, live_id)
    if live is None:
        raise LookupError(f"no live session with id {live_id}")
    return live


def _framework(session: Session, assessment_id: int) -> Framework:
    return repository.framework_for(repository.get_assessment(session, assessment_id))


def _participant_public(participant: Participant, respondent: Respondent) -> ParticipantPublic:
    name = respondent.name if (respondent.name and not respondent.is_anonymous) else f"Participant {participant.id}"
    return ParticipantPublic(
        id=participant.id,
        session_id=participant.session_id,
        respondent_id=participant.respondent_id,
        display_name=name,
        joined_at=participant.joined_at,
    )


def _text(value: object, what: str, *, max_length: int = MAX_NAME_LENGTH) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise WorkshopError(f"{what} must be text")
    value = value.strip()
    if len(value) > max_length:
        raise WorkshopError(f"{what} is limited to {max_length} characters")
    return value or None


def participant_ids(session: Session, live_id: int) -> Sequence[int]:
    """Respondent ids of a session's participants (for tests and exports)."""
    return list(session.exec(select(Participant.respondent_id).where(Participant.session_id == live_id)).all())


# --- join-code guessing ------------------------------------------------------------------------------------------


class JoinCodeLimiter:
    """Throttles wrong join codes: per client with back-off, and for the whole server; thread-safe, in the process.

    A client (one browser session) has ``free_tries`` wrong codes; after that each wrong code makes it wait, twice
    as long as the time before (``first_wait`` seconds, then 2x, 4x ... up to ``max_wait``). A client quiet for
    ``FORGET_AFTER_SECONDS`` starts again, and a right code clears its record. The same wrong code twice in a
    row counts once (it guesses nothing new). Whoever sends them, only ``global_limit`` wrong codes are taken in
    any ``global_window`` seconds: a guesser who opens a new session for every guess meets this limit (and so, for
    a moment, does everyone else). ``clock`` returns seconds (monotonic).
    With the defaults a guesser gets about one guess a second overall; the code space is 31^8 (about 8.5 x 10^11).
    """

    FORGET_AFTER_SECONDS = 15 * 60.0
    MAX_CLIENTS = 10_000

    def __init__(
        self,
        *,
        free_tries: int = 5,
        first_wait: float = 2.0,
        max_wait: float = 300.0,
        global_limit: int = 60,
        global_window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if free_tries < 1:
            raise ValueError("free_tries must be at least 1")
        if first_wait <= 0 or max_wait < first_wait:
            raise ValueError("first_wait must be positive and max_wait at least first_wait")
        if global_limit < 1 or global_window <= 0:
            raise ValueError("global_limit must be at least 1 and global_window positive")
        self.free_tries = free_tries
        self.first_wait = first_wait
        self.max_wait = max_wait
        self.global_limit = global_limit
        self.global_window = global_window
        self._clock = clock
        self._lock = threading.Lock()
        # client: (wrong codes, last at, refused until, last wrong code)
        self._clients: dict[str, tuple[int, float, float, str | None]] = {}
        self._recent: deque[float] = deque(maxlen=global_limit)  # times of the most recent wrong codes

    def wait_seconds(self, client: str) -> int:
        """Whole seconds ``client`` must wait before trying a code (0: it may try now)."""
        with self._lock:
            now = self._clock()
            until = 0.0
            record = self._clients.get(client)
            if record is not None and now - record[1] < self.FORGET_AFTER_SECONDS:
                until = record[2]
            if len(self._recent) == self.global_limit:
                until = max(until, self._recent[0] + self.global_window)
            return max(0, math.ceil(until - now))

    def record_failure(self, client: str, code: str) -> None:
        """Count a wrong (unknown, closed or expired) ``code`` from ``client``; the same code again straight after
        (a page redrawn, a retry) is one guess, not another."""
        with self._lock:
            now = self._clock()
            count, last, until, last_code = self._clients.get(client, (0, now, now, None))
            if now - last >= self.FORGET_AFTER_SECONDS:
                count, last_code = 0, None
            if code == last_code:
                return
            count += 1
            wait = 0.0
            if count >= self.free_tries:
                wait = min(self.first_wait * 2 ** min(count - self.free_tries, 32), self.max_wait)
            self._clients[client] = (count, now, now + wait, code)
            self._recent.append(now)
            if len(self._clients) > self.MAX_CLIENTS:
                self._forget_quiet_clients(now)

    def record_success(self, client: str) -> None:
        """A right code from ``client``: its wrong codes are forgotten (the server-wide count is not)."""
        with self._lock:
            self._clients.pop(client, None)

    def _forget_quiet_clients(self, now: float) -> None:
        for client, (_, last, until, _) in list(self._clients.items()):
            if now - last >= self.FORGET_AFTER_SECONDS and until <= now:
                del self._clients[client]
        while len(self._clients) > self.MAX_CLIENTS:  # still too many: the oldest go first
            del self._clients[min(self._clients, key=lambda c: self._clients[c][1])]
