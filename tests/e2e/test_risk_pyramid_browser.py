"""The risk pyramid as chromium draws it: every tier's label (people and share of cost) is shown whole, not cut off
by the plot area or the figure, from a phone's width to a slide's, with the largest ICB's numbers (issue 13, item 18).

Drawn on its own (plotly.py's plotly.js), like the spine chart's test: the Population segments and Risk
stratification pages put it in a column 380 to 700 pixels wide.
"""

from __future__ import annotations

import pandas as pd
import pytest

from phm_core.segmentation import risk_pyramid_figure

pytestmark = pytest.mark.e2e

playwright = pytest.importorskip("playwright.sync_api")

#: NHS West and North London (3,481,697 people alive at the index date, the largest ICB) split 5% / 15% / 80%.
LARGEST = {"people": [174_085, 522_254, 2_785_358], "share_of_cost": [0.41, 0.31, 0.28]}
SMALL = {"people": [2_410, 7_230, 38_560], "share_of_cost": [0.39, 0.30, 0.31]}


def tiers(numbers: dict[str, list]) -> pd.DataFrame:
    return pd.DataFrame({"risk_tier": ["high", "rising", "low"], **numbers})


def label_boxes(page) -> list[dict]:
    """Each tier label's box, the figure's and the plot area's, and whether the label sits under a clip path."""
    page.locator(".js-plotly-plot .bartext").first.wait_for()
    return page.eval_on_selector_all(
        ".js-plotly-plot .bartext",
        """els => els.map(e => {
            const svg = e.closest('.main-svg').getBoundingClientRect();
            const plot = e.closest('.js-plotly-plot').querySelector('.nsewdrag').getBoundingClientRect();
            const box = e.getBoundingClientRect();
            return {text: e.textContent, left: box.left, right: box.right, top: box.top, bottom: box.bottom,
                    figure: [svg.left, svg.right], plot: [plot.left, plot.right, plot.top, plot.bottom],
                    clipped: e.closest('[clip-path]') !== null};
        })""",
    )


@pytest.mark.parametrize("numbers", [LARGEST, SMALL], ids=["largest ICB", "small ICB"])
@pytest.mark.parametrize("width", [320, 380, 460, 700, 1200])
def test_every_tier_label_of_the_pyramid_is_shown_whole(browser, numbers: dict, width: int) -> None:
    figure = risk_pyramid_figure(tiers(numbers))
    page = browser.new_page(viewport={"width": width + 40, "height": 800})
    try:
        page.set_content(figure.to_html(include_plotlyjs=True, full_html=True, default_width=f"{width}px"))
        labels = label_boxes(page)
        assert [label["text"].split(" people")[0] for label in labels] == [f"{n:,}" for n in numbers["people"]]
        for label in labels:
            left, right = label["figure"]
            assert left <= label["left"] and label["right"] <= right, f"{label['text']} runs off the figure"
            plot_left, plot_right, plot_top, plot_bottom = label["plot"]
            inside = plot_left <= label["left"] and label["right"] <= plot_right
            assert inside or not label["clipped"], f"{label['text']} is cut off at the edge of the plot area"
            assert plot_top <= label["top"] and label["bottom"] <= plot_bottom, f"{label['text']} is cut off"
    finally:
        page.close()
