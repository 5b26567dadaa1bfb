"""Inequalities page: life expectancy by place against England, and the gap with its confidence interval."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.app


def test_place_series_and_gap(open_page) -> None:
    at = open_page("inequalities.py")
    assert not at.exception
    trend, gap = (json.loads(chart.proto.spec) for chart in at.get("plotly_chart"))
    names = {trace["name"] for trace in trend["data"]}
    assert {"Norwich", "Ipswich", "England"} <= names
    assert {trace["type"] for trace in gap["data"]} == {"bar"}
    assert len(gap["data"][0]["x"]) == 5
    metrics = {m.label: m for m in at.metric}
    assert metrics["Gap, men (slope index)"].value.endswith("years")
    text = at.markdown[0].value
    assert "Norwich has the lowest life expectancy" in text
    assert "not tested for significance" in text
    assert "95% confidence interval" in text


def test_a_neighbourhood_with_few_practices_says_so(open_page) -> None:
    # A PCN of a few practices in Colchester, which moved with its sub-ICB location to NHS Essex in April 2026
    at = open_page("inequalities.py", icb="E54000066", level="pcn", area="U51488")
    assert not at.exception
    assert any("Too few GP practices" in info.value for info in at.info)
    assert "too few practices" in at.markdown[0].value
    assert len(at.get("plotly_chart")) == 1  # the place series only
