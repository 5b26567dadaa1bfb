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
    assert gap["data"][0]["error_x"]["visible"]


def test_the_inequality_slide_shows_englands_gap_both_ways(open_page) -> None:
    # Issue 13, item 4: England's comparator on the slide, labelled for what it is, with the published figure.
    at = open_page(PAGE, icb="E54000068", slide="4")
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown)
    assert "**England**, measured the same way: women 5.2 years, men 6.5 years." in text
    assert "between its most and least deprived neighbourhoods (2018 to 2020): women 7.9 years, men 9.7 years" in text
    assert "Health state life expectancies by national deprivation deciles" in maturity_captions(at)
    (gap,) = charts(at)
    assert [trace["name"] for trace in gap["data"]] == [
        "NHS Norfolk and Suffolk",
        "England, same practice method",
        "England, ONS published (2018 to 2020)",
    ]
    assert gap["data"][2]["x"] == [7.9, 9.7]
    assert gap["layout"]["xaxis"]["rangemode"] == "tozero"


def test_at_1280x720_type_and_charts_are_scaled_to_fit(open_page) -> None:
    at = open_page(PAGE, icb="E54000068", slide="2", screen="1280x720")
    assert not at.exception
    (age,) = charts(at)
    assert age["layout"]["height"] == round(620 * 2 / 3)
    assert "font-size: 2.07rem" in styles(at)  # the 3.1rem heading at two thirds


def answered_assessment(
    name: str,
    kind: str,
    *,
    on: date = date(2026, 1, 5),
    stage: int = 3,
    geography_version: str = "2026-04",
    area: tuple[str, str] | None = None,
) -> int:
    """An organisation (recorded for ``area`` = (code, level), or, like those saved before areas were recorded,
    for none) with one assessment that one respondent has answered; returns the organisation's id."""
    area_code, area_level = area or (None, None)
    engine = make_engine(database_url())
    with Session(engine) as s:
        organisation = repository.create_organisation(
            s,
            name=name,
            kind=kind,
            geography_version=geography_version,
            area_code=area_code,
            area_level=area_level,
        )
        assessment = repository.create_assessment(
            s, organisation_id=organisation.id, assessment_date=on, title=f"{name} round"
        )
        respondent = repository.get_or_create_respondent(s, assessment.id, name="Ann")
        repository.save_answer(s, respondent.id, "analyses", current_stage=stage, target_stage=4)
    engine.dispose()
    return organisation.id


def maturity_captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


def test_the_maturity_slide_shows_the_latest_answered_assessment(open_page) -> None:
    empty = open_page(PAGE, icb="E54000068", slide="6")
    assert "NHS Norfolk and Suffolk has no maturity self-assessment yet" in empty.info[0].value
    # Saved before organisations recorded their area: the same name and kind is the footprint's own.
    answered_assessment("NHS Norfolk and Suffolk", "icb")
    at = open_page(PAGE, icb="E54000068", slide="6")
    assert not at.exception
    intelligence = next(m for m in at.metric if m.label == "Intelligence")
    assert intelligence.value == "Maturing"
    (radar,) = charts(at)
    assert radar["data"][0]["type"] == "scatterpolar"


def test_the_maturity_slide_never_shows_another_organisations_assessment(open_page) -> None:
    # Issue 13, item 1: an ICB without an assessment of its own was shown the newest of any organisation.
    answered_assessment("NHS Suffolk and North East Essex", "icb", geography_version="2024-04")
    answered_assessment("Ipswich", "place", on=date(2026, 2, 1), area=("E07000202", "place"))
    at = open_page(PAGE, icb="E54000068", slide="6")
    assert not at.exception
    assert at.title[0].value == "How mature is our population health management"
    (message,) = at.info
    assert message.value.startswith("NHS Norfolk and Suffolk has no maturity self-assessment yet.")
    assert "open Maturity > Assessments with NHS Norfolk and Suffolk chosen as the footprint" in message.value
    assert "/maturity_assessments?icb=E54000068" in "\n".join(m.value for m in at.markdown)
    assert not at.metric and not charts(at)
    assert "Suffolk and North East Essex" not in maturity_captions(at) and "Ipswich" not in maturity_captions(at)
    # Each of the others is shown on its own footprint only.
    at = open_page(PAGE, geo="2024-04", icb="E54000023", slide="6")
    assert "NHS Suffolk and North East Essex: NHS Suffolk and North East Essex round" in maturity_captions(at)
    at = open_page(PAGE, icb="E54000068", level="place", area="E07000202", slide="6")
    assert "Ipswich: Ipswich round (01 Feb 2026)" in maturity_captions(at)


def test_a_place_shows_its_own_assessment_not_its_icbs(open_page) -> None:
    answered_assessment("Norfolk and Suffolk system board", "ics", stage=4, area=("E54000068", "icb"))
    at = open_page(PAGE, icb="E54000068", level="place", area="E07000202", slide="6")
    assert not at.exception
    assert at.info[0].value.startswith("Ipswich has no maturity self-assessment yet.")
    assert not at.metric
    at = open_page(PAGE, icb="E54000068", slide="6")  # recorded for the ICB's code, whatever its name
    assert next(m for m in at.metric if m.label == "Intelligence").value == "Thriving"
    assert "Norfolk and Suffolk system board: Norfolk and Suffolk system board round" in maturity_captions(at)


def test_a_region_is_not_shown_one_of_its_icbs_assessments(open_page) -> None:
    answered_assessment("NHS Norfolk and Suffolk", "icb", area=("E54000068", "icb"))
    at = open_page(PAGE, icb="E54000068", level="region", area="E40000007", slide="6")
    assert not at.exception
    assert "so there is none for East of England (NHS England region)" in at.info[0].value
    assert not at.metric


def test_an_own_assessment_nobody_has_answered_says_so(open_page) -> None:
    answered_assessment("NHS Essex", "icb", area=("E54000066", "icb"))  # another ICB's answers are not ours
    engine = make_engine(database_url())
    with Session(engine) as s:
        organisation = repository.create_organisation(
            s, name="NHS Norfolk and Suffolk", kind="icb", area_code="E54000068", area_level="icb"
        )
        repository.create_assessment(
            s, organisation_id=organisation.id, assessment_date=date(2026, 3, 2), title="Spring round"
        )
    engine.dispose()
    at = open_page(PAGE, icb="E54000068", slide="6")
    assert not at.exception
    assert at.info[0].value.startswith(
        "Nobody has answered NHS Norfolk and Suffolk's maturity self-assessment yet (Spring round, 02 March 2026)."
    )
    assert not at.metric


def test_the_board_pack_has_only_the_footprints_own_maturity(open_page) -> None:
    from phm_core import board_pack
    from phm_core.geography import Footprint
    from ui import presentation

    answered_assessment("NHS Suffolk and North East Essex", "icb", geography_version="2024-04")
    norfolk = Footprint("E54000068")
    content = presentation.board_pack_content(norfolk)
    assert content.maturity is None
    assert content.maturity_missing.startswith("NHS Norfolk and Suffolk has no maturity self-assessment yet.")
    page = board_pack.board_pack_html(content, attribution="OGL")
    assert "NHS Norfolk and Suffolk has no maturity self-assessment yet." in page
    assert "Suffolk and North East Essex round" not in page
    suffolk = presentation.board_pack_content(Footprint("E54000023", geography="2024-04"))
    assert suffolk.maturity is not None and suffolk.maturity_missing is None
    assert (suffolk.maturity.organisation, suffolk.maturity.title) == (
        "NHS Suffolk and North East Essex",
        "NHS Suffolk and North East Essex round",
    )


def pyramid_people(at) -> list:
    """The people in each risk tier of the page's risk pyramid (the first chart)."""
    return json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["x"]


def page_text(at) -> str:
    return "\n".join(e.value for e in (*at.markdown, *at.caption, *at.info, *at.warning))


def test_the_risk_slide_on_a_fresh_session_shows_the_risk_pages_tiers_and_no_status_box(open_page, monkeypatch) -> None:
    # Issue 13, item 6: the slide showed interim tiers until someone had opened the Risk page, then the model's;
    # and a "Generated N synthetic people" status box stayed on the projected slide.
    monkeypatch.setenv("PHM_SYNTH_FRACTION", "0.02")  # a 2% sample keeps the test fast
    at = open_page(PAGE, **SNEE, slide="5")
    assert not at.exception
    assert at.title[0].value == "Who is at risk"
    assert "SYNTHETIC DATA" in at.warning[0].value
    (pyramid,) = charts(at)
    assert pyramid["data"][0]["type"] == "funnel"
    assert pyramid["data"][0]["x"] == pyramid_people(open_page("risk.py", **SNEE))  # the Risk page's tiers
    assert any("fitted emergency admission risk model" in c.value for c in at.caption)
    assert "Interim tiers" not in page_text(at)
    assert not at.status  # the progress of generating and training is gone once the slide is drawn
    assert "Generated" not in page_text(at) and "Trained" not in page_text(at)


def test_the_risk_page_first_then_the_slide_and_pack_give_the_same_tiers(open_page, monkeypatch) -> None:
    from phm_core.geography import Footprint
    from ui import presentation

    monkeypatch.setenv("PHM_SYNTH_FRACTION", "0.02")
    model = pyramid_people(open_page("risk.py", **SNEE))
    at = open_page(PAGE, **SNEE, slide="5")
    assert not at.exception and not at.status
    assert pyramid_people(at) == model
    pack = presentation.board_pack_content(Footprint("E54000023", geography="2024-04"))
    assert pack.risk_from_model
    assert pack.risk.set_index("risk_tier").loc[["high", "rising", "low"], "people"].tolist() == model


def test_the_risk_slide_explains_why_its_count_differs_from_the_residents(open_page, monkeypatch) -> None:
    import pandas as pd

    from phm_core.settings import data_dir
    from phm_core.synth.io import PEOPLE_FILE, population_folder
    from phm_core.synth.schema import INDEX_DATE

    monkeypatch.setenv("PHM_SYNTH_FRACTION", "0.02")
    at = open_page(PAGE, **SNEE, slide="5")
    assert not at.exception
    folder = population_folder("E54000023", seed=1, fraction=0.02, base=data_dir())
    people = pd.read_parquet(folder / PEOPLE_FILE, columns=["death_date", "opted_out"])
    died = people["death_date"].notna() & (people["death_date"] < pd.Timestamp(INDEX_DATE))
    opted_out = ~died & people["opted_out"].astype(bool)
    counted = len(people) - int(died.sum()) - int(opted_out.sum())
    text = page_text(at)
    assert f"These are {counted:,} synthetic people, not the " in text
    assert "residents (Census 2021)" in text and "a 2% sample" in text and f"{len(people):,} people" in text
    assert f"{int(died.sum()):,} of them died before 1 April 2024" in text
    assert f"the {int(opted_out.sum()):,} who opted out of sharing their health records are left out" in text
    assert sum(pyramid_people(at)) == counted


def test_the_board_pack_is_prepared_with_the_risk_model_before_it_is_offered(open_page, monkeypatch) -> None:
    monkeypatch.setenv("PHM_SYNTH_FRACTION", "0.02")
    at = open_page(PAGE, **SNEE, slide="3")
    assert not at.get("download_button")  # never a pack without (or with other) risk tiers
    assert any("risk tiers from the fitted risk model" in c.value for c in at.caption)
    at = at.button(key="board_pack_prepare").click().run()
    assert not at.exception
    labels = [button.proto.label for button in at.get("download_button")]
    assert labels == ["Board pack (PDF)", "Board pack (HTML)"]
    assert not at.status
    slide = open_page(PAGE, **SNEE, slide="5")  # already prepared: drawn straight away, the same tiers as the pack
    assert not slide.status
    assert pyramid_people(slide) == pyramid_people(open_page("risk.py", **SNEE))


def test_the_board_pack_can_be_downloaded_from_any_slide(open_page, monkeypatch) -> None:
    monkeypatch.setenv("PHM_SYNTH_FRACTION", "0.02")
    open_page(PAGE, **SNEE, slide="5")  # prepares the synthetic population and the risk model
    at = open_page(PAGE, **SNEE, slide="3")
    labels = [button.proto.label for button in at.get("download_button")]
    assert labels == ["Board pack (PDF)", "Board pack (HTML)"]
    assert not any("Open the 'Who is at risk' slide first" in c.value for c in at.caption)
