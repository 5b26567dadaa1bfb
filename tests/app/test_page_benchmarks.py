"""Benchmarks page: tartan rug of places against England, spine chart, peers."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.app


def test_tartan_rug_spine_and_peers(open_page) -> None:
    at = open_page("benchmarks.py")
    assert not at.exception
    rug, spine = (json.loads(chart.proto.spec) for chart in at.get("plotly_chart"))
    heatmap = rug["data"][0]
    assert heatmap["type"] == "heatmap"
    assert heatmap["x"][0] == "England" and "Great Yarmouth" in heatmap["x"]
    assert "Atrial fibrillation" in heatmap["y"] and "IMD 2025 score" in heatmap["y"]
    assert spine["data"][-1]["mode"] == "markers"
    cells = [text for row in heatmap["text"] for text in row]
    assert any(text.endswith(("▲", "▼")) for text in cells)  # trend markers where there is a series
    peers = at.dataframe[-1].value
    assert len(peers) == 6
    ranks = next(m.value for m in at.markdown if "among its peers" in m.value)
    assert "of 36** ICBs as at April 2026" in ranks  # every ICB of the default geography, not 42
    assert "significantly" in at.markdown[0].value or "worst fifth" in at.markdown[0].value


def test_choosing_a_place_changes_the_narrative(open_page) -> None:
    at = open_page("benchmarks.py")
    before = at.markdown[0].value
    at.selectbox(key="benchmark_place").set_value("E07000145").run()
    assert not at.exception
    assert "Great Yarmouth" in at.markdown[0].value and at.markdown[0].value != before
