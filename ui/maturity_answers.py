"""The questionnaire's widgets: one component's descriptors, questions and answer fields, saved as they change.

The database is the source of truth. Widget state is deleted when a user leaves a page, so every answer is saved
as it is given (``on_change`` callbacks calling ``repository.save_answer``) and the widgets are filled again from
the database when they are first drawn or when the saved value changed elsewhere (never on every run: that would
overwrite what is being typed during a redraw). Text boxes send their value a moment after the respondent stops
typing, and before a click elsewhere or closing the tab (``assets/keep_typed_text.js``, installed by the footer).
A save that fails is kept in the session with what was given, shown with the reason, and can be retried: nothing
is lost silently.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import streamlit as st

from maturity import repository
from maturity.framework import Component, Framework
from maturity.models import AnswerPublic
from maturity.repository import MAX_NOTES_LENGTH
from ui.maturity import escape_markdown, session

logger = logging.getLogger(__name__)

ERRORS_STATE = "maturity_save_errors"
POSITION_STATE = "maturity_position"
SHOWN_STATE = "maturity_shown_answers"
_NOTHING = object()

ANSWER_FIELDS = ("current_stage", "target_stage", "target_date", "confidence", "evidence_notes", "evidence_links")
FIELD_LABELS = {
    "current_stage": "Current stage",
    "target_stage": "Target stage",
    "target_date": "By when",
    "confidence": "Confidence",
    "evidence_notes": "Evidence notes",
    "evidence_links": "Evidence links",
}
EARLIEST_DATE, LATEST_DATE = date(2015, 1, 1), date(2050, 12, 31)


def answer_key(field: str, component_id: str) -> str:
    """The widget key of one answer field of one component."""
    return f"mq_{field}_{component_id}"


def _widget_value(answer: AnswerPublic | None, field: str) -> object:
    if field == "evidence_links":
        return "\n".join(answer.evidence_links) if answer else ""
    if field == "evidence_notes":
        return (answer.evidence_notes or "") if answer else ""
    return getattr(answer, field) if answer else None


def _saved_value(field: str, value: object) -> object:
    if field == "evidence_notes":
        return value if isinstance(value, str) and value.strip() else None
    if field == "evidence_links":
        return value or ""
    return value


@dataclass(frozen=True)
class UnsavedAnswer:
    """A field whose last save failed: what the respondent gave and why it was not saved."""

    component_id: str
    field: str
    value: object
    message: str


def save_errors() -> dict[str, UnsavedAnswer]:
    """Answers that could not be saved, by widget key (kept in the session until a save succeeds)."""
    return st.session_state.setdefault(ERRORS_STATE, {})


def _value_text(framework: Framework, field: str, value: object) -> str:
    if value is None or value == "":
        return "blank"
    if field in ("current_stage", "target_stage"):
        return framework.stage(int(value)).label
    if field == "confidence":
        return framework.confidence(int(value)).label
    if isinstance(value, date):
        return f"{value:%d %b %Y}"
    return "below"


def _save_field(respondent_id: int, component_id: str, field: str, *, retry: bool = False) -> None:
    """on_change: save one field of one answer at once; a failure is kept and shown, never dropped."""
    key = answer_key(field, component_id)
    errors = save_errors()
    # A retry saves what the respondent gave, even if the widget has been reset meanwhile (e.g. disabled).
    value = errors[key].value if retry and key in errors else st.session_state.get(key)
    try:
        with session() as s:
            saved = repository.save_answer(s, respondent_id, component_id, **{field: _saved_value(field, value)})
    except Exception as error:  # any failure must reach the respondent, not vanish
        logger.warning("answer not saved (respondent %s, %s, %s): %s", respondent_id, component_id, field, error)
        errors[key] = UnsavedAnswer(component_id, field, value, str(error))
    else:
        errors.pop(key, None)
        if retry:  # the widget may have been reset meanwhile: fill it again with what is now saved
            shown_answers().pop(key, None)
        else:  # what the widget holds is saved: leave it as it is
            shown_answers()[key] = _widget_value(saved, field)


def shown_answers() -> dict[str, object]:
    """The saved value each answer widget was last filled from (or saved from), by widget key, in this session."""
    return st.session_state.setdefault(SHOWN_STATE, {})


def fill_from_saved(key: str, saved_value: object) -> None:
    """Fill a widget from the database when it is first drawn, or when the saved value changed elsewhere.

    Never on every run: writing the widget's state sends its value to the browser, which can overwrite what the
    respondent is typing at that moment with the value saved a second earlier.
    """
    shown = shown_answers()
    if key not in st.session_state or shown.get(key, _NOTHING) != saved_value:
        st.session_state[key] = saved_value
    shown[key] = saved_value


def _retry(respondent_id: int, component_id: str) -> None:
    for unsaved in list(save_errors().values()):
        if unsaved.component_id == component_id:
            _save_field(respondent_id, component_id, unsaved.field, retry=True)


def unsaved_answers(framework: Framework, component_id: str, *, respondent_id: int, read_only: bool) -> None:
    """Show, for one component, every field whose save failed, with what was given, and a button to retry."""
    unsaved = [u for u in save_errors().values() if u.component_id == component_id]
    for u in unsaved:
        given = _value_text(framework, u.field, u.value)
        st.error(
            f"{FIELD_LABELS[u.field]} ({given}) was not saved: {escape_markdown(u.message)}", icon=":material/error:"
        )
        if u.field in ("evidence_notes", "evidence_links") and u.value:
            st.code(str(u.value), language=None, wrap_lines=True)
    if unsaved and not read_only:
        st.button(
            "Try saving again",
            key=f"mq_retry_{component_id}",
            on_click=_retry,
            args=(respondent_id, component_id),
            icon=":material/refresh:",
        )


def answered_components(answers: Mapping[str, AnswerPublic]) -> set[str]:
    """Components the respondent has given a current stage for."""
    return {cid for cid, a in answers.items() if a.current_stage is not None}


def answer_component(
    framework: Framework,
    component: Component,
    answer: AnswerPublic | None,
    *,
    respondent_id: int,
    read_only: bool = False,
) -> None:
    """One component of the questionnaire: stage descriptors, questions, evidence guidance and the answer widgets.

    The widgets are filled from the saved ``answer`` on every run (except fields whose last save failed, which
    keep what the respondent typed) and save themselves as they change.
    """
    errors = save_errors()
    for field in ANSWER_FIELDS:
        key = answer_key(field, component.id)
        if key not in errors:
            fill_from_saved(key, _widget_value(answer, field))
    capability = framework.capability(component.capability_id)
    st.subheader(f"{component.label}")
    st.caption(f"{capability.label} - {component.summary}")
    if component.questions:
        st.markdown("**To discuss:**\n" + "\n".join(f"- {q}" for q in component.questions))

    columns = st.columns(len(framework.stages))
    for column, stage in zip(columns, framework.stages, strict=True):
        with column.container(border=True, height="stretch"):
            badges = []
            if answer and answer.current_stage == stage.score:
                badges.append(":blue-badge[Your current stage]")
            if answer and answer.target_stage == stage.score:
                badges.append(":green-badge[Your target]")
            st.markdown(f"**{stage.score} {stage.label}** " + " ".join(badges))
            st.markdown(component.descriptors[stage.score])
    with st.expander("Evidence that supports each stage"):
        st.markdown("\n".join(f"- **{s.label}**: {component.evidence[s.score]}" for s in framework.stages))

    unsaved_answers(framework, component.id, respondent_id=respondent_id, read_only=read_only)

    stage_labels = {s.score: f"{s.score} {s.label}" for s in framework.stages}
    stage_options = list(stage_labels)
    confidence_labels = {level.score: level.label for level in framework.confidence_levels}
    common = {"disabled": read_only}

    def on_change(field: str) -> dict:
        return {"on_change": _save_field, "args": (respondent_id, component.id, field)}

    left, right = st.columns(2)
    left.radio(
        "Current stage: where is the system now?",
        stage_options,
        index=None,
        format_func=stage_labels.__getitem__,
        horizontal=True,
        key=answer_key("current_stage", component.id),
        **on_change("current_stage"),
        **common,
    )
    right.radio(
        "Target stage: where should it be?",
        stage_options,
        index=None,
        format_func=stage_labels.__getitem__,
        horizontal=True,
        key=answer_key("target_stage", component.id),
        **on_change("target_stage"),
        **common,
    )
    saved_date = answer.target_date if answer else None
    left.date_input(
        "By when should it reach the target?",
        value=None,
        min_value=min(EARLIEST_DATE, saved_date or EARLIEST_DATE),
        max_value=max(LATEST_DATE, saved_date or LATEST_DATE),
        format="DD/MM/YYYY",
        key=answer_key("target_date", component.id),
        **on_change("target_date"),
        **common,
    )
    right.radio(
        "How confident are you in the current stage?",
        list(confidence_labels),
        index=None,
        format_func=confidence_labels.__getitem__,
        horizontal=True,
        help="; ".join(f"{level.label}: {level.summary}" for level in framework.confidence_levels),
        key=answer_key("confidence", component.id),
        **on_change("confidence"),
        **common,
    )
    left.text_area(
        "Evidence notes",
        placeholder="What makes you say so? Documents, decisions, examples ...",
        max_chars=MAX_NOTES_LENGTH,
        key=answer_key("evidence_notes", component.id),
        **on_change("evidence_notes"),
        **common,
    )
    right.text_area(
        "Evidence links (one per line)",
        placeholder="https://...",
        key=answer_key("evidence_links", component.id),
        **on_change("evidence_links"),
        **common,
    )
    if answer is not None:
        st.caption(
            f"Saved {answer.updated_at:%d %b %Y %H:%M} UTC. Choices are saved as you make them, text a moment after "
            "you stop typing."
        )


def go_to(position: str) -> None:
    """Show another component (one-at-a-time mode)."""
    st.session_state[POSITION_STATE] = position


def _on_position_change(key: str) -> None:
    st.session_state[POSITION_STATE] = st.session_state[key]


def component_navigator(framework: Framework, done: set[str], *, key: str) -> Component:
    """Previous / next buttons and a select box of components (ticked when rated); returns the one to show."""
    ids = list(framework.component_ids)
    position = st.session_state.get(POSITION_STATE)
    if position not in ids:
        position = next((cid for cid in ids if cid not in done), ids[0])
    index = ids.index(position)
    st.session_state[key] = position
    st.session_state[POSITION_STATE] = position
    left, middle, right = st.columns([1, 4, 1], vertical_alignment="bottom")
    left.button(
        "Previous",
        key=f"{key}_previous",
        icon=":material/arrow_back:",
        disabled=index == 0,
        on_click=go_to,
        args=(ids[max(index - 1, 0)],),
        width="stretch",
    )
    middle.selectbox(
        f"Component {index + 1} of {len(ids)}",
        ids,
        format_func=lambda cid: ("\u2713 " if cid in done else "\u2003 ") + framework.component(cid).label,
        key=key,
        on_change=_on_position_change,
        args=(key,),
    )
    right.button(
        "Next",
        key=f"{key}_next",
        icon=":material/arrow_forward:",
        icon_position="right",
        disabled=index == len(ids) - 1,
        on_click=go_to,
        args=(ids[min(index + 1, len(ids) - 1)],),
        width="stretch",
    )
    return framework.component(position)


def next_button(framework: Framework, component: Component, *, key: str) -> None:
    """A button at the foot of a component that shows the next one."""
    ids = list(framework.component_ids)
    index = ids.index(component.id)
    if index < len(ids) - 1:
        following = ids[index + 1]
        st.button(
            f"Next: {framework.component(following).label}",
            key=key,
            icon=":material/arrow_forward:",
            icon_position="right",
            on_click=go_to,
            args=(following,),
        )
