"""Results page: the matrix, scores, gaps, agreement, next steps, history, comparison and the exports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from maturity import repository
from maturity.db import make_engine
from maturity.models import AssessmentPublic, OrganisationPublic
from phm_core.settings import database_url
from ui import maturity as ui_maturity

pytestmark = pytest.mark.app

PAGE = "maturity_results.py"
#: Four respondents' (current, target) per component; analyses is split 1, 1, 1, 4 (uncertain).
RATINGS = {
    "organisational_factors": [(1, 3), (1, 3), (2, 3), (2, 3)],
    "digitised_care_record": [(2, 3), (2, 3), (2, 3), (2, 3)],
    "analyses": [(1, 2), (1, 2), (1, 2), (4, 4)],
    "workforce_development": [(3, 3), (3, 3), (3, 3), (3, 3)],
}


@pytest.fixture
def db() -> Iterator[Engine]:
    """The database the page uses (a SQLite file in the test's own data directory)."""
    engine = make_engine(database_url())
    yield engine
    engine.dispose()


def add_assessment(
    db: Engine,
    organisation: OrganisationPublic,
    ratings: dict[str, list[tuple[int, int]]],
    *,
    on: date,
    title: str,
) -> AssessmentPublic:
    with Session(db) as s:
        assessment = repository.create_assessment(s, organisation_id=organisation.id, assessment_date=on, title=title)
        n = max(len(pairs) for pairs in ratings.values())
        respondents = [repository.get_or_create_respondent(s, assessment.id, name=f"R{i}") for i in range(n)]
        for component, pairs in ratings.items():
            for respondent, (current, target) in zip(respondents, pairs, strict=False):
                repository.save_answer(s, respondent.id, component, current_stage=current, target_stage=target)
    return assessment


@pytest.fixture
def icb(db: Engine) -> OrganisationPublic:
    with Session(db) as s:
        return repository.create_organisation(s, name="North ICB", kind="icb")


@pytest.fixture
def spring(db: Engine, icb: OrganisationPublic) -> AssessmentPublic:
    return add_assessment(db, icb, RATINGS, on=date(2025, 3, 1), title="Spring round")


def chart(at, title: str) -> dict:
    """The Plotly spec of the chart with this title."""
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        if spec["layout"].get("title", {}).get("text") == title:
            return spec
    raise AssertionError(f"no chart titled {title!r}")


def frame_with(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_the_matrix_scores_and_agreement_of_an_assessment(open_page, spring) -> None:
    at = open_page(PAGE, assessment=str(spring.id))
    assert not at.exception
    assert at.title[0].value == "Maturity results"
    assert "4 respondents" in at.caption[0].value
    assert not at.warning or "indicative" not in at.warning[0].value
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Infrastructure"] == "Emerging"  # mean of the medians 1.5 and 2: 1.75
    assert metrics["Intelligence"] == "Emerging"
    assert metrics["Interventions"] == "Maturing"
    assert metrics["Overall"] == "Emerging"  # (1.75 + 1 + 3) / 3
    overall = next(m for m in at.metric if m.label == "Overall")
    assert overall.proto.delta == "1.92 of 4 - target 2.67 (Developing)"
    matrix = chart(at, "The maturity matrix")
    heatmap, current, target = matrix["data"]
    rows = [c for c in repository.framework_for(spring).component_ids]
    assert heatmap["z"][rows.index("analyses")] == [3, 0, 0, 1]
    markers = dict(zip(current["y"], current["x"], strict=True))
    assert markers[rows.index("organisational_factors")] == 1.5
    assert markers[rows.index("analyses")] == 1
    assert dict(zip(target["y"], target["x"], strict=True))[rows.index("organisational_factors")] == 3
    warning = next(w.value for w in at.warning if w.value.startswith("Uncertain"))
    assert warning == "Uncertain, worth discussing before relying on the score: Analyses."
    discussion = frame_with(at, "Ratings given")
    assert discussion["Component"].tolist() == ["Analyses", "Organisational factors"]
    assert discussion["Ratings given"].iloc[0] == "3 Emerging, 1 Thriving"


def test_two_respondents_at_opposite_stages_are_uncertain_not_consensus(open_page, db, icb) -> None:
    pair = add_assessment(
        db,
        icb,
        {
            "analyses": [(2, 3), (4, 4)],  # Developing and Thriving
            "interpretation": [(1, 3), (3, 3)],  # Emerging and Maturing
            "workforce_development": [(2, 3), (3, 3)],  # adjacent: consensus
        },
        on=date(2025, 6, 1),
        title="Two of us",
    )
    at = open_page(PAGE, assessment=str(pair.id))
    assert not at.exception
    warning = next(w.value for w in at.warning if w.value.startswith("Uncertain"))
    assert (
        warning == "Uncertain, worth discussing before relying on the score: Analyses, Interpretation and evaluation."
    )
    discussion = frame_with(at, "Ratings given")
    assert discussion.set_index("Component")["Agreement"].to_dict() == {
        "Analyses": "uncertain",
        "Interpretation and evaluation": "uncertain",
        "Workforce development": "consensus",
    }
    assert any("two adjacent stages most chosen" in m.value for m in at.markdown)


def test_the_gap_analysis_is_sorted_by_the_size_of_the_gap(open_page, spring) -> None:
    at = open_page(PAGE, assessment=str(spring.id))
    gaps = frame_with(at, "Gap")
    assert gaps["Component"].tolist() == [
        "Organisational factors",
        "Digitised care and a shared care record",
        "Analyses",
    ]
    assert gaps["Gap"].tolist() == [1.5, 1.0, 1.0]
    assert gaps["Agreement"].tolist() == ["consensus", "consensus", "uncertain"]
    bars = chart(at, "Gap to target (stages)")["data"][0]
    assert bars["y"] == gaps["Component"].tolist()


def test_next_steps_are_grouped_and_link_into_the_app(open_page, spring, monkeypatch) -> None:
    for key in ui_maturity.PAGE_KEY_CANDIDATES:  # as if only the population page existed
        if key != "population":
            monkeypatch.setitem(ui_maturity.PAGE_KEY_CANDIDATES, key, ("no_such_page",))
    at = open_page(PAGE, assessment=str(spring.id))
    headings = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert headings == ["#### Infrastructure", "#### Intelligence", "#### Interventions"]
    text = "\n".join(m.value for m in at.markdown)
    assert "**Organisational factors**: Emerging to Maturing (gap 1.5)" in text
    assert "Agree and write down the population definition" in text
    # The population action opens the home page (outside app.py's navigation the link is plain text).
    assert "Population in PHM Navigator" in text
    assert any(c.value.startswith("Coming to PHM Navigator: ") for c in at.caption)


def test_fewer_than_three_respondents_are_indicative(open_page, db, icb) -> None:
    assessment = add_assessment(db, icb, {"analyses": [(2, 3), (3, 3)]}, on=date(2025, 1, 1), title="Pilot")
    at = open_page(PAGE, assessment=str(assessment.id))
    assert not at.exception
    assert "Only 2 respondents so far: these results are indicative." in at.warning[0].value


def test_a_second_round_shows_the_trend_and_what_changed(open_page, db, icb, spring) -> None:
    later = {**RATINGS, "organisational_factors": [(3, 3), (3, 4), (3, 3), (2, 3)]}
    autumn = add_assessment(db, icb, later, on=date(2025, 10, 1), title="Autumn round")
    at = open_page(PAGE, assessment=str(autumn.id))
    assert not at.exception
    trend = chart(at, "Scores over time (median current stage, mean per capability)")
    overall = trend["data"][0]
    assert overall["name"] == "Overall"
    assert [x[:10] for x in overall["x"]] == ["2025-03-01", "2025-10-01"]
    assert overall["y"][1] > overall["y"][0]
    changes = frame_with(at, "Previous round")
    first = changes.iloc[0]
    assert (first["Component"], first["Previous round"], first["This round"], first["Change"]) == (
        "Organisational factors",
        1.5,
        3.0,
        1.5,
    )


def test_the_first_round_says_how_to_get_a_trend(open_page, spring) -> None:
    at = open_page(PAGE, assessment=str(spring.id))
    assert any("first assessment" in i.value for i in at.info)


def test_places_of_one_icb_are_compared_side_by_side(open_page, db, icb, spring) -> None:
    with Session(db) as s:
        place = repository.create_organisation(s, name="East Place", kind="place", parent_id=icb.id)
        elsewhere = repository.create_organisation(s, name="Other ICB", kind="icb")
    add_assessment(db, place, {"analyses": [(3, 4), (3, 4)]}, on=date(2025, 4, 1), title="Place round")
    add_assessment(db, elsewhere, {"analyses": [(2, 2)]}, on=date(2025, 4, 1), title="Other")
    at = open_page(PAGE, assessment=str(spring.id))
    assert not at.exception
    assert at.multiselect(key="mr_compare").value == [icb.id, place.id]  # the ICB and its place, not the other ICB
    heatmap = chart(at, "Comparison between organisations (latest assessment of each)")["data"][0]
    assert heatmap["x"] == ["North ICB<br>01 Mar 2025", "East Place<br>01 Apr 2025"]
    assert heatmap["z"][heatmap["y"].index("Analyses")] == [1.0, 3.0]
    at.multiselect(key="mr_compare").select(elsewhere.id).run()
    heatmap = chart(at, "Comparison between organisations (latest assessment of each)")["data"][0]
    assert len(heatmap["x"]) == 3
    for organisation_id in (icb.id, place.id, elsewhere.id):
        at.multiselect(key="mr_compare").unselect(organisation_id)
    at.run()
    assert "Choose the organisations to compare." in [i.value for i in at.info]


def test_choosing_another_assessment_updates_the_url(open_page, db, icb, spring) -> None:
    other = add_assessment(db, icb, {"analyses": [(4, 4)]}, on=date(2025, 9, 1), title="Autumn")
    at = open_page(PAGE)
    assert at.selectbox(key="mr_assessment").value == other.id  # the newest by default
    at.selectbox(key="mr_assessment").set_value(spring.id).run()
    assert not at.exception
    assert at.query_params["assessment"] == str(spring.id)
    assert "Spring round" in at.caption[0].value


def test_exports_are_offered_and_the_report_has_the_charts(open_page, spring) -> None:
    at = open_page(PAGE, assessment=str(spring.id))
    labels = [b.label for b in at.get("download_button")]
    assert labels == [
        "Report (HTML, printable)",
        "Responses (CSV)",
        "Responses and results (Excel)",
        "Whole assessment (JSON)",
    ]
    report = ui_maturity.report_html(spring.id, {"population": "http://phm.example/home"})
    assert "<h1>PHM maturity matrix: North ICB</h1>" in report
    assert report.count("<svg") == 2
    assert '<a href="http://phm.example/home">Population</a>' in report
    document = json.loads(ui_maturity._assessment_json(spring.id))
    assert len(document["respondents"]) == 4


def test_with_no_assessment_the_page_points_to_the_assessments_page(open_page) -> None:
    at = open_page(PAGE)
    assert not at.exception
    assert at.info[0].value == "There are no assessments yet."


def test_an_assessment_nobody_has_rated_shows_no_empty_charts(open_page, db, icb) -> None:
    with Session(db) as s:
        assessment = repository.create_assessment(s, organisation_id=icb.id, assessment_date=date(2025, 5, 1))
        repository.get_or_create_respondent(s, assessment.id, name="Joined but not answered")
    at = open_page(PAGE, assessment=str(assessment.id))
    assert not at.exception
    assert at.info[0].value.startswith("Nobody has rated a component yet")
    assert not at.metric and not at.get("plotly_chart")
    assert f"[Answer the questionnaire](/maturity_questionnaire?assessment={assessment.id})" in [
        m.value for m in at.markdown
    ]
    assert len(at.get("download_button")) == 4  # the (empty) responses can still be exported
