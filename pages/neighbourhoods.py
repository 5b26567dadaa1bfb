"""Neighbourhoods: a PHM lead names the ICB's neighbourhoods (by PCN or LSOA), checks their size and saves them."""

import streamlit as st

from phm_core import geography
from ui import data, layout
from ui import neighbourhoods as editor
from ui.footprint import select_footprint

footprint, _ = select_footprint()
version = data.geography_version(footprint.geography)
scope = (footprint.geography, footprint.icb_code)
lsoa = data.lsoa_table(footprint.geography)
icb_name = geography.footprint_name(lsoa, footprint.system)

st.title(f"Neighbourhoods in {icb_name}")
st.caption(f"{version.label}. Neighbourhoods are saved for this ICB on this geography.")
st.markdown(
    "The 10 Year Health Plan organises care around neighbourhoods of about 30,000 to 50,000 people, and there is "
    "no official boundary set. Name your ICB's neighbourhoods here by choosing primary care networks (PCNs) or "
    "small areas (LSOAs), on the list or on the map. Once saved, each can be chosen as the footprint of every page "
    "(sidebar: Look at > Neighbourhood)."
)
st.caption(
    "A PCN is a list of registered patients, not an area: a PCN's LSOAs here are those whose nearest GP practice "
    "is in it, and the people are Census 2021 residents of those LSOAs."
)

saved = data.saved_neighbourhoods(*scope)
current = editor.draft(scope, lsoa)
if current["origin"] == "suggested":
    st.info("Nothing is saved for this ICB yet. The draft below suggests one neighbourhood per PCN; edit and save it.")
elif current["origin"] != "saved":
    st.info(f"The draft below was {current['origin']} and is not saved yet.")

definitions = editor.definitions_of(current["items"], lsoa, icb_code=footprint.icb_code)
problems = editor.summary(definitions, lsoa, icb_code=footprint.icb_code)
for problem in problems:
    st.warning(problem)
if st.button("Save neighbourhoods", type="primary", key="nbh_save", icon=":material/save:"):
    editor.save(scope, definitions, problems)
    saved = data.saved_neighbourhoods(*scope)

st.subheader("On the map")
editor.map_chooser(current["items"], definitions, lsoa, icb_code=footprint.icb_code)

st.subheader("Edit each neighbourhood")
editor.editor(current["items"], lsoa, icb_code=footprint.icb_code)
st.button("Add a neighbourhood", key="nbh_add", on_click=editor.add, args=(scope,), icon=":material/add:")

st.subheader("Use, export and import")
editor.open_panel(scope, saved, lsoa=lsoa)
editor.export_button(scope, saved)
editor.import_panel(scope, lsoa)
layout.footer()
