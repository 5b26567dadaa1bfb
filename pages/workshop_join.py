"""Live workshop, participant's page: join with the code, then answer the component the room is on.

``?code=ABCD2345`` opens the session; after joining ``&p=TOKEN`` (the participant's secret) is added, so a refresh
carries on. No sidebar or navigation: a phone shows the questions only. The page follows the facilitator (next
component, session closed) by itself, checking every two seconds.
"""

import secrets
from typing import NoReturn

import streamlit as st

from maturity import repository
from ui import layout
from ui import maturity as maturity_ui
from ui import workshop as ui
from workshop import service

CODE_LENGTH_TEXT = "A join code has eight letters and digits, e.g. ABCD 2345."


def ask_for_code(*, problem: str | None = None, typed: str = "") -> NoReturn:
    """The join code box (with what was typed before, to correct) and, after a wrong code, what was wrong; stops."""
    st.title("Join a live workshop")
    if problem:
        st.error(problem, icon=":material/link_off:")
    with st.form("wj_code_form"):
        text = st.text_input("Join code", value=typed[:12], placeholder="ABCD 2345", key="wj_code", max_chars=12)
        if st.form_submit_button("Continue", type="primary", key="wj_code_continue", icon=":material/arrow_forward:"):
            if service.normalise_code(text):
                maturity_ui.set_query(code=service.normalise_code(text), p=None)
                st.rerun()
            st.error(CODE_LENGTH_TEXT)
    layout.footer()
    st.stop()


@st.cache_resource
def join_limiter() -> service.JoinCodeLimiter:
    """The process's limit on wrong join codes (shared by every user; thread-safe)."""
    return service.JoinCodeLimiter()


def client_id() -> str:
    """This browser session's random id, the client the join-code limit counts wrong codes for."""
    return st.session_state.setdefault("wj_client", secrets.token_hex(8))


def refuse_if_guessing(code: str) -> None:
    """Stop with "Too many tries" while this client (or the server as a whole) must wait after wrong codes."""
    wait = join_limiter().wait_seconds(client_id())
    if wait:
        ask_for_code(
            problem=f"Too many tries: wait {wait} second{'s' if wait != 1 else ''}, then type the code again.",
            typed=service.format_code(code),
        )


layout.ensure_router()
ui.hide_chrome()
given = st.query_params.get("code")
code = service.normalise_code(given)
token = st.query_params.get("p") or (ui.remembered_token(code) if code else None)

if code is None:
    ask_for_code(problem=f"That is not a join code. {CODE_LENGTH_TEXT}" if given else None, typed=given or "")

if token is None:
    refuse_if_guessing(code)
    try:
        with ui.session() as s:
            live = service.find_open_session(s, code)
            assessment = repository.get_assessment(s, live.assessment_id)
    except (service.SessionUnavailable, LookupError) as error:
        join_limiter().record_failure(client_id(), code)
        ask_for_code(problem=f"Cannot join: {error}. Type the code again:", typed=service.format_code(code))
    join_limiter().record_success(client_id())
    st.title(maturity_ui.escape_markdown(live.title))
    st.markdown(
        f"You are joining **{maturity_ui.escape_markdown(assessment.title)}**, a self-assessment of population health management maturity. "
        "You will see one question at a time as the facilitator moves the room on. Your answers are saved as you "
        "give them; the room sees only how many chose each stage."
    )
    with st.form("wj_join"):
        name = st.text_input("Your name", key="wj_name", max_chars=service.MAX_NAME_LENGTH)
        role = st.text_input("Your role (optional)", key="wj_role", max_chars=service.MAX_NAME_LENGTH)
        anonymous = st.checkbox("Take part anonymously (your name is not stored)", key="wj_anonymous")
        if st.form_submit_button("Join", type="primary", key="wj_join_button", icon=":material/login:"):
            try:
                with ui.session() as s:
                    joined = service.join_session(s, code, name=name, role=role, anonymous=anonymous)
            except (ValueError, LookupError) as error:
                st.error(f"Could not join: {error}")
            else:
                ui.remember_token(code, joined.token)
                maturity_ui.set_query(code=code, p=joined.token)
                st.rerun()
    layout.footer()
    st.stop()

try:
    with ui.session() as s:
        view = service.participant_view(s, code, token)
        framework = repository.framework_for(repository.get_assessment(s, view.live.assessment_id))
except PermissionError as error:
    ui.remember_token(code, None)
    maturity_ui.set_query(p=None)
    ask_for_code(problem=f"{error}. Join again with this code, or type another:", typed=service.format_code(code))

ui.remember_token(code, token)
maturity_ui.set_query(code=code, p=token)
live = view.live
st.title(maturity_ui.escape_markdown(live.title))
st.caption(f"Taking part as {maturity_ui.escape_markdown(view.participant.display_name)}")
done = {cid for cid, a in view.answers.items() if a.current_stage is not None}

if not view.is_open:
    st.success("This session has ended. Thank you for taking part!", icon=":material/celebration:")
    if view.answers:
        st.markdown(
            "Your answers:\n"
            + "\n".join(
                f"- {framework.component(cid).label}: {framework.stage(a.current_stage).label}"
                for cid, a in view.answers.items()
                if a.current_stage is not None and framework.has_component(cid)
            )
        )
    layout.footer()
    st.stop()

if live.pace_component_id:
    ids = list(framework.component_ids)
    st.progress(
        (ids.index(live.pace_component_id) + 1) / len(ids),
        text=f"Question {ids.index(live.pace_component_id) + 1} of {len(ids)}",
    )
    component = framework.component(live.pace_component_id)
else:
    st.progress(len(done) / len(framework.components), text=f"{len(done)} of {len(framework.components)} answered")
    component = framework.component(
        st.selectbox(
            "Component",
            list(framework.component_ids),
            format_func=lambda c: ("\u2713 " if c in done else "\u2003 ") + framework.component(c).label,
            key="wj_component",
        )
    )
ui.participant_questions(code, token, framework, component, view.answers.get(component.id), read_only=False)
if live.pace_component_id:
    st.info("When everyone has answered, the facilitator moves the room on: this page follows by itself.")
ui.watch_session(code, token, live.state_version)
layout.footer()
