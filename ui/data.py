"""Cached access to the shipped data (shared, read-only) with the user's stored replacements applied."""

from __future__ import annotations

import logging

import geopandas as gpd
import pandas as pd
import pydeck as pdk
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from phm_core import geography, geography_files, geoversions, loaders, maps, narrative, neighbourhoods, replacements
from phm_core.geoversions import GeographyVersion
from phm_core.settings import data_dir

GEOGRAPHY_PARAM = "geo"
LOGGER = logging.getLogger(__name__)


def replacement_signature() -> tuple[tuple[str, float], ...]:
    """Changes whenever a stored replacement or geography version is added or removed, so caches are rebuilt."""
    folder = replacements.replacements_dir(data_dir())
    stored = tuple(sorted((p.name, p.stat().st_mtime) for p in folder.glob("*.parquet"))) if folder.exists() else ()
    return stored + geography_signature()


def geography_signature() -> tuple[tuple[str, float], ...]:
    """Changes whenever a geography version is loaded or removed, so cached tables are rebuilt."""
    folder = geography_files.geography_dir(data_dir())
    if not folder.exists():
        return ()
    return tuple(sorted((p.name, p.stat().st_mtime) for p in folder.glob("*.json")))


@st.cache_resource(show_spinner="Loading the LSOA table ...")
def _base_lsoa_table(signature: tuple[tuple[str, float], ...]) -> tuple[pd.DataFrame, list[str]]:
    return replacements.apply_table_replacements(loaders.load_lsoa(), data_dir=data_dir())


@st.cache_resource(show_spinner=False)
def _geography_versions(signature: tuple[tuple[str, float], ...]) -> dict[str, GeographyVersion]:
    versions = geoversions.load_shipped_versions()
    stored = geography_files.stored_versions(data_dir())
    for key, meta in stored.items():
        shipped = versions.get(key)
        versions[key] = geoversions.version_from_dict({"default_icb": shipped.default_icb if shipped else None, **meta})
    return dict(sorted(versions.items(), key=lambda item: item[1].effective_from, reverse=True))


def geography_versions() -> dict[str, GeographyVersion]:
    """Every geography version the app knows (shipped, or loaded by a user), newest first (shared, read-only)."""
    return _geography_versions(geography_signature())


def geography_version_table() -> pd.DataFrame:
    """One row per geography version for the Data sources page: label, key, ICBs, LSOAs, status and source."""
    rows = []
    for key, version in geography_versions().items():
        table = lsoa_table(key)
        rows.append(
            {
                "Geography": version.label
                + (" (default)" if key == geoversions.default_version_key(geography_versions()) else ""),
                "Key (?geo=)": key,
                "ICBs": len(icb_codes(key)),
                "LSOAs": len(table),
                "Status": {
                    "reconstruction": "Reconstructed",
                    "published": "Published",
                    "official": "Official file loaded",
                }.get(version.status, version.status),
                "Source": version.source,
            }
        )
    return pd.DataFrame(rows)


def geography_basis_table(key: str) -> pd.DataFrame:
    """How each LSOA's ICB was decided in a version: LSOAs and people by basis."""
    table = lsoa_table(key)
    out = table.groupby("basis", as_index=False).agg(LSOAs=("lsoa21_code", "count"), People=("pop_total", "sum"))
    return out.rename(columns={"basis": "How the ICB was decided"}).sort_values("LSOAs", ascending=False)


def geography_version(key: str | None = None) -> GeographyVersion:
    """One version (the session's when ``key`` is None)."""
    versions = geography_versions()
    return versions[key or current_geography()]


def current_geography() -> str:
    """The session's geography version: its footprint's, else the URL's ``geo``, else the default."""
    versions = geography_versions()
    chosen = st.session_state.get("geography")
    if chosen in versions:
        return chosen
    asked = st.query_params.get(GEOGRAPHY_PARAM)
    return asked if asked in versions else geoversions.default_version_key(versions)


@st.cache_resource(show_spinner="Loading the geography ...", max_entries=8)
def _lsoa_on_version(
    key: str, signature: tuple[tuple[str, float], ...], geography: tuple[tuple[str, float], ...]
) -> pd.DataFrame:
    base, _ = _base_lsoa_table(signature)
    stored = geography_files.stored_versions(data_dir())
    if key in stored:
        lookup = geography_files.read_stored_version(key, data_dir=data_dir())
    else:
        lookup = geoversions.load_shipped_lookup(key)
    return geoversions.versioned_lsoa(base, lookup, practices_2024())


def lsoa_table(version: str | None = None) -> pd.DataFrame:
    """The LSOA table on one geography version (the session's by default; shared by every user: do not modify)."""
    return _lsoa_on_version(version or current_geography(), replacement_signature(), geography_signature())


def base_lsoa_table() -> pd.DataFrame:
    """The LSOA table as shipped, with its April 2024 hierarchy and the user's replacements (shared, read-only)."""
    table, _ = _base_lsoa_table(replacement_signature())
    return table


@st.cache_resource(show_spinner=False, max_entries=8)
def _icb_codes(key: str, signature: tuple) -> frozenset[str]:
    return frozenset(lsoa_table(key)["icb_code"].unique())


def icb_codes(version: str | None = None) -> frozenset[str]:
    """The ICB codes of a geography version (the session's by default), worked out once per version."""
    return _icb_codes(version or current_geography(), replacement_signature())


def data_warnings() -> list[str]:
    """Warnings about stored replacements that could not be applied."""
    _, warnings = _base_lsoa_table(replacement_signature())
    return warnings


def version_of_icb(icb_code: str) -> str:
    """A geography version that has this ICB code: the session's if it does, else the newest that does.

    An ICB code names the same LSOAs in every version that has it (ONS gives a changed area a new code), so a
    synthetic population or a model made for a code serves each of them.
    """
    current = current_geography()
    if icb_code in icb_codes(current):
        return current
    for key in geography_versions():
        if icb_code in icb_codes(key):
            return key
    raise KeyError(f"'{icb_code}' is not an ICB code in any geography version")


NEIGHBOURHOODS_FRESH_SECONDS = 10  # how long another session's save can take to show here


@st.cache_data(show_spinner=False, ttl=NEIGHBOURHOODS_FRESH_SECONDS, max_entries=64)
def _read_neighbourhoods(key: str, icb_code: str) -> tuple[neighbourhoods.Neighbourhood, ...]:
    from cohort_store import repository
    from ui import cohort_db  # imported here: the database helpers need ui.maturity, which needs this module

    with cohort_db.session() as s:
        rows = repository.list_neighbourhoods(s, icb_code=icb_code, geography_version=key)
    return tuple(
        neighbourhoods.Neighbourhood(
            name=row.name,
            lsoa_codes=tuple(row.lsoa_codes),
            built_from=str(row.built_from),  # type: ignore[arg-type]
            pcn_codes=tuple(row.pcn_codes),
        )
        for row in rows
    )


def saved_neighbourhoods(key: str, icb_code: str) -> list[neighbourhoods.Neighbourhood]:
    """The neighbourhoods an ICB has saved on a geography version (shared data: read at most once every few
    seconds, and afresh after this process saves a set)."""
    try:
        return list(_read_neighbourhoods(key, icb_code))
    except SQLAlchemyError:
        LOGGER.exception("could not read the neighbourhoods of %s (%s)", icb_code, key)
        st.warning("The saved neighbourhoods could not be read from the database just now; try again shortly.")
        return []


def neighbourhoods_saved() -> None:
    """Forget the neighbourhoods read so far (after a save), so every page reads the new set."""
    _read_neighbourhoods.clear()


@st.cache_resource(show_spinner=False, max_entries=32)
def _lsoa_with_neighbourhoods(
    key: str, icb_code: str, definitions: tuple[neighbourhoods.Neighbourhood, ...], signature: tuple
) -> pd.DataFrame:
    return neighbourhoods.assign_neighbourhood_columns(lsoa_table(key), list(definitions), icb_code=icb_code)


def lsoa_for_icb(key: str, icb_code: str) -> pd.DataFrame:
    """The LSOA table of a geography version with the ICB's saved neighbourhoods as ``neighbourhood_code`` and
    ``neighbourhood_name`` (shared, read-only)."""
    definitions = tuple(saved_neighbourhoods(key, icb_code))
    return _lsoa_with_neighbourhoods(key, icb_code, definitions, replacement_signature())


def lsoa_for(footprint: geography.Footprint) -> pd.DataFrame:
    """The LSOA table a footprint is read from: its geography version's (with its ICB's saved neighbourhoods
    when the footprint is one; shared, read-only)."""
    if footprint.level == "neighbourhood":
        return lsoa_for_icb(footprint.geography, footprint.icb_code)
    return lsoa_table(footprint.geography)


def footprint_signature(footprint: geography.Footprint) -> tuple:
    """What a footprint's cached figures depend on besides the footprint: the stored replacements and geography
    versions, and for a neighbourhood its saved definition (which can change under the same code)."""
    signature = replacement_signature()
    if footprint.level != "neighbourhood":
        return signature
    definitions = saved_neighbourhoods(footprint.geography, footprint.icb_code)
    mine = [
        d
        for d in definitions
        if neighbourhoods.neighbourhood_code(d.name, icb_code=footprint.icb_code) == footprint.area_code
    ]
    return (*signature, ("neighbourhood", tuple(mine)))


def lsoas_of(footprint: geography.Footprint) -> pd.DataFrame:
    """The LSOAs that make up a footprint."""
    return geography.lsoas_in(lsoa_for(footprint), footprint)


@st.cache_resource(show_spinner="Loading boundaries ...")
def _boundaries(level: str, signature: tuple[tuple[str, float], ...]) -> gpd.GeoDataFrame:
    stored = replacements.replacement_boundaries(level, data_dir=data_dir())
    return stored if stored is not None else loaders.load_boundaries(level)  # type: ignore[arg-type]


def boundaries(level: str) -> gpd.GeoDataFrame:
    """Display polygons for one level (shared, read-only)."""
    return _boundaries(level, replacement_signature())


@st.cache_resource(show_spinner=False)
def practices_2024() -> pd.DataFrame:
    """GP practices with their April 2024 sub-ICB and ICB (shared, read-only)."""
    return loaders.load_practices()


@st.cache_resource(show_spinner=False, max_entries=8)
def _practices_on_version(key: str, signature: tuple, geography: tuple) -> pd.DataFrame:
    base, _ = _base_lsoa_table(signature)
    lookup = lsoa_table(key)[["lsoa21_code", "icb_code"]]
    return geoversions.practices_for_version(practices_2024(), base, lookup)


def practices(version: str | None = None) -> pd.DataFrame:
    """GP practices with ``icb_code`` on a geography version (the session's by default; shared, read-only)."""
    return _practices_on_version(version or current_geography(), replacement_signature(), geography_signature())


def practices_in(footprint: geography.Footprint, lsoas: pd.DataFrame) -> pd.DataFrame:
    """Practices of the footprint: by PCN for a PCN, else those located in its LSOAs (or its ICB)."""
    table = practices(footprint.geography)
    if footprint.level == "pcn":
        return table.loc[table["pcn_code"] == footprint.area_code]
    if footprint.level == "icb":
        return table.loc[table["icb_code"] == footprint.icb_code]
    return table.loc[table["lsoa21_code"].isin(lsoas["lsoa21_code"])]


@st.cache_data(show_spinner=False, max_entries=256)
def home_content(footprint: geography.Footprint, signature: tuple[tuple[str, float], ...]) -> dict:
    """Everything the home page shows for a footprint (figures from shared public data only)."""
    lsoa = lsoa_for(footprint)
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


def previous_version(key: str) -> GeographyVersion | None:
    """The geography version in force just before ``key``, or None for the oldest."""
    versions = sorted(geography_versions().values(), key=lambda v: v.effective_from)
    keys = [v.key for v in versions]
    position = keys.index(key)
    return versions[position - 1] if position > 0 else None


@st.cache_resource(show_spinner="Tracing where this ICB came from ...", max_entries=32)
def history_content(footprint: geography.Footprint, signature: tuple[tuple[str, float], ...]) -> dict | None:
    """For an ICB that the previous geography did not have: its predecessors (people and LSOAs taken from each)
    and a map of the pieces. None for an ICB that existed before, or a footprint below an ICB."""
    if footprint.level != "icb":
        return None
    before = previous_version(footprint.geography)
    if before is None:
        return None
    old = lsoa_table(before.key)
    if footprint.icb_code in icb_codes(before.key):
        return None
    new = lsoa_for(footprint)
    pieces = geoversions.predecessors(geoversions.changes_between(old, new), footprint.icb_code)
    labels = {row.icb_code_old: geography.short_icb_name(row.icb_name_old) for row in pieces.itertuples()}
    lsoas = geography.lsoas_in(new, footprint).merge(
        old[["lsoa21_code", "icb_code"]].rename(columns={"icb_code": "predecessor"}), on="lsoa21_code"
    )
    return {
        "before": before,
        "version": geography_versions()[footprint.geography],
        "pieces": pieces,
        "deck": maps.pieces_deck(lsoas, boundaries("lsoa"), piece_column="predecessor", labels=labels),
    }


@st.cache_resource(show_spinner="Drawing the map ...", max_entries=64)
def deprivation_deck(footprint: geography.Footprint, signature: tuple[tuple[str, float], ...]) -> pdk.Deck:
    """The home-page map for a footprint: the same object for the same footprint, so the map keeps its view."""
    lsoas = lsoas_of(footprint)
    return maps.deprivation_deck(lsoas, boundaries("lsoa"), practices=practices_in(footprint, lsoas))
