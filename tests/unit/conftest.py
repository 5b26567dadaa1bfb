"""Fixtures for unit tests: the shipped tables, loaded once per test session."""

from __future__ import annotations

import pandas as pd
import pytest

from phm_core import loaders


@pytest.fixture(scope="session")
def lsoa() -> pd.DataFrame:
    return loaders.load_lsoa()


@pytest.fixture(scope="session")
def practices() -> pd.DataFrame:
    return loaders.load_practices()
