"""Replacement files that are well formed but would wreck the data in use are refused with a report (issue 14)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from phm_core import loaders, replacements
from phm_core.validation import DataValidationError

pytestmark = pytest.mark.unit


def _population(base_lsoa: pd.DataFrame) -> pd.DataFrame:
    return base_lsoa[["lsoa21_code", *replacements.POPULATION_COLUMNS]].copy()


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _with_total(frame: pd.DataFrame, row: int, total: float) -> pd.DataFrame:
    """Set one LSOA's total, putting the whole difference into its 65+ band so the bands still add up."""
    frame = frame.astype({"pop_total": object, "pop_65_plus": object})
    others = int(frame.loc[row, [c for c in loaders.AGE_BANDS if c != "pop_65_plus"]].sum())
    frame.loc[row, "pop_total"] = total
    frame.loc[row, "pop_65_plus"] = total - others if np.isfinite(total) else total
    return frame


def test_the_national_total_constant_is_the_shipped_total(base_lsoa: pd.DataFrame) -> None:
    assert int(base_lsoa["pop_total"].sum()) == loaders.ENGLAND_POPULATION


def test_the_shipped_population_passes_its_own_plausibility_checks(base_lsoa: pd.DataFrame) -> None:
    got = replacements.validate_upload("population", _csv(_population(base_lsoa)), source="p.csv", lsoa=base_lsoa)
    assert len(got) == 33_755


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (0, "column 'pop_total': must be at least 100 (row 5)"),
        (6e15, "column 'pop_total': must be at most 30000 (row 5)"),
    ],
)
def test_an_lsoa_with_an_absurd_population_is_refused(base_lsoa: pd.DataFrame, total: float, expected: str) -> None:
    frame = _with_total(_population(base_lsoa), 3, total)
    with pytest.raises(DataValidationError) as error:
        replacements.validate_upload("population", _csv(frame), source="p.csv", lsoa=base_lsoa)
    assert expected in str(error.value)


@pytest.mark.parametrize("value", ["inf", "-inf", "1e400"])
def test_an_infinite_count_is_reported_not_a_crash(base_lsoa: pd.DataFrame, value: str) -> None:
    frame = _population(base_lsoa).astype({"pop_total": object})
    frame.loc[3, "pop_total"] = value
    with pytest.raises(DataValidationError) as error:
        replacements.validate_upload("population", _csv(frame), source="p.csv", lsoa=base_lsoa)
    assert "column 'pop_total': must be a finite number (row 5)" in str(error.value)


def test_a_national_total_far_from_the_census_is_refused(base_lsoa: pd.DataFrame) -> None:
    doubled = _population(base_lsoa)
    doubled[replacements.POPULATION_COLUMNS] = doubled[replacements.POPULATION_COLUMNS] * 2
    with pytest.raises(DataValidationError) as error:
        replacements.validate_upload("population", _csv(doubled), source="p.csv", lsoa=base_lsoa)
    message = str(error.value)
    assert "112,979,216 residents in England" in message and "56,489,608" in message and "10%" in message
    grown = _population(base_lsoa)  # a later mid-year estimate: 2% more people everywhere is fine
    grown[replacements.POPULATION_COLUMNS] = (grown[replacements.POPULATION_COLUMNS] * 1.02).round().astype(int)
    grown["pop_total"] = grown[list(loaders.AGE_BANDS)].sum(axis=1)
    assert len(replacements.validate_upload("population", _csv(grown), source="p.csv", lsoa=base_lsoa)) == 33_755


def test_an_unexpected_failure_in_validation_becomes_a_report(
    base_lsoa: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise KeyError("internal detail")

    monkeypatch.setattr(replacements, "read_imd_replacement", broken)
    with pytest.raises(DataValidationError) as error:
        replacements.validate_upload("imd", b"lsoa21_code\n", source="imd.csv", lsoa=base_lsoa)
    assert "imd.csv cannot be used" in str(error.value) and "could not be checked" in str(error.value)
    assert "internal detail" not in str(error.value)


# Boundaries ---------------------------------------------------------------------------------------------------


def _feature(code: str, geometry: shapely.Geometry) -> dict:
    return {"type": "Feature", "properties": {"LSOA21CD": code}, "geometry": shapely.geometry.mapping(geometry)}


def _geojson(features: list[dict], *, crs: str | None = None) -> bytes:
    collection: dict = {"type": "FeatureCollection", "features": features}
    if crs:
        collection["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(collection).encode()


@pytest.fixture(scope="module")
def shipped_lsoa_boundaries() -> gpd.GeoDataFrame:
    return loaders.load_boundaries("lsoa")


def test_a_one_row_boundary_file_does_not_replace_every_boundary(base_lsoa: pd.DataFrame) -> None:
    square = shapely.box(-0.10, 51.50, -0.09, 51.51)
    data = _geojson([_feature(base_lsoa["lsoa21_code"].iloc[0], square)])
    with pytest.raises(DataValidationError) as error:
        replacements.validate_upload("boundaries_lsoa", data, source="one.geojson", lsoa=base_lsoa)
    message = str(error.value)
    assert "33,754 of the 33,755" in message and "only the areas in your file" in message


def test_a_partial_boundary_file_replaces_only_its_areas(
    base_lsoa: pd.DataFrame, shipped_lsoa_boundaries: gpd.GeoDataFrame
) -> None:
    code = shipped_lsoa_boundaries["lsoa21_code"].iloc[10]
    square = shapely.box(-0.10, 51.50, -0.09, 51.51)
    data = _geojson([_feature(code, square)])
    got = replacements.validate_upload("boundaries_lsoa", data, source="one.geojson", lsoa=base_lsoa, partial=True)
    assert len(got) == 33_755 and got["lsoa21_code"].is_unique
    by_code = got.set_index("lsoa21_code").geometry
    assert by_code[code].equals_exact(square, 1e-9)
    other = shipped_lsoa_boundaries["lsoa21_code"].iloc[11]
    assert by_code[other].equals(shipped_lsoa_boundaries.set_index("lsoa21_code").geometry[other])


def test_a_self_intersecting_polygon_is_repaired() -> None:
    bow_tie = shapely.Polygon([(0.0, 52.0), (0.01, 52.01), (0.01, 52.0), (0.0, 52.01), (0.0, 52.0)])
    assert not bow_tie.is_valid
    got = loaders.read_boundary_replacement(_geojson([_feature("E01000001", bow_tie)]), level="lsoa", source="b")
    assert got.geometry.is_valid.all() and shapely.area(got.geometry.iloc[0]) > 0


def test_a_polygon_with_no_area_is_refused() -> None:
    flat = shapely.Polygon([(0.0, 52.0), (0.01, 52.0), (0.02, 52.0), (0.0, 52.0)])
    data = _geojson([_feature("E01000001", shapely.box(0.0, 52.0, 0.01, 52.01)), _feature("E01000002", flat)])
    with pytest.raises(DataValidationError, match="column 'geometry': has no area, even after repair \\(row 2\\)"):
        loaders.read_boundary_replacement(data, level="lsoa", source="flat.geojson")


def test_a_declared_coordinate_system_is_converted() -> None:
    web_mercator = shapely.box(-11_000, 6_700_000, -10_000, 6_701_000)  # Greater London, EPSG:3857
    data = _geojson([_feature("E01000001", web_mercator)], crs="urn:ogc:def:crs:EPSG::3857")
    got = loaders.read_boundary_replacement(data, level="lsoa", source="mercator.geojson")
    min_lon, min_lat, max_lon, max_lat = got.total_bounds
    assert -0.2 < min_lon < max_lon < 0.0 and 51.3 < min_lat < max_lat < 51.6


def test_british_national_grid_declared_or_not_is_converted() -> None:
    square = shapely.box(530_000, 180_000, 531_000, 181_000)  # central London
    for crs in (None, "urn:ogc:def:crs:EPSG::27700"):
        got = loaders.read_boundary_replacement(
            _geojson([_feature("E01000001", square)], crs=crs), level="lsoa", source="bng.geojson"
        )
        min_lon, min_lat, _, _ = got.total_bounds
        assert -0.2 < min_lon < 0.0 and 51.4 < min_lat < 51.6


@pytest.mark.parametrize(
    ("geometry", "expected"),
    [
        (shapely.box(2.30, 48.80, 2.31, 48.81), "lies outside England"),  # Paris, in longitude and latitude
        (shapely.box(1_000_000, 5_000_000, 1_001_000, 5_001_000), "coordinate reference system"),
    ],
)
def test_boundaries_outside_england_or_in_an_unknown_system_are_refused(
    geometry: shapely.Geometry, expected: str
) -> None:
    data = _geojson([_feature("E01000001", shapely.box(-0.10, 51.50, -0.09, 51.51)), _feature("E01000002", geometry)])
    with pytest.raises(DataValidationError, match=expected):
        loaders.read_boundary_replacement(data, level="lsoa", source="far.geojson")
