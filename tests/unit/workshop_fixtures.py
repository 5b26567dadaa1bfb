"""Shared fixtures for the workshop tests: a database with maturity and workshop tables, on SQLite and (when
``PHM_TEST_POSTGRES_URL`` is set) PostgreSQL in a schema of its own; an open assessment to run sessions on."""

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
from maturity.db import normalise_url
from maturity.models import AssessmentPublic
from workshop.db import make_engine

POSTGRES_URL_ENV = "PHM_TEST_POSTGRES_URL"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    """A freshly migrated database (maturity and workshop migrations)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'workshop.sqlite'}")
        try:
            yield engine
        finally:
            engine.dispose()
        return
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        pytest.skip(f'PostgreSQL tests need {POSTGRES_URL_ENV}; start one with: eval "$(bash .ci/postgres.sh)"')
    base = normalise_url(url)
    schema = f"workshop_test_{uuid.uuid4().hex[:12]}"
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


def make_assessment(engine: Engine, *, name: str = "North ICB") -> AssessmentPublic:
    """An organisation with one open assessment."""
    with Session(engine) as session:
        organisation = repository.create_organisation(session, name=name, kind="icb")
        return repository.create_assessment(
            session, organisation_id=organisation.id, assessment_date=date(2026, 11, 1), title="Workshop round"
        )
