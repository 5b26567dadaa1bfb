"""The footprint picker: ICB, then optionally a place, sub-ICB or neighbourhood; held across pages and in the URL."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from phm_core.geography import (
    FOOTPRINT_LEVELS,
    LEVEL_LABELS,
    Footprint,
    area_options,
    icb_options,
    resolve_footprint,
)
from ui.data import lsoa_table
from ui.layout import ensure_router

STATE_KEY = "footprint"
NOTES_KEY = "footprint_notes"
ICB_KEY, LEVEL_KEY, AREA_KEY = "footprint_icb", "footprint_level", "footprint_area"


def current_footprint(lsoa: pd.DataFrame) -> Footprint:
    """The session's footprint; on a session's first run it comes from the URL (or the default ICB)."""
    if STATE_KEY not in st.session_state:
        query = st.query_params
        footprint, notes = resolve_footprint(
            lsoa, icb=query.get("icb"), level=query.get("level"), area=query.get("area")
        )
        st.session_state[STATE_KEY] = footprint
        st.session_state[NOTES_KEY] = notes
    return st.session_state[STATE_KEY]


def _store(footprint: Footprint) -> None:
    st.session_state[STATE_KEY] = footprint
    st.query_params.from_dict(footprint.as_query())


def _on_change() -> None:
    lsoa = lsoa_table()
    icb = st.session_state[ICB_KEY]
    level = st.session_state[LEVEL_KEY]
    area = st.session_state.get(AREA_KEY)
    if level == "icb":
        _store(Footprint(icb))
        return
    options = area_options(lsoa, icb_code=icb, level=level)
    if area not in set(options["code"]):
        area = options["code"].iloc[0] if len(options) else None
    _store(Footprint(icb, level, area) if area else Footprint(icb))


def select_footprint() -> tuple[Footprint, pd.DataFrame]:
    """Render the footprint picker in the sidebar and return the chosen footprint and the LSOA table."""
    ensure_router()  # every page starts here, so this is where a page run outside app.py is caught
    lsoa = lsoa_table()
    footprint = current_footprint(lsoa)
    # Widgets are re-seeded from the session's footprint, which outlives them when the user changes page.
    st.session_state[ICB_KEY] = footprint.icb_code
    st.session_state[LEVEL_KEY] = footprint.level
    st.session_state[AREA_KEY] = footprint.area_code
    icbs = icb_options(lsoa)
    icb_labels = dict(zip(icbs["code"], icbs["label"], strict=True))
    with st.sidebar:
        st.markdown("**Footprint**")
        st.selectbox(
            "Integrated care board (system)",
            list(icb_labels),
            format_func=icb_labels.__getitem__,
            key=ICB_KEY,
            on_change=_on_change,
        )
        st.radio(
            "Look at",
            list(FOOTPRINT_LEVELS),
            format_func=LEVEL_LABELS.__getitem__,
            key=LEVEL_KEY,
            on_change=_on_change,
        )
        if footprint.level != "icb":
            areas = area_options(lsoa, icb_code=footprint.icb_code, level=footprint.level)
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
        for note in st.session_state.get(NOTES_KEY, []):
            st.caption(note)
    st.query_params.from_dict(footprint.as_query())
    return footprint, lsoa
