"""Maturity results: the matrix, scores by capability, gaps, agreement, next steps, history, comparison, exports."""

import streamlit as st

from maturity import figures, repository, tables
from maturity.next_steps import suggest_next_steps
from maturity.scoring import compare_results
from ui import layout
from ui import maturity as ui

_, _, query = ui.start_page("assessment")
st.title("Maturity results")

with ui.session() as s:
    assessment = ui.choose_assessment(s, query.get("assessment"), key="mr_assessment")
    if assessment is None:
        st.info("There are no assessments yet.")
        ui.link_to(ui.ASSESSMENTS_PAGE, "Open an assessment", icon=":material/add_task:")
        layout.footer()
        st.stop()
    organisation = repository.get_organisation(s, assessment.organisation_id)
    result = repository.assessment_results(s, assessment.id)
    history = repository.history(s, organisation.id)
    previous = ui.previous_assessment(s, assessment)
    previous_result = repository.assessment_results(s, previous.id) if previous else None
    choices, related = ui.comparison_choices(s, organisation)
framework = result.framework

n = result.n_respondents
st.caption(
    f"{ui.escape_markdown(ui.organisation_label(organisation))} - {ui.escape_markdown(assessment.title)} - "
    f"{assessment.assessment_date:%d %B %Y} - "
    f"{'open' if assessment.status == 'open' else 'closed'} - {n} respondent{'' if n == 1 else 's'} - framework {framework.key}"
)
ui.small_numbers_note(result)

if not any(r.n for r in result.components):
    ui.link_to(
        ui.QUESTIONNAIRE_PAGE,
        "Answer the questionnaire",
        icon=":material/edit_note:",
        query_params={"assessment": assessment.id},
    )
else:
    columns = st.columns(len(result.capabilities) + 1)
    with columns[0]:
        ui.score_metric(
            "Overall",
            result.overall.current,
            result.overall.current_label,
            result.overall.target,
            result.overall.target_label,
        )
    for column, c in zip(columns[1:], result.capabilities, strict=True):
        with column:
            ui.score_metric(c.label, c.current, c.current_label, c.target, c.target_label)

    st.plotly_chart(figures.matrix_figure(result), key="mr_matrix")
    st.caption(
        "Colour and number in a cell: how many respondents chose that stage as current. Circle: median current stage; diamond: median target. Hover over a cell for the stage descriptor."
    )

    st.subheader("By capability")
    left, right = st.columns([3, 2])
    for capability in framework.capabilities:
        left.plotly_chart(figures.capability_figure(result, capability.id), key=f"mr_capability_{capability.id}")
    right.plotly_chart(figures.radar_figure(result), key="mr_radar")
    right.caption(
        "Bars: median current stage, with the interquartile range of the ratings. Diamonds and the dashed line: median target. Rings: stages 1 (Emerging) to 4 (Thriving)."
    )

    st.subheader("Gap analysis")
    gaps = tables.gap_table(result)
    if gaps.empty:
        st.info("No component has a target above its current stage yet (targets are set in the questionnaire).")
    else:
        st.dataframe(
            gaps,
            hide_index=True,
            key="mr_gaps",
            height=ui.table_height(gaps),
            column_config={"By when": st.column_config.DateColumn(format="D MMM YYYY")},
        )
        st.plotly_chart(figures.gap_figure(result), key="mr_gap_chart")
        st.caption("Yellow bars: respondents are uncertain about the current stage (see Agreement below).")

    st.subheader("Agreement")
    st.markdown(result.rule.describe())
    uncertain = [r.label for r in result.components if r.agreement.value == "uncertain"]
    if uncertain:
        st.warning(
            "Uncertain, worth discussing before relying on the score: " + ", ".join(uncertain) + ".",
            icon=":material/forum:",
        )
    discuss = tables.disagreement_table(result)
    if not discuss.empty:
        st.markdown("**Where respondents disagree most** - for discussion:")
        st.dataframe(
            discuss,
            hide_index=True,
            key="mr_disagreement",
            column_config={"Outside the band": st.column_config.NumberColumn(format="percent")},
        )
    with st.expander("Agreement on every component"):
        st.dataframe(
            tables.agreement_table(result),
            hide_index=True,
            key="mr_agreement",
            column_config={"Outside the band": st.column_config.NumberColumn(format="percent")},
        )

    st.subheader("Next steps")
    st.caption(
        "Suggested actions for each gap, grouped as the national PHM support offer groups them; largest gaps first."
    )
    ui.next_steps_section(suggest_next_steps(result), framework)

st.subheader(f"History of {ui.escape_markdown(organisation.name)}")
if previous_result is None:
    st.info(
        "This is the organisation's first assessment. Run a new round later (Assessments page) to see the trend and what changed."
    )
else:
    st.plotly_chart(figures.history_figure(history, framework), key="mr_history")
    st.markdown(
        f"**Change since the previous round** ({ui.escape_markdown(previous.title)}, {previous.assessment_date:%d %b %Y}):"
    )
    changes = tables.change_table(compare_results(previous_result, result))
    st.dataframe(changes, hide_index=True, key="mr_changes", height=ui.table_height(changes))

st.subheader("Compare organisations")
if len(choices) < 2:
    st.info("Assess another organisation (for example the other places of your ICB) to compare them here.")
else:
    ui.seed_comparison(related, key="mr_compare", organisation_id=organisation.id)
    chosen = st.multiselect(
        "Organisations (each at its latest assessment)",
        [o.id for o in choices],
        format_func={o.id: ui.organisation_label(o) for o in choices}.__getitem__,
        key="mr_compare",
    )
    if not chosen:
        st.info("Choose the organisations to compare.")
    else:
        with ui.session() as s:
            comparison = repository.compare(s, chosen)
        st.plotly_chart(figures.comparison_figure(comparison, framework), key="mr_comparison")

st.subheader("Export")
st.caption(
    "The report prints on A4 landscape from your browser (or save it as PDF). Responses: one row per person and component."
)
ui.export_buttons(assessment)
layout.footer()
