"""Streamlit helpers of the cohort builder: the criteria widgets, the shared index, saved cohorts and exports.

The index of an ICB's scored people (phm_core.cohorts.CohortIndex) is built once and shared by every user
(``st.cache_resource``, read-only). The cohort a user is building (phm_core.cohorts.CohortDefinition: groups of
criteria combined with "or", and exclusions) lives in their widgets, one set per group (keys from
``group_prefix``), and, so that it survives a visit to another page (the scenarios page uses it), in
``st.session_state[CRITERIA_STATE]`` (``CohortDefinition.to_dict``). Saved cohorts and
export audit rows are in the app's database (cohort_store).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from cohort_store import exports, repository
from cohort_store.models import MIN_REASON_LENGTH, ExportKind
from phm_core import cohorts, geography, geoversions, settings
from phm_core.cohorts import MAX_AGE, MAX_EXCLUSIONS, MAX_GROUPS, CohortCriteria, CohortDefinition, CohortIndex
from phm_core.segmentation import RISK_TIER_LABELS, RISK_TIERS, SEGMENT_KEYS, SEGMENT_LABELS
from phm_core.synth.schema import CONDITION_LABELS, CONDITION_NAMES, FRAILTY_CATEGORIES, SEXES
from ui import access, cohort_db, data, single_use_downloads, synthetic
from ui import risk as risk_ui
from ui.footprint import choose

CRITERIA_STATE = "cohort_current"
NAME_STATE = "cohort_current_name"
MAX_LTC = 10
YES_NO = {"any": "Any", "yes": "Yes", "no": "No"}
AIR_QUALITY_OPTIONS: dict[str, float | None] = {
    "Anywhere": None,
    "Most polluted 10%": 0.1,
    "Most polluted 20%": 0.2,
    "Most polluted 40%": 0.4,
}
LIST_REASONS = (
    "Direct care: proactive review of the people listed by their practice",
    "Direct care: multidisciplinary team case finding",
    "Direct care: offer of an intervention to the people listed",
)


# --- database -----------------------------------------------------------------------------------------------------


engine, session = cohort_db.engine, cohort_db.session  # the cohort store's tables, shared with other pages


# --- the shared index ---------------------------------------------------------------------------------------------


@st.cache_resource(show_spinner="Indexing the population for the cohort builder ...", max_entries=4)
def _index(icb_code: str, seed: int, fraction: float, version: str) -> CohortIndex:
    return CohortIndex.from_people(risk_ui.scored_population(icb_code, seed=seed))


def cohort_index(icb_code: str, *, seed: int = synthetic.DEFAULT_SEED) -> CohortIndex:
    """The ICB's cohort index (shared, read-only), after the population and risk models are ready."""
    risk_ui.scored_population(icb_code, seed=seed)
    return _index(icb_code, seed, synthetic.sample_fraction(), risk_ui.MODEL_VERSION)


@st.cache_resource(show_spinner=False, max_entries=64)
def _footprint_mask(footprint: geography.Footprint, seed: int, fraction: float, version: str) -> np.ndarray:
    people = risk_ui.scored_population(footprint.icb_code, seed=seed)
    lsoas = data.lsoas_of(footprint)
    if footprint.level == "icb":
        return np.ones(len(people), dtype=bool)
    if footprint.level == "pcn" and footprint.area_code:
        return people["pcn_code"].astype("string").to_numpy() == footprint.area_code
    return people["lsoa21_code"].isin(lsoas["lsoa21_code"]).to_numpy()


def footprint_mask(footprint: geography.Footprint, *, seed: int = synthetic.DEFAULT_SEED) -> np.ndarray:
    """True for each person of the ICB who belongs to the footprint (shared, read-only)."""
    return _footprint_mask(footprint, seed, synthetic.sample_fraction(), risk_ui.MODEL_VERSION)


@st.cache_data(show_spinner=False, max_entries=16)
def area_names(icb_code: str) -> dict[str, dict[str, str]]:
    """Names of the ICB's places, PCNs and practices, by code."""
    geography = data.version_of_icb(icb_code)
    lsoa = data.lsoa_table(geography)
    places = lsoa.loc[lsoa["icb_code"] == icb_code].drop_duplicates("ltla24_code")
    practices = data.practices(geography)
    practices = practices.loc[practices["icb_code"] == icb_code]
    pcns = practices.drop_duplicates("pcn_code")
    return {
        "place": dict(zip(places["ltla24_code"], places["ltla24_name"], strict=True)),
        "pcn": {**dict(zip(pcns["pcn_code"], pcns["pcn_name"], strict=True)), "U": "Not in a PCN"},
        "practice": {
            code: f"{str(name).title()} ({code})"
            for code, name in zip(practices["practice_code"], practices["practice_name"], strict=True)
        },
    }


def cohort_page_data(
    footprint: geography.Footprint, lsoa: pd.DataFrame
) -> tuple[pd.DataFrame, CohortIndex, np.ndarray, dict[str, dict[str, str]], str]:
    """What the cohort builder and scenarios pages start from: the ICB's scored people (generating the population
    and training the risk models with progress on first use), the cohort index, the footprint's mask, area names
    and the footprint's name."""
    synthetic.segmented_population(footprint.icb_code)
    people = risk_ui.scored_population(footprint.icb_code)
    return (
        people,
        cohort_index(footprint.icb_code),
        footprint_mask(footprint),
        area_names(footprint.icb_code),
        geography.footprint_name(lsoa, footprint),
    )


@st.cache_resource(show_spinner="Preparing the map ...", max_entries=64)
def _shapes(footprint: geography.Footprint, seed: int, fraction: float, version: str) -> tuple[list, np.ndarray]:
    index = _index(footprint.icb_code, seed, fraction, version)
    inside = _footprint_mask(footprint, seed, fraction, version)
    present = np.unique(index.lsoa[inside])
    codes = [index.categories["lsoa"][i] for i in present if i >= 0]
    lsoa = data.lsoa_for(footprint)
    lsoas = lsoa.loc[lsoa["lsoa21_code"].isin(codes)]
    boundaries = data.boundaries("lsoa")
    bounds = boundaries.loc[boundaries["lsoa21_code"].isin(codes)].total_bounds
    return cohorts.lsoa_shapes(lsoas, boundaries), bounds


def map_shapes(footprint: geography.Footprint, *, seed: int = synthetic.DEFAULT_SEED) -> tuple[list, np.ndarray]:
    """The polygons of the LSOAs where the footprint's people live, and their bounds (shared, read-only)."""
    return _shapes(footprint, seed, synthetic.sample_fraction(), risk_ui.MODEL_VERSION)


# --- criteria <-> widgets ---------------------------------------------------------------------------------------

OPTED_OUT_KEY = "cohort_include_opted_out"
GROUPS_STATE = "cohort_group_count"  # how many "or people who ..." groups are shown (1 to MAX_GROUPS)
EXCLUSIONS_STATE = "cohort_exclusion_count"  # how many "except people who ..." groups are shown (0 to MAX_EXCLUSIONS)
EMPTY_GROUP_NOTE = "Nothing chosen in this group yet: it adds nobody until you choose a criterion."
EMPTY_EXCLUSION_NOTE = "Nothing chosen here yet: it removes nobody until you choose a criterion."


def group_prefix(position: int, *, exclusion: bool = False) -> str:
    """The widget keys' prefix of a group: ``cohort_`` for the first (the keys used before groups existed),
    ``cohort_or2_`` and ``cohort_or3_`` for the other groups, ``cohort_not1_`` and ``cohort_not2_`` for the
    exclusions."""
    if exclusion:
        return f"cohort_not{position + 1}_"
    return "cohort_" if position == 0 else f"cohort_or{position + 1}_"


def group_title(
    group: CohortCriteria, position: int, *, exclusion: bool = False, names: dict[str, dict[str, str]] | None = None
) -> str:
    """A group's heading, in the words of the cohort's sentence: 'Or people who ...' until it has a criterion,
    then what it holds ('Or people aged 65 or over and who fell in the last 12 months')."""
    lead = ("Except " if position == 0 else "Also except ") if exclusion else ("" if position == 0 else "Or ")
    words = "people who ..." if group.is_empty() else cohorts.describe_group(group, names=names)
    title = lead + words
    return title[:1].upper() + title[1:]


def _markdown_text(text: str) -> str:
    """Plain text safe inside st.markdown (no emphasis, links or LaTeX from a practice's name)."""
    return "".join("\\" + ch if ch in "\\*_$[]`<>#" else ch for ch in text)


def _flag(value: bool | None) -> str:
    return "any" if value is None else ("yes" if value else "no")


def _unflag(value: str) -> bool | None:
    return None if value == "any" else value == "yes"


def state_from_criteria(criteria: CohortCriteria, prefix: str = "cohort_") -> dict[str, object]:
    """The widget values (by key) that show one group's ``criteria`` (its opt-out setting is not a group's)."""
    c = criteria
    air = next((label for label, share in AIR_QUALITY_OPTIONS.items() if share == c.air_quality_worst_share), None)
    values = {
        "age": (c.age_min, c.age_max),
        "sexes": list(c.sexes),
        "segments": list(c.segments),
        "conditions": list(c.conditions),
        "condition_match": c.condition_match,
        "ltc": (min(c.ltc_min, MAX_LTC), MAX_LTC if c.ltc_max is None else min(c.ltc_max, MAX_LTC)),
        "frailty": list(c.frailty),
        "medicines_min": c.medicines_min,
        "falls_min": c.falls_min,
        "palliative_care": _flag(c.palliative_care),
        "care_home": _flag(c.care_home),
        "smoker_in_household": _flag(c.smoker_in_household),
        "risk_tiers": list(c.risk_tiers),
        "imd_quintiles": list(c.imd_quintiles),
        "places": list(c.places),
        "pcns": list(c.pcns),
        "practices": list(c.practices),
        "air_quality": air or "Anywhere",
    }
    return {prefix + key: value for key, value in values.items()}


def criteria_from_state(state: Mapping[str, object], prefix: str = "cohort_") -> CohortCriteria:
    """One group's criteria as its widgets (by key) show them; missing keys take the defaults."""
    default = state_from_criteria(CohortCriteria(), prefix)
    value: dict[str, Any] = {key.removeprefix(prefix): state.get(key, fallback) for key, fallback in default.items()}
    ltc_min, ltc_max = value["ltc"]
    return CohortCriteria(
        age_min=int(value["age"][0]),
        age_max=int(value["age"][1]),
        sexes=tuple(value["sexes"]),
        segments=tuple(value["segments"]),
        conditions=tuple(value["conditions"]),
        condition_match=value["condition_match"],
        ltc_min=int(ltc_min),
        ltc_max=None if ltc_max >= MAX_LTC else int(ltc_max),
        frailty=tuple(value["frailty"]),
        medicines_min=int(value["medicines_min"]),
        falls_min=int(value["falls_min"]),
        palliative_care=_unflag(value["palliative_care"]),
        care_home=_unflag(value["care_home"]),
        smoker_in_household=_unflag(value["smoker_in_household"]),
        risk_tiers=tuple(value["risk_tiers"]),
        imd_quintiles=tuple(int(q) for q in value["imd_quintiles"]),
        places=tuple(value["places"]),
        pcns=tuple(value["pcns"]),
        practices=tuple(value["practices"]),
        air_quality_worst_share=AIR_QUALITY_OPTIONS[value["air_quality"]],
    )


def state_from_definition(definition: CohortDefinition) -> dict[str, object]:
    """The widget values (by key) of every group and exclusion of ``definition``, and how many of each to show."""
    values: dict[str, object] = {
        GROUPS_STATE: len(definition.groups),
        EXCLUSIONS_STATE: len(definition.exclusions),
        OPTED_OUT_KEY: definition.include_opted_out,
    }
    for position, group in enumerate(definition.groups):
        values.update(state_from_criteria(group, group_prefix(position)))
    for position, group in enumerate(definition.exclusions):
        values.update(state_from_criteria(group, group_prefix(position, exclusion=True)))
    return values


def definition_from_state(state: Mapping[str, object]) -> CohortDefinition:
    """The cohort the widgets (by key) show: its groups (empty ones kept, as shown) and exclusions."""
    groups = int(state.get(GROUPS_STATE, 1))  # type: ignore[call-overload]
    exclusions = int(state.get(EXCLUSIONS_STATE, 0))  # type: ignore[call-overload]
    return CohortDefinition(
        groups=tuple(criteria_from_state(state, group_prefix(i)) for i in range(groups)),
        exclusions=tuple(criteria_from_state(state, group_prefix(i, exclusion=True)) for i in range(exclusions)),
        include_opted_out=bool(state.get(OPTED_OUT_KEY, False)),
    )


def load_criteria(cohort: CohortCriteria | CohortDefinition, *, name: str | None = None) -> None:
    """Put a cohort (plain criteria or a definition) into the widgets (call from a callback, before the widgets
    are drawn)."""
    definition = CohortDefinition.of(cohort)
    st.session_state.update(state_from_definition(definition))
    st.session_state[CRITERIA_STATE] = definition.to_dict()
    st.session_state[NAME_STATE] = name


def current_criteria() -> CohortDefinition | None:
    """The cohort last built on the cohort builder in this session (None if none): a definition, which
    ``CohortIndex.mask``, ``count`` and ``cohorts.describe_criteria`` accept."""
    stored = st.session_state.get(CRITERIA_STATE)
    return CohortDefinition.from_dict(stored) if stored else None


def _restore_widgets() -> None:
    """Widget values are dropped when the user leaves the page: put back the cohort they showed."""
    stored = st.session_state.get(CRITERIA_STATE)
    if stored and "cohort_age" not in st.session_state:
        st.session_state.update(state_from_definition(CohortDefinition.from_dict(stored)))


def _options(index: CohortIndex, key: str, inside: np.ndarray) -> list[str]:
    codes = np.unique(getattr(index, key)[inside])
    return [index.categories[key][c] for c in codes if c >= 0]


def _group_widgets(prefix: str, options: dict[str, list[str]], names: dict[str, dict[str, str]]) -> None:
    """The criteria widgets of one group, in three tabs."""
    person, health, place = st.tabs(["Person", "Health and care", "Place and risk"])
    with person:
        left, right = st.columns(2)
        left.slider("Age", 0, MAX_AGE, key=f"{prefix}age")
        right.multiselect("Sex", list(SEXES), format_func=cohorts.SEX_LABELS.__getitem__, key=f"{prefix}sexes")
        left.multiselect(
            "Segment (Bridges to Health)",
            list(SEGMENT_KEYS),
            format_func=SEGMENT_LABELS.__getitem__,
            key=f"{prefix}segments",
        )
        right.selectbox(
            "A smoker in the household",
            list(YES_NO),
            format_func=YES_NO.__getitem__,
            key=f"{prefix}smoker_in_household",
        )
    with health:
        left, right = st.columns(2)
        left.multiselect(
            "Long-term conditions (QOF registers)",
            list(CONDITION_NAMES),
            format_func=CONDITION_LABELS.__getitem__,
            key=f"{prefix}conditions",
        )
        left.radio(
            "People with",
            ["all", "any"],
            format_func={"all": "all of them", "any": "any of them"}.__getitem__,
            horizontal=True,
            key=f"{prefix}condition_match",
        )
        right.slider(
            "Number of long-term conditions (multimorbidity)",
            0,
            MAX_LTC,
            key=f"{prefix}ltc",
            help=f"{MAX_LTC} at the top means {MAX_LTC} or more.",
        )
        right.multiselect(
            "Frailty (eFI, aged 65+)",
            list(FRAILTY_CATEGORIES),
            format_func=cohorts.FRAILTY_LABELS.__getitem__,
            key=f"{prefix}frailty",
        )
        columns = st.columns(4)
        columns[0].number_input("Regular medicines at least", 0, 30, key=f"{prefix}medicines_min")
        columns[1].number_input("Falls in the last year at least", 0, 20, key=f"{prefix}falls_min")
        columns[2].selectbox(
            "Palliative care register", list(YES_NO), format_func=YES_NO.__getitem__, key=f"{prefix}palliative_care"
        )
        columns[3].selectbox(
            "Lives in a care home", list(YES_NO), format_func=YES_NO.__getitem__, key=f"{prefix}care_home"
        )
    with place:
        left, right = st.columns(2)
        left.multiselect(
            "Risk tier (emergency admission model)",
            list(RISK_TIERS),
            format_func=RISK_TIER_LABELS.__getitem__,
            key=f"{prefix}risk_tiers",
        )
        right.multiselect(
            "Deprivation quintile (1 = most deprived fifth of England)",
            [1, 2, 3, 4, 5],
            key=f"{prefix}imd_quintiles",
        )
        left.multiselect(
            "Place", options["place"], format_func=lambda c: names["place"].get(c, c), key=f"{prefix}places"
        )
        right.multiselect(
            "Neighbourhood (PCN)", options["pcn"], format_func=lambda c: names["pcn"].get(c, c), key=f"{prefix}pcns"
        )
        left.multiselect(
            "GP practice",
            options["practice"],
            format_func=lambda c: names["practice"].get(c, c),
            key=f"{prefix}practices",
        )
        right.selectbox(
            "Air quality where they live",
            list(AIR_QUALITY_OPTIONS),
            key=f"{prefix}air_quality",
            help="LSOAs ranked by the IoD air quality indicator; the most polluted holding this share of residents.",
        )


def _change_groups(*, add: bool, exclusion: bool, position: int = 0) -> None:
    """Add an empty group (or exclusion) at the end, or remove one; the others keep their criteria (a callback)."""
    definition = definition_from_state(st.session_state)
    parts = list(definition.exclusions if exclusion else definition.groups)
    if add:
        parts.append(CohortCriteria())
    else:
        del parts[position]
    changed = replace(definition, **{"exclusions" if exclusion else "groups": tuple(parts)})
    load_criteria(changed, name=st.session_state.get(NAME_STATE))


def _group_box(
    group: CohortCriteria,
    position: int,
    *,
    exclusion: bool,
    removable: bool,
    note: str | None,
    options: dict[str, list[str]],
    names: dict[str, dict[str, str]],
) -> None:
    prefix = group_prefix(position, exclusion=exclusion)
    with st.container(border=True, key=f"{prefix}box"):
        title, remove = st.columns([6, 1], vertical_alignment="center")
        title.markdown(f"**{_markdown_text(group_title(group, position, exclusion=exclusion, names=names))}**")
        if removable:
            remove.button(
                "Remove",
                key=f"{prefix}remove",
                on_click=_change_groups,
                kwargs={"add": False, "exclusion": exclusion, "position": position},
                icon=":material/close:",
                type="tertiary",
                help="Remove this group and its criteria.",
            )
        if note:
            st.caption(note)
        _group_widgets(prefix, options, names)


def criteria_widgets(index: CohortIndex, inside: np.ndarray, names: dict[str, dict[str, str]]) -> CohortDefinition:
    """Draw the groups of criteria ("people who ...", "or people who ...", "except people who ...") with the
    buttons that add and remove them, and return the cohort they show (also kept in the session)."""
    _restore_widgets()
    st.session_state.setdefault(GROUPS_STATE, 1)
    st.session_state.setdefault(EXCLUSIONS_STATE, 0)
    shown = CohortDefinition(
        groups=(CohortCriteria(),) * int(st.session_state[GROUPS_STATE]),
        exclusions=(CohortCriteria(),) * int(st.session_state[EXCLUSIONS_STATE]),
    )
    for key, value in state_from_definition(shown).items():
        st.session_state.setdefault(key, value)
    definition = definition_from_state(st.session_state)
    options = {key: _options(index, key, inside) for key in ("place", "pcn", "practice")}
    several = len(definition.groups) > 1
    for position, group in enumerate(definition.groups):
        _group_box(
            group,
            position,
            exclusion=False,
            removable=several,
            note=EMPTY_GROUP_NOTE if several and group.is_empty() else None,
            options=options,
            names=names,
        )
    for position, group in enumerate(definition.exclusions):
        _group_box(
            group,
            position,
            exclusion=True,
            removable=True,
            note=EMPTY_EXCLUSION_NOTE if group.is_empty() else None,
            options=options,
            names=names,
        )
    add_or, add_except, opted_out, clear = st.columns([1, 1, 1.2, 1], vertical_alignment="center")
    add_or.button(
        "Or people who ...",
        key="cohort_add_group",
        on_click=_change_groups,
        kwargs={"add": True, "exclusion": False},
        icon=":material/add:",
        disabled=len(definition.groups) >= MAX_GROUPS,
        help=f"Add a group of other people to the cohort (at most {MAX_GROUPS} groups): anyone who meets every "
        "criterion of at least one group is in it.",
    )
    add_except.button(
        "Also except people who ..." if definition.exclusions else "Except people who ...",
        key="cohort_add_exclusion",
        on_click=_change_groups,
        kwargs={"add": True, "exclusion": True},
        icon=":material/block:",
        disabled=len(definition.exclusions) >= MAX_EXCLUSIONS,
        help=f"Leave out the people who meet every criterion of an exclusion group (at most {MAX_EXCLUSIONS}).",
    )
    opted_out.toggle(
        "Include people who opted out",
        key=OPTED_OUT_KEY,
        help="People with a national data opt-out are excluded by default, as they would be from a real extract.",
    )
    clear.button("Clear all criteria", key="cohort_clear", on_click=reset_criteria, icon=":material/restart_alt:")
    if st.session_state.get(CRITERIA_STATE) != definition.to_dict():
        st.session_state[CRITERIA_STATE] = definition.to_dict()
    return definition


def describe(definition: CohortDefinition, names: dict[str, dict[str, str]], place_name: str) -> str:
    """The cohort in words for the page: every criterion, or a sentence with "or" and "except" for groups."""
    if definition.is_empty():
        opted_out = "included" if definition.include_opted_out else "excluded"
        return f"Criteria: none chosen, so everyone in {place_name}; opted-out people {opted_out}."
    return "Criteria: " + cohorts.describe_cohort(definition, names=names)


def reset_criteria() -> None:
    """Clear every criterion, group and exclusion (a button callback)."""
    load_criteria(CohortDefinition())


# --- saved cohorts -------------------------------------------------------------------------------------------------


def _open_saved(icb_code: str) -> None:
    cohort_id = st.session_state.get("cohort_saved_choice")
    if cohort_id is None:
        return
    with session() as s:
        saved = repository.get_cohort(s, int(cohort_id))
    if saved is not None and saved.icb_code == icb_code:
        load_criteria(CohortDefinition.from_dict(saved.criteria), name=saved.name)
        st.session_state["cohort_save_name"] = saved.name


def _predecessor_cohorts(icb_code: str) -> None:
    """Point to cohorts saved for the ICBs this one was formed from: they stay on their own geography."""
    key = data.current_geography()
    before = data.previous_version(key)
    if before is None or icb_code in data.icb_codes(before.key):
        return
    pieces = geoversions.predecessors(
        geoversions.changes_between(data.lsoa_table(before.key), data.lsoa_table(key)), icb_code
    )
    with session() as s:
        for row in pieces.itertuples():
            count = len(repository.list_cohorts(s, icb_code=row.icb_code_old, geography_version=before.key))
            if not count:
                continue
            name = geography.short_icb_name(row.icb_name_old)
            st.caption(
                f"{count} cohort(s) were saved for {name}, one of the ICBs this one was formed from. They keep their "
                f"own footprint: open {name} as at {before.short_label} to use them."
            )
            st.button(
                f"Open {name} ({before.label})",
                key=f"cohort_predecessor_{row.icb_code_old}",
                on_click=choose,
                args=(geography.Footprint(row.icb_code_old, geography=before.key),),
            )


def saved_cohorts_panel(icb_code: str) -> None:
    """Open a cohort saved earlier (anyone's, in this ICB), and point to those of the ICBs it replaced."""
    _predecessor_cohorts(icb_code)
    with session() as s:
        saved = repository.list_cohorts(s, icb_code=icb_code)
    if not saved:
        st.caption("No saved cohorts for this ICB yet: build one below and save it with a name.")
        return
    # An ICB code names the same LSOAs in every geography version that has it, so cohorts saved on any of them fit.
    versions = data.geography_versions()

    def version_label(key: str) -> str:
        return versions[key].label if key in versions else key

    labels = {
        c.id: f"{c.name} ({version_label(c.geography_version)}; saved {c.updated_at:%d %b %Y %H:%M})" for c in saved
    }
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    left.selectbox("Saved cohorts", list(labels), format_func=labels.__getitem__, key="cohort_saved_choice")
    right.button("Open", key="cohort_open", on_click=_open_saved, args=(icb_code,), icon=":material/folder_open:")


def save_panel(icb_code: str, criteria: CohortCriteria | CohortDefinition) -> None:
    """Save the current cohort under a name (updating a cohort saved with that name); empty groups are left out,
    and a cohort of one group without exclusions is saved as plain criteria (as before groups existed)."""
    st.session_state.setdefault("cohort_save_name", st.session_state.get(NAME_STATE) or "")
    with st.form("cohort_save_form", border=False):
        left, right = st.columns([4, 1], vertical_alignment="bottom")
        name = left.text_input("Name", key="cohort_save_name", placeholder="e.g. Frail older people on 10+ medicines")
        submitted = right.form_submit_button("Save cohort", icon=":material/save:")
    if not submitted:
        return
    if not access.require(access.Permission.WRITE, action="save cohorts"):
        return
    try:
        with session() as s:
            saved = repository.save_cohort(
                s,
                name=name,
                icb_code=icb_code,
                geography_version=data.current_geography(),
                criteria=CohortDefinition.of(criteria).simplified().to_dict(),
                created_by=user_label(),
            )
    except ValueError as error:
        st.error(str(error))
        return
    st.session_state[NAME_STATE] = saved.name
    st.success(f"Saved '{saved.name}'. Anyone using this ICB can open it from Saved cohorts.")


REASON_WAITING = f"Give a reason (at least {MIN_REASON_LENGTH} characters) to download; it is recorded."


def user_label() -> str | None:
    """Who an export is recorded against: the logged-in user's e-mail (or name), None without login."""
    user = access.current_user()
    return user.email or user.name if user.logged_in else None


def reason_given(text: str) -> bool:
    """Whether an export's reason is long enough to be recorded (MIN_REASON_LENGTH characters, spaces folded)."""
    return len(" ".join(text.split())) >= MIN_REASON_LENGTH


def audited_download(
    label: str,
    *,
    make: Callable[[], bytes],
    file_name: str,
    key: str,
    ready: bool,
    waiting: str,
    once: bool = False,
) -> None:
    """A CSV download whose file (and audit row) ``make`` writes only when the button is clicked; disabled with
    the ``waiting`` caption until ``ready`` (a reason given). With ``once`` (person-level files) the file's URL
    answers only that click's requests: each download is one click, one audit row and one transfer
    (ui/single_use_downloads.py)."""
    st.download_button(
        label,
        data=single_use_downloads.once(make) if once else make,
        file_name=file_name,
        mime="text/csv",
        key=key,
        disabled=not ready,
        on_click="ignore",
        icon=":material/download:",
    )
    if not ready:
        st.caption(waiting)


PERSON_LEVEL_OFF_WITHOUT_LOGIN = (
    "The pseudonymised list is off because no login is configured, so the app cannot tell who downloads it. "
    "An administrator can set up login (docs/deployment.md): PHM leads and admins may then download it. "
    "For one person using the app on their own computer, an administrator can instead start the app with "
    f"{settings.PERSON_LEVEL_EXPORT_WITHOUT_LOGIN_ENV}=1."
)


# --- exports --------------------------------------------------------------------------------------------------------


def export_panel(
    *,
    people: pd.DataFrame,
    mask: np.ndarray,
    criteria: CohortCriteria | CohortDefinition,
    aggregates: pd.DataFrame,
    icb_code: str,
    footprint_label: str,
) -> None:
    """Two exports, each with a reason and an audit row: suppressed aggregates, and the pseudonymised list, both of
    the cohort's ``mask`` (every group and exclusion); the audit row holds the cohort's definition."""
    count = int(mask.sum())
    cohort_name = st.session_state.get(NAME_STATE)
    exported_by = user_label()
    definition = CohortDefinition.of(criteria).simplified().to_dict()
    common = {
        "icb_code": icb_code,
        "geography_version": data.current_geography(),
        "footprint": footprint_label,
        "criteria": definition,
    }
    left, right = st.columns(2)
    with left:
        st.markdown("**Suppressed aggregates** (CSV): the summary and every breakdown, small numbers blank.")
        reason = st.text_input(
            "Reason for this export", key="cohort_aggregate_reason", placeholder="e.g. Falls service business case"
        )
        name = exports.file_name(ExportKind.AGGREGATES, icb_code)

        def _aggregates() -> bytes:
            with session() as s:
                content, _ = exports.export_aggregates(
                    s,
                    table=aggregates,
                    reason=reason,
                    exported_by=exported_by,
                    cohort_name=cohort_name,
                    name=name,
                    **common,
                )
            return content

        audited_download(
            "Download aggregates",
            make=_aggregates,
            file_name=name,
            key="cohort_download_aggregates",
            ready=reason_given(reason),
            waiting=REASON_WAITING,
        )
    with right:
        st.markdown(
            "**Pseudonymised list for direct care** (CSV): one row per person, for their practice to re-identify. "
            "Pseudonymised identifier, practice, age band, sex, segment and risk; no direct identifiers."
        )
        with st.expander("What the list's columns mean"):
            st.markdown(
                "\n".join(f"- `{column}`: {note}" for column, note in cohorts.PSEUDONYMISED_COLUMN_NOTES.items())
            )
        if not access.login_configured() and not settings.person_level_export_without_login():
            st.info(PERSON_LEVEL_OFF_WITHOUT_LOGIN, icon=":material/lock:")
            return
        if not access.allowed(access.Permission.EXPORT_PERSON_LEVEL):
            access.require(access.Permission.EXPORT_PERSON_LEVEL, action="export a pseudonymised list")
            return
        purpose = st.selectbox("Purpose", LIST_REASONS, key="cohort_list_purpose")
        details = st.text_input(
            "Details (recorded)", key="cohort_list_reason", placeholder="e.g. Frailty MDT, Colchester PCN, March"
        )
        list_name = exports.file_name(ExportKind.PSEUDONYMISED_LIST, icb_code)

        def _list() -> bytes:
            with session() as s:
                content, _ = exports.export_pseudonymised_list(
                    s,
                    people=people,
                    mask=mask,
                    reason=f"{purpose}: {details}",
                    exported_by=exported_by,
                    cohort_name=cohort_name,
                    name=list_name,
                    **common,
                )
            return content

        audited_download(
            f"Download the list ({cohorts.format_count(count)} people)",
            make=_list,
            file_name=list_name,
            key="cohort_download_list",
            once=True,
            ready=reason_given(details) and count > 0,
            waiting=f"Describe the direct-care use (at least {MIN_REASON_LENGTH} characters); it is recorded.",
        )


def audit_panel(icb_code: str) -> None:
    """The most recent exports of this ICB's cohorts (the audit trail), after checking the whole trail's hash chain:
    a row changed or removed behind the app's back is named in a warning."""
    with session() as s:
        chain = repository.verify_export_chain(s)
        rows = repository.list_exports(s, icb_code=icb_code, limit=20)
    if not chain.ok:
        st.error(
            f"The export audit trail has been tampered with: {chain.problem}. That row and those after it cannot "
            "be trusted. Tell your information governance lead; the database's backups hold the rows as written.",
            icon=":material/gpp_bad:",
        )
    if not rows:
        st.caption("No exports yet.")
        return
    if chain.ok:
        st.caption(
            f"Audit trail checked: all {chain.rows_checked} exports (every ICB) are as they were written, none "
            "removed between them."
        )
    table = pd.DataFrame(
        [
            {
                "When (UTC)": r.exported_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                "Who": r.exported_by or "local user",
                "What": {
                    "pseudonymised_list": "Pseudonymised list",
                    "aggregates": "Aggregates",
                    "scenario_comparison": "Scenario comparison",
                }.get(r.kind, r.kind),
                "Reason": r.reason,
                "Cohort": r.cohort_name or "",
                "Rows": r.rows,
                "SHA-256": r.sha256[:12],
            }
            for r in rows
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")


# --- what the page shows about a cohort ---------------------------------------------------------------------------


def cohort_content(
    index: CohortIndex,
    people: pd.DataFrame,
    criteria: CohortCriteria | CohortDefinition,
    inside: np.ndarray,
    names: dict,
) -> dict:
    """The cohort's mask (every group and exclusion), its base (the footprint's people, opted-out people as the
    cohort says), the suppressed summary and breakdowns, and headline figures. Fast enough to run on every change
    of a criterion."""
    mask = index.mask(criteria, within=inside)
    base = index.mask(CohortCriteria(include_opted_out=criteria.include_opted_out), within=inside)
    count, base_count = int(mask.sum()), int(base.sum())
    group_names = {"place": names["place"], "practice": names["practice"]}
    breakdowns = {
        dimension: cohorts.cohort_breakdown(
            index, mask, dimension=dimension, base=base, names=group_names.get(dimension)
        )
        for dimension in cohorts.BREAKDOWNS
    }
    summary = cohorts.cohort_summary(people, mask, base=base)
    shown = count == 0 or count > cohorts.SMALL_NUMBER
    risk = people["risk_probability"].to_numpy()
    admissions = summary.set_index("measure").loc["Emergency admissions (last 12 months)", "cohort_per_1000"]
    return {
        "admissions_per_1000": None if pd.isna(admissions) else float(admissions),
        "mask": mask,
        "base": base,
        "count": count,
        "base_count": base_count,
        "share": count / base_count if base_count and shown else None,
        "mean_risk": float(risk[mask].mean()) if count > cohorts.SMALL_NUMBER else None,
        "summary": summary,
        "breakdowns": breakdowns,
        "aggregates": cohorts.aggregate_export(breakdowns, summary),
    }


def _formatted(values: pd.Series, pattern: str) -> list[str]:
    return ["" if pd.isna(v) else pattern.format(v) for v in values]


def show_summary(summary: pd.DataFrame) -> None:
    """The cohort against the footprint: people, activity and cost (suppressed or not applicable cells blank)."""
    table = pd.DataFrame(
        {
            "Measure": summary["measure"],
            "Cohort": _formatted(summary["cohort"], "{:,.0f}"),
            "Footprint": _formatted(summary["base"], "{:,.0f}"),
            "Cohort per 1,000 people": _formatted(summary["cohort_per_1000"], "{:,.0f}"),
            "Footprint per 1,000 people": _formatted(summary["base_per_1000"], "{:,.0f}"),
            "Cohort's share": _formatted(summary["share"], "{:.1%}"),
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")


def show_breakdown(table: pd.DataFrame, label: str) -> None:
    """One breakdown: the rate chart and the table."""
    figure = cohorts.breakdown_figure(
        table, dimension_label=label, short_labels=label == cohorts.BREAKDOWNS["practice"]
    )
    st.plotly_chart(figure, key=f"cohort_breakdown_{label}")
    st.dataframe(
        table[["group", "in_cohort", "people", "rate_per_100", "share_of_cohort"]],
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * len(table), 420),
        column_config={
            "group": label,
            "in_cohort": st.column_config.NumberColumn("In the cohort", format="localized"),
            "people": st.column_config.NumberColumn("People", format="localized"),
            "rate_per_100": st.column_config.NumberColumn("Per 100 people", format="%.2f"),
            "share_of_cohort": st.column_config.NumberColumn("Share of the cohort", format="percent"),
        },
    )
