"""Joining a questionnaire, and offering a returning person without their personal link their own response.

When the name typed matches a respondent of the assessment (case and spaces ignored), nothing is started at once:
if the role typed is also the one they gave before, the page offers to carry on with that response ("This is me");
otherwise it says only that someone of that name has answered with another role, and offers to go back and correct
the role or to start a new response. Nothing of anyone's answers is shown before the check is passed.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from maturity import repository
from maturity.framework import Framework
from maturity.models import AssessmentPublic, RespondentPublic
from ui import maturity as ui

PENDING_STATE = "mq_join_pending"


def join_form(assessment: AssessmentPublic, framework: Framework) -> None:
    """The join form, or the returning-person check after it: either ends with the respondent's token in the URL."""
    pending = st.session_state.get(PENDING_STATE)
    if pending and pending.get("assessment_id") == assessment.id:
        _returning_check(assessment, framework, pending)
        return
    if pending:  # typed for another assessment, which was then changed: fill the form with it once
        _refill(st.session_state.pop(PENDING_STATE))
    with st.form("mq_join"):
        name = st.text_input("Your name", key="mq_join_name", max_chars=repository.MAX_NAME_LENGTH)
        role = st.text_input(
            "Your role (optional)",
            placeholder="e.g. Director of population health, ICB",
            key="mq_join_role",
            max_chars=repository.MAX_NAME_LENGTH,
        )
        anonymous = st.checkbox(
            "Answer anonymously (your name is not stored; a role helps interpret the answers)", key="mq_join_anonymous"
        )
        if st.form_submit_button("Start", type="primary", key="mq_join", icon=":material/play_arrow:"):
            if not anonymous:
                with ui.session() as s:
                    same_name = repository.respondents_named(s, assessment.id, name)
                if same_name:
                    st.session_state[PENDING_STATE] = {"assessment_id": assessment.id, "name": name, "role": role}
                    st.rerun()
            _start(assessment, name=None if anonymous else name, role=role, anonymous=anonymous)


def _returning_check(assessment: AssessmentPublic, framework: Framework, pending: dict[str, Any]) -> None:
    name, role = pending["name"], pending["role"]
    shown = ui.escape_markdown(" ".join(name.split()))
    with ui.session() as s:
        matches = repository.returning_respondents(s, assessment.id, name=name, role=role)
        rated = repository.rated_components(s, assessment.id)
    if matches:
        given = f" ({ui.escape_markdown(' '.join(role.split()))})" if role.strip() else " (no role given)"
        st.info(
            f"There is already a response from **{shown}**{given} in this assessment. If it is yours, carry on "
            "with it: your answers so far are kept. If you are someone else with the same name, start a new "
            "response.",
            icon=":material/person_search:",
        )
        for person in matches:
            if st.button(
                f"This is me: continue my response (started {person.created_at:%d %b %Y}, "
                f"{rated.get(person.id, 0)} of {len(framework.components)} components rated)",
                key=f"mq_resume_{person.id}",
                type="primary",
                icon=":material/how_to_reg:",
            ):
                _continue(assessment, person)
    else:
        st.warning(
            f"Someone called **{shown}** has already started a response here, with a different role. If it is you, "
            "go back and type the role you gave then, or ask the person running the assessment for your personal "
            "link. If you are someone else with the same name, start a new response.",
            icon=":material/person_search:",
        )
    if st.button("Go back", key="mq_join_back", icon=":material/arrow_back:"):
        _refill(st.session_state.pop(PENDING_STATE))
        st.rerun()
    if st.button("I am someone else: start a new response", key="mq_join_new", icon=":material/person_add:"):
        st.session_state.pop(PENDING_STATE, None)
        _start(assessment, name=name, role=role, anonymous=False)


def _refill(pending: dict[str, Any]) -> None:
    st.session_state["mq_join_name"] = pending.get("name", "")
    st.session_state["mq_join_role"] = pending.get("role", "")


def _continue(assessment: AssessmentPublic, person: RespondentPublic) -> None:
    st.session_state.pop(PENDING_STATE, None)
    ui.remember_token(assessment.id, person.resume_token)
    ui.set_query(respondent=person.resume_token)
    st.rerun()


def _start(assessment: AssessmentPublic, *, name: str | None, role: str, anonymous: bool) -> None:
    try:
        with ui.session() as s:
            respondent = repository.get_or_create_respondent(
                s, assessment.id, name=name, role=role, anonymous=anonymous
            )
    except (ValueError, LookupError) as error:
        st.error(f"Could not start: {error}")
    else:
        _continue(assessment, respondent)
