"""Live workshop service: join codes, joining, pacing, expiry, agreements, live results, and isolation between
participants and sessions (a participant can never read or write anyone else's answers)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import workshop_fixtures
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import Session

from maturity import repository
from maturity.models import utc_now
from workshop import service
from workshop.db import VERSION_TABLE, current_revision
from workshop.models import TABLE_PREFIX, WORKSHOP_METADATA

pytestmark = pytest.mark.unit

engine = workshop_fixtures.engine
FIRST = "organisational_factors"
SECOND = "digitised_care_record"


@pytest.fixture
def live(engine):
    assessment = workshop_fixtures.make_assessment(engine)
    with Session(engine) as s:
        return service.start_session(s, assessment_id=assessment.id, title="Board session")


def join(engine, live, name: str) -> service.JoinedParticipant:
    with Session(engine) as s:
        return service.join_session(s, live.join_code, name=name)


def test_migrations_have_their_own_version_table_and_match_the_models(engine) -> None:
    assert current_revision(engine) == "0001"
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "version_table": VERSION_TABLE,
                "compare_type": True,
                "include_name": lambda name, type_, _: type_ != "table" or name.startswith(TABLE_PREFIX),
                "include_object": lambda _o, name, type_, _r, _c: type_ != "table" or name.startswith(TABLE_PREFIX),
            },
        )
        assert compare_metadata(context, WORKSHOP_METADATA) == []
    assert not any(name.startswith(TABLE_PREFIX) for name in __import__("sqlmodel").SQLModel.metadata.tables)


def test_join_codes_are_random_unambiguous_and_normalised() -> None:
    codes = {service.new_join_code() for _ in range(2000)}
    assert len(codes) == 2000  # 31**8 codes: a repeat in 2000 would mean the generator is broken
    assert all(len(c) == 8 and set(c) <= set(service.JOIN_CODE_ALPHABET) for c in codes)
    assert not set("01ILO") & set(service.JOIN_CODE_ALPHABET)
    assert service.normalise_code(" abcd-2345 ") == "ABCD2345"
    assert service.normalise_code("ABCD 234") is None and service.normalise_code("ABCD0000") is None
    assert service.format_code("ABCD2345") == "ABCD 2345"


def test_a_paced_session_starts_on_the_first_component_and_expires(engine) -> None:
    assessment = workshop_fixtures.make_assessment(engine)
    now = utc_now()
    with Session(engine) as s:
        live = service.start_session(s, assessment_id=assessment.id, hours=2, now=now)
        assert live.pace_component_id == FIRST and live.hide_results and not live.results_revealed
        assert live.expires_at == now + timedelta(hours=2)
        assert service.find_open_session(s, live.join_code.lower(), now=now).id == live.id
        with pytest.raises(service.SessionUnavailable, match="expired"):
            service.find_open_session(s, live.join_code, now=now + timedelta(hours=2, seconds=1))
        with pytest.raises(service.SessionUnavailable, match="expired"):
            service.join_session(s, live.join_code, name="Late", now=now + timedelta(hours=3))
        with pytest.raises(service.WorkshopError, match="24 hours"):
            service.start_session(s, assessment_id=assessment.id, hours=48)
        with pytest.raises(service.SessionUnavailable, match="no live session"):
            service.find_open_session(s, "ZZZZ9999")


def test_participants_are_respondents_and_answers_count_in_the_assessment(engine, live) -> None:
    ann, bob = join(engine, live, "Ann"), join(engine, live, "Bob")
    with Session(engine) as s:
        service.save_participant_answer(s, live.join_code, ann.token, FIRST, current_stage=2, target_stage=4)
        service.save_participant_answer(s, live.join_code, bob.token, FIRST, current_stage=3, target_stage=3)
        results = service.live_results(s, live.id)
        assessment_result = repository.assessment_results(s, live.assessment_id)
        respondents = repository.list_respondents(s, live.assessment_id)
    assert results.n_participants == 2 and results.answered == {FIRST: 2}
    assert results.result.component(FIRST).counts == (0, 1, 1, 0)
    assert results.result.component(FIRST).current == 2.5 and results.result.component(FIRST).target == 3.5
    assert results.everyone_answered(FIRST) and not results.everyone_answered(SECOND)
    assert assessment_result.component(FIRST).n == 2  # the assessment's own results include the room
    assert sorted(r.name for r in respondents) == ["Ann", "Bob"]
    assert ann.token not in {r.resume_token for r in respondents}  # the participant token is separate


def test_live_results_name_everyone_who_has_joined_so_the_list_refreshes_with_the_panel(engine, live) -> None:
    with Session(engine) as s:
        assert service.live_results(s, live.id).participants == ()
    join(engine, live, "Ann")
    join(engine, live, "Bob")
    with Session(engine) as s:
        results = service.live_results(s, live.id)
    assert [p.display_name for p in results.participants] == ["Ann", "Bob"]  # in the order they joined
    assert results.n_participants == 2


def test_pacing_limits_answers_to_the_current_component_and_hides_results_again(engine, live) -> None:
    ann = join(engine, live, "Ann")
    with Session(engine) as s:
        with pytest.raises(service.WorkshopError, match="moved on"):
            service.save_participant_answer(s, live.join_code, ann.token, SECOND, current_stage=1)
        with pytest.raises(service.WorkshopError, match="moved on"):  # a rating with a note: not counted
            service.save_participant_answer(s, live.join_code, ann.token, SECOND, current_stage=1, evidence_notes="x")
        service.set_results_visibility(s, live.id, revealed=True)
        moved = service.set_pace(s, live.id, SECOND)
        assert moved.pace_component_id == SECOND and not moved.results_revealed
        assert moved.state_version > live.state_version
        # A note still being typed as the room moved on is kept on the component it was written for.
        kept = service.save_participant_answer(s, live.join_code, ann.token, FIRST, evidence_notes="Half typed")
        assert (kept.component_id, kept.evidence_notes, kept.current_stage) == (FIRST, "Half typed", None)
        service.save_participant_answer(s, live.join_code, ann.token, SECOND, current_stage=1)
        free = service.set_pace(s, live.id, None)
        service.save_participant_answer(s, live.join_code, ann.token, FIRST, current_stage=4)
        assert service.session_state(s, live.join_code, ann.token) == (free.state_version, "open", None)
        with pytest.raises(service.WorkshopError, match="not in framework"):
            service.set_pace(s, live.id, "no_such_component")


def test_closing_stops_answers_but_the_participant_still_sees_their_own(engine, live) -> None:
    ann = join(engine, live, "Ann")
    with Session(engine) as s:
        service.save_participant_answer(s, live.join_code, ann.token, FIRST, current_stage=2)
        service.close_session(s, live.id)
        with pytest.raises(service.SessionUnavailable, match="ended"):
            service.save_participant_answer(s, live.join_code, ann.token, FIRST, current_stage=3)
        with pytest.raises(service.SessionUnavailable, match="ended"):
            service.join_session(s, live.join_code, name="Late")
        view = service.participant_view(s, live.join_code, ann.token)
    assert not view.is_open and view.answers[FIRST].current_stage == 2


def test_a_participant_cannot_read_or_write_another_participants_or_sessions_answers(engine, live) -> None:
    ann, bob = join(engine, live, "Ann"), join(engine, live, "Bob")
    with Session(engine) as s:
        other = service.start_session(s, assessment_id=live.assessment_id, title="Other room", paced=False)
    carol = join(engine, other, "Carol")
    with Session(engine) as s:
        service.save_participant_answer(s, live.join_code, ann.token, FIRST, current_stage=1, evidence_notes="mine")
        service.save_participant_answer(s, other.join_code, carol.token, FIRST, current_stage=4)
        # Each participant reads only their own answers, whoever else answered.
        assert service.participant_view(s, live.join_code, bob.token).answers == {}
        assert set(service.participant_view(s, live.join_code, ann.token).answers) == {FIRST}
        assert service.participant_view(s, other.join_code, carol.token).answers[FIRST].current_stage == 4
        # A token only works with the code of its own session, in either direction.
        for code, token in ((other.join_code, ann.token), (live.join_code, carol.token)):
            with pytest.raises(service.AccessDenied):
                service.participant_view(s, code, token)
            with pytest.raises(service.AccessDenied):
                service.save_participant_answer(s, code, token, FIRST, current_stage=3)
            with pytest.raises(service.AccessDenied):
                service.session_state(s, code, token)
        # Guessed, truncated, empty or another session's facilitator-visible ids are not tokens.
        for token in (None, "", ann.token[:-1], ann.token + "x", "A" * 32, str(bob.participant.respondent_id)):
            with pytest.raises(service.AccessDenied):
                service.save_participant_answer(s, live.join_code, token, FIRST, current_stage=3)
        # Participants cannot set fields they are not given (e.g. someone else's respondent id).
        with pytest.raises(service.WorkshopError, match="cannot set"):
            service.save_participant_answer(s, live.join_code, bob.token, FIRST, respondent_id=ann.participant.id)
        ann_answers = repository.answers_for_respondent(s, ann.participant.respondent_id)
        carol_answers = repository.answers_for_respondent(s, carol.participant.respondent_id)
        bob_answers = repository.answers_for_respondent(s, bob.participant.respondent_id)
    assert (ann_answers[FIRST].current_stage, ann_answers[FIRST].evidence_notes) == (1, "mine")
    assert carol_answers[FIRST].current_stage == 4 and bob_answers == {}
    with Session(engine) as s:  # the room's results count only the room's participants
        assert service.live_results(s, live.id).result.component(FIRST).counts == (1, 0, 0, 0)
        assert service.live_results(s, other.id).result.component(FIRST).counts == (0, 0, 0, 1)


def test_agreements_are_recorded_once_per_component_and_validated(engine, live) -> None:
    with Session(engine) as s:
        service.record_agreement(s, live.id, FIRST, agreed_stage=2, actions="  Agree the population  ")
        again = service.record_agreement(s, live.id, FIRST, agreed_stage=3, actions="=HYPERLINK(x)")
        assert (again.agreed_stage, again.actions) == (3, "=HYPERLINK(x)")
        assert list(service.agreements_for(s, live.id)) == [FIRST]
        with pytest.raises(service.WorkshopError, match="1-4"):
            service.record_agreement(s, live.id, FIRST, agreed_stage=5)
        record = service.session_record(s, live.id)
    row = record.loc[record["component"] == "Organisational factors"].iloc[0]
    assert (row["agreed_stage"], row["actions"], row["participants"]) == ("Maturing", "=HYPERLINK(x)", 0)
    assert len(record) == 11


def test_names_are_required_unless_anonymous(engine, live) -> None:
    with Session(engine) as s:
        with pytest.raises(service.WorkshopError, match="your name"):
            service.join_session(s, live.join_code, name="  ")
        anonymous = service.join_session(s, live.join_code, name="Ignored", anonymous=True)
        (respondent,) = repository.list_respondents(s, live.assessment_id)
    assert respondent.is_anonymous and respondent.name is None
    assert anonymous.participant.display_name == f"Participant {anonymous.participant.id}"


def test_a_closed_assessment_cannot_run_a_session(engine) -> None:
    assessment = workshop_fixtures.make_assessment(engine)
    with Session(engine) as s:
        repository.set_assessment_status(s, assessment.id, "closed")
        with pytest.raises(service.WorkshopError, match="closed"):
            service.start_session(s, assessment_id=assessment.id)
