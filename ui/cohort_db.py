"""The process's engine for the cohort store's tables (saved cohorts, export audit, neighbourhoods)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from cohort_store import db as cohort_db
from phm_core.settings import database_url


@st.cache_resource(show_spinner="Opening the cohort database ...")
def _engine(url: str) -> Engine:
    from ui import maturity as maturity_ui  # imported here: ui.maturity needs the footprint, which needs ui.data

    engine = maturity_ui.engine()  # one engine per process, shared with the other pages
    cohort_db.upgrade_to_head(engine)
    return engine


def engine() -> Engine:
    """The process's engine with the cohort tables migrated (shared by every user)."""
    return _engine(database_url())


@contextmanager
def session() -> Iterator[Session]:
    """One session for one unit of work."""
    with Session(engine()) as s:
        yield s
