"""The export audit trail as the Cohorts page shows it (``ui.cohorts.audit_panel``): it checks the hash chain
each time and warns, naming the row, when a row was changed behind the app's back."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from cohort_store import db as cohort_db
from cohort_store import repository
from phm_core.settings import database_url

pytestmark = pytest.mark.app

ICB = "E54000068"


def audit_view() -> None:
    from ui import cohorts

    cohorts.audit_panel("E54000068")


def record_exports(count: int) -> list[int]:
    engine = cohort_db.make_engine(database_url())
    try:
        with Session(engine) as s:
            return [
                repository.record_export(
                    s,
                    kind="aggregates",
                    reason=f"Board paper on frailty, part {n}",
                    icb_code=ICB,
                    footprint="NHS Norfolk and Suffolk",
                    criteria={"age_min": 65},
                    rows=10,
                    file_name=f"f{n}.csv",
                    sha256="a" * 64,
                ).id
                for n in range(count)
            ]
    finally:
        engine.dispose()


def run_sql(*statements: str) -> None:
    engine = sa.create_engine(database_url())
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def test_an_unbroken_trail_says_it_was_checked() -> None:
    record_exports(3)
    at = AppTest.from_function(audit_view, default_timeout=60).run()
    assert not at.exception
    assert not at.error
    assert any("checked" in c.value and "3 exports" in c.value for c in at.caption)
    assert len(at.dataframe[0].value) == 3


def test_a_row_changed_with_raw_sql_is_named_in_a_warning() -> None:
    ids = record_exports(3)
    run_sql(
        "DROP TRIGGER cohort_export_audit_no_update",  # what someone with the database file can do
        f"UPDATE cohort_export_audit SET reason = 'Nothing to see here' WHERE id = {ids[1]}",
    )
    at = AppTest.from_function(audit_view, default_timeout=60).run()
    assert not at.exception
    [warning] = at.error
    assert "audit trail has been tampered with" in warning.value
    assert f"row {ids[1]}" in warning.value
    assert len(at.dataframe[0].value) == 3  # the rows are still shown, to be looked into
