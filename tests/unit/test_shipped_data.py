"""The shipped data is complete and consistent: every LSOA in one ICB, populations that add up exactly."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from phm_core import loaders
from phm_core.geography import LEVEL_COLUMNS, population_by_area
from phm_core.settings import GEODATA_DIR

pytestmark = pytest.mark.unit

ENGLAND_POPULATION_CENSUS_2021 = 56_489_608  # ONS Census 2021 usual residents, England


def test_every_lsoa_in_england_is_present_once(lsoa: pd.DataFrame) -> None:
    assert len(lsoa) == 33_755
    assert lsoa["lsoa21_code"].is_unique
    assert lsoa["lsoa21_code"].str.fullmatch(r"E01\d{6}").all()


def test_there_are_42_icbs_and_each_lsoa_is_in_exactly_one(lsoa: pd.DataFrame) -> None:
    assert lsoa["icb24_code"].nunique() == 42
    assert lsoa.groupby("lsoa21_code")["icb24_code"].nunique().eq(1).all()
    assert lsoa["icb24_code"].notna().all()


def test_england_total_is_the_census_total_and_the_sum_of_lsoas(lsoa: pd.DataFrame) -> None:
    assert int(lsoa["pop_total"].sum()) == ENGLAND_POPULATION_CENSUS_2021


@pytest.mark.parametrize("level", ["icb", "place", "sub_icb", "pcn"])
def test_population_sums_exactly_from_lsoa_to_every_level(lsoa: pd.DataFrame, level: str) -> None:
    areas = population_by_area(lsoa, level=level)
    assert int(areas["pop_total"].sum()) == ENGLAND_POPULATION_CENSUS_2021
    code_column = LEVEL_COLUMNS[level][0]
    expected = lsoa.groupby(code_column)["pop_total"].sum()
    got = areas.groupby("code")["pop_total"].sum()
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)


def test_age_bands_add_up_to_each_lsoa_total(lsoa: pd.DataFrame) -> None:
    assert (lsoa[list(loaders.AGE_BANDS)].sum(axis=1) == lsoa["pop_total"]).all()


def test_default_icb_is_suffolk_and_north_east_essex_with_its_real_population(lsoa: pd.DataFrame) -> None:
    snee = lsoa.loc[lsoa["icb24_code"] == "E54000023"]
    assert len(snee) == 583
    assert int(snee["pop_total"].sum()) == 985_317
    assert snee["icb24_name"].iloc[0] == "NHS Suffolk and North East Essex Integrated Care Board"


def test_imd_deciles_split_england_into_tenths_of_lsoas(lsoa: pd.DataFrame) -> None:
    counts = lsoa["imd_decile"].value_counts()
    assert set(counts.index) == set(range(1, 11))
    assert counts.min() >= 3_375 and counts.max() <= 3_376
    assert lsoa.loc[lsoa["imd_rank"] == 1, "imd_decile"].item() == 1


def test_every_lsoa_has_an_msoa_a_place_and_a_neighbourhood(lsoa: pd.DataFrame) -> None:
    assert lsoa["msoa21_code"].nunique() == 6_856
    assert lsoa["ltla24_code"].nunique() == 296
    assert lsoa["sicbl24_code"].nunique() == 106
    assert lsoa["pcn_code"].notna().all()


def test_practices_belong_to_known_icbs_and_sub_icbs(lsoa: pd.DataFrame, practices: pd.DataFrame) -> None:
    assert set(practices["icb24_code"]) == set(lsoa["icb24_code"])
    assert set(practices["sicbl24_code"]) <= set(lsoa["sicbl24_code"])
    assert practices["lat"].notna().mean() > 0.99


@pytest.mark.parametrize(
    ("level", "count"), [("lsoa", 33_755), ("msoa", 6_856), ("lad", 296), ("sub_icb", 106), ("icb", 42)]
)
def test_boundaries_cover_every_area_with_valid_polygons(level: str, count: int) -> None:
    frame = loaders.load_boundaries(level)
    assert len(frame) == count
    assert frame.geometry.is_valid.all()
    assert frame.crs.to_epsg() == 4326


def test_shipped_data_stays_small() -> None:
    manifest = json.loads((GEODATA_DIR / "manifest.json").read_text())
    total = sum(item["bytes"] for item in manifest["files"].values())
    on_disk = sum(p.stat().st_size for p in GEODATA_DIR.glob("*.parquet"))
    assert total == on_disk
    assert on_disk < 40 * 1024 * 1024


def test_other_shipped_tables_load() -> None:
    health = loaders.load_health_index()
    assert "Life expectancy" in set(health["indicator"])
    assert set(health["year"]) == set(range(2015, 2022))
    assert set(loaders.load_practice_life_expectancy()["sex"]) == {"Female", "Male"}
    assert loaders.load_qof_prevalence()["register_code"].nunique() == 21
