"""Deprivation x air quality, the life-expectancy gap and the benchmarks, on the real shipped data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from phm_core import benchmarking, environment, geography, inequalities, loaders, narrative
from phm_core.settings import DEFAULT_ICB, GEODATA_DIR

pytestmark = pytest.mark.unit

# NHS Suffolk and North East Essex, on the April 2024 geography (it was abolished on 1 April 2026).
SNEE = geography.Footprint("E54000023", geography="2024-04")


@pytest.fixture(scope="module")
def lad_lookup() -> pd.DataFrame:
    return pd.read_parquet(GEODATA_DIR / "lad21_to_lad24.parquet")


def test_national_thirds_split_england_into_thirds(lsoa: pd.DataFrame) -> None:
    banded = environment.assign_bands(lsoa, environment.national_thirds(lsoa))
    shares = banded["deprivation_band"].value_counts(normalize=True)
    assert shares.to_numpy() == pytest.approx([1 / 3] * 3, abs=0.001)
    table = environment.bivariate_table(banded)
    assert table.shape == (3, 3)
    assert int(table.to_numpy().sum()) == int(lsoa["pop_total"].sum())


def test_worst_of_both_is_in_the_top_third_of_each(lsoa_2024: pd.DataFrame) -> None:
    cuts = environment.national_thirds(lsoa_2024)
    snee = environment.assign_bands(geography.lsoas_in(lsoa_2024, SNEE), cuts)
    worst = environment.worst_of_both(snee)
    assert len(worst) > 0
    assert (worst["aq_indicator"] > cuts["aq_indicator"][1]).all()
    assert worst["imd_rank"].is_monotonic_increasing
    table = environment.bivariate_table(snee)
    assert int(table.iloc[2, 2]) == int(worst["pop_total"].sum())
    text = " ".join(narrative.air_quality_narrative(table, worst, name="SNEE"))
    assert f"{int(worst['pop_0_15'].sum()):,} children" in text


def test_place_life_expectancy_merges_2023_districts(lad_lookup: pd.DataFrame) -> None:
    series = inequalities.place_life_expectancy(loaders.load_health_index(), lad_lookup)
    cumberland = series.loc[(series["ltla24_code"] == "E06000063") & (series["year"] == 2019), "value"].item()
    hi = loaders.load_health_index()
    parts = hi.loc[(hi["indicator"] == "Life expectancy") & (hi["year"] == 2019)].merge(
        lad_lookup.loc[lad_lookup["lad24_code"] == "E06000063"], left_on="ltla21_code", right_on="lad21_code"
    )
    expected = (parts["value"] * parts["lad21_population"]).sum() / parts["lad21_population"].sum()
    assert cumberland == pytest.approx(expected)
    assert series["england"].between(80, 83).all()


def test_practice_gap_is_significant_and_reproducible(practices_2024: pd.DataFrame) -> None:
    le = loaders.load_practice_life_expectancy()
    snee = practices_2024.loc[practices_2024["icb_code"] == SNEE.icb_code]
    fifths = inequalities.practice_deprivation_fifths(snee, le, sex="Male")
    assert list(fifths["fifth"]) == [1, 2, 3, 4, 5]
    assert fifths["life_expectancy"].iloc[0] < fifths["life_expectancy"].iloc[-1]
    first = inequalities.life_expectancy_gap(fifths, rng=np.random.default_rng(1))
    again = inequalities.life_expectancy_gap(fifths, rng=np.random.default_rng(1))
    assert first == again
    assert 2 < first["sii"] < 8 and first["lower"] < first["sii"] < first["upper"]
    assert first["significant"]
    sentence = inequalities.gap_sentence(first, sex="Male", where="SNEE")
    assert f"{first['sii']:.1f} years longer" in sentence and "least deprived" in sentence


def test_a_non_significant_gap_is_never_stated_as_real() -> None:
    gap = {"sii": 0.4, "lower": -0.5, "upper": 1.3, "significant": False, "note": ""}
    sentence = inequalities.gap_sentence(gap, sex="Female", where="X")
    assert "not statistically significant" in sentence and "longer" not in sentence
    too_few = inequalities.practice_deprivation_fifths(
        pd.DataFrame(columns=["practice_code", "list_size", "practice_imd2019_score"]),
        pd.DataFrame(columns=["practice_code", "sex", "year", "life_expectancy"]),
        sex="Male",
    )
    assert too_few.empty
    assert np.isnan(inequalities.life_expectancy_gap(too_few)["sii"])


def test_qof_benchmarks_use_wilson_limits_and_england(lsoa: pd.DataFrame) -> None:
    qof = pd.read_parquet(GEODATA_DIR / "qof_prevalence_lad24.parquet")
    result = benchmarking.qof_prevalence_benchmarks(qof, places=["E07000076"])
    assert len(result) == qof["register_code"].nunique()
    row = result.loc[result["register_code"] == "COPD"].iloc[0]
    assert row["lower95_0cl"] < row["value"] < row["upper95_0cl"]
    assert row["lower99_8cl"] < row["lower95_0cl"]
    england = qof.loc[qof["register_code"] == "COPD"]
    assert row["england"] == pytest.approx(england["register_count"].round().sum() / england["list"].round().sum())
    if row["lower99_8cl"] > row["england"]:
        assert row["benchmark"] == "highest"
    assert set(result["benchmark"]) <= {"highest", "higher", "similar", "lower", "lowest", "not compared"}


def test_ranked_indicators_have_no_significance_claims(lsoa: pd.DataFrame, lad_lookup: pd.DataFrame) -> None:
    places = benchmarking.health_index_by_place(loaders.load_health_index(), lad_lookup)
    ranked = benchmarking.ranked_indicators(lsoa, places, places=["E07000076", "E07000203"])
    assert set(ranked["benchmark"]) <= {
        "best fifth",
        "2nd best fifth",
        "middle fifth",
        "2nd worst fifth",
        "worst fifth",
    }
    tendring = ranked.set_index(["ltla24_code", "indicator"]).loc[("E07000076", "IMD 2025 score")]
    assert tendring["benchmark"] == "worst fifth"
    assert tendring["england_min"] <= tendring["value"] <= tendring["england_max"]


def test_peers_are_the_nearest_icbs_and_exclude_itself(lsoa: pd.DataFrame, lsoa_2024: pd.DataFrame) -> None:
    features = benchmarking.icb_features(lsoa_2024)
    assert len(features) == 42
    peers = benchmarking.peer_icbs(features, icb_code="E54000023")
    assert len(peers) == 5 and "E54000023" not in set(peers["code"])
    assert peers["distance"].is_monotonic_increasing
    assert 1 <= benchmarking.rank_among(features, icb_code="E54000023", column="imd_score") <= 42
    with pytest.raises(ValueError, match="unknown ICB"):
        benchmarking.peer_icbs(features, icb_code="E54999999")
    # On April 2026's 36 ICBs the peers are the default ICB's; abolished SNEE is no longer one of them.
    features = benchmarking.icb_features(lsoa)
    assert len(features) == 36 and "E54000023" not in set(features["code"])
    peers = benchmarking.peer_icbs(features, icb_code=DEFAULT_ICB)
    assert len(peers) == 5 and DEFAULT_ICB not in set(peers["code"])
    assert 1 <= benchmarking.rank_among(features, icb_code=DEFAULT_ICB, column="imd_score") <= 36


@pytest.mark.parametrize(
    ("values", "polarity", "expected"),
    [
        ([1, 2, 3, 4, 5], "high is good", "increasing and getting better"),
        ([5, 4, 3, 2, 1], "high is good", "decreasing and getting worse"),
        ([1, 3, 1, 3, 1], "high is good", "no significant change"),
        ([1, 2, 3, 4, 5], "no polarity", "increasing"),
        ([1, 2], "high is good", "could not be calculated"),
    ],
)
def test_series_trend(values: list[float], polarity: str, expected: str) -> None:
    series = pd.DataFrame(
        {"year": range(2017, 2017 + len(values)), "value": np.array(values) + [0.01 * i for i in range(len(values))]}
    )
    assert benchmarking.series_trend(series, polarity=polarity) == expected


def test_benchmark_narrative_separates_tested_from_ranked() -> None:
    rows = pd.DataFrame(
        {
            "indicator": ["COPD", "Asthma", "IMD 2025 score", "Smoking (Health Index)"],
            "benchmark": ["highest", "similar", "worst fifth", "middle fifth"],
            "source": ["Modelled QOF prevalence 2019/20", "Modelled QOF prevalence 2019/20", "IMD", "ONS"],
        }
    )
    text = " ".join(narrative.benchmark_narrative(rows, place="Tendring"))
    assert "significantly higher than England (99.8% confidence) for COPD" in text
    assert "Asthma" not in text
    assert "worst fifth of England's local authorities on 1 of 2 ranked indicators" in text
