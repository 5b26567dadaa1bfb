"""Calibration building blocks: exact top-k per place, death rates that give the published life expectancy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from phm_core.stats import life_expectancy
from phm_core.synth import calibration
from phm_core.synth import parameters as p

pytestmark = pytest.mark.unit


def test_select_top_k_takes_exactly_k_of_the_highest_eligible_scores_per_group() -> None:
    score = np.array([5.0, 1.0, 3.0, 9.0, 2.0, 8.0, 7.0, -1.0])
    group = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    eligible = np.array([True, True, True, False, True, True, True, True])
    chosen = calibration.select_top_k(score, group, np.array([2, 1]), eligible=eligible)
    # Group 0: 9.0 is not eligible, so 5.0 and 3.0; group 1: the single highest, 8.0.
    assert chosen.tolist() == [True, False, True, False, False, True, False, False]


def test_select_top_k_handles_extreme_scores_and_empty_selections() -> None:
    score = np.array([1e300, -1e300, np.inf, 0.0])
    group = np.array([0, 0, 1, 1])
    chosen = calibration.select_top_k(score, group, np.array([1, 0]), eligible=np.ones(4, dtype=bool))
    assert chosen.tolist() == [True, False, False, False]


@pytest.mark.parametrize("sex", ["M", "F"])
def test_death_rates_reproduce_the_published_life_expectancy_by_decile(sex: str) -> None:
    ages = np.arange(calibration.LIFE_TABLE_LAST_AGE + 1)
    for decile in range(1, 11):
        rates = calibration.death_rates(sex, decile)
        # Through our own life-expectancy function, on the stationary population of these rates in bands.
        bands = np.asarray((0, 1, *range(5, 95, 5)))
        band = bands[np.searchsorted(bands, ages, side="right") - 1]
        survivors = 1e7 * np.concatenate([[1.0], np.cumprod(np.exp(-rates[:-1]))])
        frame = pd.DataFrame({"age": band, "population": survivors, "deaths": rates * survivors})
        table = frame.groupby("age", as_index=False)[["deaths", "population"]].sum()
        value = life_expectancy(table, deaths="deaths", population="population", age="age")["value"].iloc[0]
        assert value == pytest.approx(p.LIFE_EXPECTANCY_BY_DECILE[sex][decile - 1], abs=0.3)
    most, least = calibration.death_rates(sex, 1), calibration.death_rates(sex, 10)
    assert (most[1:100] > least[1:100]).all()


def test_scaled_hazards_give_each_cell_its_published_expected_deaths() -> None:
    rng = np.random.default_rng(0)
    rate = np.full(10_000, 0.2)
    relative = np.exp(rng.normal(0, 1.2, size=10_000))
    cell = np.repeat([0, 1], 5_000)
    hazard = calibration.scale_hazards(rate, relative / relative.mean(), cell, at_risk=np.ones(10_000, dtype=bool))
    for c in (0, 1):
        expected = -np.expm1(-hazard[cell == c]).sum()
        assert expected == pytest.approx(5_000 * -np.expm1(-0.2), rel=1e-6)
    assert np.corrcoef(hazard, relative)[0, 1] > 0.9


def test_prevalence_report_compares_each_register_with_its_age_rule() -> None:
    people = pd.DataFrame(
        {
            "ltla24_code": ["E06000001"] * 4,
            "age": [10, 20, 40, 70],
            "palliative_care": [False, False, False, True],
            **{name: [False] * 4 for name in ("hypertension", "asthma", "copd", "chd", "heart_failure")},
            **{name: [False] * 4 for name in ("atrial_fibrillation", "stroke_tia", "ckd", "depression", "dementia")},
            **{name: [False] * 4 for name in ("cancer", "smi", "learning_disability", "epilepsy")},
            **{name: [False] * 4 for name in ("rheumatoid_arthritis", "osteoporosis", "pad", "obesity")},
            "diabetes": [False, True, False, False],
        }
    )
    targets = pd.DataFrame(
        {"ltla24_code": ["E06000001"] * 2, "ltla24_name": ["Hartlepool"] * 2, "register_code": ["DM", "PC"]}
    ).assign(prevalence=[0.25, 0.25])
    report = calibration.prevalence_report(people, targets).set_index("register_code")
    assert report.loc["DM", "eligible"] == 3  # diabetes register is 17+
    assert report.loc["DM", "synthetic"] == pytest.approx(1 / 3)
    assert report.loc["DM", "error_points"] == pytest.approx((1 / 3 - 0.25) * 100)
    assert report.loc["PC", "eligible"] == 4 and report.loc["PC", "error_points"] == pytest.approx(0.0)
