"""Page furniture shared by every page: the attribution footer and the synthetic-data label."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import streamlit as st

KEEP_TYPED_TEXT_SCRIPT = Path(__file__).resolve().parent.parent / "assets" / "keep_typed_text.js"

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
    keep_typed_text()


@cache
def _keep_typed_text_script() -> str:
    return KEEP_TYPED_TEXT_SCRIPT.read_text(encoding="utf-8")


def keep_typed_text() -> None:
    """Install, once per browser tab, the script that saves text areas as they are typed (see the script).

    Streamlit sends a text area's value only when the box loses focus: without this, a half-typed note was lost
    when the tab closed, and the first click on a sidebar link after typing was swallowed by the save's redraw.
    """
    st.html(f"<script>{_keep_typed_text_script()}</script>", unsafe_allow_javascript=True)


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
