"""Streamlit helpers of the scenarios page: choosing the cohort, editing the assumptions, and the comparison.

The scenarios a user adds to the comparison (at most three) live in ``st.session_state[COMPARISON_STATE]``: their
settings and suppressed summaries only, per user; nothing about a scenario is cached across users.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

from cohort_store import repository
from phm_core import cohorts
from phm_core import scenarios as sc
from phm_core.cohorts import CohortCriteria
from ui import cohorts as cohorts_ui

COMPARISON_STATE = "scenario_comparison"
SOURCE_DEFAULT, SOURCE_BUILDER, SOURCE_SAVED = "default", "builder", "saved"
SOURCE_LABELS = {
    SOURCE_DEFAULT: "The intervention's eligible cohort",
    SOURCE_BUILDER: "The cohort from the cohort builder",
    SOURCE_SAVED: "A saved cohort",
}
DRAW_OPTIONS = (500, 2_000, 10_000)


def choose_intervention() -> sc.Intervention:
    """The intervention selector."""
    key = st.selectbox(
        "Intervention",
        list(sc.INTERVENTIONS),
        format_func=lambda k: sc.INTERVENTIONS[k].label,
        key="scenario_intervention",
    )
    intervention = sc.INTERVENTIONS[key]
    st.caption(intervention.description)
    return intervention


def choose_cohort(intervention: sc.Intervention, icb_code: str) -> tuple[CohortCriteria, str]:
    """Which people the scenario is for: the intervention's default cohort, the builder's or a saved one."""
    options = [SOURCE_DEFAULT]
    builder = cohorts_ui.current_criteria()
    if builder is not None:
        options.append(SOURCE_BUILDER)
    with cohorts_ui.session() as s:
        saved = {c.id: c for c in repository.list_cohorts(s, icb_code=icb_code)}
    if saved:
        options.append(SOURCE_SAVED)
    if st.session_state.get("scenario_cohort_source") not in options:
        st.session_state["scenario_cohort_source"] = SOURCE_DEFAULT
    source = st.radio("People", options, format_func=SOURCE_LABELS.__getitem__, key="scenario_cohort_source")
    if source == SOURCE_BUILDER and builder is not None:
        return builder, "the cohort from the cohort builder"
    if source == SOURCE_SAVED and saved:
        chosen = st.selectbox(
            "Saved cohort", list(saved), format_func=lambda i: saved[i].name, key="scenario_saved_cohort"
        )
        return CohortCriteria.from_dict(saved[chosen].criteria), f"the saved cohort '{saved[chosen].name}'"
    return intervention.cohort, f"people {intervention.cohort_text}"


def _assumption_input(label: str, assumption: sc.Assumption, key: str, *, percent: bool) -> sc.Assumption:
    shown = assumption.value * 100 if percent else assumption.value
    value = st.number_input(
        f"{label} ({'%' if percent else 'GBP'})",
        min_value=-100.0 if percent and "effect" in key else 0.0,
        max_value=100.0 if percent else 100_000.0,
        value=float(round(shown, 2)),
        step=1.0 if percent else 10.0,
        key=key,
        help=f"Default {shown:g}{'%' if percent else ' GBP'}, range {assumption.low * (100 if percent else 1):g} to "
        f"{assumption.high * (100 if percent else 1):g} (a changed value scales the range with it). "
        f"Source: {assumption.source}",
    )
    value = value / 100 if percent else value
    result = assumption
    if abs(value - assumption.value) >= 1e-9:
        bounds = {"lower": -1.0 if "effect" in key else 0.0, "upper": 1.0} if percent else {"lower": 0.0}
        result = assumption.with_value(value, **bounds)
    source = result.source
    for prefix in ("Assumption: ", "Judgement: "):
        source = source.removeprefix(prefix)
    tag = "Assumption" if result.assumed else "Published evidence"
    st.caption(f"*{tag}.* {source}")
    return result


def assumption_inputs(intervention: sc.Intervention) -> sc.Intervention:
    """Editable reach, uptake, effects and cost, each with its source; returns the intervention as edited."""
    prefix = f"scenario_{intervention.key}"
    left, right = st.columns(2)
    with left:
        reach = _assumption_input("Reach", intervention.reach, f"{prefix}_reach", percent=True)
        uptake = _assumption_input("Uptake", intervention.uptake, f"{prefix}_uptake", percent=True)
        cost = _assumption_input(
            "Other cost per participant", intervention.cost_per_participant, f"{prefix}_cost", percent=False
        )
    with right:
        effects = {
            kind: _assumption_input(
                f"Effect on {sc.REDUCIBLE[kind].lower()}", assumption, f"{prefix}_effect_{kind}", percent=True
            )
            for kind, assumption in intervention.effects.items()
        }
    if intervention.added_note:
        st.caption(
            f"Activity it adds: {intervention.added_note} (community contact GBP {sc.COMMUNITY_CONTACT_COST:.0f}, "
            "an assumption; other settings at national unit costs)."
        )
    return replace(intervention, reach=reach, uptake=uptake, effects=effects, cost_per_participant=cost)


def run_scenario(
    name: str, intervention: sc.Intervention, people: pd.DataFrame, mask: np.ndarray, *, seed: int, draws: int
) -> dict:
    """Simulate one scenario (seeded) and return what the page shows and the comparison keeps."""
    eligible = int(mask.sum())
    scenario = sc.Scenario(name, intervention, eligible, sc.cohort_baseline(people, mask))
    summary = sc.summarise(sc.simulate(scenario, rng=np.random.default_rng(seed), draws=draws))
    return {
        "name": name,
        "intervention": intervention.label,
        "eligible": eligible,
        "seed": seed,
        "draws": draws,
        "summary": sc.suppress_small(summary, eligible=eligible),
        "baseline": scenario.baseline,
    }


def show_summary(result: dict) -> None:
    """One scenario's outcomes: median and 95% interval."""
    table = result["summary"]
    shown = table.loc[~table["outcome"].str.endswith("_change"), ["label", "median", "low", "high"]].copy()
    for column in ("median", "low", "high"):
        shown[column] = pd.array(shown[column].round(), dtype="Float64").astype("Int64")
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "label": "Outcome in a year",
            "median": st.column_config.NumberColumn("Median", format="localized"),
            "low": st.column_config.NumberColumn("95% interval from", format="localized"),
            "high": st.column_config.NumberColumn("to", format="localized"),
        },
    )


def comparison() -> list[dict]:
    """The scenarios this user has added to the comparison (at most three)."""
    return st.session_state.setdefault(COMPARISON_STATE, [])


def add_to_comparison(result: dict) -> None:
    """Add (or replace, by name) a scenario in the comparison; the oldest drops out beyond three."""
    items = [r for r in comparison() if r["name"] != result["name"]]
    items.append(result)
    st.session_state[COMPARISON_STATE] = items[-sc.MAX_SCENARIOS :]


def remove_from_comparison(name: str) -> None:
    """Take a scenario out of the comparison (a button callback)."""
    st.session_state[COMPARISON_STATE] = [r for r in comparison() if r["name"] != name]


def comparison_csv(items: list[dict]) -> bytes:
    """The comparison as CSV (modelled figures rounded; eligible cohorts of 1 to 7 suppressed)."""
    table = sc.comparison_table({r["name"]: r["summary"] for r in items}, {r["name"]: r["eligible"] for r in items})
    table.insert(0, "data", "SYNTHETIC")
    settings = pd.DataFrame(
        [
            {
                "data": "SYNTHETIC",
                "outcome": "settings",
                "label": f"{r['name']}: {r['intervention']}; {r['draws']:,} draws, seed {r['seed']}",
            }
            for r in items
        ]
    )
    return cohorts.to_csv_bytes(pd.concat([table, settings], ignore_index=True))
