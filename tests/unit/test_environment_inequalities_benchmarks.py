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


def prevalence_rows(benchmarks: dict[str, str], **age: float) -> pd.DataFrame:
    """A place's modelled-prevalence rows (as the Benchmarks page has them), with its age shares if given."""
    rows = pd.DataFrame(
        {
            "indicator": list(benchmarks),
            "benchmark": list(benchmarks.values()),
            "source": "Modelled QOF prevalence 2019/20 (House of Commons Library)",
        }
    )
    return rows.assign(**age)


def test_crude_prevalence_higher_in_an_older_place_names_age() -> None:
    rows = prevalence_rows(
        {"Atrial fibrillation": "highest", "Dementia": "highest", "Asthma": "similar"},
        share_65_plus=0.334,
        england_share_65_plus=0.184,
    )
    text = " ".join(narrative.benchmark_narrative(rows, place="North Norfolk"))
    assert "Crude modelled prevalence in North Norfolk is significantly higher than England" in text
    assert "crude, not age-standardised, and an older population raises them" in text
    assert "North Norfolk is older than England (33% of residents aged 65+, against 18% in England)" in text
    assert "age is a likely cause of the higher figures" in text
    assert "Only age-standardised rates can separate age from other causes." in text


@pytest.mark.parametrize(
    ("benchmarks", "age", "expected"),
    [
        ({"Depression (18+)": "lowest"}, {"share_65_plus": 0.12, "england_share_65_plus": 0.184}, "Norwich is younger"),
        (
            {"Asthma": "highest", "Dementia": "lowest"},
            {"share_65_plus": 0.30, "england_share_65_plus": 0.184},
            "is older than England (30% of residents aged 65+, against 18% in England), so age is a likely cause of "
            "the higher figures",
        ),
        ({"Asthma": "highest"}, {"share_65_plus": 0.188, "england_share_65_plus": 0.184}, "as many older residents"),
        ({"Asthma": "highest"}, {}, "a different age structure from England's is a likely cause"),
        (
            {"Asthma": "highest"},
            {"share_65_plus": 0.15, "england_share_65_plus": 0.184},
            "Norwich is younger than England (15% of residents aged 65+, against 18% in England), which on its own "
            "would make them lower",
        ),
    ],
)
def test_every_significant_prevalence_difference_is_read_against_age(benchmarks, age, expected) -> None:
    text = " ".join(narrative.benchmark_narrative(prevalence_rows(benchmarks, **age), place="Norwich"))
    assert "not age-standardised" in text
    assert expected in text


def test_no_age_sentence_without_a_significant_prevalence_difference() -> None:
    rows = prevalence_rows({"Asthma": "similar", "COPD": "higher"}, share_65_plus=0.3, england_share_65_plus=0.184)
    text = " ".join(narrative.benchmark_narrative(rows, place="Norwich"))
    assert "age" not in text and "Nothing in Norwich differs significantly" in text


def test_share_aged_65_plus_of_places_and_england(lsoa: pd.DataFrame) -> None:
    shares = benchmarking.share_aged_65_plus(lsoa, places=["E07000146", "E07000148"]).set_index("ltla24_code")
    england = lsoa["pop_65_plus"].sum() / lsoa["pop_total"].sum()
    assert shares["england_share_65_plus"].tolist() == pytest.approx([england] * 2)
    assert 0.15 < england < 0.22
    # King's Lynn and West Norfolk is older than England, Norwich younger (Census 2021).
    assert shares.loc["E07000146", "share_65_plus"] > england + 0.03
    assert shares.loc["E07000148", "share_65_plus"] < england


def _hue_saturation(colour: str) -> tuple[float, float]:
    import colorsys

    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    hue, _, saturation = colorsys.rgb_to_hls(red, green, blue)
    return hue * 360, saturation


@pytest.mark.parametrize("benchmark", ["highest", "higher", "lower", "lowest"])
def test_colours_of_indicators_without_a_polarity_are_neutral(benchmark: str) -> None:
    """Higher or lower prevalence is neither good nor bad: no green, no red, no colour of better or worse."""
    colour = benchmarking.BENCHMARK_COLOURS[benchmark]
    hue, saturation = _hue_saturation(colour)
    assert not 70 <= hue <= 170, f"{benchmark} is green ({colour})"
    assert not (saturation > 0.25 and (hue < 40 or hue > 335)), f"{benchmark} is red or orange ({colour})"
    judged = ("best", "better", "worse", "worst", "best fifth", "2nd best fifth", "2nd worst fifth", "worst fifth")
    assert colour not in {benchmarking.BENCHMARK_COLOURS[k] for k in judged}


def test_ranked_indicators_always_say_what_their_trend_is(lsoa: pd.DataFrame, lad_lookup: pd.DataFrame) -> None:
    places = benchmarking.health_index_by_place(loaders.load_health_index(), lad_lookup)
    ranked = benchmarking.ranked_indicators(lsoa, places, places=["E07000146", "E07000148", "E06000999"])
    assert ranked["trend"].notna().all()
    imd = ranked.loc[ranked["indicator"].str.startswith("IMD")]
    assert set(imd["trend"]) == {benchmarking.SINGLE_RELEASE}
    health_index = ranked.loc[ranked["indicator"].str.endswith("(Health Index)")]
    assert set(health_index["trend"]) <= {
        "increasing and getting better",
        "increasing and getting worse",
        "decreasing and getting better",
        "decreasing and getting worse",
        "no significant change",
        "could not be calculated",
    }
    unknown = ranked.loc[ranked["ltla24_code"] == "E06000999", "trend"]  # a code with no Health Index series
    assert "could not be calculated" in set(unknown)
