"""Cached access to the shipped data (shared, read-only) with the user's stored replacements applied."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pydeck as pdk
import streamlit as st

from phm_core import geography, loaders, maps, narrative, replacements
from phm_core.settings import data_dir


def replacement_signature() -> tuple[tuple[str, float], ...]:
    """Changes whenever a stored replacement is added or removed, so cached tables are rebuilt."""
    folder = replacements.replacements_dir(data_dir())
    if not folder.exists():
        return ()
    return tuple(sorted((p.name, p.stat().st_mtime) for p in folder.glob("*.parquet")))


@st.cache_resource(show_spinner="Loading the LSOA table ...")
def _lsoa_table(signature: tuple[tuple[str, float], ...]) -> tuple[pd.DataFrame, list[str]]:
    return replacements.apply_table_replacements(loaders.load_lsoa(), data_dir=data_dir())


def lsoa_table() -> pd.DataFrame:
    """The LSOA table (shared by every user; do not modify it)."""
    table, _ = _lsoa_table(replacement_signature())
    return table


def data_warnings() -> list[str]:
    """Warnings about stored replacements that could not be applied."""
    _, warnings = _lsoa_table(replacement_signature())
    return warnings


@st.cache_resource(show_spinner="Loading boundaries ...")
def _boundaries(level: str, signature: tuple[tuple[str, float], ...]) -> gpd.GeoDataFrame:
    stored = replacements.replacement_boundaries(level, data_dir=data_dir())
    return stored if stored is not None else loaders.load_boundaries(level)  # type: ignore[arg-type]


def boundaries(level: str) -> gpd.GeoDataFrame:
    """Display polygons for one level (shared, read-only)."""
    return _boundaries(level, replacement_signature())


@st.cache_resource(show_spinner=False)
def practices() -> pd.DataFrame:
    """GP practices (shared, read-only)."""
    return loaders.load_practices()


def practices_in(footprint: geography.Footprint, lsoas: pd.DataFrame) -> pd.DataFrame:
    """Practices of the footprint: by PCN for a neighbourhood, else those located in its LSOAs (or its ICB)."""
    table = practices()
    if footprint.level == "pcn":
        return table.loc[table["pcn_code"] == footprint.area_code]
    if footprint.level == "icb":
        return table.loc[table["icb24_code"] == footprint.icb_code]
    return table.loc[table["lsoa21_code"].isin(lsoas["lsoa21_code"])]


@st.cache_data(show_spinner=False, max_entries=256)
def home_content(footprint: geography.Footprint, signature: tuple[tuple[str, float], ...]) -> dict:
    """Everything the home page shows for a footprint (figures from shared public data only)."""
    lsoa = lsoa_table()
    lsoas = geography.lsoas_in(lsoa, footprint)
    name = geography.footprint_name(lsoa, footprint)
    summary, noun, plural = geography.area_summary(lsoas, level=footprint.level)
    return {
        "name": name,
        "people": int(lsoas["pop_total"].sum()),
        "lsoa_count": len(lsoas),
        "narrative": narrative.home_narrative(lsoas, lsoa, name=name),
        "age_structure": geography.age_structure(lsoas, lsoa),
        "deprivation_profile": geography.deprivation_profile(lsoas, lsoa),
        "areas": summary,
        "area_noun": noun,
        "area_plural": plural,
        "tier": geography.tier_of(footprint.level),
        "tier_note": geography.tier_note(footprint.level, int(lsoas["pop_total"].sum())),
    }


@st.cache_resource(show_spinner="Drawing the map ...", max_entries=64)
def deprivation_deck(footprint: geography.Footprint, signature: tuple[tuple[str, float], ...]) -> pdk.Deck:
    """The home-page map for a footprint: the same object for the same footprint, so the map keeps its view."""
    lsoas = geography.lsoas_in(lsoa_table(), footprint)
    return maps.deprivation_deck(lsoas, boundaries("lsoa"), practices=practices_in(footprint, lsoas))
