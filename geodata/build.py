"""Rebuild the shipped data in ``geodata/data/`` from the real open data in ``../shared/data``.

Run from the project root::

    python -m geodata.build --source ../shared/data

Every output is Parquet (GeoParquet for polygons), small enough to ship in the repository. The app never reads
the source folder at run time; it reads only what this script writes, and a few published figures transcribed by
hand from a publication's table (``TRANSCRIBED``), which the script checks and lists in the manifest. See
``geodata/PROVENANCE.md``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from phm_core import geoversions, inequalities
from phm_core.loaders import polygonal_part

OUT_DIR = Path(__file__).resolve().parent / "data"
#: Published figures that are not in the source folder, transcribed from the publication's table and kept in
#: ``geodata/data/`` (see PROVENANCE.md); each is checked by its loader before it is listed in the manifest.
TRANSCRIBED = {inequalities.PUBLISHED_GAP_FILE: inequalities.load_published_england_gaps}
BRITISH_NATIONAL_GRID = "EPSG:27700"
WGS84 = "EPSG:4326"
# Display polygons: simplified in metres (British National Grid), then coordinates snapped to this grid in degrees.
COORDINATE_PRECISION_DEGREES = 1e-4  # about 7 m east-west and 11 m north-south in England
SIMPLIFY_METRES = {"lsoa": 15.0, "msoa": 40.0, "lad": 80.0, "sub_icb": 100.0, "icb": 150.0}

DOMAINS = {
    "IMD": "imd",
    "Income": "income",
    "Employment": "employment",
    "Education": "education",
    "Health": "health",
    "Crime": "crime",
    "Housing_and_Services": "housing",
    "Environment": "environment",
}
AGE_BANDS = {
    "Aged 15 years and under": "pop_0_15",
    "Aged 16 to 24 years": "pop_16_24",
    "Aged 25 to 34 years": "pop_25_34",
    "Aged 35 to 49 years": "pop_35_49",
    "Aged 50 to 64 years": "pop_50_64",
    "Aged 65 years and over": "pop_65_plus",
}
AIR_QUALITY = {
    "air_quality_indicator": "aq_indicator",
    "nitrogen_dioxide_component_of_air_quality_indicator": "aq_no2",
    "benzene_component_of_air_quality_indicator": "aq_benzene",
    "sulphur_dioxide_component_of_air_quality_indicator": "aq_so2",
    "particulates_component_of_air_quality_indicator": "aq_particulates",
    "n_lsoa11": "aq_n_lsoa11",
}
ENGLAND_LSOA_COUNT = 33_755


def _say(message: str) -> None:
    print(message, flush=True)


def _display_geometry(frame: gpd.GeoDataFrame, *, level: str) -> gpd.GeoDataFrame:
    """Simplify polygons in metres, snap to a coarse degree grid, and keep them valid for display."""
    projected = frame.to_crs(BRITISH_NATIONAL_GRID)
    simplified = projected.geometry.simplify(SIMPLIFY_METRES[level], preserve_topology=True)
    back = gpd.GeoSeries(simplified, crs=BRITISH_NATIONAL_GRID).to_crs(WGS84)
    snapped = shapely.set_precision(back.values, COORDINATE_PRECISION_DEGREES, mode="valid_output")
    # Snapping can leave collections with stray lines; keep only the polygonal part.
    snapped = np.array([polygonal_part(geom) for geom in snapped], dtype=object)
    out = frame.copy()
    out["geometry"] = gpd.GeoSeries(snapped, crs=WGS84, index=frame.index)
    empty = out.geometry.is_empty | out.geometry.isna()
    if empty.any():
        # An area collapsed by snapping: fall back to its unsnapped simplified shape.
        out.loc[empty, "geometry"] = back[empty].values
    return out


def build_lsoa_table(source: Path) -> pd.DataFrame:
    """One row per LSOA 2021 in England: hierarchy, IMD 2025, Census 2021 population, rurality, air quality."""
    lookup = pd.read_csv(source / "lookups" / "lookup_lsoa21_icb24.csv")
    wards = pd.read_csv(source / "lookups" / "lookup_lsoa21_ward24_ltla24.csv")
    wards = wards.loc[wards["lsoa21_code"].str.startswith("E"), ["lsoa21_code", "ltla24_code", "ltla24_name"]]
    msoa = gpd.read_file(source / "boundaries" / "msoa21_bsc_england.geojson", ignore_geometry=True)
    imd = pd.read_csv(source / "imd2025_lsoa21" / "imd2025_england_lsoa21.csv")
    population = pd.read_csv(source / "population" / "census2021_usual_residents_lsoa21_age6_wide.csv")
    rurality = pd.read_csv(source / "lookups" / "ruc21_lsoa21.csv")
    air = pd.read_csv(source / "air_quality_lsoa" / "iod2019_air_quality_indicator_mapped_to_lsoa21.csv")

    table = lookup.merge(wards, on="lsoa21_code", how="left", validate="one_to_one")
    # ONS names an LSOA as its MSOA's name plus one letter: "Colchester 018A" is in MSOA "Colchester 018".
    table["msoa21_name"] = table["lsoa21_name"].str[:-1]
    table = table.merge(msoa, on="msoa21_name", how="left", validate="many_to_one")

    renamed = {}
    for source_name, key in DOMAINS.items():
        for measure in ("score", "rank", "decile"):
            renamed[f"{source_name}_{measure}"] = f"{key}_{measure}"
    imd = imd.rename(columns=renamed)
    table = table.merge(imd, on="lsoa21_code", how="left", validate="one_to_one")

    population = population.rename(columns={"total_usual_residents": "pop_total", **AGE_BANDS})
    table = table.merge(
        population[["lsoa21_code", "pop_total", *AGE_BANDS.values()]],
        on="lsoa21_code",
        how="left",
        validate="one_to_one",
    )
    rurality = rurality.rename(columns={"classification": "ruc21_name", "ruc": "ruc21_urban_rural"})
    table = table.merge(rurality, on="lsoa21_code", how="left", validate="one_to_one")
    table = table.merge(air.rename(columns=AIR_QUALITY), on="lsoa21_code", how="left", validate="one_to_one")

    for column in ["pop_total", *AGE_BANDS.values(), "aq_n_lsoa11"]:
        table[column] = table[column].astype("int32")
    for key in DOMAINS.values():
        table[f"{key}_rank"] = table[f"{key}_rank"].astype("int32")
        table[f"{key}_decile"] = table[f"{key}_decile"].astype("int8")
    table = table.sort_values("lsoa21_code").reset_index(drop=True)
    _check_lsoa_table(table)
    return table


def _check_lsoa_table(table: pd.DataFrame) -> None:
    problems = []
    if len(table) != ENGLAND_LSOA_COUNT:
        problems.append(f"{len(table)} LSOAs, expected {ENGLAND_LSOA_COUNT}")
    missing = table.columns[table.isna().any()].tolist()
    if missing:
        problems.append(f"missing values in {missing}")
    if table["icb24_code"].nunique() != 42:
        problems.append(f"{table['icb24_code'].nunique()} ICBs, expected 42")
    band_sum = table[list(AGE_BANDS.values())].sum(axis=1)
    if not (band_sum == table["pop_total"]).all():
        problems.append("age bands do not sum to the LSOA total")
    if problems:
        raise SystemExit("LSOA table failed its checks: " + "; ".join(problems))


def _read_practice_life_expectancy(source: Path) -> pd.DataFrame:
    """OHID practice life expectancy, one row per practice and year (a few practices have F and M on two rows)."""
    life = pd.read_csv(
        source / "health_index_life_expectancy" / "ohid_gp_practice_life_expectancy_msoa_based_by_sex.csv"
    )
    return life.groupby(["Practice.Code", "Year"], as_index=False).first()


def build_practices(source: Path, lsoa_centroids: pd.DataFrame, lsoa: pd.DataFrame) -> pd.DataFrame:
    """GP practices with location, list size and PCN / sub-ICB / ICB from the QOF 2023-24 reference.

    The reference carries 2023 ONS codes; two ICBs were recoded in April 2024 (Surrey Heartlands, Sussex), so
    the ONS codes are taken from the April 2024 lookup through the unchanged NHS (ODS) sub-ICB codes.
    """
    gp = source / "gp_practices"
    reference = pd.read_csv(gp / "qof_2023_24_organisation_reference_practice_pcn_subicb_icb.csv")
    locations = pd.read_csv(gp / "gp_practice_locations_codepointopen.csv")
    payments = pd.read_csv(gp / "nhs_payments_to_general_practice_2022_23.csv", encoding="utf-8-sig")
    imd = pd.read_csv(gp / "ohid_fingertips_practice_imd2019_score_with_icb.csv")
    life = _read_practice_life_expectancy(source)
    practices = reference.rename(
        columns={
            "PRACTICE_CODE": "practice_code",
            "PRACTICE_NAME": "practice_name",
            "PCN_ODS_CODE": "pcn_code",
            "PCN_NAME": "pcn_name",
            "SUB_ICB_ODS_CODE": "sicbl24_code_nhs",
        }
    )[["practice_code", "practice_name", "pcn_code", "pcn_name", "sicbl24_code_nhs"]]
    sub_icbs = lsoa[["sicbl24_code", "sicbl24_code_nhs", "icb24_code", "icb24_code_nhs"]].drop_duplicates()
    practices = practices.merge(sub_icbs, on="sicbl24_code_nhs", how="left", validate="many_to_one")
    practices = practices.merge(locations[["practice_code", "postcode", "lat", "lon"]], on="practice_code", how="left")
    payments = payments.rename(
        columns={
            "Practice Code": "practice_code",
            "Number of Registered Patients (Last Known Figure)": "list_size",
        }
    )
    practices = practices.merge(payments[["practice_code", "list_size"]], on="practice_code", how="left")
    imd = imd.rename(columns={"Practice.Code": "practice_code", "IMD": "practice_imd2019_score"})
    practices = practices.merge(imd[["practice_code", "practice_imd2019_score"]], on="practice_code", how="left")
    latest = life.loc[life["Year"] == 2020].rename(
        columns={
            "Practice.Code": "practice_code",
            "Life_Expectancy_Female": "life_expectancy_female_2020",
            "Life_Expectancy_Male": "life_expectancy_male_2020",
        }
    )
    practices = practices.merge(
        latest[["practice_code", "life_expectancy_female_2020", "life_expectancy_male_2020"]],
        on="practice_code",
        how="left",
    )
    practices["list_size"] = practices["list_size"].round().astype("Int32")
    practices["pcn_name"] = practices["pcn_name"].str.strip()

    # The LSOA each practice sits in (nearest LSOA centroid), so practices can be placed in LADs too.
    located = practices["lat"].notna()
    tree = cKDTree(_to_metres(lsoa_centroids[["lon", "lat"]].to_numpy()))
    _, nearest = tree.query(_to_metres(practices.loc[located, ["lon", "lat"]].to_numpy()))
    practices.loc[located, "lsoa21_code"] = lsoa_centroids["lsoa21_code"].to_numpy()[nearest]
    return practices.sort_values("practice_code").reset_index(drop=True)


def _to_metres(lon_lat: np.ndarray) -> np.ndarray:
    """An equirectangular projection good enough for nearest-neighbour search within England."""
    lon, lat = lon_lat[:, 0], lon_lat[:, 1]
    return np.column_stack([lon * 111_320 * np.cos(np.radians(52.5)), lat * 110_540])


def assign_neighbourhoods(lsoa: pd.DataFrame, practices: pd.DataFrame) -> pd.DataFrame:
    """Give each LSOA the PCN of its nearest GP practice in the same April 2024 ICB (an approximate neighbourhood).

    See :func:`phm_core.geoversions.assign_pcns`; each geography version makes its own assignment.
    """
    return geoversions.assign_pcns(lsoa, practices, icb_column="icb24_code")


# NHS England regions: ONS and ODS codes by name, as in the QOF 2023-24 organisation reference.
def _regions(source: Path) -> pd.DataFrame:
    reference = pd.read_csv(source / "gp_practices" / "qof_2023_24_organisation_reference_practice_pcn_subicb_icb.csv")
    regions = reference[["SUB_ICB_ODS_CODE", "REGION_ONS_CODE", "REGION_ODS_CODE", "REGION_NAME"]].drop_duplicates()
    return regions.rename(
        columns={
            "SUB_ICB_ODS_CODE": "sicbl24_code_nhs",
            "REGION_ONS_CODE": "region_code",
            "REGION_ODS_CODE": "region_code_nhs",
            "REGION_NAME": "region_name",
        }
    )


def build_geography_versions(source: Path, lsoa: pd.DataFrame, practices: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The shipped geography versions: April 2024 (42 ICBs, published) and April 2026 (36, reconstructed).

    Returns one long table (a ``version`` column, then one row per LSOA per version, with each version's PCN
    assignment) and the versions' metadata. Checks what ``shared/data/icb26/SOURCE.txt`` publishes: 33,755 LSOAs
    in each, 42 and 36 ICBs, 10,207 LSOAs whose ICB code changed, England's population unchanged.
    """
    regions = _regions(source)
    by_sub_icb = regions.drop_duplicates("sicbl24_code_nhs")
    v2024 = lsoa[
        [
            "lsoa21_code",
            "sicbl24_code",
            "sicbl24_code_nhs",
            "sicbl24_name",
            "icb24_code",
            "icb24_code_nhs",
            "icb24_name",
        ]
    ].merge(by_sub_icb, on="sicbl24_code_nhs", how="left", validate="many_to_one")
    v2024 = v2024.rename(
        columns={
            "sicbl24_code": "sub_icb_code",
            "sicbl24_code_nhs": "sub_icb_code_nhs",
            "sicbl24_name": "sub_icb_name",
            "icb24_code": "icb_code",
            "icb24_code_nhs": "icb_code_nhs",
            "icb24_name": "icb_name",
        }
    )
    v2024["basis"] = "ONS LSOA (2021) to SICBL to ICB to LAD (April 2024) lookup"

    icb26 = source / "icb26"
    codes = pd.read_csv(icb26 / "icb26_codes.csv")
    lookup26 = pd.read_csv(icb26 / "lookup_lsoa21_icb26.csv")
    region_codes = regions.drop_duplicates("region_name").set_index("region_name")
    codes["region_code"] = codes["nhser_name"].map(region_codes["region_code"])
    codes["region_code_nhs"] = codes["nhser_name"].map(region_codes["region_code_nhs"])
    if codes["region_code"].isna().any():
        raise SystemExit(f"icb26: unknown region names {sorted(codes.loc[codes['region_code'].isna(), 'nhser_name'])}")
    v2026 = lookup26[["lsoa21_code", "icb26_code", "basis"]].merge(
        codes.rename(columns={"icb26_code": "icb26_code"}), on="icb26_code", how="left", validate="many_to_one"
    )
    v2026 = v2026.merge(
        lsoa[["lsoa21_code", "sicbl24_code", "sicbl24_code_nhs", "sicbl24_name"]],
        on="lsoa21_code",
        validate="one_to_one",
    )
    v2026 = v2026.rename(
        columns={
            "sicbl24_code": "sub_icb_code",
            "sicbl24_code_nhs": "sub_icb_code_nhs",
            "sicbl24_name": "sub_icb_name",
            "icb26_code": "icb_code",
            "icb26_ods": "icb_code_nhs",
            "icb26_name": "icb_name",
            "nhser_name": "region_name",
        }
    )
    basis_labels = {
        "merger rule": "merger rule (the whole April 2024 ICB went into one April 2026 ICB)",
        "split by sub-ICB location": "split by sub-ICB location (published succession)",
        "Frimley split inferred from county": "Frimley split INFERRED from the county of the LSOA's district",
        "unchanged": "unchanged since April 2024",
    }
    unknown = sorted(set(v2026["basis"]) - set(basis_labels))
    if unknown:
        raise SystemExit(f"icb26: unknown basis values {unknown}")
    v2026["basis"] = v2026["basis"].map(basis_labels)

    columns = list(geoversions.LOOKUP_COLUMNS)
    tables = {"2024-04": v2024[columns], "2026-04": v2026[columns]}
    out = []
    for key, table in tables.items():
        geoversions.check_lookup(table, source=f"geography {key}", allow_split_sub_icbs=True)
        with_places = lsoa[["lsoa21_code", "lon", "lat", "sicbl24_code", "pop_total"]].merge(table, on="lsoa21_code")
        versioned_practices = geoversions.practices_for_version(practices, lsoa, table)
        with_pcns = geoversions.assign_pcns(with_places, versioned_practices)
        out.append(with_pcns[[*columns, "pcn_code", "pcn_name"]].assign(version=key))
    long = pd.concat(out, ignore_index=True)
    _check_geography_versions(long, lsoa)
    for column in long.columns:
        if column != "lsoa21_code":
            long[column] = long[column].astype("category")
    versions = {
        "versions": [
            {
                "key": "2026-04",
                "label": "ICBs as at April 2026",
                "effective_from": "2026-04-01",
                "status": "reconstruction",
                "source": (
                    "Reconstructed from the published succession rules (shared/data/icb26: icb26_codes.csv, "
                    "lookup_lsoa21_icb26.csv); the Frimley three-way split is inferred from county. Load ONS's "
                    "official April 2026 lookup on the Data sources page to replace it."
                ),
                "default_icb": "E54000068",
                "notes": [
                    "The Frimley split is inferred from the county of each LSOA's district (455 LSOAs).",
                    "Sub-ICB locations keep their April 2024 codes until an official file gives new ones.",
                ],
            },
            {
                "key": "2024-04",
                "label": "ICBs as at April 2024",
                "effective_from": "2024-04-01",
                "status": "published",
                "source": "ONS LSOA (2021) to SICBL to ICB to LAD (April 2024) lookup (shared/data/lookups)",
                "default_icb": "E54000023",
                "notes": [],
            },
        ]
    }
    return long, versions


def _check_geography_versions(long: pd.DataFrame, lsoa: pd.DataFrame) -> None:
    problems = []
    expected_icbs = {"2024-04": 42, "2026-04": 36}
    for key, count in expected_icbs.items():
        table = long.loc[long["version"] == key]
        if len(table) != ENGLAND_LSOA_COUNT or table["lsoa21_code"].nunique() != ENGLAND_LSOA_COUNT:
            problems.append(f"{key}: {len(table)} rows, expected {ENGLAND_LSOA_COUNT} LSOAs once each")
        if table["icb_code"].nunique() != count:
            problems.append(f"{key}: {table['icb_code'].nunique()} ICBs, expected {count}")
        people = table.merge(lsoa[["lsoa21_code", "pop_total"]], on="lsoa21_code")["pop_total"].sum()
        if people != lsoa["pop_total"].sum():
            problems.append(f"{key}: England population {people:,} differs from {lsoa['pop_total'].sum():,}")
        if table[["region_code", "icb_code", "sub_icb_code", "pcn_code"]].isna().any().any():
            problems.append(f"{key}: missing region, ICB, sub-ICB or PCN codes")
    old = long.loc[long["version"] == "2024-04"].set_index("lsoa21_code")["icb_code"]
    new = long.loc[long["version"] == "2026-04"].set_index("lsoa21_code")["icb_code"]
    changed = int((old != new.reindex(old.index)).sum())
    if changed != 10_207:
        problems.append(f"{changed} LSOAs changed ICB code between 2024-04 and 2026-04, expected 10,207")
    if problems:
        raise SystemExit("Geography versions failed their checks: " + "; ".join(problems))


def build_boundaries(source: Path, lsoa: pd.DataFrame) -> dict[str, gpd.GeoDataFrame]:
    """Display polygons for LSOA, MSOA, LAD, sub-ICB and ICB in England."""
    b = source / "boundaries"
    lsoa_geo = gpd.read_file(b / "lsoa21_bsc_england.geojson")[["lsoa21_code", "geometry"]]
    msoa_geo = gpd.read_file(b / "msoa21_bsc_england.geojson")[["msoa21_code", "geometry"]]
    lad_geo = gpd.read_file(b / "ltla24_buc_uk.geojson")
    lad_geo = lad_geo.loc[lad_geo["ltla24_code"].isin(lsoa["ltla24_code"]), ["ltla24_code", "geometry"]]
    sub_icb_geo = gpd.read_file(b / "sicbl24_dissolved_from_lsoa21_bsc.geojson")[["sicbl24_code", "geometry"]]
    icb_geo = gpd.read_file(b / "icb24_dissolved_from_lsoa21_bsc.geojson")[["icb24_code", "geometry"]]
    frames = {
        "lsoa": lsoa_geo,
        "msoa": msoa_geo,
        "lad": lad_geo,
        "sub_icb": sub_icb_geo,
        "icb": icb_geo,
    }
    return {
        level: _display_geometry(frame.sort_values(frame.columns[0]).reset_index(drop=True), level=level)
        for level, frame in frames.items()
    }


def build_health_index(source: Path) -> pd.DataFrame:
    """The ONS Health Index underlying indicator values per LAD (2021 codes), 2015-2021, long format."""
    hi = pd.read_csv(source / "health_index_life_expectancy" / "ons_health_index_ltla21_indicators_2015_2021_long.csv")
    hi["year"] = hi["year"].astype("int16")
    hi["indicator"] = hi["indicator"].astype("category")
    return hi.rename(columns={"ltla21_code": "ltla21_code"}).reset_index(drop=True)


def build_practice_life_expectancy(source: Path) -> pd.DataFrame:
    """OHID life expectancy at birth by GP practice (MSOA based), by sex, 2010-2020, long format."""
    life = _read_practice_life_expectancy(source)
    long = life.melt(
        id_vars=["Practice.Code", "Year", "IMD_quintile"],
        value_vars=["Life_Expectancy_Female", "Life_Expectancy_Male"],
        var_name="sex",
        value_name="life_expectancy",
    )
    long["sex"] = long["sex"].map({"Life_Expectancy_Female": "Female", "Life_Expectancy_Male": "Male"})
    long = long.rename(
        columns={"Practice.Code": "practice_code", "Year": "year", "IMD_quintile": "practice_imd_quintile"}
    )
    long = long.dropna(subset=["life_expectancy"])
    long["year"] = long["year"].astype("int16")
    return long.sort_values(["practice_code", "year", "sex"]).reset_index(drop=True)


def build_qof_prevalence(source: Path) -> pd.DataFrame:
    """House of Commons Library modelled QOF prevalence 2019/20 by LAD (register, list size, prevalence)."""
    qof = pd.read_csv(source / "qof_modelled_prevalence_hoc" / "hoc_qof1920_modelled_prevalence_lad.csv")
    return qof.rename(columns={"lad_code": "lad_code", "group_code": "register_code", "register": "register_count"})


# Single years of age in the ONS mid-2020 small-area estimates (90 means 90 and over).
SINGLE_YEARS = tuple(range(91))
# LADs created after 2019/20 (Northamptonshire April 2021; Cumbria, North Yorkshire and Somerset April 2023)
# and the 2019/20 districts they replaced (ONS local authority district changes, Open Geography Portal).
LAD_PREDECESSORS: dict[str, tuple[str, ...]] = {
    "E06000061": ("E07000150", "E07000152", "E07000153", "E07000156"),  # North Northamptonshire
    "E06000062": ("E07000151", "E07000154", "E07000155"),  # West Northamptonshire
    "E06000063": ("E07000026", "E07000028", "E07000029"),  # Cumberland
    "E06000064": ("E07000027", "E07000030", "E07000031"),  # Westmorland and Furness
    "E06000065": (
        "E07000163",
        "E07000164",
        "E07000165",
        "E07000166",
        "E07000167",
        "E07000168",
        "E07000169",
    ),  # North Yorkshire
    "E06000066": ("E07000187", "E07000188", "E07000189", "E07000246"),  # Somerset
}


def build_single_year_ages(source: Path, lsoa: pd.DataFrame) -> pd.DataFrame:
    """Persons by single year of age (0..89, 90+) in mid-2020, per LSOA 2021, from the LSOA 2011 estimates.

    Each LSOA 2021 gets the sum of the LSOA 2011 areas linked to it in the ONS best-fit lookup: unchanged and
    merged areas get their own people; an LSOA 2011 split into several LSOA 2021 gives each part its whole age
    profile. The counts are therefore an age *profile* (used for the shares of single years within each Census
    2021 age band), not a population estimate for the LSOA 2021.
    """
    estimates = pd.read_csv(source / "population" / "ons_mye2020_lsoa11_single_year_of_age_persons.csv")
    estimates = estimates.rename(columns={"90+": "90"})
    lookup = pd.read_csv(source / "lookups" / "lookup_lsoa11_lsoa21_ltla22.csv")
    lookup = lookup.loc[lookup["lsoa21_code"].str.startswith("E"), ["lsoa11_code", "lsoa21_code"]].drop_duplicates()
    years = [str(age) for age in SINGLE_YEARS]
    linked = lookup.merge(estimates[["lsoa11_code", *years]], on="lsoa11_code", how="inner", validate="many_to_one")
    profile = linked.groupby("lsoa21_code")[years].sum()
    profile = profile.reindex(lsoa["lsoa21_code"])
    if profile.isna().any().any():
        missing = profile.index[profile.isna().any(axis=1)].tolist()[:5]
        raise SystemExit(f"single-year ages: no LSOA 2011 estimates linked to LSOA 2021 {missing}")
    if profile.to_numpy().max() > np.iinfo(np.uint16).max:
        raise SystemExit("single-year ages: a count does not fit in 16 bits")
    out = profile.round().astype("uint16")
    out.columns = [f"age_{age}" for age in SINGLE_YEARS]
    return out.reset_index().rename(columns={"index": "lsoa21_code"})


def build_qof_prevalence_lad24(qof: pd.DataFrame, lsoa: pd.DataFrame) -> pd.DataFrame:
    """Modelled QOF prevalence 2019/20 on LAD May 2024 codes: the calibration target of the synthetic population.

    LADs unchanged since 2019/20 keep their figures; a LAD created since gets the register counts and list sizes
    of the districts it replaced, summed (so its prevalence is list-weighted).
    """
    lads = lsoa[["ltla24_code", "ltla24_name"]].drop_duplicates()
    successor = {old: new for new, olds in LAD_PREDECESSORS.items() for old in olds}
    unknown = sorted(set(successor) - set(qof["lad_code"]))
    if unknown:
        raise SystemExit(f"QOF prevalence: predecessor districts {unknown} are not in the HoC file")
    qof = qof.assign(ltla24_code=qof["lad_code"].map(successor).fillna(qof["lad_code"]))
    qof = qof.loc[qof["ltla24_code"].isin(lads["ltla24_code"])]
    target = qof.groupby(["ltla24_code", "register_code"], as_index=False).agg(
        register_count=("register_count", "sum"),
        list=("list", "sum"),
        predecessors=("lad_code", lambda codes: " ".join(sorted(codes)) if len(codes) > 1 else ""),
    )
    target["prevalence"] = target["register_count"] / target["list"]
    target = target.merge(lads, on="ltla24_code", how="left", validate="many_to_one")
    missing = sorted(set(lads["ltla24_code"]) - set(target["ltla24_code"]))
    if missing:
        raise SystemExit(f"QOF prevalence: no figures for LAD 2024 {missing}")
    if target.groupby("ltla24_code").size().ne(qof["register_code"].nunique()).any():
        raise SystemExit("QOF prevalence: a LAD 2024 is missing some registers")
    columns = ["ltla24_code", "ltla24_name", "register_code", "register_count", "list", "prevalence", "predecessors"]
    return target[columns].sort_values(["ltla24_code", "register_code"]).reset_index(drop=True)


def build_lad21_to_lad24(source: Path, lsoa: pd.DataFrame) -> pd.DataFrame:
    """Which 2024 LAD each 2021 LAD became, with its Census 2021 population (to weight LAD 2021 statistics).

    LAD 2021 is read from the LSOA 2011 -> 2021 -> LAD 2022 lookup (LAD 2022 codes are the 2021 ones); the
    2023 reorganisations (Cumbria, North Yorkshire, Somerset) merged districts into new unitary authorities, and
    one LSOA of West Northamptonshire moved to Cherwell.
    """
    lookup = pd.read_csv(source / "lookups" / "lookup_lsoa11_lsoa21_ltla22.csv")
    lookup = lookup.loc[lookup["lsoa21_code"].str.startswith("E"), ["lsoa21_code", "ltla22_code"]].drop_duplicates()
    pairs = lookup.merge(lsoa[["lsoa21_code", "ltla24_code", "pop_total"]], on="lsoa21_code")
    # A few LSOAs moved in small boundary changes: each LAD 2021 goes to the LAD 2024 holding most of its people.
    people = pairs.groupby(["ltla22_code", "ltla24_code"], as_index=False)["pop_total"].sum()
    people = people.sort_values("pop_total", ascending=False).drop_duplicates("ltla22_code")
    pairs = people[["ltla22_code", "ltla24_code"]].rename(columns={"ltla22_code": "lad21_code"})
    census = pd.read_csv(source / "population" / "census2021_ltla21_sex_broad_age.csv")
    census = census.rename(columns={"ltla21_code": "lad21_code", "total_population": "lad21_population"})
    out = pairs.merge(census[["lad21_code", "lad21_population"]], on="lad21_code", how="left")
    out["lad21_population"] = out["lad21_population"].astype("int64")
    return out.rename(columns={"ltla24_code": "lad24_code"}).sort_values("lad21_code").reset_index(drop=True)


def write_outputs(source: Path, out_dir: Path = OUT_DIR) -> dict[str, int]:
    """Build every shipped table and write it; return the size in bytes of each file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    _say(f"Reading {source}")
    lsoa = build_lsoa_table(source)
    boundaries = build_boundaries(source, lsoa)

    lsoa_points = gpd.read_file(source / "boundaries" / "lsoa21_bsc_england.geojson")
    projected = lsoa_points.to_crs(BRITISH_NATIONAL_GRID).representative_point().to_crs(WGS84)
    centroids = pd.DataFrame({"lsoa21_code": lsoa_points["lsoa21_code"], "lon": projected.x, "lat": projected.y})
    lsoa = lsoa.merge(centroids, on="lsoa21_code", how="left", validate="one_to_one")

    practices = build_practices(source, centroids, lsoa)
    lsoa = assign_neighbourhoods(lsoa, practices)
    geography_lookup, geography_versions = build_geography_versions(source, lsoa, practices)

    outputs: dict[str, pd.DataFrame] = {
        "lsoa.parquet": lsoa,
        "gp_practices.parquet": practices,
        "health_index_lad.parquet": build_health_index(source),
        "practice_life_expectancy.parquet": build_practice_life_expectancy(source),
        "qof_prevalence_lad.parquet": build_qof_prevalence(source),
        "lad21_to_lad24.parquet": build_lad21_to_lad24(source, lsoa),
        "population_single_year_lsoa.parquet": build_single_year_ages(source, lsoa),
        "qof_prevalence_lad24.parquet": build_qof_prevalence_lad24(build_qof_prevalence(source), lsoa),
        "geography_lookup.parquet": geography_lookup,
    }
    sizes: dict[str, int] = {}
    for name, frame in outputs.items():
        path = out_dir / name
        frame.to_parquet(path, index=False, compression="zstd")
        sizes[name] = path.stat().st_size
    for level, frame in boundaries.items():
        path = out_dir / f"boundaries_{level}.parquet"
        frame.to_parquet(path, index=False, compression="zstd", geometry_encoding="WKB")
        sizes[path.name] = path.stat().st_size
    for name, check in TRANSCRIBED.items():
        path = out_dir / name
        if path.resolve() != (OUT_DIR / name).resolve():
            shutil.copyfile(OUT_DIR / name, path)
        check(path)
        sizes[name] = path.stat().st_size
    versions_path = out_dir / "geography_versions.json"
    versions_path.write_text(json.dumps(geography_versions, indent=2) + "\n")
    sizes[versions_path.name] = versions_path.stat().st_size
    manifest = {
        "source": "../shared/data (see geodata/PROVENANCE.md)",
        "files": {name: {"bytes": size} for name, size in sorted(sizes.items())},
        "lsoa_count": int(len(lsoa)),
        "england_population_census2021": int(lsoa["pop_total"].sum()),
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("../shared/data"), help="folder of the open data")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="where to write the shipped data")
    args = parser.parse_args(argv)
    if not (args.source / "README.md").exists():
        print(f"error: {args.source} does not look like the shared data folder (no README.md)", file=sys.stderr)
        return 2
    sizes = write_outputs(args.source, args.out)
    total = sum(sizes.values())
    for name, size in sorted(sizes.items()):
        _say(f"{name:40s} {size / 1e6:8.2f} MB")
    _say(f"{'total':40s} {total / 1e6:8.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
