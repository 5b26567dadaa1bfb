"""Page furniture shared by every page: the attribution footer and the synthetic-data label."""

from __future__ import annotations

import streamlit as st

ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. Sources: ONS, MHCLG "
    "(English Indices of Deprivation 2025), NHS England, OHID. Contains OS data (c) Crown copyright and database "
    "right 2025. Contains Royal Mail data (c) Royal Mail copyright and database right 2025. Contains "
    "Parliamentary information licensed under the Open Parliament Licence v3.0 (House of Commons Library "
    "modelled QOF prevalence)."
)


def footer() -> None:
    """The OGL attribution, shown at the foot of every page."""
    st.divider()
    st.caption(ATTRIBUTION)


def data_warnings(warnings: list[str]) -> None:
    """Show warnings about the user's stored data (e.g. an unreadable replacement file)."""
    for warning in warnings:
        st.warning(warning)


def ensure_router() -> None:
    """Make sure pages run under app.py's navigation, even on the server's very first request.

    With a ``pages/`` folder beside app.py, Streamlit starts in its legacy multipage mode: if the first request
    after the server starts is a page's URL, it runs that page on its own (no page config, no navigation) until
    some session has run app.py. Turning the mode off and rerunning sends this session through app.py.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
