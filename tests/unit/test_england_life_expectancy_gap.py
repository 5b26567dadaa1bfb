"""England's comparators for the life expectancy gap: the practice-based figure (the same method as an ICB's) and
ONS's published neighbourhood figure, kept as data with its source; bar charts of life expectancy start at zero."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from phm_core import board_pack, inequalities
from phm_core.figures import life_expectancy_gap_comparison_figure, life_expectancy_gap_figure
from phm_core.settings import GEODATA_DIR
from phm_core.validation import DataValidationError

pytestmark = pytest.mark.unit

FIFTHS = {
    sex: pd.DataFrame(
        {
            "fifth": range(1, 6),
            "life_expectancy": np.linspace(base, base + 4, 5),
            "se": [0.3] * 5,
            "practices": [10] * 5,
            "list_size": [50_000] * 5,
        }
    )
    for sex, base in (("Female", 81.0), ("Male", 77.0))
}
GAPS = {
    "Female": {"sii": 3.6, "lower": 2.8, "upper": 4.5, "significant": True},
    "Male": {"sii": 4.5, "lower": 3.4, "upper": 5.6, "significant": True},
}
ENGLAND = {
    "Female": {"sii": 5.2, "lower": 4.9, "upper": 5.5, "significant": True},
    "Male": {"sii": 6.5, "lower": 6.2, "upper": 6.8, "significant": True},
}


def test_the_published_england_gap_is_shipped_with_its_source_and_period() -> None:
    # ONS, Health state life expectancies by national deprivation deciles, England: 2018 to 2020, Table 1.
    published = inequalities.load_published_england_gaps()
    assert {sex: p.years for sex, p in published.items()} == {"Female": 7.9, "Male": 9.7}
    men = published["Male"]
    assert men.period == "2018 to 2020"
    assert men.citation == (
        "ONS, Health state life expectancies by national deprivation deciles, England: 2018 to 2020, Table 1"
    )
    assert "IMD 2019" in men.deprivation and "LSOA" in men.deprivation
    healthy = inequalities.load_published_england_gaps(measure="healthy life expectancy")
    assert {sex: p.years for sex, p in healthy.items()} == {"Female": 19.3, "Male": 18.6}
    assert (GEODATA_DIR / inequalities.PUBLISHED_GAP_FILE).exists()


def test_a_damaged_published_file_is_refused_with_the_file_named(tmp_path: Path) -> None:
    text = (GEODATA_DIR / inequalities.PUBLISHED_GAP_FILE).read_text().replace(",9.7,", ",97,")
    damaged = tmp_path / "gaps.csv"
    damaged.write_text(text)
    with pytest.raises(DataValidationError, match="gaps.csv") as error:
        inequalities.load_published_england_gaps(damaged)
    assert "sii_years" in str(error.value)
    one_sex = tmp_path / "one_sex.csv"
    one_sex.write_text("\n".join(line for line in text.splitlines() if ",Male," not in line))
    with pytest.raises(DataValidationError, match="Female and Male"):
        inequalities.load_published_england_gaps(one_sex)


def test_the_two_england_figures_are_explained_in_plain_english() -> None:
    published = inequalities.load_published_england_gaps()
    text = inequalities.england_gap_explanation(published["Male"])
    assert "neighbourhoods" in text and "GP practice" in text and "2018 to 2020" in text
    assert "same method" in text and "smaller" in text


def test_the_life_expectancy_bars_start_at_zero() -> None:
    figure = life_expectancy_gap_figure(FIFTHS, GAPS, where="North ICB")
    axis = figure.layout.yaxis
    assert axis.range is None or axis.range[0] == 0
    assert axis.rangemode == "tozero"


def test_the_gap_comparison_puts_the_footprint_beside_both_england_figures() -> None:
    published = inequalities.load_published_england_gaps()
    figure = life_expectancy_gap_comparison_figure(GAPS, ENGLAND, published, where="North ICB")
    assert figure.layout.xaxis.rangemode == "tozero"
    bars = {trace.name: trace for trace in figure.data}
    assert set(bars) == {"North ICB", "England, same practice method", "England, ONS published (2018 to 2020)"}
    assert list(bars["North ICB"].x) == [3.6, 4.5] and list(bars["North ICB"].y) == ["Women", "Men"]
    assert list(bars["England, ONS published (2018 to 2020)"].x) == [7.9, 9.7]
    assert list(bars["England, same practice method"].error_x.array) == pytest.approx([0.3, 0.3])
    assert bars["England, ONS published (2018 to 2020)"].error_x.visible is not True  # none published here


def test_the_pack_charts_of_life_expectancy_start_at_zero() -> None:
    for figure in (
        board_pack.life_expectancy_gap_chart(FIFTHS, GAPS),
        board_pack.gap_comparison_chart(GAPS, ENGLAND, inequalities.load_published_england_gaps(), where="North"),
    ):
        axes = figure.axes[0]
        low = axes.get_ylim()[0] if axes.get_ylabel().startswith("Life") else axes.get_xlim()[0]
        assert low == 0
