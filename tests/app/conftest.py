"""AppTest fixtures: a fresh cache and a private data directory for every test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def open_page() -> Callable[..., AppTest]:
    """Open a page file as a user would (optionally with URL query parameters) and run it once."""

    def _open(page: str, **query: str) -> AppTest:
        at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=120)
        for key, value in query.items():
            at.query_params[key] = value
        return at.run()

    return _open
