"""Impactability and scenarios: forecast what an intervention would change for a cohort, with uncertainty, and
compare up to three scenarios (SYNTHETIC)."""

import streamlit as st

from phm_core import cohorts
from phm_core import scenarios as sc
from ui import cohorts as cohorts_ui
from ui import data, layout, synthetic
from ui import scenarios as scenarios_ui
from ui.footprint import select_footprint
from ui.maturity import escape_markdown

footprint, lsoa = select_footprint()
footprint = synthetic.person_level_footprint(footprint)
layout.data_warnings(data.data_warnings())
st.title("Impactability and scenarios (SYNTHETIC)")
synthetic.synthetic_badge()
people, index, inside, names, place_name = cohorts_ui.cohort_page_data(footprint, lsoa)  # generates, trains

st.markdown(
    f"Pick an intervention and the people of **{place_name}** it is for, check the assumptions (each says where it "
    "comes from), and see what would change in a year: people taking part, emergency admissions, bed days, A&E "
    "attendances and ambulance conveyances avoided, activity added in other settings, and the costs, each with a "
    "95% interval from a Monte Carlo simulation over the assumptions."
)
st.subheader("1. Intervention and people")
intervention = scenarios_ui.choose_intervention()
criteria, cohort_label = scenarios_ui.choose_cohort(intervention, footprint.icb_code)
mask = index.mask(criteria, within=inside)
eligible = int(mask.sum())
cohort_text = cohorts.cohort_sentence(cohort_label, cohorts.describe_criteria(criteria, names=names))
st.metric("People eligible", cohorts.format_count(eligible))
st.caption(escape_markdown(cohort_text) + ".")  # names typed by users, shown as typed

st.subheader("2. Assumptions")
edited = scenarios_ui.assumption_inputs(intervention)
left, middle, right = st.columns([3, 1, 1])
name = left.text_input("Scenario name", value=intervention.label, key=f"scenario_name_{intervention.key}", max_chars=60)
draws = middle.selectbox("Monte Carlo draws", scenarios_ui.DRAW_OPTIONS, index=1, key="scenario_draws")
seed = right.number_input("Random seed", min_value=0, max_value=2**31 - 1, value=1, step=1, key="scenario_seed")

st.subheader("3. What would change in a year")
if eligible == 0:
    st.info("Nobody is eligible: choose another cohort.")
elif edited is None:
    st.warning(
        "An assumption above cannot be used (its message says why): correct it to run the scenario. The other "
        "values and the comparison below are kept.",
        icon=":material/warning:",
    )
else:
    result = scenarios_ui.run_scenario(
        name or intervention.label,
        edited,
        people,
        mask,
        seed=int(seed),
        draws=int(draws),
        criteria=criteria,
        cohort=cohort_text,
    )
    scenarios_ui.show_summary(result)
    st.caption(
        f"Baseline: the cohort's activity in the 12 months before the index date; {draws:,} draws, seed {seed}. "
        "People eligible from 1 to 7 are suppressed. Costs at national unit costs. Modelled figures on SYNTHETIC data."
    )
    st.plotly_chart(sc.shift_figure({result["name"]: result["summary"]}), key="scenario_shift")
    st.button(
        "Add to the comparison",
        key="scenario_add",
        on_click=scenarios_ui.add_to_comparison,
        args=(result,),
        icon=":material/add_chart:",
        help=f"Compare up to {sc.MAX_SCENARIOS} scenarios; one with the same name is replaced.",
    )

st.subheader("Comparison")
items = scenarios_ui.comparison()
if not items:
    st.info(f"Add up to {sc.MAX_SCENARIOS} scenarios to compare them side by side.")
else:
    results = {r["name"]: r["summary"] for r in items}
    table = sc.comparison_table(results, {r["name"]: r["eligible"] for r in items})
    display = sc.comparison_display(table, list(results))
    st.dataframe(display, hide_index=True, width="stretch", height=38 + 35 * len(display))
    st.caption("Median (95% interval) of each outcome. Modelled figures on SYNTHETIC data.")
    with st.expander("Assumptions of each scenario", icon=":material/tune:"):
        st.dataframe(scenarios_ui.assumptions_display(items), hide_index=True, width="stretch")
        st.caption("Most likely (low to high); '(yours)' where the scenario's value differs from the default.")
    st.plotly_chart(sc.comparison_figure(results), key="scenario_comparison_avoided")
    st.plotly_chart(sc.shift_figure(results), key="scenario_comparison_shift")
    buttons = st.container(horizontal=True)
    for item in items:
        buttons.button(
            f"Remove {item['name']}",
            key=f"scenario_remove_{item['name']}",
            on_click=scenarios_ui.remove_from_comparison,
            args=(item["name"],),
            icon=":material/close:",
        )
    scenarios_ui.export_panel(items, icb_code=footprint.icb_code, footprint_label=place_name)
layout.footer()
