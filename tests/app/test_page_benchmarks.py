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


def test_crude_prevalence_is_read_against_age_and_every_trend_is_said(open_page) -> None:
    at = open_page("benchmarks.py")
    assert not at.exception
    narrative = at.markdown[0].value
    assert "significantly higher than England" in narrative  # Babergh, the first place, is older than England
    assert "not age-standardised" in narrative
    assert "is older than England (" in narrative and "aged 65+" in narrative
    spine_table = next(d.value for d in at.dataframe if "trend" in d.value.columns)
    assert spine_table["trend"].notna().all()
    assert "None" not in set(spine_table.astype(str).to_numpy().ravel())
    assert "single release" in set(spine_table["trend"])  # the IMD has one release: no series to fit
    rug = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    assert "#009E73" not in {colour for _, colour in rug["colorscale"]}  # no green for prevalence "lowest"
