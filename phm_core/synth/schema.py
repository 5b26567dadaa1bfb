"""The person-level schema: the linked record an ICB's PHM data would hold, synthetic or real.

One row per person registered (or resident) at the start of a two-year window. Everything describing the
person's state (conditions, frailty, medicines, smoking, care home, palliative care) is as at the **index date**
(or at death, if earlier); activity is counted in **year 1**, the 12 months before the index date, and
**year 2**, the 12 months after. A risk model therefore learns from the state and year 1 and predicts year 2
with no leakage. Hospital and ambulance activity is also held as dated events (``EVENT_COLUMNS``), so that
before-and-after comparisons can use any date (e.g. an intervention's).

``validate_people`` checks a table against this schema (a real extract in the same schema) and fills the
columns that can be derived; ``validate_events`` does the same for the events table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from phm_core.synth import parameters as p
from phm_core.validation import Column, DataValidationError, Problem, TableSchema, validate_frame

YEAR_1_START = dt.date(2023, 4, 1)
INDEX_DATE = dt.date(2024, 4, 1)
YEAR_2_END = dt.date(2025, 3, 31)  # inclusive
YEAR_DAYS = (INDEX_DATE - YEAR_1_START).days  # 366 (2024 is a leap year)
YEAR_2_DAYS = (YEAR_2_END - INDEX_DATE).days + 1  # 365
YEARS = ("y1", "y2")


@dataclass(frozen=True)
class Condition:
    """A long-term condition held as a QOF register: code, label and the register's age rule."""

    name: str
    qof_code: str
    label: str
    minimum_age: int = 0
    counts_in_multimorbidity: bool = True
    multimorbidity_weight: float = 1.0


# QOF 2019/20 register rules: diabetes 17+, CKD, depression, epilepsy and obesity 18+, rheumatoid arthritis 16+,
# osteoporosis 50+ (the House of Commons Library denominators follow them); the rest all ages.
# The multimorbidity weight is the log of the mortality hazard ratio in parameters.MORTALITY_HAZARD_RATIOS,
# rounded, with a floor of 0.1: a stand-in for a published index such as the Cambridge Multimorbidity Score.
CONDITIONS: tuple[Condition, ...] = (
    Condition("hypertension", "HYP", "Hypertension"),
    Condition("diabetes", "DM", "Diabetes", minimum_age=17),
    Condition("asthma", "AST", "Asthma"),
    Condition("copd", "COPD", "COPD"),
    Condition("chd", "CHD", "Coronary heart disease"),
    Condition("heart_failure", "HF", "Heart failure"),
    Condition("atrial_fibrillation", "AF", "Atrial fibrillation"),
    Condition("stroke_tia", "STIA", "Stroke or TIA"),
    Condition("ckd", "CKD", "Chronic kidney disease (stage 3-5)", minimum_age=18),
    Condition("depression", "DEP", "Depression", minimum_age=18),
    Condition("dementia", "DEM", "Dementia"),
    Condition("cancer", "CAN", "Cancer"),
    Condition("smi", "MH", "Serious mental illness"),
    Condition("learning_disability", "LD", "Learning disability"),
    Condition("epilepsy", "EP", "Epilepsy", minimum_age=18),
    Condition("rheumatoid_arthritis", "RA", "Rheumatoid arthritis", minimum_age=16),
    Condition("osteoporosis", "OST", "Osteoporosis (fragility fracture)", minimum_age=50),
    Condition("pad", "PAD", "Peripheral arterial disease"),
    Condition("obesity", "OB", "Obesity (BMI 30+)", minimum_age=18, counts_in_multimorbidity=False),
)
CONDITION_NAMES: tuple[str, ...] = tuple(c.name for c in CONDITIONS)
LONG_TERM_CONDITIONS: tuple[str, ...] = tuple(c.name for c in CONDITIONS if c.counts_in_multimorbidity)
CONDITION_LABELS: dict[str, str] = {c.name: c.label for c in CONDITIONS}
CONDITION_BY_QOF_CODE: dict[str, Condition] = {c.qof_code: c for c in CONDITIONS}
MULTIMORBIDITY_WEIGHTS: dict[str, float] = {
    name: round(max(0.1, float(np.log(p.MORTALITY_HAZARD_RATIOS[name]))), 2) for name in LONG_TERM_CONDITIONS
}
PALLIATIVE_CARE_QOF_CODE = "PC"

ACTIVITIES: dict[str, str] = {
    "gp_contacts": "GP practice contacts",
    "ae_attendances": "A&E attendances",
    "emergency_admissions": "Emergency admissions",
    "bed_days": "Emergency bed days",
    "ambulance_conveyances": "Ambulance conveyances",
}
COST_SETTINGS: dict[str, str] = {
    "gp": "General practice",
    "ae": "A&E",
    "emergency": "Emergency admissions",
    "ambulance": "Ambulance",
}
SEXES = ("F", "M")
SMOKING_STATUSES = ("never", "ex", "current")
FRAILTY_CATEGORIES = p.FRAILTY_CATEGORIES
EVENT_TYPES = ("ae_attendance", "emergency_admission", "ambulance_conveyance")


def activity_column(activity: str, year: str) -> str:
    """The column of one activity in one year: ``activity_column("emergency_admissions", "y1")``."""
    return f"{activity}_{year}"


def cost_column(setting: str, year: str) -> str:
    """The cost column of one setting (``gp``, ``ae``, ``emergency``, ``ambulance`` or ``total``) in one year."""
    return f"cost_{setting}_{year}"


@dataclass(frozen=True)
class Field:
    """One column of the person table: name, storage type, meaning, and whether a real extract must have it."""

    name: str
    dtype: str
    description: str
    required: bool = True


def _fields() -> tuple[Field, ...]:
    fields = [
        Field("person_id", "string", "Pseudonymised person identifier (unique; no direct identifiers)."),
        Field("age", "int16", "Age in whole years at the index date."),
        Field("sex", "category", "F or M (a real extract may use Female/Male or 2/1; mapped on load)."),
        Field("lsoa21_code", "category", "LSOA 2021 of residence."),
        Field("practice_code", "category", "Registered GP practice (ODS code)."),
        Field("pcn_code", "category", "Primary care network of the practice (ODS code; U = not in a PCN)."),
    ]
    for c in CONDITIONS:
        age_rule = f", aged {c.minimum_age}+" if c.minimum_age else ""
        fields.append(
            Field(c.name, "bool", f"On the QOF {c.qof_code} register ({c.label}{age_rule}) at the index date.")
        )
    fields += [
        Field("ltc_count", "int8", "Number of long-term conditions (all registers above except obesity).", False),
        Field("multimorbidity_score", "float32", "Sum of condition weights (schema.MULTIMORBIDITY_WEIGHTS).", False),
        Field("efi", "float32", "Electronic Frailty Index (share of 36 deficits), aged 65+; empty under 65.", False),
        Field("frailty", "category", "fit / mild / moderate / severe (eFI cut points), aged 65+; empty under 65."),
        Field("medicines", "int8", "Number of regular (repeat) medicines at the index date."),
        Field("falls_y1", "int8", "Falls recorded in year 1."),
        Field("palliative_care", "bool", "On the QOF palliative care (PC) register at the index date."),
        Field("advance_care_plan", "bool", "An advance care plan is recorded."),
        Field("care_home", "bool", "Lives in a care home at the index date."),
        Field("smoking_status", "category", "never / ex / current, aged 16+; empty under 16."),
        Field("smoker_in_household", "bool", "Someone in the household (the person or another) smokes."),
        Field("recent_birth", "bool", "Gave birth in year 1 (maternity)."),
    ]
    for year in YEARS:
        for activity, label in ACTIVITIES.items():
            when = "year 1 (before the index date)" if year == "y1" else "year 2 (after the index date)"
            fields.append(Field(activity_column(activity, year), "int16", f"{label} in {when}."))
        for setting, label in (*COST_SETTINGS.items(), ("total", "all four settings")):
            fields.append(Field(cost_column(setting, year), "float32", f"Cost of {label} in {year}, pounds.", False))
    fields += [
        Field("death_date", "date", "Date of death, if in the two-year window; empty otherwise."),
        Field("opted_out", "bool", "Has registered a national data opt-out (excluded from views by default)."),
        Field("intervention", "category", "Name of an intervention received, if any.", False),
        Field("intervention_date", "date", "Date the intervention started, if any.", False),
    ]
    return tuple(fields)


PERSON_FIELDS: tuple[Field, ...] = _fields()
PERSON_COLUMNS: tuple[str, ...] = tuple(f.name for f in PERSON_FIELDS)
BOOLEAN_COLUMNS: tuple[str, ...] = tuple(f.name for f in PERSON_FIELDS if f.dtype == "bool")
DATE_COLUMNS: tuple[str, ...] = ("death_date", "intervention_date")
AREA_COLUMNS: tuple[str, ...] = ("ltla24_code", "imd_decile", "imd_quintile", "aq_indicator")

EVENT_FIELDS: tuple[Field, ...] = (
    Field("person_id", "string", "The person (person_id in the person table)."),
    Field("event_type", "category", "ae_attendance, emergency_admission or ambulance_conveyance."),
    Field("event_date", "date", "Date of the attendance, admission or conveyance."),
    Field("bed_days", "int16", "Nights in hospital (emergency admissions; 0 otherwise)."),
    Field("cost", "float32", "Cost in pounds."),
)
EVENT_COLUMNS: tuple[str, ...] = tuple(f.name for f in EVENT_FIELDS)

_SEX_CODES = {"f": "F", "female": "F", "2": "F", "m": "M", "male": "M", "1": "M"}
_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0", ""}


def _integer_columns() -> tuple[Column, ...]:
    columns = [Column("age", "integer", minimum=0, maximum=120, aliases=("age_years",))]
    columns.append(Column("medicines", "integer", minimum=0, maximum=80))
    columns.append(Column("falls_y1", "integer", minimum=0, maximum=100))
    for year in YEARS:
        for activity in ACTIVITIES:
            columns.append(Column(activity_column(activity, year), "integer", minimum=0, maximum=5000))
    return tuple(columns)


PERSON_SCHEMA = TableSchema(
    name="Person-level extract",
    columns=(
        Column("person_id", "text", aliases=("pseudo_id", "patient_id", "nhs_number_pseudo")),
        Column("sex", "text", pattern="F|M"),
        Column("lsoa21_code", "text", pattern=r"E01\d{6}", aliases=("lsoa", "lsoa_code")),
        Column("practice_code", "text", pattern=r"[A-Z]\d{5}", aliases=("gp_practice_code", "practice")),
        Column("pcn_code", "text", aliases=("pcn",)),
        *_integer_columns(),
        Column("frailty", "text", pattern="|".join(FRAILTY_CATEGORIES), nullable=True),
        Column("smoking_status", "text", pattern="|".join(SMOKING_STATUSES), nullable=True),
    ),
    key=("person_id",),
)

EVENT_SCHEMA = TableSchema(
    name="Events extract",
    columns=(
        Column("person_id", "text"),
        Column("event_type", "text", pattern="|".join(EVENT_TYPES)),
        Column("bed_days", "integer", minimum=0, maximum=3650),
        Column("cost", "number", minimum=0),
    ),
    min_rows=0,
)


def _rows(mask: np.ndarray) -> tuple[tuple[int, ...], int]:
    positions = np.flatnonzero(mask)
    return tuple(int(i) + 2 for i in positions[:5]), int(len(positions))


def _parse_booleans(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Return (values as bool, rows that are not a recognisable true/false)."""
    if pd.api.types.is_bool_dtype(values.dtype) and not values.isna().any():
        return values.to_numpy(dtype=bool), np.zeros(len(values), dtype=bool)
    text = values.astype("string").str.strip().str.lower().fillna("")
    truth = text.isin(_TRUE).to_numpy()
    falsity = text.isin(_FALSE).to_numpy()
    return truth, ~(truth | falsity)


def _parse_dates(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        dates = values
    else:
        dates = pd.to_datetime(values.astype("string").str.strip(), errors="coerce", format="ISO8601")
    bad = (
        dates.isna().to_numpy()
        & values.notna().to_numpy()
        & (values.astype("string").str.strip() != "").fillna(False).to_numpy(dtype=bool)
    )
    return dates.astype("datetime64[ms]"), bad


def normalise_sex(values: pd.Series) -> pd.Series:
    """Map F/M, Female/Male and the NHS codes 2/1 to F and M (anything else is left as it is, to be reported)."""
    text = values.astype("string").str.strip()
    return text.str.lower().map(_SEX_CODES).fillna(text)


def ltc_count(people: pd.DataFrame) -> np.ndarray:
    """Number of long-term conditions of each person (obesity is a risk factor, not counted)."""
    return np.sum([people[name].to_numpy(dtype=bool) for name in LONG_TERM_CONDITIONS], axis=0).astype("int8")


def multimorbidity_score(people: pd.DataFrame) -> np.ndarray:
    """The weighted multimorbidity score: the sum of MULTIMORBIDITY_WEIGHTS over a person's conditions."""
    total = np.zeros(len(people), dtype="float32")
    for name, weight in MULTIMORBIDITY_WEIGHTS.items():
        total += people[name].to_numpy(dtype=bool) * np.float32(weight)
    return total


def cost_activity(people: pd.DataFrame) -> pd.DataFrame:
    """Cost columns from activity counts at the national unit costs in parameters.UNIT_COSTS (for extracts
    without costs). Emergency admissions cost a fixed amount plus a cost per bed day."""
    out = {}
    unit = p.UNIT_COSTS
    for year in YEARS:
        gp = people[activity_column("gp_contacts", year)] * unit["gp_contacts"]
        ae = people[activity_column("ae_attendances", year)] * unit["ae_attendances"]
        emergency = (
            people[activity_column("emergency_admissions", year)] * unit["emergency_admission"]
            + people[activity_column("bed_days", year)] * unit["bed_day"]
        )
        ambulance = people[activity_column("ambulance_conveyances", year)] * unit["ambulance_conveyances"]
        out[cost_column("gp", year)] = gp
        out[cost_column("ae", year)] = ae
        out[cost_column("emergency", year)] = emergency
        out[cost_column("ambulance", year)] = ambulance
        out[cost_column("total", year)] = gp + ae + emergency + ambulance
    return pd.DataFrame(out, index=people.index).astype("float32")


def imd_quintile(decile: np.ndarray | pd.Series) -> np.ndarray:
    """National IMD quintile (1 = most deprived fifth) from the national decile."""
    return ((np.asarray(decile, dtype="int16") + 1) // 2).astype("int8")


def add_area_attributes(people: pd.DataFrame, lsoa: pd.DataFrame) -> pd.DataFrame:
    """Add the place (LAD 2024), national IMD decile and quintile and air-quality indicator of each person's LSOA."""
    areas = lsoa.set_index("lsoa21_code")
    codes = people["lsoa21_code"].astype(str)
    out = people.copy()
    out["ltla24_code"] = pd.Categorical(codes.map(areas["ltla24_code"]).astype(str))
    decile = codes.map(areas["imd_decile"]).astype("int8")
    out["imd_decile"] = decile
    out["imd_quintile"] = imd_quintile(decile)
    out["aq_indicator"] = codes.map(areas["aq_indicator"]).astype("float32")
    return out


def validate_people(
    frame: pd.DataFrame,
    *,
    source: str,
    known_lsoas: pd.Index | None = None,
    lsoa: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Check a person-level table against the schema; return it typed, with derivable columns filled in.

    Raises DataValidationError naming the file, each column and the rows that are wrong (rows counted as in a
    spreadsheet, the header being row 1). Derived columns (``ltc_count``, ``multimorbidity_score``, the costs,
    and the area attributes if ``lsoa`` is given) are computed when absent.
    """
    frame = frame.copy()
    if "sex" in frame.columns:
        frame["sex"] = normalise_sex(frame["sex"])
    checked = validate_frame(frame, PERSON_SCHEMA, source=source, keep_extra=True)
    problems: list[Problem] = []
    missing = [
        f.name
        for f in PERSON_FIELDS
        if f.required and f.name not in checked.columns and f.name not in {c.name for c in PERSON_SCHEMA.columns}
    ]
    if missing:
        raise DataValidationError(source, [Problem(f"missing required column(s): {', '.join(missing)}")])
    for name in BOOLEAN_COLUMNS:
        values, bad = _parse_booleans(checked[name])
        if bad.any():
            rows, count = _rows(bad)
            example = checked[name][bad].iloc[0]
            problems.append(Problem(f"value '{example}' is not true or false", name, rows, count))
        checked[name] = values
    for name in DATE_COLUMNS:
        if name not in checked.columns:
            checked[name] = pd.Series(pd.NaT, index=checked.index, dtype="datetime64[ms]")
            continue
        dates, bad = _parse_dates(checked[name])
        if bad.any():
            rows, count = _rows(bad)
            problems.append(
                Problem(f"value '{checked[name][bad].iloc[0]}' is not a date (use YYYY-MM-DD)", name, rows, count)
            )
        checked[name] = dates
    if not problems:
        problems += _consistency_problems(checked)
    if known_lsoas is not None:
        unknown = ~checked["lsoa21_code"].isin(known_lsoas).to_numpy()
        if unknown.any():
            rows, count = _rows(unknown)
            example = checked["lsoa21_code"][unknown].iloc[0]
            problems.append(Problem(f"'{example}' is not an LSOA 2021 in England", "lsoa21_code", rows, count))
    if problems:
        raise DataValidationError(source, problems)
    return finish_people(checked, lsoa=lsoa)


def _consistency_problems(people: pd.DataFrame) -> list[Problem]:
    problems: list[Problem] = []
    age = people["age"].to_numpy()
    for c in CONDITIONS:
        too_young = people[c.name].to_numpy(dtype=bool) & (age < c.minimum_age)
        if too_young.any():
            rows, count = _rows(too_young)
            problems.append(Problem(f"the QOF register is for people aged {c.minimum_age}+", c.name, rows, count))
    frail_young = people["frailty"].notna().to_numpy() & (age < 65)
    if frail_young.any():
        rows, count = _rows(frail_young)
        problems.append(Problem("frailty is recorded for people aged 65+ only", "frailty", rows, count))
    for year in YEARS:
        no_admission = people[activity_column("emergency_admissions", year)].to_numpy() == 0
        bed_days = people[activity_column("bed_days", year)].to_numpy() > 0
        if (no_admission & bed_days).any():
            rows, count = _rows(no_admission & bed_days)
            problems.append(Problem("bed days without an emergency admission", f"bed_days_{year}", rows, count))
    death = people["death_date"]
    outside = death.notna() & ((death < pd.Timestamp(YEAR_1_START)) | (death > pd.Timestamp(YEAR_2_END)))
    if outside.any():
        rows, count = _rows(outside.to_numpy())
        problems.append(Problem(f"must fall between {YEAR_1_START} and {YEAR_2_END}", "death_date", rows, count))
    died_early = (death < pd.Timestamp(INDEX_DATE)).fillna(False).to_numpy(dtype=bool)
    active_after = np.zeros(len(people), dtype=bool)
    for activity in ACTIVITIES:
        active_after |= people[activity_column(activity, "y2")].to_numpy() > 0
    if (died_early & active_after).any():
        rows, count = _rows(died_early & active_after)
        problems.append(Problem("activity in year 2 after a death in year 1", "death_date", rows, count))
    return problems


def finish_people(people: pd.DataFrame, *, lsoa: pd.DataFrame | None = None) -> pd.DataFrame:
    """Give a validated person table its storage types and derived columns, in schema order (extras after)."""
    out = people.copy()
    if "ltc_count" not in out.columns:
        out["ltc_count"] = ltc_count(out)
    if "multimorbidity_score" not in out.columns:
        out["multimorbidity_score"] = multimorbidity_score(out)
    if "efi" not in out.columns:
        out["efi"] = np.float32(np.nan)
    if cost_column("total", "y1") not in out.columns:
        costs = cost_activity(out)
        for column in costs.columns:
            out[column] = costs[column]
    if "intervention" not in out.columns:
        out["intervention"] = pd.Series(pd.NA, index=out.index, dtype="string")
    if lsoa is not None and "ltla24_code" not in out.columns:
        out = add_area_attributes(out, lsoa)
    for f in PERSON_FIELDS:
        column = out[f.name]
        if f.dtype == "string":
            out[f.name] = column.astype("string")
        elif f.dtype == "category":
            categories = {
                "sex": SEXES,
                "frailty": FRAILTY_CATEGORIES,
                "smoking_status": SMOKING_STATUSES,
            }.get(f.name)
            out[f.name] = (
                pd.Categorical(column.astype(str), categories=categories)
                if categories
                else pd.Categorical(column.astype(str))
            )
        elif f.dtype == "bool":
            out[f.name] = column.astype(bool)
        elif f.dtype == "date":
            out[f.name] = pd.to_datetime(column).astype("datetime64[ms]")
        else:
            out[f.name] = column.astype(f.dtype)
    extras = [c for c in out.columns if c not in PERSON_COLUMNS]
    return out[[*PERSON_COLUMNS, *extras]]


def validate_events(frame: pd.DataFrame, *, source: str, person_ids: pd.Index | None = None) -> pd.DataFrame:
    """Check an events table (A&E attendances, emergency admissions, ambulance conveyances) against the schema."""
    checked = validate_frame(frame, EVENT_SCHEMA, source=source, keep_extra=True)
    problems: list[Problem] = []
    if "event_date" not in checked.columns:
        raise DataValidationError(source, [Problem("missing required column(s): event_date")])
    dates, bad = _parse_dates(checked["event_date"])
    missing_date = dates.isna().to_numpy() & ~bad
    if bad.any() or missing_date.any():
        rows, count = _rows(bad | missing_date)
        problems.append(Problem("is not a date (use YYYY-MM-DD)", "event_date", rows, count))
    outside = (dates < pd.Timestamp(YEAR_1_START)) | (dates > pd.Timestamp(YEAR_2_END))
    if outside.fillna(False).any():
        rows, count = _rows(outside.fillna(False).to_numpy(dtype=bool))
        problems.append(Problem(f"must fall between {YEAR_1_START} and {YEAR_2_END}", "event_date", rows, count))
    if person_ids is not None:
        unknown = ~checked["person_id"].isin(person_ids).to_numpy()
        if unknown.any():
            rows, count = _rows(unknown)
            problems.append(Problem("is not a person in the person table", "person_id", rows, count))
    if problems:
        raise DataValidationError(source, problems)
    checked["event_date"] = dates
    checked["person_id"] = checked["person_id"].astype("string")
    checked["event_type"] = pd.Categorical(checked["event_type"].astype("string"), categories=EVENT_TYPES)
    checked["bed_days"] = checked["bed_days"].astype("int16")
    checked["cost"] = checked["cost"].astype("float32")
    return checked[[*EVENT_COLUMNS, *(c for c in checked.columns if c not in EVENT_COLUMNS)]]


def describe_schema() -> pd.DataFrame:
    """The person-level schema as a table (column, type, required, meaning), for documentation and the app."""
    return pd.DataFrame(
        [(f.name, f.dtype, "yes" if f.required else "derived/optional", f.description) for f in PERSON_FIELDS],
        columns=["column", "type", "required", "meaning"],
    )
