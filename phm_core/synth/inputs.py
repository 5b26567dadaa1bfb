"""The shipped open data the generator needs for one ICB, loaded and checked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from phm_core import geoversions, loaders
from phm_core.settings import DEFAULT_GEOGRAPHY, GEODATA_DIR
from phm_core.validation import Column, DataValidationError, Problem, TableSchema, validate_frame

SINGLE_YEAR_FILE = "population_single_year_lsoa.parquet"
PREVALENCE_FILE = "qof_prevalence_lad24.parquet"
SINGLE_YEARS = 91  # 0..89 and 90+
#: Census 2021 age bands as (first, last) single years; the last band is 65 to 90+.
CENSUS_BANDS: dict[str, tuple[int, int]] = {
    "pop_0_15": (0, 15),
    "pop_16_24": (16, 24),
    "pop_25_34": (25, 34),
    "pop_35_49": (35, 49),
    "pop_50_64": (50, 64),
    "pop_65_plus": (65, 90),
}

PREVALENCE_SCHEMA = TableSchema(
    name="Modelled QOF prevalence on LAD 2024",
    columns=(
        Column("ltla24_code", "text", pattern=r"E0[6-9]\d{6}"),
        Column("ltla24_name", "text"),
        Column("register_code", "text"),
        Column("register_count", "number", minimum=0),
        Column("list", "number", minimum=0),
        Column("prevalence", "number", minimum=0, maximum=1),
    ),
    key=("ltla24_code", "register_code"),
)


class UnknownICBError(ValueError):
    """The ICB code is not one of the ICBs of the geography version in use."""


@dataclass(frozen=True)
class SynthesisInputs:
    """Everything the generator reads for one ICB: its LSOAs, single-year age profiles, practices and targets."""

    icb_code: str
    icb_name: str
    lsoa: pd.DataFrame
    single_year_ages: np.ndarray  # LSOAs x 91 single years (mid-2020 profile counts)
    practices: pd.DataFrame
    prevalence: pd.DataFrame  # ltla24_code x register_code -> prevalence (the calibration target)
    geography: str = DEFAULT_GEOGRAPHY  # the geography version the ICB belongs to ("2026-04")

    @property
    def population(self) -> int:
        return int(self.lsoa["pop_total"].sum())


def icb_codes(lsoa: pd.DataFrame) -> dict[str, str]:
    """The ICB codes in the LSOA table with their names."""
    pairs = lsoa[["icb_code", "icb_name"]].drop_duplicates().sort_values("icb_code")
    return dict(zip(pairs["icb_code"], pairs["icb_name"], strict=True))


def check_icb(icb_code: str, lsoa: pd.DataFrame, *, geography: str = DEFAULT_GEOGRAPHY) -> str:
    """Return the ICB's name, or raise UnknownICBError listing a few valid codes."""
    codes = icb_codes(lsoa)
    if icb_code not in codes:
        examples = ", ".join(
            f"{code} ({name.removesuffix(' Integrated Care Board')})" for code, name in list(codes.items())[:3]
        )
        raise UnknownICBError(
            f"'{icb_code}' is not an ICB code in geography {geography}: use one of its {len(codes)} ONS ICB codes "
            f"({min(codes)} ... {max(codes)}), e.g. {examples}"
        )
    return codes[icb_code]


def load_single_year_ages(path: Path | None = None) -> pd.DataFrame:
    """Load the single-year-of-age profiles per LSOA 2021 (``age_0`` ... ``age_90``)."""
    path = path or GEODATA_DIR / SINGLE_YEAR_FILE
    if not path.exists():
        raise DataValidationError(str(path), [Problem(loaders.MISSING_SHIPPED_FILE)])
    table = pd.read_parquet(path)
    columns = [f"age_{a}" for a in range(SINGLE_YEARS)]
    schema = TableSchema(
        name="Single-year ages",
        columns=(
            Column("lsoa21_code", "text", pattern=loaders.LSOA_CODE),
            *(Column(c, "integer", minimum=0) for c in columns),
        ),
        key=("lsoa21_code",),
    )
    checked = validate_frame(table, schema, source=path.name)
    checked[columns] = checked[columns].astype("int32")
    return checked


def load_prevalence_targets(path: Path | None = None) -> pd.DataFrame:
    """Load the modelled QOF prevalence on LAD 2024 codes (the calibration target)."""
    path = path or GEODATA_DIR / PREVALENCE_FILE
    if not path.exists():
        raise DataValidationError(str(path), [Problem(loaders.MISSING_SHIPPED_FILE)])
    return validate_frame(pd.read_parquet(path), PREVALENCE_SCHEMA, source=path.name, keep_extra=True)


def load_inputs(
    icb_code: str,
    *,
    lsoa: pd.DataFrame | None = None,
    practices: pd.DataFrame | None = None,
    single_year_ages: pd.DataFrame | None = None,
    prevalence: pd.DataFrame | None = None,
    geography: str = DEFAULT_GEOGRAPHY,
) -> SynthesisInputs:
    """Load (or take) the shipped tables on a geography version and cut them to one ICB.

    ``lsoa`` and ``practices`` must be on ``geography`` (``icb_code`` columns); raise UnknownICBError for a code
    that is not one of its ICBs.
    """
    lsoa = geoversions.load_versioned_lsoa(geography) if lsoa is None else lsoa
    name = check_icb(icb_code, lsoa, geography=geography)
    inside = lsoa.loc[lsoa["icb_code"] == icb_code].sort_values("lsoa21_code").reset_index(drop=True)
    ages = load_single_year_ages() if single_year_ages is None else single_year_ages
    profile = ages.set_index("lsoa21_code").reindex(inside["lsoa21_code"])
    if profile.isna().any().any():
        raise DataValidationError(SINGLE_YEAR_FILE, [Problem("some LSOAs of the ICB have no age profile")])
    practices = geoversions.load_versioned_practices(geography) if practices is None else practices
    located = practices.loc[
        (practices["icb_code"] == icb_code) & practices["lat"].notna() & practices["lon"].notna()
    ].reset_index(drop=True)
    if located.empty:
        raise DataValidationError("gp_practices.parquet", [Problem(f"no located GP practices in {icb_code}")])
    prevalence = load_prevalence_targets() if prevalence is None else prevalence
    places = set(inside["ltla24_code"])
    targets = prevalence.loc[prevalence["ltla24_code"].isin(places)]
    if set(targets["ltla24_code"]) != places:
        missing = sorted(places - set(targets["ltla24_code"]))
        raise DataValidationError(PREVALENCE_FILE, [Problem(f"no prevalence for places {missing}")])
    return SynthesisInputs(
        icb_code=icb_code,
        icb_name=name,
        lsoa=inside,
        single_year_ages=profile[[f"age_{a}" for a in range(SINGLE_YEARS)]].to_numpy(dtype=np.float64),
        practices=located,
        prevalence=targets.reset_index(drop=True),
        geography=geography,
    )
