"""The generated sentences read as English for one area or many, one indicator or many (issue 13, item 18)."""

from __future__ import annotations

import pandas as pd
import pytest

from phm_core import narrative
from phm_core.profiles import MEASURES

pytestmark = pytest.mark.unit


def _areas(*values: float) -> pd.DataFrame:
    return pd.DataFrame({"name": [f"Area {chr(65 + i)}" for i in range(len(values))], "value": list(values)})


def _map_sentence(key: str, table: pd.DataFrame, *, noun: str = "LSOAs") -> str:
    measure = MEASURES[key]
    kind = "rank" if key.endswith("_local_rank") else measure.kind
    text = narrative.map_narrative(
        table, measure_label=measure.label, fmt=measure.fmt, noun=noun, name="Foo", kind=kind
    )
    return " ".join(text)


@pytest.mark.parametrize(
    ("key", "subject"),
    [
        ("pop_total", "the number of residents (Census 2021) is highest"),
        ("density", "the number of people per square kilometre (approximate) is highest"),
        ("imd_score", "the IMD 2025 score (population-weighted) is highest"),
        ("education_score", "the Education, Skills and Training domain score (population-weighted) is highest"),
        ("aq_particulates", "the level of particulates (ratio to limit value) is highest"),
        ("share_65_plus", "the share aged 65 and over is highest"),
    ],
)
def test_the_subject_of_highest_and_lowest_agrees_with_is(key: str, subject: str) -> None:
    assert f"Across the 3 LSOAs of Foo, {subject} in Area C" in _map_sentence(key, _areas(1, 2, 3))


def test_no_map_sentence_has_a_plural_subject_a_colon_or_a_stray_capital() -> None:
    for key, measure in MEASURES.items():
        if measure.kind == "categorical":
            continue
        text = _map_sentence(key, _areas(1, 2, 3))
        assert "the residents" not in text and "the people" not in text and ": score" not in text, text
        for wrong in ("education, Skills", "health Deprivation", "living Environment", "barriers to Housing"):
            assert wrong not in text, text


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((1, 2, 3), "1 of the 3 LSOAs of Foo (33%) is in England's most deprived tenth on the Income domain, for "
         "example Area A."),
        ((1, 1, 3), "2 of the 3 LSOAs of Foo (67%) are in England's most deprived tenth on the Income domain, for "
         "example Area A."),
        ((2, 4, 3), "None of the 3 LSOAs of Foo are in England's most deprived tenth on the Income domain."),
    ],
)  # fmt: skip
def test_deciles_say_is_for_one_area_and_are_for_several(values: tuple[int, ...], expected: str) -> None:
    assert _map_sentence("income_decile", _areas(*values)) == expected


def test_deciles_of_the_whole_index_read_on_the_imd() -> None:
    assert "most deprived tenth on IMD 2025, for example" in _map_sentence("imd_decile", _areas(1, 2))


def test_a_footprint_of_one_area_is_not_described_as_its_highest_and_lowest() -> None:
    text = _map_sentence("pop_total", _areas(1_500), noun="places")
    assert text == "Foo has one place, Area A: the number of residents (Census 2021) there is 1,500."
    assert _map_sentence("imd_local_rank", _areas(1), noun="sub-ICB locations") == (
        "Foo has one sub-ICB location, Area A, so there is no ranking on IMD 2025 within it."
    )


def _ranked(worst: int, total: int) -> pd.DataFrame:
    names = [f"Indicator {i + 1} (Health Index)" for i in range(total)]
    return pd.DataFrame(
        {"indicator": names, "benchmark": ["worst fifth"] * worst + ["middle fifth"] * (total - worst), "source": "ONS"}
    )


@pytest.mark.parametrize(
    ("worst", "total", "expected"),
    [
        (1, 23, "on 1 of 23 ranked indicators: Indicator 1."),
        (1, 1, "on its only ranked indicator, Indicator 1."),
        (2, 23, "on 2 of 23 ranked indicators: Indicator 1 and Indicator 2."),
        (4, 23, "on 4 of 23 ranked indicators: Indicator 1, Indicator 2, Indicator 3 and Indicator 4."),
        (6, 23, "on 6 of 23 ranked indicators, including Indicator 1, Indicator 2, Indicator 3 and Indicator 4."),
    ],
)
def test_the_worst_fifth_sentence_lists_all_or_says_including(worst: int, total: int, expected: str) -> None:
    text = " ".join(narrative.benchmark_narrative(_ranked(worst, total), place="Tendring"))
    assert text == f"Tendring is in the worst fifth of England's local authorities {expected}"


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], ""),
        (["a"], "a"),
        (["a", "b"], "a and b"),
        (["a", "b", "c"], "a, b and c"),
        (
            ["Asthma", "Peripheral arterial disease", "Stroke and TIA"],
            "Asthma, Peripheral arterial disease, and Stroke and TIA",
        ),
        (["COPD", "Stroke and TIA"], "COPD and Stroke and TIA"),
    ],
)
def test_lists_join_with_commas_and_and(items: list[str], expected: str) -> None:
    assert narrative.join_list(items) == expected


def test_air_quality_sentence_for_one_neighbourhood_and_one_child() -> None:
    table = pd.DataFrame([[10, 0, 0], [0, 10, 0], [0, 0, 30]])
    worst = pd.DataFrame({"pop_0_15": [1], "lsoa21_name": ["Ipswich 001A"]})
    text = " ".join(narrative.air_quality_narrative(table, worst, name="SNEE"))
    assert "They include 1 child aged 15 and under in 1 neighbourhood, the starting cohort" in text
    assert "; it is Ipswich 001A." in text
    worst = pd.DataFrame({"pop_0_15": [200, 150], "lsoa21_name": ["Ipswich 001A", "Ipswich 002B"]})
    text = " ".join(narrative.air_quality_narrative(table, worst, name="SNEE"))
    assert "They include 350 children aged 15 and under in 2 neighbourhoods" in text
    assert "the most deprived of these is Ipswich 001A." in text


def test_the_home_narrative_counts_one_small_area_in_the_singular(lsoa_2024: pd.DataFrame) -> None:
    one = lsoa_2024.head(1)
    assert "in 1 small area (LSOA)." in narrative.home_narrative(one, lsoa_2024, name="Somewhere")[0]
    assert "in 2 small areas (LSOAs)." in narrative.home_narrative(lsoa_2024.head(2), lsoa_2024, name="Somewhere")[0]
