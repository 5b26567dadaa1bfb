"""A small SYNTHETIC population (and risk models fitted on it) shared by the risk, cohort, scenario and
evaluation tests: generated once per test run, a 5% sample of the default ICB (about 49,000 people)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from phm_core import risk, segmentation
from phm_core.synth import Population, generate_population, load_inputs

ICB = "E54000023"  # NHS Suffolk and North East Essex, the app's default
FRACTION = 0.05


@lru_cache(maxsize=1)
def small_population() -> Population:
    """The 5% sample (seed 1). Shared: copy before changing it."""
    return generate_population(load_inputs(ICB), rng=np.random.default_rng(1), fraction=FRACTION)


@lru_cache(maxsize=1)
def fitted_models() -> risk.RiskModels:
    """Baseline, logistic and gradient-boosted models trained on the small population."""
    return risk.train_risk_models(small_population().people, random_state=0)


@lru_cache(maxsize=1)
def scored_people() -> pd.DataFrame:
    """People alive at the index date with segment, model risk and model risk tier (as the app holds them)."""
    segmented = segmentation.add_segments_and_risk(small_population().people)
    return risk.score_people(fitted_models(), segmented)
