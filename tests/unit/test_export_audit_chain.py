"""The export audit trail is append-only and tamper-evident: each row carries the hash of the row before it and
its own (over its content and that previous hash), written in the same transaction; the database refuses updates
and deletes; and a row changed or removed behind the app's back (raw SQL, triggers dropped) is named by
:func:`cohort_store.repository.verify_export_chain`. Two exports at once never fork the chain. SQLite always,
PostgreSQL when PHM_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session
from test_cohort_store import engine  # noqa: F401  (the fixture: SQLite and PostgreSQL)
from test_release_migration import database_url, migrate  # noqa: F401  (an empty database; one migration)

from cohort_store import audit_chain, repository
from cohort_store import db as cohort_db
from cohort_store.audit_chain import GENESIS_HASH
from maturity import db as maturity_db

pytestmark = pytest.mark.unit


def export(session: Session, n: int, *, icb_code: str = "E54000068") -> int:
    row = repository.record_export(
        session,
        kind="pseudonymised_list",
        reason=f"Direct care review number {n}",
        icb_code=icb_code,
        footprint="NHS Norfolk and Suffolk",
        criteria={"age_min": 65, "conditions": ["COPD"], "threshold": 0.25},
        rows=10 + n,
        file_name=f"export-{n}.csv",
        sha256=f"{n:064x}",
        exported_by="analyst@example.nhs.uk",
    )
    return row.id


def drop_append_only_triggers(connection: sa.Connection) -> None:
    """What someone with direct access to the database can do before editing rows."""
    if connection.dialect.name == "sqlite":
        connection.execute(sa.text("DROP TRIGGER cohort_export_audit_no_update"))
        connection.execute(sa.text("DROP TRIGGER cohort_export_audit_no_delete"))
    else:
        connection.execute(sa.text("DROP TRIGGER cohort_export_audit_append_only ON cohort_export_audit"))


def test_each_row_carries_the_hash_of_the_one_before_and_the_chain_verifies(engine: Engine) -> None:  # noqa: F811
    with Session(engine) as s:
        ids = [export(s, n) for n in range(4)]
        rows = {r.id: r for r in repository.list_exports(s, limit=10)}
        check = repository.verify_export_chain(s)
    assert rows[ids[0]].previous_hash == GENESIS_HASH
    for before, after in zip(ids, ids[1:], strict=False):
        assert rows[after].previous_hash == rows[before].row_hash
    assert len({r.row_hash for r in rows.values()}) == 4
    assert check.ok and check.rows_checked == 4 and check.broken_row_id is None


def test_the_database_refuses_to_change_or_delete_an_audit_row(engine: Engine) -> None:  # noqa: F811
    with Session(engine) as s:
        first = export(s, 1)
    for statement in (
        "UPDATE cohort_export_audit SET reason = 'nothing to see here' WHERE id = :id",
        "DELETE FROM cohort_export_audit WHERE id = :id",
    ):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as connection:
            connection.execute(sa.text(statement), {"id": first})
    with Session(engine) as s:
        assert repository.verify_export_chain(s).ok
        assert [r.reason for r in repository.list_exports(s)] == ["Direct care review number 1"]


def test_a_row_changed_with_raw_sql_is_named_by_the_verification(engine: Engine) -> None:  # noqa: F811
    with Session(engine) as s:
        ids = [export(s, n) for n in range(5)]
    with engine.begin() as connection:
        drop_append_only_triggers(connection)
        connection.execute(sa.text("UPDATE cohort_export_audit SET rows = 1 WHERE id = :id"), {"id": ids[2]})
    with Session(engine) as s:
        check = repository.verify_export_chain(s)
    assert not check.ok
    assert check.broken_row_id == ids[2]
    assert f"row {ids[2]}" in check.problem and "changed" in check.problem


def test_a_changed_row_whose_hash_was_recomputed_breaks_the_link_to_the_next(engine: Engine) -> None:  # noqa: F811
    with Session(engine) as s:
        ids = [export(s, n) for n in range(4)]
        second = next(r for r in repository.list_exports(s) if r.id == ids[1])
    forged = second.model_dump() | {"reason": "Routine check, nothing to see"}
    with engine.begin() as connection:
        drop_append_only_triggers(connection)
        connection.execute(
            sa.text("UPDATE cohort_export_audit SET reason = :reason, row_hash = :h WHERE id = :id"),
            {"reason": forged["reason"], "h": audit_chain.row_hash(forged, second.previous_hash), "id": ids[1]},
        )
    with Session(engine) as s:
        check = repository.verify_export_chain(s)
    assert check.broken_row_id == ids[2]  # the forged row checks out by itself; the next one no longer follows it
    assert f"row {ids[2]}" in check.problem


def test_a_row_whose_hash_was_overwritten_is_named(engine: Engine) -> None:  # noqa: F811
    with Session(engine) as s:
        ids = [export(s, n) for n in range(3)]
    with engine.begin() as connection:
        drop_append_only_triggers(connection)
        connection.execute(
            sa.text("UPDATE cohort_export_audit SET row_hash = :h WHERE id = :id"), {"h": "f" * 64, "id": ids[1]}
        )
    with Session(engine) as s:
        assert repository.verify_export_chain(s).broken_row_id == ids[1]


def test_a_deleted_row_is_found_at_the_row_after_it(engine: Engine) -> None:  # noqa: F811
    with Session(engine) as s:
        ids = [export(s, n) for n in range(4)]
    with engine.begin() as connection:
        drop_append_only_triggers(connection)
        connection.execute(sa.text("DELETE FROM cohort_export_audit WHERE id = :id"), {"id": ids[1]})
    with Session(engine) as s:
        check = repository.verify_export_chain(s)
    assert check.broken_row_id == ids[2]
    assert f"row {ids[2]}" in check.problem and "removed" in check.problem


def test_an_empty_trail_verifies(engine: Engine) -> None:  # noqa: F811
    with Session(engine) as s:
        check = repository.verify_export_chain(s)
    assert check.ok and check.rows_checked == 0


def test_exports_made_at_once_never_fork_the_chain(engine: Engine) -> None:  # noqa: F811
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def exporter(worker: int) -> None:
        try:
            start.wait()
            with Session(engine) as s:
                for n in range(5):
                    export(s, worker * 100 + n)
        except BaseException as error:  # noqa: BLE001  (reported below)
            errors.append(error)

    threads = [threading.Thread(target=exporter, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with Session(engine) as s:
        check = repository.verify_export_chain(s)
    assert check.ok and check.rows_checked == 30


def test_the_migration_chains_the_rows_already_there(database_url: str) -> None:  # noqa: F811
    database = maturity_db.make_engine(database_url, migrate=False)
    try:
        migrate(database, "cohort", "0003")
        with database.begin() as connection:
            for n, (when, criteria) in enumerate(
                [("2025-11-21 14:05:00.123456", '{"age_min": 65}'), ("2025-11-22 09:00:00", '{"ages": [1, 2.5]}')]
            ):
                connection.execute(
                    sa.text(
                        "INSERT INTO cohort_export_audit (kind, reason, exported_by, icb_code, geography_version, "
                        "footprint, cohort_name, criteria, rows, include_opted_out, file_name, sha256, exported_at) "
                        "VALUES ('aggregates', 'Board paper on frailty', NULL, 'E54000023', '2024-04', 'Suffolk', "
                        f"NULL, :criteria, {n}, {'true' if n else 'false'}, 'f.csv', :sha, :when)"
                    ),
                    {"criteria": criteria, "sha": "a" * 64, "when": when},
                )
        cohort_db.upgrade_to_head(database)
        with Session(database) as s:
            assert repository.verify_export_chain(s).rows_checked == 2
            export(s, 9)
            check = repository.verify_export_chain(s)
            newest = repository.list_exports(s, limit=1)[0]
        assert check.ok and check.rows_checked == 3
        assert newest.previous_hash != GENESIS_HASH
        migrate(database, "cohort", "0003", down=True)  # the downgrade removes the chain and the triggers
        with database.begin() as connection:
            connection.execute(sa.text("DELETE FROM cohort_export_audit WHERE id = :id"), {"id": newest.id})
    finally:
        database.dispose()
