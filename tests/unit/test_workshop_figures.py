"""The live workshop's distribution chart: the median labels stay inside the chart wherever the median falls."""

from __future__ import annotations

import pandas as pd
import pytest

from maturity.framework import load_framework
from maturity.scoring import score_assessment
from workshop.figures import stage_distribution_figure

pytestmark = pytest.mark.unit

FRAMEWORK = load_framework("phm_maturity", 1)
COMPONENT = "organisational_factors"


def scored(*pairs: tuple[int, int]):
    """One component rated by len(pairs) people: (current, target) each."""
    answers = pd.DataFrame(
        [
            {"respondent_id": i, "component_id": COMPONENT, "current_stage": current, "target_stage": target}
            for i, (current, target) in enumerate(pairs, start=1)
        ]
    )
    return score_assessment(answers, FRAMEWORK, respondent_ids=list(range(1, len(pairs) + 1))).component(COMPONENT)


def median_labels(figure) -> dict[str, tuple[float, str]]:
    """'Median now' / 'Median target' -> (x of the marker, which side of the marker the text is on)."""
    labels = {}
    for trace in figure.data[1:]:
        text = trace.text[0]
        labels[" ".join(text.split()[:2])] = (trace.x[0], trace.textposition)
    return labels


@pytest.mark.parametrize(
    ("pairs", "side_now", "side_target"),
    [
        (((4, 4), (4, 4), (3, 4)), "left", "left"),  # both medians on the last stage: text must not run off the right
        (((1, 1), (1, 2)), "right", "right"),  # both on the first stage: text must not run off the left
        (((1, 4), (2, 4)), "right", "left"),
    ],
)
def test_median_labels_point_into_the_chart(pairs, side_now: str, side_target: str) -> None:
    labels = median_labels(stage_distribution_figure(scored(*pairs), FRAMEWORK))
    assert labels["Median now"][1] == f"middle {side_now}"
    assert labels["Median target"][1] == f"middle {side_target}"


def test_median_labels_say_the_median_and_sit_above_the_bars() -> None:
    figure = stage_distribution_figure(scored((4, 4), (4, 4), (3, 4)), FRAMEWORK)
    texts = [trace.text[0] for trace in figure.data[1:]]
    assert texts == ["Median now 4", "Median target 4"]
    top = max(figure.data[0].y)
    low, high = figure.layout.yaxis.range
    for trace in figure.data[1:]:
        assert top < trace.y[0] < high  # above the tallest bar and inside the plotting area
