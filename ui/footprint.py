"""The footprint picker: geography version, ICB, then a place, sub-ICB, PCN, neighbourhood or region.

The footprint is held across pages and in the URL (``?geo=2024-04&icb=...&level=...&area=...``; no ``geo`` means
the default version). A link that names an ICB the chosen geography does not have (an abolished ICB, an old
bookmark) opens on an explanation with the successors to choose from, never on another organisation's figures.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from phm_core import geography, geoversions
from phm_core.geography import FOOTPRINT_LEVELS, LEVEL_LABELS, Footprint, Resolution
from ui import data
from ui.layout import ensure_router, footer

STATE_KEY = "footprint"
GEOGRAPHY_STATE = "geography"
NOTES_KEY = "footprint_notes"
PROBLEM_KEY = "footprint_problem"
GEO_KEY, ICB_KEY, LEVEL_KEY, AREA_KEY = "footprint_geo", "footprint_icb", "footprint_level", "footprint_area"


def resolve_link(
    key: str | None, *, icb: str | None = None, level: str | None = None, area: str | None = None
) -> Resolution:
    """Resolve link values on a geography version (the default if ``key`` is unknown), with any explanation."""
    versions = data.geography_versions()
    notes: list[str] = []
    default = geoversions.default_version_key(versions)
    if key and key not in versions:
        notes.append(f"'{key}' is not a geography version the app has, so {versions[default].label} is shown.")
    key = key if key in versions else default
    version = versions[key]
    lsoa = data.lsoa_table(key)
    if level == "neighbourhood" and icb in data.icb_codes(key):
        lsoa = data.lsoa_for_icb(key, icb)
    resolution = geography.resolve_footprint(lsoa, icb=icb, level=level, area=area, version=version)
    resolution.notes = notes + resolution.notes
    if resolution.footprint is None and icb:
        others = [(v, data.lsoa_table(k)) for k, v in versions.items() if k != key]
        resolution.message, resolution.choices = geography.explain_missing_icb(
            icb, version=version, lsoa=lsoa, others=others
        )
    resolution.geography = key
    return resolution


def _apply(resolution: Resolution) -> None:
    st.session_state[GEOGRAPHY_STATE] = resolution.geography
    st.session_state[STATE_KEY] = resolution.footprint
    st.session_state[NOTES_KEY] = resolution.notes
    st.session_state[PROBLEM_KEY] = resolution if resolution.footprint is None else None


def current_footprint(lsoa: pd.DataFrame | None = None) -> Footprint | None:
    """The session's footprint; on a session's first run it comes from the URL (or the default ICB).

    ``None`` when the link could not be opened as it stands (see :func:`footprint_problem`).
    """
    if STATE_KEY not in st.session_state:
        query = st.query_params
        _apply(
            resolve_link(
                query.get(data.GEOGRAPHY_PARAM), icb=query.get("icb"), level=query.get("level"), area=query.get("area")
            )
        )
    return st.session_state[STATE_KEY]


def footprint_problem() -> Resolution | None:
    """Why the session has no footprint (an abolished or unknown ICB in the link), with choices."""
    return st.session_state.get(PROBLEM_KEY)


def _store(footprint: Footprint) -> None:
    st.session_state[STATE_KEY] = footprint
    st.session_state[GEOGRAPHY_STATE] = footprint.geography
    st.session_state[PROBLEM_KEY] = None
    st.session_state[NOTES_KEY] = []
    st.query_params.from_dict(footprint.as_query())


def choose(footprint: Footprint) -> None:
    """Make ``footprint`` the session's (a button's callback)."""
    _store(footprint)


def _on_change() -> None:
    key = st.session_state[GEO_KEY]
    icb = st.session_state[ICB_KEY]
    level = st.session_state[LEVEL_KEY]
    area = st.session_state.get(AREA_KEY)
    if key != st.session_state.get(GEOGRAPHY_STATE):
        # Another geography: keep the ICB (and its area) if it exists there, otherwise explain and offer choices.
        resolution = resolve_link(key, icb=icb, level=level, area=area)
        if resolution.footprint is None:
            _apply(resolution)
            st.query_params.from_dict({data.GEOGRAPHY_PARAM: key, "icb": icb})
            return
        _store(resolution.footprint)
        return
    if level == "icb":
        _store(Footprint(icb, geography=key))
        return
    lsoa = data.lsoa_for_icb(key, icb) if level == "neighbourhood" else data.lsoa_table(key)
    options = geography.area_options(lsoa, icb_code=icb, level=level)
    if area not in set(options["code"]):
        area = options["code"].iloc[0] if len(options) else None
    _store(Footprint(icb, level, area, key) if area else Footprint(icb, geography=key))
    if area is None and level == "neighbourhood":
        st.session_state[NOTES_KEY] = [
            "This ICB has no neighbourhoods saved yet, so the whole ICB is shown. Define them on the "
            "Neighbourhoods page."
        ]


def _version_label(versions: dict, key: str) -> str:
    version = versions[key]
    count = len(data.icb_codes(key))
    return f"{version.label} ({count} ICBs)"


def select_footprint() -> tuple[Footprint, pd.DataFrame]:
    """Render the footprint picker in the sidebar and return the chosen footprint and its LSOA table.

    When the link names an ICB this geography does not have, the page shows why and the footprints to choose
    from, and stops there.
    """
    ensure_router()  # every page starts here, so this is where a page run outside app.py is caught
    footprint = current_footprint()
    key = st.session_state[GEOGRAPHY_STATE]
    if key not in data.geography_versions() or (
        footprint is not None and footprint.icb_code not in data.icb_codes(key)
    ):
        # The geography changed under this session (a loaded or removed official file): look again, and explain.
        _apply(resolve_link(key, icb=footprint.icb_code if footprint else None))
        footprint = st.session_state[STATE_KEY]
        key = st.session_state[GEOGRAPHY_STATE]
    lsoa = data.lsoa_for(footprint) if footprint else data.lsoa_table(key)
    versions = data.geography_versions()
    icbs = geography.icb_options(lsoa)
    icb_labels = dict(zip(icbs["code"], icbs["label"] + " · " + icbs["region_name"], strict=True))
    # Widgets are re-seeded from the session's footprint, which outlives them when the user changes page.
    st.session_state[GEO_KEY] = key
    st.session_state[ICB_KEY] = footprint.icb_code if footprint else None
    st.session_state[LEVEL_KEY] = footprint.level if footprint else "icb"
    st.session_state[AREA_KEY] = footprint.area_code if footprint else None
    with st.sidebar:
        st.markdown("**Footprint**")
        st.selectbox(
            "NHS geography",
            list(versions),
            format_func=lambda k: _version_label(versions, k),
            key=GEO_KEY,
            on_change=_on_change,
            help="Which NHS map to use: the ICBs in force now, or an earlier set kept for history and comparison.",
        )
        st.selectbox(
            "Integrated care board (system)",
            list(icb_labels),
            format_func=icb_labels.__getitem__,
            key=ICB_KEY,
            on_change=_on_change,
            placeholder="Choose an ICB",
        )
        if footprint is not None:
            st.radio(
                "Look at",
                list(FOOTPRINT_LEVELS),
                format_func=LEVEL_LABELS.__getitem__,
                key=LEVEL_KEY,
                on_change=_on_change,
            )
            if footprint.level != "icb":
                areas = geography.area_options(lsoa, icb_code=footprint.icb_code, level=footprint.level)
                labels = dict(
                    zip(areas["code"], areas["label"] + " - " + areas["population"].map("{:,}".format), strict=True)
                )
                st.selectbox(
                    LEVEL_LABELS[footprint.level],
                    list(labels),
                    format_func=labels.__getitem__,
                    key=AREA_KEY,
                    on_change=_on_change,
                )
        version = versions[key]
        st.caption(
            version.label
            + (" (reconstructed from the published succession rules)" if version.is_reconstruction else "")
        )
        for note in st.session_state.get(NOTES_KEY, []):
            st.caption(note)
    if footprint is None:
        explain_problem()
        st.stop()
    st.query_params.from_dict(footprint.as_query())
    return footprint, lsoa


def explain_problem() -> None:
    """The explanation for a link that cannot be opened as it stands, with a button for each choice."""
    problem = footprint_problem()
    st.title("This link needs a choice")
    message = problem.message if problem and problem.message else "Choose an integrated care board in the sidebar."
    st.info(message)
    if problem and problem.choices:
        st.markdown("**Open one of these instead:**")
        for number, choice in enumerate(problem.choices):
            st.button(choice.label, key=f"footprint_choice_{number}", on_click=choose, args=(choice.footprint,))
    st.caption("Or choose any ICB in the sidebar.")
    footer()  # the attribution every page ends with (the page stops after this)
