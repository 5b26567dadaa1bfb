"""Scenarios: the arithmetic on hand-made numbers, Monte Carlo intervals (seeded, centred on the arithmetic, tight
when nothing is uncertain, wider with a wider range), editing low / most likely / high (checked, marked as the
user's), the shift between settings, the comparison of up to three and its self-describing export, suppression, and
that every default says where it comes from."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from cohort_fixtures import scored_people

from phm_core import scenarios as sc
from phm_core.cohorts import CohortIndex, to_csv_bytes

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
    assert changed.source.startswith("Changed by the user (default 0.7") and changed.changed and not default.changed
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


def _interval(effect: sc.Assumption, *, seed: int = 5) -> tuple[float, float, float]:
    scenario = sc.Scenario("Test", _intervention(effects={"emergency_admissions": effect}), 1000, BASELINE)
    row = sc.summarise(sc.simulate(scenario, rng=np.random.default_rng(seed), draws=4000)).set_index("outcome")
    return tuple(row.loc["emergency_admissions_avoided", ["low", "median", "high"]])


def test_the_monte_carlo_uses_the_edited_range() -> None:
    narrow = _interval(sc.Assumption(0.1, 0.08, 0.12, "test"))
    wide = _interval(sc.Assumption(0.1, 0.0, 0.4, "test"))
    fixed = _interval(_certain(0.1))
    assert wide[0] < narrow[0] and wide[2] > narrow[2] * 1.5  # a wider range, a wider interval
    assert fixed[2] - fixed[0] < narrow[2] - narrow[0]  # a zero-width range leaves chance alone
    draws = sc.simulate(
        sc.Scenario("Test", _intervention(cost_per_participant=_certain(100)), 1000, BASELINE),
        rng=np.random.default_rng(1),
        draws=500,
    )
    assert np.allclose(draws["intervention_cost"] / draws["people_reached"], 100)  # the same cost in every draw
    spread = sc.simulate(
        sc.Scenario("Test", _intervention(cost_per_participant=sc.Assumption(100, 50, 300, "test")), 1000, BASELINE),
        rng=np.random.default_rng(1),
        draws=500,
    )
    each = spread["intervention_cost"] / spread["people_reached"]
    assert each.min() >= 50 and each.max() <= 300 and each.max() - each.min() > 100


def test_low_most_likely_and_high_entered_by_the_user() -> None:
    intervention = sc.INTERVENTIONS["medication_review"]
    specs = {spec.key: spec for spec in sc.assumption_specs(intervention)}
    assert list(specs) == ["reach", "uptake", "cost", "effect_emergency_admissions"]
    effect = specs["effect_emergency_admissions"]
    assert effect.defaults() == (0, 5, 12) and (effect.lower, effect.upper) == (-100, 100)
    assert effect.edited(0, 5, 12) is intervention.effects["emergency_admissions"]  # unchanged: the default itself
    mine = effect.edited(2, 8, 30)
    assert (mine.low, mine.value, mine.high) == pytest.approx((0.02, 0.08, 0.30)) and mine.changed and mine.assumed
    assert mine.source.startswith("Changed by the user (default 5%, range 0% to 12%: Cochrane review")
    fixed = effect.edited(8, 8, 8)
    assert np.all(sc.pert(fixed, 100, np.random.default_rng(1)) == 0.08)  # a zero-width range: a fixed value
    assert specs["cost"].edited(10, 40, 500).source.startswith("Changed by the user (default GBP 40, range GBP 20")

    # Only the most likely value moved: the range moves with it (as with_value) until the user sets it.
    reach = specs["reach"]
    assert reach.follow(70, 35, 50, 90) == (25, 45)
    assert reach.follow(35, 70, 25, 45) == (50, 90)
    assert reach.follow(70, 95, 50, 90) == (pytest.approx(67.86), 100)  # kept within 0 to 100%
    assert reach.follow(70, 35, 60, 90) == (60, 90)  # the user's range stays

    assert effect.problem(0, 5, 12) is None and effect.problem(-20, -10, 0) is None  # effects can be negative
    assert effect.problem(6, 5, 12) == (
        "Low (6%) is above the most likely value (5%): lower it or raise the most likely."
    )
    assert effect.problem(0, 15, 12) == "The most likely value (15%) is above high (12%): raise high or lower it."
    assert effect.problem(-120, 5, 12) == "The low value (-120%) must be between -100% and 100%."
    assert reach.problem(50, 70, 101) == "The high value (101%) must be between 0% and 100%."
    assert specs["cost"].problem(-5, 40, 80) == "The low value (GBP -5) must be at least GBP 0."
    assert specs["cost"].problem(0, 40, 1e6) is None  # no upper bound on cost
    assert reach.problem(float("nan"), 70, 90) == "Enter a number in each box."

    edited = sc.with_assumptions(
        intervention, {"reach": reach.edited(10, 20, 30), "effect_emergency_admissions": fixed}
    )
    assert edited.reach.value == pytest.approx(0.2) and edited.effects["emergency_admissions"] is fixed
    assert edited.uptake is intervention.uptake and edited.label == intervention.label
    table = sc.assumption_table(edited).set_index("key")
    assert table.loc["reach", ["low", "most_likely", "high"]].tolist() == [10, 20, 30] and table.loc["reach", "changed"]
    assert table.loc["effect_emergency_admissions", "evidence"] == "Assumption"  # the user's, no longer published
    assert table.loc["uptake", "evidence"] == "Assumption" and not table.loc["uptake", "changed"]
    with pytest.raises(ValueError, match="no assumption effect_bed_days"):
        sc.with_assumptions(intervention, {"effect_bed_days": fixed})
    with pytest.raises(ValueError, match="cost per participant cannot be negative"):
        _intervention(cost_per_participant=sc.Assumption(10, -5, 20, "test"))


def _item(name: str, intervention: sc.Intervention, eligible: int) -> dict:
    scenario = sc.Scenario(name, intervention, eligible, {k: v * eligible / 1000 for k, v in BASELINE.items()})
    summary = sc.summarise(sc.simulate(scenario, rng=np.random.default_rng(3), draws=300))
    return {
        "name": name,
        "intervention": intervention.label,
        "cohort": "Everyone: aged 65 or over",
        "eligible": eligible,
        "draws": 300,
        "seed": 3,
        "assumptions": sc.assumption_table(intervention),
        "summary": sc.suppress_small(summary, eligible=eligible),
    }


def test_the_comparison_export_describes_each_scenario() -> None:
    costly = _intervention(
        effects={"emergency_admissions": sc.Assumption(0.1, -0.05, 0.2, "test source")},
        cost_per_participant=sc.Assumption(5_000, 4_000, 6_000, "test source"),
    )
    items = [
        _item("=SUM(A1)", costly, 1000),
        _item("Tiny", _intervention(reach=_certain(0.5).with_range(0.5, 0.25, 0.75)), 5),
    ]
    table = sc.comparison_export(items)
    assert list(table.columns[:6]) == ["data", "section", "item", "label", "unit", "measure"]
    assert list(table.columns[6:]) == [f"scenario_{n}_{p}" for n in (1, 2) for p in ("low", "central", "high", "text")]
    assert list(dict.fromkeys(table["section"])) == ["scenario", "assumption", "outcome"]
    rows = table.set_index("item")
    assert rows.loc["name", "scenario_1_text"] == "=SUM(A1)" and rows.loc["intervention", "scenario_2_text"] == "Test"
    assert rows.loc["eligible", "scenario_1_central"] == 1000 and rows.loc["eligible", "scenario_1_text"] == ""
    assert pd.isna(rows.loc["eligible", "scenario_2_central"])  # 1 to 7 people: suppressed
    assert rows.loc["eligible", "scenario_2_text"] == "fewer than 8"
    assert rows.loc["seed", "scenario_2_central"] == 3 and rows.loc["draws", "scenario_1_central"] == 300
    effect = rows.loc["effect_emergency_admissions"]
    assert [effect[f"scenario_1_{p}"] for p in ("low", "central", "high")] == [-5, 10, 20]
    assert effect["scenario_1_text"] == "Assumption: test source"
    assert effect["measure"].startswith("low / most likely / high")
    assert rows.loc["reach", "scenario_2_text"].startswith("Assumption: Changed by the user (default 0.5, range 0.5")
    outcomes = table.loc[table["section"] == "outcome"]
    assert outcomes["scenario_2_central"].isna().all()  # the tiny cohort shows no figures
    net = rows.loc["net_saving"]
    assert net["scenario_1_high"] < 0 and net["unit"] == "GBP"  # a net cost, negative
    assert rows.loc["people_reached", "scenario_1_low"] < rows.loc["people_reached", "scenario_1_central"]

    csv = to_csv_bytes(table).decode()
    assert ",'=SUM(A1)," in csv  # the name would have run as a formula
    assert f",{int(net['scenario_1_low'])}," in csv  # negative numbers stay numbers
    assert ",300," in csv and ",300.0," not in csv  # whole numbers written as such
    with pytest.raises(ValueError, match="at most 3"):
        sc.comparison_export(items * 2)


MINIMAL = """
notes:
  reach: Judgement about reach, long enough to read.
interventions:
  - key: test
    label: Test
    description: A test intervention.
    cohort: {age_min: 65}
    cohort_text: aged 65+
    reach: {value: 0.5, low: 0.3, high: 0.7, source: "{reach} Locally."}
    uptake: {value: 0.8, low: 0.6, high: 0.9, source: Assumption.}
    effects:
      emergency_admissions: {value: 0.1, low: 0.0, high: 0.2, published: true, source: A review.}
    cost_per_participant: {value: 40, low: 20, high: 80, source: Assumption.}
    added_per_participant: {gp_contacts: 1}
    added_note: one appointment
"""


def test_the_interventions_table_is_read_and_checked() -> None:
    parsed = sc.parse_interventions(MINIMAL)["test"]
    assert parsed.reach == sc.Assumption(0.5, 0.3, 0.7, "Judgement about reach, long enough to read. Locally.")
    assert parsed.effects["emergency_admissions"].assumed is False and parsed.uptake.assumed is True
    assert parsed.cohort == sc.CohortCriteria(age_min=65) and parsed.added_per_participant == {"gp_contacts": 1.0}
    assert sc.load_interventions() == sc.INTERVENTIONS  # the shipped table, read once on import
    bad = {
        "high: 0.7": ("high: 0.4", "intervention test, reach: an assumption needs low <= value <= high"),
        "cohort_text: aged 65+": ("cohort_text: aged 65+\n    colour: blue", "intervention test: unknown colour"),
        "    label: Test\n": ("", "intervention test: missing label"),
        "{reach} Locally.": ("{reech} Locally.", "reach: the source names an unknown note ('reech')"),
        "emergency_admissions: {": ("falls: {", "intervention test: unknown activity falls"),
        "value: 40, low: 20": ("value: 40, low: -20", "the cost per participant cannot be negative"),
        "value: 0.8,": ("value: high,", "intervention test, uptake: value, low and high must be numbers"),
        "cohort: {age_min: 65}": ("cohort: {age: 65}", "intervention test: cohort: unknown cohort criteria: age"),
        "gp_contacts: 1": ("gp_contacts: -1", "intervention test, added: expected settings with a number"),
    }
    for old, (new, message) in bad.items():
        assert old in MINIMAL, old
        with pytest.raises(ValueError, match=re.escape(message)):
            sc.parse_interventions(MINIMAL.replace(old, new))
    twice = MINIMAL + MINIMAL[MINIMAL.index("  - key: test") :]
    with pytest.raises(ValueError, match="intervention test: the key is used twice"):
        sc.parse_interventions(twice)
    with pytest.raises(ValueError, match="not valid YAML"):
        sc.parse_interventions("notes: [")
