"""Streamlit helpers of the live workshop pages: the facilitator's screen and the participant's questionnaire.

The database is the only shared state: participants' answers are saved as they are given, and both pages read
them back on every run. The facilitator's live panel and the participant's watcher are ``st.fragment``s that
rerun every two seconds, so the screen follows the room without a reload. Per-user state (the participant's
token, which session the facilitator is running) lives in the URL and ``st.session_state``, never in a cache.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from maturity import exports, figures
from maturity.framework import Component, Framework
from maturity.models import AnswerPublic, utc_now
from phm_core.settings import database_url, display_time_zone
from ui import access
from ui import maturity as maturity_ui
from ui.maturity_answers import fill_from_saved, shown_answers
from workshop import db as workshop_db
from workshop import service
from workshop.figures import qr_code_svg, stage_distribution_figure
from workshop.models import LiveSessionPublic, ParticipantPublic

logger = logging.getLogger(__name__)

FACILITATOR_PAGE = "pages/workshop_facilitator.py"
JOIN_PAGE = "pages/workshop_join.py"
REFRESH = "2s"
TOKEN_STATE = "workshop_tokens"  # join code -> this browser session's participant token
ERROR_STATE = "workshop_save_errors"
VERSION_STATE = "workshop_seen_version"
ANY_COMPONENT = "__any__"

#: Hide Streamlit's sidebar, navigation and header on the participant's page (their phone shows the questions only).
PARTICIPANT_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stSidebarNav"],
[data-testid="stExpandSidebarButton"], [data-testid="stHeader"], [data-testid="stToolbar"],
[data-testid="stDecoration"], header { display: none !important; }
[data-testid="stMainBlockContainer"], .block-container { max-width: 760px; padding-top: 1.5rem; }
[data-testid="stRadio"] label p { font-size: 1.05rem; }
h1 { font-size: 2rem !important; }
</style>
"""


# --- database --------------------------------------------------------------------------------------------------


@st.cache_resource(show_spinner="Opening the workshop database ...")
def _engine(url: str) -> Engine:
    engine = maturity_ui.engine()  # one engine per process, shared with the maturity pages
    workshop_db.upgrade_to_head(engine)
    return engine


def engine() -> Engine:
    """The process's engine, with the workshop tables migrated (shared by every user; read-only object)."""
    return _engine(database_url())


@contextmanager
def session() -> Iterator[Session]:
    """One session for one unit of work."""
    with Session(engine()) as s:
        yield s


# --- links -----------------------------------------------------------------------------------------------------


def join_url(code: str) -> str:
    """The link participants open: the join page with the code."""
    return maturity_ui.page_url(JOIN_PAGE, code=code)


def service_now() -> datetime:
    """The time the service compares expiry with (UTC)."""
    return utc_now()


def stage_text(framework: Framework, value: float | None) -> str:
    """'2.5 (Developing)' or 'no answers yet'."""
    if value is None:
        return "no answers yet"
    return f"{value:g} ({framework.stage(int(value)).label})"


# --- facilitator -----------------------------------------------------------------------------------------------


def join_panel(live: LiveSessionPublic) -> None:
    """The join code in large type, the link and its QR code: what the facilitator shows the room."""
    url = join_url(live.join_code)
    left, right = st.columns([3, 2], vertical_alignment="center")
    with left:
        st.markdown("Join on your phone or laptop with the code")
        st.markdown(
            f'<div data-testid="workshop-join-code" style="font-size:4.2rem;font-weight:700;letter-spacing:0.3rem;'
            f'font-family:monospace;color:#005EB8;line-height:1.1;">{service.format_code(live.join_code)}</div>',
            unsafe_allow_html=True,
        )
        st.markdown("or open")
        st.code(url, language=None, wrap_lines=True)
        expires = service.local_time_text(live.expires_at, zone=display_time_zone(), with_date=True)
        st.caption(f"The code works until {expires} or until you close the session.")
    with right:
        svg = qr_code_svg(url)
        if svg:
            st.image(svg, width=280, caption="Scan to join")
        else:
            st.caption("Install the `qrcode` package to show a QR code of the join link.")


def _set_pace(live_id: int, key: str) -> None:
    chosen = st.session_state[key]
    facilitator_write(service.set_pace, live_id, None if chosen == ANY_COMPONENT else chosen)


def _move(live_id: int, component_id: str) -> None:
    facilitator_write(service.set_pace, live_id, component_id)


def facilitator_write(function: Callable[..., object], *args: object, **kwargs: object) -> None:
    """Run a facilitator action of :mod:`workshop.service` after checking the role; errors are shown next run."""
    if not access.allowed(access.Permission.RUN_SESSION):  # checked again at the moment of writing
        st.session_state["workshop_flash_error"] = "Your role does not allow you to run a live session."
        return
    try:
        with session() as s:
            function(s, *args, **kwargs)
    except (ValueError, LookupError) as error:
        st.session_state["workshop_flash_error"] = str(error)


def show_flash_error() -> None:
    message = st.session_state.pop("workshop_flash_error", None)
    if message:
        st.error(message, icon=":material/error:")


def pace_controls(live: LiveSessionPublic, framework: Framework) -> None:
    """Which component the room is on (or any, at their own pace), with previous / next."""
    ids = list(framework.component_ids)
    options = [ANY_COMPONENT, *ids]
    key = "wf_pace"
    st.session_state[key] = live.pace_component_id or ANY_COMPONENT
    disabled = live.status != "open"
    index = ids.index(live.pace_component_id) if live.pace_component_id in ids else None
    left, middle, right = st.columns([1, 4, 1], vertical_alignment="bottom")
    left.button(
        "Previous",
        key="wf_previous",
        icon=":material/arrow_back:",
        disabled=disabled or index in (None, 0),
        on_click=_move,
        args=(live.id, ids[max((index or 0) - 1, 0)]),
        width="stretch",
    )
    middle.selectbox(
        "The room is answering",
        options,
        format_func=lambda c: (
            "Any component, at their own pace"
            if c == ANY_COMPONENT
            else f"{ids.index(c) + 1}. {framework.component(c).label}"
        ),
        key=key,
        on_change=_set_pace,
        args=(live.id, key),
        disabled=disabled,
    )
    right.button(
        "Next",
        key="wf_next",
        icon=":material/arrow_forward:",
        icon_position="right",
        disabled=disabled or index is None or index == len(ids) - 1,
        on_click=_move,
        args=(live.id, ids[min((index or 0) + 1, len(ids) - 1)]),
        width="stretch",
    )


def visibility_controls(live: LiveSessionPublic) -> None:
    """Hide results until revealed, and the reveal / hide button."""
    left, right = st.columns(2, vertical_alignment="center")
    st.session_state["wf_hide"] = live.hide_results
    left.toggle(
        "Hide results until I reveal them",
        key="wf_hide",
        on_change=lambda: facilitator_write(
            service.set_results_visibility, live.id, hide_until_revealed=st.session_state["wf_hide"]
        ),
        disabled=live.status != "open",
    )
    if live.hide_results:
        if live.results_revealed:
            right.button(
                "Hide the results",
                key="wf_hide_results",
                icon=":material/visibility_off:",
                on_click=facilitator_write,
                args=(service.set_results_visibility, live.id),
                kwargs={"revealed": False},
            )
        else:
            right.button(
                "Reveal the results",
                key="wf_reveal",
                type="primary",
                icon=":material/visibility:",
                on_click=facilitator_write,
                args=(service.set_results_visibility, live.id),
                kwargs={"revealed": True},
            )


def _component_panel(results: service.LiveResults, component: Component, *, show: bool) -> None:
    framework = results.framework
    scored = results.result.component(component.id)
    answered = results.answered.get(component.id, 0)
    st.subheader(f"{component.label}")
    st.caption(f"{framework.capability(component.capability_id).label} - {component.summary}")
    columns = st.columns(4)
    columns[0].metric("Answered", f"{answered} of {results.n_participants}", border=True)
    if not show:
        columns[1].metric("Median now", "hidden", border=True)
        columns[2].metric("Median target", "hidden", border=True)
        columns[3].metric("Agreement", "hidden", border=True)
        if results.everyone_answered(component.id):
            st.success("Everyone has answered: reveal the results when the room is ready.", icon=":material/done_all:")
        else:
            st.info(
                "Results are hidden until you reveal them, so nobody anchors on the first answers.",
                icon=":material/visibility_off:",
            )
        st.progress(answered / max(results.n_participants, 1), text=f"{answered} of {results.n_participants} answered")
        return
    columns[1].metric("Median now", stage_text(framework, scored.current), border=True)
    columns[2].metric("Median target", stage_text(framework, scored.target), border=True)
    columns[3].metric("Agreement", scored.agreement.value.capitalize(), border=True)
    agreed = results.agreements.get(component.id)
    st.plotly_chart(
        stage_distribution_figure(scored, framework, agreed_stage=agreed.agreed_stage if agreed else None),
        key=f"wf_distribution_{component.id}",
        config={"displaylogo": False},
    )


def live_panel(live_id: int) -> None:
    """The live results, read from the database every two seconds (a fragment: no reload, no full rerun)."""

    @st.fragment(run_every=REFRESH)
    def _panel() -> None:
        with session() as s:
            results = service.live_results(s, live_id)
        live = results.live
        show = not live.hide_results or live.results_revealed
        framework = results.framework
        if live.pace_component_id:
            _component_panel(results, framework.component(live.pace_component_id), show=show)
        else:
            rated = sum(results.answered.values())
            st.metric("Participants", results.n_participants, f"{rated} ratings given", delta_color="off", border=True)
            if show:
                st.plotly_chart(figures.matrix_figure(results.result), key="wf_matrix", config={"displaylogo": False})
            else:
                st.info("Results are hidden until you reveal them.", icon=":material/visibility_off:")
        participants_list(results.participants)
        st.caption(f"Updated {live_clock()} - refreshes every two seconds.")

    _panel()


def participants_list(participants: Sequence[ParticipantPublic]) -> None:
    """Who has joined, by name, in the order they joined (inside the live panel, so it refreshes with it)."""
    with st.expander(f"Participants ({len(participants)})", icon=":material/group:", key="wf_participants"):
        names = "\n".join(f"- {maturity_ui.escape_markdown(p.display_name)}" for p in participants)
        st.markdown(names or "Nobody has joined yet.")
        st.caption("Names only: each person's answers are theirs; the room sees the distribution.")


def live_clock() -> str:
    """The time now, in the app's time zone with UTC beside it: '16:30:05 GMT (16:30:05 UTC)'."""
    return service.local_time_text(utc_now(), zone=display_time_zone(), seconds=True)


def agreement_form(live: LiveSessionPublic, framework: Framework, component_id: str, saved: dict) -> None:
    """Record the stage the room agrees on for a component, and the actions."""
    component = framework.component(component_id)
    agreement = saved.get(component_id)
    with st.form(f"wf_agreement_{component_id}"):
        st.markdown(f"**What the room agreed: {component.label}**")
        stage = st.radio(
            "Agreed current stage",
            [s.score for s in framework.stages],
            index=(agreement.agreed_stage - 1) if agreement and agreement.agreed_stage else None,
            format_func=lambda v: f"{v} {framework.stage(v).label}",
            horizontal=True,
            key=f"wf_agreed_{component_id}",
        )
        actions = st.text_area(
            "Actions",
            value=agreement.actions or "" if agreement else "",
            placeholder="Who will do what, by when",
            max_chars=service.MAX_ACTIONS_LENGTH,
            key=f"wf_actions_{component_id}",
        )
        if st.form_submit_button("Record", icon=":material/save:", disabled=live.status != "open"):
            facilitator_write(service.record_agreement, live.id, component_id, agreed_stage=stage, actions=actions)
            if "workshop_flash_error" not in st.session_state:
                st.success(f"Recorded for {component.label}.")


def record_download(live: LiveSessionPublic) -> None:
    """The session record (per component: the room's medians, agreement, agreed stage and actions) as CSV."""

    def _csv() -> bytes:
        with session() as s:
            return exports.frame_to_csv(service.session_record(s, live.id))

    st.download_button(
        "Download the session record (CSV)",
        data=_csv,
        file_name=f"workshop-{live.id}-record.csv",
        mime="text/csv",
        key="wf_record_csv",
        on_click="ignore",
        icon=":material/download:",
    )


# --- participant -----------------------------------------------------------------------------------------------


def hide_chrome() -> None:
    """No sidebar, navigation or header on the participant's page."""
    st.html(PARTICIPANT_CSS)


def remembered_token(code: str) -> str | None:
    return st.session_state.get(TOKEN_STATE, {}).get(code)


def remember_token(code: str, token: str | None) -> None:
    tokens = dict(st.session_state.get(TOKEN_STATE, {}))
    if token is None:
        tokens.pop(code, None)
    else:
        tokens[code] = token
    st.session_state[TOKEN_STATE] = tokens


def save_errors() -> dict[str, str]:
    return st.session_state.setdefault(ERROR_STATE, {})


def _answer_key(field: str, component_id: str) -> str:
    return f"wj_{field}_{component_id}"


def _save(code: str, token: str, component_id: str, field: str) -> None:
    """on_change: save one field of the participant's own answer through the service's access checks."""
    key = _answer_key(field, component_id)
    value = st.session_state.get(key)
    if field == "evidence_notes":
        value = value if isinstance(value, str) and value.strip() else None
    try:
        with session() as s:
            saved = service.save_participant_answer(s, code, token, component_id, **{field: value})
    except (ValueError, PermissionError, LookupError) as error:
        logger.info("workshop answer not saved (%s, %s): %s", component_id, field, error)
        save_errors()[key] = str(error)
    else:
        save_errors().pop(key, None)
        stored = getattr(saved, field)
        shown_answers()[key] = (stored or "") if field == "evidence_notes" else stored  # the box holds what is saved


def participant_questions(
    code: str, token: str, framework: Framework, component: Component, answer: AnswerPublic | None, *, read_only: bool
) -> None:
    """One component on a phone: the stage descriptors as the choices, target and confidence, a note."""
    errors = save_errors()
    values = {
        "current_stage": answer.current_stage if answer else None,
        "target_stage": answer.target_stage if answer else None,
        "confidence": answer.confidence if answer else None,
        "evidence_notes": (answer.evidence_notes or "") if answer else "",
    }
    for field, value in values.items():
        key = _answer_key(field, component.id)
        if key not in errors:
            fill_from_saved(key, value)  # not on every run: that could overwrite a note being typed
    st.subheader(component.label)
    st.caption(f"{framework.capability(component.capability_id).label} - {component.summary}")
    if component.questions:
        st.markdown("\n".join(f"- {q}" for q in component.questions))
    for key, message in errors.items():
        if key.endswith(f"_{component.id}"):
            st.error(f"Not saved: {maturity_ui.escape_markdown(message)}", icon=":material/error:")
    scores = [s.score for s in framework.stages]
    labels = {s.score: f"{s.score} {s.label}" for s in framework.stages}
    common = {"disabled": read_only}

    def saving(field: str) -> dict:
        return {"on_change": _save, "args": (code, token, component.id, field)}

    st.radio(
        "Where are we now?",
        scores,
        index=None,
        format_func=labels.__getitem__,
        captions=[component.descriptors[s] for s in scores],
        key=_answer_key("current_stage", component.id),
        **saving("current_stage"),
        **common,
    )
    st.radio(
        "Where should we be?",
        scores,
        index=None,
        format_func=labels.__getitem__,
        horizontal=True,
        key=_answer_key("target_stage", component.id),
        **saving("target_stage"),
        **common,
    )
    confidence = {level.score: level.label for level in framework.confidence_levels}
    st.radio(
        "How confident are you?",
        list(confidence),
        index=None,
        format_func=confidence.__getitem__,
        horizontal=True,
        key=_answer_key("confidence", component.id),
        **saving("confidence"),
        **common,
    )
    st.text_area(
        "Anything the room should know? (optional)",
        max_chars=2_000,
        key=_answer_key("evidence_notes", component.id),
        **saving("evidence_notes"),
        **common,
    )
    if answer is not None and answer.current_stage is not None:
        st.caption(f"Saved: {labels[answer.current_stage]}. You can change your answer while the session is open.")


def watch_session(code: str, token: str, version: int) -> None:
    """Rerun the page when the facilitator moves the room on or closes the session (checked every two seconds)."""

    @st.fragment(run_every=REFRESH)
    def _watch() -> None:
        try:
            with session() as s:
                current, _status, _pace = service.session_state(s, code, token)
        except (PermissionError, LookupError):
            return
        if current != version:
            st.rerun()

    _watch()
