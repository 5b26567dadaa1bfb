"""Neighbourhoods a PHM lead defines from PCNs or LSOAs: suggestion, validation, summaries and the CSV file."""

from __future__ import annotations

import pandas as pd
import pytest

from phm_core import neighbourhoods as nb
from phm_core.neighbourhoods import Neighbourhood, NeighbourhoodFileError

pytestmark = pytest.mark.unit

ICB = "E54000023"  # NHS Suffolk and North East Essex
VERSION = "2024-04"


@pytest.fixture(scope="module")
def table(lsoa_2024: pd.DataFrame) -> pd.DataFrame:
    """The shipped LSOA table on the April 2024 geography (where NHS Suffolk and North East Essex exists)."""
    return lsoa_2024


@pytest.fixture
def small() -> pd.DataFrame:
    """Two ICBs: A has PCN P1 (3 LSOAs, 30,000 people), P2 (2 LSOAs, 45,000) and one LSOA without a PCN."""
    rows = [
        ("E01000001", "A", "P1", "Alpha PCN", 10_000),
        ("E01000002", "A", "P1", "Alpha PCN", 10_000),
        ("E01000003", "A", "P1", "Alpha PCN", 10_000),
        ("E01000004", "A", "P2", "  Beta   PCN ", 20_000),
        ("E01000005", "A", "P2", "  Beta   PCN ", 25_000),
        ("E01000006", "A", None, None, 5_000),
        ("E01000007", "B", "P2", "  Beta   PCN ", 8_000),
        ("E01000008", "B", "P3", "Gamma PCN", 9_000),
    ]
    frame = pd.DataFrame(rows, columns=["lsoa21_code", "icb_code", "pcn_code", "pcn_name", "pop_total"])
    return frame.assign(lsoa21_name=frame["lsoa21_code"], icb_name="ICB " + frame["icb_code"])


def lsoas(*numbers: int) -> tuple[str, ...]:
    return tuple(f"E01{n:06d}" for n in numbers)


def csv_text(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


# --- size ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("population", "start"),
    [(29_999, "smaller than"), (30_000, "within"), (50_000, "within"), (50_001, "larger than")],
)
def test_size_status_at_the_boundaries_of_30000_to_50000(population: int, start: str) -> None:
    assert nb.NEIGHBOURHOOD_SIZE == (30_000, 50_000)
    status = nb.size_status(population)
    assert status.startswith(start)
    assert "30,000-50,000 people" in status


# --- suggestion and building -----------------------------------------------------------------------------------


def test_suggestion_partitions_the_real_icb_by_pcn(table: pd.DataFrame) -> None:
    inside = table.loc[table["icb_code"] == ICB]
    suggestion = nb.suggest_from_pcns(table, icb_code=ICB)
    assert len(suggestion) == inside["pcn_code"].nunique() > 5
    assert [n.name for n in suggestion] == sorted((n.name for n in suggestion), key=str.lower)
    assert all(n.built_from == "pcn" and len(n.pcn_codes) == 1 and n.name.endswith(" PCN") for n in suggestion)
    codes = [c for n in suggestion for c in n.lsoa_codes]
    assert len(codes) == len(set(codes)) == len(inside) == 583
    summary = nb.summarise_neighbourhoods(table, icb_code=ICB, neighbourhoods=suggestion)
    assert summary["population"].sum() == inside["pop_total"].sum()
    assert nb.validate_neighbourhoods(table, icb_code=ICB, neighbourhoods=suggestion) == []
    assert nb.coverage(table, icb_code=ICB, neighbourhoods=suggestion)["share_people_covered"] == 1.0


def test_suggestion_keeps_only_the_icb_part_of_a_pcn_and_tidies_names(small: pd.DataFrame) -> None:
    suggestion = nb.suggest_from_pcns(small, icb_code="A")
    assert suggestion == [
        Neighbourhood("Alpha PCN", lsoas(1, 2, 3), "pcn", ("P1",)),
        Neighbourhood("Beta PCN", lsoas(4, 5), "pcn", ("P2",)),
    ]
    assert nb.suggest_from_pcns(small, icb_code="nowhere") == []


def test_neighbourhood_from_pcns_takes_every_lsoa_of_the_pcns_inside_the_icb(small: pd.DataFrame) -> None:
    built = nb.neighbourhood_from_pcns(small, icb_code="A", name=" North ", pcn_codes=["P2", "P1", "P2"])
    assert built == Neighbourhood("North", lsoas(1, 2, 3, 4, 5), "pcn", ("P1", "P2"))
    with pytest.raises(ValueError, match="P3"):
        nb.neighbourhood_from_pcns(small, icb_code="A", name="x", pcn_codes=["P1", "P3"])
    with pytest.raises(ValueError, match="at least one PCN"):
        nb.neighbourhood_from_pcns(small, icb_code="A", name="x", pcn_codes=[])


def test_neighbourhood_from_lsoas_refuses_lsoas_outside_the_icb(small: pd.DataFrame) -> None:
    built = nb.neighbourhood_from_lsoas(small, icb_code="A", name="Town", lsoa_codes=["E01000006", "E01000001"])
    assert built == Neighbourhood("Town", lsoas(1, 6), "lsoa")
    with pytest.raises(ValueError, match="E01000007"):
        nb.neighbourhood_from_lsoas(small, icb_code="A", name="Town", lsoa_codes=["E01000001", "E01000007"])
    with pytest.raises(ValueError, match="at least one LSOA"):
        nb.neighbourhood_from_lsoas(small, icb_code="A", name="Town", lsoa_codes=[])


def test_neighbourhood_is_equal_however_its_codes_were_listed() -> None:
    assert Neighbourhood(" X ", ("E01000002", "E01000001", "E01000002"), "lsoa") == Neighbourhood(
        "X", lsoas(1, 2), "lsoa"
    )
    with pytest.raises(ValueError, match="built_from"):
        Neighbourhood("X", lsoas(1), "msoa")  # type: ignore[arg-type]


# --- validation ------------------------------------------------------------------------------------------------


def problems_for(small: pd.DataFrame, *neighbourhoods: Neighbourhood) -> list[str]:
    return nb.validate_neighbourhoods(small, icb_code="A", neighbourhoods=list(neighbourhoods))


def test_a_valid_set_that_leaves_part_of_the_icb_uncovered_passes(small: pd.DataFrame) -> None:
    chosen = [Neighbourhood("North", lsoas(1, 2), "lsoa"), Neighbourhood("Beta", lsoas(4, 5), "pcn", ("P2",))]
    assert problems_for(small, *chosen) == []
    assert nb.coverage(small, icb_code="A", neighbourhoods=chosen) == {
        "lsoas": 6,
        "lsoas_covered": 4,
        "lsoas_not_covered": 2,
        "people": 80_000,
        "people_covered": 65_000,
        "people_not_covered": 15_000,
        "share_people_covered": 65_000 / 80_000,
    }


def test_validation_reports_a_missing_name(small: pd.DataFrame) -> None:
    assert problems_for(small, Neighbourhood("  ", lsoas(1), "lsoa")) == ["1 neighbourhood has no name."]


def test_validation_reports_duplicate_names_ignoring_case_and_spaces(small: pd.DataFrame) -> None:
    problems = problems_for(
        small, Neighbourhood("Ipswich North", lsoas(1), "lsoa"), Neighbourhood(" ipswich NORTH", lsoas(2), "lsoa")
    )
    assert problems == ["The name 'Ipswich North' is used 2 times; each neighbourhood needs its own name."]


def test_validation_reports_a_name_over_100_characters(small: pd.DataFrame) -> None:
    assert problems_for(small, Neighbourhood("n" * 100, lsoas(1), "lsoa")) == []
    (problem,) = problems_for(small, Neighbourhood("n" * 101, lsoas(1), "lsoa"))
    assert "101 characters; at most 100" in problem


def test_validation_reports_a_neighbourhood_without_lsoas(small: pd.DataFrame) -> None:
    assert problems_for(small, Neighbourhood("Empty", (), "lsoa")) == ["'Empty' has no LSOAs."]


def test_validation_names_up_to_five_lsoas_outside_the_icb_and_counts_them(small: pd.DataFrame) -> None:
    (problem,) = problems_for(small, Neighbourhood("Wide", lsoas(1, 7, 8, 20, 21, 22, 23), "lsoa"))
    assert problem == (
        "'Wide' has 6 LSOAs not in ICB A: E01000007, E01000008, E01000020, E01000021, E01000022 and 1 more."
    )


def test_validation_reports_unknown_pcn_codes(small: pd.DataFrame) -> None:
    (problem,) = problems_for(small, Neighbourhood("Mixed", lsoas(1, 2, 3), "pcn", ("P1", "P3")))
    assert problem == "'Mixed' is built from 1 PCN code not in ICB A: P3."


def test_validation_reports_an_overlap_with_both_names_and_the_shared_lsoas(small: pd.DataFrame) -> None:
    north = Neighbourhood("Ipswich North", lsoas(1, 2, 3, 4), "lsoa")
    east = Neighbourhood("Ipswich East", lsoas(2, 3, 4, 5), "lsoa")
    south = Neighbourhood("Ipswich South", lsoas(6), "lsoa")
    assert problems_for(small, north, south, east) == [
        "'Ipswich North' and 'Ipswich East' share 3 LSOAs (E01000002, E01000003, E01000004)."
    ]


def test_validation_reports_more_than_200_neighbourhoods(small: pd.DataFrame) -> None:
    many = [Neighbourhood(f"N{i}", lsoas(1 + i % 6), "lsoa") for i in range(201)]
    problems = nb.validate_neighbourhoods(small, icb_code="A", neighbourhoods=many)
    assert problems[0] == "There are 201 neighbourhoods; at most 200 are allowed."


# --- summaries and footprint columns ---------------------------------------------------------------------------


def test_summary_gives_population_size_status_and_a_stable_code(small: pd.DataFrame) -> None:
    chosen = [Neighbourhood("Alpha", lsoas(1, 2, 3), "pcn", ("P1",)), Neighbourhood("Town", lsoas(4, 7), "lsoa")]
    summary = nb.summarise_neighbourhoods(small, icb_code="A", neighbourhoods=chosen)
    assert list(summary.columns) == ["name", "code", "lsoas", "population", "size_status", "built_from"]
    assert summary["lsoas"].tolist() == [3, 1]  # E01000007 is in ICB B
    assert summary["population"].tolist() == [30_000, 20_000]
    assert summary["size_status"].str.split().str[0].tolist() == ["within", "smaller"]
    assert summary["built_from"].tolist() == ["pcn", "lsoa"]
    assert summary["code"].iloc[0] == nb.neighbourhood_code(" ALPHA ", icb_code="A")
    assert summary["code"].str.fullmatch(r"NBH-[0-9A-F]{8}").all()
    assert nb.neighbourhood_code("Alpha", icb_code="A") != nb.neighbourhood_code("Alpha", icb_code="B")
    assert nb.neighbourhood_code("Alpha", icb_code="A") != nb.neighbourhood_code("Alpha 2", icb_code="A")
    assert nb.summarise_neighbourhoods(small, icb_code="A", neighbourhoods=[]).empty


def test_footprint_columns_name_each_lsoa_of_the_icb_and_leave_the_rest_empty(small: pd.DataFrame) -> None:
    chosen = [Neighbourhood("Alpha", lsoas(1, 2), "lsoa"), Neighbourhood("Beta", lsoas(5, 7), "lsoa")]
    out = nb.assign_neighbourhood_columns(small, chosen, icb_code="A")
    assert "neighbourhood_name" not in small.columns
    assert out["neighbourhood_name"].tolist() == ["Alpha", "Alpha", pd.NA, pd.NA, "Beta", pd.NA, pd.NA, pd.NA]
    assert out.loc[0, "neighbourhood_code"] == nb.neighbourhood_code("Alpha", icb_code="A")
    assert out["neighbourhood_code"].isna().tolist() == out["neighbourhood_name"].isna().tolist()


def test_footprint_columns_on_the_real_suggestion_cover_exactly_the_icb(table: pd.DataFrame) -> None:
    out = nb.assign_neighbourhood_columns(table, nb.suggest_from_pcns(table, icb_code=ICB), icb_code=ICB)
    assert out["neighbourhood_code"].notna().sum() == 583
    assert (out.loc[out["neighbourhood_code"].notna(), "icb_code"] == ICB).all()
    named = out.loc[out["icb_code"] == ICB]
    assert (named["neighbourhood_name"] == named["pcn_name"]).all()


# --- CSV export and import -------------------------------------------------------------------------------------


def read(data: bytes, frame: pd.DataFrame, *, icb_code: str = "A", version: str = VERSION) -> list[Neighbourhood]:
    return nb.neighbourhoods_from_csv(data, lsoa=frame, icb_code=icb_code, geography_version=version)


def test_csv_round_trip_of_the_real_suggestion_and_hand_made_neighbourhoods(table: pd.DataFrame) -> None:
    suggestion = nb.suggest_from_pcns(table, icb_code=ICB)
    merged = nb.neighbourhood_from_pcns(
        table, icb_code=ICB, name="Merged", pcn_codes=suggestion[0].pcn_codes + suggestion[1].pcn_codes
    )
    picked = Neighbourhood("Picked, by hand", suggestion[2].lsoa_codes[:3], "lsoa")
    chosen = [merged, picked, *suggestion[3:]]
    data = nb.neighbourhoods_to_csv(chosen, icb_code=ICB, geography_version=VERSION)
    assert data.startswith(b"\xef\xbb\xbf")
    header, first = data.decode("utf-8-sig").splitlines()[:2]
    assert header == "icb_code,geography_version,neighbourhood,lsoa21_code,built_from,pcn_code"
    assert first.startswith(f"{ICB},{VERSION},Merged,E01") and first.endswith(";".join(merged.pcn_codes))
    assert len(data.decode("utf-8-sig").splitlines()) == 1 + sum(len(n.lsoa_codes) for n in chosen)
    assert read(data, table, icb_code=ICB) == chosen
    assert read(data.removeprefix(b"\xef\xbb\xbf"), table, icb_code=ICB) == chosen


def test_export_neutralises_formulas_and_import_restores_the_names(small: pd.DataFrame) -> None:
    names = ["=HYPERLINK(1)", "+North", "-South", "@East", " =West", "'Quoted"]
    chosen = [Neighbourhood(name, lsoas(i + 1), "lsoa") for i, name in enumerate(names)]
    data = nb.neighbourhoods_to_csv(chosen, icb_code="A", geography_version="=1+1")
    cells = [line.split(",") for line in data.decode("utf-8-sig").splitlines()[1:]]
    assert [row[2] for row in cells] == ["'=HYPERLINK(1)", "'+North", "'-South", "'@East", "'=West", "''Quoted"]
    assert {row[1] for row in cells} == {"'=1+1"}
    assert read(data, small, version="=1+1") == chosen
    tabbed = nb.neighbourhoods_to_csv([Neighbourhood("N", lsoas(1), "lsoa")], icb_code="A", geography_version="\tv")
    assert tabbed.decode("utf-8-sig").splitlines()[1] == "A,'\tv,N,E01000001,lsoa,"
    assert read(tabbed, small, version="\tv") == [Neighbourhood("N", lsoas(1), "lsoa")]


def test_import_accepts_a_minimal_two_column_file_with_loose_headers(small: pd.DataFrame) -> None:
    data = b"\xef\xbb\xbf" + csv_text(
        " Neighbourhood ,LSOA21_CODE", "North,e01000001", "North, E01000002", "", "South,E01000004"
    )
    assert read(data, small) == [Neighbourhood("North", lsoas(1, 2), "lsoa"), Neighbourhood("South", lsoas(4), "lsoa")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"  \r\n", "The file is empty."),
        (csv_text("neighbourhood,lsoa21_code"), "has a header but no rows"),
        (b"\xff\xfe\x00n\x00b", "not a CSV: it is not UTF-8"),
        (b"neighbourhood,lsoa21_code\nN\x00,E01000001\n", "not a CSV: it contains binary data"),
        (b'neighbourhood,lsoa21_code\n"North"x,E01000001\n', "not a CSV that can be read"),
        (csv_text("name,lsoa21_code", "North,E01000001"), "no 'neighbourhood' column"),
        (csv_text("neighbourhood,lsoa", "North,E01000001"), "no 'lsoa21_code' column"),
        (b"x" * (5 * 1024 * 1024 + 1), "larger than 5 MB"),
    ],
)
def test_import_refuses_a_file_that_is_not_a_usable_csv(small: pd.DataFrame, data: bytes, message: str) -> None:
    with pytest.raises(NeighbourhoodFileError, match=message):
        read(data, small)


def test_import_refuses_more_than_50000_rows(small: pd.DataFrame) -> None:
    allowed = csv_text("neighbourhood,lsoa21_code", *["North,E01000001"] * 50_000)
    assert read(allowed, small) == [Neighbourhood("North", lsoas(1), "lsoa")]
    with pytest.raises(NeighbourhoodFileError, match="50,001 rows; at most 50,000"):
        read(allowed + b"North,E01000002\r\n", small)


def test_import_refuses_a_file_for_another_icb_or_geography_version(small: pd.DataFrame) -> None:
    header = ",".join(nb.CSV_COLUMNS)
    with pytest.raises(NeighbourhoodFileError, match="The file is for ICB B, not A."):
        read(csv_text(header, f"B,{VERSION},North,E01000001,lsoa,"), small)
    with pytest.raises(NeighbourhoodFileError, match="The file is for geography 2026-04, not 2024-04."):
        read(csv_text(header, "A,2026-04,North,E01000001,lsoa,"), small)
    assert read(csv_text(header, ",,North,E01000001,,"), small) == [Neighbourhood("North", lsoas(1), "lsoa")]


def test_import_names_the_rows_with_invalid_lsoa_codes_or_no_name(small: pd.DataFrame) -> None:
    data = csv_text("neighbourhood,lsoa21_code", "North,E01000001", "North,E0100000", ",E01000002", "South,W01000001")
    with pytest.raises(NeighbourhoodFileError) as caught:
        read(data, small)
    assert caught.value.problems == [
        "Row 4 has no neighbourhood name.",
        "2 rows (3, 5) have an LSOA code that is not E01 followed by six digits.",
    ]


def test_import_refuses_an_unknown_or_mixed_built_from(small: pd.DataFrame) -> None:
    header = ",".join(nb.CSV_COLUMNS)
    with pytest.raises(NeighbourhoodFileError, match="Row 2 has a built_from other than 'pcn' or 'lsoa'"):
        read(csv_text(header, "A,,North,E01000001,msoa,"), small)
    with pytest.raises(NeighbourhoodFileError, match="Some rows of 'North' say built from 'pcn' and others 'lsoa'"):
        read(csv_text(header, "A,,North,E01000001,pcn,P1", "A,,North,E01000002,lsoa,"), small)


def test_import_runs_the_validation_and_reports_its_problems(small: pd.DataFrame) -> None:
    data = csv_text("neighbourhood,lsoa21_code", "North,E01000001", "East,E01000001", "East,E01000007")
    with pytest.raises(NeighbourhoodFileError) as caught:
        read(data, small)
    assert caught.value.problems == [
        "'East' has 1 LSOA not in ICB A: E01000007.",
        "'North' and 'East' share 1 LSOA (E01000001).",
    ]
    assert "'North' and 'East' share 1 LSOA" in str(caught.value)
