"""Typed, schema-validated loading of the shipped data and of a user's replacement files.

Every loader takes a path and returns a validated table, or raises :class:`DataValidationError` with a message
that names the file, the column and the rows. Nothing here touches Streamlit or writes anything.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import BinaryIO, Literal

import geopandas as gpd
import pandas as pd
import shapely

from phm_core.settings import GEODATA_DIR
from phm_core.validation import Column, DataValidationError, Problem, TableSchema, require_codes, validate_frame

BoundaryLevel = Literal["lsoa", "msoa", "lad", "sub_icb", "icb"]
BOUNDARY_CODE_COLUMN: dict[str, str] = {
    "lsoa": "lsoa21_code",
    "msoa": "msoa21_code",
    "lad": "ltla24_code",
    "sub_icb": "sicbl24_code",
    "icb": "icb24_code",
}
BOUNDARY_CODE_ALIASES: dict[str, tuple[str, ...]] = {
    "lsoa": ("LSOA21CD", "lsoa_code", "LSOA code (2021)", "code"),
    "msoa": ("MSOA21CD", "msoa_code", "code"),
    "lad": ("LAD24CD", "lad_code", "ltla_code", "code"),
    "sub_icb": ("SICBL24CD", "sub_icb_code", "code"),
    "icb": ("ICB24CD", "icb_code", "code"),
}

LSOA_CODE = r"E01\d{6}"
MSOA_CODE = r"E02\d{6}"
LAD_CODE = r"E0[6-9]\d{6}"
SUB_ICB_CODE = r"E38\d{6}"
ICB_CODE = r"E54\d{6}"
ENGLAND_LSOA_COUNT = 33_755
# Plausibility of a replacement population file. The shipped Census 2021 LSOAs hold 998 to 9,899 usual residents
# (LSOAs are built for 1,000 to 3,000); England's total is the shipped total. A newer estimate may differ from it by
# growth and method, but not by more than the tolerance.
LSOA_POPULATION_RANGE = (100, 30_000)
ENGLAND_POPULATION = 56_489_608
ENGLAND_POPULATION_TOLERANCE = 0.10
# Longitude and latitude (WGS84) that every boundary must lie within: England with a margin.
ENGLAND_BOUNDS = (-7.0, 49.5, 2.1, 56.0)
# British National Grid eastings and northings that cover Great Britain, used to recognise undeclared BNG files.
BRITISH_NATIONAL_GRID_BOUNDS = (-10_000.0, -10_000.0, 710_000.0, 1_300_000.0)
MISSING_SHIPPED_FILE = "file not found; rebuild the shipped data with `make data` (see geodata/PROVENANCE.md)"

DOMAINS: dict[str, str] = {
    "imd": "Index of Multiple Deprivation",
    "income": "Income",
    "employment": "Employment",
    "education": "Education, Skills and Training",
    "health": "Health Deprivation and Disability",
    "crime": "Crime",
    "housing": "Barriers to Housing and Services",
    "environment": "Living Environment",
}
# The name each domain has in the MHCLG File 7 column headings, and in other common builds of the file.
_DOMAIN_FILE_NAMES: dict[str, tuple[str, ...]] = {
    "imd": ("Index of Multiple Deprivation (IMD)", "IMD"),
    "income": ("Income", "Income"),
    "employment": ("Employment", "Employment"),
    "education": ("Education, Skills and Training", "Education"),
    "health": ("Health Deprivation and Disability", "Health"),
    "crime": ("Crime", "Crime"),
    "housing": ("Barriers to Housing and Services", "Housing_and_Services"),
    "environment": ("Living Environment", "Environment"),
}
AGE_BANDS: dict[str, str] = {
    "pop_0_15": "0-15",
    "pop_16_24": "16-24",
    "pop_25_34": "25-34",
    "pop_35_49": "35-49",
    "pop_50_64": "50-64",
    "pop_65_plus": "65+",
}
_AGE_BAND_CENSUS_NAMES: dict[str, str] = {
    "pop_0_15": "Aged 15 years and under",
    "pop_16_24": "Aged 16 to 24 years",
    "pop_25_34": "Aged 25 to 34 years",
    "pop_35_49": "Aged 35 to 49 years",
    "pop_50_64": "Aged 50 to 64 years",
    "pop_65_plus": "Aged 65 years and over",
}
AIR_QUALITY: dict[str, str] = {
    "aq_indicator": "Air-quality indicator (sum of the four ratios to limit values)",
    "aq_no2": "Nitrogen dioxide (ratio to limit value)",
    "aq_benzene": "Benzene (ratio to limit value)",
    "aq_so2": "Sulphur dioxide (ratio to limit value)",
    "aq_particulates": "Particulates (ratio to limit value)",
}


def _imd_columns(*, with_aliases: bool) -> tuple[Column, ...]:
    columns = []
    for key, (official, short) in _DOMAIN_FILE_NAMES.items():
        score_aliases = (f"{short}_score", f"{official} Score", f"{official} Score (rate)") if with_aliases else ()
        rank_aliases = (
            (f"{short}_rank", f"{official} Rank (where 1 is most deprived)", f"{official} Rank") if with_aliases else ()
        )
        decile_aliases = (
            (
                f"{short}_decile",
                f"{official} Decile (where 1 is most deprived 10% of LSOAs)",
                f"{official} Decile",
            )
            if with_aliases
            else ()
        )
        columns += [
            Column(f"{key}_score", "number", minimum=-10, aliases=score_aliases),
            Column(f"{key}_rank", "integer", minimum=1, maximum=ENGLAND_LSOA_COUNT * 2, aliases=rank_aliases),
            Column(f"{key}_decile", "integer", minimum=1, maximum=10, aliases=decile_aliases),
        ]
    return tuple(columns)


def _population_columns(*, with_aliases: bool) -> tuple[Column, ...]:
    total = Column(
        "pop_total",
        "integer",
        minimum=0,
        aliases=("total_usual_residents", "Total", "All usual residents", "population") if with_aliases else (),
    )
    bands = tuple(
        Column(key, "integer", minimum=0, aliases=(census,) if with_aliases else ())
        for key, census in _AGE_BAND_CENSUS_NAMES.items()
    )
    return (total, *bands)


_LSOA_CODE_COLUMN = Column(
    "lsoa21_code", "text", pattern=LSOA_CODE, aliases=("LSOA code (2021)", "LSOA21CD", "lsoa_code", "LSOA code")
)

LSOA_SCHEMA = TableSchema(
    name="LSOA table",
    columns=(
        _LSOA_CODE_COLUMN,
        Column("lsoa21_name", "text"),
        Column("msoa21_code", "text", pattern=MSOA_CODE),
        Column("msoa21_name", "text"),
        Column("ltla24_code", "text", pattern=LAD_CODE),
        Column("ltla24_name", "text"),
        Column("sicbl24_code", "text", pattern=SUB_ICB_CODE),
        Column("sicbl24_code_nhs", "text"),
        Column("sicbl24_name", "text"),
        Column("icb24_code", "text", pattern=ICB_CODE),
        Column("icb24_code_nhs", "text"),
        Column("icb24_name", "text"),
        Column("pcn_code", "text"),
        Column("pcn_name", "text"),
        *_imd_columns(with_aliases=False),
        *_population_columns(with_aliases=False),
        Column("ruc21_code", "text"),
        Column("ruc21_name", "text"),
        Column("ruc21_urban_rural", "text"),
        *(Column(key, "number", minimum=0) for key in AIR_QUALITY),
        Column("aq_n_lsoa11", "integer", minimum=0),
        Column("lon", "number", minimum=-7, maximum=2),
        Column("lat", "number", minimum=49, maximum=56),
    ),
    key=("lsoa21_code",),
)

PRACTICE_SCHEMA = TableSchema(
    name="GP practices",
    columns=(
        Column("practice_code", "text", pattern=r"[A-Z]\d{5}"),
        Column("practice_name", "text"),
        Column("pcn_code", "text"),
        Column("pcn_name", "text"),
        Column("sicbl24_code", "text", pattern=SUB_ICB_CODE),
        Column("icb24_code", "text", pattern=ICB_CODE),
        Column("postcode", "text", nullable=True),
        Column("lat", "number", minimum=49, maximum=56, nullable=True),
        Column("lon", "number", minimum=-7, maximum=2, nullable=True),
        Column("list_size", "integer", minimum=0, nullable=True),
        Column("practice_imd2019_score", "number", nullable=True),
        Column("life_expectancy_female_2020", "number", nullable=True),
        Column("life_expectancy_male_2020", "number", nullable=True),
        Column("lsoa21_code", "text", pattern=LSOA_CODE, nullable=True),
    ),
    key=("practice_code",),
)

HEALTH_INDEX_SCHEMA = TableSchema(
    name="ONS Health Index",
    columns=(
        Column("ltla21_code", "text", pattern=r"E\d{8}"),
        Column("year", "integer", minimum=2000, maximum=2100),
        Column("indicator", "text"),
        Column("value", "number", nullable=True),
    ),
    key=("ltla21_code", "year", "indicator"),
)

PRACTICE_LIFE_EXPECTANCY_SCHEMA = TableSchema(
    name="Practice life expectancy",
    columns=(
        Column("practice_code", "text"),
        Column("year", "integer", minimum=2000, maximum=2100),
        Column("practice_imd_quintile", "integer", minimum=1, maximum=5, nullable=True),
        Column("sex", "text", pattern="Female|Male"),
        Column("life_expectancy", "number", minimum=40, maximum=110),
    ),
    key=("practice_code", "year", "sex"),
)

QOF_PREVALENCE_SCHEMA = TableSchema(
    name="Modelled QOF prevalence",
    columns=(
        Column("lad_code", "text"),
        Column("lad_name", "text"),
        Column("register_code", "text"),
        Column("register_count", "number", minimum=0),
        Column("list", "number", minimum=0),
        Column("prevalence", "number", minimum=0, maximum=1),
    ),
    key=("lad_code", "register_code"),
)

IMD_REPLACEMENT_SCHEMA = TableSchema(
    name="IMD file", columns=(_LSOA_CODE_COLUMN, *_imd_columns(with_aliases=True)), key=("lsoa21_code",)
)
POPULATION_REPLACEMENT_SCHEMA = TableSchema(
    name="Population file",
    columns=(
        _LSOA_CODE_COLUMN,
        *(
            Column(
                c.name, c.kind, minimum=LSOA_POPULATION_RANGE[0], maximum=LSOA_POPULATION_RANGE[1], aliases=c.aliases
            )
            if c.name == "pop_total"
            else c
            for c in _population_columns(with_aliases=True)
        ),
    ),
    key=("lsoa21_code",),
)


def _read_parquet(path: Path, schema: TableSchema) -> pd.DataFrame:
    if not path.exists():
        raise DataValidationError(str(path), [Problem(MISSING_SHIPPED_FILE)])
    return validate_frame(pd.read_parquet(path), schema, source=path.name, keep_extra=True)


def load_lsoa(path: Path | None = None) -> pd.DataFrame:
    """Load the LSOA table: geography hierarchy, IMD 2025, Census 2021 population, rurality, air quality."""
    table = _read_parquet(path or GEODATA_DIR / "lsoa.parquet", LSOA_SCHEMA)
    band_sum = table[list(AGE_BANDS)].sum(axis=1)
    mismatch = (band_sum != table["pop_total"]).to_numpy()
    if mismatch.any():
        raise DataValidationError(
            "lsoa.parquet",
            [Problem("age bands do not add up to pop_total", "pop_total", row_count=int(mismatch.sum()))],
        )
    return table


def load_practices(path: Path | None = None) -> pd.DataFrame:
    """Load GP practices: location, list size, PCN, sub-ICB and ICB."""
    return _read_parquet(path or GEODATA_DIR / "gp_practices.parquet", PRACTICE_SCHEMA)


def load_health_index(path: Path | None = None) -> pd.DataFrame:
    """Load the ONS Health Index indicator values per LAD (2021 codes), 2015-2021, long format."""
    return _read_parquet(path or GEODATA_DIR / "health_index_lad.parquet", HEALTH_INDEX_SCHEMA)


def load_practice_life_expectancy(path: Path | None = None) -> pd.DataFrame:
    """Load OHID practice life expectancy by sex and year, long format."""
    return _read_parquet(path or GEODATA_DIR / "practice_life_expectancy.parquet", PRACTICE_LIFE_EXPECTANCY_SCHEMA)


def load_qof_prevalence(path: Path | None = None) -> pd.DataFrame:
    """Load the House of Commons Library modelled QOF prevalence by LAD."""
    return _read_parquet(path or GEODATA_DIR / "qof_prevalence_lad.parquet", QOF_PREVALENCE_SCHEMA)


def load_boundaries(level: BoundaryLevel, path: Path | None = None) -> gpd.GeoDataFrame:
    """Load display polygons for one level (lsoa, msoa, lad, sub_icb, icb) in WGS84."""
    if level not in BOUNDARY_CODE_COLUMN:
        raise ValueError(f"unknown boundary level '{level}'; choose one of {', '.join(BOUNDARY_CODE_COLUMN)}")
    path = path or GEODATA_DIR / f"boundaries_{level}.parquet"
    if not path.exists():
        raise DataValidationError(str(path), [Problem("file not found")])
    frame = gpd.read_parquet(path)
    return _check_boundaries(frame, level=level, source=path.name)


def _check_boundaries(frame: gpd.GeoDataFrame, *, level: str, source: str) -> gpd.GeoDataFrame:
    code = BOUNDARY_CODE_COLUMN[level]
    problems: list[Problem] = []
    if code not in frame.columns:
        raise DataValidationError(source, [Problem(f"missing the area code column '{code}'")])
    types = frame.geometry.geom_type
    not_polygon = ~types.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if not_polygon.any():
        rows = tuple(int(i) + 1 for i in not_polygon.nonzero()[0][:5])
        problems.append(Problem("geometry is not a polygon", "geometry", rows, int(not_polygon.sum())))
    empty = (frame.geometry.is_empty | frame.geometry.isna()).to_numpy()
    if empty.any():
        rows = tuple(int(i) + 1 for i in empty.nonzero()[0][:5])
        problems.append(Problem("geometry is empty", "geometry", rows, int(empty.sum())))
    duplicated = frame[code].duplicated(keep=False).to_numpy()
    if duplicated.any():
        rows = tuple(int(i) + 1 for i in duplicated.nonzero()[0][:5])
        problems.append(Problem("area code appears more than once", code, rows, int(duplicated.sum())))
    if problems:
        raise DataValidationError(source, problems)
    return frame


def polygonal_part(geom: shapely.Geometry | None) -> shapely.Geometry | None:
    """Return the polygons of a geometry, dropping stray points and lines that repairs can leave behind."""
    if geom is None or geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.unary_union(parts) if parts else shapely.Polygon()


def _read_csv(data: bytes | str | Path | BinaryIO, *, source: str) -> pd.DataFrame:
    """Read a CSV upload as text columns, turning parser failures into a validation error."""
    try:
        if isinstance(data, bytes):
            data = io.BytesIO(data)
        frame = pd.read_csv(data, dtype=str, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    except UnicodeDecodeError:
        raise DataValidationError(source, [Problem("is not UTF-8 text; save it as CSV (UTF-8)")]) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataValidationError(source, [Problem(f"is not a readable CSV file ({first})")]) from None
    return frame


def _to_longitude_latitude(frame: gpd.GeoDataFrame, *, source: str) -> gpd.GeoDataFrame:
    """Convert boundaries to WGS84 longitude and latitude from their declared or recognised coordinate system.

    A GeoJSON file without a ``crs`` member is read as WGS84, so WGS84 is treated as undeclared: coordinates that
    fit longitude and latitude are kept, coordinates that fit British National Grid (EPSG:27700) are converted, and
    anything else is refused. Any other declared system is converted from.
    """
    min_x, min_y, max_x, max_y = frame.total_bounds
    declared = frame.crs
    if declared is not None and declared.to_epsg() != 4326:
        try:
            return frame.to_crs("EPSG:4326")
        except Exception as error:  # pyproj raises several kinds of error for systems it cannot convert
            raise DataValidationError(
                source,
                [Problem(f"its coordinate reference system cannot be converted to longitude and latitude ({error})")],
            ) from None
    if -180 <= min_x and max_x <= 180 and -90 <= min_y and max_y <= 90:
        return frame.set_crs("EPSG:4326", allow_override=True)
    east_low, north_low, east_high, north_high = BRITISH_NATIONAL_GRID_BOUNDS
    if east_low <= min_x and max_x <= east_high and north_low <= min_y and max_y <= north_high:
        return frame.set_crs("EPSG:27700", allow_override=True).to_crs("EPSG:4326")
    raise DataValidationError(
        source,
        [
            Problem(
                f"its coordinates (x {min_x:,.0f} to {max_x:,.0f}, y {min_y:,.0f} to {max_y:,.0f}) are in a coordinate "
                "reference system that is not declared and not recognised; save the file in WGS84 longitude and "
                "latitude (EPSG:4326) or British National Grid (EPSG:27700), or declare its system"
            )
        ],
    )


def _require_usable_polygons_in_england(frame: gpd.GeoDataFrame, *, source: str) -> None:
    """Refuse repaired boundaries that have no area or lie (partly) outside England."""
    problems: list[Problem] = []
    no_area = (frame.geometry.is_empty | (shapely.area(frame.geometry.values) <= 0)).to_numpy()
    if no_area.any():
        rows = tuple(int(i) + 1 for i in no_area.nonzero()[0][:5])
        problems.append(Problem("has no area, even after repair", "geometry", rows, int(no_area.sum())))
    west, south, east, north = ENGLAND_BOUNDS
    bounds = frame.geometry.bounds
    outside = (
        ~no_area
        & ~(
            (bounds["minx"] >= west) & (bounds["maxx"] <= east) & (bounds["miny"] >= south) & (bounds["maxy"] <= north)
        ).to_numpy()
    )
    if outside.any():
        rows = tuple(int(i) + 1 for i in outside.nonzero()[0][:5])
        problems.append(
            Problem(
                f"lies outside England (longitude {west} to {east}, latitude {south} to {north})",
                "geometry",
                rows,
                int(outside.sum()),
            )
        )
    if problems:
        raise DataValidationError(source, problems)


def read_imd_replacement(
    data: bytes | str | Path | BinaryIO, *, source: str, known_lsoas: pd.Index | None = None
) -> pd.DataFrame:
    """Read and validate a replacement IMD file (e.g. a newer release) covering every LSOA in England.

    Accepts our column names, the MHCLG File 7 headings, or ``IMD_score``-style names. Returns one row per LSOA
    with ``lsoa21_code`` and the 24 score, rank and decile columns.
    """
    frame = validate_frame(_read_csv(data, source=source), IMD_REPLACEMENT_SCHEMA, source=source)
    if known_lsoas is not None:
        require_codes(
            frame["lsoa21_code"],
            known_lsoas,
            source=source,
            column="lsoa21_code",
            what="LSOAs (2021) in England",
            complete=True,
        )
    return frame


def read_population_replacement(
    data: bytes | str | Path | BinaryIO, *, source: str, known_lsoas: pd.Index | None = None
) -> pd.DataFrame:
    """Read and validate a replacement population file: total and six age bands per LSOA 2021."""
    frame = validate_frame(_read_csv(data, source=source), POPULATION_REPLACEMENT_SCHEMA, source=source)
    band_sum = frame[list(AGE_BANDS)].sum(axis=1)
    mismatch = (band_sum != frame["pop_total"]).to_numpy()
    if mismatch.any():
        rows = tuple(int(i) + 2 for i in mismatch.nonzero()[0][:5])
        raise DataValidationError(
            source, [Problem("the six age bands do not add up to the total", "pop_total", rows, int(mismatch.sum()))]
        )
    if known_lsoas is not None:
        require_codes(
            frame["lsoa21_code"],
            known_lsoas,
            source=source,
            column="lsoa21_code",
            what="LSOAs (2021) in England",
            complete=True,
        )
        _require_plausible_england_total(int(frame["pop_total"].sum()), source=source)
    return frame


def _require_plausible_england_total(total: int, *, source: str) -> None:
    """Refuse a complete population file whose total for England is far from the shipped Census 2021 total."""
    low = ENGLAND_POPULATION * (1 - ENGLAND_POPULATION_TOLERANCE)
    high = ENGLAND_POPULATION * (1 + ENGLAND_POPULATION_TOLERANCE)
    if not low <= total <= high:
        raise DataValidationError(
            source,
            [
                Problem(
                    f"the file counts {total:,} residents in England; the shipped Census 2021 data counts "
                    f"{ENGLAND_POPULATION:,}, and a newer estimate should be within "
                    f"{ENGLAND_POPULATION_TOLERANCE:.0%} of it",
                    "pop_total",
                )
            ],
        )


def read_boundary_replacement(
    data: bytes | str | Path | BinaryIO, *, level: BoundaryLevel, source: str, known_codes: pd.Index | None = None
) -> gpd.GeoDataFrame:
    """Read and validate a replacement boundary GeoJSON for one level, returning WGS84 polygons.

    The area code may be in any common property name (``LSOA21CD``, ``lsoa21_code`` ...). Coordinates in British
    National Grid are detected and reprojected, as is any declared coordinate system; invalid polygons are repaired;
    a polygon with no area or outside England is refused.
    """
    if level not in BOUNDARY_CODE_COLUMN:
        raise ValueError(f"unknown boundary level '{level}'")
    try:
        if isinstance(data, bytes):
            data = io.BytesIO(data)
        if hasattr(data, "read"):
            raw = data.read()
            json.loads(raw)  # a clear error for something that is not JSON at all
            frame = gpd.read_file(io.BytesIO(raw if isinstance(raw, bytes) else raw.encode()))
        else:
            frame = gpd.read_file(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise DataValidationError(source, [Problem("is not a GeoJSON file (it is not valid JSON)")]) from None
    except Exception as error:  # pyogrio raises several kinds of error for unreadable files
        raise DataValidationError(source, [Problem(f"could not be read as GeoJSON ({error})")]) from None
    code = BOUNDARY_CODE_COLUMN[level]
    by_normal = {c.lower(): c for c in frame.columns}
    for candidate in (code, *BOUNDARY_CODE_ALIASES[level]):
        if candidate.lower() in by_normal:
            frame = frame.rename(columns={by_normal[candidate.lower()]: code})
            break
    else:
        raise DataValidationError(
            source,
            [Problem(f"no area code property: expected one of {', '.join((code, *BOUNDARY_CODE_ALIASES[level]))}")],
        )
    if frame.empty:
        raise DataValidationError(source, [Problem("has no features")])
    frame = _check_boundaries(frame[[code, "geometry"]].reset_index(drop=True), level=level, source=source)
    frame = _to_longitude_latitude(frame, source=source)
    frame["geometry"] = [polygonal_part(g) for g in shapely.make_valid(frame.geometry.values)]
    _require_usable_polygons_in_england(frame, source=source)
    if known_codes is not None:
        require_codes(
            frame[code].astype(str), known_codes, source=source, column=code, what="known area codes", complete=False
        )
    return frame
