"""Make ``release_2025_database.sqlite``: a database written by the release before geography versions.

Run with the release's code on the import path, never with the current code, e.g.::

    git worktree add --detach /tmp/release de0a2ee
    PYTHONPATH=/tmp/release .venv/bin/python tests/unit/data/make_release_database.py \
        tests/unit/data/release_2025_database.sqlite
    git worktree remove /tmp/release

The database is made the way the release's app makes it (maturity engine, then the workshop and cohort
migrations on it) and filled through the release's own repository and service functions: two organisations,
a closed assessment with a named and an anonymous respondent and their answers, an open assessment with a live
workshop session, a participant, their answer and an agreement, two saved cohorts (one for NHS Suffolk and North
East Essex, E54000023, abolished on 1 April 2026) and the audit row of an export. It prints the participant's
secret token (the database holds only its hash) for the test that resumes the participant after the upgrade.
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from sqlmodel import Session

from cohort_store import db as cohort_db
from cohort_store import repository as cohorts
from maturity import db as maturity_db
from maturity import repository as maturity
from workshop import db as workshop_db
from workshop import service as workshop

WORKSHOP_TIME = datetime(2025, 11, 20, 9, 30, tzinfo=UTC)


def main(path: Path) -> None:
    """Write the release database to ``path`` (which must not exist yet)."""
    if path.exists():
        raise SystemExit(f"{path} exists: remove it first")
    engine = maturity_db.make_engine(f"sqlite:///{path}")
    workshop_db.upgrade_to_head(engine)
    cohort_db.upgrade_to_head(engine)
    with Session(engine) as session:
        icb = maturity.create_organisation(session, name="NHS Suffolk and North East Essex ICB", kind="icb", code="QJG")
        place = maturity.create_organisation(session, name="Ipswich and East Suffolk", kind="place", parent_id=icb.id)
        first = maturity.create_assessment(
            session, organisation_id=icb.id, assessment_date=date(2025, 3, 14), title="Spring 2025 baseline"
        )
        ann = maturity.get_or_create_respondent(session, first.id, name="Ann Example", role="Director of PHM")
        anonymous = maturity.get_or_create_respondent(session, first.id, anonymous=True, role="GP partner")
        components = maturity.framework_for(first).component_ids
        maturity.save_answer(
            session,
            ann.id,
            components[0],
            current_stage=2,
            target_stage=4,
            target_date=date(2026, 3, 31),
            confidence=3,
            evidence_notes="Linked data set covers primary and acute care; social care from 2026.",
            evidence_links=["https://example.nhs.uk/phm/data-strategy"],
        )
        maturity.save_answer(session, ann.id, components[1], current_stage=3, target_stage=3, confidence=2)
        maturity.save_answer(session, anonymous.id, components[0], current_stage=1, target_stage=3)
        maturity.set_assessment_status(session, first.id, "closed")
        second = maturity.create_assessment(
            session, organisation_id=place.id, assessment_date=date(2025, 11, 20), title="Place workshop"
        )
        live = workshop.start_session(
            session,
            assessment_id=second.id,
            title="Ipswich place workshop",
            hours=2,
            created_by="facilitator@nhs.net",
            now=WORKSHOP_TIME,
        )
        joined = workshop.join_session(
            session, live.join_code, name="Bob Example", role="PCN clinical director", now=WORKSHOP_TIME
        )
        workshop.save_participant_answer(
            session,
            live.join_code,
            joined.token,
            live.pace_component_id,
            now=WORKSHOP_TIME,
            current_stage=2,
            confidence=2,
        )
        workshop.record_agreement(
            session,
            live.id,
            live.pace_component_id,
            agreed_stage=2,
            actions="Share the frailty register with the neighbourhood teams.",
            recorded_by="facilitator@nhs.net",
        )
        criteria = {"age_min": 65, "frailty": ["moderate", "severe"]}
        cohorts.save_cohort(
            session,
            name="Frail 65+ in Ipswich",
            icb_code="E54000023",
            criteria=criteria,
            description="Case finding for the frailty MDT",
            created_by="ann@nhs.net",
        )
        cohorts.save_cohort(session, name="Children with asthma", icb_code="E54000022", criteria={"age_max": 15})
        cohorts.record_export(
            session,
            kind="pseudonymised_list",
            reason="Frailty MDT case finding",
            icb_code="E54000023",
            footprint="NHS Suffolk and North East Essex ICB",
            criteria=criteria,
            rows=1234,
            file_name="SYNTHETIC-cohort-pseudonymised-list-E54000023-20251120-093000.csv",
            sha256="0" * 64,
            exported_by="ann@nhs.net",
            cohort_name="Frail 65+ in Ipswich",
        )
    print(
        "maturity",
        maturity_db.current_revision(engine),
        "workshop",
        workshop_db.current_revision(engine),
        "cohort",
        cohort_db.current_revision(engine),
        "from",
        maturity_db.__file__,
    )
    engine.dispose()
    connection = sqlite3.connect(path)  # one self-contained file: no WAL beside it
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.execute("PRAGMA journal_mode = DELETE")
    connection.execute("VACUUM")
    connection.close()
    print("participant token", joined.token, "join code", live.join_code)
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
