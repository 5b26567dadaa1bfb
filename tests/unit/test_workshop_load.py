"""Load: 50 participants join and answer at once through the service the participant page calls, while the
facilitator's live panel refreshes; no answer is lost or duplicated. The refresh times are printed (``-s``) and
measured properly by bench/bench_workshop.py; tests do not assert on wall-clock time."""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import workshop_fixtures
from sqlmodel import Session, func, select

from maturity.framework import load_framework
from maturity.models import Answer
from workshop import service

pytestmark = pytest.mark.unit

engine = workshop_fixtures.engine
PARTICIPANTS = 50
COMPONENTS = 4  # each participant rates current and target stage of four components: 400 saves in all


def expected_stage(index: int, component_index: int) -> int:
    return 1 + (index + component_index) % 4


def test_fifty_participants_answering_at_once_lose_and_duplicate_nothing(engine) -> None:
    assessment = workshop_fixtures.make_assessment(engine)
    with Session(engine) as s:
        live = service.start_session(s, assessment_id=assessment.id, paced=False, hide_results=False)
    components = load_framework().component_ids[:COMPONENTS]
    start = threading.Barrier(PARTICIPANTS + 1)
    done = threading.Event()
    refresh_seconds: list[float] = []

    def participant(index: int) -> tuple[str, int]:
        start.wait()
        with Session(engine) as s:  # one session per participant, as each browser session has its own
            joined = service.join_session(s, live.join_code, name=f"Participant {index}")
        for position, component_id in enumerate(components):
            stage = expected_stage(index, position)
            with Session(engine) as s:
                service.save_participant_answer(s, live.join_code, joined.token, component_id, current_stage=stage)
            with Session(engine) as s:
                service.save_participant_answer(s, live.join_code, joined.token, component_id, target_stage=4)
        return joined.token, joined.participant.respondent_id

    def facilitator() -> None:
        start.wait()
        while not done.is_set():
            began = time.perf_counter()
            with Session(engine) as s:
                service.live_results(s, live.id)
            refresh_seconds.append(time.perf_counter() - began)
            time.sleep(0.05)

    watcher = threading.Thread(target=facilitator)
    watcher.start()
    with ThreadPoolExecutor(max_workers=PARTICIPANTS) as pool:
        futures = [pool.submit(participant, i) for i in range(PARTICIPANTS)]
        joined = [f.result(timeout=300) for f in futures]
    done.set()
    watcher.join(timeout=60)

    with Session(engine) as s:
        rows = s.exec(select(func.count()).select_from(Answer)).one()
        results = service.live_results(s, live.id)
        for index, (token, _) in enumerate(joined):
            answers = service.participant_view(s, live.join_code, token).answers
            assert {cid: (a.current_stage, a.target_stage) for cid, a in answers.items()} == {
                cid: (expected_stage(index, position), 4) for position, cid in enumerate(components)
            }
    assert rows == PARTICIPANTS * COMPONENTS  # no duplicates, nothing lost
    assert len({respondent for _, respondent in joined}) == PARTICIPANTS
    assert results.n_participants == PARTICIPANTS
    assert results.answered == dict.fromkeys(components, PARTICIPANTS)
    for position, component_id in enumerate(components):
        counts = [0, 0, 0, 0]
        for index in range(PARTICIPANTS):
            counts[expected_stage(index, position) - 1] += 1
        assert results.result.component(component_id).counts == tuple(counts)
    assert refresh_seconds, "the facilitator's panel never refreshed during the load"
    print(
        f"\n{engine.dialect.name}: facilitator refresh under load of {PARTICIPANTS} participants: "
        f"median {statistics.median(refresh_seconds) * 1000:.0f} ms, max {max(refresh_seconds) * 1000:.0f} ms "
        f"over {len(refresh_seconds)} refreshes"
    )
