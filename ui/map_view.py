"""The Map page's choices in the URL, so a shared map link opens the same map.

``?map_level=`` (the areas: lsoa, msoa, place, sub_icb) and ``?layer=`` (the measure shown) sit beside the
footprint's own ``?geo=&icb=&level=&area=`` (see ``ui.footprint``), whose picker rewrites the query string on every
run: the page reads its parameters before the picker and writes them back after its widgets.
"""

from __future__ import annotations

import streamlit as st

from phm_core.profiles import MAP_LEVELS, MEASURES

LEVEL_PARAM, LAYER_PARAM = "map_level", "layer"
LEVEL_KEY, MEASURE_KEY = "map_level", "map_measure"  # the page's widget keys


def read_link() -> dict[str, str]:
    """The map's parameters in the URL as the page was opened (call before the footprint picker)."""
    return {name: st.query_params[name] for name in (LEVEL_PARAM, LAYER_PARAM) if st.query_params.get(name)}


def open_link(link: dict[str, str]) -> None:
    """On the page's first run in this session, start the widgets on the link's level and layer when they exist.

    A layer the level does not have (deciles above LSOA) is left to the page, which shows the level's first.
    """
    level = link.get(LEVEL_PARAM)
    if LEVEL_KEY not in st.session_state and level in MAP_LEVELS:
        st.session_state[LEVEL_KEY] = level
    layer = link.get(LAYER_PARAM)
    if MEASURE_KEY not in st.session_state and layer in MEASURES:
        st.session_state[MEASURE_KEY] = layer


def write_link(level: str, measure_key: str) -> None:
    """Put the map's level and layer in the URL beside the footprint."""
    st.query_params[LEVEL_PARAM] = level
    st.query_params[LAYER_PARAM] = measure_key
