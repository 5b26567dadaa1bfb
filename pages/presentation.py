"""Presentation mode: the footprint's population health story in six slides for a projector (16:9, no sidebar).

The footprint is the one chosen elsewhere in the app (or ``?icb=...`` in the URL); ``?slide=N`` opens slide N.
Move on with the Next / Previous buttons or the Right / Left arrow keys.
"""

import streamlit as st

from ui import layout, presentation
from ui.footprint import current_footprint, explain_problem
from ui.layout import ensure_router

ensure_router()
presentation.hide_chrome()
footprint = current_footprint()
if footprint is None:  # a link to an abolished or unknown ICB: explain, offer the successors, show no figures
    explain_problem()
    st.stop()
index = presentation.current_slide()
st.query_params.update(
    {**footprint.as_query(), "slide": str(index + 1), "screen": st.session_state[presentation.SCREEN_STATE]}
)
presentation.SLIDES[index].draw(footprint)
presentation.navigation_bar(index, footprint)
st.caption(layout.ATTRIBUTION)
