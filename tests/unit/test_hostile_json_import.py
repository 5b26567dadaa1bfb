"""Hostile JSON in an assessment import: deep nesting and oversized text are refused in plain English, nothing is
written, and nothing crashes (before, deep nesting raised RecursionError while parsing or checking the schema)."""

from __future__ import annotations

import json
from datetime import date

import maturity_fixtures
import pytest
from sqlmodel import Session

from maturity import exports, repository
from maturity.exports import MAX_IMPORT_BYTES, MAX_IMPORT_DEPTH, AssessmentImportError, export_assessment

pytestmark = pytest.mark.unit

engine = maturity_fixtures.engine


def _exported_document(engine) -> dict:
    with Session(engine) as session:
        organisation = repository.create_organisation(session, name="North ICS", kind="icb")
        assessment = repository.create_assessment(
            session, organisation_id=organisation.id, assessment_date=date(2025, 3, 1), title="Spring"
        )
        document = export_assessment(session, assessment.id)
        repository.delete_assessment(session, assessment.id)
    return document


def _nested_parents(document: dict, levels: int) -> str:
    """The export with an organisation whose chain of parents is ``levels`` deep, as JSON text."""
    text = json.dumps({**document, "organisation": "PLACEHOLDER"})
    # json.dumps itself recurses; build the nested part by hand so the test can reach any depth.
    nested = '{"name": "Deep", "kind": "place", "code": null, "parent": ' * levels
    nested += '{"name": "Deep", "kind": "place", "code": null, "parent": null}' + "}" * levels
    return text.replace('"PLACEHOLDER"', nested)


@pytest.mark.parametrize(
    "document",
    [
        "[" * 100_000 + "]" * 100_000,  # RecursionError in json.loads before
        '{"a": ' * 50_000 + "1" + "}" * 50_000,
        ("[" * 100_000).encode(),  # not even closed
    ],
    ids=["arrays", "objects", "unclosed-bytes"],
)
def test_deeply_nested_json_is_refused_in_plain_english(engine, document):
    before = maturity_fixtures.database_snapshot(engine)
    for action in (exports.preview_import, exports.import_assessment):
        with (
            Session(engine) as session,
            pytest.raises(AssessmentImportError, match=r"nested more than \d+ levels deep"),
        ):
            action(session, document)
    assert maturity_fixtures.database_snapshot(engine) == before


def test_nesting_that_parses_but_would_exhaust_the_schema_check_is_refused(engine):
    document = _exported_document(engine)
    text = _nested_parents(document, 400)  # json.loads copes; the schema's recursive organisation did not
    before = maturity_fixtures.database_snapshot(engine)
    with Session(engine) as session, pytest.raises(AssessmentImportError, match="nested"):
        exports.preview_import(session, text)
    assert maturity_fixtures.database_snapshot(engine) == before


def test_brackets_inside_text_do_not_count_as_nesting(engine):
    document = _exported_document(engine)
    document["assessment"]["title"] = "[" * (MAX_IMPORT_DEPTH * 4) + ' "{quoted}" \\'
    with Session(engine) as session:
        preview = exports.preview_import(session, json.dumps(document))
    assert preview.existing is None


def test_oversized_text_is_refused_like_oversized_bytes(engine):
    text = " " * (MAX_IMPORT_BYTES + 1) + "{}"
    with Session(engine) as session, pytest.raises(AssessmentImportError, match="larger than 20 MB"):
        exports.preview_import(session, text)


@pytest.mark.parametrize(
    ("text", "depth"),
    [("", 0), ("1", 0), ("[]", 1), ("[][]", 1), ('{"a": [1, {"b": []}]}', 4), ('{"a": "[[[{", "b": ["\\"]"]}', 2)],
)
def test_nesting_depth_counts_brackets_outside_strings(text, depth):
    assert exports.json_nesting_depth(text) == depth
