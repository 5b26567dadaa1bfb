"""Evaluation: did an intervention reduce emergency admissions? Before and after, against a matched comparison
group, on the SYNTHETIC population (where the true effect is known)."""

import streamlit as st

from phm_core import evaluation, geography
from phm_core.cohorts import format_count
from phm_core.synth import GENERATOR_VERSION
from phm_core.synth import parameters as synthetic_parameters
from ui import data, layout, synthetic
from ui import evaluation as evaluation_ui
from ui.footprint import select_footprint

footprint, lsoa = select_footprint()
footprint = synthetic.person_level_footprint(footprint)
layout.data_warnings(data.data_warnings())
st.title("Evaluation (SYNTHETIC)")
st.caption(f"{geography.footprint_name(lsoa, footprint)} ({data.geography_version(footprint.geography).label})")
synthetic.synthetic_badge()
evaluation_ui.events(footprint.icb_code)  # generates the population with progress on first use
choices = evaluation_ui.interventions(footprint.icb_code)
if not choices:
    st.info("No intervention is recorded in this population's person table (columns intervention, intervention_date).")
    layout.footer()
    st.stop()

st.markdown(
    "How would we know whether an intervention worked? The synthetic population holds a simulated pilot: "
    f"**{synthetic_parameters.INTERVENTION_NAME.lower()}** for people aged 65+ with moderate or severe frailty in half "
    "of the neighbourhoods (PCNs), enrolled during April to September 2024, the people with a recent admission more "
    "often. Comparing the enrolled people's admissions before and after is tempting but misleading: people chosen "
    "after a bad year tend to have a better one anyway (regression to the mean). A matched comparison group, with "
    "similar people followed over the same dates, takes that out."
)
with st.sidebar:
    st.markdown("**Synthetic population**")
    include_opted_out = st.toggle("Include people who opted out", value=False, key="evaluation_include_opted_out")
left, middle, right = st.columns(3)
intervention = left.selectbox("Intervention", choices, key="evaluation_intervention")
pool = middle.selectbox(
    "Comparison people from", list(evaluation.POOLS), format_func=evaluation.POOLS.__getitem__, key="evaluation_pool"
)
event_type = right.selectbox(
    "Outcome", list(evaluation.EVENT_LABELS), format_func=evaluation.EVENT_LABELS.__getitem__, key="evaluation_outcome"
)
result = evaluation_ui.evaluation_content(
    footprint,
    intervention,
    pool,
    event_type,
    include_opted_out,
    synthetic.DEFAULT_SEED,
    synthetic.sample_fraction(),
    GENERATOR_VERSION,
)
if result is None:
    st.info(f"Nobody in {geography.footprint_name(lsoa, footprint)} received it, or nobody could be compared.")
    layout.footer()
    st.stop()

small = result.matched <= 7
columns = st.columns(4)
columns[0].metric("People enrolled", format_count(result.enrolled))
columns[1].metric(
    "Matched",
    format_count(result.matched),
    help=f"Enrolled people with someone alike to compare, against {format_count(result.comparison_people)} "
    f"comparison people (as informative as {format_count(round(result.effective_comparison))} equally weighted "
    f"people) out of {format_count(result.pool_people)} in the pool.",
)
columns[2].metric(
    "Naive before and after",
    "suppressed" if small else f"{result.naive_change:+.0%}",
    help="Change in the enrolled people's rate, after against the 12 months before (95% bootstrap interval "
    f"{result.naive_interval[0]:+.0%} to {result.naive_interval[1]:+.0%}).",
)
columns[3].metric(
    "Matched estimate",
    "suppressed" if small else f"{result.matched_effect:+.0%}",
    help="Ratio of the enrolled group's after/before rates to the weighted comparison group's (difference in "
    f"differences on the log scale); 95% bootstrap interval {result.matched_interval[0]:+.0%} to "
    f"{result.matched_interval[1]:+.0%}.",
)
if not small:
    st.markdown(
        f"Naive before and after: **{result.naive_change:+.0%}** ({result.naive_interval[0]:+.0%} to "
        f"{result.naive_interval[1]:+.0%}). Against the matched comparison group: **{result.matched_effect:+.0%}** "
        f"({result.matched_interval[0]:+.0%} to {result.matched_interval[1]:+.0%}). The synthetic data were made with "
        f"a true effect of **{-synthetic_parameters.INTERVENTION_EFFECT:+.0%}** on emergency admissions and "
        "ambulance conveyances after enrolment (known only because the data are synthetic). Matching takes out "
        "the regression to the mean that the naive "
        "comparison includes. Any one estimate still varies by chance, more so in a small area: read it with its "
        "interval and the balance below. (Tested on 48 regenerated synthetic populations, 24 with this effect and "
        "24 with none, the matched interval held the true effect in 94 of 96 evaluations.)"
    )
    note = evaluation.true_effect_note(result.matched_interval, true_effect=synthetic_parameters.INTERVENTION_EFFECT)
    if note is not None:
        text, missed = note
        (st.warning if missed else st.success)(text)
charts = st.columns(2)
charts[0].plotly_chart(evaluation.before_after_figure(result), key="evaluation_before_after")
charts[1].plotly_chart(evaluation.monthly_figure(result.monthly, event_type=event_type), key="evaluation_monthly")
evaluation_ui.show_groups(result)
st.caption(
    "Before: the 12 months before each person's date. After: from the date to 31 March 2025 or death. Comparison "
    "people get a date drawn from the enrolment dates; their events and person-years are weighted to the enrolled "
    "group's make-up. Blank = suppressed (1 to 7 people or events). SYNTHETIC data."
)
resampled = (
    "whole neighbourhoods (PCNs), the programme's and the others separately, because the programme was given to "
    "whole PCNs"
    if result.clustered
    else "the enrolled and the comparison people (too few neighbourhoods to resample whole PCNs)"
)
with st.expander("How the groups were matched, and how alike they are"):
    st.markdown(
        "A logistic regression gives each person's chance of being enrolled from the variables below (counts on a "
        "log scale). Enrolled and comparison people are then grouped into cells of people alike: the same frailty "
        "level, events in the 12 months before (0 to 6+), admissions in the year to March 2024 (0 to 4+) and fifth "
        "of that chance. Every comparison person in a cell with enrolled people is used, weighted so that the "
        "comparison group has the same make-up as the enrolled group; enrolled people in a cell with nobody to "
        f"compare are left out. Intervals: {evaluation.BOOTSTRAP} bootstrap resamples of {resampled}. A "
        "standardised difference under 0.1 is usually taken as good balance."
    )
    evaluation_ui.show_balance(result)
layout.footer()
