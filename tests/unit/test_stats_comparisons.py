"""Quantiles, funnel points, benchmarking, trend markers and disclosure control."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

import phm_core.stats as st

pytestmark = pytest.mark.unit


def test_quantiles_split_evenly_and_ties_share_a_quantile() -> None:
    df = pd.DataFrame({"v": range(1, 21)})
    out = st.quantiles(df, value="v", n_quantiles=5)
    assert out["quantile"].value_counts().tolist() == [4] * 5
    assert out.loc[df["v"] == 20, "quantile"].item() == 1  # invert (default): highest value in quantile 1
    low_first = st.quantiles(df, value="v", n_quantiles=5, invert=False)
    assert low_first.loc[df["v"] == 1, "quantile"].item() == 1
    tied = st.quantiles(pd.DataFrame({"v": [1, 2, 2, 2, 3, 4, 5, 6, 7, 8]}), value="v", n_quantiles=5, invert=False)
    assert tied.loc[1:3, "quantile"].nunique() == 1


def test_quantiles_within_groups_and_missing_values() -> None:
    df = pd.DataFrame({"icb": ["A"] * 5 + ["B"] * 6, "v": [5, 4, 3, 2, 1, 10, 20, 30, 40, 50, np.nan]})
    out = st.quantiles(df, value="v", n_quantiles=5, group_by="icb")
    assert out.loc[out["icb"] == "A", "quantile"].tolist() == [1, 2, 3, 4, 5]
    assert out.loc[out["icb"] == "B", "quantile"].iloc[:5].tolist() == [5, 4, 3, 2, 1]
    assert pd.isna(out["quantile"].iloc[-1])
    with pytest.raises(ValueError, match="fewer values"):
        st.quantiles(df.iloc[:3], value="v", n_quantiles=5)


def test_funnel_overdispersion_widens_limits_and_curves_have_one_row_per_denominator() -> None:
    rng = np.random.default_rng(1)
    n = rng.integers(500, 5000, size=60)
    p = np.clip(rng.normal(0.3, 0.05, size=60), 0.01, 0.99)
    df = pd.DataFrame({"x": np.round(n * p), "n": n})
    plain = st.funnel_limits(df, numerator="x", denominator="n")
    wide = st.funnel_limits(df, numerator="x", denominator="n", overdispersion=True)
    assert (wide["overdispersion"] > 1).all()
    assert (wide["upper99_8cl"] - wide["lower99_8cl"] > plain["upper99_8cl"] - plain["lower99_8cl"]).all()
    assert (wide["significance"] != "Not significant").sum() < (plain["significance"] != "Not significant").sum()
    curve = st.funnel_limits(df, numerator="x", denominator="n", denominators=[100, 1000, 10000])
    assert len(curve) == 3 and (np.diff(curve["upper95_0cl"]) < 0).all()


def test_rate_funnel_uses_poisson_limits_around_the_pooled_rate() -> None:
    df = pd.DataFrame({"x": [100, 120, 300], "n": [100_000, 100_000, 100_000]})
    out = st.funnel_limits(df, numerator="x", denominator="n", kind="rate")
    assert out["comparator"].iloc[0] == pytest.approx(520 / 300_000 * 100_000)
    assert out["significance"].tolist() == ["Low (0.001)", "Low (0.001)", "High (0.001)"]


@pytest.fixture
def areas() -> pd.DataFrame:
    df = pd.DataFrame({"area": list("ABCDEFGHIJ"), "x": [300, 150, 210, 260, 240, 235, 228, 245, 275, 190],
                       "n": [1000] * 10})  # fmt: skip
    return st.proportion(df, numerator="x", denominator="n", multiplier=100, confidence=(0.95, 0.998))


def test_benchmark_better_similar_worse_follow_polarity(areas: pd.DataFrame) -> None:
    high = st.benchmark(areas, comparator=24.0, polarity="high is good")
    low = st.benchmark(areas, comparator=24.0, polarity="low is good")
    none = st.benchmark(areas, comparator=24.0, polarity="no polarity")
    a, b = 0, 1  # A: 30% (far above 24%), B: 15% (far below)
    assert (high.loc[a, "benchmark"], high.loc[b, "benchmark"]) == ("best", "worst")
    assert (low.loc[a, "benchmark"], low.loc[b, "benchmark"]) == ("worst", "best")
    assert (none.loc[a, "benchmark"], none.loc[b, "benchmark"]) == ("highest", "lowest")
    assert high.loc[a, "benchmark_95_0"] == "better" and low.loc[a, "benchmark_95_0"] == "worse"
    assert high.loc[4, "benchmark"] == "similar"  # E: 24%, the comparator itself


def test_benchmark_distinguishes_95_from_99_8(areas: pd.DataFrame) -> None:
    # C: 21.0% of 1000: 95% upper 23.6 < 24 but 99.8% upper 24.9 > 24 -> worse only at 95%.
    out = st.benchmark(areas, comparator=24.0, polarity="high is good")
    row = out.loc[out["area"] == "C"].iloc[0]
    assert (row["benchmark_95_0"], row["benchmark_99_8"], row["benchmark"]) == ("worse", "similar", "worse")


def test_benchmark_comparator_column_quintiles_and_missing(areas: pd.DataFrame) -> None:
    areas = areas.assign(england=24.0)
    areas.loc[9, ["value", "lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]] = np.nan
    out = st.benchmark(areas, comparator="england", polarity="no polarity")
    assert out.loc[9, "benchmark"] == "not compared"
    assert out.loc[0, "quintile_label"] == "highest" and out.loc[1, "quintile_label"] == "lowest"
    best = st.benchmark(areas, comparator="england", polarity="low is good")
    assert best.loc[1, "quintile_label"] == "best" and best.loc[0, "quintile_label"] == "worst"
    with pytest.raises(ValueError, match="polarity"):
        st.benchmark(areas, comparator=24.0, polarity="up")
    with pytest.raises(ValueError, match="no limit columns"):
        st.benchmark(areas, comparator=24.0, polarity="high is good", confidence=0.99)


def test_trend_proportion_is_the_cochran_armitage_test() -> None:
    df = pd.DataFrame(
        {"year": range(2016, 2023), "x": [5, 7, 60, 62, 70, 75, 81], "n": [400, 400, 410, 400, 405, 420, 400]}
    )
    out = st.trend(df, time="year", numerator="x", denominator="n", polarity="low is good")
    last = df.tail(5)
    t = np.arange(5.0)
    x, n = last["x"].to_numpy(), last["n"].to_numpy()
    big_n, p = n.sum(), x.sum() / n.sum()
    # Armitage's chi-square for trend, written out independently
    chi2 = (np.sum(x * t) - x.sum() * np.sum(n * t) / big_n) ** 2 / (
        p * (1 - p) * (np.sum(n * t**2) - np.sum(n * t) ** 2 / big_n)
    )
    assert out.loc[0, "p_value"] == pytest.approx(scipy_stats.chi2.sf(chi2, 1))
    assert out.loc[0, "points"] == 5
    assert out.loc[0, "trend"] == "increasing and getting worse"


def test_trend_rate_value_and_too_few_points() -> None:
    df = pd.DataFrame({"area": ["A"] * 5 + ["B"] * 3, "t": [1, 2, 3, 4, 5, 1, 2, 3],
                       "x": [500, 450, 400, 350, 300, 10, 11, 12], "n": [1e5] * 8})  # fmt: skip
    out = st.trend(df, time="t", kind="rate", numerator="x", denominator="n", group_by="area",
                   polarity="low is good")  # fmt: skip
    assert out.loc[0, "trend"] == "decreasing and getting better"
    assert out.loc[1, "trend"] == "could not be calculated"
    flat = pd.DataFrame({"t": range(5), "v": [80.0, 80.1, 79.9, 80.0, 80.05], "lo": [79.0] * 5, "hi": [81.0] * 5})
    result = st.trend(flat, time="t", kind="value", value="v", lower_cl="lo", upper_cl="hi")
    assert result.loc[0, "trend"] == "no significant change"


def test_suppress_primary_and_secondary_within_a_total() -> None:
    df = pd.DataFrame({"area": ["A"] * 4, "age": ["0-17", "18-64", "65-84", "85+"], "n": [120, 340, 5, 60],
                       "rate": [1.0, 2.0, 3.0, 4.0]})  # fmt: skip
    out = st.suppress(df, count_columns="n", group_by="area", linked_columns=["rate"])
    assert out["n_suppressed"].tolist() == [False, False, True, True]  # 5 primary, 60 (smallest other) secondary
    assert out["n"].isna().tolist() == [False, False, True, True]
    assert out["rate"].isna().tolist() == [False, False, True, True]
    assert out.loc[0, "n"] == 120


def test_suppress_zero_is_shown_threshold_is_configurable_and_two_hidden_need_nothing_more() -> None:
    df = pd.DataFrame({"n": [0, 3, 9, 40, 50]})
    default = st.suppress(df, count_columns="n")
    # the 3 (primary), then the smallest non-zero other cell, the 9 (secondary); the 0 stays shown
    assert default["n_suppressed"].tolist() == [False, True, True, False, False]
    assert default.loc[0, "n"] == 0
    strict = st.suppress(df, count_columns="n", threshold=10)  # 3 and 9 both primary: no secondary needed
    assert strict["n_suppressed"].tolist() == [False, True, True, False, False]
    lenient = st.suppress(df, count_columns="n", threshold=2)
    assert not lenient["n_suppressed"].any()
    assert st.SUPPRESSION_THRESHOLD == 7


def test_suppress_two_way_table_protects_row_and_column_totals() -> None:
    table = pd.DataFrame({"area": ["A", "A", "B", "B", "C", "C"], "sex": ["F", "M"] * 3,
                          "n": [4, 50, 30, 60, 70, 80]})  # fmt: skip
    out = st.suppress(table, count_columns="n", group_by=[["area"], ["sex"]])
    hidden = out.set_index(["area", "sex"])["n_suppressed"]
    # every area (row) and every sex (column) with a hidden cell has at least two hidden cells
    for level in ("area", "sex"):
        counts = hidden.groupby(level=level).sum()
        assert ((counts == 0) | (counts >= 2)).all()
    assert hidden[("A", "F")]


def test_suppress_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="negative"):
        st.suppress(pd.DataFrame({"n": [-1]}), count_columns="n")
    with pytest.raises(ValueError, match="missing column"):
        st.suppress(pd.DataFrame({"n": [1]}), count_columns="count")
    assert st.suppress(pd.DataFrame({"n": []}), count_columns="n").empty
