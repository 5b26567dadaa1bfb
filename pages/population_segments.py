"""Population segments: Bridges to Health segments and the risk pyramid of the footprint's SYNTHETIC people."""

import streamlit as st

from phm_core import segmentation
from phm_core.synth import GENERATOR_VERSION
from phm_core.synth.schema import INDEX_DATE
from ui import data, layout, synthetic
from ui import risk as risk_ui
from ui.footprint import select_footprint

footprint, _ = select_footprint()
footprint = synthetic.person_level_footprint(footprint)
layout.data_warnings(data.data_warnings())
st.title("Population segments (SYNTHETIC)")
synthetic.synthetic_badge()
synthetic.segmented_population(footprint.icb_code)  # generates with progress on first use, then reused

with st.sidebar:
    st.markdown("**Synthetic population**")
    include_opted_out = st.toggle(
        "Include people who opted out",
        value=False,
        key="segments_include_opted_out",
        help="People with a national data opt-out are excluded by default, as they would be from a real extract.",
    )
fraction = synthetic.sample_fraction()
content = synthetic.segment_content(footprint, include_opted_out, synthetic.DEFAULT_SEED, fraction, GENERATOR_VERSION)
summary, risk = content["summary"], content["risk"]

sample = "" if fraction >= 1 else f" (a {fraction:.0%} sample)"
st.caption(
    f"{content['name']}: {content['people']:,} synthetic people alive on {INDEX_DATE:%d %B %Y}{sample}, "
    f"with their activity and cost in the previous 12 months "
    f"(generated for the ICB's LSOAs, {data.geography_version(footprint.geography).label}). "
    + (
        f"{content['opted_out']:,} people who opted out are excluded."
        if not include_opted_out
        else f"Including {content['opted_out']:,} people who opted out."
    )
)
if content["people"] == 0:
    st.info("No synthetic people belong to this footprint. Choose another area in the sidebar.")
    st.stop()

segments_column, risk_column = st.columns([3, 2])
with segments_column:
    st.subheader("Segments")
    st.plotly_chart(segmentation.people_and_cost_figure(summary), key="segments_people_cost")
with risk_column:
    st.subheader("Risk framing")
    model_risk = risk_ui.model_tier_summary(footprint, include_opted_out=include_opted_out)
    risk = risk if model_risk is None else model_risk
    st.plotly_chart(segmentation.risk_pyramid_figure(risk), key="segments_risk_pyramid")
    headline = segmentation.risk_headline(risk)
    if headline:
        st.markdown(headline)
    st.caption(risk_ui.INTERIM_TIERS_NOTE if model_risk is None else risk_ui.MODEL_TIERS_NOTE)

activity_columns = {
    "label": "Segment",
    "people": st.column_config.NumberColumn("People", format="localized", width="small"),
    "share_of_people": st.column_config.NumberColumn("% of people", format="percent", width="small"),
    "share_of_cost": st.column_config.NumberColumn("% of cost", format="percent", width="small"),
    "cost_per_person": st.column_config.NumberColumn(
        "£ per person", format="£%.0f", width="small", help="Cost per person in the last 12 months"
    ),
    "gp_contacts_per_1000": st.column_config.NumberColumn(
        "GP contacts", format="%.0f", width="small", help="GP practice contacts per 1,000 people"
    ),
    "ae_attendances_per_1000": st.column_config.NumberColumn(
        "A&E", format="%.0f", width="small", help="A&E attendances per 1,000 people"
    ),
    "emergency_admissions_per_1000": st.column_config.NumberColumn(
        "Admissions", format="%.0f", width="small", help="Emergency admissions per 1,000 people"
    ),
    "bed_days_per_1000": st.column_config.NumberColumn(
        "Bed days", format="%.0f", width="small", help="Emergency bed days per 1,000 people"
    ),
    "ambulance_conveyances_per_1000": st.column_config.NumberColumn(
        "Ambulance", format="%.0f", width="small", help="Ambulance conveyances per 1,000 people"
    ),
}
st.dataframe(summary[list(activity_columns)], hide_index=True, width="stretch", column_config=activity_columns)
st.caption(
    "Activity and cost in the 12 months before the index date. Activity is per 1,000 people: GP practice "
    "contacts, A&E attendances, emergency admissions, emergency bed days, ambulance conveyances. Blank cells are "
    "suppressed (1 to 7, or a cell that would reveal one). SYNTHETIC data."
)
with st.expander("How people are put in segments"):
    st.markdown(
        "Each person is in the first segment whose rule they meet, highest need first (Bridges to Health):\n\n"
        + "\n".join(f"{i}. **{s.label}**: {s.rule_text}" for i, s in enumerate(segmentation.SEGMENTS, start=1))
    )

st.subheader("Segments by deprivation, age and area")
tabs = st.tabs(["Deprivation", "Age", "Place", "Neighbourhood (PCN)"])
for tab, dimension in zip(tabs, ("imd_quintile", "age_band", "ltla24_code", "pcn_code"), strict=True):
    with tab:
        breakdown = content["breakdowns"][dimension]
        label = segmentation.DIMENSIONS[dimension]
        st.plotly_chart(
            segmentation.segment_mix_figure(breakdown, dimension_label=label), key=f"segments_mix_{dimension}"
        )
        table = segmentation.people_table(breakdown)
        st.dataframe(table, width="stretch", column_config=synthetic.people_columns(table))
        st.caption(f"People by {label[0].lower() + label[1:]} and segment (SYNTHETIC); blank = suppressed.")

st.subheader("Where each segment lives")
segment = st.selectbox(
    "Segment",
    segmentation.SEGMENT_KEYS,
    index=segmentation.SEGMENT_KEYS.index("frailty_dementia"),
    format_func=segmentation.SEGMENT_LABELS.__getitem__,
    key="segments_map_segment",
)
deck, (lightest, darkest) = synthetic.segment_map(
    footprint, segment, include_opted_out, synthetic.DEFAULT_SEED, fraction, GENERATOR_VERSION
)
st.pydeck_chart(deck, height=480, key="segments_map")
st.caption(
    f"Colour: synthetic residents in the segment per 100 residents of each LSOA, from {lightest:.1f} or fewer "
    f"(lightest) to {darkest:.1f} or more (darkest blue). Grey: suppressed (fewer than 8 people in the segment). "
    "SYNTHETIC data."
)
with st.expander("How close the synthetic population is to the published figures (calibration)"):
    checks = synthetic.calibration_content(footprint.icb_code, synthetic.DEFAULT_SEED, fraction, GENERATOR_VERSION)
    st.markdown(
        "Each place's register counts are set to the House of Commons Library modelled QOF prevalence (2019/20) "
        "of its eligible residents; deaths follow England's life expectancy by national deprivation decile (ONS "
        "2018-20). Figures for the whole ICB, in percent; error in percentage points. See "
        "docs/synthetic_population.md for the method and its assumptions."
    )
    st.dataframe(
        checks["prevalence"],
        hide_index=True,
        width="stretch",
        height=320,
        column_config={
            "ltla24_name": "Place",
            "register_code": "QOF register",
            "condition": "Column",
            "eligible": st.column_config.NumberColumn("Eligible people", format="localized"),
            "target": st.column_config.NumberColumn("Target %", format="%.2f"),
            "synthetic": st.column_config.NumberColumn("Synthetic %", format="%.2f"),
            "error_points": st.column_config.NumberColumn("Error (points)", format="%.4f"),
        },
    )
    gaps = checks["gaps"]
    st.markdown(
        f"Life expectancy at birth by national deprivation decile, computed from the synthetic deaths with "
        f"phm_core.stats.life_expectancy (modelled): most to least deprived gap {gaps.get('M', float('nan')):.1f} "
        f"years for men and {gaps.get('F', float('nan')):.1f} for women (England 2018-20: 9.7 and 7.9)."
    )
    st.dataframe(checks["life_expectancy"], hide_index=True, width="stretch")
layout.footer()
