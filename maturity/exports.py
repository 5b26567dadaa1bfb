"""Exports and import: responses as CSV and Excel, a whole assessment as JSON, and a printable HTML report.

Spreadsheet safety: every text cell written to CSV or Excel goes through :func:`neutralise_formula`, so no cell
starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) and none is read as a formula.

JSON: :func:`export_assessment` writes the organisation, assessment, respondents and answers without database
ids or resume tokens; :func:`import_assessment` checks everything first and writes it in one transaction, so an
invalid file is rejected with :class:`AssessmentImportError` and nothing is written. Exporting an imported
assessment gives the same JSON again.
"""

from __future__ import annotations

import html
import io
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
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


def import_assessment(session: Session, document: str | bytes | Mapping[str, Any]) -> AssessmentPublic:
    """Import an assessment exported by :func:`export_assessment_json`, in one transaction.

    The organisation (and its parents) are matched by kind and name, and created when missing. Respondents get new
    resume tokens. Raises :class:`AssessmentImportError` listing the problems (invalid JSON, schema violations,
    unknown framework or components, out-of-range ratings, duplicate answers, an assessment already imported),
    in which case nothing has been written.
    """
    data = _parse_document(document)
    problems = schema_problems(jsonschema.Draft202012Validator(_export_schema()), data)
    if problems:
        raise AssessmentImportError(_problem_list("the file is not a PHM Navigator assessment export", problems))
    plan = _check_import(data)
    try:
        with write_transaction(session):
            if session.exec(select(Assessment.id).where(Assessment.uid == plan["uid"])).first() is not None:
                raise AssessmentImportError(
                    f"this assessment (uid {plan['uid']}) is already in the database; delete it first to replace it"
                )
            organisation_id = _find_or_create_organisation(session, plan["organisation"])
            assessment = _add_assessment(session, plan, organisation_id)
            _add_respondents_and_answers(session, assessment.id, plan["respondents"])
            public = AssessmentPublic.model_validate(assessment)
    except AssessmentImportError:
        raise
    except Exception as error:  # a database error mid-way: the transaction was rolled back
        raise AssessmentImportError(f"the import failed and nothing was saved: {error}") from error
    return public


@lru_cache(maxsize=1)
def _export_schema() -> dict[str, Any]:
    return json.loads(EXPORT_SCHEMA_PATH.read_text(encoding="utf-8"))


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
        "uid": assessment["uid"],
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
        session.add_all(Answer(respondent_id=respondent.id, **answer) for answer in item["answers"])
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
    )


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
) -> str:
    """A self-contained, printable HTML report: summary, the matrix grid, gaps, disagreement and next steps.

    ``page_links`` maps app page keys (e.g. ``"risk"``) to URLs for the "In PHM Navigator" links; without it
    the page is named in plain text. All text is HTML-escaped, except ``charts_html``: trusted markup (e.g. the
    inline SVG of :func:`maturity.figures.report_charts_html`) placed after the summary.
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
footer { color: var(--grey); font-size: 0.85em; margin-top: 24px; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  main { max-width: none; padding: 0; }
  tr, li { break-inside: avoid; }
  section.matrix, section.next-steps { break-before: page; }
  a { color: inherit; text-decoration: none; }
}
"""
