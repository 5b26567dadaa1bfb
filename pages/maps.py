"""Map: deprivation, population, rurality and air quality at LSOA, MSOA, place or sub-ICB level.

``?map_level=sub_icb&layer=imd_score`` in the URL (beside the footprint's ``?icb=...``) opens that map.
"""

import streamlit as st

from phm_core.figures import plotly_config, static_map_figure
from phm_core.narrative import map_narrative
from phm_core.profiles import MAP_LEVELS, MEASURES, legend_note, measures_for
from ui import data, layout, map_view, profiles
from ui.footprint import select_footprint

link = map_view.read_link()  # ?map_level=&layer= (read before the footprint picker rewrites the URL)
footprint, lsoa = select_footprint()
map_view.open_link(link)
signature = data.footprint_signature(footprint)
st.title("Map")

controls = st.columns([2, 3, 1])
level = controls[0].selectbox("Areas", list(MAP_LEVELS), format_func=MAP_LEVELS.__getitem__, key="map_level")
available = measures_for(level)
choices = [m.key for m in available]
if st.session_state.get("map_measure") not in choices:
    st.session_state["map_measure"] = choices[0]
measure_key = controls[1].selectbox(
    "Show", choices, format_func=lambda k: f"{MEASURES[k].group}: {MEASURES[k].label}", key="map_measure"
)
map_view.write_link(level, measure_key)
show_practices = controls[2].toggle("GP practices", value=True, key="map_practices")
measure = MEASURES[measure_key]

table = profiles.measure_table(footprint, level, signature)
name = data.home_content(footprint, signature)["name"]
noun = {"lsoa": "LSOAs", "msoa": "MSOAs", "place": "places", "sub_icb": "sub-ICB locations"}[level]
if table.empty:
    st.info("This footprint has no areas to map. Choose another in the sidebar.")
    st.stop()
st.markdown(
    " ".join(
        map_narrative(
            table.rename(columns={measure_key: "value"}),
            measure_label=measure.label,
            fmt=measure.fmt,
            noun=noun,
            name=name,
            kind="rank" if measure_key.endswith("_local_rank") else measure.kind,
        )
    )
)

deck, legend, static = profiles.measure_map(footprint, level, measure_key, show_practices, signature)
st.pydeck_chart(deck, height=560, key="profile_map")
note = legend_note(table.set_index("code")[measure_key], measure, noun=noun)
st.markdown(profiles.legend_html(legend, note=note), unsafe_allow_html=True)
dots = "Dots: GP practices, sized by registered list." if show_practices else ""
st.caption(" ".join(part for part in (f"{measure.label}.", measure.note, dots) if part))

table_tab, image_tab = st.tabs(["Table", "Map as an image"])
with table_tab:
    shown = (
        table[["code", "name", "lsoas", "pop_total", measure_key]]
        if measure_key not in ("pop_total",)
        else table[["code", "name", "lsoas", "pop_total"]]
    )
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        height=360,
        column_config={
            "code": "Code",
            "name": "Area",
            "lsoas": "LSOAs",
            "pop_total": st.column_config.NumberColumn("Residents", format="localized"),
            measure_key: measure.label,
        },
    )
    st.download_button(
        "Download every measure for these areas (CSV)",
        table.to_csv(index=False).encode(),
        file_name=f"phm_navigator_{footprint.icb_code}_{level}_measures.csv",
        mime="text/csv",
        key="map_csv",
    )
with image_tab:
    # Drawn only on request: a static choropleth of every polygon is heavy to redraw on each change of layer.
    if st.toggle("Draw the map as an image (use the camera button to save it as a PNG)", key="map_image"):
        st.plotly_chart(
            static_map_figure(
                static["geojson"], static["codes"], static["colours"], static["names"], title=f"{name}: {measure.label}"
            ),
            config=plotly_config(f"map_{footprint.icb_code}_{level}_{measure_key}"),
            key="static_map",
        )
layout.footer()
