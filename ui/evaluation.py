"""Streamlit helpers of the evaluation page: the stored events (shared, read-only) and the cached evaluation.

The evaluation of a footprint, comparison pool and kind of event is cached with ``st.cache_data``: it holds only
aggregates (suppressed counts, rates, estimates) of synthetic records, the same for every user.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from phm_core import evaluation, geography, segmentation
from phm_core.settings import data_dir
from phm_core.synth import GENERATOR_VERSION
from phm_core.synth.io import EVENTS_FILE, population_folder
from ui import data, synthetic


@st.cache_resource(show_spinner="Loading the dated events ...", max_entries=4)
def _events(icb_code: str, seed: int, fraction: float, version: str) -> pd.DataFrame:
    folder = population_folder(icb_code, seed=seed, fraction=fraction, base=data_dir())
    return pd.read_parquet(folder / EVENTS_FILE)


def events(icb_code: str, *, seed: int = synthetic.DEFAULT_SEED) -> pd.DataFrame:
    """The ICB's dated A&E attendances, emergency admissions and ambulance conveyances (shared; read-only)."""
    synthetic.segmented_population(icb_code, seed=seed)  # generates the population first, with progress
    return _events(icb_code, seed, synthetic.sample_fraction(), GENERATOR_VERSION)


def interventions(icb_code: str, *, seed: int = synthetic.DEFAULT_SEED) -> list[str]:
    """The interventions recorded in the ICB's person table (simulated in the synthetic population)."""
    people = synthetic.segmented_population(icb_code, seed=seed)
    if "intervention" not in people.columns:
        return []
    return sorted(people["intervention"].dropna().astype("string").unique().tolist())


@st.cache_data(show_spinner="Matching and comparing ...", max_entries=64)
def evaluation_content(
    footprint: geography.Footprint,
    intervention: str,
    pool: str,
    event_type: str,
    include_opted_out: bool,
    seed: int,
    fraction: float,
    version: str,
) -> evaluation.EvaluationResult | None:
    """The evaluation of an intervention in a footprint (aggregates only), or None if nobody there received it."""
    people = synthetic.segmented_population(footprint.icb_code, seed=seed)
    people = segmentation.select_people(people, footprint, data.lsoas_of(footprint))
    if not include_opted_out:
        people = people.loc[~people["opted_out"].to_numpy(dtype=bool)]
    if not (people["intervention"].astype("string") == intervention).fillna(False).any():
        return None
    stored = _events(footprint.icb_code, seed, fraction, version)
    prepared = evaluation.evaluation_data(
        people, stored, intervention=intervention, event_type=event_type, pool=pool, rng=np.random.default_rng(seed)
    )
    if prepared.frame["treated"].all():
        return None
    return evaluation.evaluate(prepared, stored, rng=np.random.default_rng(seed + 1), pool=pool)


def show_groups(result: evaluation.EvaluationResult) -> None:
    """People, events, person-years and rates by group and period (suppressed cells blank)."""
    st.dataframe(
        result.groups[["group", "period", "people", "events", "person_years", "rate_per_person_year"]],
        hide_index=True,
        width="stretch",
        column_config={
            "group": "Group",
            "period": "Period",
            "people": st.column_config.NumberColumn("People", format="localized"),
            "events": st.column_config.NumberColumn(evaluation.EVENT_LABELS[result.event_type], format="localized"),
            "person_years": st.column_config.NumberColumn("Person-years", format="%.0f"),
            "rate_per_person_year": st.column_config.NumberColumn("Per person-year", format="%.3f"),
        },
    )


def show_balance(result: evaluation.EvaluationResult) -> None:
    """Standardised mean differences of the matching variables before and after matching."""
    st.dataframe(
        result.balance[["label", "before_matching", "after_matching"]],
        hide_index=True,
        width="stretch",
        column_config={
            "label": "Matching variable",
            "before_matching": st.column_config.NumberColumn("Before matching", format="%+.3f"),
            "after_matching": st.column_config.NumberColumn("After matching", format="%+.3f"),
        },
    )
