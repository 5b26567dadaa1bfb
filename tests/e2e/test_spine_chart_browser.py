"""The spine chart as chromium draws it: chart title, axis title, bars and legend never overlap.

Drawn twice: on the Benchmarks page of the running app (Streamlit's own plotly.js, in a tab that is hidden when
the chart is first drawn) and on its own (plotly.py's plotly.js) for one to 23 indicators and a phone's width.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from phm_core.figures import spine_chart_figure
from tools.browser import streamlit_server

pytestmark = pytest.mark.e2e

playwright = pytest.importorskip("playwright.sync_api")
FINISHED = "Open Government Licence"  # the attribution footer is the last thing every page draws
PARTS = {
    "chart title": ".gtitle",
    "axis title": ".xtitle",
    "worse": ".annotation >> nth=0",
    "better": ".annotation >> nth=1",
    "legend": ".legend",
    "plot": ".nsewdrag",
    "figure": ".main-svg",
}
LABELS = ("chart title", "axis title", "worse", "better", "legend")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("data")
    with streamlit_server(env={"PHM_DATA_DIR": str(data)}) as url:
        yield url


def spine_rows(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "indicator": [f"Indicator {i} with a name as long as the Health Index's" for i in range(n)],
            "value": rng.uniform(10, 20, n),
            "england": 15.0,
            "england_min": 5.0,
            "england_max": 25.0,
            "england_q1": 12.0,
            "england_q3": 18.0,
            "polarity": "low is good",
            "benchmark": "middle fifth",
        }
    )


def settled_boxes(page, chart) -> dict[str, dict]:
    """The parts' boxes once two readings 300 ms apart agree (plotly redraws after a tab opens or margins grow)."""
    chart.locator(".legend").wait_for()
    previous = None
    for _ in range(40):
        boxes = {name: chart.locator(selector).first.bounding_box() for name, selector in PARTS.items()}
        if boxes == previous:
            return boxes
        previous = boxes
        page.wait_for_timeout(300)
    return boxes


def assert_apart(boxes: dict[str, dict]) -> None:
    """No two labels overlap, the axis labels and legend are not cut off, the legend is below the bars, they above."""

    def overlaps(a: dict, b: dict) -> bool:
        horizontal = a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
        return horizontal and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]

    for i, first in enumerate(LABELS):
        for second in LABELS[i + 1 :]:
            assert not overlaps(boxes[first], boxes[second]), (
                f"{first} {boxes[first]} overlaps {second} {boxes[second]}"
            )
    figure, plot = boxes["figure"], boxes["plot"]
    for name in ("axis title", "worse", "better", "legend"):  # a long chart title may run off a phone's screen
        box = boxes[name]
        assert figure["x"] <= box["x"] and box["x"] + box["width"] <= figure["x"] + figure["width"], (
            f"{name} is cut off"
        )
    for name in ("axis title", "worse", "better"):
        assert boxes[name]["y"] + boxes[name]["height"] <= plot["y"], f"{name} is not above the bars"
    assert boxes["legend"]["y"] >= plot["y"] + plot["height"], "legend is not below the bars"


@pytest.mark.parametrize("width", [1440, 800])
def test_spine_chart_on_the_benchmarks_page(browser, app_url: str, width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": 1000})
    try:
        page.goto(app_url + "/benchmarks")
        page.get_by_text(FINISHED).first.wait_for(timeout=180_000)
        page.get_by_role("tab", name="Spine chart").click()
        spine = page.locator(".js-plotly-plot").filter(has_text="Better").first
        assert_apart(settled_boxes(page, spine))
    finally:
        page.close()


@pytest.mark.parametrize("width", [1000, 600])
@pytest.mark.parametrize("n", [1, 5, 23])
def test_spine_chart_on_its_own(browser, n: int, width: int) -> None:
    figure = spine_chart_figure(spine_rows(n), title="Great Yarmouth against England's local authorities")
    page = browser.new_page(viewport={"width": width + 40, "height": 1200})
    try:
        page.set_content(figure.to_html(include_plotlyjs=True, full_html=True, default_width=f"{width}px"))
        assert_apart(settled_boxes(page, page.locator(".js-plotly-plot")))
    finally:
        page.close()
