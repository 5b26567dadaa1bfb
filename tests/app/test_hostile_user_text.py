"""User text is shown as plain text: a name or title written as Markdown renders no heading, image or link.

Names, titles and organisation names are typed by people (participants on their phones, PHM leads); written as
Markdown they made headings, links, and external images that every participant's phone fetched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from cohort_store import repository as cohort_repository
from cohort_store.db import make_engine as make_cohort_engine
from maturity import repository
from phm_core.cohorts import CohortCriteria
from phm_core.settings import database_url
from phm_core.synth.io import SAMPLE_FRACTION_ENV
from ui.maturity import escape_markdown
from workshop import service
from workshop.db import make_engine

pytestmark = pytest.mark.app

HOSTILE = "# Big ![x](http://evil.example/x.png) [link](http://evil.example)"
MARKDOWN_ELEMENTS = ("markdown", "caption", "title", "header", "subheader", "info", "success", "warning", "error")
LABELLED_WIDGETS = ("button", "text_input", "text_area", "selectbox", "radio", "checkbox", "toggle", "expander")
LABELLED_WIDGETS += ("metric", "multiselect", "tabs")


def rendered_markdown(at) -> list[str]:
    """Every piece of Markdown the page drew: text elements and the labels of widgets, expanders and tabs."""
    texts = [e.value for kind in MARKDOWN_ELEMENTS for e in getattr(at, kind)]
    texts += [w.label for kind in LABELLED_WIDGETS for w in getattr(at, kind)]
    texts += [str(option) for radio in at.radio for option in radio.options]
    return texts


def assert_shown_as_plain_text(at) -> None:
    assert not at.exception
    texts = rendered_markdown(at)
    assert any("Big" in text for text in texts), "the hostile name is not shown at all"
    for text in texts:
        assert "](http://evil.example" not in text, text  # an image or a link
        assert not re.search(r"(^|\n)\s*#+ ", text) or "Big" not in text, text  # a heading
        assert "http://evil" not in text, text  # an autolink
    assert any(escape_markdown(HOSTILE) in text for text in texts)


def test_the_escape_covers_images_links_headings_html_lists_tables_and_autolinks() -> None:
    j = "\u2060"  # an invisible word joiner breaks autolinks, which Markdown finds after reading escapes
    for text, escaped in [
        (HOSTILE, rf"\# Big !\[x\](http:{j}//evil.example/x.png) \[link\](http:{j}//evil.example)"),
        ("<img src=x onerror=alert(1)>", r"\<img src=x onerror=alert(1)\>"),
        ("- item\n+ item\n  - nested", "\\- item\n\\+ item\n  \\- nested"),
        ("1. item\n 22) item", "1\\. item\n 22\\) item"),
        ("| a | b |", r"\| a \| b \|"),
        ("Title\n=====", "Title\n\\====="),
        ("> quote", r"\> quote"),
        ("see WWW.evil.example", f"see WWW{j}.evil.example"),
        ("mail@evil.example", f"mail@{j}evil.example"),
        (":red[alarm] ftp://x", f":red\\[alarm\\] ftp:{j}//x"),
        ("Ann O'Neil-Smith (lead), 3.5 stars", "Ann O'Neil-Smith (lead), 3.5 stars"),
    ]:
        assert escape_markdown(text) == escaped, text


@pytest.fixture
def db() -> Iterator[Engine]:
    engine = make_engine(database_url())
    yield engine
    engine.dispose()


@pytest.fixture
def hostile_assessment(db: Engine):
    with Session(db) as s:
        organisation = repository.create_organisation(s, name=HOSTILE, kind="icb")
        assessment = repository.create_assessment(
            s, organisation_id=organisation.id, assessment_date=date(2026, 11, 1), title=HOSTILE
        )
        respondent = repository.get_or_create_respondent(s, assessment.id, name=HOSTILE, role=HOSTILE)
        repository.save_answer(s, respondent.id, "organisational_factors", current_stage=2, target_stage=3)
    return assessment


def test_the_facilitators_page_shows_names_and_titles_as_plain_text(open_page, db, hostile_assessment) -> None:
    with Session(db) as s:
        live = service.start_session(s, assessment_id=hostile_assessment.id, title=HOSTILE)
        service.join_session(s, live.join_code, name=HOSTILE)
    at = open_page("workshop_facilitator.py", assessment=str(hostile_assessment.id), live=str(live.id))
    assert_shown_as_plain_text(at)


def test_the_join_page_shows_names_and_titles_as_plain_text(open_page, db, hostile_assessment) -> None:
    with Session(db) as s:
        live = service.start_session(s, assessment_id=hostile_assessment.id, title=HOSTILE)
    at = open_page("workshop_join.py", code=live.join_code)
    assert_shown_as_plain_text(at)
    at.text_input(key="wj_name").input(HOSTILE)
    at = at.button(key="wj_join_button").click().run()
    assert_shown_as_plain_text(at)


def test_the_assessments_page_shows_names_and_titles_as_plain_text(open_page, hostile_assessment) -> None:
    at = open_page("maturity_assessments.py", assessment=str(hostile_assessment.id))
    assert_shown_as_plain_text(at)


def test_the_results_page_shows_names_and_titles_as_plain_text(open_page, hostile_assessment) -> None:
    at = open_page("maturity_results.py", assessment=str(hostile_assessment.id))
    assert_shown_as_plain_text(at)


def test_the_scenarios_page_shows_a_saved_cohorts_name_as_plain_text(open_page, monkeypatch) -> None:
    monkeypatch.setenv(SAMPLE_FRACTION_ENV, "0.05")
    at = open_page("scenarios.py", geo="2024-04", icb="E54000023")
    engine = make_cohort_engine(database_url())
    try:
        with Session(engine) as s:
            criteria = CohortCriteria(age_min=65, conditions=("copd",)).to_dict()
            cohort_repository.save_cohort(
                s, name=HOSTILE, icb_code="E54000023", criteria=criteria, geography_version="2024-04"
            )
    finally:
        engine.dispose()
    at.run()
    at.radio(key="scenario_cohort_source").set_value("saved").run()
    assert_shown_as_plain_text(at)
    at.button(key="scenario_add").click().run()
    assert_shown_as_plain_text(at)
