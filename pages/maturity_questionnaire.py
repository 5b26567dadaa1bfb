"""Maturity questionnaire: a respondent joins an assessment and rates each component; every answer is saved at once.

The respondent's resume token is in the URL (``?assessment=..&respondent=TOKEN``): refreshing the page or coming
back to the link later carries on where they left off. Someone who comes back without the link and types the same
name (and the role they gave) is offered their own response (see :mod:`ui.maturity_join`).
"""

import streamlit as st

from maturity import repository
from ui import layout
from ui import maturity as ui
from ui import maturity_answers as answers_ui
from ui import maturity_join as join_ui

_, _, query = ui.start_page("assessment", "respondent")
st.title("Maturity questionnaire")

with ui.session() as s:
    assessment = ui.choose_assessment(
        s, query.get("assessment"), key="mq_assessment", prefer_open=True, drop=("respondent",)
    )
    if assessment is None:
        st.info("There is no assessment to answer yet.")
        ui.link_to(ui.ASSESSMENTS_PAGE, "Open an assessment", icon=":material/add_task:")
        layout.footer()
        st.stop()
    framework = repository.framework_for(assessment)
    token = query.get("respondent") or ui.remembered_token(assessment.id)
    respondent = repository.resume_respondent(s, token) if token else None
if token and (respondent is None or respondent.assessment_id != assessment.id):
    st.error(
        "This resume link is not recognised for this assessment. Check that the whole link was copied, or start "
        "again below as a new respondent.",
        icon=":material/link_off:",
    )
    ui.remember_token(assessment.id, None)
    ui.set_query(respondent=None)
    respondent = None
is_open = assessment.status == "open"

if respondent is None:
    if not is_open:
        st.info("This assessment is closed: it takes no new answers.")
        ui.link_to(
            ui.RESULTS_PAGE, "See the results", icon=":material/bar_chart:", query_params={"assessment": assessment.id}
        )
        layout.footer()
        st.stop()
    st.markdown(
        f"{framework.description}\n\nRate where the system is now and where it should be for each of the "
        f"{len(framework.components)} components. Answer as yourself or anonymously. Everything is saved as you "
        "go, so you can stop and come back with your personal link."
    )
    join_ui.join_form(assessment, framework)
    layout.footer()
    st.stop()

ui.remember_token(assessment.id, respondent.resume_token)
ui.set_query(respondent=respondent.resume_token)
with ui.session() as s:
    answers = repository.answers_for_respondent(s, respondent.id)
done = answers_ui.answered_components(answers)
role = f", {ui.escape_markdown(respondent.role)}" if respondent.role else ""
st.markdown(f"Answering as **{ui.escape_markdown(respondent.display_name)}**{role}.")
with st.expander("Your personal link: use it to come back later", icon=":material/bookmark:"):
    st.code(
        ui.page_url(ui.QUESTIONNAIRE_PAGE, assessment=assessment.id, respondent=respondent.resume_token), language=None
    )
    st.caption("Keep it to yourself: anyone with this link can change your answers.")
    if st.button("I am someone else: start as a new respondent", key="mq_forget"):
        ui.remember_token(assessment.id, None)
        ui.set_query(respondent=None)
        st.rerun()
if not is_open:
    st.info("This assessment is closed: your answers are shown but can no longer be changed.")
st.progress(len(done) / len(framework.components), text=f"{len(done)} of {len(framework.components)} components rated")
show_all = st.toggle("Show all components on one page", key="mq_show_all")

if show_all:
    for capability in framework.capabilities:
        st.header(capability.label, divider="blue")
        for component in capability.components:
            answers_ui.answer_component(
                framework, component, answers.get(component.id), respondent_id=respondent.id, read_only=not is_open
            )
else:
    component = answers_ui.component_navigator(framework, done, key="mq_component")
    answers_ui.answer_component(
        framework, component, answers.get(component.id), respondent_id=respondent.id, read_only=not is_open
    )
    answers_ui.next_button(framework, component, key="mq_next_bottom")

st.divider()
if len(done) == len(framework.components):
    st.success(
        "You have rated every component. Thank you! You can still change any answer while the assessment is open."
    )
ui.link_to(
    ui.RESULTS_PAGE, "See the results so far", icon=":material/bar_chart:", query_params={"assessment": assessment.id}
)
layout.footer()
