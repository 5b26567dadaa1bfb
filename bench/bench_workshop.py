"""Benchmark the live workshop: the facilitator's refresh while 50 participants answer at once.

    .venv/bin/python bench/bench_workshop.py                  # SQLite in a temporary directory
    PHM_TEST_POSTGRES_URL=... .venv/bin/python bench/bench_workshop.py   # PostgreSQL as well

Each participant joins and saves current and target stages for every component (11 x 2 saves), each save in its
own session as the participant page does. Meanwhile a facilitator thread calls ``service.live_results`` (what the
live panel draws every two seconds) back to back. Prints the participants' save latency and the facilitator's
refresh time, idle and under load (median, 95th percentile, maximum).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from maturity import repository  # noqa: E402
from maturity.db import normalise_url  # noqa: E402
from maturity.framework import load_framework  # noqa: E402
from workshop import service  # noqa: E402
from workshop.db import make_engine  # noqa: E402


def summary(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (
        f"median {statistics.median(ordered) * 1000:6.1f} ms, p95 {p95 * 1000:6.1f} ms, "
        f"max {ordered[-1] * 1000:6.1f} ms (n={len(ordered)})"
    )


def run(engine: sa.Engine, participants: int) -> None:
    with Session(engine) as s:
        organisation = repository.create_organisation(s, name=f"Bench {uuid.uuid4().hex[:6]}", kind="icb")
        assessment = repository.create_assessment(s, organisation_id=organisation.id, assessment_date=date.today())
        live = service.start_session(s, assessment_id=assessment.id, paced=False, hide_results=False)
    components = load_framework().component_ids

    def refresh() -> float:
        began = time.perf_counter()
        with Session(engine) as s:
            service.live_results(s, live.id)
        return time.perf_counter() - began

    idle = [refresh() for _ in range(20)]
    start = threading.Barrier(participants + 1)
    done = threading.Event()
    under_load: list[float] = []
    saves: list[float] = []
    lock = threading.Lock()

    def participant(index: int) -> None:
        start.wait()
        with Session(engine) as s:
            token = service.join_session(s, live.join_code, name=f"P{index}").token
        for position, component_id in enumerate(components):
            for field, value in (("current_stage", 1 + (index + position) % 4), ("target_stage", 4)):
                began = time.perf_counter()
                with Session(engine) as s:
                    service.save_participant_answer(s, live.join_code, token, component_id, **{field: value})
                with lock:
                    saves.append(time.perf_counter() - began)

    def facilitator() -> None:
        start.wait()
        while not done.is_set():
            under_load.append(refresh())

    watcher = threading.Thread(target=facilitator)
    watcher.start()
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=participants) as pool:
        for future in [pool.submit(participant, i) for i in range(participants)]:
            future.result()
    elapsed = time.perf_counter() - began
    done.set()
    watcher.join()
    with Session(engine) as s:
        results = service.live_results(s, live.id)
    rated = sum(results.answered.values())
    print(f"  {participants} participants, {len(saves)} saves in {elapsed:.1f} s; {rated} ratings stored")
    print(f"  participant save:              {summary(saves)}")
    print(f"  facilitator refresh, idle:     {summary(idle)}")
    print(f"  facilitator refresh, loaded:   {summary(under_load)}")
    full = [refresh() for _ in range(20)]
    print(f"  facilitator refresh, all in:   {summary(full)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.sqlite'}")
        print("SQLite (file, WAL)")
        run(engine, args.participants)
        engine.dispose()
    url = os.environ.get("PHM_TEST_POSTGRES_URL")
    if url:
        base = normalise_url(url)
        schema = f"bench_workshop_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        try:
            engine = make_engine(base.update_query_dict({"options": f"-csearch_path={schema}"}))
            print("PostgreSQL")
            run(engine, args.participants)
            engine.dispose()
        finally:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
