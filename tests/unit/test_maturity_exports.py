"""Exports and import: CSV and Excel safe from formula injection, JSON round trip, invalid files, the report."""

from __future__ import annotations

import copy
import csv
import io
import json
import re
from datetime import date

import maturity_fixtures
import openpyxl
import pytest
from sqlmodel import Session

from maturity import exports, repository
from maturity.db import make_engine
from maturity.exports import (
    FORMULA_TRIGGERS,
    AssessmentImportError,
    export_assessment,
    export_assessment_json,
    import_assessment,
    neutralise_formula,
)
from maturity.framework import load_framework

pytestmark = pytest.mark.unit

engine = maturity_fixtures.engine

FRAMEWORK = load_framework()
HOSTILE = ["=1+1", "+44 20 7946 0000", "-2+3", "@SUM(A1:A9)", "\t=cmd", "\r=cmd", '  =HYPERLINK("x")', "＝1"]


def populate(
    engine,
    *,
    organisation_name: str = "North ICS",
    place_name: str = "Riverside",
    role: str = "PHM lead",
    notes: str = "Board paper",
):
    """An ICS with a place, and an assessment of the place with three respondents."""
    with Session(engine) as session:
        ics = repository.create_organisation(session, name=organisation_name, kind="ics", code="QXX")
        place = repository.create_organisation(session, name=place_name, kind="place", parent_id=ics.id)
        assessment = repository.create_assessment(
            session, organisation_id=place.id, assessment_date=date(2025, 6, 1), title="Spring round"
        )
        asha = repository.get_or_create_respondent(session, assessment.id, name="Asha Ōkafor", role=role)
        anonymous = repository.get_or_create_respondent(session, assessment.id, anonymous=True, role="GP")
        repository.get_or_create_respondent(session, assessment.id, name="No answers yet")
        for index, component_id in enumerate(FRAMEWORK.component_ids):
            repository.save_answer(
                session,
                asha.id,
                component_id,
                current_stage=index % 4 + 1,
                target_stage=4,
                target_date=date(2027, 3, 31),
                confidence=index % 3 + 1,
                evidence_notes=f"{notes} {index}",
                evidence_links=[f"https://example.org/{index}"],
            )
        repository.save_answer(session, anonymous.id, "analyses", current_stage=1, target_stage=3)
        repository.save_answer(session, anonymous.id, "interpretation", evidence_notes="Not sure yet")
    return assessment


# --- formula injection -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_text_is_prefixed_with_a_quote(text):
    assert neutralise_formula(text) == "'" + text


@pytest.mark.parametrize("value", ["Riverside", "", "2025-06-01", "a=b", "email me@example.org", -2, 3.5, None])
def test_ordinary_values_are_left_alone(value):
    assert neutralise_formula(value) == value


def cell_is_safe(value) -> bool:
    return not (isinstance(value, str) and value[:1] in FORMULA_TRIGGERS)


@pytest.mark.parametrize("hostile", ['=HYPERLINK("http://evil","click")', "+cmd|' /C calc'!A0", "@SUM(1+1)"])
def test_csv_and_excel_exports_never_start_a_cell_with_a_formula(engine, hostile):
    assessment = populate(engine, place_name=hostile, role=hostile, notes=hostile)
    with Session(engine) as session:
        with_links = repository.list_respondents(session, assessment.id)[0]
        repository.save_answer(session, with_links.id, "analyses", evidence_links=["-1+1", "=cmd"])
        csv_bytes = exports.responses_csv(session, assessment.id)
        xlsx_bytes = exports.responses_xlsx(session, assessment.id)

    assert csv_bytes.startswith(b"\xef\xbb\xbf")  # byte-order mark: Excel reads the accents right
    rows = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig"))))
    assert rows[0] == list(exports.RESPONSE_COLUMNS)
    assert len(rows) == 1 + len(FRAMEWORK.component_ids) + 2
    assert all(cell_is_safe(cell) for row in rows for cell in row)
    assert any(cell == "'" + hostile for row in rows for cell in row)  # kept, just defused

    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_bytes))
    assert workbook.sheetnames == ["Responses", "Results"]
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert all(cell_is_safe(cell.value) for cell in cells)
    responses = workbook["Responses"]
    assert responses.max_row == 1 + len(FRAMEWORK.component_ids) + 2


def test_excel_keeps_numbers_as_numbers(engine):
    assessment = populate(engine)
    with Session(engine) as session:
        workbook = openpyxl.load_workbook(io.BytesIO(exports.responses_xlsx(session, assessment.id)))
    sheet = workbook["Responses"]
    header = [c.value for c in sheet[1]]
    stages = [row[header.index("Current stage")].value for row in sheet.iter_rows(min_row=2)]
    assert all(isinstance(v, int) for v in stages if v is not None)
    results = workbook["Results"]
    assert [c.value for c in results[1]][:3] == ["Capability", "Component", "Ratings"]


# --- JSON export and import ------------------------------------------------------------------------------------


def test_export_holds_no_database_ids_or_resume_tokens(engine):
    assessment = populate(engine)
    with Session(engine) as session:
        tokens = [r.resume_token for r in repository.list_respondents(session, assessment.id)]
        text = export_assessment_json(session, assessment.id)
    assert not any(token in text for token in tokens)
    data = json.loads(text)

    def keys(node):
        if isinstance(node, dict):
            for key, value in node.items():
                yield key
                yield from keys(value)
        elif isinstance(node, list):
            for item in node:
                yield from keys(item)

    found = set(keys({k: v for k, v in data.items() if k != "framework"}))
    assert not found & {"id", "respondent_id", "assessment_id", "organisation_id", "parent_id", "resume_token"}
    assert data["organisation"]["parent"]["name"] == "North ICS"
    assert [r["name"] for r in data["respondents"]] == ["Asha Ōkafor", None, "No answers yet"]


def test_import_round_trips_exactly(engine, tmp_path):
    assessment = populate(engine)
    with Session(engine) as session:
        original = export_assessment_json(session, assessment.id)
        results_before = repository.assessment_results(session, assessment.id)
        repository.delete_assessment(session, assessment.id)
        imported = import_assessment(session, original)
        assert export_assessment_json(session, imported.id) == original
        assert repository.assessment_results(session, imported.id).components == results_before.components
        # The organisations already existed, so they were reused rather than copied.
        assert len(repository.list_organisations(session)) == 2
        # Imported respondents get new resume tokens that work.
        for respondent in repository.list_respondents(session, imported.id):
            assert repository.resume_respondent(session, respondent.resume_token) == respondent

    # And into an empty database (organisations created, parent first).
    other = make_engine(f"sqlite:///{tmp_path / 'other.sqlite'}")
    with Session(other) as session:
        copy_ = import_assessment(session, original.encode("utf-8"))
        assert export_assessment_json(session, copy_.id) == original
        assert {o.name for o in repository.list_organisations(session)} == {"North ICS", "Riverside"}
    other.dispose()


def test_the_footprint_of_an_organisation_travels_with_its_assessment(engine, tmp_path):
    with Session(engine) as session:
        icb = repository.create_organisation(
            session,
            name="NHS Norfolk and Suffolk ICB",
            kind="icb",
            geography_version="2026-04",
            area_code="E54000068",
            area_level="icb",
        )
        assessment = repository.create_assessment(session, organisation_id=icb.id, assessment_date=date(2026, 5, 1))
        document = export_assessment(session, assessment.id)
    assert {k: document["organisation"][k] for k in ("geography_version", "area_code", "area_level")} == {
        "geography_version": "2026-04",
        "area_code": "E54000068",
        "area_level": "icb",
    }
    other = make_engine(f"sqlite:///{tmp_path / 'other.sqlite'}")
    with Session(other) as session:
        import_assessment(session, document)
        assert repository.find_organisation(session, area_code="E54000068", geography_version="2026-04").name == (
            "NHS Norfolk and Suffolk ICB"
        )
    other.dispose()


def test_a_file_exported_before_geography_versions_imports_on_the_old_geography(engine, tmp_path):
    assessment = populate(engine)
    with Session(engine) as session:
        document = export_assessment(session, assessment.id)
    for organisation in (document["organisation"], document["organisation"]["parent"]):
        for key in ("geography_version", "area_code", "area_level"):
            del organisation[key]  # what the previous release wrote
    other = make_engine(f"sqlite:///{tmp_path / 'other.sqlite'}")
    with Session(other) as session:
        import_assessment(session, document)
        organisations = repository.list_organisations(session)
        assert {(o.name, o.geography_version, o.area_code) for o in organisations} == {
            ("North ICS", "2024-04", None),
            ("Riverside", "2024-04", None),
        }
    other.dispose()


def test_importing_the_same_assessment_twice_is_refused(engine):
    assessment = populate(engine)
    with Session(engine) as session:
        document = export_assessment(session, assessment.id)
    before = maturity_fixtures.database_snapshot(engine)
    with Session(engine) as session, pytest.raises(AssessmentImportError, match="already in the database"):
        import_assessment(session, document)
    assert maturity_fixtures.database_snapshot(engine) == before


def break_answer(field, value):
    def edit(data):
        data["respondents"][0]["answers"][-1][field] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(format="something else"), r"\$\.format: 'something else' should be"),
        (lambda d: d.pop("respondents"), r"\$: 'respondents' is a required property"),
        (break_answer("current_stage", 7), r"respondents\[0\]\.answers\[10\]: current stage must be 1-4, got 7"),
        (break_answer("current_stage", "3"), r"answers\[10\]\.current_stage: '3' is not of type"),
        (break_answer("component_id", "telepathy"), r"component 'telepathy' is not in framework"),
        (break_answer("component_id", "analyses"), r"answers\[10\]\.component_id: a second answer for 'analyses'"),
        (break_answer("target_date", "2025-02-30"), r"answers\[10\]\.target_date: '2025-02-30' is not a calendar"),
        (break_answer("updated_at", "2025-06-01T10:00:00"), r"updated_at: '2025-06-01T10:00:00' does not match"),
        (break_answer("confidence", 0), r"confidence must be one of \[1, 2, 3\]"),
        (lambda d: d["framework"].update(version=99), r"framework this app does not have: .*no version 99"),
        (lambda d: d["respondents"][1].update(name="Secret"), r"respondents\[1\]\.name: an anonymous respondent"),
        (lambda d: d["organisation"].update(kind="trust"), r"\$\.organisation\.kind: 'trust' is not one of"),
        (lambda d: d["assessment"].update(uid="not-a-uuid"), r"\$\.assessment\.uid: 'not-a-uuid' does not match"),
    ],
)
def test_invalid_imports_are_rejected_clearly_and_write_nothing(engine, edit, message):
    assessment = populate(engine)
    with Session(engine) as session:
        document = export_assessment(session, assessment.id)
        repository.delete_assessment(session, assessment.id)
    document = copy.deepcopy(document)
    edit(document)
    before = maturity_fixtures.database_snapshot(engine)
    with Session(engine) as session, pytest.raises(AssessmentImportError, match=message):
        import_assessment(session, document)
    assert maturity_fixtures.database_snapshot(engine) == before


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", r"not valid JSON: .* at line 1, column 2"),
        (b"\xff\xfe\x00", "not UTF-8 text"),
        ("[]", r"\$: \[\] is not of type 'object'"),
    ],
)
def test_unreadable_files_are_rejected(engine, document, message):
    with Session(engine) as session, pytest.raises(AssessmentImportError, match=message):
        import_assessment(session, document)


def test_a_database_failure_half_way_through_an_import_leaves_nothing_behind(engine, monkeypatch):
    assessment = populate(engine)
    with Session(engine) as session:
        document = export_assessment(session, assessment.id)
    document["organisation"] = {"name": "New place", "kind": "place", "code": None, "parent": None}
    document["assessment"]["uid"] = "00000000-0000-4000-8000-000000000000"
    add_answers = exports._add_respondents_and_answers

    def fail_after_writing(session, assessment_id, respondents):
        add_answers(session, assessment_id, respondents[:1])  # some rows written (and flushed) ...
        raise RuntimeError("disk full")  # ... then the database fails

    monkeypatch.setattr(exports, "_add_respondents_and_answers", fail_after_writing)
    before = maturity_fixtures.database_snapshot(engine)
    with Session(engine) as session, pytest.raises(AssessmentImportError, match="nothing was saved: disk full"):
        import_assessment(session, document)
    assert maturity_fixtures.database_snapshot(engine) == before  # not even the new organisation


# --- printable report ------------------------------------------------------------------------------------------


def test_report_shows_the_grid_gaps_and_actions(engine):
    assessment = populate(engine, place_name="<script>alert(1)</script> place")
    with Session(engine) as session:
        page = exports.assessment_report_html(session, assessment.id, page_links={"segmentation": "/segmentation"})
        result = repository.assessment_results(session, assessment.id)

    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; place" in page
    for component in FRAMEWORK.components:
        assert f'<th scope="row">{component.label}</th>' in page
    # The grid marks the analyses row: current median 1.5 reaches Emerging, target median 3.5 reaches Maturing.
    analyses = result.component("analyses")
    assert (analyses.current_stage, analyses.target_stage) == (1, 3)
    row = re.search(r'<tr><th scope="row">Analyses</th>(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r"<td class=\"([^\"]*)\">", row)
    assert cells[:4] == ["is-current", "", "is-target", ""]
    # The gap table lists the largest gap first.
    gaps = re.search(r'<table class="gaps">.*?</table>', page, re.S).group(0)
    first_gap_row = re.search(r'<tbody>\s*<tr><th scope="row">([^<]+)</th>', gaps).group(1)
    assert first_gap_row == exports.gap_analysis(result)[0].label
    assert "<h3>Intelligence</h3>" in page
    assert '<a href="/segmentation">Segmentation</a>' in page
    assert "fewer than 25% of its ratings lie outside the two adjacent stages most chosen" in page


def test_report_of_an_assessment_without_answers(engine):
    with Session(engine) as session:
        repository.create_organisation(session, name="<b>Bold</b> PCN", kind="pcn")
        organisation = repository.list_organisations(session, kind="pcn")[0]
        other = repository.create_assessment(
            session, organisation_id=organisation.id, assessment_date=date(2025, 1, 1), title="<i>Round</i>"
        )
        page = exports.assessment_report_html(session, other.id)
        assert "&lt;b&gt;Bold&lt;/b&gt; PCN" in page and "<b>Bold</b>" not in page
        assert "&lt;i&gt;Round&lt;/i&gt;" in page
        assert "No component has a target above its current stage yet." in page
        assert "No gaps with suggested actions." in page


# --- importing an assessment that is already here: preview, replace, merge, copy ------------------------------


def answer_values(engine, assessment_id):
    """(respondent, component, current stage, notes) of every answer, to compare databases before and after."""
    with Session(engine) as session:
        frame = repository.answers_for(session, assessment_id)
    return sorted(
        (r["respondent"], r["component_id"], _stage(r["current_stage"]), _text(r["evidence_notes"]))
        for r in frame.to_dict("records")
    )


def _text(value):
    return value if isinstance(value, str) else None


def _stage(value):
    return None if value is None or value is exports.pd.NA else int(value)


def changes(mode_preview, change):
    return sorted((c.respondent, c.component_id) for c in mode_preview.answers if c.change == change)


def test_a_new_assessment_previews_as_added_and_imports_as_before(engine, tmp_path):
    assessment = populate(engine)
    with Session(engine) as session:
        document = export_assessment(session, assessment.id)
    other = make_engine(f"sqlite:///{tmp_path / 'other.sqlite'}")
    with Session(other) as session:
        preview = exports.preview_import(session, document)
    assert preview.existing is None and preview.matched_by is None
    assert list(preview.modes) == ["new"]
    new = preview.modes["new"]
    assert new.respondents_added == ("Asha Ōkafor", "Anonymous respondent (new 1)", "No answers yet")
    assert new.counts() == {"added": len(FRAMEWORK.component_ids) + 2}
    assert maturity_fixtures.database_snapshot(other) == {t: [] for t in maturity_fixtures.MATURITY_TABLE_NAMES}
    other.dispose()


def test_replacing_an_assessment_with_its_own_export_changes_nothing_and_round_trips_exactly(engine):
    assessment = populate(engine)
    with Session(engine) as session:
        original = export_assessment_json(session, assessment.id)
        tokens = [r.resume_token for r in repository.list_respondents(session, assessment.id)]
        preview = exports.preview_import(session, original)
    assert preview.existing.id == assessment.id
    assert preview.matched_by == exports.MATCHED_BY_IDENTIFIER
    assert list(preview.modes) == ["replace", "merge", "copy"]
    replace = preview.modes["replace"]
    assert replace.respondents_added == () and replace.respondents_removed == ()
    assert replace.counts() == {"unchanged": len(FRAMEWORK.component_ids) + 2}
    assert preview.modes["merge"].counts() == {"unchanged": len(FRAMEWORK.component_ids) + 2}
    with Session(engine) as session:
        replaced = import_assessment(session, original, mode="replace")
        assert replaced.id == assessment.id  # the same assessment: links to it keep working
        assert export_assessment_json(session, assessment.id) == original
        # People who had started keep their resume links.
        assert [r.resume_token for r in repository.list_respondents(session, assessment.id)] == tokens
        assert len(repository.list_assessments(session)) == 1


def test_replace_makes_the_assessment_exactly_what_the_file_says(engine):
    assessment = populate(engine)
    with Session(engine) as session:
        original = export_assessment_json(session, assessment.id)
        asha, anonymous, _ = repository.list_respondents(session, assessment.id)
        repository.save_answer(session, asha.id, "analyses", current_stage=4, evidence_notes="Changed later")
        repository.save_answer(session, anonymous.id, "analyses", current_stage=None)
        late = repository.get_or_create_respondent(session, assessment.id, name="Late joiner", role="Nurse")
        repository.save_answer(session, late.id, "interpretation", current_stage=2)
        preview = exports.preview_import(session, original)
    replace = preview.modes["replace"]
    assert replace.respondents_removed == ("Late joiner",)
    assert changes(replace, "removed") == [("Late joiner", "interpretation")]
    assert changes(replace, "changed") == [
        (f"Anonymous respondent {anonymous.id}", "analyses"),
        ("Asha Ōkafor", "analyses"),
    ]
    analyses = next(c for c in replace.answers if c.respondent == "Asha Ōkafor" and c.component_id == "analyses")
    assert analyses.component == "Analyses"
    assert analyses.here.startswith("Current: Thriving") and analyses.in_file.startswith("Current: Developing")
    with Session(engine) as session:
        import_assessment(session, original.encode(), mode="replace")
        assert export_assessment_json(session, assessment.id) == original


def test_merge_adds_new_respondents_and_the_newer_answer_wins_for_each_component(engine):
    assessment = populate(engine)
    first, second, third = FRAMEWORK.component_ids[:3]
    with Session(engine) as session:
        document = export_assessment(session, assessment.id)
        asha, anonymous, _ = repository.list_respondents(session, assessment.id)
        # Changed here after the export: this database's answer is newer than the file's.
        repository.save_answer(session, asha.id, second, current_stage=4, evidence_notes="Newer here")
        dee = repository.get_or_create_respondent(session, assessment.id, name="Dee", role="Analyst")
        repository.save_answer(session, dee.id, first, current_stage=1)
    answers = {a["component_id"]: a for a in document["respondents"][0]["answers"]}
    answers[first].update(current_stage=3, evidence_notes="Newer in the file", updated_at="2099-01-01T00:00:00+00:00")
    answers[second].update(current_stage=2, evidence_notes="Older in the file", updated_at="2020-01-01T00:00:00+00:00")
    anonymous_answers = document["respondents"][1]["answers"]
    anonymous_answers.append({**answers[third], "evidence_notes": "From the anonymous one"})
    new_answer = {**answers[first], "current_stage": 2, "evidence_notes": "Bea's view"}
    document["respondents"].append(
        {
            "name": "Bea",
            "role": "GP",
            "anonymous": False,
            "created_at": "2025-06-02T09:00:00+00:00",
            "answers": [new_answer],
        }
    )
    with Session(engine) as session:
        preview = exports.preview_import(session, document)
    merge = preview.modes["merge"]
    assert merge.respondents_added == ("Bea",)
    assert merge.respondents_removed == ()
    assert changes(merge, "changed") == [("Asha Ōkafor", first)]
    assert changes(merge, "kept") == [("Asha Ōkafor", second)]
    assert changes(merge, "added") == [(f"Anonymous respondent {anonymous.id}", third), ("Bea", first)]
    assert merge.counts()["unchanged"] == len(FRAMEWORK.component_ids) - 2 + 2
    before = dict(((r, c), (s, n)) for r, c, s, n in answer_values(engine, assessment.id))

    with Session(engine) as session:
        merged = import_assessment(session, json.dumps(document), mode="merge")
    assert merged.id == assessment.id
    after = dict(((r, c), (s, n)) for r, c, s, n in answer_values(engine, assessment.id))
    assert after[("Asha Ōkafor", first)] == (3, "Newer in the file")
    assert after[("Asha Ōkafor", second)] == (4, "Newer here")
    assert after[(f"Anonymous respondent {anonymous.id}", third)][1] == "From the anonymous one"
    assert after[("Dee", first)] == (1, None)  # only here: kept
    bea = [key for key in after if key[0] == "Bea"]
    assert bea == [("Bea", first)] and after[("Bea", first)] == (2, "Bea's view")
    untouched = {key: value for key, value in before.items() if key not in {("Asha Ōkafor", first)}}
    assert all(after[key] == value for key, value in untouched.items())
    assert len(after) == len(before) + 2
    with Session(engine) as session:
        assert len(repository.list_assessments(session)) == 1
        assert [r.name for r in repository.list_respondents(session, assessment.id)] == [
            "Asha Ōkafor",
            None,
            "No answers yet",
            "Dee",
            "Bea",
        ]


def test_import_as_a_copy_adds_a_second_assessment_with_its_own_identifier(engine):
    assessment = populate(engine)
    with Session(engine) as session:
        original = export_assessment(session, assessment.id)
        preview = exports.preview_import(session, original)
        assert preview.modes["copy"].counts() == {"added": len(FRAMEWORK.component_ids) + 2}
        copied = import_assessment(session, original, mode="copy")
        assert copied.id != assessment.id and copied.uid != assessment.uid
        assert copied.title == "Spring round (copy)"
        again = export_assessment(session, copied.id)
        assert export_assessment(session, assessment.id) == original  # the original is untouched
    assert again["respondents"] == original["respondents"]
    assert {**again["assessment"], "uid": None, "title": None} == {**original["assessment"], "uid": None, "title": None}


def test_a_file_without_an_identifier_is_matched_on_organisation_date_and_title(engine, tmp_path):
    assessment = populate(engine)
    with Session(engine) as session:
        document = export_assessment(session, assessment.id)
    del document["assessment"]["uid"]  # an older or hand-made file
    with Session(engine) as session:
        preview = exports.preview_import(session, document)
        assert preview.existing.id == assessment.id
        assert preview.matched_by == exports.MATCHED_BY_DETAILS
        assert any("organisation, date and title" in note for note in preview.notes)
        with pytest.raises(AssessmentImportError, match="already in the database"):
            import_assessment(session, document)
        replaced = import_assessment(session, document, mode="replace")
        assert replaced.uid == assessment.uid  # this database's identifier is kept

    other = make_engine(f"sqlite:///{tmp_path / 'other.sqlite'}")
    with Session(other) as session:
        assert exports.preview_import(session, document).existing is None
        imported = import_assessment(session, document)
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", imported.uid)
    other.dispose()


@pytest.mark.parametrize("mode", ["replace", "merge"])
def test_replace_or_merge_with_nothing_to_match_is_refused_and_writes_nothing(engine, mode):
    assessment = populate(engine)
    with Session(engine) as session:
        document = export_assessment(session, assessment.id)
    document["assessment"]["uid"] = "00000000-0000-4000-8000-000000000000"
    before = maturity_fixtures.database_snapshot(engine)
    with Session(engine) as session, pytest.raises(AssessmentImportError, match="not in this database"):
        import_assessment(session, document, mode=mode)
    assert maturity_fixtures.database_snapshot(engine) == before


def test_a_database_failure_half_way_through_a_replace_leaves_the_assessment_as_it_was(engine, monkeypatch):
    assessment = populate(engine)
    with Session(engine) as session:
        document = export_assessment(session, assessment.id)
    document["respondents"].pop()
    add_answers = exports._add_answers

    def fail_after_writing(session, respondent_id, answers):
        add_answers(session, respondent_id, answers)
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports, "_add_answers", fail_after_writing)
    before = maturity_fixtures.database_snapshot(engine)
    with Session(engine) as session, pytest.raises(AssessmentImportError, match="nothing was saved: disk full"):
        import_assessment(session, document, mode="replace")
    assert maturity_fixtures.database_snapshot(engine) == before


@pytest.mark.parametrize("mode", ["replace", "merge", "copy", "new"])
def test_an_invalid_file_is_rejected_by_the_preview_and_by_every_mode(engine, mode):
    assessment = populate(engine)
    with Session(engine) as session:
        document = export_assessment(session, assessment.id)
    break_answer("current_stage", 7)(document)
    before = maturity_fixtures.database_snapshot(engine)
    with Session(engine) as session:
        with pytest.raises(AssessmentImportError, match="current stage must be 1-4, got 7"):
            exports.preview_import(session, document)
        with pytest.raises(AssessmentImportError, match="current stage must be 1-4, got 7"):
            import_assessment(session, document, mode=mode)
    assert maturity_fixtures.database_snapshot(engine) == before


# --- evidence in the report ------------------------------------------------------------------------------------


def test_report_lists_evidence_notes_and_links_by_component_and_respondent(engine):
    assessment = populate(engine, notes="<b>Board</b> paper & minutes")
    long_link = "https://example.org/" + "x" * 300
    with Session(engine) as session:
        asha, anonymous, _ = repository.list_respondents(session, assessment.id)
        repository.save_answer(
            session,
            anonymous.id,
            "analyses",
            evidence_notes="Line one\nLine two <script>alert(1)</script>",
            evidence_links=["javascript:alert(1)", long_link, "Shared drive > PHM > analyses"],
        )
        page = exports.assessment_report_html(session, assessment.id)

    section = re.search(r'<section class="evidence">(.*?)</section>', page, re.S).group(1)
    assert "<h2>Evidence from respondents</h2>" in section
    # Every component with evidence, in framework order, each with the respondents who gave it.
    headings = re.findall(r"<h3>([^<]+)</h3>", section)
    assert headings == [c.label for c in FRAMEWORK.components]
    assert "&lt;b&gt;Board&lt;/b&gt; paper &amp; minutes 0" in section and "<b>Board</b>" not in section
    assert "<strong>Asha Ōkafor</strong> (PHM lead)" in section
    # Anonymous respondents stay anonymous: numbered within the assessment, no name, no role.
    analyses = re.search(r"<h3>Analyses</h3>(.*?)(<h3>|$)", section, re.S).group(1)
    assert "<strong>Anonymous respondent 1</strong>" in analyses
    assert "(GP)" not in section
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in analyses and "<script>" not in page
    assert "Line one\nLine two" in analyses
    # Only web links become links; anything else is shown as text.
    assert f'<a href="{long_link}">{long_link}</a>' in analyses
    assert 'href="javascript' not in page and "javascript:alert(1)" in analyses
    assert "Shared drive &gt; PHM &gt; analyses" in analyses
    assert "rated Developing" in section


def test_report_says_when_nobody_gave_evidence(engine):
    with Session(engine) as session:
        organisation = repository.create_organisation(session, name="Quiet PCN", kind="pcn")
        assessment = repository.create_assessment(
            session, organisation_id=organisation.id, assessment_date=date(2025, 1, 1)
        )
        respondent = repository.get_or_create_respondent(session, assessment.id, name="Ann")
        repository.save_answer(session, respondent.id, "analyses", current_stage=2)
        page = exports.assessment_report_html(session, assessment.id)
    assert "No respondent has written evidence notes or links yet." in page


def test_the_preview_says_when_the_assessment_here_is_closed_or_archived(engine):
    assessment = populate(engine)
    with Session(engine) as session:
        document = export_assessment(session, assessment.id)
        assert exports.preview_import(session, document).notes == ()
        repository.set_assessment_status(session, assessment.id, "closed")
        assert "closed" in exports.preview_import(session, document).notes[0]
        repository.archive_assessment(session, assessment.id)
        (note,) = exports.preview_import(session, document).notes
        assert "archived" in note
        import_assessment(session, document, mode="replace")
        replaced = repository.get_assessment(session, assessment.id)
        assert replaced.archived_at is not None and replaced.status == "closed"  # the file says open
