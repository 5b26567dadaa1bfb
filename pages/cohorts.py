"""Cohort builder: combine criteria on the SYNTHETIC population, see who is in it, save it and export it."""

import streamlit as st

from phm_core import cohorts
from ui import cohorts as cohorts_ui
from ui import data, layout, synthetic
from ui.footprint import select_footprint

footprint, lsoa = select_footprint()
footprint = synthetic.person_level_footprint(footprint)
layout.data_warnings(data.data_warnings())
st.title("Cohort builder (SYNTHETIC)")
synthetic.synthetic_badge()
people, index, inside, names, place_name = cohorts_ui.cohort_page_data(footprint, lsoa)  # generates, trains

st.markdown(
    f"Pick the people of **{place_name}** who meet every criterion of a group below. Add a group to take in other "
    "people as well (*or people who ...*) or to leave people out (*except people who ...*). The counts, breakdowns "
    "and map follow as you change them. Risk tiers come from the emergency admission model (see *Risk "
    "stratification*)."
)
with st.expander("Saved cohorts", expanded=True, icon=":material/folder_open:"):
    cohorts_ui.saved_cohorts_panel(footprint.icb_code)

st.subheader("Criteria")
criteria = cohorts_ui.criteria_widgets(index, inside, names)

content = cohorts_ui.cohort_content(index, people, criteria, inside, names)
st.subheader("The cohort")
columns = st.columns(4)
columns[0].metric("People in the cohort", cohorts.format_count(content["count"]))
columns[1].metric(
    "Share of the footprint",
    f"{content['share']:.1%}" if content["share"] is not None else "suppressed",
    help=f"Of {content['base_count']:,} synthetic people in {place_name}.",
)
admissions = content["admissions_per_1000"]
columns[2].metric("Emergency admissions /1,000", "suppressed" if admissions is None else f"{admissions:,.0f}")
columns[3].metric(
    "Mean predicted risk",
    f"{content['mean_risk']:.1%}" if content["mean_risk"] is not None else "suppressed",
    help="The model's chance of an emergency admission in the next 12 months, averaged over the cohort.",
)
st.caption(cohorts_ui.describe(criteria, names, place_name) + " SYNTHETIC data.")
if content["count"] == 0:
    st.info("Nobody is in this cohort. Remove a criterion or an exclusion to widen it.")

cohorts_ui.show_summary(content["summary"])
st.caption("Last 12 months = the year before the index date (1 April 2024). Blank = suppressed (1 to 7 people).")

st.subheader("Who is in it")
tabs = st.tabs([label.split(" (")[0] for label in cohorts.BREAKDOWNS.values()])
for tab, (dimension, label) in zip(tabs, cohorts.BREAKDOWNS.items(), strict=True):
    with tab:
        cohorts_ui.show_breakdown(content["breakdowns"][dimension], label)

st.subheader("Where they live")
shapes, bounds = cohorts_ui.map_shapes(footprint)
rates = cohorts.rate_by_lsoa(index, content["mask"], base=content["base"])
lightest, darkest = cohorts.colour_range(rates)
st.pydeck_chart(cohorts.cohort_deck(rates, shapes, bounds=bounds), height=460, key="cohort_map")
st.caption(
    f"Colour: people in the cohort per 100 residents of each LSOA, from {lightest:.2f} or fewer (lightest) to "
    f"{darkest:.2f} or more (darkest). Grey: suppressed (fewer than 8 in the cohort). SYNTHETIC data."
)

st.subheader("Save and export")
cohorts_ui.save_panel(footprint.icb_code, criteria)
cohorts_ui.export_panel(
    people=people,
    mask=content["mask"],
    criteria=criteria,
    aggregates=content["aggregates"],
    icb_code=footprint.icb_code,
    footprint_label=place_name,
)
with st.expander("Export audit trail", icon=":material/history:"):
    cohorts_ui.audit_panel(footprint.icb_code)
layout.footer()
