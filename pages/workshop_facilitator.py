"""Live workshop, facilitator's screen: start a session on an assessment, show the join code, pace the room, watch
the answers arrive (every two seconds, no reload), reveal them, record what the room agrees, close the session.

``?assessment=ID&live=ID`` in the URL keeps the session on screen after a refresh.
"""

import streamlit as st

from maturity import repository
from ui import access, layout
from ui import maturity as maturity_ui
from ui import workshop as ui
from workshop import service

_, _, query = maturity_ui.start_page("assessment", "live")
st.title("Live workshop")
if not access.require(access.Permission.RUN_SESSION, action="run a live workshop"):
    layout.footer()
    st.stop()
ui.show_flash_error()

with ui.session() as s:
    assessment = maturity_ui.choose_assessment(s, query.get("assessment"), key="wf_assessment", drop=("live",))
    if assessment is None:
        st.info("Open an assessment first: a live session runs the questionnaire of one assessment.")
        maturity_ui.link_to(maturity_ui.ASSESSMENTS_PAGE, "Open an assessment", icon=":material/add_task:")
        layout.footer()
        st.stop()
    framework = repository.framework_for(assessment)
    sessions = service.list_live_sessions(s, assessment_id=assessment.id)

by_id = {live.id: live for live in sessions}
wanted = query.get("live")
live_id = int(wanted) if wanted and wanted.isdigit() and int(wanted) in by_id else None

with st.expander("Start a new live session", expanded=live_id is None, icon=":material/add_circle:"):
    if assessment.status != "open":
        st.info("This assessment is closed: reopen it on the Assessments page to run a live session.")
    with st.form("wf_start"):
        title = st.text_input("Title (optional)", placeholder="e.g. Board development session", key="wf_title")
        hours = st.number_input(
            "The join code expires after (hours)", 0.5, service.MAX_HOURS, service.DEFAULT_HOURS, 0.5, key="wf_hours"
        )
        paced = st.checkbox("I pace the room: everyone answers the same component at once", True, key="wf_paced")
        hide = st.checkbox("Hide results until I reveal them", True, key="wf_hide_start")
        if st.form_submit_button("Start the live session", type="primary", icon=":material/play_arrow:"):
            if access.allowed(access.Permission.RUN_SESSION):
                try:
                    with ui.session() as s:
                        live = service.start_session(
                            s,
                            assessment_id=assessment.id,
                            title=title or None,
                            hours=float(hours),
                            paced=paced,
                            hide_results=hide,
                            created_by=access.current_user().email,
                        )
                except (ValueError, LookupError) as error:
                    st.error(f"Could not start: {error}")
                else:
                    maturity_ui.set_query(live=live.id)
                    st.rerun()

if sessions:
    choice = st.selectbox(
        "Live session",
        [live.id for live in sessions],
        index=[live.id for live in sessions].index(live_id) if live_id else None,
        placeholder="Choose a session to run or review",
        format_func=lambda i: (
            f"{by_id[i].title} - code {service.format_code(by_id[i].join_code)} - "
            + ("open" if by_id[i].is_open_at(ui.service_now()) else "ended")
        ),
        key="wf_session_choice",
    )
    if choice != live_id:
        maturity_ui.set_query(live=choice)
        st.rerun()
if live_id is None:
    layout.footer()
    st.stop()

with ui.session() as s:
    live = service.get_live_session(s, live_id)
    agreements = service.agreements_for(s, live_id)
is_open = live.is_open_at(ui.service_now())

st.header(maturity_ui.escape_markdown(live.title), divider="blue")
if is_open:
    ui.join_panel(live)
else:
    st.info(
        "This session has ended: the code no longer works. Its answers are part of the assessment's results.",
        icon=":material/event_busy:",
    )

ui.pace_controls(live, framework)
ui.visibility_controls(live)
ui.live_panel(live.id)  # the answers and the participant list, refreshed every two seconds

component_id = live.pace_component_id or st.selectbox(
    "Record the agreement for",
    list(framework.component_ids),
    format_func=lambda c: framework.component(c).label,
    key="wf_agreement_component",
)
ui.agreement_form(live, framework, component_id, agreements)

left, middle, right = st.columns(3)
with left:
    ui.record_download(live)
with middle:
    maturity_ui.link_to(
        maturity_ui.RESULTS_PAGE,
        "Full results of the assessment",
        icon=":material/bar_chart:",
        query_params={"assessment": assessment.id},
    )
with right:
    if is_open and st.button("Close the session", key="wf_close", icon=":material/stop_circle:"):
        ui.facilitator_write(service.close_session, live.id)
        st.rerun()
layout.footer()
