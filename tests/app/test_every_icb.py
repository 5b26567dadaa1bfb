"""Every page renders for every ICB of April 2026, and for April 2024 ICBs including the three that were split.

One test per page walks through the ICBs (the caches stay warm between them), and names every ICB whose page
raised or drew the wrong organisation. Person-level pages use a very small synthetic sample: this checks that
each ICB's population, models and cohorts can be made, not their figures (their own tests do that).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from phm_core import geoversions
from phm_core.synth.io import SAMPLE_FRACTION_ENV

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.app

ICBS_2026 = sorted(
    geoversions.load_versioned_lsoa("2026-04")[["icb_code", "icb_name"]].drop_duplicates().itertuples(index=False)
)
# Five April 2024 ICBs: the three split between successors (Hertfordshire and West Essex, Suffolk and North East
# Essex, Frimley), one merged whole (Norfolk and Waveney) and one recoded (Hampshire and Isle of Wight).
ICBS_2024 = ("E54000025", "E54000023", "E54000034", "E54000022", "E54000042")
CHANGED_2026 = ("E54000065", "E54000066", "E54000067", "E54000068", "E54000069", "E54000070", "E54000071")
PROFILE_PAGES = ("home", "maps", "neighbourhoods", "deprivation_air", "inequalities", "benchmarks", "presentation")
PERSON_PAGES = ("risk", "cohorts", "scenarios", "evaluation")
NO_PICKER = ("presentation", "workshop_join")  # full-screen slides; a participant's page
OTHER_PAGES = (
    "maturity_assessments",
    "maturity_questionnaire",
    "maturity_results",
    "workshop_facilitator",
    "workshop_join",
    "data_sources",
    "about",
)


@pytest.fixture(scope="module")
def _shared_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("every_icb")


@pytest.fixture(autouse=True)
def _tiny_sample_made_once(monkeypatch: pytest.MonkeyPatch, _shared_data: Path) -> None:
    """A very small sample, and one data directory for the module: each ICB's population and models are made
    once and reused by the other person-level pages."""
    monkeypatch.setenv(SAMPLE_FRACTION_ENV, "0.002")
    monkeypatch.setenv("PHM_DATA_DIR", str(_shared_data))


def _short(name: str) -> str:
    return geoversions.short_icb_name(name)


def _problems(page: str, footprints: list[tuple[str, str | None]]) -> list[str]:
    names_2024 = dict(
        geoversions.load_versioned_lsoa("2024-04")[["icb_code", "icb_name"]].drop_duplicates().itertuples(index=False)
    )
    names = {**names_2024, **dict(ICBS_2026)}
    problems = []
    for icb, geo in footprints:
        at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=300)
        at.query_params["icb"] = icb
        if geo:
            at.query_params["geo"] = geo
        at.run()
        if at.exception:
            problems.append(f"{icb} ({geo or '2026-04'}): {at.exception[0].message}")
            continue
        shown = " ".join(e.value for e in [*at.title, *at.markdown, *at.caption, *at.subheader])
        if page in PROFILE_PAGES + PERSON_PAGES and _short(names[icb]) not in shown:
            problems.append(f"{icb} ({geo or '2026-04'}): page does not name {_short(names[icb])}")
        if page in NO_PICKER:
            continue
        if at.selectbox(key="footprint_icb").value != icb:
            problems.append(f"{icb} ({geo or '2026-04'}): the picker shows {at.selectbox(key='footprint_icb').value}")
    return problems


EVERY_ICB = [(code, None) for code, _ in ICBS_2026] + [(code, "2024-04") for code in ICBS_2024]
CHANGED = [(code, None) for code in CHANGED_2026] + [(code, "2024-04") for code in ICBS_2024]


@pytest.mark.parametrize("page", PROFILE_PAGES + ("population_segments",))
def test_the_page_renders_for_every_icb(page: str) -> None:
    assert len(ICBS_2026) == 36
    assert _problems(page, EVERY_ICB) == []


@pytest.mark.parametrize("page", PERSON_PAGES + OTHER_PAGES)
def test_the_page_renders_for_every_new_and_every_split_icb(page: str) -> None:
    assert _problems(page, CHANGED) == []
