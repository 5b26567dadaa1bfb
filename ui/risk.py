"""Streamlit helpers for risk stratification: the fitted model (trained once with progress, stored, shared) and
the people scored by it.

The models of an ICB's stored synthetic population are trained on first use with a progress bar, written under the
data directory (``<data dir>/models/``) and reused by every later run and every user: ``st.cache_resource`` holds
the loaded models and the scored people, read-only. Summaries are cached per footprint with ``st.cache_data``;
they hold only suppressed aggregates of synthetic records.
"""

from __future__ import annotations

import threading

import pandas as pd
import streamlit as st

from phm_core import geography, risk, segmentation
from phm_core.settings import data_dir
from phm_core.synth import GENERATOR_VERSION
from phm_core.synth.io import population_folder
from ui import data, synthetic

MODEL_VERSION = f"{risk.RISK_MODEL_VERSION}-{GENERATOR_VERSION}"
_training_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _model_path(icb_code: str, seed: int, fraction: float):
    folder = population_folder(icb_code, seed=seed, fraction=fraction, base=data_dir())
    return risk.model_path(data_dir(), folder.name)


def _lock_for(key: str) -> threading.Lock:
    with _locks_guard:
        return _training_locks.setdefault(key, threading.Lock())


def ensure_risk_models(icb_code: str, *, seed: int = synthetic.DEFAULT_SEED) -> None:
    """Train and store the ICB's risk models if they are not stored yet, showing progress while they train."""
    fraction = synthetic.sample_fraction()
    path = _model_path(icb_code, seed, fraction)
    if risk.load_risk_models(path) is not None:
        return
    with _lock_for(str(path)):
        if risk.load_risk_models(path) is not None:  # another session trained them while this one waited
            return
        people = synthetic.segmented_population(icb_code, seed=seed)
        with st.status("Training the risk models on the SYNTHETIC population ...", expanded=True) as status:
            st.caption("This happens once per ICB; the fitted models are saved and reused.")
            bar = st.progress(0.0, text="Starting")
            models, _ = risk.load_or_train(
                people, path, progress=lambda share, text: bar.progress(min(max(share, 0.0), 1.0), text=text)
            )
            seconds = sum(models.training_seconds.values())
            status.update(
                label=f"Trained three risk models in {seconds:.0f} s (saved for reuse)",
                state="complete",
                expanded=False,
            )


class ModelsNotStored(LookupError):
    """No usable stored models yet (none, or made by another version)."""


@st.cache_resource(show_spinner="Loading the risk models ...", max_entries=4)
def _models(icb_code: str, seed: int, fraction: float, version: str) -> risk.RiskModels:
    models = risk.load_risk_models(_model_path(icb_code, seed, fraction))
    if models is None:
        raise ModelsNotStored("the risk models are not stored; call ensure_risk_models first")
    return models


def risk_models(icb_code: str, *, seed: int = synthetic.DEFAULT_SEED) -> risk.RiskModels:
    """The ICB's fitted risk models and model card (shared, read-only), trained with progress on first use."""
    fraction = synthetic.sample_fraction()
    try:
        return _models(icb_code, seed, fraction, MODEL_VERSION)  # cached: no file read on later reruns
    except ModelsNotStored:
        ensure_risk_models(icb_code, seed=seed)
        return _models(icb_code, seed, fraction, MODEL_VERSION)


def stored_models(icb_code: str, *, seed: int = synthetic.DEFAULT_SEED) -> risk.RiskModels | None:
    """The ICB's fitted risk models if they are already stored, else None (never trains)."""
    try:
        return _models(icb_code, seed, synthetic.sample_fraction(), MODEL_VERSION)
    except ModelsNotStored:
        return None


def models_stored(icb_code: str, *, seed: int = synthetic.DEFAULT_SEED) -> bool:
    """Whether the ICB's risk models are stored in the data directory (a file check: nothing is loaded)."""
    return _model_path(icb_code, seed, synthetic.sample_fraction()).exists()


def model_tier_summary(
    footprint: geography.Footprint, *, include_opted_out: bool, seed: int = synthetic.DEFAULT_SEED
) -> pd.DataFrame | None:
    """The footprint's people by the fitted model's risk tier (suppressed, as on the Risk stratification page), or
    None while the ICB's models are not trained. Pages that must not start a minute of training (segments, the
    presentation) use this and fall back to the interim points score."""
    if stored_models(footprint.icb_code, seed=seed) is None:
        return None
    content = pyramid_content(footprint, include_opted_out, seed, synthetic.sample_fraction(), MODEL_VERSION)
    return content["summary"]


INTERIM_TIERS_NOTE = (
    "Interim tiers from a points score (age, conditions, frailty, last year's admissions): the fitted risk model's "
    "tiers replace them here once it has been trained on the Risk stratification page."
)
MODEL_TIERS_NOTE = "Tiers from the fitted emergency admission risk model (see Risk stratification)."


@st.cache_resource(show_spinner="Scoring everyone's risk ...", max_entries=4)
def _scored(icb_code: str, seed: int, fraction: float, version: str) -> pd.DataFrame:
    people = synthetic.segmented_population(icb_code, seed=seed)
    return risk.score_people(_models(icb_code, seed, fraction, version), people)


def scored_population(icb_code: str, *, seed: int = synthetic.DEFAULT_SEED) -> pd.DataFrame:
    """The ICB's people alive at the index date, with segment, model risk and model risk tier (shared; read-only)."""
    risk_models(icb_code, seed=seed)
    return _scored(icb_code, seed, synthetic.sample_fraction(), MODEL_VERSION)


def footprint_people(footprint: geography.Footprint, *, include_opted_out: bool, seed: int) -> pd.DataFrame:
    """The footprint's scored people, without those who opted out unless ``include_opted_out``."""
    people = _scored(footprint.icb_code, seed, synthetic.sample_fraction(), MODEL_VERSION)
    selected = segmentation.select_people(people, footprint, data.lsoas_of(footprint))
    return selected if include_opted_out else selected.loc[~selected["opted_out"].to_numpy(dtype=bool)]


@st.cache_data(show_spinner="Summarising the risk tiers ...", max_entries=128)
def pyramid_content(
    footprint: geography.Footprint, include_opted_out: bool, seed: int, fraction: float, version: str
) -> dict:
    """Suppressed summaries of the footprint's people by model risk tier, and the tiers' starting risks."""
    people = footprint_people(footprint, include_opted_out=include_opted_out, seed=seed)
    everyone = _scored(footprint.icb_code, seed, fraction, version)
    return {
        "name": geography.footprint_name(data.lsoa_for(footprint), footprint),
        "people": len(people),
        "summary": segmentation.risk_summary(people),
        "thresholds": risk.tier_thresholds(everyone["risk_probability"].to_numpy()),
        "mean_risk": {
            tier: float(group.mean())
            for tier, group in people.groupby("risk_tier", observed=False)["risk_probability"]
            if len(group) >= 8
        },
    }


def _percent(label: str) -> st.column_config.NumberColumn:
    return st.column_config.NumberColumn(label, format="percent")


def show_calibration_summary(card: dict) -> None:
    """The calibration measures of each model, as a table."""
    st.dataframe(
        risk.calibration_summary_frame(card),
        hide_index=True,
        width="stretch",
        column_config={
            "label": "Model",
            "in_the_large": st.column_config.NumberColumn("In the large (points)", format="%+.2f"),
            "mean_absolute_error": st.column_config.NumberColumn("Mean absolute error (points)", format="%.2f"),
            "largest_group_error": st.column_config.NumberColumn("Largest tenth's error (points)", format="%.2f"),
            "slope": st.column_config.NumberColumn("Calibration slope", format="%.2f"),
        },
    )


def show_top_shares(card: dict) -> None:
    """Sensitivity and PPV at each top share, one row per model and share."""
    st.dataframe(
        risk.top_share_frame(card),
        hide_index=True,
        width="stretch",
        column_config={
            "label": "Model",
            "top": "Flagged",
            "threshold": _percent("Risk at least"),
            "flagged": st.column_config.NumberColumn("People flagged", format="localized"),
            "true_positives": st.column_config.NumberColumn("Of whom admitted", format="localized"),
            "sensitivity": _percent("Sensitivity"),
            "ppv": _percent("PPV"),
        },
    )


def show_equity_table(table: pd.DataFrame) -> None:
    """Performance by group at one threshold (suppressed cells blank)."""
    columns = ["group", "people", "admitted", "flagged", "share_flagged", "sensitivity", "ppv", "auroc"]
    st.dataframe(
        table[columns],
        hide_index=True,
        width="stretch",
        column_config={
            "group": "Group",
            "people": st.column_config.NumberColumn("Held-out people", format="localized"),
            "admitted": st.column_config.NumberColumn("Admitted", format="localized"),
            "flagged": st.column_config.NumberColumn("Flagged", format="localized"),
            "share_flagged": _percent("Share flagged"),
            "sensitivity": _percent("Sensitivity"),
            "ppv": _percent("PPV"),
            "auroc": st.column_config.NumberColumn("AUROC in the group", format="%.3f"),
        },
    )


def pyramid_headline(summary: pd.DataFrame, content: dict) -> str:
    """A few sentences beside the pyramid: the tiers' mean risk, and the high tier's share of cost and admissions."""
    lines = []
    names = {"high": "high-risk 5%", "rising": "rising-risk next 15%", "low": "other 80%"}
    for tier, mean in content["mean_risk"].items():
        lines.append(f"- the **{names[tier]}**: on average a **{mean:.0%}** chance of an emergency admission")
    text = "Predicted chance of an emergency admission in the next 12 months:\n\n" + "\n".join(lines)
    high = summary.set_index("risk_tier").loc["high"]
    if high.notna()[["share_of_cost", "share_of_next_year_admissions"]].all():
        text += (
            f"\n\nThe high-risk 5% had **{high['share_of_cost']:.0%}** of last year's cost and went on to have "
            f"**{high['share_of_next_year_admissions']:.0%}** of the next year's emergency admissions."
        )
    return text
