"""Public-health statistics: the standard indicator methods, exact to the published reference values.

Pure functions on pandas DataFrames (no Streamlit). Every function takes ``group_by`` (a column or a list)
and returns one row per group (or per input row) with ``value`` and the limits: ``lowercl``/``uppercl``
for one confidence level, ``lower95_0cl``, ``upper95_0cl``, ``lower99_8cl``, ``upper99_8cl`` ... for
several, plus ``confidence``, ``statistic`` and ``method``. See docs/statistics.md for the methods and the
published values they reproduce.
"""

from phm_core.stats.basic import mean, proportion, rate
from phm_core.stats.benchmark import POLARITIES, benchmark, trend
from phm_core.stats.funnels import funnel_limits
from phm_core.stats.inequality import SII_DEFAULT_SEED, sii
from phm_core.stats.life_expectancy import (
    LIFE_EXPECTANCY_MAXIMUM_CI_WIDTH,
    LIFE_EXPECTANCY_MINIMUM_POPULATION,
    STANDARD_AGE_BANDS,
    age_bands,
    life_expectancy,
)
from phm_core.stats.quantiles import quantiles
from phm_core.stats.standardised import DSR_MINIMUM_EVENTS, ESP2013, dsr, isr
from phm_core.stats.suppression import SUPPRESSION_THRESHOLD, suppress

__all__ = [
    "DSR_MINIMUM_EVENTS",
    "ESP2013",
    "LIFE_EXPECTANCY_MAXIMUM_CI_WIDTH",
    "LIFE_EXPECTANCY_MINIMUM_POPULATION",
    "POLARITIES",
    "SII_DEFAULT_SEED",
    "STANDARD_AGE_BANDS",
    "SUPPRESSION_THRESHOLD",
    "age_bands",
    "benchmark",
    "dsr",
    "funnel_limits",
    "isr",
    "life_expectancy",
    "mean",
    "proportion",
    "quantiles",
    "rate",
    "sii",
    "suppress",
    "trend",
]
