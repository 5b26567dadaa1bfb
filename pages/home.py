"""Home: the chosen footprint's people, age structure and deprivation, with a map and a short narrative."""

import streamlit as st

from phm_core.figures import age_structure_figure, deprivation_profile_figure, plotly_config
from ui import data, layout
from ui import profiles as profiles_ui
from ui.footprint import select_footprint

footprint, _ = select_footprint()
content = data.home_content(footprint, data.footprint_signature(footprint))
layout.data_warnings(data.data_warnings())

st.title(content["name"])
tier = content["tier"].capitalize()
st.caption(
    f"{tier} tier - {content['people']:,} people in {content['lsoa_count']:,} LSOAs"
    + (f" ({content['tier_note']})" if content["tier_note"] else "")
    + f" - {data.geography_version(footprint.geography).label}"
)
if content["lsoa_count"] == 0:
    st.info("No LSOAs belong to this footprint. Choose another area in the sidebar.")
    st.stop()

st.markdown(" ".join(content["narrative"]))

structure, profile = content["age_structure"], content["deprivation_profile"]
people = content["people"]
older = structure.loc[structure["band"] == "65+"].iloc[0]
children = structure.loc[structure["band"] == "0-15"].iloc[0]
deprived = profile.loc[profile["decile"] <= 2, "share"].sum()
england_deprived = profile.loc[profile["decile"] <= 2, "england_share"].sum()
columns = st.columns(4)
columns[0].metric("Residents (Census 2021)", f"{people:,}")
columns[1].metric(
    "Aged 65 and over",
    f"{older['share']:.1%}",
    f"{(older['share'] - older['england_share']) * 100:+.1f} points vs England",
    delta_color="off",
)
columns[2].metric(
    "Aged 15 and under",
    f"{children['share']:.1%}",
    f"{(children['share'] - children['england_share']) * 100:+.1f} points vs England",
    delta_color="off",
)
columns[3].metric(
    "In England's most deprived fifth",
    f"{deprived:.1%}",
    f"{(deprived - england_deprived) * 100:+.1f} points vs England",
    delta_color="off",
)

map_column, chart_column = st.columns([3, 2])
with map_column:
    st.subheader("Deprivation by neighbourhood (LSOA)")
    st.pydeck_chart(data.deprivation_deck(footprint, data.footprint_signature(footprint)), height=480, key="home_map")
    st.caption(
        "Colour: national IMD 2025 decile, from dark red (most deprived 10% of England) to dark blue "
        "(least deprived 10%). Dots: GP practices."
    )
with chart_column:
    st.plotly_chart(
        deprivation_profile_figure(profile, name=content["name"]),
        config=plotly_config(f"deprivation_profile_{footprint.icb_code}"),
        key="home_deprivation",
    )
    st.plotly_chart(
        age_structure_figure(structure, name=content["name"]),
        config=plotly_config(f"age_structure_{footprint.icb_code}"),
        key="home_age",
    )

history = data.history_content(footprint, data.footprint_signature(footprint))
if history is not None:
    profiles_ui.where_it_came_from(history, name=content["name"])

st.subheader(f"{content['area_plural']} in this footprint")
st.dataframe(
    content["areas"],
    hide_index=True,
    width="stretch",
    height=min(36 * (len(content["areas"]) + 1) + 3, 640),
    column_config={
        "code": "Code",
        "name": content["area_noun"],
        "people": st.column_config.NumberColumn("People", format="localized"),
        "lsoas": st.column_config.NumberColumn("LSOAs"),
        "aged_65_plus": st.column_config.NumberColumn("Aged 65+", format="percent"),
        "aged_0_15": st.column_config.NumberColumn("Aged 0-15", format="percent"),
        "most_deprived_fifth": st.column_config.NumberColumn("In most deprived fifth", format="percent"),
        "average_imd_score": st.column_config.NumberColumn("Average IMD score", format="%.1f"),
    },
)
st.download_button(
    "Download this table (CSV)",
    content["areas"].to_csv(index=False).encode(),
    file_name=f"phm_navigator_{footprint.icb_code}_{footprint.level}_areas.csv",
    mime="text/csv",
    key="home_csv",
)
layout.footer()
