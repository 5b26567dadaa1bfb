"""Cohort builder after the April 2026 mergers: cohorts saved for an abolished ICB are kept on their own geography,
and the new ICB's page points to them instead of re-pointing them. SYNTHETIC, small sample."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from cohort_store import db as cohort_db
from cohort_store import repository
from cohort_store.db import make_engine
from phm_core.cohorts import CohortCriteria
from phm_core.settings import database_url
from phm_core.synth.io import SAMPLE_FRACTION_ENV

pytestmark = pytest.mark.app


@pytest.fixture(autouse=True)
def _small_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SAMPLE_FRACTION_ENV, "0.01")


def _save_for_snee() -> None:
    engine = make_engine(database_url())
    cohort_db.upgrade_to_head(engine)
    with Session(engine) as s:
        repository.save_cohort(
            s,
            name="Frail over 75s",
            icb_code="E54000023",
            geography_version="2024-04",
            criteria=CohortCriteria(age_min=75).to_dict(),
        )
    engine.dispose()


def test_the_new_icb_points_to_its_predecessors_cohorts_and_opens_them_as_they_were(open_page) -> None:
    _save_for_snee()
    at = open_page("cohorts.py")
    assert not at.exception
    notes = [c.value for c in at.caption if "were saved for" in c.value]
    assert notes == [
        "1 cohort(s) were saved for NHS Suffolk and North East Essex, one of the ICBs this one was formed from. "
        "They keep their own footprint: open NHS Suffolk and North East Essex as at April 2024 to use them."
    ]
    assert any("No saved cohorts for this ICB yet" in c.value for c in at.caption)  # not re-pointed to it
    at.button(key="cohort_predecessor_E54000023").click().run()
    assert not at.exception
    assert at.query_params["geo"] == "2024-04" and at.query_params["icb"] == "E54000023"
    saved = at.selectbox(key="cohort_saved_choice")
    assert any(option.startswith("Frail over 75s (ICBs as at April 2024;") for option in saved.options)
