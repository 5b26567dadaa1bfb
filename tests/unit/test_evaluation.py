"""Evaluation: events counted in windows around each person's date, matching cells and weights, balance, and on
synthetic populations with a known effect: the naive before-and-after shows a fall even with no effect (regression
to the mean) while the matched comparison does not, and a strong effect is recovered."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pytest
from cohort_fixtures import icb_inputs, small_population

from phm_core import evaluation as ev
from phm_core import segmentation
from phm_core.synth import generate_population, parameters

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


def test_matching_cells_are_exact_strata_split_at_the_enrolled_peoples_propensity_fifths() -> None:
    score = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.15, 0.45, 0.9, 0.35])
    treated = np.array([True, True, True, True, True, False, False, False, False])
    strata = np.array(["x"] * 7 + ["y", "x"])
    cells = ev.matching_cells(score, treated, strata, subclasses=2)  # split at the enrolled median, 0.3
    assert cells[0] == cells[1] == cells[5]  # x, score below the median
    assert cells[2] == cells[3] == cells[4] == cells[6] == cells[8]  # x, at or above it
    assert len({cells[0], cells[2], cells[7]}) == 3  # y is its own cell whatever the score
    one = ev.matching_cells(score, treated, strata, subclasses=1)  # the strata alone
    assert len(set(one[strata == "x"])) == 1 and one[7] not in set(one[strata == "x"])


def test_cell_weights_give_the_comparison_group_the_enrolled_groups_make_up() -> None:
    cells = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2])
    treated = np.array([True, True, False, True, False, False, False, True, False])
    treated[8] = False
    cells[8] = 3  # cell 2 has an enrolled person and nobody to compare; cell 3 has nobody enrolled
    weights = ev.cell_weights(cells, treated)
    assert weights.tolist() == [1, 1, 2, 1, 1 / 3, 1 / 3, 1 / 3, 0, 0]
    # each cell's comparison weights add up to its number of matched enrolled people
    for cell in (0, 1):
        rows = cells == cell
        assert weights[rows & ~treated].sum() == pytest.approx(weights[rows & treated].sum())
    drawn = ev.cell_weights(cells, treated, multiplicity=np.array([2, 0, 1, 1, 0, 3, 0, 1, 1]))
    assert drawn.tolist() == [2, 0, 2, 1, 0, 1, 0, 0, 0]  # 2 drawn enrolled in cell 0 over 1 comparison person
    assert ev.effective_size(np.array([1.0, 1.0, 1.0, 1.0])) == pytest.approx(4)
    assert ev.effective_size(np.array([3.0, 1.0])) == pytest.approx(1.6)


def test_the_difference_in_differences_by_hand() -> None:
    frame = pd.DataFrame(
        {
            "treated": [True, True, False, False, False],
            "events_before": [4, 2, 3, 3, 6],
            "events_after": [1, 1, 2, 2, 4],
            "years_before": [1.0] * 5,
            "years_after": [0.5, 0.5, 0.5, 0.5, 1.0],
        }
    )
    weights = np.array([1, 1, 1, 1, 0.0])
    # enrolled: after 2 / 1 person-year = 2, before 6 / 2 = 3; comparison: 4 / 1 = 4, before 6 / 2 = 3
    assert ev.difference_in_differences(frame, weights) == pytest.approx((2 / 3) / (4 / 3) - 1)
    weights = np.array([1, 1, 0.5, 0.5, 1.0])  # the third comparison person counts as much as the first two
    comparison = (0.5 * 2 + 0.5 * 2 + 4) / (0.25 + 0.25 + 1) / ((1.5 + 1.5 + 6) / 2)
    assert ev.difference_in_differences(frame, weights) == pytest.approx((2 / 3) / comparison - 1)
    assert np.isnan(ev.difference_in_differences(frame.assign(events_before=0), weights))


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
    assert result.matched >= 0.85 * result.enrolled  # a few are in a cell with nobody to compare
    assert result.comparison_people >= result.matched * 0.5 and 0 < result.effective_comparison
    assert result.effective_comparison <= result.comparison_people
    assert result.balance["after_matching"].abs().max() < result.balance["before_matching"].abs().max()
    assert result.matched_interval[0] < result.matched_effect < result.matched_interval[1]
    assert set(result.groups["group"]) == set(ev.GROUPS)
    assert not result.groups["people"].dropna().between(1, 7).any()
    monthly = result.monthly
    assert list(monthly["month"].unique()) == list(ev.MONTHS)
    shown = monthly["events"].dropna()
    assert not shown.between(1, 7).any()  # small monthly counts are suppressed with their rates
    assert monthly.loc[monthly["events"].isna(), "per_1000"].isna().all()
    assert "(SYNTHETIC)" in ev.monthly_figure(monthly, event_type=data.event_type).layout.title.text


@lru_cache(maxsize=3)
def _evaluated_with_effect(effect: float) -> ev.EvaluationResult:
    population = generate_population(
        icb_inputs(), rng=np.random.default_rng(1), fraction=0.1, intervention_effect=effect
    )
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


def test_the_default_effect_lies_within_the_matched_interval_and_not_the_naive_one() -> None:
    result = _evaluated_with_effect(parameters.INTERVENTION_EFFECT)
    low, high = result.matched_interval
    assert low < -parameters.INTERVENTION_EFFECT < high
    assert result.naive_change < result.matched_effect  # the naive change includes regression to the mean


def test_the_generator_refuses_an_impossible_effect() -> None:
    with pytest.raises(ValueError, match="intervention_effect"):
        generate_population(icb_inputs(), rng=np.random.default_rng(1), fraction=0.01, intervention_effect=1.5)


def test_the_bootstrap_resamples_whole_neighbourhoods_when_there_are_enough() -> None:
    pcns = [f"P{i}" for i in range(12)]
    frame = pd.DataFrame({"pcn_code": np.repeat(pcns, 10), "treated": np.repeat([True, False] * 6, 10)})
    frame.loc[frame.index % 10 >= 5, "treated"] = False  # programme PCNs have comparison people too
    treated = frame["treated"].to_numpy()
    assert ev.clustered_by_pcn(frame)
    draw = ev._resampler(frame, treated)
    counts = draw(np.random.default_rng(3))
    by_pcn = pd.Series(counts).groupby(frame["pcn_code"]).agg(["min", "max"])
    assert (by_pcn["min"] == by_pcn["max"]).all()  # everyone in a PCN is drawn together
    programme = frame.loc[treated, "pcn_code"].unique()
    assert by_pcn.loc[programme, "min"].sum() == len(programme)  # programme PCNs redrawn among themselves
    few = frame.loc[frame["pcn_code"].isin(pcns[:4])]
    assert not ev.clustered_by_pcn(few)
    counts = ev._resampler(few, few["treated"].to_numpy())(np.random.default_rng(3))
    assert counts[few["treated"].to_numpy()].sum() == few["treated"].sum()  # people resampled within each group
    assert counts[~few["treated"].to_numpy()].sum() == (~few["treated"]).sum()


@pytest.mark.parametrize(
    ("interval", "missed", "words"),
    [
        ((-0.25, -0.05), False, "holds the true effect of -15%"),
        ((-0.12, -0.02), True, "points to a smaller reduction than the truth"),
        ((-0.40, -0.20), True, "points to a larger reduction than the truth"),
        ((-0.15, -0.15), False, "holds"),
    ],
)
def test_the_page_says_whether_the_interval_holds_the_synthetic_true_effect(
    interval: tuple[float, float], missed: bool, words: str
) -> None:
    text, was_missed = ev.true_effect_note(interval, true_effect=0.15)
    assert was_missed is missed and words in text
    if missed:
        assert "1 evaluation in 20" in text and "With real data the truth is unknown" in text


def test_nothing_is_said_about_a_true_effect_for_real_data_or_a_missing_interval() -> None:
    assert ev.true_effect_note((-0.3, -0.1), true_effect=None) is None
    assert ev.true_effect_note((float("nan"), float("nan")), true_effect=0.15) is None
