"""Scoring of self-assessments: medians, spread, agreement, ties, missing answers, gaps and version changes."""

from __future__ import annotations

import copy
import random
from datetime import date

import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from maturity.framework import FRAMEWORKS_DIR, load_framework, parse_framework
from maturity.next_steps import suggest_next_steps
from maturity.scoring import (
    Agreement,
    AgreementRule,
    compare_results,
    component_id_map,
    gap_analysis,
    most_disagreement,
    results_frame,
    score_assessment,
)

pytestmark = pytest.mark.unit

FRAMEWORK = load_framework("phm_maturity", 1)


def ratings(component_id: str, current: list[int | None], target: list[int | None] | None = None) -> list[dict]:
    """One answer per respondent (ids 1..n) for one component."""
    target = target or [None] * len(current)
    return [
        {"respondent_id": i, "component_id": component_id, "current_stage": c, "target_stage": t}
        for i, (c, t) in enumerate(zip(current, target, strict=True), start=1)
    ]


def test_median_spread_and_counts_of_one_component():
    result = score_assessment(ratings("analyses", [1, 2, 2, 3, 4]), FRAMEWORK)
    analyses = result.component("analyses")
    assert analyses.n == 5
    assert analyses.current == 2.0
    assert analyses.current_stage == 2
    assert analyses.current_label == "Developing"
    assert (analyses.q1, analyses.q3, analyses.iqr) == (2.0, 3.0, 1.0)
    assert (analyses.minimum, analyses.maximum, analyses.range) == (1, 4, 3)
    assert analyses.counts == (1, 2, 1, 1)
    assert analyses.outside_share == pytest.approx(0.4)  # 3 of 5 in Developing-Maturing: the 1 and the 4 are out


def test_even_number_of_ratings_reaches_the_lower_stage_by_default():
    answers = ratings("analyses", [2, 3, 2, 3])
    lower = score_assessment(answers, FRAMEWORK).component("analyses")
    upper = score_assessment(answers, FRAMEWORK, median_tie="upper").component("analyses")
    assert lower.current == upper.current == 2.5
    assert (lower.current_stage, lower.current_label) == (2, "Developing")
    assert (upper.current_stage, upper.current_label) == (3, "Maturing")
    with pytest.raises(ValueError, match="median_tie"):
        score_assessment(answers, FRAMEWORK, median_tie="middle")


def test_result_does_not_depend_on_the_order_answers_arrive_in():
    rng = random.Random(7)
    answers = [
        {"respondent_id": r, "component_id": c, "current_stage": rng.randint(1, 4), "target_stage": 4}
        for r in range(1, 8)
        for c in FRAMEWORK.component_ids
    ]
    shuffled = answers[:]
    rng.shuffle(shuffled)
    assert score_assessment(answers, FRAMEWORK).components == score_assessment(shuffled, FRAMEWORK).components


@pytest.mark.parametrize(
    ("current", "rule", "expected"),
    [
        ([2, 2, 2, 2, 4], AgreementRule(), Agreement.CONSENSUS),  # 1 of 5 outside: 20% < 25%
        ([2, 2, 2, 4], AgreementRule(), Agreement.UNCERTAIN),  # 1 of 4 outside: 25% is not below 25%
        ([1, 2, 3, 2], AgreementRule(), Agreement.UNCERTAIN),  # three stages: 1 of 4 outside any two adjacent
        ([1, 2, 3, 2, 2], AgreementRule(), Agreement.CONSENSUS),  # 1 of 5 outside Developing-Maturing
        ([1, 1, 4, 4], AgreementRule(), Agreement.UNCERTAIN),  # median 2.5: everyone is 1.5 stages away
        ([2, 2, 2, 2, 4], AgreementRule(max_outside_share=0.1), Agreement.UNCERTAIN),
        ([2, 2, 2, 4], AgreementRule(band=2), Agreement.CONSENSUS),
        ([3], AgreementRule(), Agreement.TOO_FEW),
        ([3], AgreementRule(min_respondents=1), Agreement.CONSENSUS),
        ([None, None], AgreementRule(), Agreement.NO_ANSWERS),
    ],
)
def test_agreement_rule(current, rule, expected):
    result = score_assessment(ratings("interpretation", current), FRAMEWORK, rule=rule)
    assert result.component("interpretation").agreement is expected


EMERGING, DEVELOPING, MATURING, THRIVING = 1, 2, 3, 4


@pytest.mark.parametrize(
    ("current", "expected", "outside"),
    [
        pytest.param([MATURING], Agreement.TOO_FEW, 0.0, id="1 respondent"),
        pytest.param([DEVELOPING, DEVELOPING], Agreement.CONSENSUS, 0.0, id="2 identical"),
        pytest.param([DEVELOPING, MATURING], Agreement.CONSENSUS, 0.0, id="2 adjacent"),
        pytest.param([DEVELOPING, THRIVING], Agreement.UNCERTAIN, 0.5, id="2 opposite, Developing and Thriving"),
        pytest.param([EMERGING, MATURING], Agreement.UNCERTAIN, 0.5, id="2 opposite, Emerging and Maturing"),
        pytest.param([EMERGING, THRIVING], Agreement.UNCERTAIN, 0.5, id="2 at the ends"),
        pytest.param([DEVELOPING, MATURING, THRIVING], Agreement.UNCERTAIN, 1 / 3, id="3 in a row"),
        pytest.param([MATURING] * 9 + [EMERGING], Agreement.CONSENSUS, 0.1, id="10 with one outlier"),
        pytest.param([MATURING] * 49 + [EMERGING], Agreement.CONSENSUS, 0.02, id="50 with one outlier"),
        pytest.param([DEVELOPING] * 25 + [THRIVING] * 25, Agreement.UNCERTAIN, 0.5, id="50 split in two camps"),
        pytest.param(
            [EMERGING] * 12 + [DEVELOPING] * 13 + [MATURING] * 13 + [THRIVING] * 12,
            Agreement.UNCERTAIN,
            24 / 50,
            id="50 spread over every stage",
        ),
        pytest.param(
            [EMERGING] * 3 + [DEVELOPING] * 20 + [MATURING] * 24 + [THRIVING] * 3,
            Agreement.CONSENSUS,
            6 / 50,
            id="50 mostly in two adjacent stages",
        ),
    ],
)
def test_agreement_is_right_from_one_to_fifty_respondents(current, expected, outside):
    """Respondents at opposite stages never make a consensus, however the median falls between them."""
    result = score_assessment(ratings("interpretation", current), FRAMEWORK).component("interpretation")
    assert result.agreement is expected
    assert result.outside_share == pytest.approx(outside)


def test_two_respondents_at_opposite_stages_are_where_they_disagree_most():
    answers = ratings("analyses", [DEVELOPING, THRIVING]) + ratings("interpretation", [EMERGING, MATURING])
    answers += ratings("care_model_design", [MATURING, MATURING]) + ratings("community_wellbeing", [2, 3])
    ranked = most_disagreement(score_assessment(answers, FRAMEWORK))
    assert [r.component_id for r in ranked[:2]] == ["analyses", "interpretation"]
    assert {r.agreement for r in ranked[:2]} == {Agreement.UNCERTAIN}


def test_the_rule_is_described_in_words():
    text = AgreementRule().describe()
    assert "25%" in text and "two adjacent stages" in text and "Developing and Thriving" in text
    assert "three adjacent stages" in AgreementRule(band=2).describe()


@pytest.mark.parametrize(
    "kwargs", [{"band": -1}, {"max_outside_share": 0}, {"max_outside_share": 1.5}, {"min_respondents": 0}]
)
def test_agreement_rule_parameters_are_validated(kwargs):
    with pytest.raises(ValueError):
        AgreementRule(**kwargs)


def test_missing_answers_are_excluded_and_counted():
    answers = ratings("analyses", [3, None, 1])  # respondent 2 left it blank
    answers.append({"respondent_id": 4, "component_id": "interpretation", "current_stage": 2})
    result = score_assessment(answers, FRAMEWORK, respondent_ids=[1, 2, 3, 4, 5])  # 5 answered nothing
    analyses = result.component("analyses")
    assert (analyses.n, analyses.n_missing) == (2, 3)
    assert analyses.current == 2.0
    assert result.component("interpretation").n_missing == 4
    assert result.component("workforce_development").agreement is Agreement.NO_ANSWERS
    assert result.component("workforce_development").n_missing == 5
    assert result.n_respondents == 5


def test_pandas_frame_with_missing_values_scores_like_records():
    records = ratings("analyses", [3, None, 1], [4, 4, None])
    frame = pd.DataFrame(records).astype({"current_stage": "Int64", "target_stage": "Int64"})
    assert score_assessment(frame, FRAMEWORK).components == score_assessment(records, FRAMEWORK).components


def test_answers_for_unknown_components_are_left_out_and_reported():
    answers = ratings("analyses", [2, 2]) + ratings("retired_component", [4, 4])
    result = score_assessment(answers, FRAMEWORK)
    assert dict(result.unknown_components) == {"retired_component": 2}
    assert result.component("analyses").current == 2.0


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (ratings("analyses", [5]), "current stage 5 .* outside 1-4"),
        (ratings("analyses", [2], [0]), "target stage 0 .* outside 1-4"),
        (ratings("analyses", [2.5]), "current_stage must be a whole number"),
        (ratings("analyses", [True]), "current_stage must be a whole number"),
        (ratings("analyses", [2]) * 2, "more than one answer for 'analyses'"),
        ([{"respondent_id": 1, "component_id": "analyses", "current_stage": 2, "confidence": 9}], "confidence 9"),
        ([{"component_id": "analyses", "current_stage": 2}], "lacks 'respondent_id'"),
    ],
)
def test_invalid_answers_raise(answers, message):
    with pytest.raises(ValueError, match=message):
        score_assessment(answers, FRAMEWORK)


def test_answer_from_someone_not_in_the_respondent_list_raises():
    with pytest.raises(ValueError, match="not in respondent_ids"):
        score_assessment(ratings("analyses", [2, 3]), FRAMEWORK, respondent_ids=[1])


def test_capability_is_mean_of_component_medians_and_overall_weights_capabilities_equally():
    level = {"infrastructure": 1, "intelligence": 2, "interventions": 4}
    answers = [
        {"respondent_id": 1, "component_id": c.id, "current_stage": level[c.capability_id], "target_stage": 4}
        for c in FRAMEWORK.components
    ]
    result = score_assessment(answers, FRAMEWORK)
    assert [c.current for c in result.capabilities] == [1.0, 2.0, 4.0]
    # Equal weight per capability: (1 + 2 + 4) / 3, not the mean of 11 components (26 / 11).
    assert result.overall.current == pytest.approx(7 / 3)
    assert result.overall.current_label == "Developing"
    assert result.overall.target == 4.0
    assert result.overall.gap == pytest.approx(4 - 7 / 3)


def test_capability_leaves_out_components_nobody_rated():
    result = score_assessment(ratings("analyses", [3]) + ratings("interpretation", [2]), FRAMEWORK)
    intelligence = result.capability("intelligence")
    assert intelligence.current == 2.5
    assert (intelligence.n_components_scored, intelligence.n_components) == (2, 3)
    assert result.capability("infrastructure").current is None
    assert result.overall.current == 2.5


def test_gap_analysis_sorts_by_gap_with_ties_in_framework_order():
    answers = (
        ratings("incentives_alignment", [1], [3])
        + ratings("organisational_factors", [2], [3])
        + ratings("analyses", [1], [4])
        + ratings("interpretation", [2], [4])
        + ratings("care_model_design", [3], [3])
        + ratings("workforce_development", [3], [2])
    )
    result = score_assessment(answers, FRAMEWORK)
    assert [(r.component_id, r.gap) for r in gap_analysis(result)] == [
        ("analyses", 3.0),
        ("interpretation", 2.0),
        ("incentives_alignment", 2.0),
        ("organisational_factors", 1.0),
    ]
    with_closed = [r.component_id for r in gap_analysis(result, include_closed=True)]
    assert with_closed[-2:] == ["care_model_design", "workforce_development"]


def test_target_date_is_the_lower_median_date():
    answers = [
        {"respondent_id": i, "component_id": "analyses", "current_stage": 2, "target_date": d}
        for i, d in enumerate([date(2026, 3, 31), date(2025, 12, 31), date(2027, 3, 31), None], start=1)
    ]
    assert score_assessment(answers, FRAMEWORK).component("analyses").target_by == date(2026, 3, 31)


def test_most_disagreement_ranks_by_share_outside_then_spread():
    answers = (
        ratings("analyses", [1, 1, 4, 4])  # half far from the median of 2.5
        + ratings("interpretation", [1, 2, 3, 4])  # as far outside, but a narrower interquartile range
        + ratings("care_model_design", [2, 2, 2, 4])  # one outlier
        + ratings("community_wellbeing", [3, 3, 3, 3])  # unanimous: not for discussion
        + ratings("workforce_development", [2, 3, 2, 3])
    )
    result = score_assessment(answers, FRAMEWORK)
    ranked = [r.component_id for r in most_disagreement(result, limit=10)]
    assert ranked == ["analyses", "interpretation", "care_model_design", "workforce_development"]
    assert [r.component_id for r in most_disagreement(result, limit=2)] == ["analyses", "interpretation"]


def test_ties_in_disagreement_fall_back_to_framework_order():
    answers = ratings("incentives_alignment", [1, 2]) + ratings("organisational_factors", [2, 3])
    ranked = [r.component_id for r in most_disagreement(score_assessment(answers, FRAMEWORK))]
    assert ranked == ["organisational_factors", "incentives_alignment"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(1, 4)), min_size=1, max_size=30))
def test_properties_of_component_scores(values):
    result = score_assessment(ratings("analyses", values), FRAMEWORK).component("analyses")
    given_values = [v for v in values if v is not None]
    assert result.n + result.n_missing == len(values)
    assert sum(result.counts) == result.n
    if given_values:
        assert min(given_values) <= result.q1 <= result.current <= result.q3 <= max(given_values)
        assert result.current_stage in (int(result.current), int(result.current + 0.5))
        if result.n >= 2:
            assert (result.agreement is Agreement.CONSENSUS) == (result.outside_share < 0.25)
    else:
        assert result.current is None and result.agreement is Agreement.NO_ANSWERS


# --- version changes -------------------------------------------------------------------------------------------


def version_two():
    """Version 2: 'analyses' renamed 'analytics', incentives dropped, a new component added."""
    data = yaml.safe_load((FRAMEWORKS_DIR / "phm_maturity_v1.yaml").read_text(encoding="utf-8"))
    data["version"] = 2
    intelligence = data["capabilities"][1]["components"]
    analyses = next(c for c in intelligence if c["id"] == "analyses")
    analyses["id"] = "analytics"
    analyses["previous_ids"] = ["analyses"]
    interventions = data["capabilities"][2]["components"]
    new = copy.deepcopy(next(c for c in interventions if c["id"] == "incentives_alignment"))
    interventions[:] = [c for c in interventions if c["id"] != "incentives_alignment"]
    new["id"] = "resident_voice"
    new["label"] = "Resident voice"
    interventions.append(new)
    return parse_framework(data, source="v2")


def test_component_ids_map_across_versions():
    mapping = component_id_map(FRAMEWORK, version_two())
    assert mapping["analyses"] == "analytics"
    assert mapping["incentives_alignment"] is None
    assert mapping["interpretation"] == "interpretation"


def test_compare_results_across_framework_versions():
    v2 = version_two()
    old = score_assessment(
        ratings("analyses", [1, 1]) + ratings("incentives_alignment", [2, 2]) + ratings("interpretation", [2, 2]),
        FRAMEWORK,
    )
    new = score_assessment(
        ratings("analytics", [3, 3]) + ratings("resident_voice", [1, 1]) + ratings("interpretation", [2, 3]), v2
    )
    changes = {c.component_id: c for c in compare_results(old, new)}
    assert (changes["analytics"].status, changes["analytics"].change) == ("both", 2.0)
    assert (changes["interpretation"].previous, changes["interpretation"].current) == (2.0, 2.5)
    assert (changes["resident_voice"].status, changes["resident_voice"].previous) == ("added", None)
    assert (changes["incentives_alignment"].status, changes["incentives_alignment"].current) == ("retired", None)
    assert list(changes)[-1] == "incentives_alignment"


def test_old_answers_scored_under_the_new_version_are_reported_not_lost():
    result = score_assessment(ratings("incentives_alignment", [2]) + ratings("interpretation", [3]), version_two())
    assert dict(result.unknown_components) == {"incentives_alignment": 1}


def test_results_frame_maps_old_ids_to_the_reference_framework():
    old = score_assessment(ratings("analyses", [2]) + ratings("incentives_alignment", [3]), FRAMEWORK)
    frame = results_frame(old, reference=version_two())
    components = frame[frame["level"] == "component"].set_index("component_id")
    assert "analytics" in components.index and "analyses" not in components.index
    assert bool(components.loc["analytics", "in_reference"]) is True
    assert bool(components.loc["incentives_alignment", "in_reference"]) is False
    assert components.loc["analytics", "current"] == 2.0
    assert list(frame["level"].value_counts().sort_index().items()) == [
        ("capability", 3),
        ("component", 11),
        ("overall", 1),
    ]


# --- next steps ------------------------------------------------------------------------------------------------


def test_next_steps_follow_the_gaps_and_the_current_stage():
    answers = (
        ratings("analyses", [1, 1], [3, 3])  # Emerging -> Maturing
        + ratings("information_governance", [2, 2], [3, 3])
        + ratings("care_model_design", [3, 3], [3, 3])  # no gap: no actions
    )
    steps = suggest_next_steps(score_assessment(answers, FRAMEWORK))
    assert list(steps) == ["infrastructure", "intelligence", "interventions"]
    assert steps["interventions"] == []
    intelligence = steps["intelligence"]
    assert {s.component_id for s in intelligence} == {"analyses"}
    assert all(s.current_stage == 1 and s.gap == 2.0 for s in intelligence)
    assert "segmentation" in {s.page for s in intelligence}  # Emerging analyses: start with segmentation
    assert "scenarios" not in {s.page for s in intelligence}  # scenario modelling is for later stages
    governance_pages = {s.page for s in steps["infrastructure"]}
    assert "risk" in governance_pages  # re-identification for direct care links to the risk page
    capped = suggest_next_steps(score_assessment(answers, FRAMEWORK), per_component=1)
    assert len(capped["intelligence"]) == 1
