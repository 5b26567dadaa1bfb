"""Assessments page: add an organisation (suggested from the footprint), open an assessment, close it, import one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from maturity import exports, repository
from maturity.db import make_engine
from phm_core.settings import database_url

pytestmark = pytest.mark.app


@pytest.fixture
def db() -> Iterator[Engine]:
    """The database the page uses (a SQLite file in the test's own data directory)."""
    engine = make_engine(database_url())
    yield engine
    engine.dispose()


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_a_first_visit_suggests_the_footprint_icb_and_adds_it(open_page, db) -> None:
    at = open_page("maturity_assessments.py")
    assert not at.exception
    assert at.title[0].value == "PHM maturity self-assessment"
    assert "Add the organisation being assessed first." in [i.value for i in at.info]
    assert at.text_input(key="ma_org_name").value == "NHS Norfolk and Suffolk"
    assert at.selectbox(key="ma_org_kind").value == "icb"
    at.button(key="ma_add_org").click().run()
    assert not at.exception
    with Session(db) as s:
        (organisation,) = repository.list_organisations(s)
    assert (organisation.name, organisation.kind) == ("NHS Norfolk and Suffolk", "icb")
    assert at.success[0].value == "Added NHS Norfolk and Suffolk (ICB)."
    assert at.selectbox(key="ma_assessment_org").value == organisation.id


def test_a_place_footprint_suggests_a_place_inside_its_icb(open_page, db) -> None:
    with Session(db) as s:
        icb = repository.create_organisation(s, name="NHS Norfolk and Suffolk", kind="icb")
    at = open_page("maturity_assessments.py", icb="E54000068", level="place", area="E07000145")
    assert not at.exception
    assert at.text_input(key="ma_org_name").value == "Great Yarmouth"
    assert at.selectbox(key="ma_org_kind").value == "place"
    assert at.selectbox(key="ma_org_parent").value == icb.id
    at.button(key="ma_add_org").click().run()
    with Session(db) as s:
        yarmouth = repository.list_organisations(s, kind="place")[0]
    assert (yarmouth.name, yarmouth.parent_id) == ("Great Yarmouth", icb.id)


def test_an_organisation_added_for_a_place_is_the_one_its_new_assessment_is_filed_under(open_page, db) -> None:
    # Issue 13, item 2: the assessment form kept the ICB chosen on the first visit, so Ipswich's went to the ICB.
    with Session(db) as s:
        icb = repository.create_organisation(
            s, name="NHS Norfolk and Suffolk", kind="icb", area_code="E54000068", area_level="icb"
        )
    at = open_page("maturity_assessments.py", icb="E54000068", level="place", area="E07000202")
    assert at.selectbox(key="ma_assessment_org").value == icb.id  # Ipswich has no organisation yet
    assert at.text_input(key="ma_org_name").value == "Ipswich"
    at.button(key="ma_add_org").click().run()
    assert not at.exception
    with Session(db) as s:
        (ipswich,) = repository.list_organisations(s, kind="place")
    assert (ipswich.name, ipswich.parent_id, ipswich.area_code, ipswich.area_level, ipswich.geography_version) == (
        "Ipswich",
        icb.id,
        "E07000202",
        "place",
        "2026-04",
    )
    assert at.selectbox(key="ma_assessment_org").value == ipswich.id
    at.text_input(key="ma_assessment_title").input("Ipswich spring round")
    at.button(key="ma_create").click().run()
    assert not at.exception
    with Session(db) as s:
        (assessment,) = repository.list_assessments(s)
    assert (assessment.organisation_id, assessment.title) == (ipswich.id, "Ipswich spring round")
    assert "Ipswich (Place) - " in markdown(at)
    # The choice was used once: choosing the ICB again and opening another round files that one under the ICB.
    at.selectbox(key="ma_assessment_org").set_value(icb.id)
    at.text_input(key="ma_assessment_title").input("System round")
    at.button(key="ma_create").click().run()
    with Session(db) as s:
        filed = {a.title: a.organisation_id for a in repository.list_assessments(s)}
    assert filed == {"Ipswich spring round": ipswich.id, "System round": icb.id}


def test_the_footprint_own_organisation_is_offered_for_a_new_assessment(open_page, db) -> None:
    with Session(db) as s:
        icb = repository.create_organisation(
            s, name="NHS Norfolk and Suffolk", kind="icb", area_code="E54000068", area_level="icb"
        )
        ipswich = repository.create_organisation(
            s, name="Ipswich and district", kind="place", area_code="E07000202", area_level="place"
        )
    at = open_page("maturity_assessments.py", icb="E54000068", level="place", area="E07000202")
    assert at.selectbox(key="ma_assessment_org").value == ipswich.id  # recorded for Ipswich, whatever its name
    at.radio(key="footprint_level").set_value("icb").run()  # the whole ICB chosen in the sidebar
    assert not at.exception
    assert at.selectbox(key="ma_assessment_org").value == icb.id


def test_a_duplicate_organisation_is_refused_with_a_message(open_page, db) -> None:
    with Session(db) as s:
        repository.create_organisation(s, name="NHS Norfolk and Suffolk", kind="icb")
    at = open_page("maturity_assessments.py")
    at.button(key="ma_add_org").click().run()
    assert not at.exception
    assert "already an organisation" in at.error[0].value
    with Session(db) as s:
        assert len(repository.list_organisations(s)) == 1


def test_opening_an_assessment_lists_it_with_its_respondents_and_links(open_page, db) -> None:
    with Session(db) as s:
        organisation = repository.create_organisation(s, name="NHS Suffolk and North East Essex", kind="icb")
    at = open_page("maturity_assessments.py")
    at.date_input(key="ma_assessment_date").set_value(date(2025, 3, 12))
    at.text_input(key="ma_assessment_title").input("Spring round")
    at.button(key="ma_create").click().run()
    assert not at.exception
    with Session(db) as s:
        (assessment,) = repository.list_assessments(s)
        for name in ("Ann", "Bo"):
            repository.get_or_create_respondent(s, assessment.id, name=name)
    assert (assessment.organisation_id, assessment.title, assessment.assessment_date) == (
        organisation.id,
        "Spring round",
        date(2025, 3, 12),
    )
    assert assessment.status == "open"
    assert "Opened 'Spring round'" in at.success[0].value
    at.run()
    text = markdown(at)
    assert "**Spring round** :green-badge[Open]" in text
    assert "12 Mar 2025 - 2 respondents" in text
    assert f"[Answer](/maturity_questionnaire?assessment={assessment.id})" in text
    assert f"[Results](/maturity_results?assessment={assessment.id})" in text
    assert at.code[0].value == f"/maturity_questionnaire?assessment={assessment.id}"


def test_closing_and_reopening_an_assessment(open_page, db) -> None:
    with Session(db) as s:
        organisation = repository.create_organisation(s, name="North ICB", kind="icb")
        assessment = repository.create_assessment(s, organisation_id=organisation.id, assessment_date=date(2025, 1, 1))
    at = open_page("maturity_assessments.py")
    at.button(key=f"ma_toggle_{assessment.id}").click().run()
    assert not at.exception
    with Session(db) as s:
        assert repository.get_assessment(s, assessment.id).status == "closed"
    assert "Closed to answers" in [c.value for c in at.caption]
    assert ":gray-badge[Closed]" in markdown(at)
    assert at.button(key=f"ma_toggle_{assessment.id}").label == "Reopen"
    at.button(key=f"ma_toggle_{assessment.id}").click().run()
    with Session(db) as s:
        assert repository.get_assessment(s, assessment.id).status == "open"


def exported_assessment() -> bytes:
    """A whole assessment with one answer, exported from a separate in-memory database."""
    engine = make_engine("sqlite://")
    with Session(engine) as s:
        organisation = repository.create_organisation(s, name="Ipswich and East Suffolk", kind="place")
        assessment = repository.create_assessment(
            s, organisation_id=organisation.id, assessment_date=date(2024, 10, 1), title="Autumn 2024"
        )
        respondent = repository.get_or_create_respondent(s, assessment.id, name="Cy", role="GP")
        repository.save_answer(s, respondent.id, "analyses", current_stage=2, target_stage=3)
        document = exports.export_assessment_json(s, assessment.id)
    engine.dispose()
    return document.encode()


def test_importing_a_valid_file_adds_the_assessment_with_its_answers(open_page, db) -> None:
    at = open_page("maturity_assessments.py")
    at.file_uploader(key="ma_import_file").set_value(("autumn.json", exported_assessment(), "application/json")).run()
    at.button(key="ma_import").click().run()
    assert not at.exception
    with Session(db) as s:
        (assessment,) = repository.list_assessments(s)
        answers = repository.answers_for(s, assessment.id)
    assert assessment.title == "Autumn 2024"
    assert answers[["respondent", "component_id", "current_stage"]].values.tolist() == [["Cy", "analyses", 2]]
    assert "Imported 'Autumn 2024' (01 Oct 2024) from autumn.json." in [s.value for s in at.success]
    assert "**Autumn 2024** :green-badge[Open]" in markdown(at)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"{not json", "the file is not valid JSON"),
        (json.dumps({"format": "something else"}).encode(), "not a PHM Navigator assessment export"),
    ],
)
def test_an_invalid_file_is_rejected_with_the_reason_and_nothing_is_written(open_page, db, content, problem) -> None:
    at = open_page("maturity_assessments.py")
    at.file_uploader(key="ma_import_file").set_value(("bad.json", content, "application/json")).run()
    assert not at.exception
    assert not [b for b in at.button if b.key == "ma_import"]  # checked on upload: nothing to confirm
    (error,) = at.error
    assert error.value.startswith("**bad.json was not imported**")
    assert problem in error.value
    with Session(db) as s:
        assert repository.list_assessments(s) == []
        assert repository.list_organisations(s) == []


def test_a_file_with_a_wrong_rating_lists_the_place_of_the_problem(open_page, db) -> None:
    document = json.loads(exported_assessment())
    document["respondents"][0]["answers"][0]["current_stage"] = 7
    at = open_page("maturity_assessments.py")
    at.file_uploader(key="ma_import_file").set_value(("edited.json", json.dumps(document).encode(), "application/json"))
    at.run()
    assert not at.exception
    message = at.error[0].value
    assert "\\$.respondents\\[0\\]" in message  # the JSON path, escaped so Markdown shows it as written
    with Session(db) as s:
        assert repository.list_assessments(s) == []


# --- importing a file whose assessment is already here (issue 13, item 12) -----------------------------------


def import_file(db, content: bytes) -> int:
    """Import ``content`` into the page's database as a new assessment and return its id."""
    with Session(db) as s:
        return exports.import_assessment(s, content).id


def upload(at, content: bytes, name: str = "autumn.json"):
    return at.file_uploader(key="ma_import_file").set_value((name, content, "application/json")).run()


def test_a_file_already_here_offers_replace_merge_or_copy_and_shows_what_replace_would_change(open_page, db) -> None:
    content = exported_assessment()
    assessment_id = import_file(db, content)
    with Session(db) as s:
        (cy,) = repository.list_respondents(s, assessment_id)
        repository.save_answer(s, cy.id, "analyses", current_stage=4)
        late = repository.get_or_create_respondent(s, assessment_id, name="Dana Late", role="Nurse")
        repository.save_answer(s, late.id, "interpretation", current_stage=1)
    at = upload(open_page("maturity_assessments.py"), content)
    assert not at.exception
    assert any(i.value.startswith("This assessment is already here: **Autumn 2024**") for i in at.info)
    mode = at.radio(key="ma_import_mode")
    assert mode.options == [exports.IMPORT_MODES[m] for m in ("replace", "merge", "copy")]
    assert mode.value is None and at.button(key="ma_import").disabled  # nothing chosen, nothing to confirm

    mode.set_value("replace").run()
    assert "Respondents removed, with their answers: Dana Late" in markdown(at)
    (changes,) = [t.value.reset_index() for t in at.table if "Change" in t.value.columns]
    assert changes[["Respondent", "Component", "Change"]].values.tolist() == [
        ["Cy", "Analyses", "Changed to the file's"],
        ["Dana Late", "Interpretation and evaluation", "Removed"],
    ]
    with Session(db) as s:  # the preview wrote nothing
        assert len(repository.list_respondents(s, assessment_id)) == 2
    at.button(key="ma_import").click().run()
    assert not at.exception
    with Session(db) as s:
        assert exports.export_assessment_json(s, assessment_id).encode() == content
    assert any(m.value.startswith("Replaced 'Autumn 2024' (01 Oct 2024) with autumn.json.") for m in at.success)
    assert "autumn.json has been imported." in at.info[0].value  # not offered again straight away


def test_merging_a_file_adds_its_new_respondent_and_keeps_the_answers_here(open_page, db) -> None:
    content = exported_assessment()
    assessment_id = import_file(db, content)
    document = json.loads(content)
    answer = {**document["respondents"][0]["answers"][0], "current_stage": 1}
    document["respondents"].append(
        {
            "name": "Eve",
            "role": None,
            "anonymous": False,
            "created_at": "2024-10-02T09:00:00+00:00",
            "answers": [answer],
        }
    )
    at = upload(open_page("maturity_assessments.py"), json.dumps(document).encode(), "merged.json")
    at.radio(key="ma_import_mode").set_value("merge").run()
    assert "Respondents added: Eve" in markdown(at)
    assert at.button(key="ma_import").label == "Merge into the assessment"
    at.button(key="ma_import").click().run()
    assert not at.exception
    with Session(db) as s:
        assert len(repository.list_assessments(s)) == 1
        answers = repository.answers_for(s, assessment_id)
    assert answers[["respondent", "current_stage"]].values.tolist() == [["Cy", 2], ["Eve", 1]]
    assert any(m.value.startswith("Merged merged.json into 'Autumn 2024'") for m in at.success)


def test_importing_a_file_as_a_copy_adds_a_second_assessment(open_page, db) -> None:
    content = exported_assessment()
    import_file(db, content)
    at = upload(open_page("maturity_assessments.py"), content)
    at.radio(key="ma_import_mode").set_value("copy").run()
    at.button(key="ma_import").click().run()
    assert not at.exception
    with Session(db) as s:
        titles = sorted(a.title for a in repository.list_assessments(s))
    assert titles == ["Autumn 2024", "Autumn 2024 (copy)"]


def test_with_login_a_viewer_sees_the_preview_but_cannot_import(db) -> None:
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    content = exported_assessment()
    page = Path(__file__).resolve().parents[2] / "pages" / "maturity_assessments.py"
    at = AppTest.from_file(str(page), default_timeout=120)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-secret"}
    at.user = {"is_logged_in": True, "email": "viewer@example.org", "name": "Viv"}
    at.run()
    upload(at, content)
    assert "It is not in this database yet: importing adds it." in markdown(at)
    at.button(key="ma_import").click().run()
    assert not at.exception
    assert any("Your role (Viewer) does not allow you to import an assessment" in w.value for w in at.warning)
    with Session(db) as s:
        assert repository.list_assessments(s) == []


# --- managing an assessment (issue 13, item 11) and its respondents (item 13) ----------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def spring_round(db: Engine) -> tuple:
    with Session(db) as s:
        north = repository.create_organisation(s, name="North ICB", kind="icb")
        place = repository.create_organisation(s, name="Riverside", kind="place", parent_id=north.id)
        assessment = repository.create_assessment(
            s, organisation_id=north.id, assessment_date=date(2025, 3, 1), title="Spring round"
        )
    return north, place, assessment


def history_table(at):
    """The History tab's table of the chosen assessment (the deleted assessments' table has an Assessment column)."""
    return next(d.value for d in at.dataframe if "What" in d.value.columns and "Assessment" not in d.value.columns)


def test_an_assessment_title_date_and_organisation_are_edited_and_the_change_is_in_its_history(open_page, db) -> None:
    north, place, assessment = spring_round(db)
    at = open_page("maturity_assessments.py")
    assert at.selectbox(key="ma_manage").value == assessment.id
    at.text_input(key=f"ma_edit_title_{assessment.id}").input("Spring round 2025")
    at.date_input(key=f"ma_edit_date_{assessment.id}").set_value(date(2025, 3, 14))
    at.selectbox(key=f"ma_edit_org_{assessment.id}").set_value(place.id)
    at.button(key=f"ma_edit_save_{assessment.id}").click().run()
    assert not at.exception
    with Session(db) as s:
        saved = repository.get_assessment(s, assessment.id)
    assert (saved.title, saved.assessment_date, saved.organisation_id) == (
        "Spring round 2025",
        date(2025, 3, 14),
        place.id,
    )
    assert "Saved the changes to 'Spring round 2025'." in [m.value for m in at.success]
    assert "**Spring round 2025** :green-badge[Open]  \nRiverside (Place) - 14 Mar 2025" in markdown(at)
    history = history_table(at)
    assert list(history["Who"]) == ["someone using the app without login"]
    assert list(history["What"]) == [
        "Title changed from 'Spring round' to 'Spring round 2025'; date changed from 01 Mar 2025 to 14 Mar 2025; "
        "moved from North ICB (icb) to Riverside (place)"
    ]


def test_a_duplicate_title_is_refused_and_nothing_changes(open_page, db) -> None:
    north, _, spring = spring_round(db)
    with Session(db) as s:
        autumn = repository.create_assessment(
            s, organisation_id=north.id, assessment_date=date(2025, 10, 1), title="Autumn round"
        )
    at = open_page("maturity_assessments.py")
    at.selectbox(key="ma_manage").set_value(autumn.id).run()
    at.text_input(key=f"ma_edit_title_{autumn.id}").input("spring round")
    at.button(key=f"ma_edit_save_{autumn.id}").click().run()
    assert not at.exception
    assert "North ICB already has an assessment called 'Spring round'" in at.error[0].value
    with Session(db) as s:
        assert repository.get_assessment(s, autumn.id).title == "Autumn round"
        assert repository.audit_events(s) == []


def test_an_archived_assessment_leaves_the_list_and_can_be_restored(open_page, db) -> None:
    _, _, assessment = spring_round(db)
    at = open_page("maturity_assessments.py")
    at.button(key=f"ma_archive_{assessment.id}").click().run()
    assert not at.exception
    assert "Archived 'Spring round'." in at.success[0].value
    assert "**Spring round**" not in markdown(at)  # not in the list of assessments any more
    assert any("1 archived assessment is left out" in c.value for c in at.caption)
    assert at.selectbox(key="ma_manage").value == assessment.id  # still here to restore or delete
    at.button(key=f"ma_restore_{assessment.id}").click().run()
    assert not at.exception
    assert "**Spring round** :gray-badge[Closed]" in markdown(at)
    with Session(db) as s:
        assert [e.action for e in repository.audit_events(s, assessment_id=assessment.id)] == ["archived", "restored"]
    assert list(history_table(at)["What"])[0].startswith("Restored from the archive")


def test_deleting_needs_the_title_typed_and_leaves_a_record(open_page, db) -> None:
    _, _, assessment = spring_round(db)
    with Session(db) as s:
        repository.get_or_create_respondent(s, assessment.id, name="Ann")
    at = open_page("maturity_assessments.py")
    at.button(key=f"ma_delete_{assessment.id}").click().run()
    assert not at.exception
    assert "Type the title exactly as shown" in at.warning[0].value
    with Session(db) as s:
        assert repository.get_assessment(s, assessment.id).title == "Spring round"  # not deleted
    at.text_input(key=f"ma_delete_confirm_{assessment.id}").input("Spring round")
    at.button(key=f"ma_delete_{assessment.id}").click().run()
    assert not at.exception
    assert "Deleted 'Spring round' with its respondents and answers." in at.success[0].value
    with Session(db) as s:
        assert repository.list_assessments(s, archived=None) == []
        (deleted,) = repository.audit_events(s, action="deleted")
    assert (deleted.assessment_title, deleted.before["respondents"]) == ("Spring round", 1)
    assert "There is no assessment to manage yet." in [i.value for i in at.info]


def test_two_respondents_are_merged_after_a_confirmation_and_the_newer_answer_wins(open_page, db) -> None:
    _, _, assessment = spring_round(db)
    with Session(db) as s:
        first = repository.get_or_create_respondent(s, assessment.id, name="Ann Lee", role="Analyst")
        repository.get_or_create_respondent(s, assessment.id, name="Bo")
        again = repository.get_or_create_respondent(s, assessment.id, name="ann lee")
        repository.save_answer(s, first.id, "analyses", current_stage=1)
        repository.save_answer(s, again.id, "analyses", current_stage=3)  # saved later: wins
    at = open_page("maturity_assessments.py")
    # The two Ann Lees are suggested.
    assert at.selectbox(key=f"ma_merge_keep_{assessment.id}").value == first.id
    assert at.selectbox(key=f"ma_merge_from_{assessment.id}").value == again.id
    assert any("0 of their own and 1 from ann lee" in c.value for c in at.caption)
    at.button(key=f"ma_merge_{assessment.id}").click().run()
    assert not at.exception
    assert "Tick the box" in at.warning[0].value
    with Session(db) as s:
        assert len(repository.list_respondents(s, assessment.id)) == 3
    at.checkbox(key=f"ma_merge_confirm_{assessment.id}").check()
    at.button(key=f"ma_merge_{assessment.id}").click().run()
    assert not at.exception
    assert "Merged ann lee into Ann Lee; the newer answer was kept for each component." in at.success[0].value
    with Session(db) as s:
        assert [r.name for r in repository.list_respondents(s, assessment.id)] == ["Ann Lee", "Bo"]
        assert repository.answers_for_respondent(s, first.id)["analyses"].current_stage == 3


def test_a_respondent_personal_link_is_shown_again_and_recorded(open_page, db) -> None:
    _, _, assessment = spring_round(db)
    with Session(db) as s:
        ann = repository.get_or_create_respondent(s, assessment.id, name="Ann Lee", role="Analyst")
    at = open_page("maturity_assessments.py")
    assert not any(ann.resume_token in c.value for c in at.code)  # never shown unasked
    at.selectbox(key=f"ma_link_who_{assessment.id}").set_value(ann.id)
    at.button(key=f"ma_link_show_{assessment.id}").click().run()
    assert not at.exception
    assert f"/maturity_questionnaire?assessment={assessment.id}&respondent={ann.resume_token}" in [
        c.value for c in at.code
    ]
    with Session(db) as s:
        (event,) = repository.audit_events(s, assessment_id=assessment.id)
    assert (event.action, event.after["respondent"]) == ("link_shown", "Ann Lee")


def test_with_login_a_viewer_can_neither_change_an_assessment_nor_see_a_personal_link(db) -> None:
    _, place, assessment = spring_round(db)
    with Session(db) as s:
        ann = repository.get_or_create_respondent(s, assessment.id, name="Ann Lee")
    at = AppTest.from_file(str(ROOT / "pages" / "maturity_assessments.py"), default_timeout=120)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-secret"}
    at.secrets["access"] = {"phm_leads": ["lead@example.nhs.uk"]}
    at.user = {"is_logged_in": True, "email": "viewer@example.org", "name": "Viv"}
    at.run()
    at.text_input(key=f"ma_edit_title_{assessment.id}").input("Renamed")
    at.button(key=f"ma_edit_save_{assessment.id}").click().run()
    at.button(key=f"ma_archive_{assessment.id}").click().run()
    at.text_input(key=f"ma_delete_confirm_{assessment.id}").input("Spring round")
    at.button(key=f"ma_delete_{assessment.id}").click().run()
    at.button(key=f"ma_link_show_{assessment.id}").click().run()
    assert not at.exception
    assert "Your role (Viewer) does not allow you to show a respondent's personal link" in at.warning[0].value
    assert not any(ann.resume_token in c.value for c in at.code)
    with Session(db) as s:
        unchanged = repository.get_assessment(s, assessment.id)
        assert (unchanged.title, unchanged.is_archived) == ("Spring round", False)
        assert repository.audit_events(s) == []
    # A PHM lead may: the change is recorded against their e-mail.
    at.user = {"is_logged_in": True, "email": "lead@example.nhs.uk", "name": "Lee"}
    at.run()
    at.button(key=f"ma_archive_{assessment.id}").click().run()
    assert not at.exception
    with Session(db) as s:
        (event,) = repository.audit_events(s, assessment_id=assessment.id)
    assert (event.action, event.actor) == ("archived", "lead@example.nhs.uk")
