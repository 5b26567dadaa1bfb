"""Evaluation: events counted in windows around each person's date, nearest-neighbour matching, balance, and on
synthetic populations with a known effect: the naive before-and-after shows a fall even with no effect (regression
to the mean) while the matched comparison does not, and a strong effect is recovered."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pytest
from cohort_fixtures import ICB, small_population

from phm_core import evaluation as ev
from phm_core import segmentation
from phm_core.synth import generate_population, load_inputs, parameters

pytestmark = pytest.mark.unit
INTERVENTION = parameters.INTERVENTION_NAME


def test_events_are_counted_in_windows_around_each_persons_date() -> None:
    events = pd.DataFrame(
        {
            "person_id": ["a", "a", "a", "a", "b", "b", "c"],
            "event_type": pd.Categorical(["emergency_admission"] * 5 + ["ae_attendance", "emergency_admission"]),
            "event_date": pd.to_datetime(
                ["2023-06-10", "2024-05-31", "2024-06-01", "2024-12-01", "2024-07-10", "2024-07-11", "2024-01-01"]
            ),
        }
    )
    ids = np.array(["a", "b"])
    dates = np.array(["2024-06-01", "2024-07-01"], dtype="datetime64[D]")
    before = ev.window_counts(events, ids, dates, event_type="emergency_admission", start=-365, end=0)
    after = ev.window_counts(events, ids, dates, event_type="emergency_admission", start=0, end=None)
    assert before.tolist() == [2, 0] and after.tolist() == [2, 1]  # the date itself counts as after
    died = np.array(["2024-09-01", "2025-04-01"], dtype="datetime64[D]")
    assert ev.window_counts(
        events, ids, dates, event_type="emergency_admission", start=0, end=None, until=died
    ).tolist() == [1, 1]
    assert ev.window_counts(events, ids, dates, event_type="ae_attendance", start=0, end=30).tolist() == [0, 1]
    assert ev.window_counts(events, ids, dates, event_type="ae_attendance", start=0, end=10).tolist() == [0, 0]


def test_nearest_neighbour_matching_within_strata_and_a_caliper() -> None:
    score = np.array([0.0, 1.0, 5.0, 0.1, 0.9, 1.2, 4.0, 9.0])
    treated = np.array([True, True, True, False, False, False, False, False])
    strata = np.array(["x", "x", "y", "x", "x", "y", "x", "y"])
    t, c = ev.match_nearest(score, treated, strata, caliper=0.5)
    assert dict(zip(t.tolist(), c.tolist(), strict=True)) == {0: 3, 1: 4}  # 2 has nobody in stratum y within 0.5
    t, c = ev.match_nearest(score, treated, strata, caliper=10)
    assert dict(zip(t.tolist(), c.tolist(), strict=True)) == {0: 3, 1: 4, 2: 5}


def test_standardised_differences() -> None:
    data = pd.DataFrame({v: np.zeros(6) for v in ev.MATCHING_VARIABLES})
    data["age"] = [70, 80, 90, 60, 70, 80]
    smd = ev.standardised_differences(data, np.array([0, 1, 2]), np.array([3, 4, 5]))
    assert smd["age"] == pytest.approx(1.0) and smd["male"] == 0


def test_the_comparison_pool_and_dates() -> None:
    people = segmentation.index_population(small_population().people)
    events = small_population().events
    enrolled = (people["intervention"].astype("string") == INTERVENTION).fillna(False)
    data = ev.evaluation_data(
        people, events, intervention=INTERVENTION, pool="other_pcns", rng=np.random.default_rng(1)
    )
    frame = data.frame
    assert frame["treated"].sum() == enrolled.sum()
    programme = set(people.loc[enrolled.to_numpy(), "pcn_code"].astype("string"))
    assert not frame.loc[~frame["treated"], "pcn_code"].isin(programme).any()
    assert set(frame["frailty"]) == {"moderate", "severe"} and frame["age"].min() >= 65
    first, last = people.loc[enrolled.to_numpy(), "intervention_date"].agg(["min", "max"])
    pool_dates = pd.to_datetime(frame.loc[~frame["treated"], "date"])
    assert pool_dates.min() >= first and pool_dates.max() <= last
    assert (frame["years_after"] > 0).all() and (frame["years_after"] <= 1.0).all()
    alive = frame["years_after"] > 0.49  # followed from April-September 2024 to March 2025, unless they died
    assert alive.mean() > 0.9
    wider = ev.evaluation_data(
        people, events, intervention=INTERVENTION, pool="not_enrolled", rng=np.random.default_rng(1)
    )
    assert (~wider.frame["treated"]).sum() > (~frame["treated"]).sum()
    with pytest.raises(ValueError, match="nobody received"):
        ev.evaluation_data(people, events, intervention="Something else", rng=np.random.default_rng(1))


def test_the_evaluation_reports_suppressed_aggregates_and_better_balance() -> None:
    population = small_population()
    people = segmentation.index_population(population.people)
    data = ev.evaluation_data(people, population.events, intervention=INTERVENTION, rng=np.random.default_rng(1))
    result = ev.evaluate(data, population.events, rng=np.random.default_rng(2), bootstrap=200)
    assert result.matched >= 0.85 * result.enrolled  # a few have nobody alike within the caliper
    assert result.balance["after_matching"].abs().max() < result.balance["before_matching"].abs().max()
    assert result.matched_interval[0] < result.matched_effect < result.matched_interval[1]
    assert set(result.groups["group"]) == {"Enrolled (all)", "Enrolled (matched)", "Matched comparison"}
    monthly = result.monthly
    assert list(monthly["month"].unique()) == list(ev.MONTHS)
    shown = monthly["events"].dropna()
    assert not shown.between(1, 7).any()  # small monthly counts are suppressed with their rates
    assert monthly.loc[monthly["events"].isna(), "per_1000"].isna().all()
    assert "(SYNTHETIC)" in ev.monthly_figure(monthly, event_type=data.event_type).layout.title.text


@lru_cache(maxsize=2)
def _evaluated_with_effect(effect: float) -> ev.EvaluationResult:
    original = parameters.INTERVENTION_EFFECT
    parameters.INTERVENTION_EFFECT = effect
    try:
        population = generate_population(load_inputs(ICB), rng=np.random.default_rng(1), fraction=0.1)
    finally:
        parameters.INTERVENTION_EFFECT = original
    people = segmentation.index_population(population.people)
    data = ev.evaluation_data(people, population.events, intervention=INTERVENTION, rng=np.random.default_rng(1))
    return ev.evaluate(data, population.events, rng=np.random.default_rng(2), bootstrap=300)


def test_with_no_effect_the_naive_comparison_still_shows_a_fall_and_the_matched_one_does_not() -> None:
    result = _evaluated_with_effect(0.0)
    assert result.naive_change < -0.05  # regression to the mean: people enrolled after a bad year do better anyway
    low, high = result.matched_interval
    assert low < 0 < high


def test_a_strong_effect_is_recovered_by_the_matched_comparison() -> None:
    result = _evaluated_with_effect(0.5)
    low, high = result.matched_interval
    assert low < -0.5 < high and high < -0.2
