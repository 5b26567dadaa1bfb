"""Deprivation and air quality: a bivariate map, people in each third of both, and where both are worst."""

import streamlit as st

from phm_core.environment import BANDS, BIVARIATE_COLOURS
from phm_core.profiles import AIR_QUALITY_NOTE
from ui import data, layout, profiles
from ui.footprint import select_footprint

footprint, _ = select_footprint()
content = profiles.air_quality_content(footprint, data.footprint_signature(footprint))
st.title("Deprivation and air quality")
st.markdown(" ".join(content["narrative"]))

map_column, legend_column = st.columns([4, 1])
with map_column:
    st.pydeck_chart(content["deck"], height=520, key="bivariate_map")
with legend_column:
    cells = "".join(
        f'<div style="width:34px;height:34px;background:{BIVARIATE_COLOURS[d][a]};"></div>'
        for d in (2, 1, 0)
        for a in (0, 1, 2)
    )
    st.markdown(
        '<div style="font-size:0.8rem;">More deprived &uarr;</div>'
        f'<div style="display:grid;grid-template-columns:repeat(3,34px);gap:2px;margin:4px 0;">{cells}</div>'
        '<div style="font-size:0.8rem;">More polluted &rarr;</div>',
        unsafe_allow_html=True,
    )
    st.caption("Thirds of England's LSOAs: IMD 2025 score (deprivation) and the air-quality indicator (pollution).")
st.caption(AIR_QUALITY_NOTE)

st.subheader("People in each third of England for deprivation and air pollution")
counts = {
    column: st.column_config.NumberColumn(column.capitalize(), format="localized") for column in content["people"]
}
people_tab, children_tab = st.tabs(["Residents", "Children aged 15 and under"])
people_tab.dataframe(content["people"], width="stretch", column_config=counts)
children_tab.dataframe(content["children"], width="stretch", column_config=counts)

st.subheader(f"Neighbourhoods in England's most deprived and most polluted thirds ({len(content['worst']):,})")
worst = content["worst"]
if worst.empty:
    st.info("None of this footprint's neighbourhoods is in the worst third of England for both.")
else:
    st.dataframe(
        worst,
        hide_index=True,
        width="stretch",
        height=min(36 * (len(worst) + 1) + 3, 420),
        column_config={
            "lsoa21_code": "LSOA code",
            "lsoa21_name": "Neighbourhood (LSOA)",
            "ltla24_name": "Place",
            "imd_rank": st.column_config.NumberColumn("IMD rank in England", format="localized"),
            "imd_decile": "IMD decile",
            "aq_indicator": st.column_config.NumberColumn("Air-quality indicator", format="%.2f"),
            "pop_0_15": st.column_config.NumberColumn("Children 0-15", format="localized"),
            "pop_total": st.column_config.NumberColumn("Residents", format="localized"),
        },
    )
    st.download_button(
        "Download these neighbourhoods (CSV)",
        worst.to_csv(index=False).encode(),
        file_name=f"phm_navigator_{footprint.icb_code}_deprived_and_polluted.csv",
        mime="text/csv",
        key="air_csv",
    )
st.caption(f"Bands: {', '.join(BANDS)} third of England's 33,755 LSOAs on each measure. Census 2021 residents.")
layout.footer()
