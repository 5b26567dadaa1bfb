"""The cohort store per geography version: saved cohorts and export audit rows record the version of their ICB
code, and user-defined neighbourhoods are replaced as a whole set. SQLite always, PostgreSQL when
PHM_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from cohort_store import db as cohort_db
from cohort_store import exports, repository
from maturity.db import normalise_url

pytestmark = pytest.mark.unit

POSTGRES_URL_ENV = "PHM_TEST_POSTGRES_URL"
OLD, NEW = "2024-04", "2026-04"
NORFOLK_AND_SUFFOLK = "E54000068"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    """A database with the cohort tables at head: a SQLite file, or a new schema on the PostgreSQL test server."""
    if request.param == "sqlite":
        engine = cohort_db.make_engine(f"sqlite:///{tmp_path / 'cohorts.sqlite'}")
        try:
            yield engine
        finally:
            engine.dispose()
        return
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        pytest.skip(f'PostgreSQL tests need {POSTGRES_URL_ENV}; start one with: eval "$(bash .ci/postgres.sh)"')
    base = normalise_url(url)
    schema = f"cohort_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = cohort_db.make_engine(base.update_query_dict({"options": f"-csearch_path={schema}"}))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def neighbourhood(name: str, code: str, *, lsoas: tuple[str, ...] = (), pcns: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "name": name,
        "code": code,
        "built_from": "pcn" if pcns else "lsoa",
        "lsoa_codes": list(lsoas),
        "pcn_codes": list(pcns),
    }


IPSWICH = neighbourhood("Ipswich North", "NBH001", lsoas=("E01029850", "E01029851"), pcns=("U12345",))
FELIXSTOWE = neighbourhood("Felixstowe", "NBH002", lsoas=("E01029900",))
LOWESTOFT = neighbourhood("Lowestoft", "NBH003", lsoas=("E01030000", "E01030001"))


def rows(engine: Engine, table: str) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))]


# --- saved cohorts and exports ---------------------------------------------------------------------------------------


def test_a_cohort_name_is_kept_apart_on_each_geography_version(engine) -> None:
    with Session(engine) as s:
        old = repository.save_cohort(
            s, name="Frail 65+", icb_code="E54000008", criteria={"age_min": 65}, geography_version=OLD
        )
        new = repository.save_cohort(
            s, name="Frail 65+", icb_code="E54000008", criteria={"age_min": 70}, geography_version=NEW
        )
        assert old.id != new.id and (old.geography_version, new.geography_version) == (OLD, NEW)
        updated = repository.save_cohort(
            s, name="Frail 65+", icb_code="E54000008", criteria={"age_min": 75}, geography_version=NEW
        )
        assert updated.id == new.id and updated.geography_version == NEW
        assert repository.get_cohort(s, old.id).criteria == {"age_min": 65}  # the old one is untouched
        assert [c.criteria for c in repository.list_cohorts(s, icb_code="E54000008", geography_version=OLD)] == [
            {"age_min": 65}
        ]
        assert len(repository.list_cohorts(s, icb_code="E54000008")) == 2  # no version: all of them
        assert repository.list_cohorts(s, icb_code="E54000008", geography_version="2030-04") == []
        with pytest.raises(ValueError, match="geography version"):
            repository.save_cohort(s, name="X", icb_code="E54000008", criteria={}, geography_version="April 2026")


def test_a_caller_that_gives_no_version_saves_on_the_default_geography(engine) -> None:
    with Session(engine) as s:
        saved = repository.save_cohort(s, name="Children with asthma", icb_code="E54000068", criteria={})
        row = repository.record_export(
            s,
            kind="aggregates",
            reason="Asthma review planning",
            icb_code="E54000068",
            footprint="NHS Norfolk and Suffolk",
            criteria={},
            rows=3,
            file_name="f.csv",
            sha256="0" * 64,
        )
    assert saved.geography_version == row.geography_version == "2026-04"


def test_export_audit_rows_record_and_filter_by_geography_version(engine) -> None:
    table = pd.DataFrame({"group": ["a"], "in_cohort": [12.0], "in_cohort_suppressed": [False]})
    with Session(engine) as s:
        _, old = exports.export_aggregates(
            s,
            table=table,
            reason="Falls service business case",
            icb_code="E54000023",
            footprint="NHS Suffolk and North East Essex",
            criteria={},
            geography_version=OLD,
        )
        _, new = exports.export_aggregates(
            s,
            table=table,
            reason="Falls service business case",
            icb_code=NORFOLK_AND_SUFFOLK,
            footprint="NHS Norfolk and Suffolk",
            criteria={},
            geography_version=NEW,
        )
        assert (old.geography_version, old.icb_code) == (OLD, "E54000023")
        assert [r.id for r in repository.list_exports(s, geography_version=OLD)] == [old.id]
        assert [r.id for r in repository.list_exports(s, geography_version=NEW)] == [new.id]
        assert [r.id for r in repository.list_exports(s)] == [new.id, old.id]
        assert repository.list_exports(s, icb_code="E54000023", geography_version=NEW) == []


# --- neighbourhoods --------------------------------------------------------------------------------------------------


def test_neighbourhoods_are_saved_listed_and_replaced_as_a_whole_set(engine) -> None:
    scope = {"icb_code": NORFOLK_AND_SUFFOLK, "geography_version": NEW}
    with Session(engine) as s:
        saved = repository.replace_neighbourhoods(s, **scope, neighbourhoods=[IPSWICH, FELIXSTOWE], user="ann@nhs.net")
        assert [n.name for n in saved] == ["Felixstowe", "Ipswich North"]  # by name
        ipswich = saved[1]
        assert (ipswich.code, ipswich.built_from, ipswich.lsoa_codes, ipswich.pcn_codes) == (
            "NBH001",
            "pcn",
            ["E01029850", "E01029851"],
            ["U12345"],
        )
        assert (ipswich.created_by, ipswich.updated_by) == ("ann@nhs.net", "ann@nhs.net")
        # Another ICB and the same ICB on another version are separate sets.
        repository.replace_neighbourhoods(s, icb_code="E54000008", geography_version=NEW, neighbourhoods=[IPSWICH])
        repository.replace_neighbourhoods(
            s, icb_code=NORFOLK_AND_SUFFOLK, geography_version=OLD, neighbourhoods=[IPSWICH]
        )

        renamed = {**FELIXSTOWE, "name": "Felixstowe and Trimleys"}
        replaced = repository.replace_neighbourhoods(
            s, **scope, neighbourhoods=[IPSWICH, renamed, LOWESTOFT], user="bob@nhs.net"
        )
        by_code = {n.code: n for n in replaced}
        assert sorted(by_code) == ["NBH001", "NBH002", "NBH003"]
        # The code is the identity: who made it and when are kept; a change records who made it and when.
        assert (by_code["NBH002"].name, by_code["NBH002"].created_by, by_code["NBH002"].updated_by) == (
            "Felixstowe and Trimleys",
            "ann@nhs.net",
            "bob@nhs.net",
        )
        assert by_code["NBH002"].created_at == saved[0].created_at < by_code["NBH002"].updated_at
        assert (by_code["NBH001"].updated_by, by_code["NBH001"].updated_at) == ("ann@nhs.net", ipswich.updated_at)
        assert by_code["NBH003"].created_by == "bob@nhs.net"

        left = repository.replace_neighbourhoods(s, **scope, neighbourhoods=[LOWESTOFT])
        assert [n.code for n in left] == ["NBH003"]
        assert [n.name for n in repository.list_neighbourhoods(s, icb_code="E54000008", geography_version=NEW)] == [
            "Ipswich North"
        ]
        assert len(repository.list_neighbourhoods(s, icb_code=NORFOLK_AND_SUFFOLK, geography_version=OLD)) == 1

        assert repository.delete_neighbourhoods(s, **scope) == 1
        assert repository.list_neighbourhoods(s, **scope) == []
        assert repository.delete_neighbourhoods(s, **scope) == 0
        assert len(repository.list_neighbourhoods(s, icb_code="E54000008", geography_version=NEW)) == 1


@pytest.mark.parametrize(
    ("neighbourhoods", "message"),
    [
        ([IPSWICH, {**FELIXSTOWE, "name": "  ipswich   NORTH "}], r"two neighbourhoods are called 'Ipswich North'"),
        ([IPSWICH, {**FELIXSTOWE, "code": "NBH001"}], r"two neighbourhoods have the code 'NBH001'"),
        ([IPSWICH, {k: v for k, v in FELIXSTOWE.items() if k != "pcn_codes"}], r"missing pcn_codes"),
        ([{**IPSWICH, "population": 12_000}], r"unknown field\(s\) population"),
        ([{**IPSWICH, "built_from": "practice"}], r"built_from must be one of pcn, lsoa"),
        ([{**IPSWICH, "name": "   "}], r"a name of 1 to 100 characters"),
        ([{**IPSWICH, "name": "N" * 101}], r"a name of 1 to 100 characters"),
        ([{**IPSWICH, "code": "C" * 21}], r"a code of 1 to 20 characters"),
        ([{**IPSWICH, "lsoa_codes": "E01029850"}], r"lsoa_codes must be a list"),
        ([{**IPSWICH, "pcn_codes": ["U12345", None]}], r"pcn_codes must hold only non-empty text codes"),
        (IPSWICH, r"neighbourhoods must be a list"),
    ],
)
def test_a_set_with_a_duplicate_or_malformed_neighbourhood_is_refused_and_nothing_changes(
    engine, neighbourhoods, message
) -> None:
    scope = {"icb_code": NORFOLK_AND_SUFFOLK, "geography_version": NEW}
    with Session(engine) as s:
        repository.replace_neighbourhoods(s, **scope, neighbourhoods=[LOWESTOFT])
    before = rows(engine, "cohort_neighbourhood")
    with Session(engine) as s:
        with pytest.raises(ValueError, match=message):
            repository.replace_neighbourhoods(s, **scope, neighbourhoods=neighbourhoods)
    assert rows(engine, "cohort_neighbourhood") == before


def test_a_replacement_that_fails_half_way_leaves_the_old_set(engine, monkeypatch) -> None:
    scope = {"icb_code": NORFOLK_AND_SUFFOLK, "geography_version": NEW}
    with Session(engine) as s:
        repository.replace_neighbourhoods(s, **scope, neighbourhoods=[IPSWICH, FELIXSTOWE])
    before = rows(engine, "cohort_neighbourhood")

    def fail() -> None:  # called after the old set has been deleted, before the new one is written
        raise RuntimeError("the database went away")

    monkeypatch.setattr(repository, "utc_now", fail)
    with Session(engine) as s:
        with pytest.raises(RuntimeError):
            repository.replace_neighbourhoods(s, **scope, neighbourhoods=[LOWESTOFT])
    assert rows(engine, "cohort_neighbourhood") == before


def test_people_replacing_the_same_set_at_once_leave_one_whole_set(engine) -> None:
    scope = {"icb_code": NORFOLK_AND_SUFFOLK, "geography_version": NEW}
    threads = 8
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def replace(i: int) -> None:
        # Everyone uses the same names, with codes of their own: a mixed result would show.
        mine = [neighbourhood(name, f"T{i}-{name[:3]}", lsoas=(f"E0100000{i}",)) for name in ("North", "South", "East")]
        try:
            barrier.wait()
            with Session(engine) as s:
                repository.replace_neighbourhoods(s, **scope, neighbourhoods=mine, user=f"user{i}")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    workers = [threading.Thread(target=replace, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    with Session(engine) as s:
        final = repository.list_neighbourhoods(s, **scope)
    assert [n.name for n in final] == ["East", "North", "South"]
    assert len({n.code.split("-")[0] for n in final}) == 1  # all three from one person
    assert len({n.updated_by for n in final}) == 1
