"""Readable tables of maturity results: gaps, agreement, disagreement and change since the previous round."""

from __future__ import annotations

import pytest

from maturity import tables
from maturity.framework import load_framework
from maturity.scoring import ComponentChange, score_assessment

pytestmark = pytest.mark.unit

FRAMEWORK = load_framework("phm_maturity", 1)


def answer(respondent: int, component: str, current: int | None, target: int | None = None) -> dict:
    return {"respondent_id": respondent, "component_id": component, "current_stage": current, "target_stage": target}


RESULT = score_assessment(
    [
        answer(1, "analyses", 1, 3),
        answer(2, "analyses", 1, 3),
        answer(3, "analyses", 1, 2),
        answer(4, "analyses", 4, 4),
        answer(1, "interpretation", 2, 3),
        answer(2, "interpretation", 2, 3),
        answer(3, "interpretation", 3, 3),
        answer(1, "information_governance", 3, 3),
        answer(2, "information_governance", 3, 3),
        answer(1, "care_model_design", 2, 4),
    ],
    FRAMEWORK,
    respondent_ids=[1, 2, 3, 4],
)


def test_gap_table_lists_positive_gaps_largest_first():
    gaps = tables.gap_table(RESULT)
    assert list(gaps.columns) == list(tables.GAP_COLUMNS)
    # Equal gaps in framework order: analyses (intelligence) before care model design (interventions).
    assert list(gaps["Component"]) == ["Analyses", "Care model design and delivery", "Interpretation and evaluation"]
    assert list(gaps["Gap"]) == [2.0, 2.0, 1.0]
    first = gaps.iloc[0]
    assert (first["Current"], first["Current stage"], first["Target"], first["Target stage"]) == (
        1.0,
        "Emerging",
        3.0,
        "Maturing",
    )
    assert first["Agreement"] == "uncertain" and first["Ratings"] == 4


def test_gap_table_of_an_assessment_without_targets_is_empty_with_its_columns():
    empty = tables.gap_table(score_assessment([answer(1, "analyses", 2)], FRAMEWORK))
    assert empty.empty and list(empty.columns) == list(tables.GAP_COLUMNS)


def test_agreement_table_counts_each_stage_and_flags_agreement():
    table = tables.agreement_table(RESULT).set_index("Component")
    assert len(table) == len(FRAMEWORK.components)
    analyses = table.loc["Analyses"]
    assert [analyses[s.label] for s in FRAMEWORK.stages] == [3, 0, 0, 1]
    assert (analyses["Agreement"], analyses["Ratings"], analyses["Missing"]) == ("uncertain", 4, 0)
    assert analyses["Outside the band"] == pytest.approx(0.25)
    assert table.loc["Interpretation and evaluation", "Agreement"] == "consensus"
    assert table.loc["Care model design and delivery", "Agreement"] == "too few"
    assert table.loc["Workforce development", "Agreement"] == "no answers"
    assert table.loc["Workforce development", "Missing"] == 4


def test_disagreement_table_names_the_spread_for_discussion():
    table = tables.disagreement_table(RESULT)
    assert list(table["Component"]) == ["Analyses", "Interpretation and evaluation"]  # unanimous ones left out
    assert table.iloc[0]["Ratings given"] == "3 Emerging, 1 Thriving"
    assert table.iloc[1]["Ratings given"] == "2 Developing, 1 Maturing"


def test_change_table_puts_the_largest_rise_first_and_new_components_last():
    changes = [
        ComponentChange("analyses", "Analyses", "both", 1.0, 2.0, 1.0),
        ComponentChange("interpretation", "Interpretation", "both", 3.0, 2.0, -1.0),
        ComponentChange("new_one", "New one", "added", None, 2.0, None),
        ComponentChange("care_model_design", "Care model", "both", 2.0, 4.0, 2.0),
        ComponentChange("old_one", "Old one", "retired", 2.0, None, None),
    ]
    table = tables.change_table(changes)
    assert list(table["Component"]) == ["Care model", "Analyses", "Interpretation", "New one", "Old one"]
    assert list(table["Note"])[-2:] == ["new in this framework version", "no longer in the framework"]
    assert str(table["Change"].dtype) == "Float64"
