"""Streamlit helpers of the scenarios page: choosing the cohort, editing the assumptions (low, most likely and
high of each), the comparison and its audited export.

The scenarios a user adds to the comparison (at most three) live in ``st.session_state[COMPARISON_STATE]``: their
settings, assumptions and suppressed summaries only, per user; nothing about a scenario is cached across users.
Downloading the comparison needs a reason and writes an export audit row (cohort_store, kind
``scenario_comparison``) when the button is clicked, like the cohort builder's aggregates.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import streamlit as st

from cohort_store import exports, repository
from cohort_store.models import ExportKind
from phm_core import cohorts
from phm_core import scenarios as sc
from phm_core.cohorts import CohortCriteria, CohortDefinition
from ui import cohorts as cohorts_ui
from ui import data

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


#: Words that already say who a cohort is ("children (0-15) with asthma"): no "people" before them.
GROUP_NOUNS = frozenset({"people", "children", "adults", "residents", "patients", "women", "men"})


def choose_cohort(intervention: sc.Intervention, icb_code: str) -> tuple[CohortCriteria | CohortDefinition, str]:
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
        return CohortDefinition.from_dict(saved[chosen].criteria), f"the saved cohort '{saved[chosen].name}'"
    text = intervention.cohort_text
    return intervention.cohort, text if text.split(" ", 1)[0] in GROUP_NOUNS else f"people {text}"


def _follow_value(spec: sc.AssumptionSpec, keys: tuple[str, str, str], previous: float) -> None:
    """A new most likely value: the range moves with it unless the user set the range (a widget callback)."""
    state = st.session_state
    state[keys[0]], state[keys[2]] = spec.follow(previous, state[keys[1]], state[keys[0]], state[keys[2]])


def _assumption_input(spec: sc.AssumptionSpec, key: str) -> sc.Assumption | None:
    """Low, most likely and high of one assumption in a row, with its source below; None (and a message beside the
    inputs) when they cannot be used."""
    keys = (f"{key}_low", key, f"{key}_high")
    for widget_key, default in zip(keys, spec.defaults(), strict=True):
        if st.session_state.get(widget_key) is None:
            st.session_state[widget_key] = default
    a = spec.assumption
    st.markdown(f"**{spec.label}** ({spec.unit})")
    options = {
        "min_value": spec.lower,
        "max_value": spec.upper if np.isfinite(spec.upper) else None,
        "step": 1.0 if spec.unit == "%" else 10.0,
        "format": "%g",
    }
    low_column, value_column, high_column = st.columns(3)
    low = low_column.number_input("Low", key=keys[0], **options)
    value = value_column.number_input(
        "Most likely",
        key=keys[1],
        on_change=_follow_value,
        args=(spec, keys, st.session_state[keys[1]]),
        help=f"Default {spec.text(a.value)}, range {spec.text(a.low)} to {spec.text(a.high)}. Changing the most "
        "likely value moves the range with it (the same relative uncertainty) until you set low or high yourself. "
        "Each Monte Carlo draw takes a value from a PERT distribution over the range.",
        **options,
    )
    high = high_column.number_input("High", key=keys[2], **options)
    problem = spec.problem(low, value, high)
    result = None if problem else spec.edited(low, value, high)
    if problem:
        st.error(f"{problem} The scenario is not run until this is corrected.", icon=":material/error:")
    source = (result or a).source
    for prefix in ("Assumption: ", "Judgement: "):
        source = source.removeprefix(prefix)
    source = source[:1].upper() + source[1:]
    tag = "Assumption" if (result or a).assumed else "Published evidence"
    st.caption(f"*{tag}.* {source}")
    return result


def assumption_inputs(intervention: sc.Intervention) -> sc.Intervention | None:
    """Editable low, most likely and high of reach, uptake, other cost and each effect, each with its source;
    returns the intervention as edited, or None when an assumption cannot be used (its message says why)."""
    prefix = f"scenario_{intervention.key}"
    specs = sc.assumption_specs(intervention)
    left, right = st.columns(2, gap="large")
    edited: dict[str, sc.Assumption | None] = {}
    for spec in specs:
        with right if spec.key.startswith("effect_") else left:
            edited[spec.key] = _assumption_input(spec, f"{prefix}_{spec.key}")
    if intervention.added_note:
        st.caption(
            f"Activity it adds: {intervention.added_note} (community contact GBP {sc.COMMUNITY_CONTACT_COST:.0f}, "
            "an assumption; other settings at national unit costs)."
        )
    if any(a is None for a in edited.values()):
        return None
    return sc.with_assumptions(intervention, {k: a for k, a in edited.items() if a is not None})


def run_scenario(
    name: str,
    intervention: sc.Intervention,
    people: pd.DataFrame,
    mask: np.ndarray,
    *,
    seed: int,
    draws: int,
    criteria: CohortCriteria | CohortDefinition | None = None,
    cohort: str = "",
) -> dict:
    """Simulate one scenario (seeded) and return what the page shows and the comparison keeps (and exports): its
    name, intervention, cohort in words and criteria, people eligible, seed, draws, assumptions and suppressed
    summary."""
    eligible = int(mask.sum())
    scenario = sc.Scenario(name, intervention, eligible, sc.cohort_baseline(people, mask))
    summary = sc.summarise(sc.simulate(scenario, rng=np.random.default_rng(seed), draws=draws))
    return {
        "name": name,
        "intervention": intervention.label,
        "intervention_key": intervention.key,
        "cohort": cohort,
        "criteria": (criteria or intervention.cohort).to_dict(),
        "eligible": eligible,
        "seed": seed,
        "draws": draws,
        "assumptions": sc.assumption_table(intervention),
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


def assumptions_display(items: list[dict]) -> pd.DataFrame:
    """The assumptions of the scenarios compared, side by side: 'most likely (low to high)', '(yours)' if edited."""
    table = sc.comparison_export(items)
    table = table.loc[table["section"] == "assumption"]
    out = pd.DataFrame(
        {"Assumption": [f"{label} ({unit})" for label, unit in zip(table["label"], table["unit"], strict=True)]}
    )
    for number, item in enumerate(items, start=1):
        column = f"scenario_{number}"
        cells = []
        for low, value, high, text in zip(
            table[f"{column}_low"],
            table[f"{column}_central"],
            table[f"{column}_high"],
            table[f"{column}_text"],
            strict=True,
        ):
            if pd.isna(value):
                cells.append("")
                continue
            mine = " (yours)" if ": Changed by the user" in text else ""
            cells.append(f"{value:,.4g} ({low:,.4g} to {high:,.4g}){mine}")
        out[item["name"]] = cells
    return out


def comparison_csv(items: list[dict]) -> bytes:
    """The comparison as CSV (see phm_core.scenarios.comparison_export; formula-like cells neutralised): the
    bytes an export hands over, before its audit row."""
    return cohorts.to_csv_bytes(sc.comparison_export(items))


def export_file_name(icb_code: str, *, when: datetime | None = None) -> str:
    """A file name that says what the file is, which ICB, when, and that it is synthetic."""
    return f"SYNTHETIC-scenario-comparison-{icb_code}-{(when or datetime.now(UTC)).strftime('%Y%m%d-%H%M%S')}.csv"


def audit_criteria(items: list[dict]) -> dict:
    """What the audit row records about the scenarios exported: each one's name, intervention, cohort (in words and
    its criteria), draws, seed and assumptions (low, most likely, high), and whether opted-out people were in any."""
    scenarios = [
        {
            "name": item["name"],
            "intervention": item["intervention_key"],
            "cohort": item["cohort"],
            "criteria": item["criteria"],
            "draws": item["draws"],
            "seed": item["seed"],
            "assumptions": {a.key: [a.low, a.most_likely, a.high] for a in item["assumptions"].itertuples(index=False)},
        }
        for item in items
    ]
    opted_out = any(bool(item["criteria"].get("include_opted_out", False)) for item in items)
    return {"scenarios": scenarios, "include_opted_out": opted_out}


def export_panel(items: list[dict], *, icb_code: str, footprint_label: str) -> None:
    """The comparison's CSV download, like the cohort builder's aggregates (anyone who can see the page): a reason
    of at least MIN_REASON_LENGTH characters first, and one audit row (kind ``scenario_comparison``, the SHA-256 of
    the bytes) written when the button is clicked."""
    st.markdown(
        "**Download the comparison** (CSV): each scenario's intervention, cohort, people eligible, draws and seed; "
        "every assumption (low, most likely, high and source); every outcome (median and 95% interval)."
    )
    reason = st.text_input(
        "Reason for this export",
        key="scenario_export_reason",
        max_chars=500,
        placeholder="e.g. Frailty business case for the March board",
    )
    table = sc.comparison_export(items)
    name = export_file_name(icb_code)
    exported_by = cohorts_ui.user_label()
    names = "; ".join(item["name"] for item in items)
    geography_version = data.current_geography()

    def _export() -> bytes:
        with cohorts_ui.session() as s:
            content, _ = exports.export_aggregates(
                s,
                table=table,
                reason=reason,
                icb_code=icb_code,
                geography_version=geography_version,
                footprint=footprint_label,
                criteria=audit_criteria(items),
                kind=ExportKind.SCENARIO_COMPARISON,
                exported_by=exported_by,
                cohort_name=f"Scenarios: {names}"[:200],
                name=name,
            )
        return content

    cohorts_ui.audited_download(
        "Download the comparison (CSV)",
        make=_export,
        file_name=name,
        key="scenario_download",
        ready=cohorts_ui.reason_given(reason),
        waiting=cohorts_ui.REASON_WAITING,
    )
