"""Edge cases and impossible input: zero events, zero population, NaN, one group, empty frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import phm_core.stats as st

pytestmark = pytest.mark.unit

AGES = [0, 1, *range(5, 95, 5)]
POPS = [7060, 35059, 46974, 48489, 43219, 38561, 46009, 57208, 61435, 55601, 50209, 56416, 46411, 39820,
        37978, 37039, 33288, 23306, 11936, 11936]  # fmt: skip
DEATHS = [17, 9, 4, 8, 20, 15, 24, 33, 50, 71, 100, 163, 263, 304, 536, 872, 1390, 1605, 1936, 1937]


def le_frame(**changes: object) -> pd.DataFrame:
    df = pd.DataFrame({"age": AGES, "pop": POPS, "deaths": DEATHS})
    for column, (index, value) in changes.items():
        df.loc[index, column] = value
    return df


def test_zero_events_give_zero_with_an_upper_limit() -> None:
    df = pd.DataFrame({"x": [0], "n": [50]})
    prop = st.proportion(df, numerator="x", denominator="n")
    assert prop.loc[0, "value"] == 0 and prop.loc[0, "lowercl"] == 0 and prop.loc[0, "uppercl"] > 0
    rates = st.rate(df, count="x", population="n", multiplier=100)
    assert rates.loc[0, "lowercl"] == 0
    assert rates.loc[0, "uppercl"] == pytest.approx(-np.log(0.025) / 50 * 100)  # exact limit for 0 events


@pytest.mark.parametrize("function", ["proportion", "rate"])
def test_zero_population_is_refused_with_a_clear_message(function: str) -> None:
    df = pd.DataFrame({"x": [0], "n": [0]})
    with pytest.raises(ValueError, match="greater than zero"):
        if function == "proportion":
            st.proportion(df, numerator="x", denominator="n")
        else:
            st.rate(df, count="x", population="n")


def test_impossible_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="larger than its denominator"):
        st.proportion(pd.DataFrame({"x": [6], "n": [5]}), numerator="x", denominator="n")
    with pytest.raises(ValueError, match="negative values"):
        st.rate(pd.DataFrame({"x": [-1], "n": [5]}), count="x", population="n")
    with pytest.raises(ValueError, match="missing column"):
        st.rate(pd.DataFrame({"x": [1]}), count="x", population="pop")
    with pytest.raises(ValueError, match="not numbers"):
        st.rate(pd.DataFrame({"x": ["a"], "n": [5]}), count="x", population="n")
    with pytest.raises(ValueError, match="confidence level"):
        st.rate(pd.DataFrame({"x": [1], "n": [5]}), count="x", population="n", confidence=1.5)
    with pytest.raises(ValueError, match="negative values"):
        st.life_expectancy(le_frame(deaths=(3, -5)), deaths="deaths", population="pop", age="age")


@pytest.mark.parametrize(
    "call",
    [
        lambda df: st.proportion(df, numerator="x", denominator="n"),
        lambda df: st.rate(df, count="x", population="n"),
        lambda df: st.mean(df, value="x"),
        lambda df: st.dsr(df, count="x", population="n"),
        lambda df: st.life_expectancy(df, deaths="x", population="n", age="a"),
        lambda df: st.funnel_limits(df, numerator="x", denominator="n"),
    ],
)
def test_empty_frame_is_refused(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="empty"):
        call(pd.DataFrame({"x": [], "n": [], "a": []}))


def test_missing_values_give_missing_results_not_errors() -> None:
    df = pd.DataFrame({"x": [5, np.nan], "n": [100, 100]})
    out = st.rate(df, count="x", population="n")
    assert np.isnan(out.loc[1, "value"]) and np.isnan(out.loc[1, "lowercl"]) and pd.isna(out.loc[1, "method"])
    assert out.loc[0, "method"] == "Exact"
    mean = st.mean(pd.DataFrame({"v": [1.0, np.nan, 3.0]}), value="v")
    assert mean.loc[0, "value"] == 2 and mean.loc[0, "value_count"] == 2


def test_grouped_totals_and_several_group_columns() -> None:
    df = pd.DataFrame({"icb": ["A", "A", "B"], "sex": ["F", "F", "M"], "x": [10, 20, 5], "n": [100, 100, 50]})
    out = st.proportion(df, numerator="x", denominator="n", group_by=["icb", "sex"], multiplier=100)
    assert list(out.columns[:4]) == ["icb", "sex", "x", "n"]
    assert out["value"].tolist() == [15.0, 10.0]


def test_single_group_and_single_level_column_names() -> None:
    out = st.rate(pd.DataFrame({"x": [30], "n": [1000]}), count="x", population="n", group_by=None)
    assert {"value", "lowercl", "uppercl", "confidence", "statistic", "method"} <= set(out.columns)
    assert out.loc[0, "confidence"] == "95%" and out.loc[0, "statistic"] == "rate per 100000"


def test_dsr_with_fewer_than_ten_events_is_withheld_with_reason() -> None:
    df = pd.DataFrame({"x": [1] * 9 + [0] * 10, "n": [1000] * 19})
    out = st.dsr(df, count="x", population="n")
    assert np.isnan(out.loc[0, "value"]) and out.loc[0, "reason"] == "fewer than 10 events"


def test_dsr_needs_one_row_per_standard_band() -> None:
    with pytest.raises(ValueError, match="19 rows"):
        st.dsr(pd.DataFrame({"x": [10] * 18, "n": [100] * 18}), count="x", population="n")


def test_dsr_with_a_user_standard_population_column() -> None:
    df = pd.DataFrame({"x": [30, 60], "n": [1000, 1000], "w": [1, 1]})
    out = st.dsr(df, count="x", population="n", standard_population="w", multiplier=1000)
    assert out.loc[0, "value"] == pytest.approx(45.0)  # equal weights: the mean of 30 and 60 per 1000


def test_dsr_for_non_independent_events_keeps_the_value_and_widens_the_limits() -> None:
    people = pd.DataFrame({"band": list(range(0, 95, 5)), "n": [10_000] * 19, "x": [40] * 19})
    independent = st.dsr(people, count="x", population="n", age="band")
    # the same events, but carried by fewer people: 20 people with 1 event and 10 with 2 in each band
    split = pd.concat([people.assign(x=20, f=1), people.assign(x=10, f=2)])
    dependent = st.dsr(split, count="x", population="n", age="band", event_frequency="f")
    assert dependent.loc[0, "value"] == pytest.approx(independent.loc[0, "value"])
    assert dependent.loc[0, "total_pop"] == independent.loc[0, "total_pop"]
    assert dependent.loc[0, "lowercl"] < independent.loc[0, "lowercl"]
    assert dependent.loc[0, "uppercl"] > independent.loc[0, "uppercl"]


def test_isr_as_a_rate_uses_the_reference_crude_rate() -> None:
    df = pd.DataFrame({"band": [0, 1], "x": [20, 30], "n": [1000, 1000]})
    out = st.isr(df, count="x", population="n", reference_count=[10, 30], reference_population=[1000, 1000],
                 age="band", kind="rate", multiplier=1000)  # fmt: skip
    assert out.loc[0, "expected"] == pytest.approx(40)
    assert out.loc[0, "reference_rate"] == pytest.approx(20)
    assert out.loc[0, "value"] == pytest.approx(50 / 40 * 20)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"pop": (5, 0)}, "an age band has no population"),
        ({"deaths": (18, 20_000)}, "an age band has more deaths than population"),
        ({"deaths": (19, 0)}, "no deaths in the final age band"),
    ],
)
def test_life_expectancy_suppression_rules_report_the_reason(changes: dict, reason: str) -> None:
    out = st.life_expectancy(le_frame(**changes), deaths="deaths", population="pop", age="age")
    assert np.isnan(out.loc[0, "value"]) and out.loc[0, "reason"] == reason


def test_life_expectancy_small_population_and_missing_band_are_withheld() -> None:
    small = pd.DataFrame({"age": AGES, "pop": [200] * 20, "deaths": [2] * 20})
    out = st.life_expectancy(small, deaths="deaths", population="pop", age="age")
    assert out.loc[0, "reason"] == "total population of 5,000 or less"
    two = pd.concat([le_frame().assign(area="full"), le_frame().drop(index=4).assign(area="gap")])
    out = st.life_expectancy(two, deaths="deaths", population="pop", age="age", group_by="area", final_age=90)
    assert out.loc[0, "reason"] == "" and out.loc[1, "reason"] == "missing age band or missing data"


def test_life_expectancy_with_a_final_band_of_85_plus() -> None:
    df = le_frame().iloc[:19].copy()
    df.loc[18, ["pop", "deaths"]] = [POPS[18] + POPS[19], DEATHS[18] + DEATHS[19]]
    out = st.life_expectancy(df, deaths="deaths", population="pop", age="age", at_age=[0, 85])
    assert out["age"].tolist() == [0, 85]
    # open 85+ band: e85 = population / deaths
    assert out.loc[1, "value"] == pytest.approx((POPS[18] + POPS[19]) / (DEATHS[18] + DEATHS[19]))
    assert 79 < out.loc[0, "value"] < 81 and out.loc[0, "lowercl"] < out.loc[0, "value"] < out.loc[0, "uppercl"]


def test_life_expectancy_refuses_unknown_bands_and_duplicates() -> None:
    with pytest.raises(ValueError, match="not band start ages"):
        st.life_expectancy(le_frame(age=(2, 7)), deaths="deaths", population="pop", age="age")
    with pytest.raises(ValueError, match="more than one row"):
        st.life_expectancy(pd.concat([le_frame(), le_frame()]), deaths="deaths", population="pop", age="age")


def test_sii_is_reproducible_with_a_seed_and_validates_input() -> None:
    df = pd.DataFrame({"q": range(1, 6), "pop": [1000] * 5, "v": [70, 72, 74, 76, 78.0], "se": [0.5] * 5})
    first = st.sii(df, quantile="q", population="pop", value="v", se="se", repetitions=2000, rng=7)
    again = st.sii(df, quantile="q", population="pop", value="v", se="se", repetitions=2000,
                   rng=np.random.default_rng(7))  # fmt: skip
    assert first.loc[0, "value"] == pytest.approx(10.0)  # equal shares: 2 per fifth of the population x 5
    assert first.loc[0, "lowercl"] == again.loc[0, "lowercl"]
    flipped = st.sii(df, quantile="q", population="pop", value="v", se="se", repetitions=2000, rng=7,
                     multiplier=-1, rii=True, polarity="high is good")  # fmt: skip
    assert flipped.loc[0, "value"] == pytest.approx(-10.0)
    assert flipped.loc[0, "lowercl"] == pytest.approx(-first.loc[0, "uppercl"])
    assert flipped.loc[0, "inequality"] == "most deprived fare worse"
    with pytest.raises(ValueError, match="se= or both"):
        st.sii(df, quantile="q", population="pop", value="v")
    with pytest.raises(ValueError, match="value_type"):
        st.sii(df, quantile="q", population="pop", value="v", se="se", value_type="odds")
