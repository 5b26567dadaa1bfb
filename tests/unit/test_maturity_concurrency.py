"""Many people answering the same assessment at once: no answer is lost, none is duplicated."""

from __future__ import annotations

import threading
from collections import Counter

import maturity_fixtures
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from maturity import repository
from maturity.framework import load_framework

pytestmark = pytest.mark.unit

engine = maturity_fixtures.engine

THREADS = 50
SHARED = 10  # threads that are the same person answering in several browser tabs
COMPONENTS = load_framework().component_ids


def stage_for(thread: int, component_index: int) -> int:
    return (thread + component_index) % 4 + 1


def test_fifty_threads_answering_at_once_lose_and_duplicate_nothing(engine):
    _, assessment = maturity_fixtures.make_assessment(engine)
    shared_token = repository.new_resume_token()
    tokens = [shared_token if t < SHARED else repository.new_resume_token() for t in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []
    respondent_of: dict[int, int] = {}

    def answer(thread: int) -> None:
        try:
            barrier.wait(timeout=30)
            # One session per unit of work, as a page would use.
            with Session(engine) as session:
                respondent = repository.get_or_create_respondent(
                    session, assessment.id, name=f"Person {thread}", resume_token=tokens[thread]
                )
            respondent_of[thread] = respondent.id
            for index, component_id in enumerate(COMPONENTS):
                with Session(engine) as session:
                    if thread < SHARED:
                        # Tabs of one person: half save the current stage, half the target, all at once.
                        field = "current_stage" if thread % 2 == 0 else "target_stage"
                        repository.save_answer(
                            session, respondent.id, component_id, **{field: stage_for(thread, index)}
                        )
                    else:
                        repository.save_answer(
                            session,
                            respondent.id,
                            component_id,
                            current_stage=stage_for(thread, index),
                            confidence=thread % 3 + 1,
                        )
        except BaseException as error:  # reported below, with the thread's number
            errors.append(error)

    threads = [threading.Thread(target=answer, args=(t,), name=f"respondent-{t}") for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not [t.name for t in threads if t.is_alive()], "threads still running"
    assert errors == []

    shared_id = respondent_of[0]
    assert {respondent_of[t] for t in range(SHARED)} == {shared_id}  # one person, however many tabs
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT a.respondent_id, a.component_id, a.current_stage, a.target_stage, a.confidence "
                "FROM maturity_answer a JOIN maturity_respondent r ON r.id = a.respondent_id "
                "WHERE r.assessment_id = :id"
            ),
            {"id": assessment.id},
        ).all()
        respondents = connection.execute(
            sa.text("SELECT COUNT(*) FROM maturity_respondent WHERE assessment_id = :id"), {"id": assessment.id}
        ).scalar_one()

    expected_people = THREADS - SHARED + 1
    assert respondents == expected_people
    assert len(rows) == expected_people * len(COMPONENTS)
    assert max(Counter((r.respondent_id, r.component_id) for r in rows).values()) == 1

    by_key = {(r.respondent_id, r.component_id): r for r in rows}
    for thread in range(SHARED, THREADS):
        for index, component_id in enumerate(COMPONENTS):
            row = by_key[(respondent_of[thread], component_id)]
            assert (row.current_stage, row.confidence) == (stage_for(thread, index), thread % 3 + 1)
    for index, component_id in enumerate(COMPONENTS):
        row = by_key[(shared_id, component_id)]
        # Neither tab overwrote the other's field: both the current and the target stage are there.
        assert row.current_stage in {stage_for(t, index) for t in range(0, SHARED, 2)}
        assert row.target_stage in {stage_for(t, index) for t in range(1, SHARED, 2)}
