"""Risk stratification: no leakage across the temporal split, calibration within tolerance, the model beats the
baseline, the metrics on hand-made numbers, suppression, and the stored model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cohort_fixtures import fitted_models, scored_people, small_population
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from phm_core import risk

pytestmark = pytest.mark.unit

#: Calibration tolerance of the chosen model on held-out people of the 5% sample (about 14,000 people):
#: mean absolute error over tenths of risk at most 1.5 percentage points, in the large within 1 point.
CALIBRATION_TOLERANCE = 0.015
IN_THE_LARGE_TOLERANCE = 0.01


def _later_columns(people: pd.DataFrame) -> list[str]:
    return [c for c in people.columns if c.endswith("_y2") or c in ("death_date", "intervention", "intervention_date")]


# --- no leakage ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", risk.MODEL_KINDS)
def test_features_do_not_change_when_everything_after_the_index_date_is_noise(kind: str) -> None:
    people = small_population().people
    noisy = people.copy()
    rng = np.random.default_rng(7)
    later = _later_columns(people)
    assert len(later) >= 12  # activity, costs, deaths and the intervention of year 2
    for column in later:
        if pd.api.types.is_numeric_dtype(noisy[column]):
            noisy[column] = rng.permutation(noisy[column].to_numpy())
        else:
            noisy[column] = noisy[column].sample(frac=1, random_state=1).to_numpy()
    pd.testing.assert_frame_equal(risk.risk_features(people, kind=kind), risk.risk_features(noisy, kind=kind))


def test_a_feature_from_the_outcome_year_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(risk, "FEATURE_SOURCES", (*risk.FEATURE_SOURCES, "emergency_admissions_y2"))
    with pytest.raises(ValueError, match="emergency_admissions_y2"):
        risk.risk_features(small_population().people)


def test_the_outcome_is_year_two_and_only_people_alive_without_an_opt_out_are_modelled() -> None:
    people = small_population().people
    modelled = risk.modelling_population(people)
    died_in_year_one = people["death_date"] < pd.Timestamp("2024-04-01")
    assert died_in_year_one.sum() > 100
    assert not modelled.index.isin(people.index[died_in_year_one]).any()
    assert not modelled["opted_out"].any()
    outcome = risk.admission_outcome(modelled)
    assert np.array_equal(outcome, modelled["emergency_admissions_y2"].to_numpy() > 0)
    assert 0.06 < outcome.mean() < 0.12


def test_training_and_held_out_people_never_overlap() -> None:
    cohort = risk.modelling_population(small_population().people)
    train, test = risk.split_people(cohort, test_share=0.3, random_state=0)
    assert set(train["person_id"]).isdisjoint(set(test["person_id"]))
    assert len(train) + len(test) == len(cohort)
    assert abs(risk.admission_outcome(train).mean() - risk.admission_outcome(test).mean()) < 0.002  # stratified
    capped, _ = risk.split_people(cohort, test_share=0.3, random_state=0, max_training_people=5_000)
    assert len(capped) == 5_000 and set(capped["person_id"]) <= set(train["person_id"])


# --- performance on held-out people ---------------------------------------------------------------------------------


def test_the_models_beat_the_baseline_on_held_out_people() -> None:
    models = fitted_models()
    scores = models.card["discrimination"].set_index("model")
    for kind in ("logistic", "gradient_boosting"):
        assert scores.loc[kind, "auroc"] > scores.loc["baseline", "auroc"] + 0.05
        assert scores.loc[kind, "average_precision"] > scores.loc["baseline", "average_precision"] + 0.05
        assert scores.loc[kind, "auroc_low"] > scores.loc["baseline", "auroc_high"]
    assert models.chosen in ("logistic", "gradient_boosting")
    # Similar to published admission-risk models, and not implausibly good (which would suggest leakage).
    assert 0.72 < scores.loc[models.chosen, "auroc"] < 0.88


def test_the_chosen_model_is_calibrated_within_tolerance() -> None:
    models = fitted_models()
    summary = models.card["calibration_summary"][models.chosen]
    assert summary["mean_absolute_error"] <= CALIBRATION_TOLERANCE
    assert abs(summary["in_the_large"]) <= IN_THE_LARGE_TOLERANCE
    assert 0.8 < summary["slope"] < 1.2
    table = models.card["calibration"][models.chosen]
    assert table["observed"].astype(float).is_monotonic_increasing or table["observed"].astype(float).iloc[-1] > 0.25


def test_top_shares_flag_the_right_number_and_ppv_falls_as_more_are_flagged() -> None:
    models = fitted_models()
    table = models.card["top_shares"][models.chosen]
    held_out = models.people["held_out"]
    assert table["flagged"].tolist() == [round(held_out * s) for s in risk.TOP_SHARES]
    ppv, sensitivity = table["ppv"].astype(float), table["sensitivity"].astype(float)
    assert ppv.is_monotonic_decreasing and sensitivity.is_monotonic_increasing
    baseline = models.card["top_shares"]["baseline"]
    assert float(table.loc[1, "ppv"]) > float(baseline.loc[1, "ppv"])


def test_equity_tables_cover_each_group_and_flag_more_of_the_most_deprived() -> None:
    equity = fitted_models().card["equity"]
    deprivation = equity["imd_quintile"]["0.05"].set_index("group")
    assert list(deprivation.index) == ["1", "2", "3", "4", "5"]
    assert deprivation.loc["1", "share_flagged"] > deprivation.loc["5", "share_flagged"]
    assert set(equity["sex"]["0.05"]["group"]) == {"Female", "Male"}
    ages = equity["age_band"]["0.005"]
    assert ages["flagged"].isna().any()  # few young people in the top 0.5%: suppressed, not shown


# --- metrics on hand-made numbers -----------------------------------------------------------------------------------


def test_sensitivity_and_ppv_at_a_top_share_on_hand_made_people() -> None:
    # 100 people with risks 100/100 down to 1/100; the admitted are the 10 highest and the 31st to 50th.
    p = np.arange(100, 0, -1) / 100
    y = np.zeros(100, dtype=bool)
    y[:10] = True
    y[30:50] = True
    table = risk.top_share_table(y, p, shares=(0.05, 0.2, 0.5)).set_index("share")
    assert table.loc[0.2, "flagged"] == 20 and table.loc[0.2, "true_positives"] == 10
    assert table.loc[0.2, "sensitivity"] == pytest.approx(10 / 30) and table.loc[0.2, "ppv"] == pytest.approx(0.5)
    assert table.loc[0.5, "sensitivity"] == pytest.approx(1.0) and table.loc[0.5, "ppv"] == pytest.approx(0.6)
    assert table.loc[0.2, "threshold"] == pytest.approx(0.81)
    # Five flagged, five admitted: small numbers, hidden with the rates made from them; other rows unaffected.
    assert pd.isna(table.loc[0.05, "flagged"]) and pd.isna(table.loc[0.05, "ppv"])


def test_calibration_table_compares_mean_predicted_with_observed_by_tenths() -> None:
    rng = np.random.default_rng(3)
    p = rng.uniform(0, 0.5, size=20_000)
    y = rng.random(20_000) < p  # perfectly calibrated by construction
    table = risk.calibration_table(y, p)
    assert table["people"].tolist() == [2_000] * 10
    assert np.allclose(table["mean_predicted"].astype(float), table["observed"].astype(float), atol=0.035)
    summary = risk.calibration_summary(y, p)
    assert summary["mean_absolute_error"] < 0.01 and 0.9 < summary["slope"] < 1.1
    halved = risk.calibration_summary(y, p / 2)  # predictions too low by half
    assert halved["in_the_large"] == pytest.approx(-p.mean() / 2, abs=0.01)


def test_auroc_interval_follows_hanley_and_mcneil() -> None:
    # Positives 0.9, 0.8, 0.7, 0.6, 0.3 against negatives 0.65, 0.5, 0.4, 0.2, 0.1: 21 of 25 pairs ordered.
    y = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0], dtype=bool)
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.3, 0.65, 0.5, 0.4, 0.2, 0.1])
    auc, low, high = risk.auroc_interval(y, p)
    assert auc == pytest.approx(0.84)
    q1, q2 = 0.84 / 1.16, 2 * 0.84**2 / 1.84
    se = np.sqrt((0.84 * 0.16 + 4 * (q1 - 0.84**2) + 4 * (q2 - 0.84**2)) / 25)
    assert high == pytest.approx(min(1.0, 0.84 + 1.959964 * se), abs=1e-6)
    assert low == pytest.approx(0.84 - 1.959964 * se, abs=1e-6)


def test_equity_table_suppresses_small_groups() -> None:
    rng = np.random.default_rng(5)
    groups = np.array(["big"] * 2_000 + ["small"] * 6)
    p = rng.random(2_006)
    y = rng.random(2_006) < p
    table = risk.equity_table(y, p, groups, share=0.05).set_index("group")
    assert pd.isna(table.loc["small", "people"]) and pd.isna(table.loc["small", "auroc"])
    assert pd.isna(table.loc["big", "people"])  # secondary: the total would reveal the small group
    assert table.loc["big", "flagged"] > 50


# --- the estimator and the stored models ----------------------------------------------------------------------------


def test_the_estimator_follows_scikit_learn_conventions() -> None:
    model = risk.AdmissionRiskModel("logistic", regularisation=0.5)
    assert model.get_params()["regularisation"] == 0.5
    assert clone(model).get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        model.predict_proba(small_population().people.head())
    with pytest.raises(ValueError, match="calibration_share"):
        risk.AdmissionRiskModel(calibration_share=1.5).fit(small_population().people.head(50), np.ones(50))
    fitted = fitted_models().models["baseline"]
    assert fitted.feature_names_ == ["age", "ltc_count"] and fitted.n_fitted_ > fitted.n_calibrated_
    probabilities = fitted.predict_proba(small_population().people.head(100))
    assert probabilities.shape == (100, 2) and np.allclose(probabilities.sum(axis=1), 1)


def test_scored_people_fall_into_tiers_of_5_and_15_percent() -> None:
    people = scored_people()
    shares = people["risk_tier"].value_counts(normalize=True)
    assert shares["high"] == pytest.approx(0.05, abs=0.001) and shares["rising"] == pytest.approx(0.15, abs=0.001)
    high = people.loc[people["risk_tier"] == "high", "risk_probability"].min()
    assert high >= people.loc[people["risk_tier"] == "rising", "risk_probability"].max()
    assert "interim_risk_tier" in people.columns
    admitted = people.groupby("risk_tier", observed=True)["emergency_admissions_y2"].mean()
    assert admitted["high"] > 3 * admitted["rising"] > 3 * admitted["low"]


def test_models_are_stored_and_reused_and_retrained_for_another_version(tmp_path, monkeypatch) -> None:
    path = risk.model_path(tmp_path, "E54000023_seed1_sample0.05")
    models = fitted_models()
    risk.save_risk_models(models, path)
    again, new = risk.load_or_train(small_population().people, path)
    assert not new and again.chosen == models.chosen
    assert again.card["discrimination"].equals(models.card["discrimination"])
    monkeypatch.setattr(risk, "RISK_MODEL_VERSION", "another")
    assert risk.load_risk_models(path) is None
    path.write_bytes(b"not a model")
    monkeypatch.undo()
    assert risk.load_risk_models(path) is None


# --- no one is certain: risks within a plausible range (issue 13, item 8) ------------------------------------------


@pytest.mark.parametrize("kind", risk.MODEL_KINDS)
def test_no_one_in_the_synthetic_population_is_given_a_risk_of_0_or_100_percent(kind: str) -> None:
    model = fitted_models().models[kind]
    p = model.predict_risk(scored_people())
    percent = np.round(p * 100)
    assert percent.min() >= 1 and percent.max() <= 99
    floor, ceiling = model.risk_range_
    assert risk.LOWEST_RISK <= floor < ceiling <= risk.HIGHEST_RISK
    assert p.min() == pytest.approx(floor) and p.max() == pytest.approx(ceiling)
    assert len(np.unique(p)) > 20  # bounded, not flattened


def test_the_end_steps_of_the_calibration_curve_are_smoothed_and_kept_within_bounds() -> None:
    calibrated = np.array([0, 0, 0, 0.1, 0.1, 0.5, 1, 1, 1])
    admitted = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1], dtype=bool)
    # bottom step: (0 + 0.5) / (3 + 1) = 0.125, but not above the next step (0.1); top: (3 + 0.5) / (3 + 1)
    assert risk.plausible_risk_range(calibrated, admitted) == pytest.approx((0.1, 0.875))
    calibrated = np.r_[np.zeros(99), 0.2, 0.9, 1.0]
    admitted = np.r_[np.zeros(99), 0, 1, 1].astype(bool)
    # bottom: 0.5 / 100 = 0.005, raised to 1%; top: (1 + 0.5) / 2 = 0.75, but not below the step before it (0.9)
    assert risk.plausible_risk_range(calibrated, admitted) == pytest.approx((risk.LOWEST_RISK, 0.9))
    # one person at each end (as with Platt scaling): (0 + 0.5) / 2 = 0.25, below the next step; the top kept at 99%
    assert risk.plausible_risk_range(np.array([0.0, 0.999, 1.0]), np.array([0, 1, 1], dtype=bool)) == pytest.approx(
        (0.25, risk.HIGHEST_RISK)
    )


def test_small_data_that_the_model_separates_perfectly_is_still_not_certain() -> None:
    # Everyone 85 or over admitted, nobody younger: isotonic calibration alone gives exactly 0 and 1.
    people = small_population().people.head(2_000).copy()
    y = people["age"].to_numpy() >= 85
    assert 10 < y.sum() < 1_000
    model = risk.AdmissionRiskModel("baseline", random_state=0).fit(people, y)
    raw = model.calibrator_.predict_proba(risk.risk_features(people, kind="baseline"))[:, 1]
    assert raw.min() == 0.0 and raw.max() == 1.0
    p = model.predict_risk(people)
    percent = np.round(p * 100).astype(int)
    assert percent.min() == 1 and 90 <= percent.max() <= 99
    assert model.risk_range_ == (p.min(), p.max())
    assert (np.diff(p[np.argsort(raw, kind="stable")]) >= 0).all()  # the order is kept


def test_the_model_card_says_how_risks_are_kept_from_certainty() -> None:
    models = fitted_models()
    floor, ceiling = models.model.risk_range_
    text = risk.model_card_text(models)
    assert "Nobody is certain to be" in text and f"its risks run from {floor:.1%} to {ceiling:.1%}" in text
