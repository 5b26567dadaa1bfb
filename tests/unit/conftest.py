"""Fixtures for unit tests: the shipped tables, loaded once per test session."""

from __future__ import annotations

import pandas as pd
import pytest

from phm_core import geoversions, loaders


@pytest.fixture(scope="session")
def base_lsoa() -> pd.DataFrame:
    """The LSOA table as shipped (its own hierarchy is April 2024's)."""
    return loaders.load_lsoa()


@pytest.fixture(scope="session")
def lsoa() -> pd.DataFrame:
    """The LSOA table on the default geography (ICBs as at April 2026)."""
    return geoversions.load_versioned_lsoa("2026-04")


@pytest.fixture(scope="session")
def lsoa_2024() -> pd.DataFrame:
    """The LSOA table on the April 2024 geography (42 ICBs)."""
    return geoversions.load_versioned_lsoa("2024-04")


@pytest.fixture(scope="session")
def practices() -> pd.DataFrame:
    """GP practices with ``icb_code`` on the default geography."""
    return geoversions.load_versioned_practices("2026-04")


@pytest.fixture(scope="session")
def practices_2024() -> pd.DataFrame:
    """GP practices with ``icb_code`` on the April 2024 geography."""
    return geoversions.load_versioned_practices("2024-04")
