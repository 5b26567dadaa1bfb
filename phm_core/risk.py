"""Risk stratification: the chance of an emergency admission in the next 12 months, and the model card.

A temporal design on the person-level schema (phm_core.synth.schema): features are the record **at the index date**
(conditions, frailty, medicines, care home, palliative care, smoking, deprivation, air quality) and activity in
**year 1** (the 12 months before); the outcome is at least one emergency admission in **year 2** (the 12 months
after). Nothing from year 2 (activity, cost, deaths, interventions) is ever a feature: ``risk_features`` reads only
the columns in ``FEATURE_SOURCES``, and a test replaces every year-2 column with noise to show the features do not
change.

Three models are compared on people held out from fitting and calibration:

* ``baseline``: logistic regression on age (a spline) and the number of long-term conditions;
* ``logistic``: L2-regularised logistic regression on every feature (age as a spline, counts on a log scale);
* ``gradient_boosting``: scikit-learn's HistGradientBoostingClassifier on every feature.

Each is calibrated (isotonic regression by default) on a share of the training people it was not fitted on, so its
probabilities can be read as risks, and then kept within a plausible range: no one's risk is 0 or 1 (see
``AdmissionRiskModel``). The model card reports discrimination (AUROC with a Hanley-McNeil interval,
average precision), calibration (observed against predicted by tenths of risk, calibration-in-the-large, the mean
absolute calibration error), sensitivity and positive predictive value for the top 0.5%, 5% and 20%, and the same
by deprivation quintile, sex and age band. Every count shown is suppressed with phm_core.stats.suppress.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Self

import joblib
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import SplineTransformer, StandardScaler
from sklearn.utils.validation import check_is_fitted

from phm_core.palettes import NHS_BLUE, NHS_DARK_GREY, NHS_MID_GREY, NHS_PALE_GREY, NHS_WARM_YELLOW
from phm_core.segmentation import RISK_TIER_SHARES, age_band, index_population, risk_tiers
from phm_core.stats import suppress
from phm_core.synth.schema import CONDITION_NAMES, FRAILTY_CATEGORIES, SMOKING_STATUSES, activity_column

#: Bump when features, models or the model card change: a stored model of another version is retrained.
RISK_MODEL_VERSION = "2"
SYNTHETIC_LABEL = "SYNTHETIC"
FONT = "Frutiger, Arial, Helvetica, sans-serif"

OUTCOME_COLUMN = activity_column("emergency_admissions", "y2")
OUTCOME_LABEL = "an emergency admission in the next 12 months"
INDEX_LABEL = "1 April 2024 to 31 March 2025"
YEAR_1_ACTIVITY: tuple[str, ...] = tuple(
    activity_column(a, "y1")
    for a in ("gp_contacts", "ae_attendances", "emergency_admissions", "bed_days", "ambulance_conveyances")
)
#: The only person columns a feature is made from: the state at the index date and year-1 activity.
FEATURE_SOURCES: tuple[str, ...] = (
    "age",
    "sex",
    *CONDITION_NAMES,
    "ltc_count",
    "multimorbidity_score",
    "efi",
    "frailty",
    "medicines",
    "falls_y1",
    "palliative_care",
    "advance_care_plan",
    "care_home",
    "smoking_status",
    "smoker_in_household",
    "recent_birth",
    *YEAR_1_ACTIVITY,
    "imd_decile",
    "aq_indicator",
)
BASELINE_SOURCES: tuple[str, ...] = ("age", "ltc_count")
#: Counts put on a log scale (log(1 + x)) so that a few very high users do not dominate the logistic model.
LOG_COUNTS: tuple[str, ...] = ("medicines", "falls_y1", *YEAR_1_ACTIVITY)

ModelKind = Literal["baseline", "logistic", "gradient_boosting"]
MODEL_KINDS: tuple[ModelKind, ...] = ("baseline", "logistic", "gradient_boosting")
MODEL_LABELS: dict[str, str] = {
    "baseline": "Baseline: age and number of long-term conditions",
    "logistic": "Regularised logistic regression",
    "gradient_boosting": "Gradient-boosted trees",
}
#: Shares of people flagged as highest risk at which sensitivity and PPV are reported.
TOP_SHARES: tuple[float, ...] = (0.005, 0.05, 0.20)
EQUITY_DIMENSIONS: dict[str, str] = {
    "imd_quintile": "Deprivation quintile (1 = most deprived)",
    "sex": "Sex",
    "age_band": "Age band",
}
#: The bounds of the plausible range: a risk is never below 1% nor above 99% (nobody is certain to be admitted, or
#: not to be), and a rounded percentage is never 0 or 100.
LOWEST_RISK = 0.01
HIGHEST_RISK = 0.99
LEAKY_SUFFIXES: tuple[str, ...] = ("_y2",)
LEAKY_COLUMNS: tuple[str, ...] = ("death_date", "intervention", "intervention_date")


# --- features and outcome -----------------------------------------------------------------------------------------


def _check_sources(sources: Sequence[str]) -> None:
    leaky = [c for c in sources if c.endswith(LEAKY_SUFFIXES) or c in LEAKY_COLUMNS]
    if leaky:
        raise ValueError(f"features may not use the outcome year or later: {', '.join(leaky)}")


def risk_features(people: pd.DataFrame, *, kind: ModelKind = "gradient_boosting") -> pd.DataFrame:
    """The feature matrix (float32, one row per person) a model of ``kind`` learns from.

    Only the columns in ``FEATURE_SOURCES`` (``BASELINE_SOURCES`` for the baseline) are read: the record at the
    index date and year-1 activity. Booleans become 0/1, frailty and smoking one column per level (an empty value,
    e.g. frailty under 65, is all zeros), sex a ``male`` flag, counts in ``LOG_COUNTS`` log(1 + x) (the model of
    every kind sees the same transformed counts; trees are unaffected by it).
    """
    if kind not in MODEL_KINDS:
        raise ValueError(f"unknown model kind {kind!r}; choose one of {', '.join(MODEL_KINDS)}")
    sources = BASELINE_SOURCES if kind == "baseline" else FEATURE_SOURCES
    _check_sources(sources)
    missing = [c for c in sources if c not in people.columns]
    if missing:
        raise ValueError(f"the person table lacks feature column(s): {', '.join(missing)}")
    columns: dict[str, np.ndarray] = {"age": people["age"].to_numpy(dtype=np.float32)}
    if kind == "baseline":
        columns["ltc_count"] = people["ltc_count"].to_numpy(dtype=np.float32)
        return pd.DataFrame(columns, index=people.index)
    columns["male"] = (people["sex"].astype("string") == "M").fillna(False).to_numpy(dtype=np.float32)
    for name in (*CONDITION_NAMES, "palliative_care", "advance_care_plan", "care_home", "smoker_in_household"):
        columns[name] = people[name].to_numpy(dtype=np.float32)
    columns["recent_birth"] = people["recent_birth"].to_numpy(dtype=np.float32)
    columns["ltc_count"] = people["ltc_count"].to_numpy(dtype=np.float32)
    columns["multimorbidity_score"] = people["multimorbidity_score"].to_numpy(dtype=np.float32)
    columns["efi"] = np.nan_to_num(people["efi"].to_numpy(dtype=np.float32, na_value=np.nan), nan=0.0)
    frailty = people["frailty"].astype("string")
    for level in FRAILTY_CATEGORIES:
        columns[f"frailty_{level}"] = (frailty == level).fillna(False).to_numpy(dtype=np.float32)
    smoking = people["smoking_status"].astype("string")
    for status in SMOKING_STATUSES:
        columns[f"smoking_{status}"] = (smoking == status).fillna(False).to_numpy(dtype=np.float32)
    for name in LOG_COUNTS:
        columns[name] = np.log1p(people[name].to_numpy(dtype=np.float32))
    columns["imd_decile"] = people["imd_decile"].to_numpy(dtype=np.float32)
    aq = people["aq_indicator"].to_numpy(dtype=np.float32, na_value=np.nan)
    columns["aq_indicator"] = np.nan_to_num(aq, nan=float(np.nanmedian(aq)) if np.isfinite(aq).any() else 0.0)
    return pd.DataFrame(columns, index=people.index)


def admission_outcome(people: pd.DataFrame) -> np.ndarray:
    """True for each person with at least one emergency admission in year 2 (the 12 months after the index date)."""
    return people[OUTCOME_COLUMN].to_numpy() > 0


def modelling_population(people: pd.DataFrame) -> pd.DataFrame:
    """The people a model learns from and is judged on: alive at the index date, without national data opt-outs."""
    return index_population(people, include_opted_out=False)


# --- the estimator ------------------------------------------------------------------------------------------------


class AdmissionRiskModel(ClassifierMixin, BaseEstimator):
    """Calibrated chance of an emergency admission in the next 12 months, from a person table.

    ``fit(people, y)`` builds the features (``risk_features``), fits the model on a share of the people and
    calibrates its probabilities on the rest (``calibration_share``); ``predict_proba(people)`` returns the
    calibrated probabilities. Learned attributes end in ``_`` (scikit-learn convention).

    Calibration alone can say 0 or 1: isotonic regression gives each step of its curve the share admitted among
    the calibration people on it, and the end steps rest on a few people (3 to 50 in a 5% sample) who were all
    admitted, or none were. Nobody is certain to be admitted, or not to be, so risks are kept within
    ``risk_range_`` (see ``plausible_risk_range``). Only the end steps move; the order of everyone and the
    calibration by tenths are unchanged.

    Parameters
    ----------
    kind : "baseline", "logistic" or "gradient_boosting"
    calibration : "isotonic" or "sigmoid" (Platt scaling)
    calibration_share : share of the training people held back to calibrate (0 < share < 1)
    regularisation : inverse strength C of the L2 penalty of the logistic models
    max_iter, learning_rate, max_leaf_nodes, l2_regularization : of the gradient-boosted trees
    random_state : seed of the calibration split and the trees' early-stopping split
    """

    def __init__(
        self,
        kind: ModelKind = "gradient_boosting",
        *,
        calibration: Literal["isotonic", "sigmoid"] = "isotonic",
        calibration_share: float = 0.25,
        regularisation: float = 1.0,
        max_iter: int = 300,
        learning_rate: float = 0.1,
        max_leaf_nodes: int = 31,
        l2_regularization: float = 1.0,
        random_state: int = 0,
    ) -> None:
        self.kind = kind
        self.calibration = calibration
        self.calibration_share = calibration_share
        self.regularisation = regularisation
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.l2_regularization = l2_regularization
        self.random_state = random_state

    def _validate_params_in(self) -> None:
        if self.kind not in MODEL_KINDS:
            raise ValueError(f"kind must be one of {', '.join(MODEL_KINDS)}, not {self.kind!r}")
        if self.calibration not in ("isotonic", "sigmoid"):
            raise ValueError(f"calibration must be 'isotonic' or 'sigmoid', not {self.calibration!r}")
        if not 0 < self.calibration_share < 1:
            raise ValueError(f"calibration_share must be between 0 and 1, not {self.calibration_share!r}")
        if self.regularisation <= 0:
            raise ValueError("regularisation must be positive")

    def _make_estimator(self, columns: list[str]) -> BaseEstimator:
        if self.kind == "gradient_boosting":
            return HistGradientBoostingClassifier(
                max_iter=self.max_iter,
                learning_rate=self.learning_rate,
                max_leaf_nodes=self.max_leaf_nodes,
                l2_regularization=self.l2_regularization,
                early_stopping=True,
                validation_fraction=0.1,
                n_iter_no_change=15,
                random_state=self.random_state,
            )
        rest = [c for c in columns if c != "age"]
        transform = ColumnTransformer(
            [
                ("age", SplineTransformer(n_knots=6, degree=3), ["age"]),
                ("rest", StandardScaler(), rest),
            ]
        )
        return Pipeline([("features", transform), ("model", LogisticRegression(C=self.regularisation, max_iter=1000))])

    def fit(self, X: pd.DataFrame, y: np.ndarray | pd.Series) -> Self:
        """Fit on a person table ``X`` and the outcome ``y`` (True = admitted in year 2)."""
        self._validate_params_in()
        features = risk_features(X, kind=self.kind)
        target = np.asarray(y, dtype=bool)
        if len(target) != len(features):
            raise ValueError(f"X has {len(features)} people but y has {len(target)} outcomes")
        if target.all() or not target.any():
            raise ValueError("y must contain both people admitted and people not admitted")
        fit_x, calibrate_x, fit_y, calibrate_y = train_test_split(
            features,
            target,
            test_size=self.calibration_share,
            stratify=target,
            random_state=self.random_state,
        )
        self.feature_names_ = list(features.columns)
        self.estimator_ = self._make_estimator(self.feature_names_).fit(fit_x, fit_y)
        self.calibrator_ = CalibratedClassifierCV(FrozenEstimator(self.estimator_), method=self.calibration)
        self.calibrator_.fit(calibrate_x, calibrate_y)
        self.risk_range_ = plausible_risk_range(self.calibrator_.predict_proba(calibrate_x)[:, 1], calibrate_y)
        self.classes_ = np.array([False, True])
        self.n_fitted_ = len(fit_y)
        self.n_calibrated_ = len(calibrate_y)
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities within ``risk_range_``, shape (people, 2): not admitted, admitted."""
        check_is_fitted(self, ["calibrator_", "risk_range_"])
        admitted = self.calibrator_.predict_proba(risk_features(X, kind=self.kind))[:, 1]
        admitted = np.clip(admitted, *self.risk_range_)
        return np.column_stack([1 - admitted, admitted])

    def predict_risk(self, X: pd.DataFrame) -> np.ndarray:
        """The calibrated chance of an emergency admission in the next 12 months, one per person (never 0 or 1)."""
        return self.predict_proba(X)[:, 1]

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """True where the calibrated chance is at least a half (rarely: rank by ``predict_risk`` instead)."""
        return self.predict_risk(X) >= 0.5


def plausible_risk_range(calibrated: np.ndarray, admitted: np.ndarray) -> tuple[float, float]:
    """The lowest and highest risk a calibrated model may give, from its calibration people.

    The calibration people given the lowest calibrated risk (isotonic regression's bottom step) have their
    admission rate smoothed by half an admission, (admitted + 0.5) / (people + 1) (the Jeffreys estimate, never
    0 or 1), but not above the next step; likewise the top step, not below the step before it. Both are then kept
    within ``LOWEST_RISK`` to ``HIGHEST_RISK``. With Platt scaling (no steps) this is the next-lowest and
    next-highest risk, within the same bounds.
    """
    calibrated = np.asarray(calibrated, dtype=np.float64)
    admitted = np.asarray(admitted, dtype=bool)
    steps = np.unique(calibrated)

    def smoothed(step: float) -> float:
        on_step = calibrated == step
        return (float(admitted[on_step].sum()) + 0.5) / (float(on_step.sum()) + 1)

    floor, ceiling = smoothed(steps[0]), smoothed(steps[-1])
    if len(steps) > 1:
        floor, ceiling = min(floor, float(steps[1])), max(ceiling, float(steps[-2]))
    floor = min(max(floor, LOWEST_RISK), HIGHEST_RISK)
    return floor, min(max(ceiling, floor), HIGHEST_RISK)


# --- metrics ------------------------------------------------------------------------------------------------------


def auroc_interval(y: np.ndarray, p: np.ndarray, *, confidence: float = 0.95) -> tuple[float, float, float]:
    """AUROC with its Hanley-McNeil (Radiology 1982) confidence interval, clipped to [0, 1]."""
    from scipy.stats import norm

    y = np.asarray(y, dtype=bool)
    auc = float(roc_auc_score(y, p))
    n1, n0 = int(y.sum()), int((~y).sum())
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = (auc * (1 - auc) + (n1 - 1) * (q1 - auc**2) + (n0 - 1) * (q2 - auc**2)) / (n1 * n0)
    z = float(norm.ppf(0.5 + confidence / 2))
    half = z * float(np.sqrt(max(variance, 0.0)))
    return auc, max(0.0, auc - half), min(1.0, auc + half)


def top_share_threshold(p: np.ndarray, share: float) -> float:
    """The risk at or above which the top ``share`` of people lie (the flagging threshold)."""
    if not 0 < share <= 1:
        raise ValueError(f"share must be more than 0 and at most 1, not {share}")
    k = max(int(round(len(p) * share)), 1)
    return float(np.partition(np.asarray(p), len(p) - k)[len(p) - k])


def _flag_top(p: np.ndarray, share: float) -> np.ndarray:
    """Exactly round(n x share) people flagged: the highest risks, ties broken by order."""
    k = max(int(round(len(p) * share)), 1)
    order = np.argsort(-np.asarray(p), kind="stable")
    flagged = np.zeros(len(p), dtype=bool)
    flagged[order[:k]] = True
    return flagged


def top_share_table(y: np.ndarray, p: np.ndarray, *, shares: Sequence[float] = TOP_SHARES) -> pd.DataFrame:
    """Sensitivity and PPV when the top ``share`` of people by risk are flagged, for each share.

    Columns: share, threshold, flagged, true_positives, sensitivity (share of all admitted people who are
    flagged), ppv (share of flagged people who are admitted), suppressed like every count.
    """
    y = np.asarray(y, dtype=bool)
    rows = []
    for share in shares:
        flagged = _flag_top(p, share)
        true_positives = int((flagged & y).sum())
        rows.append(
            {
                "share": share,
                "threshold": top_share_threshold(p, share),
                "flagged": int(flagged.sum()),
                "true_positives": true_positives,
                "sensitivity": true_positives / y.sum() if y.any() else np.nan,
                "ppv": true_positives / flagged.sum(),
            }
        )
    table = pd.DataFrame(rows)
    # Each row is a different cut of the same people, not part of a total: no secondary suppression across rows.
    return suppress(
        table, count_columns=["flagged", "true_positives"], group_by="share", linked_columns=["sensitivity", "ppv"]
    )


def calibration_table(y: np.ndarray, p: np.ndarray, *, bins: int = 10) -> pd.DataFrame:
    """Observed against predicted risk in ``bins`` equal groups of people ordered by predicted risk.

    Columns: bin (1 = lowest risk), people, admitted, mean_predicted, observed (share admitted), suppressed.
    """
    y = np.asarray(y, dtype=bool)
    p = np.asarray(p, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    group = np.empty(len(p), dtype=np.int64)
    group[order] = np.arange(len(p)) * bins // max(len(p), 1)
    people = np.bincount(group, minlength=bins)
    admitted = np.bincount(group, weights=y, minlength=bins)
    predicted = np.bincount(group, weights=p, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        table = pd.DataFrame(
            {
                "bin": np.arange(1, bins + 1),
                "people": people,
                "admitted": admitted.astype(np.int64),
                "mean_predicted": predicted / people,
                "observed": admitted / people,
            }
        )
    return suppress(table, count_columns=["people", "admitted"], linked_columns=["observed"])


def calibration_summary(y: np.ndarray, p: np.ndarray, *, bins: int = 10) -> dict[str, float]:
    """Calibration-in-the-large (mean predicted minus observed), the mean absolute calibration error over
    ``bins`` groups of risk (people-weighted), the largest absolute error of a group, and the calibration slope
    (logistic regression of the outcome on the log-odds of the prediction; 1 is ideal)."""
    y = np.asarray(y, dtype=bool)
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    order = np.argsort(p, kind="stable")
    group = np.empty(len(p), dtype=np.int64)
    group[order] = np.arange(len(p)) * bins // len(p)
    people = np.bincount(group, minlength=bins)
    gap = np.abs(np.bincount(group, weights=p, minlength=bins) - np.bincount(group, weights=y, minlength=bins))
    with np.errstate(invalid="ignore", divide="ignore"):
        per_group = np.where(people > 0, gap / people, 0.0)
    logit = np.log(p / (1 - p)).reshape(-1, 1)
    slope = (
        float(LogisticRegression(C=1e6, max_iter=1000).fit(logit, y).coef_[0, 0]) if 0 < y.sum() < len(y) else np.nan
    )
    return {
        "in_the_large": float(p.mean() - y.mean()),
        "mean_absolute_error": float(gap.sum() / len(p)),
        "largest_group_error": float(per_group.max()),
        "slope": slope,
    }


def discrimination(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """AUROC (with its 95% interval), average precision, Brier score and the outcome rate."""
    auc, low, high = auroc_interval(y, p)
    return {
        "auroc": auc,
        "auroc_low": low,
        "auroc_high": high,
        "average_precision": float(average_precision_score(y, p)),
        "brier": float(brier_score_loss(y, p)),
        "outcome_rate": float(np.mean(y)),
    }


def equity_table(
    y: np.ndarray,
    p: np.ndarray,
    groups: pd.Series | np.ndarray,
    *,
    share: float = 0.05,
) -> pd.DataFrame:
    """Performance by group at one population-wide flagging threshold (the top ``share`` of everyone).

    For each group: people, admitted, flagged, true positives, the share of the group flagged, sensitivity,
    PPV and the AUROC within the group. Counts are suppressed (two-way: within the table's total), and each
    share with the counts it is made from.
    """
    y = np.asarray(y, dtype=bool)
    p = np.asarray(p, dtype=np.float64)
    flagged = _flag_top(p, share)
    labels = pd.Series(np.asarray(groups)).astype("string").fillna("Unknown").to_numpy()
    rows = []
    for group in pd.unique(labels):
        inside = labels == group
        g_y, g_p, g_f = y[inside], p[inside], flagged[inside]
        true_positives = int((g_f & g_y).sum())
        both = 0 < g_y.sum() < len(g_y)
        rows.append(
            {
                "group": str(group),
                "people": int(inside.sum()),
                "admitted": int(g_y.sum()),
                "flagged": int(g_f.sum()),
                "true_positives": true_positives,
                "share_flagged": g_f.mean(),
                "sensitivity": true_positives / g_y.sum() if g_y.any() else np.nan,
                "ppv": true_positives / g_f.sum() if g_f.any() else np.nan,
                "auroc": float(roc_auc_score(g_y, g_p)) if both else np.nan,
            }
        )
    table = pd.DataFrame(rows).sort_values("group", kind="stable").reset_index(drop=True)
    suppressed = table
    for counts, linked in (
        ("people", ["share_flagged", "auroc"]),
        ("admitted", ["sensitivity", "auroc"]),
        ("flagged", ["share_flagged", "ppv"]),
        ("true_positives", ["sensitivity", "ppv"]),
    ):
        suppressed = suppress(suppressed, count_columns=counts, linked_columns=linked)
    return suppressed


# --- training, the bundle stored on disk ----------------------------------------------------------------------------

Progress = Callable[[float, str], None]
#: Training people are capped at this number (a random subset): a larger set barely changes the held-out figures
#: (AUROC within 0.002 on the default ICB) and training takes seconds, not minutes.
MAX_TRAINING_PEOPLE = 300_000
MODELS_DIR = "models"


@dataclass
class RiskModels:
    """Fitted models, which one is used, and the model card computed on the held-out people.

    Holds no person-level rows: only fitted estimators, aggregate (suppressed) tables and figures' numbers.
    """

    models: dict[str, AdmissionRiskModel]
    chosen: str
    card: dict[str, object]
    training_seconds: dict[str, float]
    people: dict[str, int]
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def model(self) -> AdmissionRiskModel:
        """The chosen model (the best average precision on held-out people)."""
        return self.models[self.chosen]


def model_card(
    people: pd.DataFrame, y: np.ndarray, predictions: dict[str, np.ndarray], *, chosen: str
) -> dict[str, object]:
    """The model card's tables for held-out ``people`` and each model's predicted risk.

    ``discrimination`` (one row per model), ``calibration`` (per model, by tenths of risk), ``calibration_summary``
    (per model), ``top_shares`` (per model), and ``equity`` (chosen model, for each of EQUITY_DIMENSIONS).
    """
    rows = []
    for kind, p in predictions.items():
        rows.append({"model": kind, "label": MODEL_LABELS[kind], **discrimination(y, p)})
    groups = {
        "imd_quintile": people["imd_quintile"].astype("Int64").astype("string"),
        "sex": people["sex"].astype("string").map({"F": "Female", "M": "Male"}),
        "age_band": pd.Series(age_band(people["age"]), index=people.index).astype("string"),
    }
    chosen_p = predictions[chosen]
    return {
        "discrimination": pd.DataFrame(rows),
        "calibration": {kind: calibration_table(y, p) for kind, p in predictions.items()},
        "calibration_summary": {kind: calibration_summary(y, p) for kind, p in predictions.items()},
        "top_shares": {kind: top_share_table(y, p) for kind, p in predictions.items()},
        "equity": {
            dimension: {
                f"{share:g}": equity_table(y, chosen_p, groups[dimension].to_numpy(), share=share)
                for share in TOP_SHARES
            }
            for dimension in EQUITY_DIMENSIONS
        },
    }


def split_people(
    people: pd.DataFrame,
    *,
    test_share: float = 0.3,
    random_state: int = 0,
    max_training_people: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training and held-out people: a random split by person, stratified on the outcome.

    Nobody is in both. With ``max_training_people`` the training people are a random subset of that size.
    """
    if not 0 < test_share < 1:
        raise ValueError(f"test_share must be between 0 and 1, not {test_share}")
    positions = np.arange(len(people))
    train, test = train_test_split(
        positions, test_size=test_share, stratify=admission_outcome(people), random_state=random_state
    )
    if max_training_people is not None and len(train) > max_training_people:
        train = np.random.default_rng(random_state).choice(train, size=max_training_people, replace=False)
    return people.iloc[np.sort(train)], people.iloc[np.sort(test)]


def train_risk_models(
    people: pd.DataFrame,
    *,
    test_share: float = 0.3,
    random_state: int = 0,
    kinds: Sequence[ModelKind] = MODEL_KINDS,
    progress: Progress | None = None,
    max_training_people: int | None = MAX_TRAINING_PEOPLE,
) -> RiskModels:
    """Fit every model in ``kinds`` on one split of the people, judge each on the held-out ``test_share``.

    The people are those alive at the index date without an opt-out (``modelling_population``). The split is
    by person, stratified on the outcome; the chosen model is the non-baseline model with the best average
    precision on the held-out people. ``max_training_people`` caps the training people (a random subset) for
    speed on very large populations.
    """
    report = progress or (lambda share, text: None)
    cohort = modelling_population(people)
    train_people, test_people = split_people(
        cohort, test_share=test_share, random_state=random_state, max_training_people=max_training_people
    )
    y_train, y_test = admission_outcome(train_people), admission_outcome(test_people)
    weights = {"baseline": 1.0, "logistic": 3.0, "gradient_boosting": 6.0}
    total = sum(weights[k] for k in kinds) + 1.0
    done = 0.0
    models: dict[str, AdmissionRiskModel] = {}
    seconds: dict[str, float] = {}
    predictions: dict[str, np.ndarray] = {}
    for kind in kinds:
        report(done / total, f"Fitting and calibrating: {MODEL_LABELS[kind].lower()}")
        start = time.perf_counter()
        models[kind] = AdmissionRiskModel(kind, random_state=random_state).fit(train_people, y_train)
        seconds[kind] = time.perf_counter() - start
        predictions[kind] = models[kind].predict_risk(test_people)
        done += weights[kind]
    report(done / total, "Writing the model card on the held-out people")
    candidates = [k for k in kinds if k != "baseline"] or list(kinds)
    chosen = max(candidates, key=lambda k: average_precision_score(y_test, predictions[k]))
    card = model_card(test_people, y_test, predictions, chosen=chosen)
    report(1.0, "Done")
    return RiskModels(
        models=models,
        chosen=chosen,
        card=card,
        training_seconds=seconds,
        people={
            "modelled": len(cohort),
            "training": len(train_people),
            "held_out": len(test_people),
            "admitted_held_out": int(y_test.sum()),
        },
        versions={"risk_model": RISK_MODEL_VERSION, "scikit_learn": sklearn.__version__},
    )


def score_people(models: RiskModels, people: pd.DataFrame) -> pd.DataFrame:
    """``people`` with ``risk_probability`` (the chosen model's) and ``risk_tier`` (high / rising / low by rank).

    Tiers rank everyone given (opted-out people included, as they are in a practice's list); any earlier
    ``risk_tier`` column (e.g. the interim points score's) is kept as ``interim_risk_tier``.
    """
    probability = models.model.predict_risk(people)
    extra: dict[str, object] = {
        "risk_probability": probability.astype(np.float32),
        "risk_tier": risk_tiers(probability),
    }
    if "risk_tier" in people.columns:
        extra["interim_risk_tier"] = people["risk_tier"]
    return people.assign(**extra)


def model_path(base: Path, population_name: str) -> Path:
    """Where the fitted models of a stored population (its folder name) are kept under the data directory."""
    return base / MODELS_DIR / f"risk_{population_name}_v{RISK_MODEL_VERSION}.joblib"


def save_risk_models(models: RiskModels, path: Path) -> Path:
    """Write fitted models to ``path`` (joblib; written to a temporary name, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    joblib.dump(models, temporary, compress=3)
    os.replace(temporary, path)
    return path


def load_risk_models(path: Path) -> RiskModels | None:
    """Read stored models, or None when there are none, or they were made by another model version or
    scikit-learn version (they are then retrained). Only load files this app wrote: joblib runs pickle."""
    if not path.exists():
        return None
    try:
        models = joblib.load(path)
    except Exception:  # an unreadable or half-written file is retrained, not fatal
        return None
    if not isinstance(models, RiskModels):
        return None
    expected = {"risk_model": RISK_MODEL_VERSION, "scikit_learn": sklearn.__version__}
    return models if models.versions == expected else None


def load_or_train(
    people: pd.DataFrame, path: Path, *, progress: Progress | None = None, random_state: int = 0
) -> tuple[RiskModels, bool]:
    """The stored models at ``path``, or new ones trained on ``people`` and stored; and whether they are new."""
    stored = load_risk_models(path)
    if stored is not None:
        return stored, False
    models = train_risk_models(people, progress=progress, random_state=random_state)
    save_risk_models(models, path)
    return models, True


def tier_thresholds(probability: np.ndarray, *, shares: tuple[float, float] = RISK_TIER_SHARES) -> dict[str, float]:
    """The risks at which the high and rising tiers start."""
    return {
        "high": top_share_threshold(probability, shares[0]),
        "rising": top_share_threshold(probability, shares[0] + shares[1]),
    }


# --- figures --------------------------------------------------------------------------------------------------------

MODEL_COLOURS = {"baseline": NHS_MID_GREY, "logistic": NHS_WARM_YELLOW, "gradient_boosting": NHS_BLUE}


def style_figure(figure: go.Figure, *, title: str, height: int = 420, synthetic: bool = True) -> go.Figure:
    """The app's figure style; the title says SYNTHETIC when the data is."""
    suffix = f" ({SYNTHETIC_LABEL})" if synthetic else ""
    figure.update_layout(
        title={"text": f"{title}{suffix}", "x": 0, "font": {"size": 15}},
        font={"family": FONT, "size": 13},
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
        plot_bgcolor="white",
        height=height,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0},
    )
    return figure


def calibration_figure(card: dict[str, object]) -> go.Figure:
    """Observed against predicted risk by tenths of predicted risk, one line per model, and the ideal diagonal."""
    tables: dict[str, pd.DataFrame] = card["calibration"]  # type: ignore[assignment]
    top = max(
        float(pd.concat([t["mean_predicted"].astype("float64"), t["observed"].astype("float64")]).max())
        for t in tables.values()
    )
    top = min(1.0, top * 1.05)
    traces = [
        go.Scatter(
            x=[0, top],
            y=[0, top],
            mode="lines",
            name="Perfect calibration",
            line={"color": NHS_DARK_GREY, "dash": "dot", "width": 1},
            hoverinfo="skip",
        )
    ]
    for kind, table in tables.items():
        traces.append(
            go.Scatter(
                x=table["mean_predicted"].astype("float64").tolist(),
                y=table["observed"].astype("float64").tolist(),
                mode="lines+markers",
                name=MODEL_LABELS[kind],
                line={"color": MODEL_COLOURS[kind]},
                hovertemplate="Predicted %{x:.1%}<br>Observed %{y:.1%}<extra>" + MODEL_LABELS[kind] + "</extra>",
            )
        )
    figure = go.Figure(traces)
    figure.update_layout(
        xaxis={"title": "Predicted risk (mean of each tenth)", "tickformat": ".0%", "gridcolor": NHS_PALE_GREY},
        yaxis={"title": "Observed: admitted in year 2", "tickformat": ".0%", "gridcolor": NHS_PALE_GREY},
    )
    return style_figure(figure, title="Calibration on held-out people", height=440)


def top_share_figure(card: dict[str, object]) -> go.Figure:
    """Sensitivity and PPV at the top 0.5%, 5% and 20% for each model (grouped bars)."""
    tables: dict[str, pd.DataFrame] = card["top_shares"]  # type: ignore[assignment]
    traces = []
    for measure, label in (("ppv", "PPV"), ("sensitivity", "Sensitivity")):
        for kind, table in tables.items():
            traces.append(
                go.Bar(
                    x=[f"{label}: top {s:.1%}".replace(".0%", "%") for s in table["share"]],
                    y=table[measure].astype("float64").tolist(),
                    name=MODEL_LABELS[kind],
                    marker_color=MODEL_COLOURS[kind],
                    legendgroup=kind,
                    showlegend=measure == "ppv",
                    hovertemplate="%{x}: %{y:.1%}<extra>" + MODEL_LABELS[kind] + "</extra>",
                )
            )
    figure = go.Figure(traces)
    figure.update_layout(
        barmode="group",
        yaxis={"tickformat": ".0%", "range": [0, 1], "gridcolor": NHS_PALE_GREY},
        xaxis={"type": "category"},
    )
    return style_figure(figure, title="PPV and sensitivity when the top few are flagged", height=440)


def equity_figure(table: pd.DataFrame, *, dimension_label: str, share: float) -> go.Figure:
    """Sensitivity, PPV and share flagged by group at one population-wide threshold (suppressed groups blank)."""
    groups = table["group"].tolist()
    traces = [
        go.Bar(
            x=groups,
            y=table[column].astype("float64").tolist(),
            name=label,
            marker_color=colour,
            hovertemplate="%{x}: %{y:.1%}<extra>" + label + "</extra>",
        )
        for column, label, colour in (
            ("share_flagged", "Share of the group flagged", NHS_MID_GREY),
            ("sensitivity", "Sensitivity", NHS_BLUE),
            ("ppv", "PPV", NHS_WARM_YELLOW),
        )
    ]
    figure = go.Figure(traces)
    figure.update_layout(
        barmode="group",
        yaxis={"tickformat": ".0%", "range": [0, 1], "gridcolor": NHS_PALE_GREY},
        xaxis={"title": dimension_label, "type": "category"},
    )
    title = f"Top {share:.1%} flagged, by {dimension_label.split(' (')[0].lower()}".replace(".0%", "%")
    return style_figure(figure, title=title, height=400)


# --- model card text and display tables ------------------------------------------------------------------------------


def calibration_summary_frame(card: dict[str, object]) -> pd.DataFrame:
    """Calibration measures, one row per model; errors in percentage points."""
    rows = []
    for kind, measures in card["calibration_summary"].items():  # type: ignore[union-attr]
        rows.append(
            {
                "label": MODEL_LABELS[kind],
                "in_the_large": measures["in_the_large"] * 100,
                "mean_absolute_error": measures["mean_absolute_error"] * 100,
                "largest_group_error": measures["largest_group_error"] * 100,
                "slope": measures["slope"],
            }
        )
    return pd.DataFrame(rows)


def top_share_frame(card: dict[str, object]) -> pd.DataFrame:
    """Sensitivity and PPV at each top share, one row per model and share (suppressed counts blank)."""
    frames = []
    for kind, table in card["top_shares"].items():  # type: ignore[union-attr]
        frame = table[["share", "threshold", "flagged", "true_positives", "sensitivity", "ppv"]].copy()
        frame.insert(0, "label", MODEL_LABELS[kind])
        frame.insert(1, "top", [f"top {s:.1%}".replace(".0%", "%") for s in frame["share"]])
        frames.append(frame.drop(columns="share"))
    return pd.concat(frames, ignore_index=True)


def model_card_text(models: RiskModels) -> str:
    """The narrative part of the model card: intended use, data, outcome, features, evaluation, limitations."""
    short = {"baseline": "baseline", "logistic": "logistic regression", "gradient_boosting": "gradient-boosted trees"}
    seconds = ", ".join(f"{s:.0f} s ({short[k]})" for k, s in models.training_seconds.items())
    chosen = MODEL_LABELS[models.chosen].lower()
    calibration = models.card["calibration_summary"][models.chosen]  # type: ignore[index]
    floor, ceiling = models.model.risk_range_
    return f"""
**Intended use.** To rank the people of a footprint by their chance of {OUTCOME_LABEL}, so that care teams can
offer proactive support (the high-risk 5% and the rising-risk next 15%), and to size cohorts for planning. Not for
decisions about an individual without a clinician's review, and not a measure of need for people the record misses.

**Data.** SYNTHETIC person-level records (see docs/synthetic_population.md); the same code runs on a real extract
in the same schema. {models.people["modelled"]:,} people alive on the index date without a national data opt-out;
{models.people["training"]:,} used for fitting and calibrating (a random, outcome-stratified split, at most
{MAX_TRAINING_PEOPLE:,}), {models.people["held_out"]:,} held out for every figure on this card.

**Outcome.** At least one emergency admission in the 12 months after the index date ({INDEX_LABEL}).

**Features.** The record on the index date (age, sex, 19 QOF registers, number of long-term conditions and a
weighted score, the electronic Frailty Index and its category, regular medicines, palliative care register,
advance care plan, care home, smoking and a smoker at home, recent birth), activity in the 12 months before
(GP contacts, A&E attendances, emergency admissions, bed days, ambulance conveyances; falls) and the area's
deprivation decile and air quality. Nothing from the 12 months predicted: a test replaces every later column with
noise and checks the features do not change.

**Models.** {", ".join(MODEL_LABELS[k] for k in models.models)}. Each is fitted on three quarters of the training
people and its probabilities calibrated by isotonic regression on the other quarter. Nobody is certain to be
admitted or not: the lowest and highest steps of the calibration curve, which rest on a few people who were all
admitted or none were, are replaced by their admission rate smoothed by half an admission, and every risk is kept
within {LOWEST_RISK:.0%} to {HIGHEST_RISK:.0%}. The {chosen} had the best average precision on the held-out people
and sets the tiers; its risks run from {floor:.1%} to {ceiling:.1%}. Training took {seconds}.

**Calibration.** Calibration-in-the-large {calibration["in_the_large"] * 100:+.2f} percentage points; mean absolute
error over tenths of risk {calibration["mean_absolute_error"] * 100:.2f} points (the tests require at most 1.5
points on a 5% sample); calibration slope {calibration["slope"]:.2f}.

**Limitations.** The synthetic population's activity follows modelled relationships, so these figures show how
the method behaves, not how well it would predict in a real ICB. Risk rises with deprivation and age, so a single
threshold flags more people in deprived areas and older age bands: that reflects need, but check the equity tab
before using tiers to ration. People who opted out are scored (they are on practice lists) but never used to fit
or judge the models. Versions: risk model {models.versions.get("risk_model")}, scikit-learn
{models.versions.get("scikit_learn")}.
"""
