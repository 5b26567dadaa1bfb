"""Inequalities page: life expectancy by place against England, and the gap with its confidence interval."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.app


def test_place_series_and_gap(open_page) -> None:
    at = open_page("inequalities.py")
    assert not at.exception
    trend, against_england, gap = (json.loads(chart.proto.spec) for chart in at.get("plotly_chart"))
    names = {trace["name"] for trace in trend["data"]}
    assert {"Norwich", "Ipswich", "England"} <= names
    assert {trace["type"] for trace in gap["data"]} == {"bar"}
    assert len(gap["data"][0]["x"]) == 5
    assert gap["layout"]["yaxis"]["rangemode"] == "tozero" and "range" not in gap["layout"]["yaxis"]  # bars from 0
    assert [trace["name"] for trace in against_england["data"]] == [
        "NHS Norfolk and Suffolk",
        "England, same practice method",
        "England, ONS published (2018 to 2020)",
    ]
    assert against_england["layout"]["xaxis"]["rangemode"] == "tozero"
    metrics = {m.label: m for m in at.metric}
    assert metrics["Gap, men (slope index)"].value.endswith("years")
    text = at.markdown[0].value
    assert "Norwich has the lowest life expectancy" in text
    assert "not tested for significance" in text
    assert "95% confidence interval" in text


def test_england_is_shown_by_the_same_method_and_as_published_with_source_and_period(open_page) -> None:
    # Issue 13, item 4: the practice-based England gap (men 6.5, women 5.2 years) was shown as "England" beside
    # the ICB's, understating ONS's published figure (9.7 and 7.9 years, 2018 to 2020) without saying so.
    at = open_page("inequalities.py")
    assert not at.exception
    metrics = {m.label: m for m in at.metric}
    assert metrics["England, men (same practice method)"].value == "6.5 years"
    assert metrics["England, women (same practice method)"].value == "5.2 years"
    assert metrics["England, men (ONS published, 2018 to 2020)"].value == "9.7 years"
    assert metrics["England, women (ONS published, 2018 to 2020)"].value == "7.9 years"
    assert (
        "Health state life expectancies by national deprivation deciles"
        in metrics["England, men (ONS published, 2018 to 2020)"].proto.help
    )
    assert not any(label in metrics for label in ("England, men", "England, women"))  # never unlabelled
    explanation = next(m.value for m in at.markdown if m.value.startswith("Two England figures are shown."))
    assert "same method" in explanation and "neighbourhoods (LSOAs)" in explanation and "smaller" in explanation
    assert "18.6 years shorter for men and 19.3 years shorter for women" in at.info[0].value


def test_a_neighbourhood_with_few_practices_says_so(open_page) -> None:
    # A PCN of a few practices in Colchester, which moved with its sub-ICB location to NHS Essex in April 2026
    at = open_page("inequalities.py", icb="E54000066", level="pcn", area="U51488")
    assert not at.exception
    assert any("Too few GP practices" in info.value for info in at.info)
    assert "too few practices" in at.markdown[0].value
    assert len(at.get("plotly_chart")) == 1  # the place series only
    assert any(m.label == "England, men (ONS published, 2018 to 2020)" for m in at.metric)  # England still shown
