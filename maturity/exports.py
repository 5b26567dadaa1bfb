"""Exports and import: responses as CSV and Excel, a whole assessment as JSON, and a printable HTML report.

Spreadsheet safety: every text cell written to CSV or Excel goes through :func:`neutralise_formula`, so no cell
starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) and none is read as a formula.

JSON: :func:`export_assessment` writes the organisation, assessment (with its stable identifier), respondents and
answers without database ids or resume tokens. :func:`preview_import` checks a file and says, without writing,
whether the assessment is already here and what each way of importing would change; :func:`import_assessment`
then adds it, replaces the assessment here, merges into it (new respondents added, the newer answer wins) or adds
it as a copy, in one transaction, so an invalid file is rejected with :class:`AssessmentImportError` and nothing
is written. Exporting an imported (or replaced) assessment gives the same JSON again.

Report: :func:`assessment_report_html` is printable HTML (A4 landscape; "Save as PDF" in the browser's print
dialog makes the PDF), ending with the evidence respondents gave, anonymous respondents kept anonymous.
"""

from __future__ import annotations

import html
import io
import json
import re
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import jsonschema
import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlmodel import Session, select

from maturity._validation import schema_problems
from maturity.framework import ACTION_GROUPS, Framework, FrameworkError, load_framework
from maturity.models import (
    UNVERSIONED_GEOGRAPHY_VERSION,
    Answer,
    AreaLevel,
    Assessment,
    AssessmentPublic,
    AssessmentStatus,
    Organisation,
    OrganisationKind,
    OrganisationPublic,
    Respondent,
)
from maturity.next_steps import NextStep, suggest_next_steps
from maturity.repository import (
    answers_for,
    assessment_results,
    framework_for,
    get_assessment,
    get_organisation,
    new_resume_token,
    validate_answer_fields,
    write_transaction,
)
from maturity.scoring import (
    DEFAULT_AGREEMENT_RULE,
    AgreementRule,
    AssessmentResult,
    MedianTie,
    gap_analysis,
    most_disagreement,
)

EXPORT_FORMAT = "phm-navigator/maturity-assessment"
EXPORT_FORMAT_VERSION = 1
EXPORT_SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "assessment_export.schema.json"
MAX_IMPORT_BYTES = 20 * 1024 * 1024
#: How deeply an imported file's data may nest; an export nests at most 7 levels (an organisation and 5 parents).
#: Checked before parsing: deeper nesting exhausts Python's recursion in parsing and in the schema check.
MAX_IMPORT_DEPTH = 32
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_DEPTH_CHUNK = 1 << 20

#: First characters that make a spreadsheet treat a cell as a formula (with full-width forms of the first four).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


class AssessmentImportError(ValueError):
    """An assessment file that cannot be imported; the message lists what is wrong and where."""


# --- spreadsheet safety ----------------------------------------------------------------------------------------


def neutralise_formula(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with a single quote; other values pass unchanged.

    Text is caught when its first character, or its first character after leading spaces, is one of
    ``FORMULA_TRIGGERS``. Numbers, dates and None are returned as they are (a negative number is not text).
    """
    if not isinstance(value, str) or not value:
        return value
    if value[0] in FORMULA_TRIGGERS or value.lstrip(" ")[:1] in FORMULA_TRIGGERS:
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell (and column name) neutralised; lists become one item per line."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(lambda v: neutralise_formula(_cell_text(v)), na_action="ignore")
    out.columns = [neutralise_formula(str(c)) for c in out.columns]
    return out


def _cell_text(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return "\n".join(str(v) for v in value)
    return value


# --- responses as tables ---------------------------------------------------------------------------------------


def responses_frame(session: Session, assessment_id: int) -> pd.DataFrame:
    """Every answer of an assessment with readable labels, one row per respondent and component."""
    assessment = get_assessment(session, assessment_id)
    organisation = get_organisation(session, assessment.organisation_id)
    framework = framework_for(assessment)
    answers = answers_for(session, assessment_id)
    order = {cid: i for i, cid in enumerate(framework.component_ids)}
    answers = answers.assign(_order=answers["component_id"].map(order).fillna(len(order)))
    answers = answers.sort_values(["respondent_id", "_order", "component_id"], kind="stable")
    rows = []
    for record in answers.to_dict("records"):
        known = framework.has_component(record["component_id"])
        component = framework.component(record["component_id"]) if known else None
        rows.append(
            {
                "Organisation": organisation.name,
                "Assessment": assessment.title,
                "Assessment date": assessment.assessment_date.isoformat(),
                "Framework": framework.key,
                "Respondent": record["respondent"],
                "Role": record["role"],
                "Capability": framework.capability(component.capability_id).label if component else None,
                "Component": component.label if component else record["component_id"],
                "Component id": record["component_id"],
                "Current stage": _int_or_none(record["current_stage"]),
                "Current stage label": _stage_label(framework, record["current_stage"]),
                "Target stage": _int_or_none(record["target_stage"]),
                "Target stage label": _stage_label(framework, record["target_stage"]),
                "Target date": record["target_date"].isoformat() if record["target_date"] else None,
                "Confidence": _confidence_label(framework, record["confidence"]),
                "Evidence notes": record["evidence_notes"],
                "Evidence links": "\n".join(record["evidence_links"]) or None,
                "Last updated (UTC)": record["updated_at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            }
        )
    frame = pd.DataFrame(rows, columns=RESPONSE_COLUMNS)
    for column in ("Current stage", "Target stage"):
        frame[column] = frame[column].astype("Int64")
    return frame


RESPONSE_COLUMNS = (
    "Organisation",
    "Assessment",
    "Assessment date",
    "Framework",
    "Respondent",
    "Role",
    "Capability",
    "Component",
    "Component id",
    "Current stage",
    "Current stage label",
    "Target stage",
    "Target stage label",
    "Target date",
    "Confidence",
    "Evidence notes",
    "Evidence links",
    "Last updated (UTC)",
)


def results_table(result: AssessmentResult) -> pd.DataFrame:
    """The per-component results as a readable table (for the Excel export and the pages)."""
    framework = result.framework
    rows = []
    for r in result.components:
        rows.append(
            {
                "Capability": framework.capability(r.capability_id).label,
                "Component": r.label,
                "Ratings": r.n,
                "Missing": r.n_missing,
                "Current (median)": r.current,
                "Current stage": r.current_label,
                "Interquartile range": r.iqr,
                "Lowest": r.minimum,
                "Highest": r.maximum,
                "Agreement": str(r.agreement),
                "Target (median)": r.target,
                "Target stage": r.target_label,
                "Gap": r.gap,
                "Target date (median)": r.target_by.isoformat() if r.target_by else None,
                "Confidence (median)": r.confidence,
            }
        )
    return pd.DataFrame(rows)


def frame_to_csv(frame: pd.DataFrame) -> bytes:
    """CSV bytes (UTF-8 with a byte-order mark so Excel reads accents) with every text cell neutralised."""
    return neutralise_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def frames_to_xlsx(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """An Excel workbook with one sheet per frame; text cells are neutralised and stored as text, never formulas."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    wrap = Alignment(vertical="top", wrap_text=True)
    for sheet_name, frame in sheets.items():
        sheet = workbook.create_sheet(title=_sheet_title(sheet_name))
        header = [neutralise_formula(str(c)) for c in frame.columns]
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor="005EB8")
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        for values in frame.itertuples(index=False, name=None):
            sheet.append([_xlsx_value(v) for v in values])
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, even if it looked like a formula
                    if len(cell.value) > 40 or "\n" in cell.value:
                        cell.alignment = wrap
        for index, column in enumerate(frame.columns, start=1):
            width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200) if v is not None])
            sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def responses_csv(session: Session, assessment_id: int) -> bytes:
    """An assessment's responses as CSV bytes."""
    return frame_to_csv(responses_frame(session, assessment_id))


def responses_xlsx(
    session: Session,
    assessment_id: int,
    *,
    rule: AgreementRule = DEFAULT_AGREEMENT_RULE,
    median_tie: MedianTie = "lower",
) -> bytes:
    """An assessment's responses and per-component results as an Excel workbook (sheets Responses, Results)."""
    result = assessment_results(session, assessment_id, rule=rule, median_tie=median_tie)
    return frames_to_xlsx({"Responses": responses_frame(session, assessment_id), "Results": results_table(result)})


def _xlsx_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, list | tuple):
        value = "\n".join(str(v) for v in value)
    if isinstance(value, str):
        return neutralise_formula(ILLEGAL_CHARACTERS_RE.sub("", value))
    if hasattr(value, "item") and not isinstance(value, date):
        return value.item()  # numpy scalar
    return value


def _sheet_title(name: str) -> str:
    clean = "".join(ch for ch in name if ch not in "[]:*?/\\").strip("'") or "Sheet"
    return clean[:31]


def _int_or_none(value: Any) -> int | None:
    return None if value is None or value is pd.NA else int(value)


def _stage_label(framework: Framework, value: Any) -> str | None:
    value = _int_or_none(value)
    if value is None or not framework.min_score <= value <= framework.max_score:
        return None
    return framework.stage(value).label


def _confidence_label(framework: Framework, value: Any) -> str | None:
    value = _int_or_none(value)
    if value is None:
        return None
    try:
        return framework.confidence(value).label
    except KeyError:
        return str(value)


# --- JSON export and import ------------------------------------------------------------------------------------


def export_assessment(session: Session, assessment_id: int) -> dict[str, Any]:
    """A whole assessment as plain data (see ``schemas/assessment_export.schema.json``)."""
    assessment = session.get(Assessment, assessment_id)
    if assessment is None:
        raise LookupError(f"no assessment with id {assessment_id}")
    respondents = session.exec(
        select(Respondent).where(Respondent.assessment_id == assessment_id).order_by(Respondent.id)
    ).all()
    answers_by_respondent: dict[int, list[Answer]] = {r.id: [] for r in respondents}
    answers = session.exec(
        select(Answer)
        .join(Respondent, Answer.respondent_id == Respondent.id)
        .where(Respondent.assessment_id == assessment_id)
        .order_by(Answer.respondent_id, Answer.component_id)
    ).all()
    for answer in answers:
        answers_by_respondent[answer.respondent_id].append(answer)
    return {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_FORMAT_VERSION,
        "framework": {"id": assessment.framework_id, "version": assessment.framework_version},
        "organisation": _export_organisation(session, assessment.organisation_id, depth=0),
        "assessment": {
            "uid": assessment.uid,
            "title": assessment.title,
            "assessment_date": assessment.assessment_date.isoformat(),
            "status": str(AssessmentStatus(assessment.status)),
            "created_at": _timestamp(assessment.created_at),
        },
        "respondents": [
            {
                "name": r.name,
                "role": r.role,
                "anonymous": bool(r.is_anonymous),
                "created_at": _timestamp(r.created_at),
                "answers": [
                    {
                        "component_id": a.component_id,
                        "current_stage": a.current_stage,
                        "target_stage": a.target_stage,
                        "target_date": a.target_date.isoformat() if a.target_date else None,
                        "confidence": a.confidence,
                        "evidence_notes": a.evidence_notes,
                        "evidence_links": list(a.evidence_links or []),
                        "created_at": _timestamp(a.created_at),
                        "updated_at": _timestamp(a.updated_at),
                    }
                    for a in answers_by_respondent[r.id]
                ],
            }
            for r in respondents
        ],
    }


def export_assessment_json(session: Session, assessment_id: int) -> str:
    """A whole assessment as a JSON document (UTF-8 text, two-space indent)."""
    return json.dumps(export_assessment(session, assessment_id), ensure_ascii=False, indent=2) + "\n"


def import_assessment(
    session: Session, document: str | bytes | Mapping[str, Any], *, mode: ImportMode = "new"
) -> AssessmentPublic:
    """Import an assessment exported by :func:`export_assessment_json`, in one transaction.

    ``mode`` says what to do (see :func:`preview_import` for what each would change):

    * ``"new"``: add it; refused when the assessment is already here (see :func:`preview_import` for how an
      assessment is recognised).
    * ``"replace"``: make the assessment here exactly what the file says (title, date, status, organisation,
      respondents and answers). It keeps its id and identifier, and respondents who are in both keep their resume
      links. Replacing an assessment with its own export changes nothing.
    * ``"merge"``: add the file's new respondents and their answers; for a respondent in both, each component
      takes the newer answer (by when it was last updated; a tie keeps this database's). Nothing here is removed,
      and the assessment's title, date and status stay as they are here.
    * ``"copy"``: add it as a separate assessment with a new identifier, its title ending "(copy)".

    The organisation (and its parents) are matched by kind and name, and created when missing. New respondents get
    new resume tokens. Raises :class:`AssessmentImportError` listing the problems (invalid JSON, schema violations,
    unknown framework or components, out-of-range ratings, duplicate answers, an assessment already here or not
    here for the mode), in which case nothing has been written.
    """
    if mode not in IMPORT_MODES:
        raise ValueError(f"mode must be one of {', '.join(IMPORT_MODES)}, got {mode!r}")
    plan = _read_import(document)
    try:
        with write_transaction(session):
            existing, matched_by, _ = _find_match(session, plan)
            if mode in ("new", "copy"):
                if mode == "new" and existing is not None:
                    raise AssessmentImportError(
                        f"this assessment ({_match_description(matched_by, existing)}) is already in the database: "
                        "replace it, merge the file into it, or import the file as a copy"
                    )
                values = dict(plan)
                if mode == "copy" or values["uid"] is None:
                    values["uid"] = str(uuid.uuid4())
                if mode == "copy":
                    values["title"] = _copy_title(plan["title"])
                organisation_id = _find_or_create_organisation(session, plan["organisation"])
                assessment = _add_assessment(session, values, organisation_id)
                _add_respondents_and_answers(session, assessment.id, plan["respondents"])
            else:
                if existing is None:
                    raise AssessmentImportError(
                        f"this assessment is not in this database, so there is nothing to "
                        f"{'replace' if mode == 'replace' else 'merge it into'}: add it as a new assessment instead"
                    )
                assessment = _replace(session, plan, existing) if mode == "replace" else _merge(session, plan, existing)
            public = AssessmentPublic.model_validate(assessment)
    except AssessmentImportError:
        raise
    except Exception as error:  # a database error mid-way: the transaction was rolled back
        raise AssessmentImportError(f"the import failed and nothing was saved: {error}") from error
    return public


# --- what an import would change -------------------------------------------------------------------------------

ImportMode = Literal["new", "replace", "merge", "copy"]

#: The ways of importing, as the Assessments page offers them.
IMPORT_MODES: dict[str, str] = {
    "new": "Add it as a new assessment",
    "replace": "Replace: make the assessment here exactly what the file says",
    "merge": "Merge: add the file's new respondents; for people in both, the newer answer wins",
    "copy": "Import as a copy: a separate assessment next to the one here",
}
MATCHED_BY_IDENTIFIER = "identifier"
MATCHED_BY_DETAILS = "organisation, date and title"
COPY_SUFFIX = " (copy)"

#: What an import does to one answer, as the preview says it.
ANSWER_CHANGES: dict[str, str] = {
    "added": "Added",
    "changed": "Changed to the file's",
    "kept": "Kept (newer here)",
    "removed": "Removed",
    "unchanged": "Same in both",
}
ANSWER_FIELDS = ("current_stage", "target_stage", "target_date", "confidence", "evidence_notes", "evidence_links")


@dataclass(frozen=True)
class AnswerChange:
    """What an import does to one respondent's answer for one component."""

    respondent: str
    component_id: str
    component: str
    change: str  # a key of ANSWER_CHANGES
    here: str | None  # this database's answer in short, or None
    in_file: str | None  # the file's answer in short, or None


@dataclass(frozen=True)
class ModePreview:
    """What one way of importing would change, worked out before anything is written."""

    mode: str
    respondents_added: tuple[str, ...]
    respondents_removed: tuple[str, ...]
    answers: tuple[AnswerChange, ...]
    details: tuple[str, ...] = ()  # changes to the assessment itself (title, date, status, organisation)

    def counts(self) -> dict[str, int]:
        """How many answers each change applies to (changes that occur only, in the order of ANSWER_CHANGES)."""
        found = Counter(a.change for a in self.answers)
        return {change: found[change] for change in ANSWER_CHANGES if found[change]}

    def summary(self) -> str:
        """The change in one plain-English sentence."""
        people = []
        if self.respondents_added:
            people.append(_plural(len(self.respondents_added), "respondent") + " added")
        if self.respondents_removed:
            people.append(_plural(len(self.respondents_removed), "respondent") + " removed")
        counts = self.counts()
        answers = ", ".join(f"{n} {ANSWER_CHANGES[change].lower()}" for change, n in counts.items())
        text = "; ".join(people) if people else "No respondents added or removed"
        return f"{text}; answers: {answers}." if answers else f"{text}; no answers."

    def changes_frame(self, *, include_unchanged: bool = False) -> pd.DataFrame:
        """The answers that change, one row each (Respondent, Component, Change, Here, In the file)."""
        rows = [
            {
                "Respondent": a.respondent,
                "Component": a.component,
                "Change": ANSWER_CHANGES[a.change],
                "Here": a.here,
                "In the file": a.in_file,
            }
            for a in self.answers
            if include_unchanged or a.change != "unchanged"
        ]
        return pd.DataFrame(rows, columns=["Respondent", "Component", "Change", "Here", "In the file"])


@dataclass(frozen=True)
class ImportPreview:
    """What is in a file, whether the assessment is already here, and what each way of importing would change."""

    title: str
    organisation: str
    assessment_date: date
    framework: str
    n_respondents: int
    n_answers: int
    existing: AssessmentPublic | None  # the assessment here that the file is (None: not here)
    existing_organisation: str | None
    matched_by: str | None  # MATCHED_BY_IDENTIFIER or MATCHED_BY_DETAILS
    notes: tuple[str, ...]
    modes: dict[str, ModePreview]  # the ways offered, in order: "new" alone, or replace, merge (when possible), copy


def preview_import(session: Session, document: str | bytes | Mapping[str, Any]) -> ImportPreview:
    """Check a file as :func:`import_assessment` does and say what each way of importing it would change.

    Reads only. The file is the same assessment as one here when it carries that assessment's identifier (every
    export since the first release does); a file without an identifier (hand-made, or from another tool) is matched
    on organisation (kind and name), assessment date and title, and the notes say so. A respondent in the file is
    the same person as one here when they joined at the same moment (the file came from an export of this
    assessment, or was imported into it) or, for named respondents, when the name is the same (ignoring case and
    spaces) and appears once on each side. Anonymous respondents have no name, so only the first rule can match
    them. Raises :class:`AssessmentImportError` for a file that cannot be imported.
    """
    plan = _read_import(document)
    framework = load_framework(plan["framework_id"], plan["framework_version"])
    existing, matched_by, notes = _find_match(session, plan)
    modes: dict[str, ModePreview] = {}
    existing_public = existing_organisation = None
    if existing is None:
        modes["new"] = _adding_preview("new", plan, framework)
    else:
        existing_public = AssessmentPublic.model_validate(existing)
        organisation = session.get(Organisation, existing.organisation_id)
        existing_organisation = _organisation_text(organisation.name, organisation.kind)
        respondents, answers = _existing_rows(session, existing.id)
        differences = _assessment_differences(plan, existing, existing_organisation)
        modes["replace"] = _replace_preview(plan, framework, respondents, answers, differences)
        if _same_framework(plan, existing):
            modes["merge"] = _merge_preview(plan, framework, respondents, answers, differences)
        else:
            notes.append(
                f"The file was made with framework {framework.key} and the assessment here with "
                f"{existing.framework_id}@{existing.framework_version}, so it cannot be merged: replace it or import "
                "it as a copy."
            )
        if getattr(existing, "archived_at", None) is not None:
            notes.append(
                "The assessment here is archived; replacing or merging changes it and it stays archived (restore it "
                "on this page to see it in the lists again)."
            )
        elif existing.status == AssessmentStatus.CLOSED:
            notes.append("The assessment here is closed; an import still changes it (it stays closed).")
        modes["copy"] = _adding_preview("copy", plan, framework)
    return ImportPreview(
        title=plan["title"],
        organisation=_organisation_text(plan["organisation"]["name"], plan["organisation"]["kind"]),
        assessment_date=plan["assessment_date"],
        framework=framework.key,
        n_respondents=len(plan["respondents"]),
        n_answers=sum(len(r["answers"]) for r in plan["respondents"]),
        existing=existing_public,
        existing_organisation=existing_organisation,
        matched_by=matched_by,
        notes=tuple(notes),
        modes=modes,
    )


def _read_import(document: str | bytes | Mapping[str, Any]) -> dict[str, Any]:
    data = _parse_document(document)
    problems = schema_problems(jsonschema.Draft202012Validator(_export_schema()), data)
    if problems:
        raise AssessmentImportError(_problem_list("the file is not a PHM Navigator assessment export", problems))
    return _check_import(data)


def _find_match(session: Session, plan: Mapping[str, Any]) -> tuple[Assessment | None, str | None, list[str]]:
    """The assessment here that the file is, how it was recognised, and notes for the user."""
    if plan["uid"] is not None:
        existing = session.exec(select(Assessment).where(Assessment.uid == plan["uid"])).first()
        return existing, (MATCHED_BY_IDENTIFIER if existing is not None else None), []
    organisation = plan["organisation"]
    candidates = session.exec(
        select(Assessment)
        .join(Organisation, Assessment.organisation_id == Organisation.id)
        .where(
            Organisation.kind == organisation["kind"],
            Organisation.name == organisation["name"],
            Assessment.assessment_date == plan["assessment_date"],
            Assessment.title == plan["title"],
        )
        .order_by(Assessment.id)
    ).all()
    if len(candidates) == 1:
        note = (
            "The file has no assessment identifier (it was made by hand or by another tool), so it was matched on "
            "organisation, date and title."
        )
        return candidates[0], MATCHED_BY_DETAILS, [note]
    if candidates:
        note = (
            f"The file has no assessment identifier and {len(candidates)} assessments here have its organisation, "
            "date and title, so it can only be added as a new assessment."
        )
    else:
        note = (
            "The file has no assessment identifier; no assessment here has its organisation, date and title, so it "
            "is new (it gets an identifier when imported)."
        )
    return None, None, [note]


def _match_description(matched_by: str | None, existing: Assessment) -> str:
    if matched_by == MATCHED_BY_DETAILS:
        return f"{existing.title!r} of {existing.assessment_date.isoformat()}, matched on organisation, date and title"
    return f"identifier {existing.uid}"


def _same_framework(plan: Mapping[str, Any], existing: Assessment) -> bool:
    return (plan["framework_id"], plan["framework_version"]) == (existing.framework_id, existing.framework_version)


def _existing_rows(session: Session, assessment_id: int) -> tuple[list[Respondent], dict[tuple[int, str], Answer]]:
    respondents = list(
        session.exec(select(Respondent).where(Respondent.assessment_id == assessment_id).order_by(Respondent.id)).all()
    )
    answers = session.exec(
        select(Answer)
        .join(Respondent, Answer.respondent_id == Respondent.id)
        .where(Respondent.assessment_id == assessment_id)
    ).all()
    return respondents, {(a.respondent_id, a.component_id): a for a in answers}


def _name_key(name: str | None) -> str | None:
    return None if name is None else " ".join(name.split()).casefold()


def _pair_respondents(incoming: Sequence[Mapping[str, Any]], existing: Sequence[Respondent]) -> dict[int, Respondent]:
    """Which respondent here each of the file's respondents is, by position in the file (see preview_import)."""
    pairs: dict[int, Respondent] = {}
    free = list(existing)
    for index, item in enumerate(incoming):
        key = (item["is_anonymous"], _name_key(item["name"]), item["created_at"])
        match = next((r for r in free if (bool(r.is_anonymous), _name_key(r.name), r.created_at) == key), None)
        if match is not None:
            pairs[index] = match
            free.remove(match)
    named = [i for i, item in enumerate(incoming) if i not in pairs and not item["is_anonymous"]]
    in_file = Counter(_name_key(incoming[i]["name"]) for i in named)
    here = Counter(_name_key(r.name) for r in free if not r.is_anonymous)
    for index in named:
        key = _name_key(incoming[index]["name"])
        if in_file[key] == 1 and here[key] == 1:
            match = next(r for r in free if not r.is_anonymous and _name_key(r.name) == key)
            pairs[index] = match
            free.remove(match)
    return pairs


def _respondent_text(respondent: Respondent) -> str:
    if respondent.name and not respondent.is_anonymous:
        return respondent.name
    return f"Anonymous respondent {respondent.id}"


def _incoming_texts(incoming: Sequence[Mapping[str, Any]], pairs: Mapping[int, Respondent]) -> list[str]:
    """How each of the file's respondents is named in a preview: as here when paired, else as in the file."""
    texts = []
    new_anonymous = 0
    for index, item in enumerate(incoming):
        if index in pairs:
            texts.append(_respondent_text(pairs[index]))
        elif item["is_anonymous"]:
            new_anonymous += 1
            texts.append(f"Anonymous respondent (new {new_anonymous})")
        else:
            texts.append(item["name"])
    return texts


def _answer_values(answer: Answer | Mapping[str, Any]) -> tuple[Any, ...]:
    values = answer if isinstance(answer, Mapping) else answer.model_dump()
    return tuple(list(values.get(f) or []) if f == "evidence_links" else values.get(f) for f in ANSWER_FIELDS)


def _answer_text(framework: Framework, answer: Answer | Mapping[str, Any] | None) -> str | None:
    """One answer in short: current and target stage, target date, confidence, evidence."""
    if answer is None:
        return None
    values = dict(zip(ANSWER_FIELDS, _answer_values(answer), strict=True))
    parts = [
        f"Current: {_stage_label(framework, values['current_stage']) or 'not rated'}",
        f"target: {_stage_label(framework, values['target_stage']) or 'none'}",
    ]
    if values["target_date"]:
        parts.append(f"by {_long_date(values['target_date'])}")
    if values["confidence"] is not None:
        parts.append(f"confidence: {_confidence_label(framework, values['confidence'])}")
    if values["evidence_notes"]:
        notes = " ".join(values["evidence_notes"].split())
        parts.append(f'notes: "{notes[:60]}{"..." if len(notes) > 60 else ""}"')
    if values["evidence_links"]:
        parts.append(_plural(len(values["evidence_links"]), "link"))
    return "; ".join(parts)


def _change(
    framework: Framework, respondent: str, component_id: str, change: str, here: Any, in_file: Any
) -> AnswerChange:
    known = framework.has_component(component_id)
    return AnswerChange(
        respondent=respondent,
        component_id=component_id,
        component=framework.component(component_id).label if known else component_id,
        change=change,
        here=_answer_text(framework, here),
        in_file=_answer_text(framework, in_file),
    )


def _component_order(framework: Framework, component_ids: Any) -> list[str]:
    order = {cid: i for i, cid in enumerate(framework.component_ids)}
    return sorted(set(component_ids), key=lambda cid: (order.get(cid, len(order)), cid))


def _adding_preview(mode: str, plan: Mapping[str, Any], framework: Framework) -> ModePreview:
    texts = _incoming_texts(plan["respondents"], {})
    changes = [
        _change(framework, text, answer["component_id"], "added", None, answer)
        for text, item in zip(texts, plan["respondents"], strict=True)
        for answer in item["answers"]
    ]
    details = (f"Title: {_copy_title(plan['title'])}",) if mode == "copy" else ()
    return ModePreview(mode, tuple(texts), (), tuple(changes), details)


def _replace_preview(
    plan: Mapping[str, Any],
    framework: Framework,
    respondents: Sequence[Respondent],
    answers: Mapping[tuple[int, str], Answer],
    differences: Sequence[tuple[str, str, str]],
) -> ModePreview:
    pairs = _pair_respondents(plan["respondents"], respondents)
    texts = _incoming_texts(plan["respondents"], pairs)
    changes = []
    for index, (text, item) in enumerate(zip(texts, plan["respondents"], strict=True)):
        respondent = pairs.get(index)
        incoming = {a["component_id"]: a for a in item["answers"]}
        here = {} if respondent is None else {c: a for (r, c), a in answers.items() if r == respondent.id}
        for component_id in _component_order(framework, [*incoming, *here]):
            old, new = here.get(component_id), incoming.get(component_id)
            if old is None:
                change = "added"
            elif new is None:
                change = "removed"
            else:
                change = "unchanged" if _answer_values(old) == _answer_values(new) else "changed"
            changes.append(_change(framework, text, component_id, change, old, new))
    paired = {r.id for r in pairs.values()}
    removed = [r for r in respondents if r.id not in paired]
    for respondent in removed:
        here = {c: a for (r, c), a in answers.items() if r == respondent.id}
        for component_id in _component_order(framework, here):
            changes.append(
                _change(framework, _respondent_text(respondent), component_id, "removed", here[component_id], None)
            )
    details = tuple(f"{what}: {old} becomes {new}" for what, old, new in differences)
    return ModePreview(
        "replace",
        tuple(text for index, text in enumerate(texts) if index not in pairs),
        tuple(_respondent_text(r) for r in removed),
        tuple(changes),
        details,
    )


def _merge_change(here: Answer | None, incoming: Mapping[str, Any]) -> str:
    if here is None:
        return "added"
    if _answer_values(here) == _answer_values(incoming):
        return "unchanged"
    return "changed" if incoming["updated_at"] > here.updated_at else "kept"


def _merge_preview(
    plan: Mapping[str, Any],
    framework: Framework,
    respondents: Sequence[Respondent],
    answers: Mapping[tuple[int, str], Answer],
    differences: Sequence[tuple[str, str, str]],
) -> ModePreview:
    pairs = _pair_respondents(plan["respondents"], respondents)
    texts = _incoming_texts(plan["respondents"], pairs)
    changes = []
    for index, (text, item) in enumerate(zip(texts, plan["respondents"], strict=True)):
        respondent = pairs.get(index)
        for answer in item["answers"]:
            here = None if respondent is None else answers.get((respondent.id, answer["component_id"]))
            change = _merge_change(here, answer)
            changes.append(_change(framework, text, answer["component_id"], change, here, answer))
    details = tuple(f"{what}: stays {old} (the file says {new})" for what, old, new in differences)
    return ModePreview(
        "merge", tuple(text for index, text in enumerate(texts) if index not in pairs), (), tuple(changes), details
    )


def _assessment_differences(
    plan: Mapping[str, Any], existing: Assessment, existing_organisation: str
) -> list[tuple[str, str, str]]:
    """(what, here, in the file) for each detail of the assessment that differs."""
    file_organisation = _organisation_text(plan["organisation"]["name"], plan["organisation"]["kind"])
    pairs = [
        ("Title", existing.title, plan["title"]),
        ("Assessment date", _long_date(existing.assessment_date), _long_date(plan["assessment_date"])),
        ("Status", str(AssessmentStatus(existing.status)), str(plan["status"])),
        ("Organisation", existing_organisation, file_organisation),
        (
            "Framework",
            f"{existing.framework_id}@{existing.framework_version}",
            f"{plan['framework_id']}@{plan['framework_version']}",
        ),
    ]
    return [(what, old, new) for what, old, new in pairs if old != new]


def _organisation_text(name: str, kind: OrganisationKind | str) -> str:
    return f"{name} ({_organisation_kind_label(kind)})"


def _copy_title(title: str) -> str:
    return title[: 200 - len(COPY_SUFFIX)].rstrip() + COPY_SUFFIX


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _replace(session: Session, plan: Mapping[str, Any], existing: Assessment) -> Assessment:
    """Make ``existing`` what the file says; respondents in both keep their row (and resume link)."""
    respondents, answers = _existing_rows(session, existing.id)
    pairs = _pair_respondents(plan["respondents"], respondents)
    existing.organisation_id = _find_or_create_organisation(session, plan["organisation"])
    for field in ("title", "assessment_date", "status", "created_at", "framework_id", "framework_version"):
        setattr(existing, field, plan[field])
    if getattr(existing, "archived_at", None) is not None:
        existing.status = AssessmentStatus.CLOSED  # an archived assessment stays closed until it is restored
    session.add(existing)
    for answer in answers.values():
        session.delete(answer)
    paired = {r.id for r in pairs.values()}
    for respondent in respondents:
        if respondent.id not in paired:
            session.delete(respondent)
    session.flush()
    for index, item in enumerate(plan["respondents"]):
        respondent = pairs.get(index) or Respondent(assessment_id=existing.id, resume_token=new_resume_token())
        respondent.name = item["name"]
        respondent.role = item["role"]
        respondent.is_anonymous = item["is_anonymous"]
        respondent.created_at = item["created_at"]
        session.add(respondent)
        session.flush()
        _add_answers(session, respondent.id, item["answers"])
    return existing


def _merge(session: Session, plan: Mapping[str, Any], existing: Assessment) -> Assessment:
    """Add the file's new respondents, and for respondents in both the newer answer per component."""
    if not _same_framework(plan, existing):
        raise AssessmentImportError(
            f"the file uses framework {plan['framework_id']}@{plan['framework_version']} and the assessment here "
            f"{existing.framework_id}@{existing.framework_version}: answers cannot be merged; replace it or import "
            "the file as a copy"
        )
    respondents, answers = _existing_rows(session, existing.id)
    pairs = _pair_respondents(plan["respondents"], respondents)
    for index, item in enumerate(plan["respondents"]):
        respondent = pairs.get(index)
        if respondent is None:
            _add_respondents_and_answers(session, existing.id, [item])
            continue
        added = []
        for incoming in item["answers"]:
            here = answers.get((respondent.id, incoming["component_id"]))
            change = _merge_change(here, incoming)
            if change == "added":
                added.append(incoming)
            elif change == "changed":
                for field in ANSWER_FIELDS:
                    setattr(here, field, incoming[field])
                here.updated_at = incoming["updated_at"]
                session.add(here)
        session.flush()
        _add_answers(session, respondent.id, added)
    return existing


@lru_cache(maxsize=1)
def _export_schema() -> dict[str, Any]:
    return json.loads(EXPORT_SCHEMA_PATH.read_text(encoding="utf-8"))


def json_nesting_depth(text: str) -> int:
    """How deeply JSON text nests arrays and objects, counted without parsing it (brackets in strings do not count)."""
    characters = np.frombuffer(_JSON_STRING.sub("", text).encode("utf-8", "replace"), dtype=np.uint8)
    depth = deepest = 0
    for start in range(0, len(characters), _DEPTH_CHUNK):  # in chunks, so a 20 MB file needs little memory
        chunk = characters[start : start + _DEPTH_CHUNK]
        steps = ((chunk == ord("[")) | (chunk == ord("{"))).astype(np.int32)
        steps -= (chunk == ord("]")) | (chunk == ord("}"))
        if steps.any():
            running = np.cumsum(steps) + depth
            deepest, depth = max(deepest, int(running.max())), int(running[-1])
    return deepest


def _parse_document(document: str | bytes | Mapping[str, Any]) -> Any:
    if isinstance(document, Mapping):
        return document
    if isinstance(document, bytes | bytearray):
        if len(document) > MAX_IMPORT_BYTES:
            raise AssessmentImportError(f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
        try:
            document = document.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise AssessmentImportError(f"the file is not UTF-8 text ({error.reason} at byte {error.start})") from None
    if not isinstance(document, str):
        raise AssessmentImportError("expected JSON text, bytes or a mapping")
    if len(document) > MAX_IMPORT_BYTES:
        raise AssessmentImportError(f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    if json_nesting_depth(document) > MAX_IMPORT_DEPTH:
        raise AssessmentImportError(
            f"the file's data is nested more than {MAX_IMPORT_DEPTH} levels deep, far deeper than an assessment "
            "export, so it was not read"
        )
    try:
        return json.loads(document)
    except json.JSONDecodeError as error:
        raise AssessmentImportError(
            f"the file is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from None


def _problem_list(headline: str, problems: Sequence[str], limit: int = 20) -> str:
    lines = list(problems[:limit])
    if len(problems) > limit:
        lines.append(f"... and {len(problems) - limit} more")
    return headline + ":\n  " + "\n  ".join(lines)


def _check_import(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check everything the schema cannot and return the data parsed and normalised, ready to write.

    Raises AssessmentImportError listing every problem found.
    """
    problems: list[str] = []
    try:
        framework = load_framework(data["framework"]["id"], data["framework"]["version"])
    except FrameworkError as error:
        raise AssessmentImportError(f"the file uses a framework this app does not have: {error}") from None
    assessment = data["assessment"]
    plan: dict[str, Any] = {
        "uid": assessment.get("uid"),
        "title": assessment["title"].strip(),
        "assessment_date": _check_date(assessment["assessment_date"], "$.assessment.assessment_date", problems),
        "status": AssessmentStatus(assessment["status"]),
        "created_at": _check_timestamp(assessment["created_at"], "$.assessment.created_at", problems),
        "framework_id": framework.id,
        "framework_version": framework.version,
        "organisation": _organisation_plan(data["organisation"], "$.organisation", problems, depth=0),
        "respondents": [],
    }
    for i, respondent in enumerate(data["respondents"]):
        where = f"$.respondents[{i}]"
        name = respondent["name"].strip() if respondent["name"] is not None else None
        if respondent["anonymous"] and name is not None:
            problems.append(f"{where}.name: an anonymous respondent has no name")
        if not respondent["anonymous"] and name is None:
            problems.append(f"{where}.name: a named respondent needs a name")
        answers = []
        seen: set[str] = set()
        for j, answer in enumerate(respondent["answers"]):
            at = f"{where}.answers[{j}]"
            component_id = answer["component_id"]
            if component_id in seen:
                problems.append(f"{at}.component_id: a second answer for {component_id!r}")
            seen.add(component_id)
            fields = {
                "current_stage": answer["current_stage"],
                "target_stage": answer["target_stage"],
                "target_date": _check_date(answer["target_date"], f"{at}.target_date", problems),
                "confidence": answer["confidence"],
                "evidence_notes": answer["evidence_notes"],
                "evidence_links": answer["evidence_links"],
            }
            try:
                clean = validate_answer_fields(framework, component_id, fields)
            except ValueError as error:
                problems.append(f"{at}: {error}")
                continue
            clean["component_id"] = component_id
            clean["created_at"] = _check_timestamp(answer["created_at"], f"{at}.created_at", problems)
            clean["updated_at"] = _check_timestamp(answer["updated_at"], f"{at}.updated_at", problems)
            answers.append(clean)
        plan["respondents"].append(
            {
                "name": name,
                "role": respondent["role"].strip() if respondent["role"] is not None else None,
                "is_anonymous": respondent["anonymous"],
                "created_at": _check_timestamp(respondent["created_at"], f"{where}.created_at", problems),
                "answers": answers,
            }
        )
    if problems:
        raise AssessmentImportError(_problem_list("the assessment cannot be imported", problems))
    return plan


def _organisation_plan(
    data: Mapping[str, Any] | None, where: str, problems: list[str], *, depth: int
) -> dict[str, Any] | None:
    if data is None:
        return None
    if depth >= 5:
        problems.append(f"{where}: organisations nested more than 5 deep")
        return None
    code = data["code"].strip() if data["code"] is not None else None
    area_code = (data.get("area_code") or "").strip() or None
    area_level = data.get("area_level")
    if (area_code is None) != (area_level is None):
        problems.append(f"{where}: give both area_code and area_level, or neither")
    return {
        "name": data["name"].strip(),
        "kind": OrganisationKind(data["kind"]),
        "code": code or None,
        # A file without a version was written before versions were recorded: on the 42-ICB geography.
        "geography_version": data.get("geography_version", UNVERSIONED_GEOGRAPHY_VERSION),
        "area_code": area_code,
        "area_level": None if area_level is None else AreaLevel(area_level),
        "parent": _organisation_plan(data["parent"], f"{where}.parent", problems, depth=depth + 1),
    }


def _check_date(value: str | None, where: str, problems: list[str]) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"{where}: {value!r} is not a calendar date (YYYY-MM-DD)")
        return None


def _check_timestamp(value: str, where: str, problems: list[str]) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        problems.append(f"{where}: {value!r} is not a timestamp")
        return None
    if parsed.tzinfo is None:
        problems.append(f"{where}: {value!r} has no time zone")
        return None
    return parsed.astimezone(UTC)


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _export_organisation(session: Session, organisation_id: int, *, depth: int) -> dict[str, Any]:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise LookupError(f"no organisation with id {organisation_id}")
    parent = None
    if organisation.parent_id is not None and depth < 5:
        parent = _export_organisation(session, organisation.parent_id, depth=depth + 1)
    return {
        "name": organisation.name,
        "kind": str(OrganisationKind(organisation.kind)),
        "code": organisation.code,
        "geography_version": organisation.geography_version,
        "area_code": organisation.area_code,
        "area_level": None if organisation.area_level is None else str(AreaLevel(organisation.area_level)),
        "parent": parent,
    }


def _find_or_create_organisation(session: Session, plan: Mapping[str, Any]) -> int:
    existing = session.exec(
        select(Organisation).where(Organisation.kind == plan["kind"], Organisation.name == plan["name"])
    ).first()
    if existing is not None:
        if plan["code"] is not None and existing.code is not None and existing.code != plan["code"]:
            raise AssessmentImportError(
                f"organisation {plan['name']!r} ({plan['kind']}) exists here with code {existing.code!r}, "
                f"but the file says {plan['code']!r}"
            )
        if plan["area_code"] is not None and existing.area_code is not None and existing.area_code != plan["area_code"]:
            raise AssessmentImportError(
                f"organisation {plan['name']!r} ({plan['kind']}) stands for area {existing.area_code} here, "
                f"but the file says {plan['area_code']}"
            )
        return existing.id
    if plan["area_code"] is not None:
        clash = session.exec(
            select(Organisation.name).where(
                Organisation.geography_version == plan["geography_version"],
                Organisation.area_code == plan["area_code"],
            )
        ).first()
        if clash is not None:
            raise AssessmentImportError(
                f"{clash!r} already stands for area {plan['area_code']} on geography version "
                f"{plan['geography_version']}; the file's organisation is {plan['name']!r}"
            )
    parent_id = None
    if plan["parent"] is not None:
        parent_id = _find_or_create_organisation(session, plan["parent"])
    organisation = Organisation(
        name=plan["name"],
        kind=plan["kind"],
        code=plan["code"],
        parent_id=parent_id,
        geography_version=plan["geography_version"],
        area_code=plan["area_code"],
        area_level=plan["area_level"],
    )
    session.add(organisation)
    session.flush()
    return organisation.id


def _add_assessment(session: Session, plan: Mapping[str, Any], organisation_id: int) -> Assessment:
    assessment = Assessment(
        organisation_id=organisation_id,
        uid=plan["uid"],
        title=plan["title"],
        assessment_date=plan["assessment_date"],
        framework_id=plan["framework_id"],
        framework_version=plan["framework_version"],
        status=plan["status"],
        created_at=plan["created_at"],
    )
    session.add(assessment)
    session.flush()
    return assessment


def _add_respondents_and_answers(
    session: Session, assessment_id: int, respondents: Sequence[Mapping[str, Any]]
) -> None:
    for item in respondents:
        respondent = Respondent(
            assessment_id=assessment_id,
            name=item["name"],
            role=item["role"],
            is_anonymous=item["is_anonymous"],
            resume_token=new_resume_token(),
            created_at=item["created_at"],
        )
        session.add(respondent)
        session.flush()
        _add_answers(session, respondent.id, item["answers"])


def _add_answers(session: Session, respondent_id: int, answers: Sequence[Mapping[str, Any]]) -> None:
    session.add_all(Answer(respondent_id=respondent_id, **answer) for answer in answers)
    session.flush()


# --- printable report ------------------------------------------------------------------------------------------


def assessment_report_html(
    session: Session,
    assessment_id: int,
    *,
    rule: AgreementRule = DEFAULT_AGREEMENT_RULE,
    median_tie: MedianTie = "lower",
    page_links: Mapping[str, str] | None = None,
    charts_html: str | None = None,
) -> str:
    """The printable report of one assessment as a complete HTML page (see :func:`render_report_html`)."""
    assessment = get_assessment(session, assessment_id)
    organisation = get_organisation(session, assessment.organisation_id)
    result = assessment_results(session, assessment_id, rule=rule, median_tie=median_tie)
    return render_report_html(
        organisation=organisation,
        assessment=assessment,
        result=result,
        next_steps=suggest_next_steps(result),
        page_links=page_links,
        charts_html=charts_html,
        evidence=evidence_entries(session, assessment_id),
    )


@dataclass(frozen=True)
class EvidenceEntry:
    """The evidence one respondent gave for one component: notes and links, with the stage they chose."""

    component_id: str
    respondent: str  # the name, or "Anonymous respondent <n>" numbered in the order they joined this assessment
    role: str | None  # never given for an anonymous respondent (a role can name the person)
    current_stage: int | None
    notes: str | None
    links: tuple[str, ...]


def evidence_entries(session: Session, assessment_id: int) -> list[EvidenceEntry]:
    """Every answer of an assessment with evidence notes or links, by component (framework order), then respondent.

    Anonymous respondents are called "Anonymous respondent 1", "2", ... in the order they joined this assessment,
    with no role.
    """
    assessment = get_assessment(session, assessment_id)
    framework = framework_for(assessment)
    anonymous_ids = session.exec(
        select(Respondent.id)
        .where(Respondent.assessment_id == assessment_id, Respondent.is_anonymous)
        .order_by(Respondent.id)
    ).all()
    anonymous_number = {respondent_id: n for n, respondent_id in enumerate(anonymous_ids, start=1)}
    order = {cid: i for i, cid in enumerate(framework.component_ids)}
    entries = []
    for record in answers_for(session, assessment_id).to_dict("records"):
        notes = (record["evidence_notes"].strip() or None) if isinstance(record["evidence_notes"], str) else None
        links = tuple(record["evidence_links"])
        if notes is None and not links:
            continue
        respondent_id = int(record["respondent_id"])
        anonymous = respondent_id in anonymous_number
        entries.append(
            EvidenceEntry(
                component_id=record["component_id"],
                respondent=f"Anonymous respondent {anonymous_number[respondent_id]}"
                if anonymous
                else record["respondent"],
                role=None if anonymous else record["role"],
                current_stage=_int_or_none(record["current_stage"]),
                notes=notes,
                links=links,
            )
        )
    return sorted(entries, key=lambda e: (order.get(e.component_id, len(order)), e.component_id))


PAGE_TITLES = {
    "population": "Population",
    "segmentation": "Segmentation",
    "risk": "Risk stratification",
    "cohorts": "Cohorts",
    "inequalities": "Inequalities",
    "scenarios": "Scenarios",
    "maturity": "Maturity",
}


def render_report_html(
    *,
    organisation: OrganisationPublic,
    assessment: AssessmentPublic,
    result: AssessmentResult,
    next_steps: Mapping[str, Sequence[NextStep]] | None = None,
    page_links: Mapping[str, str] | None = None,
    generated_at: datetime | None = None,
    charts_html: str | None = None,
    evidence: Sequence[EvidenceEntry] = (),
) -> str:
    """A self-contained, printable HTML report: summary, the matrix grid, gaps, disagreement, next steps, evidence.

    ``page_links`` maps app page keys (e.g. ``"risk"``) to URLs for the "In PHM Navigator" links; without it
    the page is named in plain text. ``evidence`` (see :func:`evidence_entries`) is listed by component at the end;
    only ``http(s)`` links become links, anything else is shown as text. All text is HTML-escaped, except
    ``charts_html``: trusted markup (e.g. the inline SVG of :func:`maturity.figures.report_charts_html`) placed
    after the summary.
    """
    e = html.escape
    framework = result.framework
    generated_at = generated_at or datetime.now(UTC)
    next_steps = next_steps if next_steps is not None else suggest_next_steps(result)
    page_links = page_links or {}
    parts: list[str] = []
    title = f"{assessment.title}: {organisation.name}"
    parts.append(
        f'<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{e(title)}</title>\n'
        f"<style>{_REPORT_CSS}</style>\n</head>\n<body>\n<main>"
    )
    parts.append(
        f"<header><h1>{e(framework.title)}: {e(organisation.name)}</h1>"
        f'<p class="meta">{e(assessment.title)} &middot; {e(_organisation_kind_label(organisation.kind))} &middot; '
        f"assessment date {e(_long_date(assessment.assessment_date))} &middot; "
        f"{result.n_respondents} respondent{'s' if result.n_respondents != 1 else ''} &middot; "
        f"framework {e(framework.key)} &middot; status {e(str(assessment.status))} &middot; "
        f"report generated {e(generated_at.astimezone(UTC).strftime('%d %B %Y %H:%M UTC'))}</p></header>"
    )

    # Summary
    parts.append(
        '<section><h2>Summary</h2><table class="summary"><thead><tr><th>Capability</th>'
        "<th>Current</th><th>Target</th><th>Gap</th><th>Components scored</th></tr></thead><tbody>"
    )
    for c in result.capabilities:
        parts.append(
            f'<tr><th scope="row">{e(c.label)}</th><td>{_score_html(c.current, c.current_label)}</td>'
            f"<td>{_score_html(c.target, c.target_label)}</td><td>{_gap_html(c.gap)}</td>"
            f"<td>{c.n_components_scored} of {c.n_components}</td></tr>"
        )
    o = result.overall
    parts.append(
        f'<tr class="overall"><th scope="row">Overall</th><td>{_score_html(o.current, o.current_label)}</td>'
        f"<td>{_score_html(o.target, o.target_label)}</td><td>{_gap_html(o.gap)}</td><td></td></tr>"
        "</tbody></table></section>"
    )
    if charts_html:
        parts.append(charts_html)

    # Matrix grid
    parts.append(
        '<section class="matrix"><h2>The maturity matrix</h2>'
        '<p class="legend"><span class="mark current">Current</span> median current stage '
        '<span class="mark target">Target</span> median target stage &middot; '
        "the count in each cell is how many respondents chose that stage as current.</p>"
        '<table class="grid"><thead><tr><th>Component</th>'
    )
    for stage in framework.stages:
        parts.append(f'<th>{e(stage.label)}<span class="score">{stage.score}</span></th>')
    parts.append("<th>Agreement</th></tr></thead><tbody>")
    by_id = {r.component_id: r for r in result.components}
    for capability in framework.capabilities:
        parts.append(
            f'<tr class="capability"><th colspan="{len(framework.stages) + 2}">{e(capability.label)}</th></tr>'
        )
        for component in capability.components:
            r = by_id[component.id]
            parts.append(f'<tr><th scope="row">{e(component.label)}</th>')
            for index, stage in enumerate(framework.stages):
                classes = []
                marks = []
                if r.current_stage == stage.score:
                    classes.append("is-current")
                    marks.append('<span class="mark current">Current</span>')
                if r.target_stage == stage.score:
                    classes.append("is-target")
                    marks.append('<span class="mark target">Target</span>')
                count = r.counts[index]
                count_html = f'<span class="count">{count} rated here</span>' if count else ""
                parts.append(
                    f'<td class="{" ".join(classes)}">{"".join(marks)}'
                    f"<p>{e(component.descriptors[stage.score])}</p>{count_html}</td>"
                )
            parts.append(
                f'<td class="agreement {e(r.agreement.name.lower())}">{e(str(r.agreement))}'
                f'<span class="count">{r.n} rating{"s" if r.n != 1 else ""}'
                f"{f', {r.n_missing} missing' if r.n_missing else ''}</span></td></tr>"
            )
    parts.append("</tbody></table></section>")

    # Gaps
    gaps = gap_analysis(result)
    parts.append("<section><h2>Gap analysis</h2>")
    if gaps:
        parts.append(
            '<table class="gaps"><thead><tr><th>Component</th><th>Capability</th><th>Current</th>'
            "<th>Target</th><th>Gap</th><th>By when</th><th>Agreement</th><th>Ratings</th></tr></thead>"
            "<tbody>"
        )
        for r in gaps:
            parts.append(
                f'<tr><th scope="row">{e(r.label)}</th><td>{e(framework.capability(r.capability_id).label)}</td>'
                f"<td>{_score_html(r.current, r.current_label)}</td><td>{_score_html(r.target, r.target_label)}</td>"
                f"<td>{_gap_html(r.gap)}</td><td>{e(_long_date(r.target_by)) if r.target_by else '&ndash;'}</td>"
                f"<td>{e(str(r.agreement))}</td><td>{r.n}</td></tr>"
            )
        parts.append("</tbody></table>")
    else:
        parts.append("<p>No component has a target above its current stage yet.</p>")
    parts.append("</section>")

    # Disagreement
    discuss = most_disagreement(result, limit=5)
    parts.append("<section><h2>Where respondents disagree most</h2>")
    if discuss:
        parts.append("<ul>")
        for r in discuss:
            parts.append(
                f"<li><strong>{e(r.label)}</strong>: ratings from {r.minimum} to {r.maximum}, "
                f"interquartile range {_number(r.iqr)}, {_percent(r.outside_share)} outside "
                f"{e(result.rule.describe_band())} ({e(str(r.agreement))}).</li>"
            )
        parts.append("</ul>")
    else:
        parts.append("<p>Respondents gave the same rating for every component with more than one rating.</p>")
    parts.append("</section>")

    # Next steps
    parts.append('<section class="next-steps"><h2>Next steps</h2>')
    any_steps = False
    for group in [*ACTION_GROUPS, *[g for g in next_steps if g not in ACTION_GROUPS]]:
        steps = next_steps.get(group, [])
        if not steps:
            continue
        any_steps = True
        parts.append(f"<h3>{e(group.capitalize())}</h3><ul>")
        for step in steps:
            link = ""
            if step.page:
                page_title = PAGE_TITLES.get(step.page, step.page)
                url = page_links.get(step.page)
                target = f'<a href="{e(url, quote=True)}">{e(page_title)}</a>' if url else f"{e(page_title)} page"
                link = f' <span class="page">In PHM Navigator: {target}</span>'
            parts.append(f"<li><strong>{e(step.component_label)}</strong>: {e(step.text)}{link}</li>")
        parts.append("</ul>")
    if not any_steps:
        parts.append("<p>No gaps with suggested actions.</p>")
    parts.append("</section>")
    parts.append(_evidence_html(framework, evidence))

    rule = result.rule
    parts.append(
        "<footer><h2>How the scores are worked out</h2><p>Each component's score is the median of the current "
        "stages respondents chose (blank answers are left out and counted as missing); with an even number of "
        f"ratings a median between two stages reaches the {'lower' if result.median_tie == 'lower' else 'upper'} "
        "one. Capability scores are the mean of their components' medians and the overall score is the mean of the "
        f"capabilities. {e(rule.describe())} The gap is the median target minus the median current "
        "stage.</p></footer>"
    )
    parts.append("</main>\n</body>\n</html>\n")
    return "\n".join(parts)


def _evidence_html(framework: Framework, evidence: Sequence[EvidenceEntry]) -> str:
    """The report's evidence section: each component's notes and links, one item per respondent."""
    e = html.escape
    parts = [
        '<section class="evidence"><h2>Evidence from respondents</h2>',
        '<p class="legend">The notes and links each respondent gave for a component, with the stage they chose. '
        "Anonymous respondents are numbered in the order they joined; their roles are not shown.</p>",
    ]
    if not evidence:
        parts.append("<p>No respondent has written evidence notes or links yet.</p></section>")
        return "".join(parts)
    current = None
    for entry in evidence:
        if entry.component_id != current:
            if current is not None:
                parts.append("</ul>")
            current = entry.component_id
            known = framework.has_component(entry.component_id)
            parts.append(f"<h3>{e(framework.component(current).label if known else current)}</h3><ul>")
        who = f"<strong>{e(entry.respondent)}</strong>" + (f" ({e(entry.role)})" if entry.role else "")
        stage = _stage_label(framework, entry.current_stage)
        rated = f", rated {e(stage)}" if stage else ""
        notes = f'<p class="note">{e(entry.notes)}</p>' if entry.notes else ""
        links = ""
        if entry.links:
            items = "".join(f"<li>{_link_html(link)}</li>" for link in entry.links)
            links = f'<ul class="links">{items}</ul>'
        parts.append(f"<li>{who}{rated}{notes}{links}</li>")
    parts.append("</ul></section>")
    return "".join(parts)


def _link_html(link: str) -> str:
    """A web address as a link; anything else (a shared-drive path, a ``javascript:`` URL) as plain text."""
    if _WEB_LINK.match(link):
        return f'<a href="{html.escape(link, quote=True)}">{html.escape(link)}</a>'
    return f'<span class="link">{html.escape(link)}</span>'


_WEB_LINK = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)


def _organisation_kind_label(kind: OrganisationKind | str) -> str:
    return {"ics": "ICS", "icb": "ICB", "place": "Place", "pcn": "PCN"}.get(str(kind), str(kind))


def _long_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _number(value: float | None) -> str:
    if value is None:
        return "\u2013"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _percent(value: float | None) -> str:
    return "\u2013" if value is None else f"{value * 100:.0f}%"


def _score_html(value: float | None, label: str | None) -> str:
    if value is None:
        return "&ndash;"
    return f'{html.escape(_number(value))} <span class="label">{html.escape(label or "")}</span>'


def _gap_html(value: float | None) -> str:
    if value is None:
        return "&ndash;"
    sign = "+" if value > 0 else ""
    return f"{sign}{html.escape(_number(value))}"


_REPORT_CSS = """
:root { --nhs-blue: #005eb8; --nhs-dark-blue: #003087; --nhs-green: #007f3b; --grey: #425563; --pale: #f0f4f5; }
* { box-sizing: border-box; }
body { font-family: Arial, "Helvetica Neue", sans-serif; color: #212b32; margin: 0; line-height: 1.35; }
main { max-width: 1200px; margin: 0 auto; padding: 16px 24px; }
h1 { color: var(--nhs-dark-blue); font-size: 1.6em; margin: 0 0 4px; }
h2 { color: var(--nhs-dark-blue); font-size: 1.2em; border-bottom: 2px solid var(--nhs-blue); padding-bottom: 2px; }
h3 { font-size: 1.05em; margin-bottom: 4px; }
.meta { color: var(--grey); margin: 0; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { border: 1px solid #d8dde0; padding: 4px 6px; text-align: left; vertical-align: top; }
thead th { background: var(--nhs-blue); color: #fff; }
table.summary { width: auto; }
tr.overall th, tr.overall td { font-weight: bold; background: var(--pale); }
.label { color: var(--grey); font-size: 0.9em; }
.score { display: block; font-weight: normal; font-size: 0.8em; }
.grid td p { margin: 2px 0; font-size: 0.85em; }
.grid tr.capability th { background: var(--pale); color: var(--nhs-dark-blue); font-size: 1.05em; }
.grid td.is-current { background: #e8f1fa; outline: 3px solid var(--nhs-blue); outline-offset: -3px; }
.grid td.is-target { background: #e6f4ec; }
.grid td.is-target:not(.is-current) { outline: 3px dashed var(--nhs-green); outline-offset: -3px; }
.mark { display: inline-block; font-size: 0.75em; font-weight: bold; padding: 1px 6px; border-radius: 8px;
        margin-right: 4px; color: #fff; }
.mark.current { background: var(--nhs-blue); }
.mark.target { background: var(--nhs-green); }
.count { display: block; color: var(--grey); font-size: 0.75em; }
.agreement.uncertain { color: #8a1538; font-weight: bold; }
.agreement.consensus { color: var(--nhs-green); }
.page { color: var(--grey); font-size: 0.9em; }
.evidence h3 { color: var(--nhs-dark-blue); margin: 14px 0 4px; }
.evidence ul { margin: 0; padding-left: 20px; }
.evidence li { margin: 2px 0 6px; overflow-wrap: anywhere; }
.evidence .note { margin: 2px 0; white-space: pre-line; }
.evidence ul.links { list-style: square; font-size: 0.9em; }
.evidence a, .evidence .link { overflow-wrap: anywhere; word-break: break-all; }
footer { color: var(--grey); font-size: 0.85em; margin-top: 24px; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  main { max-width: none; padding: 0; }
  tr, li { break-inside: avoid; }
  section.matrix, section.next-steps, section.evidence { break-before: page; }
  .evidence li { break-inside: auto; }
  a { color: inherit; text-decoration: none; }
}
"""
