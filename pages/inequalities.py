"""Inequalities: life expectancy by place against England, and the gap between the most and least deprived."""

import streamlit as st

from phm_core.figures import (
    life_expectancy_gap_comparison_figure,
    life_expectancy_gap_figure,
    life_expectancy_trend_figure,
    plotly_config,
)
from ui import data, layout, profiles
from ui.footprint import select_footprint

footprint, _ = select_footprint()
content = profiles.inequalities_content(footprint, data.footprint_signature(footprint))
st.title("Inequalities in life expectancy")
st.markdown(content["place_sentence"] + " " + " ".join(content["gap_sentences"]))
healthy = profiles.published_england_gaps("healthy life expectancy")
st.info(
    f"For context: across England, healthy life expectancy (years lived in good health) is "
    f"{healthy['Male'].years:.1f} years shorter for men and {healthy['Female'].years:.1f} years shorter for women "
    f"in the most deprived neighbourhoods than in the least ({healthy['Male'].citation})."
)

st.subheader("Life expectancy by place")
if content["series"].empty:
    st.info("The ONS Health Index has no life expectancy series for these places.")
else:
    st.plotly_chart(
        life_expectancy_trend_figure(
            content["series"], names=content["names"], title="Life expectancy at birth, persons (ONS Health Index)"
        ),
        config=plotly_config(f"life_expectancy_by_place_{footprint.icb_code}"),
        key="le_trend",
    )
    st.caption(
        "ONS Health Index for England, 2015-2021, local authorities on 2021 boundaries (authorities merged in 2023 "
        "are population-weighted). England is the population-weighted average of all authorities. The 2021 figures "
        "repeat 2020 where the Health Index carried values forward. No confidence intervals are published."
    )

st.subheader("The gap between the most and least deprived")
gaps, england, published = content["gaps"], content["england_gaps"], content["published_gaps"]
for sex, noun in (("Female", "women"), ("Male", "men")):
    here, same, ons = st.columns(3)
    gap = gaps[sex]
    measured = gap["sii"] == gap["sii"]
    here.metric(
        f"Gap, {noun} (slope index)",
        f"{gap['sii']:.1f} years" if measured else "not measured",
        f"95% CI {gap['lower']:.1f} to {gap['upper']:.1f}" if measured else None,
        delta_color="off",
        delta_arrow="off",
    )
    same.metric(
        f"England, {noun} (same practice method)",
        f"{england[sex]['sii']:.1f} years",
        f"95% CI {england[sex]['lower']:.1f} to {england[sex]['upper']:.1f}",
        delta_color="off",
        delta_arrow="off",
        help="All of England's GP practices, measured exactly as this footprint's are: the like-for-like comparison.",
    )
    ons.metric(
        f"England, {noun} (ONS published, {published[sex].period})",
        f"{published[sex].years:.1f} years",
        "between neighbourhoods",
        delta_color="off",
        delta_arrow="off",
        help=f"{published[sex].citation}: slope index of inequality across {published[sex].deprivation}.",
    )
st.markdown(content["england_explanation"])
if any(g["sii"] == g["sii"] for g in gaps.values()):
    st.plotly_chart(
        life_expectancy_gap_comparison_figure(gaps, england, published, where=content["name"]),
        config=plotly_config(f"life_expectancy_gap_against_england_{footprint.icb_code}"),
        key="le_gap_england",
    )
if content["fifths_table"].empty:
    st.info(f"Too few GP practices ({content['practices']}) with published life expectancy to measure the gap here.")
else:
    st.plotly_chart(
        life_expectancy_gap_figure(content["fifths"], content["gaps"], where=content["name"]),
        config=plotly_config(f"life_expectancy_gap_{footprint.icb_code}"),
        key="le_gap",
    )
    st.caption(
        "OHID life expectancy at birth for each GP practice's population (MSOA-based, latest period published, labelled 2020), against the "
        "practice's deprivation score (IMD 2019). Practices are grouped into fifths of registered patients from most "
        "to least deprived; bars show the list-weighted mean with 95% limits from the spread between practices. The "
        "gap is the slope index of inequality (population-weighted regression on deprivation rank; limits from "
        "10,000 seeded simulations). Practice populations mix people from many neighbourhoods, so this understates "
        "the gap between the most and least deprived neighbourhoods."
    )
    st.download_button(
        "Download the figures behind the chart (CSV)",
        content["fifths_table"].to_csv(index=False).encode(),
        file_name=f"phm_navigator_{footprint.icb_code}_life_expectancy_gap.csv",
        mime="text/csv",
        key="gap_csv",
    )
layout.footer()
