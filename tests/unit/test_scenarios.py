"""Scenarios: the arithmetic on hand-made numbers, Monte Carlo intervals (seeded, centred on the arithmetic, tight
when nothing is uncertain), the shift between settings, the comparison of up to three, suppression, and that every
default says where it comes from."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from cohort_fixtures import scored_people

from phm_core import scenarios as sc
from phm_core.cohorts import CohortIndex

pytestmark = pytest.mark.unit


def _certain(value: float) -> sc.Assumption:
    return sc.Assumption(value, value, value, "test")


def _intervention(**changes) -> sc.Intervention:
    base = sc.Intervention(
        key="test",
        label="Test",
        description="",
        cohort=sc.CohortCriteria(),
        cohort_text="everyone",
        reach=_certain(0.5),
        uptake=_certain(0.8),
        effects={"emergency_admissions": _certain(0.1), "ambulance_conveyances": _certain(0.2)},
        cost_per_participant=_certain(100),
        added_per_participant={"gp_contacts": 1.0},
        added_per_avoided_conveyance={"community_contacts": 2.0},
    )
    return replace(base, **changes)


BASELINE = {"emergency_admissions": 300.0, "bed_days": 2000.0, "ae_attendances": 500.0, "ambulance_conveyances": 150.0}


def test_the_arithmetic_on_hand_made_numbers() -> None:
    scenario = sc.Scenario("Test", _intervention(), eligible=1000, baseline=BASELINE)
    out = sc.expected_impact(scenario)
    assert out["people_reached"] == pytest.approx(400)  # 1,000 x 0.5 x 0.8
    assert out["emergency_admissions_avoided"] == pytest.approx(12)  # 300 x 0.4 x 0.1
    assert out["bed_days_avoided"] == pytest.approx(80)  # their stays: 2,000 x 0.4 x 0.1
    assert out["ae_attendances_avoided"] == 0
    assert out["ambulance_conveyances_avoided"] == pytest.approx(12)  # 150 x 0.4 x 0.2
    assert out["gp_contacts_change"] == pytest.approx(400) and out["community_contacts_change"] == pytest.approx(24)
    assert out["emergency_admissions_change"] == pytest.approx(-12)
    assert out["cost_avoided"] == pytest.approx(12 * 800 + 80 * 350 + 12 * 460)
    assert out["cost_added_elsewhere"] == pytest.approx(400 * 42 + 24 * 60)
    assert out["intervention_cost"] == pytest.approx(40_000)
    assert out["net_saving"] == pytest.approx(out["cost_avoided"] - out["cost_added_elsewhere"] - 40_000)


def test_an_explicit_bed_day_effect_replaces_the_stays_of_admissions_avoided() -> None:
    effects = {"emergency_admissions": _certain(0.1), "bed_days": _certain(0.25)}
    scenario = sc.Scenario("Test", _intervention(effects=effects), eligible=1000, baseline=BASELINE)
    assert sc.expected_impact(scenario)["bed_days_avoided"] == pytest.approx(2000 * 0.4 * 0.25)


def test_pert_draws_stay_in_range_around_the_most_likely_value() -> None:
    rng = np.random.default_rng(3)
    assumption = sc.Assumption(0.1, 0.0, 0.4, "test")
    draws = sc.pert(assumption, 100_000, rng)
    assert draws.min() >= 0 and draws.max() <= 0.4
    assert draws.mean() == pytest.approx((0 + 4 * 0.1 + 0.4) / 6, abs=0.002)
    assert np.all(sc.pert(_certain(0.3), 10, rng) == 0.3)
    with pytest.raises(ValueError, match="low <= value <= high"):
        sc.Assumption(0.5, 0.6, 0.9, "test")


def test_monte_carlo_is_seeded_and_its_interval_surrounds_the_arithmetic() -> None:
    intervention = _intervention(
        reach=sc.Assumption(0.5, 0.3, 0.7, "test"),
        effects={"emergency_admissions": sc.Assumption(0.1, 0.0, 0.2, "test")},
    )
    scenario = sc.Scenario("Test", intervention, eligible=1000, baseline=BASELINE)
    first = sc.simulate(scenario, rng=np.random.default_rng(42), draws=4000)
    again = sc.simulate(scenario, rng=np.random.default_rng(42), draws=4000)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(sc.simulate(scenario, rng=np.random.default_rng(43), draws=4000))
    summary = sc.summarise(first).set_index("outcome")
    expected = sc.expected_impact(scenario)
    for outcome in ("people_reached", "emergency_admissions_avoided", "net_saving"):
        row = summary.loc[outcome]
        assert row["low"] < expected[outcome] < row["high"]
        assert row["median"] == pytest.approx(expected[outcome], rel=0.1)
    admissions = summary.loc["emergency_admissions_avoided"]
    assert admissions["low"] < 6 and admissions["high"] > 18  # reach and effect uncertain: a wide interval


def test_with_nothing_uncertain_only_chance_remains() -> None:
    scenario = sc.Scenario(
        "Test", _intervention(), eligible=100_000, baseline={k: v * 100 for k, v in BASELINE.items()}
    )
    summary = sc.summarise(sc.simulate(scenario, rng=np.random.default_rng(1))).set_index("outcome")
    people = summary.loc["people_reached"]
    assert people["high"] - people["low"] < 0.02 * people["median"]  # binomial chance only
    assert people["median"] == pytest.approx(40_000, rel=0.01)


def test_the_shift_between_settings_moves_activity_out_of_hospital() -> None:
    scenario = sc.Scenario("Test", _intervention(), eligible=1000, baseline=BASELINE)
    shift = sc.shift_table(sc.summarise(sc.simulate(scenario, rng=np.random.default_rng(1)))).set_index("setting")
    assert list(shift.index) == list(sc.SETTINGS)
    assert shift.loc["emergency_admissions", "median"] < 0 and shift.loc["ambulance_conveyances", "median"] < 0
    assert shift.loc["community_contacts", "median"] > 0 and shift.loc["gp_contacts", "median"] > 0
    assert shift.loc["ae_attendances", "median"] == 0


def test_up_to_three_scenarios_are_compared_and_small_cohorts_are_suppressed() -> None:
    results, eligible = {}, {}
    for name, count in (("A", 1000), ("B", 500), ("Tiny", 5)):
        scenario = sc.Scenario(
            name, _intervention(), eligible=count, baseline={k: v * count / 1000 for k, v in BASELINE.items()}
        )
        results[name] = sc.summarise(sc.simulate(scenario, rng=np.random.default_rng(1)))
        eligible[name] = count
    table = sc.comparison_table(results, eligible).set_index("outcome")
    assert table.loc["eligible", "A: median"] == 1000 and pd.isna(table.loc["eligible", "Tiny: median"])
    assert table["Tiny: median"].isna().all()
    assert table.loc["people_reached", "A: median"] > table.loc["people_reached", "B: median"] > 0
    with pytest.raises(ValueError, match="at most 3"):
        sc.comparison_table({**results, "D": results["A"]}, {**eligible, "D": 1000})
    figure = sc.shift_figure(results)
    assert [trace.name for trace in figure.data] == ["A", "B", "Tiny"]
    assert "(SYNTHETIC)" in figure.layout.title.text


def test_every_default_intervention_says_where_its_numbers_come_from() -> None:
    keys = set(sc.INTERVENTIONS)
    frailty = {
        "medication_review",
        "falls_risk_management",
        "advance_care_planning",
        "proactive_neighbourhood_care",
        "urgent_community_falls_response",
        "ambulance_to_community_transfer",
        "early_ed_review",
    }
    assert frailty | {"childhood_asthma"} == keys
    for intervention in sc.INTERVENTIONS.values():
        assumptions = [intervention.reach, intervention.uptake, intervention.cost_per_participant]
        assumptions += list(intervention.effects.values())
        assert all(len(a.source) > 20 for a in assumptions), intervention.key
        assert intervention.effects
    published = [a for i in sc.INTERVENTIONS.values() for a in i.effects.values() if not a.assumed]
    assert len(published) >= 5  # effects resting on a published review say so; the rest are marked assumptions
    asthma = sc.INTERVENTIONS["childhood_asthma"].cohort
    assert asthma.age_max == 15 and asthma.imd_quintiles == (1, 2) and asthma.air_quality_worst_share is not None


def test_a_changed_value_is_marked_as_the_users_and_widens_the_range() -> None:
    default = sc.INTERVENTIONS["medication_review"].reach
    changed = default.with_value(0.95, lower=0, upper=1)
    assert changed.value == 0.95 and changed.high == 1.0 and changed.assumed
    assert changed.low == pytest.approx(default.low * 0.95 / default.value)  # the same relative uncertainty
    none = sc.INTERVENTIONS["medication_review"].effects["emergency_admissions"].with_value(0.0)
    assert (none.low, none.value, none.high) == (0, 0, 0)  # no effect means no effect in every draw
    assert changed.source.startswith("Changed by the user (default 0.7")
    with pytest.raises(ValueError, match="reach"):
        _intervention(reach=sc.Assumption(1.2, 1.0, 1.5, "test"))
    with pytest.raises(ValueError, match="unknown activity"):
        _intervention(effects={"falls": _certain(0.1)})


def test_default_scenarios_on_the_synthetic_population_avoid_activity() -> None:
    people = scored_people()
    index = CohortIndex.from_people(people)
    for intervention in sc.INTERVENTIONS.values():
        mask = index.mask(intervention.cohort)
        assert mask.sum() > 20, intervention.key
        scenario = sc.Scenario(intervention.label, intervention, int(mask.sum()), sc.cohort_baseline(people, mask))
        summary = sc.summarise(sc.simulate(scenario, rng=np.random.default_rng(7), draws=500)).set_index("outcome")
        avoided = summary.loc[[f"{kind}_avoided" for kind in intervention.effects], "median"]
        assert (avoided > 0).all(), intervention.key
        assert summary.loc["people_reached", "median"] <= mask.sum()
