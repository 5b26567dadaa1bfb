"""Maturity assessments: add organisations, open an assessment, share the questionnaire, close it, manage it (edit,
reassign, archive, delete, respondents, history), import one."""

from datetime import date

import streamlit as st

from maturity import repository
from ui import access, layout, maturity_import
from ui import maturity as ui
from ui import maturity_admin as admin

footprint, lsoa, _ = ui.start_page()
st.title("PHM maturity self-assessment")
st.markdown(
    "Score your system on the PHM maturity matrix: three capabilities (infrastructure, intelligence, "
    "interventions), eleven components, four stages from **Emerging** to **Thriving**. Open an assessment, "
    "send colleagues the questionnaire link, then look at the results: where people agree and disagree, and the "
    "gaps to your targets. Run a new round later to see the progress."
)
ui.show_flash()
suggested_name, suggested_kind, icb_name = ui.organisation_suggestion(footprint, lsoa)
ui.suggest_organisation(suggested_name, suggested_kind)

with ui.session() as s:
    organisations = repository.list_organisations(s)
    own = ui.own_organisation(s, footprint, lsoa)
by_id = {o.id: o for o in organisations}

st.subheader("1. Organisation")
with st.expander("Add an organisation (ICB/ICS, place or PCN)", expanded=not organisations):
    with st.form("ma_new_organisation", border=False):
        name = st.text_input("Name", key="ma_org_name", help="Suggested from the footprint chosen in the sidebar.")
        kind = st.selectbox(
            "Kind", list(ui.ORGANISATION_KINDS), format_func=ui.ORGANISATION_KINDS.__getitem__, key="ma_org_kind"
        )
        code = st.text_input("ODS code (optional)", key="ma_org_code", max_chars=20)
        parents = [None, *(o.id for o in organisations if o.kind in ("icb", "ics"))]
        default_parent = next((o.id for o in organisations if o.id in parents and o.name == icb_name), None)
        parent = st.selectbox(
            "Part of (optional)",
            parents,
            index=parents.index(default_parent) if suggested_kind != "icb" and default_parent else 0,
            format_func=lambda i: "-" if i is None else ui.organisation_label(by_id[i]),
            key="ma_org_parent",
            help="For a place or PCN: the ICB it belongs to, so that its places can be compared.",
        )
        if st.form_submit_button("Add organisation", key="ma_add_org", icon=":material/add:") and access.require(
            access.Permission.WRITE, action="add an organisation"
        ):
            try:
                # The organisation stands for the footprint when it keeps the name suggested from it.
                area_code, area_level = ui.footprint_area(footprint) if name == suggested_name else (None, None)
                with ui.session() as s:
                    added = repository.create_organisation(
                        s,
                        name=name,
                        kind=kind,
                        code=code or None,
                        parent_id=parent,
                        geography_version=footprint.geography,
                        area_code=area_code,
                        area_level=area_level,
                    )
            except (ValueError, LookupError) as error:
                st.error(f"The organisation was not added: {error}")
            else:
                st.session_state[ui.NEW_ORGANISATION_STATE] = added.id  # the new assessment's, next
                ui.flash(f"Added {ui.escape_markdown(ui.organisation_label(added))}.")
                st.rerun()

st.subheader("2. New assessment")
if not organisations:
    st.info("Add the organisation being assessed first.")
else:
    with st.form("ma_new_assessment"):
        org_ids = list(by_id)
        ui.seed_assessment_organisation(
            org_ids, own.id if own else org_ids[0], key="ma_assessment_org", footprint=footprint
        )
        organisation_id = st.selectbox(
            "Organisation",
            org_ids,
            format_func=lambda i: ui.organisation_label(by_id[i]),
            key="ma_assessment_org",
        )
        left, right = st.columns([1, 2])
        assessment_date = left.date_input(
            "Assessment date", value=date.today(), format="DD/MM/YYYY", key="ma_assessment_date"
        )
        title = right.text_input(
            "Title (optional)", placeholder="e.g. Spring round, system PHM board", key="ma_assessment_title"
        )
        if st.form_submit_button(
            "Open the assessment", type="primary", key="ma_create", icon=":material/add_task:"
        ) and access.require(access.Permission.WRITE, action="open an assessment"):
            try:
                with ui.session() as s:
                    created = repository.create_assessment(
                        s, organisation_id=organisation_id, assessment_date=assessment_date, title=title or None
                    )
            except (ValueError, LookupError) as error:
                st.error(f"The assessment was not opened: {error}")
            else:
                st.session_state[ui.ASSESSMENT_STATE] = created.id
                ui.flash(f"Opened '{ui.escape_markdown(created.title)}'. Send colleagues its questionnaire link below.")
                st.rerun()

st.subheader("3. Assessments")
with ui.session() as s:
    overview = ui.assessments_overview(s)
if not overview:
    st.info("No assessments yet: open one above, or import one below.")
for row in overview:
    assessment, organisation, respondents = row["assessment"], row["organisation"], row["respondents"]
    is_open = assessment.status == "open"
    with st.container(border=True, key=f"ma_row_{assessment.id}"):
        info, answer, results, toggle = st.columns([5, 2, 2, 1.4], vertical_alignment="center")
        status = ":green-badge[Open]" if is_open else ":gray-badge[Closed]"
        info.markdown(
            f"**{ui.escape_markdown(assessment.title)}** {status}  \n{ui.escape_markdown(ui.organisation_label(organisation))} - "
            f"{assessment.assessment_date:%d %b %Y} - {respondents} respondent{'' if respondents == 1 else 's'}"
        )
        with answer:
            if is_open:
                ui.link_to(
                    ui.QUESTIONNAIRE_PAGE,
                    "Answer",
                    icon=":material/edit_note:",
                    query_params={"assessment": assessment.id},
                )
            else:
                st.caption("Closed to answers")
        with results:
            ui.link_to(
                ui.RESULTS_PAGE, "Results", icon=":material/bar_chart:", query_params={"assessment": assessment.id}
            )
        if toggle.button(
            "Close" if is_open else "Reopen", key=f"ma_toggle_{assessment.id}", width="stretch"
        ) and access.require(access.Permission.WRITE, action="close or reopen an assessment"):
            with ui.session() as s:
                repository.set_assessment_status(s, assessment.id, "closed" if is_open else "open")
            ui.flash(f"{'Closed' if is_open else 'Reopened'} '{ui.escape_markdown(assessment.title)}'.")
            st.rerun()
        if is_open:
            st.caption("Questionnaire link for colleagues (each person gets their own resume link when they start):")
            st.code(ui.page_url(ui.QUESTIONNAIRE_PAGE, assessment=assessment.id), language=None)

st.subheader("4. Manage an assessment")
admin.manage_section(by_id)

maturity_import.import_section()
layout.footer()
