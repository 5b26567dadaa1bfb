"""Benchmark figures: the spine chart's layout (axis title and legend apart) and the tartan rug's colours."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from phm_core.benchmarking import BENCHMARK_COLOURS
from phm_core.figures import spine_chart_figure, tartan_rug_figure

pytestmark = pytest.mark.unit


def spine_rows(n: int) -> pd.DataFrame:
    """``n`` ranked indicators of one place, as the Benchmarks page passes them to the spine chart."""
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "indicator": [f"Indicator {i}" for i in range(n)],
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


@pytest.mark.parametrize("n", [1, 8, 23])
def test_spine_chart_axis_labels_are_above_the_bars_and_the_legend_below(n: int) -> None:
    """The legend sits at the foot of the figure and the axis labels above the bars, so they cannot overlap."""
    figure = spine_chart_figure(spine_rows(n), title="Breckland against England's local authorities")
    layout = figure.layout
    assert (layout.xaxis.side, layout.xaxis.title.text) == ("top", "England")
    sides = {a.text: a for a in layout.annotations}
    assert set(sides) == {"◀ Worse", "Better ▶"}
    for label in sides.values():  # either side of England's line, just above the bars, under "England"
        assert (label.xref, label.x, label.yref, label.y, label.yanchor) == ("x", 0, "paper", 1, "bottom")
        assert label.yshift + label.font.size * 1.5 <= layout.xaxis.title.standoff
    assert (sides["◀ Worse"].xanchor, sides["Better ▶"].xanchor) == ("right", "left")
    # The legend is in a bottom margin that holds it wrapped onto three rows (22 px each, one per trace) without
    # plotly growing the margin, which had left the legend over an axis title at the bottom of the plot.
    assert layout.legend.orientation == "h" and len(figure.data) == 3
    assert (layout.legend.yref, layout.legend.yanchor, layout.legend.y) == ("container", "bottom", 0)
    assert layout.margin.b >= 3 * 22 + 8
    # The top margin holds the chart title (16 px), "England" and the two side labels (12 px), one above another.
    assert layout.title.font.size == 16 and layout.margin.t >= layout.xaxis.title.standoff + 12 + 16 + 2 * 16


def test_no_polarity_cells_of_the_tartan_rug_are_neutral() -> None:
    table = pd.DataFrame(
        {
            "indicator": ["Dementia", "Asthma", "IMD 2025 score"],
            "area": "Breckland",
            "value_text": ["1.1%", "6.0%", "20.0"],
            "benchmark": ["lowest", "highest", "best fifth"],
        }
    )
    heatmap = tartan_rug_figure(table, title="Places against England").data[0]
    colours = [colour for _, colour in heatmap.colorscale]

    def colour_of(row: int) -> str:
        index = int(heatmap.z[row][0])
        return colours[2 * index]

    assert colour_of(0) == BENCHMARK_COLOURS["lowest"] and colour_of(0) != "#009E73"  # not green
    assert colour_of(1) == BENCHMARK_COLOURS["highest"]
    assert colour_of(2) == BENCHMARK_COLOURS["best fifth"] != colour_of(0)
