"""Upgrading a database made by the previous release (before geography versions): nothing is lost or re-pointed.

Revision 0003 of the maturity tables adds archiving and the audit trail: old assessments are not archived.

Two databases: one built here by running only the first revision of each set of tables (maturity, workshop,
cohorts) and inserting rows with plain SQL, on SQLite and PostgreSQL; and ``data/release_2025_database.sqlite``,
made by the release's own code (``data/make_release_database.py``). Each is upgraded the way the app does it at
start-up; every row must still be there with the same values, saved things are labelled geography version
2024-04, and a cohort of the abolished NHS Suffolk and North East Essex ICB keeps its code, E54000023.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine
from sqlmodel import Session

from cohort_store import db as cohort_db
from cohort_store import repository as cohorts
from maturity import db as maturity_db
from maturity import repository as maturity
from workshop import db as workshop_db
from workshop import service as workshop

pytestmark = pytest.mark.unit

POSTGRES_URL_ENV = "PHM_TEST_POSTGRES_URL"
RELEASE_DATABASE = Path(__file__).resolve().parent / "data" / "release_2025_database.sqlite"
# Printed by make_release_database.py when it made the file: the participant's secret (the file holds its hash).
RELEASE_PARTICIPANT_TOKEN = "LCDMc4rJVKZ9j_YMObx_Di2qAo5vvm_F"
RELEASE_JOIN_CODE = "XBUUVNB9"

RELEASE_TABLES = {
    "maturity_organisation",
    "maturity_assessment",
    "maturity_respondent",
    "maturity_answer",
    "workshop_session",
    "workshop_participant",
    "workshop_agreement",
    "cohort_saved",
    "cohort_export_audit",
}


class HexDigest:
    """Equal to any SHA-256 in hex: the export audit chain's hashes, computed by the migration (verified below)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and len(other) == 64 and all(c in "0123456789abcdef" for c in other)


NEW_COLUMNS = {
    "maturity_organisation": {"geography_version": "2024-04", "area_code": None, "area_level": None},
    "maturity_assessment": {"archived_at": None},  # not archived: every old assessment stays in the lists
    "cohort_saved": {"geography_version": "2024-04"},
    "cohort_export_audit": {"geography_version": "2024-04", "previous_hash": HexDigest(), "row_hash": HexDigest()},
}
HEADS = {"maturity": "0003", "workshop": "0001", "cohort": "0004"}
MIGRATION_SETS = {
    "maturity": maturity_db.MIGRATIONS_DIR,
    "workshop": workshop_db.MIGRATIONS_DIR,
    "cohort": cohort_db.MIGRATIONS_DIR,
}


# --- helpers -------------------------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: a SQLite file, or a new schema on the PostgreSQL test server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'release.sqlite'}"
        return
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        pytest.skip(f'PostgreSQL tests need {POSTGRES_URL_ENV}; start one with: eval "$(bash .ci/postgres.sh)"')
    base = maturity_db.normalise_url(url)
    schema = f"release_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def start_up(url: str) -> Engine:
    """What the app does at start-up: the maturity engine (migrated), then the workshop and cohort migrations."""
    engine = maturity_db.make_engine(url)
    workshop_db.upgrade_to_head(engine)
    cohort_db.upgrade_to_head(engine)
    return engine


def migrate(engine: Engine, which: str, revision: str, *, down: bool = False) -> None:
    """Upgrade (or downgrade) one set of tables to ``revision``."""
    config = maturity_db.migrations_config(MIGRATION_SETS[which])
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def revisions(engine: Engine) -> dict[str, str | None]:
    return {
        "maturity": maturity_db.current_revision(engine),
        "workshop": workshop_db.current_revision(engine),
        "cohort": cohort_db.current_revision(engine),
    }


def snapshot(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of the release's tables, as plain values."""
    rows = {}
    with engine.connect() as connection:
        for table in sorted(RELEASE_TABLES):
            result = connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))
            rows[table] = [dict(row._mapping) for row in result]
    return rows


def assert_nothing_lost(before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]) -> None:
    """Every row is still there with the same values; the new columns hold what an old row should have."""
    for table, old_rows in before.items():
        assert old_rows, f"the release database has no {table} rows: the test would prove nothing"
        new_rows = after[table]
        assert len(new_rows) == len(old_rows), table
        for old, new in zip(old_rows, new_rows, strict=True):
            assert {column: new[column] for column in old} == old, table
            assert set(new) - set(old) == set(NEW_COLUMNS.get(table, {})), table
            for column, value in NEW_COLUMNS.get(table, {}).items():
                assert new[column] == value, (table, column)


def insert(connection: sa.Connection, table: str, **values: Any) -> int:
    """One row inserted with plain SQL; returns its id."""
    columns = ", ".join(values)
    parameters = ", ".join(f":{name}" for name in values)
    statement = sa.text(f"INSERT INTO {table} ({columns}) VALUES ({parameters}) RETURNING id")
    return connection.execute(statement, values).scalar_one()


def release_rows(engine: Engine) -> None:
    """Rows as the release wrote them: organisations, assessments, respondents, answers, a workshop session with a
    participant and an agreement, saved cohorts (one of the abolished E54000023) and an export audit row."""
    sqlite = engine.dialect.name == "sqlite"

    def at(moment: str) -> str:  # how the release stores a UTC timestamp on each database
        return f"{moment}.000000" if sqlite else f"{moment}+00:00"

    criteria = json.dumps({"age_min": 65, "frailty": ["moderate", "severe"]})
    with engine.begin() as c:
        icb = insert(
            c,
            "maturity_organisation",
            name="NHS Suffolk and North East Essex ICB",
            kind="icb",
            code="QJG",
            parent_id=None,
            created_at=at("2025-01-06 09:00:00"),
        )
        place = insert(
            c,
            "maturity_organisation",
            name="Ipswich and East Suffolk",
            kind="place",
            code=None,
            parent_id=icb,
            created_at=at("2025-01-06 09:05:00"),
        )
        common = {"framework_id": "phm_maturity", "framework_version": 1}
        closed = insert(
            c,
            "maturity_assessment",
            organisation_id=icb,
            title="Spring 2025 baseline",
            assessment_date="2025-03-14",
            status="closed",
            uid=str(uuid.UUID(int=1)),
            created_at=at("2025-03-14 10:00:00"),
            **common,
        )
        open_ = insert(
            c,
            "maturity_assessment",
            organisation_id=place,
            title="Place workshop",
            assessment_date="2025-11-20",
            status="open",
            uid=str(uuid.UUID(int=2)),
            created_at=at("2025-11-20 09:00:00"),
            **common,
        )
        ann = insert(
            c,
            "maturity_respondent",
            assessment_id=closed,
            name="Ann Example",
            role="Director of PHM",
            is_anonymous=False,
            resume_token="ann-resume-token-0001",
            created_at=at("2025-03-14 10:01:00"),
        )
        anonymous = insert(
            c,
            "maturity_respondent",
            assessment_id=closed,
            name=None,
            role="GP partner",
            is_anonymous=True,
            resume_token="anonymous-resume-token-0002",
            created_at=at("2025-03-14 10:02:00"),
        )
        bob = insert(
            c,
            "maturity_respondent",
            assessment_id=open_,
            name="Bob Example",
            role="PCN clinical director",
            is_anonymous=False,
            resume_token="bob-resume-token-0003",
            created_at=at("2025-11-20 09:31:00"),
        )
        for respondent, component, stage, links in (
            (ann, "organisational_factors", 2, ["https://example.nhs.uk/phm/data-strategy"]),
            (ann, "digitised_care_record", 3, []),
            (anonymous, "organisational_factors", 1, []),
            (bob, "organisational_factors", 2, []),
        ):
            insert(
                c,
                "maturity_answer",
                respondent_id=respondent,
                component_id=component,
                current_stage=stage,
                target_stage=4,
                target_date="2026-03-31",
                confidence=2,
                evidence_notes="Linked data covers primary and acute care.",
                evidence_links=json.dumps(links),
                created_at=at("2025-03-14 10:10:00"),
                updated_at=at("2025-03-14 10:20:00"),
            )
        live = insert(
            c,
            "workshop_session",
            assessment_id=open_,
            title="Ipswich place workshop",
            status="open",
            pace_component_id="organisational_factors",
            hide_results=True,
            results_revealed=False,
            expires_at=at("2025-11-20 11:30:00"),
            closed_at=None,
            created_by="facilitator@nhs.net",
            state_version=3,
            join_code="XBUUVNB9",
            created_at=at("2025-11-20 09:30:00"),
        )
        insert(
            c,
            "workshop_participant",
            session_id=live,
            respondent_id=bob,
            token_hash="ab" * 32,
            joined_at=at("2025-11-20 09:31:00"),
        )
        insert(
            c,
            "workshop_agreement",
            session_id=live,
            component_id="organisational_factors",
            agreed_stage=2,
            actions="Share the frailty register with the neighbourhood teams.",
            recorded_by="facilitator@nhs.net",
            recorded_at=at("2025-11-20 10:45:00"),
        )
        for name, icb_code, by in (
            ("Frail 65+ in Ipswich", "E54000023", "ann@nhs.net"),  # abolished on 1 April 2026
            ("Frail 65+", "E54000008", None),  # NHS Cheshire and Merseyside keeps its code
        ):
            insert(
                c,
                "cohort_saved",
                name=name,
                icb_code=icb_code,
                criteria=criteria,
                description="Case finding for the frailty MDT",
                created_by=by,
                created_at=at("2025-11-21 14:00:00"),
                updated_at=at("2025-11-21 14:00:00"),
            )
        insert(
            c,
            "cohort_export_audit",
            kind="pseudonymised_list",
            reason="Frailty MDT case finding",
            exported_by="ann@nhs.net",
            icb_code="E54000023",
            footprint="NHS Suffolk and North East Essex ICB",
            cohort_name="Frail 65+ in Ipswich",
            criteria=criteria,
            rows=1234,
            include_opted_out=False,
            file_name="SYNTHETIC-cohort-pseudonymised-list-E54000023-20251121-140500.csv",
            sha256="0" * 64,
            exported_at=at("2025-11-21 14:05:00"),
        )


def release_database(url: str) -> None:
    """The release's schema (only the first revision of each set) with its rows, at ``url``."""
    engine = maturity_db.make_engine(url, migrate=False)
    try:
        for which in ("maturity", "workshop", "cohort"):
            migrate(engine, which, "0001")
        assert revisions(engine) == {"maturity": "0001", "workshop": "0001", "cohort": "0001"}
        release_rows(engine)
    finally:
        engine.dispose()


def release_file_copy(tmp_path: Path) -> tuple[str, dict[str, list[dict[str, Any]]]]:
    """A copy of the committed release database (never the file itself) and its rows, read before any upgrade."""
    copy = tmp_path / "release_copy.sqlite"
    shutil.copyfile(RELEASE_DATABASE, copy)
    engine = sa.create_engine(f"sqlite:///{copy}")
    try:
        before = snapshot(engine)
        assert revisions(engine) == {"maturity": "0001", "workshop": "0001", "cohort": "0001"}
    finally:
        engine.dispose()
    return f"sqlite:///{copy}", before


# --- a release database built here, on SQLite and PostgreSQL --------------------------------------------------------


def test_start_up_upgrades_a_release_database_and_loses_nothing(database_url: str) -> None:
    release_database(database_url)
    old = maturity_db.make_engine(database_url, migrate=False)
    before = snapshot(old)
    old.dispose()
    engine = start_up(database_url)
    try:
        assert revisions(engine) == HEADS
        assert_nothing_lost(before, snapshot(engine))
        with Session(engine) as s:
            saved = cohorts.list_cohorts(s, icb_code="E54000023")
            assert [(c.name, c.icb_code, c.geography_version) for c in saved] == [
                ("Frail 65+ in Ipswich", "E54000023", "2024-04")
            ]
            assert saved[0].criteria == {"age_min": 65, "frailty": ["moderate", "severe"]}
            assert cohorts.list_cohorts(s, icb_code="E54000023", geography_version="2026-04") == []
            [export] = cohorts.list_exports(s, geography_version="2024-04")
            assert (export.icb_code, export.rows, export.reason) == ("E54000023", 1234, "Frailty MDT case finding")
            assert cohorts.list_exports(s, geography_version="2026-04") == []
            assert {o.geography_version for o in maturity.list_organisations(s)} == {"2024-04"}
            assert cohorts.list_neighbourhoods(s, icb_code="E54000068", geography_version="2026-04") == []
            chain = cohorts.verify_export_chain(s)  # the release's audit row was chained by the migration
            assert chain.ok and chain.rows_checked == 1
    finally:
        engine.dispose()


def test_the_upgraded_database_keeps_working_for_old_and_new_geography(database_url: str) -> None:
    release_database(database_url)
    engine = start_up(database_url)
    try:
        with Session(engine) as s:
            # An ICB that kept its code: a cohort of the same name on the new geography is a second cohort.
            new = cohorts.save_cohort(
                s, name="Frail 65+", icb_code="E54000008", criteria={"age_min": 70}, geography_version="2026-04"
            )
            both = cohorts.list_cohorts(s, icb_code="E54000008")
            assert sorted((c.geography_version, c.criteria.get("age_min")) for c in both) == [
                ("2024-04", 65),
                ("2026-04", 70),
            ]
            again = cohorts.save_cohort(
                s, name="Frail 65+", icb_code="E54000008", criteria={"age_min": 75}, geography_version="2026-04"
            )
            assert again.id == new.id  # same name, ICB and version: updated, not duplicated
            assert len(cohorts.list_cohorts(s, icb_code="E54000008")) == 2
            # The old assessment still scores, its respondents can still resume, the workshop record is intact.
            closed = maturity.list_assessments(s, status="closed")[0]
            assert maturity.assessment_results(s, closed.id).n_respondents == 2
            assert maturity.resume_respondent(s, "ann-resume-token-0001").name == "Ann Example"
            [live] = workshop.list_live_sessions(s)
            assert workshop.agreements_for(s, live.id)["organisational_factors"].agreed_stage == 2
            # Organisations can now stand for a footprint of the new geography.
            norfolk = maturity.create_organisation(
                s,
                name="NHS Norfolk and Suffolk ICB",
                kind="icb",
                geography_version="2026-04",
                area_code="E54000068",
                area_level="icb",
            )
            assert maturity.find_organisation(s, area_code="E54000068", geography_version="2026-04") == norfolk
            assert maturity.find_organisation(s, area_code="E54000068", geography_version="2024-04") is None
        restart = start_up(database_url)  # a second start-up changes nothing
        assert revisions(restart) == HEADS
        restart.dispose()
    finally:
        engine.dispose()


def test_old_assessments_can_be_edited_archived_and_deleted_after_the_upgrade_with_an_audit_trail(
    database_url: str,
) -> None:
    release_database(database_url)
    engine = start_up(database_url)
    try:
        with Session(engine) as s:
            assert len(maturity.list_assessments(s)) == 2  # none archived by the upgrade
            closed = maturity.list_assessments(s, status="closed")[0]
            place = maturity.list_assessments(s, status="open")[0]
            edited = maturity.update_assessment(s, closed.id, title="Spring 2025 (baseline)", actor="ann@nhs.net")
            assert (edited.title, edited.uid) == ("Spring 2025 (baseline)", closed.uid)
            maturity.archive_assessment(s, closed.id)
            assert [a.id for a in maturity.list_assessments(s)] == [place.id]
            maturity.restore_assessment(s, closed.id)
            assert maturity.assessment_results(s, closed.id).n_respondents == 2  # answers kept throughout
            # Deleting the place's assessment removes its live workshop too (ON DELETE CASCADE) and is recorded.
            maturity.delete_assessment(s, place.id, actor="ann@nhs.net")
            assert workshop.list_live_sessions(s) == []
            [deleted] = maturity.audit_events(s, action="deleted")
            assert deleted.before["respondents"] == 1 and deleted.assessment_title == "Place workshop"
            assert [e.action for e in maturity.audit_events(s, assessment_id=closed.id)] == [
                "edited",
                "archived",
                "restored",
            ]
        migrate(engine, "maturity", "0002", down=True)  # the audit trail and the archive column go away
        assert "maturity_audit" not in sa.inspect(engine).get_table_names()
        assert "archived_at" not in {c["name"] for c in sa.inspect(engine).get_columns("maturity_assessment")}
    finally:
        engine.dispose()


def test_a_sqlite_release_database_keeps_its_constraints_after_the_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'release.sqlite'}"
    release_database(url)
    engine = start_up(url)
    try:
        with engine.connect() as connection:
            with pytest.raises(sa.exc.IntegrityError):  # CHECK (kind IN ...) survived
                connection.execute(
                    sa.text("INSERT INTO maturity_organisation (name, kind, created_at) VALUES ('X', 'trust', '')")
                )
            connection.rollback()
            # ON DELETE CASCADE survived: deleting an organisation still removes its assessments.
            connection.execute(sa.text("DELETE FROM maturity_organisation WHERE name = 'Ipswich and East Suffolk'"))
            assert connection.execute(sa.text("SELECT count(*) FROM workshop_session")).scalar_one() == 0
            assert connection.execute(sa.text("SELECT count(*) FROM maturity_assessment")).scalar_one() == 1
            connection.rollback()
    finally:
        engine.dispose()


def test_the_upgrade_can_be_undone_without_losing_rows(database_url: str) -> None:
    release_database(database_url)
    old = maturity_db.make_engine(database_url, migrate=False)
    before = snapshot(old)
    old.dispose()
    engine = start_up(database_url)
    try:
        migrate(engine, "cohort", "0001", down=True)
        migrate(engine, "maturity", "0001", down=True)
        assert revisions(engine) == {"maturity": "0001", "workshop": "0001", "cohort": "0001"}
        assert snapshot(engine) == before
    finally:
        engine.dispose()


# --- the database file made by the release's own code ---------------------------------------------------------------


def test_the_database_file_of_the_release_is_upgraded_with_nothing_lost(tmp_path: Path) -> None:
    assert RELEASE_DATABASE.stat().st_size < 300_000
    url, before = release_file_copy(tmp_path)
    engine = start_up(url)
    try:
        assert revisions(engine) == HEADS
        assert_nothing_lost(before, snapshot(engine))
        with Session(engine) as s:
            [saved] = cohorts.list_cohorts(s, icb_code="E54000023", geography_version="2024-04")
            assert (saved.name, saved.created_by) == ("Frail 65+ in Ipswich", "ann@nhs.net")
            [export] = cohorts.list_exports(s, icb_code="E54000023")
            assert (export.geography_version, export.cohort_name) == ("2024-04", "Frail 65+ in Ipswich")
            organisations = {o.name: o for o in maturity.list_organisations(s)}
            icb = organisations["NHS Suffolk and North East Essex ICB"]
            assert (icb.code, icb.geography_version, icb.area_code, icb.area_level) == ("QJG", "2024-04", None, None)
            assert organisations["Ipswich and East Suffolk"].parent_id == icb.id
            # The workshop participant can still open their own answers with the token they were given.
            view = workshop.participant_view(s, RELEASE_JOIN_CODE, RELEASE_PARTICIPANT_TOKEN)
            assert view.participant.display_name == "Bob Example"
            assert view.answers[view.live.pace_component_id].current_stage == 2
    finally:
        engine.dispose()
    # The committed file itself is never changed by the test.
    with closing(sqlite3.connect(f"file:{RELEASE_DATABASE}?mode=ro", uri=True)) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(cohort_saved)")]
    assert "geography_version" not in columns


def test_the_release_database_file_can_be_downgraded_again(tmp_path: Path) -> None:
    url, before = release_file_copy(tmp_path)
    engine = start_up(url)
    try:
        migrate(engine, "cohort", "0001", down=True)
        migrate(engine, "maturity", "0001", down=True)
        assert snapshot(engine) == before
    finally:
        engine.dispose()
