"""A small SYNTHETIC population (and risk models fitted on it) shared by the risk, cohort, scenario and
evaluation tests: generated once per test run, a 5% sample of NHS Suffolk and North East Essex (about 49,000
people) on the April 2024 geography, where that ICB existed (it was abolished on 1 April 2026)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from phm_core import risk, segmentation
from phm_core.synth import Population, SynthesisInputs, generate_population, load_inputs

ICB = "E54000023"  # NHS Suffolk and North East Essex (April 2024), whose real figures the tests know
GEOGRAPHY = "2024-04"
FRACTION = 0.05


@lru_cache(maxsize=1)
def icb_inputs() -> SynthesisInputs:
    """The generator's inputs for the ICB on its geography. Shared: do not change them."""
    return load_inputs(ICB, geography=GEOGRAPHY)


@lru_cache(maxsize=1)
def small_population() -> Population:
    """The 5% sample (seed 1). Shared: copy before changing it."""
    return generate_population(icb_inputs(), rng=np.random.default_rng(1), fraction=FRACTION)


@lru_cache(maxsize=1)
def fitted_models() -> risk.RiskModels:
    """Baseline, logistic and gradient-boosted models trained on the small population."""
    return risk.train_risk_models(small_population().people, random_state=0)


@lru_cache(maxsize=1)
def scored_people() -> pd.DataFrame:
    """People alive at the index date with segment, model risk and model risk tier (as the app holds them)."""
    segmented = segmentation.add_segments_and_risk(small_population().people)
    return risk.score_people(fitted_models(), segmented)
