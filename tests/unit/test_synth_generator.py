"""The synthetic population: Census counts exactly, calibration within tolerance, realistic structure, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from phm_core.synth import UnknownICBError, calibration, generate_population, load_inputs, schema
from phm_core.synth.inputs import CENSUS_BANDS

pytestmark = pytest.mark.unit

SMALL_ICB = "E54000011"  # NHS Shropshire, Telford and Wrekin: the smallest ICB (509,145 residents)


@pytest.fixture(scope="module")
def inputs(lsoa, practices):
    return load_inputs(SMALL_ICB, lsoa=lsoa, practices=practices)


@pytest.fixture(scope="module")
def population(inputs):
    """The whole ICB, one row per Census 2021 resident."""
    return generate_population(inputs, rng=np.random.default_rng(1))


@pytest.fixture(scope="module")
def people(population) -> pd.DataFrame:
    return population.people


def test_counts_match_census_2021_exactly_in_every_lsoa_and_age_band(inputs, people) -> None:
    starts = [first for first, _ in CENSUS_BANDS.values()]
    band = np.searchsorted(starts, np.minimum(people["age"].to_numpy(), 90), side="right") - 1
    counts = pd.crosstab(people["lsoa21_code"].astype("string").to_numpy(), band)
    census = inputs.lsoa.set_index("lsoa21_code")[list(CENSUS_BANDS)]
    assert len(people) == inputs.population == 509_145
    np.testing.assert_array_equal(counts.loc[census.index].to_numpy(), census.to_numpy())


def test_single_years_follow_the_mid_2020_shares(inputs, people) -> None:
    # Within the 0-15 band, the share aged 0-4 is close to the ICB's mid-2020 profile share.
    profile = inputs.single_year_ages.sum(axis=0)
    expected = profile[0:5].sum() / profile[0:16].sum()
    children = people.loc[people["age"] <= 15, "age"]
    assert abs((children <= 4).mean() - expected) < 0.01
    assert people["age"].max() > 90  # 90+ is spread over single years


def test_place_prevalence_matches_the_modelled_qof_prevalence(inputs, people) -> None:
    report = calibration.prevalence_report(people, inputs.prevalence)
    assert set(report["register_code"]) >= {"HYP", "DM", "AST", "COPD", "CHD", "HF", "AF", "STIA", "CKD", "DEP"}
    assert set(report["register_code"]) >= {"DEM", "CAN", "MH", "PC"}
    assert len(report) == 2 * 20  # two places x 19 registers and palliative care
    assert report["error_points"].abs().max() <= calibration.PREVALENCE_TOLERANCE_POINTS
    assert report["target"].notna().all()


def test_registers_follow_their_age_rules(people) -> None:
    for condition in schema.CONDITIONS:
        assert not people.loc[people["age"] < condition.minimum_age, condition.name].any(), condition.name
    assert people.loc[people["age"] < 65, "frailty"].isna().all()
    assert people.loc[people["age"] >= 65, "frailty"].notna().all()


def test_prevalence_rises_with_age_and_deprivation_where_published(people) -> None:
    older = people["age"] >= 65
    assert people.loc[older, "chd"].mean() > 5 * people.loc[~older & (people["age"] >= 18), "chd"].mean()
    by_quintile = people.groupby("imd_quintile")["copd"].mean()
    assert by_quintile.loc[1] > 1.3 * by_quintile.loc[5]


def test_life_expectancy_by_deprivation_shows_a_realistic_gradient(people) -> None:
    by_decile = calibration.life_expectancy_by_decile(people)
    gaps = calibration.life_expectancy_gap(by_decile)
    for sex, (low, high) in calibration.LIFE_EXPECTANCY_GAP_RANGE.items():
        assert low <= gaps[sex] <= high, (sex, gaps[sex])
    women, men = (by_decile.loc[by_decile["sex"] == s, "value"].mean() for s in ("F", "M"))
    assert 2.5 < women - men < 6.5
    assert 76 < men < 82 and 80 < women < 86


def test_about_five_percent_opt_out(people) -> None:
    assert 0.04 < people["opted_out"].mean() < 0.06


def test_frailty_distribution_is_near_the_published_one(people) -> None:
    shares = people.loc[people["age"] >= 65, "frailty"].value_counts(normalize=True)
    assert 0.42 < shares["fit"] < 0.60
    assert 0.28 < shares["mild"] < 0.42
    assert 0.07 < shares["moderate"] < 0.17
    assert 0.015 < shares["severe"] < 0.06


def test_childhood_asthma_is_raised_by_a_smoker_at_home_and_by_air_pollution(people) -> None:
    children = people.loc[people["age"].between(2, 15)]
    with_smoker = children.loc[children["smoker_in_household"], "asthma"].mean()
    without = children.loc[~children["smoker_in_household"], "asthma"].mean()
    assert with_smoker > 1.2 * without
    air = pd.qcut(children["aq_indicator"], 4, labels=False, duplicates="drop")
    by_air = children.groupby(air)["asthma"].mean()
    assert by_air.iloc[-1] > by_air.iloc[0]


def test_last_years_activity_predicts_next_years_admissions(people) -> None:
    alive = people.loc[people["death_date"].isna() | (people["death_date"] >= pd.Timestamp(schema.INDEX_DATE))]
    admitted_before = alive["emergency_admissions_y1"] > 0
    admitted_after = alive["emergency_admissions_y2"] > 0
    assert admitted_after[admitted_before].mean() > 2 * admitted_after[~admitted_before].mean()
    frail = alive["frailty"].isin(["moderate", "severe"])
    assert admitted_after[frail].mean() > 3 * admitted_after[alive["age"] < 65].mean()
    per_head = people["emergency_admissions_y1"].sum() / len(people)
    assert 0.08 < per_head < 0.2  # England: about 0.11 a head a year


def test_events_add_up_to_the_person_totals_and_stop_at_death(population) -> None:
    people, events = population.people, population.events
    index_date = pd.Timestamp(schema.INDEX_DATE)
    year = np.where(events["event_date"] < index_date, "y1", "y2")
    counted = events.groupby([events["person_id"], events["event_type"].astype("string"), year]).size()
    totals = people.set_index("person_id")
    for event_type, column in (
        ("emergency_admission", "emergency_admissions"),
        ("ae_attendance", "ae_attendances"),
        ("ambulance_conveyance", "ambulance_conveyances"),
    ):
        for y in schema.YEARS:
            rows = counted.xs((event_type, y), level=(1, 2))
            expected = totals[schema.activity_column(column, y)]
            assert int(rows.sum()) == int(expected.sum())
            np.testing.assert_array_equal(rows.to_numpy(), expected.loc[rows.index].to_numpy())
    merged = events.merge(people[["person_id", "death_date"]], on="person_id")
    assert not (merged["event_date"] > merged["death_date"]).any()
    assert (
        people["death_date"].dropna().between(pd.Timestamp(schema.YEAR_1_START), pd.Timestamp(schema.YEAR_2_END)).all()
    )


def test_the_simulated_intervention_reaches_frail_older_people_in_year_2(people) -> None:
    treated = people.loc[people["intervention"].notna()]
    assert len(treated) > 100
    assert treated["frailty"].isin(["moderate", "severe"]).all() and (treated["age"] >= 65).all()
    dates = treated["intervention_date"]
    assert dates.min() >= pd.Timestamp(schema.INDEX_DATE)
    assert dates.max() < pd.Timestamp(schema.INDEX_DATE) + pd.Timedelta(days=183)
    assert people.loc[people["intervention"].isna(), "intervention_date"].isna().all()


def test_every_person_is_registered_with_a_practice_of_the_icb(inputs, people) -> None:
    assert set(people["practice_code"].astype("string")) <= set(inputs.practices["practice_code"])
    assert people["person_id"].is_unique
    assert people["person_id"].str.fullmatch(r"[0-9a-f]{16}").all()
    registered = people["practice_code"].astype("string").value_counts()
    lists = inputs.practices.set_index("practice_code")["list_size"].astype("float64")
    # Registrations follow list sizes (a gravity model balanced to them).
    assert np.corrcoef(registered.reindex(lists.index, fill_value=0), lists.fillna(lists.median()))[0, 1] > 0.8


def test_the_same_seed_gives_the_same_people_and_another_seed_does_not(inputs) -> None:
    first = generate_population(inputs, rng=np.random.default_rng(5), fraction=0.02)
    again = generate_population(inputs, rng=np.random.default_rng(5), fraction=0.02)
    other = generate_population(inputs, rng=np.random.default_rng(6), fraction=0.02)
    pd.testing.assert_frame_equal(first.people, again.people)
    pd.testing.assert_frame_equal(first.events, again.events)
    assert not first.people["person_id"].equals(other.people["person_id"])


def test_a_fraction_gives_a_proportional_sample(inputs) -> None:
    sample = generate_population(inputs, rng=np.random.default_rng(1), fraction=0.1).people
    assert len(sample) == round(inputs.population * 0.1)
    per_lsoa = sample["lsoa21_code"].astype("string").value_counts()
    expected = inputs.lsoa.set_index("lsoa21_code")["pop_total"] * 0.1
    assert (per_lsoa.reindex(expected.index, fill_value=0) - expected).abs().max() < 6  # 6 bands, each within 1


def test_bad_arguments_are_refused(inputs, lsoa) -> None:
    with pytest.raises(UnknownICBError, match="not an ICB code"):
        load_inputs("E54999999", lsoa=lsoa)
    with pytest.raises(TypeError, match="Generator"):
        generate_population(inputs, rng=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fraction"):
        generate_population(inputs, rng=np.random.default_rng(1), fraction=0)
