"""Managing an assessment on the Assessments page: edit, reassign, archive, restore, delete, respondents, history.

Every action needs the write permission (:mod:`ui.access`), checked right before it is done, and is recorded in the
audit trail with the user's e-mail or name (see :func:`maturity.repository.audit_events`). Deleting and merging
cannot be undone, so each needs an explicit confirmation first.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from maturity import audit, repository
from maturity.models import AssessmentPublic, AuditAction, AuditEventPublic, OrganisationPublic
from ui import access
from ui import maturity as ui

MANAGE_KEY = "ma_manage"


def actor() -> str | None:
    """Who a change is recorded against: the logged-in user's e-mail (or name); None without login."""
    user = access.current_user()
    return (user.email or user.name) if user.logged_in else None


def manage_section(organisations: Mapping[int, OrganisationPublic]) -> None:
    """Choose an assessment (archived ones too) and manage it in four tabs."""
    with ui.session() as s:
        assessments = list(reversed(repository.list_assessments(s, archived=None)))
    archived = [a for a in assessments if a.is_archived]
    if not assessments:
        st.info("There is no assessment to manage yet.")
        return
    if archived:
        st.caption(
            f"{len(archived)} archived assessment{'s are' if len(archived) != 1 else ' is'} left out of the list "
            "above and of the results; choose one here to restore or delete it."
        )
    by_id = {a.id: a for a in assessments}
    if st.session_state.get(MANAGE_KEY) not in by_id:
        wanted = st.session_state.get(ui.ASSESSMENT_STATE)
        st.session_state[MANAGE_KEY] = wanted if wanted in by_id else assessments[0].id
    chosen = st.selectbox(
        "Assessment to manage",
        list(by_id),
        format_func=lambda i: (
            ui.assessment_label(by_id[i], organisations) + (" - archived" if by_id[i].is_archived else "")
        ),
        key=MANAGE_KEY,
    )
    assessment = by_id[chosen]
    details, respondents, archive, history = st.tabs(["Details", "Respondents", "Archive or delete", "History"])
    with details:
        _details(assessment, organisations)
    with respondents:
        _respondents(assessment)
    with archive:
        _archive_or_delete(assessment)
    with history:
        _history(assessment)


def _details(assessment: AssessmentPublic, organisations: Mapping[int, OrganisationPublic]) -> None:
    st.markdown("Correct the title or the date of the round, or move it to another organisation.")
    aid = assessment.id
    with st.form(f"ma_edit_{aid}", border=False):
        title = st.text_input("Title", value=assessment.title, key=f"ma_edit_title_{aid}", max_chars=200)
        org_ids = list(organisations)
        organisation_id = st.selectbox(
            "Organisation",
            org_ids,
            index=org_ids.index(assessment.organisation_id) if assessment.organisation_id in org_ids else 0,
            format_func=lambda i: ui.organisation_label(organisations[i]),
            key=f"ma_edit_org_{aid}",
            help="Reassign the assessment, with its respondents and answers, to another organisation.",
        )
        assessment_date = st.date_input(
            "Assessment date", value=assessment.assessment_date, format="DD/MM/YYYY", key=f"ma_edit_date_{aid}"
        )
        if st.form_submit_button("Save changes", key=f"ma_edit_save_{aid}", icon=":material/save:") and access.require(
            access.Permission.WRITE, action="edit an assessment"
        ):
            try:
                with ui.session() as s:
                    saved = repository.update_assessment(
                        s,
                        aid,
                        title=title,
                        assessment_date=assessment_date,
                        organisation_id=organisation_id,
                        actor=actor(),
                    )
            except (ValueError, LookupError) as error:
                st.error(f"Nothing was changed: {error}")
            else:
                ui.flash(
                    f"Saved the changes to '{ui.escape_markdown(saved.title)}'."
                    if saved != assessment
                    else "There was nothing to change."
                )
                st.rerun()


def _respondents(assessment: AssessmentPublic) -> None:
    aid = assessment.id
    with ui.session() as s:
        people = repository.list_respondents(s, aid)
        rated = repository.rated_components(s, aid)
        n_components = len(repository.framework_for(assessment).components)
    if not people:
        st.info("Nobody has joined this assessment yet.")
        return
    names = {p.id: p.display_name + (f" ({p.role})" if p.role else "") for p in people}
    st.dataframe(
        pd.DataFrame(
            {
                "Respondent": [p.display_name for p in people],
                "Role": [p.role or "" for p in people],
                "Joined (UTC)": [f"{p.created_at:%d %b %Y %H:%M}" for p in people],
                "Components rated": [f"{rated.get(p.id, 0)} of {n_components}" for p in people],
            }
        ),
        hide_index=True,
        key=f"ma_respondents_{aid}",
    )

    st.markdown("**Personal link again**: for someone who lost theirs. Send it only to that person.")
    who = st.selectbox("Respondent", list(names), format_func=names.__getitem__, key=f"ma_link_who_{aid}")
    if st.button("Show the personal link", key=f"ma_link_show_{aid}", icon=":material/link:") and access.require(
        access.Permission.WRITE, action="show a respondent's personal link"
    ):
        with ui.session() as s:
            token = repository.personal_link_token(s, who, actor=actor())
        st.code(ui.page_url(ui.QUESTIONNAIRE_PAGE, assessment=aid, respondent=token), language=None)
        st.caption(
            f"The link of {ui.escape_markdown(names[who])}: anyone with it can change their answers. "
            "Showing it is recorded."
        )

    if len(people) < 2:
        return
    st.markdown(
        "**Merge two respondents** who are the same person (e.g. someone who started again without their link). "
        "The first keeps their name, role and personal link; for each component the **newer answer wins**; the "
        "second is removed and their personal link stops working. This cannot be undone."
    )
    keep_id, merge_id = _likely_duplicates(people)
    left, right = st.columns(2)
    keep = left.selectbox(
        "Keep", list(names), index=list(names).index(keep_id), format_func=names.__getitem__, key=f"ma_merge_keep_{aid}"
    )
    merge = right.selectbox(
        "Merge into it and remove",
        list(names),
        index=list(names).index(merge_id),
        format_func=names.__getitem__,
        key=f"ma_merge_from_{aid}",
    )
    if keep == merge:
        st.caption("Choose two different respondents.")
        return
    with ui.session() as s:
        plan = repository.plan_merge(s, keep_id=keep, merge_id=merge)
    st.caption(
        f"After the merge {ui.escape_markdown(names[keep])} has {len(plan.from_kept) + len(plan.from_merged)} answers: "
        f"{len(plan.from_kept)} of their own and {len(plan.from_merged)} from {ui.escape_markdown(names[merge])} "
        "(newer, or not answered by the first)."
    )
    confirmed = st.checkbox("I have checked: they are the same person", key=f"ma_merge_confirm_{aid}")
    if st.button("Merge", key=f"ma_merge_{aid}", icon=":material/merge:") and access.require(
        access.Permission.WRITE, action="merge respondents"
    ):
        if not confirmed:
            st.warning("Tick the box to confirm that they are the same person first.", icon=":material/warning:")
            return
        try:
            with ui.session() as s:
                kept = repository.merge_respondents(s, keep_id=keep, merge_id=merge, actor=actor())
        except (ValueError, LookupError) as error:
            st.error(f"Nothing was merged: {error}")
        else:
            ui.flash(
                f"Merged {ui.escape_markdown(names[merge])} into {ui.escape_markdown(kept.display_name)}; "
                "the newer answer was kept for each component."
            )
            st.rerun()


def _likely_duplicates(people: list) -> tuple[int, int]:
    """The first two respondents with the same name (case and spaces ignored), else the first two."""
    seen: dict[str, int] = {}
    for person in people:
        if person.is_anonymous or not person.name:
            continue
        name = " ".join(person.name.split()).casefold()
        if name in seen:
            return seen[name], person.id
        seen[name] = person.id
    return people[0].id, people[1].id


def _archive_or_delete(assessment: AssessmentPublic) -> None:
    aid = assessment.id
    if assessment.is_archived:
        st.markdown(
            f"Archived on {assessment.archived_at:%d %b %Y}. Restore it to bring it back into the lists and results "
            "(it stays closed until you reopen it)."
        )
        if st.button("Restore", key=f"ma_restore_{aid}", icon=":material/unarchive:") and access.require(
            access.Permission.WRITE, action="restore an assessment"
        ):
            with ui.session() as s:
                repository.restore_assessment(s, aid, actor=actor())
            ui.flash(
                f"Restored '{ui.escape_markdown(assessment.title)}'. It is closed: reopen it above to take answers."
            )
            st.rerun()
    else:
        st.markdown(
            "**Archive** an old or trial round: it is closed to answers and left out of the lists, results over time "
            "and comparisons, but nothing is deleted and you can restore it here."
        )
        if st.button("Archive", key=f"ma_archive_{aid}", icon=":material/archive:") and access.require(
            access.Permission.WRITE, action="archive an assessment"
        ):
            with ui.session() as s:
                repository.archive_assessment(s, aid, actor=actor())
            ui.flash(f"Archived '{ui.escape_markdown(assessment.title)}'. Choose it under Manage to restore it.")
            st.rerun()
    with ui.session() as s:
        n_people = len(repository.list_respondents(s, aid))
    st.markdown(
        f"**Delete** the assessment with its {n_people} respondent{'' if n_people == 1 else 's'} and all their "
        "answers, for good. Only a record that it was deleted stays. To be sure, type its title."
    )
    typed = st.text_input(f"Type '{ui.escape_markdown(assessment.title)}' to confirm", key=f"ma_delete_confirm_{aid}")
    if st.button("Delete for good", key=f"ma_delete_{aid}", icon=":material/delete_forever:") and access.require(
        access.Permission.WRITE, action="delete an assessment"
    ):
        if typed.strip() != assessment.title:
            st.warning("Type the title exactly as shown to delete the assessment.", icon=":material/warning:")
            return
        with ui.session() as s:
            repository.delete_assessment(s, aid, actor=actor())
        if st.session_state.get(ui.ASSESSMENT_STATE) == aid:
            del st.session_state[ui.ASSESSMENT_STATE]
        ui.flash(f"Deleted '{ui.escape_markdown(assessment.title)}' with its respondents and answers.")
        st.rerun()


def audit_table(events: list[AuditEventPublic]) -> pd.DataFrame:
    """When (UTC), who and what, newest first."""
    rows = [
        {"When (UTC)": f"{e.at:%d %b %Y %H:%M}", "Who": audit.actor_text(e), "What": audit.describe_audit_event(e)}
        for e in reversed(events)
    ]
    return pd.DataFrame(rows, columns=["When (UTC)", "Who", "What"])


def _history(assessment: AssessmentPublic) -> None:
    with ui.session() as s:
        events = repository.audit_events(s, assessment_id=assessment.id)
        deleted = repository.audit_events(s, action=AuditAction.DELETED)
    st.caption(f"Opened on {assessment.created_at:%d %b %Y %H:%M} UTC. Changes since, newest first:")
    if events:
        st.dataframe(audit_table(events), hide_index=True, key=f"ma_audit_{assessment.id}")
    else:
        st.caption("No changes recorded.")
    if deleted:
        with st.expander(f"Deleted assessments ({len(deleted)})", icon=":material/delete_history:"):
            table = audit_table(deleted)
            table.insert(0, "Assessment", [e.assessment_title for e in reversed(deleted)])
            st.dataframe(table, hide_index=True, key="ma_audit_deleted")
