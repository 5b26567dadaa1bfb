"""Charts of maturity results: what each figure plots, for a small assessment with known medians."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pandas as pd
import pytest

from maturity import figures
from maturity.exports import render_report_html
from maturity.framework import load_framework
from maturity.models import AssessmentPublic, AssessmentStatus, OrganisationKind, OrganisationPublic
from maturity.scoring import AssessmentResult, gap_analysis, results_frame, score_assessment

pytestmark = pytest.mark.unit

FRAMEWORK = load_framework("phm_maturity", 1)
NOW = pd.Timestamp("2025-06-01T12:00:00Z").to_pydatetime()


def answers(ratings: dict[str, list[tuple[int | None, int | None]]]) -> list[dict]:
    """Answers from {component: [(current, target) of respondent 1, 2, ...]}."""
    return [
        {"respondent_id": i, "component_id": cid, "current_stage": current, "target_stage": target}
        for cid, pairs in ratings.items()
        for i, (current, target) in enumerate(pairs, start=1)
    ]


@pytest.fixture(scope="module")
def result() -> AssessmentResult:
    """Four respondents; analyses split 1,1,1,4 (uncertain); interpretation and incentives left unrated."""
    return score_assessment(
        answers(
            {
                "organisational_factors": [(1, 3), (1, 3), (2, 3), (2, 4)],
                "digitised_care_record": [(2, 3), (2, 3), (2, 3), (3, 3)],
                "integrated_data_architecture": [(3, 4), (3, 4), (3, 3), (3, 4)],
                "information_governance": [(2, 2), (2, 2), (2, 2), (2, 2)],
                "supporting_capabilities": [(2, 3), (3, 3), (2, 4), (2, 3)],
                "analyses": [(1, 2), (1, 2), (1, 2), (4, 4)],
                "care_model_design": [(1, 2), (2, 2), (1, 3), (1, 2)],
                "community_wellbeing": [(3, 4), (3, 4), (2, 3), (3, 4)],
                "workforce_development": [(2, 2), (2, 3), (2, 3), (2, 3)],
            }
        ),
        FRAMEWORK,
        respondent_ids=[1, 2, 3, 4],
    )


def traces(figure, kind: str) -> list:
    return [t for t in figure.data if t.type == kind]


def test_matrix_counts_each_stage_and_marks_the_medians(result):
    figure = figures.matrix_figure(result)
    (heatmap,) = traces(figure, "heatmap")
    assert list(heatmap.x) == [1, 2, 3, 4]
    rows = list(FRAMEWORK.component_ids)
    assert [list(z) for z in heatmap.z][rows.index("organisational_factors")] == [2, 2, 0, 0]
    assert [list(z) for z in heatmap.z][rows.index("analyses")] == [3, 0, 0, 1]
    assert list(figure.layout.yaxis.ticktext) == [c.label for c in FRAMEWORK.components]
    current, target = traces(figure, "scatter")
    assert current.name == "Current (median)" and target.name == "Target (median)"
    rated = [r for r in result.components if r.current is not None]
    assert list(current.x) == [r.current for r in rated]
    assert list(current.y) == [rows.index(r.component_id) for r in rated]
    assert dict(zip(current.y, current.x, strict=True))[rows.index("organisational_factors")] == 1.5
    assert len(current.x) == 9  # interpretation and incentives have no rating and no marker
    assert dict(zip(target.y, target.x, strict=True))[rows.index("organisational_factors")] == 3.0
    counts = [a for a in figure.layout.annotations if a.xref != "paper"]
    assert sorted(int(a.text) for a in counts) == sorted(c for r in result.components for c in r.counts if c)
    capabilities = [a.text for a in figure.layout.annotations if a.xref == "paper"]
    assert capabilities == [f"<b>{c.label}</b>" for c in FRAMEWORK.capabilities]
    assert len(figure.layout.shapes) == len(FRAMEWORK.capabilities) - 1  # lines between capabilities


def test_matrix_hover_shows_the_stage_descriptor(result):
    (heatmap,) = traces(figures.matrix_figure(result), "heatmap")
    first = FRAMEWORK.components[0]
    assert heatmap.customdata[0][0].replace("<br>", " ") == first.descriptors[1]


def test_capability_figure_plots_medians_interquartile_range_and_targets(result):
    figure = figures.capability_figure(result, "infrastructure")
    bar, target = figure.data
    ids = [c.id for c in FRAMEWORK.capability("infrastructure").components]
    assert list(bar.x) == [result.component(cid).current for cid in ids]
    assert list(target.x) == [result.component(cid).target for cid in ids]
    organisational = result.component("organisational_factors")
    assert bar.error_x.array[0] == pytest.approx(organisational.q3 - organisational.current)
    assert bar.error_x.arrayminus[0] == pytest.approx(organisational.current - organisational.q1)
    assert figure.layout.title.text == "Infrastructure"
    assert list(figure.layout.xaxis.tickvals) == [1, 2, 3, 4]


def test_radar_is_a_closed_loop_over_every_component(result):
    target, current = figures.radar_figure(result).data
    n = len(FRAMEWORK.components)
    assert len(current.r) == len(current.theta) == n + 1
    assert current.theta[0] == current.theta[-1] and current.r[0] == current.r[-1]
    assert list(current.r[:n]) == [r.current for r in result.components]
    assert list(target.r[:n]) == [r.target for r in result.components]


def test_gap_figure_puts_the_largest_gap_first_and_flags_uncertain_components(result):
    (bar,) = figures.gap_figure(result).data
    gaps = gap_analysis(result)
    assert list(bar.y) == [r.label for r in gaps]
    assert list(bar.x) == [r.gap for r in gaps]
    assert bar.y[0] == "Organisational factors" and bar.x[0] == 1.5
    colours = dict(zip(bar.y, bar.marker.color, strict=True))
    assert colours["Analyses"] == figures.NHS_WARM_YELLOW
    assert colours["Organisational factors"] == figures.NHS_BLUE


def history_frame(results: list[tuple[date, AssessmentResult]]) -> pd.DataFrame:
    """The shape repository.history returns, from results in date order."""
    frames = []
    for number, (day, scored) in enumerate(results, start=1):
        frame = results_frame(scored, reference=FRAMEWORK)
        frame.insert(0, "n_respondents", scored.n_respondents)
        frame.insert(0, "framework_version", 1)
        frame.insert(0, "title", f"Round {number}")
        frame.insert(0, "assessment_date", day)
        frame.insert(0, "assessment_id", number)
        frame.insert(0, "organisation", "North ICB")
        frame.insert(0, "organisation_id", 1)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def test_history_draws_overall_and_each_capability_over_time(result):
    later = score_assessment(answers({"analyses": [(3, 4), (3, 4)], "care_model_design": [(2, 3), (2, 3)]}), FRAMEWORK)
    history = history_frame([(date(2025, 3, 1), result), (date(2025, 9, 1), later)])
    figure = figures.history_figure(history, FRAMEWORK)
    names = [t.name for t in figure.data]
    assert names == ["Overall", "Infrastructure", "Intelligence", "Interventions", "Overall target"]
    overall = figure.data[0]
    assert [pd.Timestamp(x).date() for x in overall.x] == [date(2025, 3, 1), date(2025, 9, 1)]
    assert list(overall.y) == pytest.approx([result.overall.current, later.overall.current])
    infrastructure = figure.data[1]
    assert infrastructure.y[1] is None  # the later round did not rate infrastructure
    assert list(figure.layout.xaxis.ticktext) == ["01 Mar 2025", "01 Sep 2025"]


def test_history_of_nothing_is_an_empty_chart():
    figure = figures.history_figure(pd.DataFrame(), FRAMEWORK)
    assert len(figure.data) == 0


def test_comparison_has_a_column_per_organisation_and_a_row_per_component_then_totals(result):
    other = score_assessment(answers({"analyses": [(4, 4)]}), FRAMEWORK)
    frames = []
    for name, scored in (("Place A", result), ("Place B", other)):
        frame = history_frame([(date(2025, 6, 1), scored)])
        frame["organisation"] = name
        frames.append(frame)
    figure = figures.comparison_figure(pd.concat(frames, ignore_index=True), FRAMEWORK)
    (heatmap,) = figure.data
    assert list(heatmap.x) == ["Place A<br>01 Jun 2025", "Place B<br>01 Jun 2025"]
    n = len(FRAMEWORK.components)
    assert list(heatmap.y[:n]) == [c.label for c in FRAMEWORK.components]
    assert list(heatmap.y[n:]) == [f"<b>{c.label}</b>" for c in FRAMEWORK.capabilities] + ["<b>Overall</b>"]
    analyses = list(FRAMEWORK.component_ids).index("analyses")
    assert list(heatmap.z[analyses]) == [1.0, 4.0]
    organisational = list(FRAMEWORK.component_ids).index("organisational_factors")
    assert list(heatmap.z[organisational]) == [1.5, None]
    assert heatmap.text[organisational] == ["1.5", ""]
    assert heatmap.z[-1][0] == pytest.approx(result.overall.current)


def test_scores_svg_is_well_formed_escaped_and_skips_blank_scores():
    svg = figures.scores_svg(
        [("Data <& sharing>", 2.5, 3.0), ("Not rated", None, None), ("Analyses", 1.0, None)],
        FRAMEWORK,
        title="Components",
    )
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert "Data <& sharing>" in texts
    bars = [r for r in root.iter(f"{ns}rect") if r.find(f"{ns}title") is not None]
    assert [r.find(f"{ns}title").text for r in bars] == ["Data <& sharing>: current 2.5", "Analyses: current 1"]
    widths = [float(r.get("width")) for r in bars]
    assert widths[0] == pytest.approx(widths[1] * 2.5, abs=0.2)  # bar length proportional to the score
    diamonds = [p for p in root.iter(f"{ns}polygon") if p.find(f"{ns}title") is not None]
    assert [p.find(f"{ns}title").text for p in diamonds] == ["Data <& sharing>: target 3"]


def test_the_printable_report_carries_the_charts_after_the_summary(result):
    organisation = OrganisationPublic(id=1, name="North ICB", kind=OrganisationKind.ICB, created_at=NOW)
    assessment = AssessmentPublic(
        id=1,
        uid="00000000-0000-0000-0000-000000000001",
        organisation_id=1,
        title="Spring round",
        assessment_date=date(2025, 6, 1),
        framework_id=FRAMEWORK.id,
        framework_version=FRAMEWORK.version,
        status=AssessmentStatus.OPEN,
        created_at=NOW,
    )
    charts = figures.report_charts_html(result)
    report = render_report_html(organisation=organisation, assessment=assessment, result=result, charts_html=charts)
    assert report.count("<svg") == 2
    assert report.index("<h2>Summary</h2>") < report.index("<h2>Charts</h2>") < report.index("The maturity matrix")
    assert "<svg" not in render_report_html(organisation=organisation, assessment=assessment, result=result)
