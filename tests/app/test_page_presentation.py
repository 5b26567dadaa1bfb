"""Presentation mode: the six slides of the story, moved with buttons (and the arrow keys), sized for the screen."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import Session

from maturity import repository
from maturity.db import make_engine
from phm_core.settings import database_url

pytestmark = pytest.mark.app

PAGE = "presentation.py"
# The risk slide uses NHS Suffolk and North East Essex on the April 2024 geography: a smaller ICB than the default
# (NHS Norfolk and Suffolk) keeps generating its people and training the models quick.
SNEE = {"geo": "2024-04", "icb": "E54000023"}


def styles(at) -> str:
    return "\n".join(e.proto.body for e in at.get("html"))


def charts(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def test_the_title_slide_names_the_footprint_and_hides_the_sidebar(open_page) -> None:
    at = open_page(PAGE, icb="E54000068")
    assert not at.exception
    assert at.title[0].value == "NHS Norfolk and Suffolk"
    assert '[data-testid="stSidebar"]' in styles(at) and "display: none" in styles(at)
    assert not at.sidebar.children  # no footprint picker on a projector
    next_button = at.button(key="slide_next")
    assert next_button.proto.shortcut.lower() == "right"
    assert at.button(key="slide_previous").proto.shortcut.lower() == "left"
    assert at.button(key="slide_previous").disabled


def test_next_and_previous_move_through_the_story(open_page) -> None:
    at = open_page(PAGE, icb="E54000068")
    at = at.button(key="slide_next").click().run()
    assert not at.exception
    assert at.title[0].value == "Who lives here" and at.query_params["slide"] == "2"
    (age,) = charts(at)
    assert age["layout"]["height"] == 620 and age["data"][0]["type"] == "bar"
    at = at.button(key="slide_next").click().run()
    assert at.title[0].value == "Where need is"
    assert at.get("deck_gl_json_chart")  # the deprivation map
    at = at.button(key="slide_previous").click().run()
    assert at.title[0].value == "Who lives here"


def test_the_inequality_slide_gives_the_gap_with_its_confidence_interval(open_page) -> None:
    at = open_page(PAGE, icb="E54000068", slide="4")
    assert not at.exception
    assert at.title[0].value == "How unequal"
    women = next(m for m in at.metric if m.label.startswith("Life expectancy gap, women"))
    assert women.value.endswith(" years")
    assert "95% CI" in str(women.proto)
    (gap,) = charts(at)
    assert any(trace.get("error_y") for trace in gap["data"])


def test_at_1280x720_type_and_charts_are_scaled_to_fit(open_page) -> None:
    at = open_page(PAGE, icb="E54000068", slide="2", screen="1280x720")
    assert not at.exception
    (age,) = charts(at)
    assert age["layout"]["height"] == round(620 * 2 / 3)
    assert "font-size: 2.07rem" in styles(at)  # the 3.1rem heading at two thirds


def test_the_maturity_slide_shows_the_latest_answered_assessment(open_page) -> None:
    empty = open_page(PAGE, icb="E54000068", slide="6")
    assert "No maturity self-assessment has been answered yet" in empty.info[0].value
    engine = make_engine(database_url())
    with Session(engine) as s:
        organisation = repository.create_organisation(s, name="NHS Norfolk and Suffolk", kind="icb")
        assessment = repository.create_assessment(s, organisation_id=organisation.id, assessment_date=date(2026, 1, 5))
        respondent = repository.get_or_create_respondent(s, assessment.id, name="Ann")
        repository.save_answer(s, respondent.id, "analyses", current_stage=3, target_stage=4)
    engine.dispose()
    at = open_page(PAGE, icb="E54000068", slide="6")
    assert not at.exception
    intelligence = next(m for m in at.metric if m.label == "Intelligence")
    assert intelligence.value == "Maturing"
    (radar,) = charts(at)
    assert radar["data"][0]["type"] == "scatterpolar"


def test_the_risk_slide_is_labelled_synthetic(open_page, monkeypatch) -> None:
    monkeypatch.setenv("PHM_SYNTH_FRACTION", "0.02")  # a 2% sample keeps the test fast
    at = open_page(PAGE, **SNEE, slide="5")
    assert not at.exception
    assert at.title[0].value == "Who is at risk"
    assert "SYNTHETIC DATA" in at.warning[0].value
    (pyramid,) = charts(at)
    assert pyramid["data"][0]["type"] == "funnel"
    assert any("Interim tiers from a points score" in c.value for c in at.caption)  # no model trained yet
    risk_page = open_page("risk.py", **SNEE)  # trains and stores the models in the same data directory
    model = json.loads(risk_page.get("plotly_chart")[0].proto.spec)["data"][0]["x"]
    at = open_page(PAGE, **SNEE, slide="5")
    assert any("fitted emergency admission risk model" in c.value for c in at.caption)
    (pyramid,) = charts(at)
    assert pyramid["data"][0]["x"] == model  # the Risk stratification page's tiers


def test_the_board_pack_can_be_downloaded_from_any_slide(open_page) -> None:
    at = open_page(PAGE, icb="E54000068", slide="3")
    labels = [button.proto.label for button in at.get("download_button")]
    assert labels == ["Board pack (PDF)", "Board pack (HTML)"]
    assert any("Open the 'Who is at risk' slide first" in c.value for c in at.caption)
