"""Colour classes on the Map page: no more classes than half the areas (at least two, at most five), counts and
the range stated in the legend, one colour and a plain statement when there is one area."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from phm_core import profiles

pytestmark = pytest.mark.unit

SCORE = profiles.MEASURES["imd_score"]


@pytest.mark.parametrize(("areas", "classes"), [(1, 1), (2, 2), (3, 2), (5, 2), (6, 3), (8, 4), (10, 5), (1001, 5)])
def test_the_number_of_classes_is_at_most_half_the_areas(areas: int, classes: int) -> None:
    assert profiles.class_count(areas) == classes
    values = pd.Series(np.linspace(10.0, 30.0, areas))
    colours, legend = profiles.colour_measure(values, SCORE)
    assert len(legend) == len({tuple(c) for c in colours}) == classes


def test_three_areas_are_two_classes_with_their_counts() -> None:
    colours, legend = profiles.colour_measure(pd.Series([18.4, 16.2, 21.8]), SCORE)
    assert [e.label for e in legend] == ["16.2 to 18.4 (1 area)", "18.4 to 21.8 (2 areas)"]
    assert colours[1] != colours[2] and colours[0] == colours[2]  # the higher two share the darker colour


def test_one_area_is_one_colour_and_says_so() -> None:
    colours, legend = profiles.colour_measure(pd.Series([17.3]), SCORE)
    assert [e.label for e in legend] == ["17.3 (1 area)"]
    assert profiles.legend_note(pd.Series([17.3]), SCORE, noun="sub-ICB locations") == (
        "One sub-ICB location: 17.3. Choose a level with more areas to compare."
    )


def test_the_note_states_the_range_and_the_classes() -> None:
    note = profiles.legend_note(pd.Series([18.4, 16.2, 21.8, np.nan]), SCORE, noun="sub-ICB locations")
    assert note == (
        "From 16.2 to 21.8 across the 3 sub-ICB locations with figures; 2 colour classes, each with about "
        "the same number of areas."
    )


def test_deciles_and_categories_need_no_note() -> None:
    assert profiles.legend_note(pd.Series([1, 2, 3]), profiles.MEASURES["imd_decile"], noun="LSOAs") == ""
    assert profiles.legend_note(pd.Series(["a"]), profiles.MEASURES["ruc21_name"], noun="LSOAs") == ""
