"""Streamlit helpers for the synthetic population: generation with progress on first use, then cached and reused.

The population of an ICB and seed is generated once, written as Parquet in the data directory and reused by
every later run and every user (``st.cache_resource`` holds the loaded, segmented table, read-only). Summaries
are cached per footprint with ``st.cache_data``; they hold only suppressed aggregates of synthetic records.
"""

from __future__ import annotations

import threading

import pandas as pd
import pydeck as pdk
import streamlit as st

from phm_core import geography, segmentation
from phm_core.settings import data_dir
from phm_core.synth import GENERATOR_VERSION, calibration
from phm_core.synth.inputs import load_prevalence_targets
from phm_core.synth.io import PEOPLE_FILE, load_or_generate, population_folder, read_metadata, read_population
from phm_core.synth.io import sample_fraction_setting as sample_fraction
from phm_core.synth.schema import INDEX_DATE
from ui import data

DEFAULT_SEED = 1
SYNTHETIC_NOTICE = (
    "**SYNTHETIC DATA.** Every person on this page is synthetic: generated to match published figures for this "
    "ICB (Census 2021 ages, modelled QOF prevalence by place, life expectancy by deprivation), not real patients. "
    "People who opted out of data sharing are left out unless you include them; counts from 1 to 7, and any that "
    "would reveal them, are suppressed."
)
_generation_locks: dict[tuple[str, int, float], threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(key: tuple[str, int, float]) -> threading.Lock:
    with _locks_guard:
        return _generation_locks.setdefault(key, threading.Lock())


def _stored(icb_code: str, seed: int, fraction: float) -> bool:
    folder = population_folder(icb_code, seed=seed, fraction=fraction, base=data_dir())
    metadata = read_metadata(folder)
    return metadata is not None and metadata.get("generator_version") == GENERATOR_VERSION


def person_level_footprint(footprint: geography.Footprint) -> geography.Footprint:
    """The footprint for person-level pages: a region is wider than one ICB's synthetic people, so its ICB is
    used instead, and the page says so."""
    if footprint.level != "region":
        return footprint
    st.info(
        "Person-level pages work on one ICB's people at a time, so this page shows the whole ICB rather than the "
        "NHS England region chosen in the sidebar."
    )
    return footprint.system


def ensure_population(icb_code: str, *, seed: int = DEFAULT_SEED) -> None:
    """Generate and store the ICB's population if it is not stored yet, showing progress while it runs."""
    fraction = sample_fraction()
    if _stored(icb_code, seed, fraction):
        return
    with _lock_for((icb_code, seed, fraction)):
        if _stored(icb_code, seed, fraction):  # another session made it while this one waited
            return
        sample = "" if fraction >= 1 else f" ({fraction:.0%} sample)"
        with st.status(f"Generating the SYNTHETIC population of this ICB{sample} ...", expanded=True) as status:
            st.caption("This happens once per ICB; the result is saved and reused.")
            bar = st.progress(0.0, text="Starting")
            geography = data.version_of_icb(icb_code)
            population, _ = load_or_generate(
                icb_code,
                seed=seed,
                base=data_dir(),
                fraction=fraction,
                lsoa=data.lsoa_table(geography),
                practices=data.practices(geography),
                geography=geography,
                progress=lambda share, text: bar.progress(min(max(share, 0.0), 1.0), text=text),
            )
            status.update(
                label=f"Generated {len(population.people):,} synthetic people (saved for reuse)",
                state="complete",
                expanded=False,
            )


@st.cache_resource(show_spinner="Loading the synthetic population ...", max_entries=4)
def _segmented(icb_code: str, seed: int, fraction: float, version: str) -> pd.DataFrame:
    folder = population_folder(icb_code, seed=seed, fraction=fraction, base=data_dir())
    return segmentation.add_segments_and_risk(read_population(folder).people)


def segmented_population(icb_code: str, *, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The ICB's synthetic people alive at the index date, with segment and risk tier (shared; do not modify)."""
    ensure_population(icb_code, seed=seed)
    return _segmented(icb_code, seed, sample_fraction(), GENERATOR_VERSION)


def _footprint_people(footprint: geography.Footprint, include_opted_out: bool, seed: int) -> pd.DataFrame:
    people = _segmented(footprint.icb_code, seed, sample_fraction(), GENERATOR_VERSION)
    lsoas = data.lsoas_of(footprint)
    selected = segmentation.select_people(people, footprint, lsoas)
    return selected if include_opted_out else selected.loc[~selected["opted_out"].to_numpy(dtype=bool)]


@st.cache_data(show_spinner="Summarising the segments ...", max_entries=128)
def segment_content(
    footprint: geography.Footprint, include_opted_out: bool, seed: int, fraction: float, version: str
) -> dict:
    """Suppressed summaries of the footprint's synthetic people: by segment, risk tier, and breakdowns."""
    lsoa = data.lsoa_for(footprint)
    everyone = segmentation.select_people(
        _segmented(footprint.icb_code, seed, fraction, version), footprint, geography.lsoas_in(lsoa, footprint)
    )
    people = _footprint_people(footprint, include_opted_out, seed)
    names = segmentation.area_names(lsoa, data.practices(footprint.geography))
    breakdowns = {
        dimension: segmentation.segment_breakdown(people, dimension=dimension, names=names.get(dimension))
        for dimension in ("imd_quintile", "age_band", "ltla24_code", "pcn_code")
    }
    return {
        "name": geography.footprint_name(lsoa, footprint),
        "people": len(people),
        "opted_out": int(everyone["opted_out"].sum()),
        "summary": segmentation.segment_summary(people),
        "risk": segmentation.risk_summary(people),
        "breakdowns": breakdowns,
    }


@st.cache_data(show_spinner=False, max_entries=128)
def people_accounting(footprint: geography.Footprint, seed: int, fraction: float, version: str) -> dict[str, int]:
    """How the footprint's stored synthetic people come down to those counted in its views: everyone generated
    for it, those who died before the index date, those alive who opted out, and the rest (``counted``)."""
    folder = population_folder(footprint.icb_code, seed=seed, fraction=fraction, base=data_dir())
    columns = ["lsoa21_code", "pcn_code", "death_date", "opted_out"]
    people = segmentation.select_people(
        pd.read_parquet(folder / PEOPLE_FILE, columns=columns), footprint, data.lsoas_of(footprint)
    )
    died = (people["death_date"] < pd.Timestamp(INDEX_DATE)).fillna(False).to_numpy(dtype=bool)
    opted_out = ~died & people["opted_out"].to_numpy(dtype=bool)
    return {
        "generated": len(people),
        "died": int(died.sum()),
        "opted_out": int(opted_out.sum()),
        "counted": int((~died & ~opted_out).sum()),
    }


@st.cache_resource(show_spinner="Drawing the map ...", max_entries=64)
def segment_map(
    footprint: geography.Footprint, segment: str, include_opted_out: bool, seed: int, fraction: float, version: str
) -> tuple[pdk.Deck, tuple[float, float]]:
    """The map of where a segment lives in the footprint, and the rates at the ends of its colour scale.

    The same Deck object is returned for the same inputs, so the map keeps its view across reruns.
    """
    people = _footprint_people(footprint, include_opted_out, seed)
    lsoas = data.lsoas_of(footprint)
    if footprint.level == "pcn":  # a PCN's patients live beyond its approximate footprint
        lsoas = data.lsoa_for(footprint).loc[lambda t: t["lsoa21_code"].isin(people["lsoa21_code"].astype("string"))]
    rates = segmentation.segment_rate_by_lsoa(people, segment=segment)
    rates = rates.loc[rates["lsoa21_code"].isin(lsoas["lsoa21_code"])]
    deck = segmentation.segment_deck(rates, lsoas, data.boundaries("lsoa"), segment=segment)
    return deck, segmentation.colour_range(rates)


def people_columns(table: pd.DataFrame) -> dict:
    """Column settings that show every count with thousands separators."""
    return {column: st.column_config.NumberColumn(str(column), format="localized") for column in table.columns}


@st.cache_data(show_spinner="Checking the calibration ...", max_entries=8)
def calibration_content(icb_code: str, seed: int, fraction: float, version: str) -> dict:
    """How close the stored population is to its targets: prevalence by register and place, life expectancy."""
    people = read_population(population_folder(icb_code, seed=seed, fraction=fraction, base=data_dir())).people
    report = calibration.prevalence_report(people, load_prevalence_targets())
    report["target"] = report["target"] * 100
    report["synthetic"] = report["synthetic"] * 100
    columns = ["ltla24_name", "register_code", "condition", "eligible", "target", "synthetic", "error_points"]
    life = calibration.life_expectancy_by_decile(people)
    return {"prevalence": report[columns], "life_expectancy": life, "gaps": calibration.life_expectancy_gap(life)}


def synthetic_badge() -> None:
    """The SYNTHETIC label every view of person-level data carries."""
    st.warning(SYNTHETIC_NOTICE, icon=":material/science:")
