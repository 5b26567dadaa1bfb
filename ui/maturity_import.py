"""The Assessments page's import section: check a JSON file, show what it would change, import it on confirm.

The file is checked as soon as it is chosen (:func:`maturity.exports.preview_import` reads, never writes). A file
with problems is rejected with the reasons. When the assessment is already here the user chooses to replace it,
merge the file into it or import it as a copy, sees what that would change (respondents and answers, by name and
component), and confirms. Importing needs the write permission; nothing is written unless the whole import works.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from maturity import exports
from maturity.exports import ImportPreview, ModePreview
from maturity.models import AssessmentPublic
from ui import access
from ui import maturity as ui

#: The digest of the last file imported in this browser session, so it is not offered again straight away.
IMPORTED_STATE = "ma_imported_file"
#: Up to this many changed answers are listed in a table that wraps text; more go in a scrolling data frame.
WRAPPED_ROWS = 40
CONFIRM_LABELS = {
    "new": "Import",
    "replace": "Replace the assessment",
    "merge": "Merge into the assessment",
    "copy": "Import as a copy",
}


def import_section() -> None:
    """The "Import an assessment" section: file, preview, choice of what to do, confirm."""
    st.subheader("Import an assessment")
    st.markdown(
        "A whole assessment exported as JSON from PHM Navigator (Results page, *Whole assessment (JSON)*). The file "
        "is checked first and you see what it would change before anything is written; a file with problems is "
        "rejected with the reasons."
    )
    upload = st.file_uploader("Assessment file (JSON)", type=["json"], key="ma_import_file")
    if upload is None:
        return
    content = upload.getvalue()
    name = ui.escape_markdown(upload.name)
    digest = hashlib.sha256(content).hexdigest()
    if st.session_state.get(IMPORTED_STATE) == digest:
        st.info(f"{name} has been imported. Choose another file to import another assessment.")
        return
    try:
        with ui.session() as s:
            preview = exports.preview_import(s, content)
    except ValueError as error:  # AssessmentImportError: every problem with its place in the file
        _not_imported(name, error)
        return
    _describe_file(preview)
    modes = list(preview.modes)
    if len(modes) == 1:
        mode = modes[0]
    else:
        mode = st.radio(
            "What should the import do?",
            modes,
            index=None,
            format_func=exports.IMPORT_MODES.__getitem__,
            key="ma_import_mode",
        )
    if mode is None:
        st.caption("Choose what the import should do to see what would change.")
    else:
        _describe_changes(preview.modes[mode])
    if (
        st.button(
            CONFIRM_LABELS[mode] if mode else "Import",
            key="ma_import",
            type="primary",
            icon=":material/upload:",
            disabled=mode is None,
        )
        and access.require(access.Permission.WRITE, action="import an assessment")
        and mode is not None
    ):
        try:
            with ui.session() as s:
                imported = exports.import_assessment(s, content, mode=mode)
        except ValueError as error:
            _not_imported(name, error)
            return
        st.session_state[IMPORTED_STATE] = digest
        st.session_state[ui.ASSESSMENT_STATE] = imported.id
        ui.flash(_done_message(mode, imported, upload.name, preview))
        st.rerun()


def _not_imported(name: str, error: ValueError) -> None:
    st.error(f"**{name} was not imported**: {ui.problems_markdown(str(error))}", icon=":material/error:")


def _describe_file(preview: ImportPreview) -> None:
    e = ui.escape_markdown
    st.markdown(
        f"The file holds **{e(preview.title)}**, {e(preview.organisation)}, {preview.assessment_date:%d %b %Y}: "
        f"{_plural(preview.n_respondents, 'respondent')} and {_plural(preview.n_answers, 'answer')} "
        f"(framework {e(preview.framework)})."
    )
    if preview.existing is None:
        st.markdown("It is not in this database yet: importing adds it.")
    else:
        how = "identifier" if preview.matched_by == exports.MATCHED_BY_IDENTIFIER else "organisation, date and title"
        existing = preview.existing
        st.info(
            f"This assessment is already here: **{e(existing.title)}**, {e(preview.existing_organisation or '')}, "
            f"{existing.assessment_date:%d %b %Y} (recognised by its {how}).",
            icon=":material/content_copy:",
        )
    for note in preview.notes:
        st.caption(e(note))


def _describe_changes(change: ModePreview) -> None:
    e = ui.escape_markdown
    lines = [f"**What this would change**: {e(change.summary())}"]
    lines += [f"- {e(detail)}" for detail in change.details]
    if change.respondents_added:
        lines.append(f"- Respondents added: {e(', '.join(change.respondents_added))}")
    if change.respondents_removed:
        lines.append(f"- Respondents removed, with their answers: {e(', '.join(change.respondents_removed))}")
    st.markdown("\n".join(lines))
    if change.mode in ("replace", "merge"):
        frame = change.changes_frame().fillna("\u2013")
        if frame.empty:
            st.caption("No answer would change.")
        elif len(frame) <= WRAPPED_ROWS:  # a table wraps the long descriptions; its cells are Markdown
            st.table(frame.map(ui.escape_markdown).set_index("Respondent"))
        else:
            st.dataframe(frame, hide_index=True, key="ma_import_changes", height=ui.table_height(frame, most=420))


def _done_message(mode: str, imported: AssessmentPublic, file_name: str, preview: ImportPreview) -> str:
    title, when = ui.escape_markdown(imported.title), f"{imported.assessment_date:%d %b %Y}"
    file_name = ui.escape_markdown(file_name)
    summary = preview.modes[mode].summary()
    if mode == "replace":
        return f"Replaced '{title}' ({when}) with {file_name}. {summary}"
    if mode == "merge":
        return f"Merged {file_name} into '{title}' ({when}). {summary}"
    if mode == "copy":
        return f"Imported {file_name} as a copy: '{title}' ({when})."
    return f"Imported '{title}' ({when}) from {file_name}."


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
