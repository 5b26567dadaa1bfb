"""The shipped data is complete and consistent: every LSOA in one ICB of each geography version (42 ICBs in
April 2024, 36 in April 2026), populations that add up exactly, and the changes between the versions."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from phm_core import geoversions, loaders
from phm_core.geography import LEVEL_COLUMNS, population_by_area
from phm_core.settings import DEFAULT_GEOGRAPHY, DEFAULT_ICB, GEODATA_DIR

pytestmark = pytest.mark.unit

ENGLAND_POPULATION_CENSUS_2021 = 56_489_608  # ONS Census 2021 usual residents, England


def test_every_lsoa_in_england_is_present_once(lsoa: pd.DataFrame) -> None:
    assert len(lsoa) == 33_755
    assert lsoa["lsoa21_code"].is_unique
    assert lsoa["lsoa21_code"].str.fullmatch(r"E01\d{6}").all()


@pytest.fixture(scope="module")
def versions(lsoa: pd.DataFrame, lsoa_2024: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The LSOA table on each shipped geography version."""
    return {"2026-04": lsoa, "2024-04": lsoa_2024}


@pytest.mark.parametrize(("version", "icbs"), [("2024-04", 42), ("2026-04", 36)])
def test_each_version_has_its_icbs_and_each_lsoa_is_in_exactly_one(
    versions: dict[str, pd.DataFrame], version: str, icbs: int
) -> None:
    table = versions[version]
    assert len(table) == 33_755 and table["lsoa21_code"].is_unique
    assert table["icb_code"].notna().all()
    assert table["icb_code"].nunique() == icbs
    assert table["icb_name"].nunique() == icbs
    assert table.groupby("lsoa21_code")["icb_code"].nunique().eq(1).all()
    assert table.groupby("icb_code")["region_code"].nunique().eq(1).all()  # an ICB is in one region
    assert table["region_code"].nunique() == 7  # the seven NHS England regions
    assert int(table["pop_total"].sum()) == ENGLAND_POPULATION_CENSUS_2021  # England is the same in both


def test_april_2024_is_the_hierarchy_the_lsoa_table_was_shipped_with(
    base_lsoa: pd.DataFrame, lsoa_2024: pd.DataFrame
) -> None:
    merged = base_lsoa[["lsoa21_code", "icb24_code", "sicbl24_code"]].merge(lsoa_2024, on="lsoa21_code")
    assert len(merged) == 33_755
    assert (merged["icb24_code"] == merged["icb_code"]).all()
    assert (merged["sicbl24_code"] == merged["sub_icb_code"]).all()


def test_the_shipped_versions_are_labelled_and_name_their_default_icb() -> None:
    versions = geoversions.load_shipped_versions()
    assert list(versions) == ["2026-04", "2024-04"]  # newest first
    assert geoversions.default_version_key(versions) == DEFAULT_GEOGRAPHY == "2026-04"
    assert versions["2026-04"].label == "ICBs as at April 2026"
    assert versions["2024-04"].label == "ICBs as at April 2024"
    assert versions["2026-04"].short_label == "April 2026"
    assert versions["2026-04"].is_reconstruction and not versions["2024-04"].is_reconstruction
    assert versions["2026-04"].default_icb == DEFAULT_ICB == "E54000068"
    assert versions["2024-04"].default_icb == "E54000023"


def test_10207_lsoas_changed_icb_in_april_2026(lsoa: pd.DataFrame, lsoa_2024: pd.DataFrame) -> None:
    assert geoversions.changed_lsoa_count(lsoa_2024, lsoa) == 10_207
    changes = geoversions.changes_between(lsoa_2024, lsoa)
    assert int(changes["lsoas"].sum()) == 33_755
    assert int(changes["people"].sum()) == ENGLAND_POPULATION_CENSUS_2021


def test_suffolk_and_north_east_essex_went_to_norfolk_and_suffolk_and_to_essex(
    lsoa: pd.DataFrame, lsoa_2024: pd.DataFrame
) -> None:
    moved = geoversions.successors(geoversions.changes_between(lsoa_2024, lsoa), "E54000023")
    assert list(moved["icb_code_new"]) == ["E54000068", "E54000066"]  # largest share first
    assert list(moved["icb_name_new"].map(geoversions.short_icb_name)) == ["NHS Norfolk and Suffolk", "NHS Essex"]
    assert int(moved["lsoas"].sum()) == 583 and int(moved["people"].sum()) == 985_317
    assert "E54000023" not in set(lsoa["icb_code"])  # abolished on 1 April 2026


def test_the_frimley_split_is_marked_as_inferred(lsoa: pd.DataFrame, lsoa_2024: pd.DataFrame) -> None:
    frimley = geoversions.successors(geoversions.changes_between(lsoa_2024, lsoa), "E54000034")
    assert len(frimley) == 3  # Thames Valley, Hampshire and Isle of Wight, Surrey and Sussex
    assert frimley["basis"].str.contains("INFERRED").all()
    assert int(frimley["lsoas"].sum()) == 455
    assert int(lsoa["basis"].str.contains("INFERRED").sum()) == 455
    assert not lsoa_2024["basis"].astype(str).str.contains("INFERRED").any()  # April 2024 is published


@pytest.mark.parametrize("version", ["2024-04", "2026-04"])
@pytest.mark.parametrize("level", ["icb", "place", "sub_icb", "pcn", "region"])
def test_population_sums_exactly_from_lsoa_to_every_level(
    versions: dict[str, pd.DataFrame], version: str, level: str
) -> None:
    lsoa = versions[version]
    areas = population_by_area(lsoa, level=level)
    assert int(areas["pop_total"].sum()) == ENGLAND_POPULATION_CENSUS_2021
    code_column = LEVEL_COLUMNS[level][0]
    expected = lsoa.groupby(code_column)["pop_total"].sum()
    got = areas.groupby("code")["pop_total"].sum()
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)


def test_age_bands_add_up_to_each_lsoa_total(lsoa: pd.DataFrame) -> None:
    assert (lsoa[list(loaders.AGE_BANDS)].sum(axis=1) == lsoa["pop_total"]).all()


def test_default_icb_is_norfolk_and_suffolk_with_its_real_population(lsoa: pd.DataFrame) -> None:
    default = lsoa.loc[lsoa["icb_code"] == DEFAULT_ICB]
    assert DEFAULT_ICB == "E54000068"
    assert len(default) == 1_001
    assert int(default["pop_total"].sum()) == 1_676_800
    assert default["icb_name"].iloc[0] == "NHS Norfolk and Suffolk Integrated Care Board"
    assert default["region_name"].iloc[0] == "East of England"


def test_west_and_north_london_has_its_real_population(lsoa: pd.DataFrame) -> None:
    london = lsoa.loc[lsoa["icb_code"] == "E54000071"]
    assert len(london) == 1_989
    assert int(london["pop_total"].sum()) == 3_503_215
    assert london["icb_name"].iloc[0] == "NHS West and North London Integrated Care Board"


def test_suffolk_and_north_east_essex_keeps_its_real_population_in_april_2024(lsoa_2024: pd.DataFrame) -> None:
    snee = lsoa_2024.loc[lsoa_2024["icb_code"] == "E54000023"]
    assert len(snee) == 583
    assert int(snee["pop_total"].sum()) == 985_317
    assert snee["icb_name"].iloc[0] == "NHS Suffolk and North East Essex Integrated Care Board"


def test_imd_deciles_split_england_into_tenths_of_lsoas(lsoa: pd.DataFrame) -> None:
    counts = lsoa["imd_decile"].value_counts()
    assert set(counts.index) == set(range(1, 11))
    assert counts.min() >= 3_375 and counts.max() <= 3_376
    assert lsoa.loc[lsoa["imd_rank"] == 1, "imd_decile"].item() == 1


@pytest.mark.parametrize("version", ["2024-04", "2026-04"])
def test_every_lsoa_has_an_msoa_a_place_a_sub_icb_and_a_neighbourhood(
    versions: dict[str, pd.DataFrame], version: str
) -> None:
    lsoa = versions[version]
    assert lsoa["msoa21_code"].nunique() == 6_856
    assert lsoa["ltla24_code"].nunique() == 296
    assert lsoa["sub_icb_code"].nunique() == 106  # sub-ICB locations keep their April 2024 codes
    assert lsoa["sub_icb_label"].notna().all()
    assert lsoa["pcn_code"].notna().all() and lsoa["pcn_name"].notna().all()


@pytest.mark.parametrize("version", ["2024-04", "2026-04"])
def test_practices_belong_to_known_icbs_and_sub_icbs(
    versions: dict[str, pd.DataFrame],
    base_lsoa: pd.DataFrame,
    practices: pd.DataFrame,
    practices_2024: pd.DataFrame,
    version: str,
) -> None:
    on_version = {"2026-04": practices, "2024-04": practices_2024}[version]
    assert on_version["icb_code"].notna().all()
    assert set(on_version["icb_code"]) == set(versions[version]["icb_code"])
    assert set(on_version["sicbl24_code"]) <= set(base_lsoa["sicbl24_code"])
    assert on_version["lat"].notna().mean() > 0.99


@pytest.mark.parametrize(
    ("level", "count"), [("lsoa", 33_755), ("msoa", 6_856), ("lad", 296), ("sub_icb", 106), ("icb", 42)]
)
def test_boundaries_cover_every_area_with_valid_polygons(level: str, count: int) -> None:
    # The shipped sub-ICB and ICB polygons are April 2024's; maps of any version are drawn from LSOAs.
    frame = loaders.load_boundaries(level)
    assert len(frame) == count
    assert frame.geometry.is_valid.all()
    assert frame.crs.to_epsg() == 4326


def test_shipped_data_stays_small() -> None:
    manifest = json.loads((GEODATA_DIR / "manifest.json").read_text())
    shipped = {p.name: p.stat().st_size for p in GEODATA_DIR.iterdir() if p.name != "manifest.json"}
    assert {name: item["bytes"] for name, item in manifest["files"].items()} == shipped
    on_disk = sum(shipped.values())
    assert on_disk < 40 * 1024 * 1024


def test_other_shipped_tables_load() -> None:
    health = loaders.load_health_index()
    assert "Life expectancy" in set(health["indicator"])
    assert set(health["year"]) == set(range(2015, 2022))
    assert set(loaders.load_practice_life_expectancy()["sex"]) == {"Female", "Male"}
    assert loaders.load_qof_prevalence()["register_code"].nunique() == 21
