"""Deprivation and air quality together: national thirds of each, a bivariate map and the people in each cell.

The cell where both are worst is where the PSC childhood-asthma example starts: children living in deprived,
polluted neighbourhoods.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BANDS = ("least", "middle", "most")
# Joshua Stevens' 3x3 bivariate scheme (green = deprivation, blue = air pollution), readable with colour-vision
# deficiency: BIVARIATE_COLOURS[deprivation band][air band], band 0 = least deprived / cleanest third.
BIVARIATE_COLOURS: tuple[tuple[str, str, str], ...] = (
    ("#e8e8e8", "#b5c0da", "#6c83b5"),
    ("#b8d6be", "#90b2b3", "#567994"),
    ("#73ae80", "#5a9178", "#2a5a5b"),
)


def national_thirds(england: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Cut points of England's LSOAs into thirds of IMD score and of the air-quality indicator."""
    return {
        "imd_score": tuple(np.quantile(england["imd_score"], [1 / 3, 2 / 3])),
        "aq_indicator": tuple(np.quantile(england["aq_indicator"], [1 / 3, 2 / 3])),
    }


def assign_bands(lsoas: pd.DataFrame, cuts: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """Add ``deprivation_band`` and ``air_band`` (0, 1, 2 = least, middle, most of England's thirds)."""
    out = lsoas.copy()
    out["deprivation_band"] = np.searchsorted(cuts["imd_score"], out["imd_score"].to_numpy(), side="right")
    out["air_band"] = np.searchsorted(cuts["aq_indicator"], out["aq_indicator"].to_numpy(), side="right")
    return out


def bivariate_table(banded: pd.DataFrame, *, count: str = "pop_total") -> pd.DataFrame:
    """People (or another count) in each deprivation third x air-quality third, as a 3x3 table."""
    table = banded.pivot_table(
        index="deprivation_band", columns="air_band", values=count, aggfunc="sum", fill_value=0
    ).reindex(index=range(3), columns=range(3), fill_value=0)
    table.index = [f"{b} deprived third" for b in BANDS]
    table.columns = [f"{b} polluted third" for b in ("least", "middle", "most")]
    table.index.name = "Deprivation (IMD 2025)"
    return table.astype("int64")


def worst_of_both(banded: pd.DataFrame) -> pd.DataFrame:
    """Neighbourhoods in England's most deprived and most polluted thirds, most deprived first."""
    both = banded.loc[(banded["deprivation_band"] == 2) & (banded["air_band"] == 2)]
    columns = [
        "lsoa21_code",
        "lsoa21_name",
        "ltla24_name",
        "imd_rank",
        "imd_decile",
        "aq_indicator",
        "pop_0_15",
        "pop_total",
    ]
    return both.sort_values("imd_rank")[columns].reset_index(drop=True)


def bivariate_legend() -> list[tuple[int, int, str]]:
    """(deprivation band, air band, colour) for every cell of the legend."""
    return [(d, a, BIVARIATE_COLOURS[d][a]) for d in range(3) for a in range(3)]
