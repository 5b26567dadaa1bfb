"""Property tests: limits contain the estimate, 99.8% limits are wider than 95%, limits move with the counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import phm_core.stats as st

pytestmark = pytest.mark.unit

SETTINGS = settings(max_examples=40, deadline=None)
LEVELS = (0.95, 0.998)


@hs.composite
def numerator_denominator(draw: hs.DrawFn) -> tuple[int, int]:
    denominator = draw(hs.integers(min_value=1, max_value=1_000_000))
    numerator = draw(hs.integers(min_value=0, max_value=denominator))
    return numerator, denominator


def check_nested(out: pd.DataFrame) -> None:
    """Each interval contains the value, and the 99.8% interval contains the 95% one."""
    assert (out["lower99_8cl"] <= out["lower95_0cl"] + 1e-12).all()
    assert (out["lower95_0cl"] <= out["value"] + 1e-9 * out["value"].abs()).all()
    assert (out["value"] <= out["upper95_0cl"] * (1 + 1e-12)).all()
    assert (out["upper95_0cl"] <= out["upper99_8cl"] + 1e-12).all()


@SETTINGS
@given(hs.lists(numerator_denominator(), min_size=1, max_size=20))
def test_proportion_limits_contain_value_and_nest(pairs: list[tuple[int, int]]) -> None:
    df = pd.DataFrame(pairs, columns=["x", "n"])
    out = st.proportion(df, numerator="x", denominator="n", confidence=LEVELS)
    check_nested(out)
    assert ((out["lower99_8cl"] >= 0) & (out["upper99_8cl"] <= 1)).all()


@SETTINGS
@given(hs.lists(numerator_denominator(), min_size=1, max_size=20))
def test_rate_limits_contain_value_and_nest(pairs: list[tuple[int, int]]) -> None:
    df = pd.DataFrame(pairs, columns=["x", "n"])
    out = st.rate(df, count="x", population="n", confidence=LEVELS)
    check_nested(out)
    assert (out["lower99_8cl"] >= 0).all()


@SETTINGS
@given(hs.integers(min_value=0, max_value=200_000), hs.integers(min_value=1, max_value=10_000_000))
def test_rate_limits_rise_with_the_count(count: int, population: int) -> None:
    df = pd.DataFrame({"x": [count, count + 1], "n": [population, population]})
    out = st.rate(df, count="x", population="n")
    assert out.loc[1, "lowercl"] > out.loc[0, "lowercl"] or count == 0
    assert out.loc[1, "uppercl"] > out.loc[0, "uppercl"]


@SETTINGS
@given(hs.integers(min_value=1, max_value=10_000), hs.integers(min_value=2, max_value=10_000))
def test_wilson_limits_rise_with_the_numerator(numerator: int, denominator: int) -> None:
    numerator = min(numerator, denominator - 1)
    df = pd.DataFrame({"x": [numerator, numerator + 1], "n": [denominator, denominator]})
    out = st.proportion(df, numerator="x", denominator="n")
    assert out.loc[1, "lowercl"] > out.loc[0, "lowercl"]
    assert out.loc[1, "uppercl"] > out.loc[0, "uppercl"]


@SETTINGS
@given(hs.lists(hs.integers(min_value=0, max_value=500), min_size=19, max_size=19).filter(lambda c: sum(c) >= 10),
       hs.lists(hs.integers(min_value=1_000, max_value=100_000), min_size=19, max_size=19))  # fmt: skip
def test_dsr_limits_contain_value_and_nest(counts: list[int], populations: list[int]) -> None:
    df = pd.DataFrame({"x": counts, "n": populations})
    out = st.dsr(df, count="x", population="n", confidence=LEVELS)
    check_nested(out)


@SETTINGS
@given(hs.lists(hs.floats(min_value=0.0005, max_value=0.05), min_size=20, max_size=20),
       hs.integers(min_value=2_000, max_value=60_000))  # fmt: skip
def test_life_expectancy_limits_contain_value_and_nest(rates: list[float], band_population: int) -> None:
    rates = sorted(rates)  # mortality rising with age, as in real life tables
    population = np.full(20, band_population)
    deaths = np.maximum(np.round(np.array(rates) * population), 1)
    df = pd.DataFrame({"age": [0, 1, *range(5, 95, 5)], "p": population, "d": deaths})
    out = st.life_expectancy(df, deaths="d", population="p", age="age", confidence=LEVELS, at_age=None)
    present = out["value"].notna()
    check_nested(out[present])
    assert (out.loc[present, "value"] > 0).all()


@SETTINGS
@given(hs.integers(min_value=1, max_value=5_000), hs.floats(min_value=0.5, max_value=5_000))
def test_isr_limits_contain_value(observed: int, population: float) -> None:
    df = pd.DataFrame({"x": [observed], "n": [population]})
    out = st.isr(df, count="x", population="n", reference_count=[1.0], reference_population=[1.0],
                 confidence=LEVELS)  # fmt: skip
    check_nested(out)
