"""Shared fixtures for the maturity tests: a migrated database on SQLite and, when configured, PostgreSQL.

Test modules re-export what they use (``engine = maturity_fixtures.engine``). The PostgreSQL variant runs when
``PHM_TEST_POSTGRES_URL`` is set (``eval "$(bash .ci/postgres.sh)"`` starts a throwaway server and sets it); each
test gets its own schema, dropped afterwards, so runs never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from maturity import repository
from maturity.db import make_engine, normalise_url
from maturity.models import AssessmentPublic, OrganisationPublic

POSTGRES_URL_ENV = "PHM_TEST_POSTGRES_URL"
SKIP_POSTGRES_REASON = (
    f'PostgreSQL tests need {POSTGRES_URL_ENV}; start a throwaway server with: eval "$(bash .ci/postgres.sh)"'
)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    """A freshly migrated database: a SQLite file, or a new schema on the PostgreSQL test server."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'maturity.sqlite'}")
        try:
            yield engine
        finally:
            engine.dispose()
        return
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        pytest.skip(SKIP_POSTGRES_REASON)
    base = normalise_url(url)
    schema = f"maturity_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(base.update_query_dict({"options": f"-csearch_path={schema}"}))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def make_assessment(
    engine: Engine, *, name: str = "North ICS", kind: str = "ics", on: date = date(2025, 6, 1)
) -> tuple[OrganisationPublic, AssessmentPublic]:
    """An organisation with one open assessment."""
    with Session(engine) as session:
        organisation = repository.create_organisation(session, name=name, kind=kind)
        assessment = repository.create_assessment(session, organisation_id=organisation.id, assessment_date=on)
    return organisation, assessment


MATURITY_TABLE_NAMES = ("maturity_organisation", "maturity_assessment", "maturity_respondent", "maturity_answer")


def database_snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every maturity table, to show that a failed operation changed nothing."""
    snapshot = {}
    with engine.connect() as connection:
        for table in MATURITY_TABLE_NAMES:
            rows = connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY id")).all()
            snapshot[table] = [tuple(row) for row in rows]
    return snapshot
