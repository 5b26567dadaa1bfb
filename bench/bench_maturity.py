"""Benchmark the self-assessment: saving one answer, and computing results for 100 respondents.

    .venv/bin/python bench/bench_maturity.py               # SQLite in a temporary directory
    PHM_TEST_POSTGRES_URL=... .venv/bin/python bench/bench_maturity.py   # PostgreSQL as well

Each figure is the median (and 95th percentile) of many runs on a freshly migrated database.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from maturity import exports, repository  # noqa: E402
from maturity.db import make_engine, normalise_url  # noqa: E402
from maturity.framework import load_framework  # noqa: E402
from maturity.scoring import score_assessment  # noqa: E402


def timings(action: Callable[[], object], repeats: int) -> list[float]:
    """Wall-clock seconds of each of ``repeats`` calls."""
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        out.append(time.perf_counter() - start)
    return out


def summary(name: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    median = statistics.median(ordered)
    return f"  {name:<52} median {median * 1000:8.2f} ms   p95 {p95 * 1000:8.2f} ms   (n={len(ordered)})"


def run(engine: sa.Engine, *, saves: int, respondents: int, repeats: int, seed: int) -> None:
    rng = random.Random(seed)
    framework = load_framework()
    components = framework.component_ids
    with Session(engine) as session:
        organisation = repository.create_organisation(session, name=f"Bench ICS {uuid.uuid4().hex[:6]}", kind="ics")
        assessment = repository.create_assessment(
            session, organisation_id=organisation.id, assessment_date=date(2025, 6, 1)
        )
        person = repository.get_or_create_respondent(session, assessment.id, name="Bench")

        def save_one() -> None:
            repository.save_answer(
                session,
                person.id,
                rng.choice(components),
                current_stage=rng.randint(1, 4),
                target_stage=rng.randint(1, 4),
                confidence=rng.randint(1, 3),
            )

        save_one()  # warm up (framework cache, prepared statements)
        print(summary("save one answer (upsert, own transaction)", timings(save_one, saves)))

        results_assessment = repository.create_assessment(
            session, organisation_id=organisation.id, assessment_date=date(2025, 7, 1)
        )
        for index in range(respondents):
            respondent = repository.get_or_create_respondent(
                session, results_assessment.id, name=f"Respondent {index}", role="PHM lead"
            )
            for component_id in components:
                if rng.random() < 0.05:
                    continue  # some answers missing, as in real life
                repository.save_answer(
                    session,
                    respondent.id,
                    component_id,
                    current_stage=rng.randint(1, 4),
                    target_stage=rng.randint(2, 4),
                    target_date=date(2026, rng.randint(1, 12), 1),
                    confidence=rng.randint(1, 3),
                    evidence_notes="Evidence " * rng.randint(0, 20),
                )
        answers = repository.answers_for(session, results_assessment.id)
        print(f"  ({respondents} respondents, {len(answers)} answers)")
        print(
            summary(
                f"results for {respondents} respondents (query + scoring)",
                timings(lambda: repository.assessment_results(session, results_assessment.id), repeats),
            )
        )
        print(
            summary(
                f"scoring only, {respondents} respondents (pure)",
                timings(lambda: score_assessment(answers, framework), repeats),
            )
        )
        print(
            summary(
                "HTML report (query + scoring + rendering)",
                timings(lambda: exports.assessment_report_html(session, results_assessment.id), max(5, repeats // 4)),
            )
        )
        print(
            summary(
                "Excel export of all responses",
                timings(lambda: exports.responses_xlsx(session, results_assessment.id), 5),
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--saves", type=int, default=500, help="answers to save for the save timing")
    parser.add_argument("--respondents", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=40, help="repeats of the results timing")
    parser.add_argument("--seed", type=int, default=20250601)
    args = parser.parse_args()
    options = {"saves": args.saves, "respondents": args.respondents, "repeats": args.repeats, "seed": args.seed}

    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'bench.sqlite'}")
        print("SQLite (file, WAL):")
        run(engine, **options)
        engine.dispose()

    url = os.environ.get("PHM_TEST_POSTGRES_URL")
    if not url:
        print('PostgreSQL: skipped (set PHM_TEST_POSTGRES_URL, e.g. eval "$(bash .ci/postgres.sh)")')
        return
    base = normalise_url(url)
    schema = f"maturity_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        engine = make_engine(base.update_query_dict({"options": f"-csearch_path={schema}"}))
        print(f"PostgreSQL ({base.host}:{base.port}):")
        run(engine, **options)
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
