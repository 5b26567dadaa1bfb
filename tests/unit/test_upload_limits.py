"""Replacement uploads are capped in rows, columns and features per table kind, with a clear message (issue 14)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from phm_core import replacements
from phm_core.validation import DataValidationError

pytestmark = pytest.mark.unit


def test_the_limits_leave_room_for_every_lsoa_in_england() -> None:
    assert replacements.upload_limits("population").rows >= 2 * 33_755
    assert replacements.upload_limits("imd").columns >= 60  # MHCLG File 7 has 57 columns


def test_a_csv_with_too_many_rows_is_refused_before_it_is_read(base_lsoa: pd.DataFrame) -> None:
    limit = replacements.upload_limits("population").rows
    content = b"lsoa21_code,pop_total\n" + b"E01000001,1500\n" * (limit + 1)
    with pytest.raises(DataValidationError) as error:
        replacements.validate_upload("population", content, source="big.csv", lsoa=base_lsoa)
    assert f"has {limit + 1:,} data rows; at most {limit:,} are accepted for a population file" in str(error.value)


def test_a_csv_with_too_many_columns_is_refused(base_lsoa: pd.DataFrame) -> None:
    limit = replacements.upload_limits("imd").columns
    header = ",".join(f"c{i}" for i in range(limit + 1)).encode()
    with pytest.raises(DataValidationError) as error:
        replacements.validate_upload("imd", header + b"\n", source="wide.csv", lsoa=base_lsoa)
    assert f"has {limit + 1:,} columns; at most {limit:,} are accepted for an IMD file" in str(error.value)


def test_a_boundary_file_with_too_many_features_is_refused(base_lsoa: pd.DataFrame) -> None:
    limit = replacements.upload_limits("boundaries_icb", lsoa=base_lsoa).rows
    square = {"type": "Polygon", "coordinates": [[[0, 52], [0.01, 52], [0.01, 52.01], [0, 52.01], [0, 52]]]}
    features = [
        {"type": "Feature", "properties": {"ICB24CD": f"E54{i:06d}"}, "geometry": square} for i in range(limit + 1)
    ]
    content = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    with pytest.raises(DataValidationError) as error:
        replacements.validate_upload("boundaries_icb", content, source="many.geojson", lsoa=base_lsoa)
    assert f"has {limit + 1:,} features; at most {limit:,} are accepted" in str(error.value)
