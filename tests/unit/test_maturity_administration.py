"""Administering assessments and respondents (issue 13, items 11 and 13): edit, reassign, archive, restore, delete,
returning respondents, merging two respondents and showing a personal link again, each recorded in the audit trail.

On a real database: SQLite always, PostgreSQL when PHM_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import maturity_fixtures
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from maturity import audit, repository
from maturity.models import AuditAction

pytestmark = pytest.mark.unit

engine = maturity_fixtures.engine
make_assessment = maturity_fixtures.make_assessment
database_snapshot = maturity_fixtures.database_snapshot


def audit_rows(engine) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(sa.text("SELECT * FROM maturity_audit ORDER BY id")).all()]


# --- editing and reassigning ------------------------------------------------------------------------------------


def test_an_assessment_title_date_and_organisation_can_be_changed_and_each_change_is_audited(engine):
    north, assessment = make_assessment(engine, name="North ICS", on=date(2025, 6, 1))
    with Session(engine) as session:
        place = repository.create_organisation(session, name="Riverside", kind="place", parent_id=north.id)
        edited = repository.update_assessment(
            session,
            assessment.id,
            title="  Spring round ",
            assessment_date=date(2025, 3, 14),
            actor="ann.lee@nhs.net",
        )
        assert (edited.title, edited.assessment_date, edited.organisation_id) == (
            "Spring round",
            date(2025, 3, 14),
            north.id,
        )
        moved = repository.update_assessment(session, assessment.id, organisation_id=place.id)
        assert moved.organisation_id == place.id
        assert repository.get_assessment(session, assessment.id) == moved
        assert [a.id for a in repository.list_assessments(session, organisation_id=place.id)] == [assessment.id]
        assert repository.list_assessments(session, organisation_id=north.id) == []
        # Nothing changed: nothing recorded.
        repository.update_assessment(session, assessment.id, title="Spring round", actor="bob@nhs.net")
        events = repository.audit_events(session, assessment_id=assessment.id)
    assert [(e.action, e.actor) for e in events] == [
        (AuditAction.EDITED, "ann.lee@nhs.net"),
        (AuditAction.EDITED, None),
    ]
    first, second = events
    assert first.before == {"title": f"Self-assessment {date(2025, 6, 1).isoformat()}", "assessment_date": "2025-06-01"}
    assert first.after == {"title": "Spring round", "assessment_date": "2025-03-14"}
    assert second.before == {"organisation_id": north.id, "organisation": "North ICS (ics)"}
    assert second.after == {"organisation_id": place.id, "organisation": "Riverside (place)"}
    assert first.at <= second.at and second.at.tzinfo is not None
    assert first.assessment_title == "Spring round" and first.assessment_uid == assessment.uid


def test_a_duplicate_title_or_a_missing_organisation_is_refused_and_nothing_changes(engine):
    north, spring = make_assessment(engine, name="North ICS")
    with Session(engine) as session:
        repository.update_assessment(session, spring.id, title="Spring round")
        autumn = repository.create_assessment(
            session, organisation_id=north.id, assessment_date=date(2025, 10, 1), title="Autumn round"
        )
        south = repository.create_organisation(session, name="South ICS", kind="ics")
        other = repository.create_assessment(
            session, organisation_id=south.id, assessment_date=date(2025, 10, 1), title="spring  ROUND"
        )
    before, audit_before = database_snapshot(engine), audit_rows(engine)
    with Session(engine) as session:
        with pytest.raises(ValueError, match="North ICS already has an assessment called 'Spring round'"):
            repository.update_assessment(session, autumn.id, title=" spring round")
        with pytest.raises(ValueError, match="North ICS already has an assessment called 'Spring round'"):
            repository.update_assessment(session, other.id, organisation_id=north.id)
        with pytest.raises(LookupError, match="no organisation with id 999: the assessment was not moved"):
            repository.update_assessment(session, autumn.id, organisation_id=999)
        with pytest.raises(ValueError, match="title must not be empty"):
            repository.update_assessment(session, autumn.id, title="   ")
        with pytest.raises(ValueError, match="assessment date must be a date"):
            repository.update_assessment(session, autumn.id, assessment_date="2025-10-01")
        with pytest.raises(LookupError, match="no assessment with id 999"):
            repository.update_assessment(session, 999, title="X")
    assert database_snapshot(engine) == before
    assert audit_rows(engine) == audit_before


# --- archive, restore, delete -------------------------------------------------------------------------------------


def test_an_archived_assessment_is_hidden_from_lists_and_results_until_it_is_restored(engine):
    north, old = make_assessment(engine, name="North ICS", on=date(2024, 6, 1))
    with Session(engine) as session:
        new = repository.create_assessment(session, organisation_id=north.id, assessment_date=date(2025, 6, 1))
        person = repository.get_or_create_respondent(session, old.id, name="Asha")
        repository.save_answer(session, person.id, "analyses", current_stage=2)
        archived = repository.archive_assessment(session, old.id, actor="ann@nhs.net")
        assert archived.archived_at is not None and archived.status == "closed"  # archiving closes it to answers
        assert [a.id for a in repository.list_assessments(session)] == [new.id]
        assert [a.id for a in repository.list_assessments(session, archived=True)] == [old.id]
        assert [a.id for a in repository.list_assessments(session, archived=None)] == [old.id, new.id]
        assert set(repository.history(session, north.id)["assessment_id"]) == {new.id}
        assert repository.get_assessment(session, old.id).archived_at is not None  # still there, by id
        with pytest.raises(ValueError, match="already archived"):
            repository.archive_assessment(session, old.id)
        with pytest.raises(ValueError, match="archived"):
            repository.set_assessment_status(session, old.id, "open")
        restored = repository.restore_assessment(session, old.id, actor="bob@nhs.net")
        assert restored.archived_at is None and restored.status == "closed"
        assert [a.id for a in repository.list_assessments(session)] == [old.id, new.id]
        assert repository.assessment_results(session, old.id).n_respondents == 1  # the answers were kept
        with pytest.raises(ValueError, match="not archived"):
            repository.restore_assessment(session, old.id)
        events = repository.audit_events(session, assessment_id=old.id)
    assert [(e.action, e.actor) for e in events] == [
        (AuditAction.ARCHIVED, "ann@nhs.net"),
        (AuditAction.RESTORED, "bob@nhs.net"),
    ]
    assert events[0].before == {"status": "open", "archived": False}
    assert events[0].after == {"status": "closed", "archived": True}
    assert events[1].after == {"status": "closed", "archived": False}


def test_deleting_an_assessment_is_audited_and_the_record_outlives_it(engine):
    north, assessment = make_assessment(engine, name="North ICS")
    with Session(engine) as session:
        repository.update_assessment(session, assessment.id, title="Spring round")
        person = repository.get_or_create_respondent(session, assessment.id, name="Asha")
        repository.save_answer(session, person.id, "analyses", current_stage=2)
        repository.save_answer(session, person.id, "digitised_care_record", current_stage=3)
        repository.delete_assessment(session, assessment.id, actor="ann@nhs.net")
        with pytest.raises(LookupError):
            repository.get_assessment(session, assessment.id)
        events = repository.audit_events(session, assessment_id=assessment.id)
        deleted = repository.audit_events(session, action=AuditAction.DELETED)
    assert [e.action for e in events] == [AuditAction.EDITED, AuditAction.DELETED]
    assert deleted == events[1:]
    assert (deleted[0].actor, deleted[0].assessment_title) == ("ann@nhs.net", "Spring round")
    assert deleted[0].before == {
        "title": "Spring round",
        "organisation_id": north.id,
        "organisation": "North ICS (ics)",
        "assessment_date": assessment.assessment_date.isoformat(),
        "status": "open",
        "archived": False,
        "respondents": 1,
        "answers": 2,
    }
    assert deleted[0].after == {}


# --- returning respondents ------------------------------------------------------------------------------------------


def test_a_returning_respondent_is_found_by_name_and_checked_by_the_role_they_gave(engine):
    organisation, assessment = make_assessment(engine)
    with Session(engine) as session:
        ann = repository.get_or_create_respondent(session, assessment.id, name="Ann  Lee", role="Director of PHM")
        repository.get_or_create_respondent(session, assessment.id, anonymous=True, role="Director of PHM")
        norole = repository.get_or_create_respondent(session, assessment.id, name="Bo Chan")
        other = repository.create_assessment(session, organisation_id=organisation.id, assessment_date=date(2026, 1, 1))
        repository.get_or_create_respondent(session, other.id, name="Ann Lee", role="Director of PHM")

        same_name = repository.respondents_named(session, assessment.id, " ann LEE ")
        assert [r.id for r in same_name] == [ann.id]  # not the one of the other assessment, never an anonymous one
        check = repository.returning_respondents(session, assessment.id, name="ANN LEE", role=" director of  phm")
        assert [r.id for r in check] == [ann.id]
        assert repository.returning_respondents(session, assessment.id, name="Ann Lee", role="GP") == []
        assert repository.returning_respondents(session, assessment.id, name="Ann Lee", role=None) == []
        assert repository.returning_respondents(session, assessment.id, name="Cy Dee", role="GP") == []
        # Nobody gave a role: an empty role matches an empty role (the page then asks "Is this you?").
        assert [r.id for r in repository.returning_respondents(session, assessment.id, name="bo chan", role="")] == [
            norole.id
        ]
        assert repository.respondents_named(session, assessment.id, "  ") == []


# --- merging respondents and showing a personal link -----------------------------------------------------------------


def set_updated(engine, respondent_id: int, component_id: str, moment: datetime) -> None:
    stored = moment.replace(tzinfo=None) if engine.dialect.name == "sqlite" else moment
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE maturity_answer SET updated_at = :at WHERE respondent_id = :r AND component_id = :c"),
            {"at": stored, "r": respondent_id, "c": component_id},
        )


def test_merging_two_respondents_keeps_the_newer_answer_for_each_component(engine):
    _, assessment = make_assessment(engine)
    with Session(engine) as session:
        keep = repository.get_or_create_respondent(session, assessment.id, name="Ann Lee", role="Analyst")
        merge = repository.get_or_create_respondent(session, assessment.id, name="ann lee")
        repository.save_answer(session, keep.id, "analyses", current_stage=1, evidence_notes="old")
        repository.save_answer(session, merge.id, "analyses", current_stage=3, evidence_notes="new")
        repository.save_answer(session, keep.id, "digitised_care_record", current_stage=4)
        repository.save_answer(session, merge.id, "digitised_care_record", current_stage=2)
        repository.save_answer(session, merge.id, "organisational_factors", current_stage=2)
    set_updated(engine, keep.id, "analyses", datetime(2025, 1, 1, tzinfo=UTC))
    set_updated(engine, merge.id, "analyses", datetime(2025, 2, 1, tzinfo=UTC))  # newer: wins
    set_updated(engine, keep.id, "digitised_care_record", datetime(2025, 3, 1, tzinfo=UTC))  # newer: wins
    set_updated(engine, merge.id, "digitised_care_record", datetime(2025, 2, 1, tzinfo=UTC))
    with Session(engine) as session:
        plan = repository.plan_merge(session, keep_id=keep.id, merge_id=merge.id)
        assert plan.from_kept == ("digitised_care_record",)
        assert plan.from_merged == ("analyses", "organisational_factors")
        kept = repository.merge_respondents(session, keep_id=keep.id, merge_id=merge.id, actor="fac@nhs.net")
        assert kept == keep  # name, role and personal link are the kept respondent's
        assert [r.id for r in repository.list_respondents(session, assessment.id)] == [keep.id]
        assert repository.resume_respondent(session, merge.resume_token) is None  # the other link stops working
        answers = repository.answers_for_respondent(session, keep.id)
        assert {c: (a.current_stage, a.evidence_notes) for c, a in answers.items()} == {
            "analyses": (3, "new"),
            "digitised_care_record": (4, None),
            "organisational_factors": (2, None),
        }
        (event,) = repository.audit_events(session, assessment_id=assessment.id)
    assert (event.action, event.actor) == (AuditAction.RESPONDENTS_MERGED, "fac@nhs.net")
    assert event.before == {
        "kept": {"id": keep.id, "name": "Ann Lee", "role": "Analyst", "answers": 2},
        "merged": {"id": merge.id, "name": "ann lee", "role": None, "answers": 3},
    }
    assert event.after == {
        "kept": {"id": keep.id, "name": "Ann Lee", "role": "Analyst", "answers": 3},
        "from_merged": ["analyses", "organisational_factors"],
    }


def test_a_merge_needs_two_respondents_of_one_open_assessment(engine):
    north, assessment = make_assessment(engine)
    with Session(engine) as session:
        ann = repository.get_or_create_respondent(session, assessment.id, name="Ann")
        bo = repository.get_or_create_respondent(session, assessment.id, name="Bo")
        repository.save_answer(session, bo.id, "analyses", current_stage=2)
        other = repository.create_assessment(session, organisation_id=north.id, assessment_date=date(2026, 1, 1))
        cy = repository.get_or_create_respondent(session, other.id, name="Cy")
    before = database_snapshot(engine)
    with Session(engine) as session:
        with pytest.raises(ValueError, match="the same respondent"):
            repository.merge_respondents(session, keep_id=ann.id, merge_id=ann.id)
        with pytest.raises(ValueError, match="two respondents of the same assessment"):
            repository.merge_respondents(session, keep_id=ann.id, merge_id=cy.id)
        with pytest.raises(LookupError, match="no respondent with id 999"):
            repository.merge_respondents(session, keep_id=ann.id, merge_id=999)
        repository.set_assessment_status(session, assessment.id, "closed")
        before = database_snapshot(engine)
        with pytest.raises(ValueError, match="closed: reopen it"):
            repository.merge_respondents(session, keep_id=ann.id, merge_id=bo.id)
    assert database_snapshot(engine) == before
    with Session(engine) as session:
        assert repository.audit_events(session, action=AuditAction.RESPONDENTS_MERGED) == []


def test_showing_a_personal_link_again_is_recorded(engine):
    _, assessment = make_assessment(engine)
    with Session(engine) as session:
        ann = repository.get_or_create_respondent(session, assessment.id, name="Ann", role="GP")
        token = repository.personal_link_token(session, ann.id, actor="fac@nhs.net")
        assert token == ann.resume_token
        (event,) = repository.audit_events(session, assessment_id=assessment.id)
        with pytest.raises(LookupError, match="no respondent with id 999"):
            repository.personal_link_token(session, 999)
    assert (event.action, event.actor, event.before, event.after) == (
        AuditAction.LINK_SHOWN,
        "fac@nhs.net",
        {},
        {"respondent_id": ann.id, "respondent": "Ann"},
    )


def test_the_audit_trail_reads_as_plain_english_and_counts_rated_components(engine):
    north, assessment = make_assessment(engine, name="North ICS", on=date(2025, 6, 1))
    with Session(engine) as session:
        place = repository.create_organisation(session, name="Riverside", kind="place")
        repository.update_assessment(
            session, assessment.id, title="Spring round", assessment_date=date(2025, 3, 14), organisation_id=place.id
        )
        keep = repository.get_or_create_respondent(session, assessment.id, name="Ann Lee", role="Analyst")
        merge = repository.get_or_create_respondent(session, assessment.id, name="ann lee")
        repository.get_or_create_respondent(session, assessment.id, name="Bo")
        repository.save_answer(session, keep.id, "analyses", current_stage=2)
        repository.save_answer(session, keep.id, "digitised_care_record", evidence_notes="no stage yet")
        repository.save_answer(session, merge.id, "organisational_factors", current_stage=3)
        assert list(repository.rated_components(session, assessment.id).values()) == [1, 1, 0]
        repository.merge_respondents(session, keep_id=keep.id, merge_id=merge.id)
        repository.personal_link_token(session, keep.id, actor="fac@nhs.net")
        repository.archive_assessment(session, assessment.id)
        repository.restore_assessment(session, assessment.id)
        repository.delete_assessment(session, assessment.id)
        events = repository.audit_events(session, assessment_id=assessment.id)
    assert [audit.describe_audit_event(e) for e in events] == [
        "Title changed from 'Self-assessment 2025-06-01' to 'Spring round'; date changed from 01 Jun 2025 to "
        "14 Mar 2025; moved from North ICS (ics) to Riverside (place)",
        "Merged 'ann lee' (1 answer) into 'Ann Lee' (Analyst, 2 answers); the newer answer was kept for each "
        "component, 1 answer from the merged respondent; now 3 answers",
        "Personal link of Ann Lee shown again",
        "Archived: closed to answers and left out of the lists and results",
        "Restored from the archive (still closed: reopen it to take answers)",
        "Deleted for good with 2 respondents and 3 answers (Riverside (place), 14 Mar 2025)",
    ]
    assert [audit.actor_text(e) for e in events][1:3] == [audit.NO_LOGIN_ACTOR, "fac@nhs.net"]
