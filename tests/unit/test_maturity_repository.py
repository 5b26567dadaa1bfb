"""The repository on a real database: SQLite always, PostgreSQL when PHM_TEST_POSTGRES_URL is set."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import maturity_fixtures
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlmodel import Session, SQLModel

from maturity import repository
from maturity.db import VERSION_TABLE, current_revision, make_engine, normalise_url
from maturity.models import TABLE_PREFIX, AssessmentStatus
from maturity.scoring import Agreement

pytestmark = pytest.mark.unit

PROJECT_ROOT = Path(__file__).resolve().parents[2]

engine = maturity_fixtures.engine
make_assessment = maturity_fixtures.make_assessment


def test_migrations_run_at_start_up_and_match_the_models(engine):
    assert current_revision(engine) == "0003"
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "version_table": VERSION_TABLE,
                "compare_type": True,
                "include_name": lambda name, type_, _: type_ != "table" or name.startswith(TABLE_PREFIX),
            },
        )
        assert compare_metadata(context, SQLModel.metadata) == []


def test_make_engine_twice_on_the_same_database_is_harmless(tmp_path):
    url = f"sqlite:///{tmp_path / 'nested' / 'dir' / 'db.sqlite'}"
    first = make_engine(url)
    organisation, _ = make_assessment(first)
    first.dispose()
    second = make_engine(url)
    with Session(second) as session:
        assert [o.name for o in repository.list_organisations(session)] == [organisation.name]
    second.dispose()


def test_default_database_is_a_sqlite_file_in_the_data_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PHM_DATA_DIR", str(tmp_path / "data"))
    default = make_engine()
    assert default.dialect.name == "sqlite"
    assert (tmp_path / "data" / "phm_navigator.sqlite").is_file()
    assert current_revision(default) == "0003"
    default.dispose()


def test_alembic_command_line_config_works_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False  # leave pytest's logging alone
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")
    command.check(config)  # models and migrations agree: nothing to autogenerate
    command.downgrade(config, "base")
    check = sa.create_engine(url)
    assert sa.inspect(check).get_table_names() == [VERSION_TABLE]
    check.dispose()


def test_database_urls_are_normalised():
    assert normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalise_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    with pytest.raises(ValueError, match="unsupported database 'mysql'"):
        normalise_url("mysql://u@h/db")


def test_organisations(engine):
    with Session(engine) as session:
        ics = repository.create_organisation(session, name="  North ICS ", kind="ICS", code="QXX")
        place = repository.create_organisation(session, name="Riverside", kind="place", parent_id=ics.id)
        repository.create_organisation(session, name="Hillside", kind="place", parent_id=ics.id)
        assert ics.name == "North ICS" and ics.kind == "ics"
        assert [o.name for o in repository.list_organisations(session, parent_id=ics.id)] == ["Hillside", "Riverside"]
        assert [o.name for o in repository.list_organisations(session, kind="ics")] == ["North ICS"]
        assert repository.get_organisation(session, place.id).parent_id == ics.id
        with pytest.raises(ValueError, match="already an organisation of kind 'place' called 'Riverside'"):
            repository.create_organisation(session, name="Riverside", kind="place")
        with pytest.raises(ValueError, match="organisation kind must be one of"):
            repository.create_organisation(session, name="X", kind="trust")
        with pytest.raises(ValueError, match="must not be empty"):
            repository.create_organisation(session, name="  ", kind="pcn")
        with pytest.raises(LookupError, match="no organisation with id 999"):
            repository.create_organisation(session, name="Y", kind="pcn", parent_id=999)
        assert len(repository.list_organisations(session)) == 3


def test_organisations_record_their_geography_version_and_footprint(engine):
    with Session(engine) as session:
        old = repository.create_organisation(session, name="North ICS", kind="ics")  # as the current pages call it
        assert (old.geography_version, old.area_code, old.area_level) == ("2026-04", None, None)
        suffolk = repository.create_organisation(
            session,
            name="NHS Suffolk and North East Essex ICB",
            kind="icb",
            code="QJG",
            geography_version="2024-04",
            area_code="E54000023",
            area_level="icb",
        )
        norfolk = repository.create_organisation(
            session,
            name="NHS Norfolk and Suffolk ICB",
            kind="icb",
            geography_version="2026-04",
            area_code=" E54000068 ",
            area_level="ICB",
        )
        ipswich = repository.create_organisation(
            session,
            name="Ipswich",
            kind="place",
            parent_id=norfolk.id,
            geography_version="2026-04",
            area_code="E07000202",
            area_level="place",
        )
        assert (norfolk.area_code, norfolk.area_level) == ("E54000068", "icb")
        assert repository.find_organisation(session, area_code="E54000068", geography_version="2026-04") == norfolk
        assert repository.find_organisation(session, area_code="E07000202", geography_version="2026-04") == ipswich
        assert repository.find_organisation(session, area_code="E54000023", geography_version="2024-04") == suffolk
        # Exact: another version's organisation is not returned, and a footprint's code is never re-pointed.
        assert repository.find_organisation(session, area_code="E54000023", geography_version="2026-04") is None
        assert repository.find_organisation(session, area_code="E54000068", geography_version="2024-04") is None
        names = [o.name for o in repository.list_organisations(session, geography_version="2026-04")]
        assert names == ["NHS Norfolk and Suffolk ICB", "North ICS", "Ipswich"]  # by kind, then name
        assert [o.name for o in repository.list_organisations(session, geography_version="2024-04")] == [suffolk.name]
        assert [o.name for o in repository.list_organisations(session, area_level="place")] == ["Ipswich"]

        with pytest.raises(ValueError, match="already stands for area E54000068 on geography version 2026-04"):
            repository.create_organisation(
                session, name="Duplicate", kind="icb", area_code="E54000068", area_level="icb"
            )
        # The same footprint on another version is a different organisation.
        repository.create_organisation(
            session,
            name="Ipswich (2024)",
            kind="place",
            geography_version="2024-04",
            area_code="E07000202",
            area_level="place",
        )
        with pytest.raises(ValueError, match="both the area code and the area level"):
            repository.create_organisation(session, name="Half", kind="pcn", area_code="U12345")
        with pytest.raises(ValueError, match="area level must be one of"):
            repository.create_organisation(session, name="Ward", kind="pcn", area_code="E05000001", area_level="ward")
        with pytest.raises(ValueError, match="geography version is written YYYY-MM"):
            repository.create_organisation(session, name="Z", kind="pcn", geography_version="2026")
        with pytest.raises(ValueError, match="geography version is written YYYY-MM"):
            repository.find_organisation(session, area_code="E54000068", geography_version="latest")
        assert len(repository.list_organisations(session)) == 5


def test_the_organisations_of_an_area_are_those_recorded_for_it_on_any_version_or_named_for_it(engine):
    with Session(engine) as session:
        old_norfolk = repository.create_organisation(  # saved before organisations recorded their area
            session, name="NHS Norfolk and Suffolk", kind="icb", geography_version="2024-04"
        )
        repository.create_organisation(session, name="NHS Norfolk and Suffolk", kind="ics")  # another kind
        board = repository.create_organisation(
            session, name="Norfolk and Suffolk board", kind="ics", area_code="E54000068", area_level="icb"
        )
        ipswich_2024 = repository.create_organisation(
            session,
            name="Ipswich",
            kind="place",
            geography_version="2024-04",
            area_code="E07000202",
            area_level="place",
        )
        ipswich_2026 = repository.create_organisation(
            session, name="Ipswich and district", kind="place", area_code="E07000202", area_level="place"
        )
        repository.create_organisation(  # recorded for another area: never one of Norfolk and Suffolk's
            session, name="NHS Essex", kind="icb", area_code="E54000066", area_level="icb"
        )

        def names(**query) -> list[str]:
            return [o.name for o in repository.organisations_for_area(session, **query)]

        assert names(area_code="E54000068", name="NHS Norfolk and Suffolk", kind="icb") == [
            old_norfolk.name,
            board.name,
        ]
        assert names(area_code="E54000068") == [board.name]
        assert names(area_code=" E07000202 ", name="Ipswich", kind="place") == [ipswich_2024.name, ipswich_2026.name]
        assert names(area_code="E54000066", name="Norfolk and Suffolk board", kind="ics") == ["NHS Essex"]
        assert names(area_code="E54000027") == []
        with pytest.raises(ValueError, match="both the name and the kind"):
            repository.organisations_for_area(session, area_code="E54000068", name="NHS Norfolk and Suffolk")
        with pytest.raises(ValueError, match="give the area code"):
            repository.organisations_for_area(session, area_code=" ")


def test_assessments_store_their_framework_version_and_list_oldest_first(engine):
    organisation, first = make_assessment(engine, on=date(2025, 6, 1))
    with Session(engine) as session:
        later = repository.create_assessment(
            session, organisation_id=organisation.id, assessment_date=date(2025, 12, 1), title="Round 2"
        )
        earlier = repository.create_assessment(
            session, organisation_id=organisation.id, assessment_date=date(2025, 1, 1)
        )
        assert (first.framework_id, first.framework_version) == ("phm_maturity", 1)
        assert first.status == AssessmentStatus.OPEN
        listed = repository.list_assessments(session, organisation_id=organisation.id)
        assert [a.id for a in listed] == [earlier.id, first.id, later.id]
        assert repository.framework_for(later).key == "phm_maturity@1"
        closed = repository.set_assessment_status(session, later.id, "closed")
        assert closed.status == AssessmentStatus.CLOSED
        assert [a.id for a in repository.list_assessments(session, status="closed")] == [later.id]
        with pytest.raises(ValueError, match="assessment_date must be a date"):
            repository.create_assessment(session, organisation_id=organisation.id, assessment_date="2025-01-01")
        with pytest.raises(LookupError):
            repository.create_assessment(session, organisation_id=999, assessment_date=date(2025, 1, 1))


def test_respondents_named_anonymous_and_resumed(engine):
    _, assessment = make_assessment(engine)
    with Session(engine) as session:
        named = repository.get_or_create_respondent(session, assessment.id, name="Asha Patel", role="PHM lead")
        anonymous = repository.get_or_create_respondent(session, assessment.id, anonymous=True, role="GP")
        assert named.display_name == "Asha Patel"
        assert anonymous.display_name == f"Anonymous respondent {anonymous.id}"
        assert named.resume_token != anonymous.resume_token
        assert repository.resume_respondent(session, named.resume_token) == named
        assert repository.resume_respondent(session, "x" * 32) is None
        assert repository.resume_respondent(session, "not a token!") is None
        with pytest.raises(ValueError, match="needs a name"):
            repository.get_or_create_respondent(session, assessment.id, role="GP")
        with pytest.raises(ValueError, match="anonymous respondent has no name"):
            repository.get_or_create_respondent(session, assessment.id, name="Bo", anonymous=True)
        assert [r.id for r in repository.list_respondents(session, assessment.id)] == [named.id, anonymous.id]


def test_a_resume_token_is_idempotent_and_bound_to_its_assessment(engine):
    organisation, assessment = make_assessment(engine)
    token = repository.new_resume_token()
    with Session(engine) as session:
        first = repository.get_or_create_respondent(session, assessment.id, name="Asha", resume_token=token)
        again = repository.get_or_create_respondent(session, assessment.id, name="Someone else", resume_token=token)
        assert again == first
        other = repository.create_assessment(session, organisation_id=organisation.id, assessment_date=date(2026, 1, 1))
        with pytest.raises(ValueError, match="belongs to another assessment"):
            repository.get_or_create_respondent(session, other.id, name="Asha", resume_token=token)
        with pytest.raises(ValueError, match="resume token is 16-64"):
            repository.get_or_create_respondent(session, assessment.id, name="Asha", resume_token="short")
        assert len(repository.list_respondents(session, assessment.id)) == 1


def test_answers_are_saved_field_by_field_and_survive_a_restart(engine):
    _, assessment = make_assessment(engine)
    with Session(engine) as session:
        respondent = repository.get_or_create_respondent(session, assessment.id, name="Asha")
        first = repository.save_answer(session, respondent.id, "analyses", current_stage=2)
        second = repository.save_answer(
            session,
            respondent.id,
            "analyses",
            target_stage=4,
            target_date=date(2027, 3, 31),
            confidence=3,
            evidence_notes="Risk model validated in 2024; see the board paper.",
            evidence_links="https://example.org/board-paper\n\n  https://example.org/model  \n",
        )
        assert second.id == first.id
        assert second.current_stage == 2  # kept: only the fields passed change
        assert second.target_stage == 4 and second.confidence == 3
        assert second.evidence_links == ["https://example.org/board-paper", "https://example.org/model"]
        assert second.created_at == first.created_at
        assert second.updated_at >= first.updated_at
        assert second.updated_at.tzinfo is not None
        cleared = repository.save_answer(session, respondent.id, "analyses", current_stage=None)
        assert cleared.current_stage is None and cleared.target_stage == 4

    # A new engine, as after a browser refresh or a restart of the app: nothing is lost.
    with Session(engine) as session:
        saved = repository.answers_for_respondent(session, respondent.id)
        assert list(saved) == ["analyses"]
        assert saved["analyses"].target_date == date(2027, 3, 31)
        assert saved["analyses"].evidence_notes.startswith("Risk model validated")


@pytest.mark.parametrize(
    ("component_id", "fields", "message"),
    [
        ("nonsense", {"current_stage": 2}, "component 'nonsense' is not in framework phm_maturity@1"),
        ("analyses", {"current_stage": 5}, "current stage must be 1-4, got 5"),
        ("analyses", {"target_stage": 0}, "target stage must be 1-4, got 0"),
        ("analyses", {"current_stage": True}, "current stage must be a whole number"),
        ("analyses", {"current_stage": "3"}, "current stage must be a whole number"),
        ("analyses", {"confidence": 4}, r"confidence must be one of \[1, 2, 3\]"),
        ("analyses", {"target_date": datetime(2026, 1, 1, tzinfo=UTC)}, "target date must be a date"),
        ("analyses", {"evidence_links": [1, 2]}, "evidence links must be a list of text"),
        ("analyses", {"evidence_notes": "x" * 20_001}, "limited to 20000 characters"),
    ],
)
def test_invalid_answers_are_rejected_and_nothing_is_written(engine, component_id, fields, message):
    _, assessment = make_assessment(engine)
    with Session(engine) as session:
        respondent = repository.get_or_create_respondent(session, assessment.id, name="Asha")
        before = maturity_fixtures.database_snapshot(engine)
        with pytest.raises(ValueError, match=message):
            repository.save_answer(session, respondent.id, component_id, **fields)
    assert maturity_fixtures.database_snapshot(engine) == before


def test_closed_assessment_takes_no_answers_or_new_respondents(engine):
    _, assessment = make_assessment(engine)
    with Session(engine) as session:
        respondent = repository.get_or_create_respondent(session, assessment.id, name="Asha")
        repository.save_answer(session, respondent.id, "analyses", current_stage=2)
        repository.set_assessment_status(session, assessment.id, AssessmentStatus.CLOSED)
        with pytest.raises(ValueError, match="closed"):
            repository.save_answer(session, respondent.id, "analyses", current_stage=3)
        with pytest.raises(ValueError, match="closed to new respondents"):
            repository.get_or_create_respondent(session, assessment.id, name="Bo")
        # The existing respondent can still come back to read their answers.
        resumed = repository.get_or_create_respondent(
            session, assessment.id, name="Asha", resume_token=respondent.resume_token
        )
        assert resumed.id == respondent.id
        assert repository.answers_for_respondent(session, respondent.id)["analyses"].current_stage == 2
        with pytest.raises(LookupError, match="no respondent with id 999"):
            repository.save_answer(session, 999, "analyses", current_stage=3)


def test_answers_frame_and_results(engine):
    _, assessment = make_assessment(engine)
    with Session(engine) as session:
        people = [repository.get_or_create_respondent(session, assessment.id, name=name) for name in ("A", "B", "C")]
        silent = repository.get_or_create_respondent(session, assessment.id, anonymous=True)
        for person, (current, target) in zip(people, [(2, 3), (2, 4), (4, 4)], strict=True):
            repository.save_answer(session, person.id, "analyses", current_stage=current, target_stage=target)
        repository.save_answer(session, people[0].id, "interpretation", evidence_notes="No rating yet")

        frame = repository.answers_for(session, assessment.id)
        assert list(frame.columns) == list(repository.ANSWER_FRAME_COLUMNS)
        assert len(frame) == 4
        assert str(frame["current_stage"].dtype) == "Int64"
        assert frame["current_stage"].isna().sum() == 1

        result = repository.assessment_results(session, assessment.id)
        analyses = result.component("analyses")
        assert result.n_respondents == 4
        assert (analyses.n, analyses.n_missing, analyses.current, analyses.target) == (3, 1, 2.0, 4.0)
        assert analyses.agreement is Agreement.UNCERTAIN  # 1 of 3 is two stages away: 33% is not below 25%
        assert result.component("interpretation").n_missing == 4
        assert silent.id not in set(frame["respondent_id"])


def test_history_and_comparison_of_organisations(engine):
    ics, _ = make_assessment(engine, name="North ICS", kind="ics")
    with Session(engine) as session:
        places = [
            repository.create_organisation(session, name=name, kind="place", parent_id=ics.id)
            for name in ("Riverside", "Hillside", "Seaside")
        ]
        for round_number, (on, stage) in enumerate([(date(2025, 1, 1), 1), (date(2025, 7, 1), 3)]):
            assessment = repository.create_assessment(
                session, organisation_id=places[0].id, assessment_date=on, title=f"Round {round_number + 1}"
            )
            person = repository.get_or_create_respondent(session, assessment.id, name="Asha")
            repository.save_answer(session, person.id, "analyses", current_stage=stage, target_stage=4)
        hillside = repository.create_assessment(session, organisation_id=places[1].id, assessment_date=date(2025, 3, 1))
        person = repository.get_or_create_respondent(session, hillside.id, name="Bo")
        repository.save_answer(session, person.id, "analyses", current_stage=2)

        trend = repository.history(session, places[0].id)
        analyses = trend[(trend["level"] == "component") & (trend["component_id"] == "analyses")]
        assert list(analyses["title"]) == ["Round 1", "Round 2"]
        assert list(analyses["current"]) == [1.0, 3.0]
        assert set(trend["organisation"]) == {"Riverside"}

        side_by_side = repository.compare(session, [p.id for p in places])
        analyses = side_by_side[(side_by_side["level"] == "component") & (side_by_side["component_id"] == "analyses")]
        assert list(analyses["organisation"]) == ["Riverside", "Hillside"]  # Seaside has no assessment yet
        assert list(analyses["current"]) == [3.0, 2.0]
        assert repository.history(session, places[2].id).empty


def test_deleting_an_assessment_removes_its_respondents_and_answers(engine):
    _, assessment = make_assessment(engine)
    with Session(engine) as session:
        person = repository.get_or_create_respondent(session, assessment.id, name="Asha")
        repository.save_answer(session, person.id, "analyses", current_stage=2)
        repository.delete_assessment(session, assessment.id)
        with pytest.raises(LookupError):
            repository.get_assessment(session, assessment.id)
    with engine.connect() as connection:
        for table in ("maturity_respondent", "maturity_answer"):
            assert connection.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one() == 0
