"""Calibration of the synthetic population to published aggregates, and the reports that show it.

* Prevalence: each QOF register is filled, place by place, with exactly ``round(target x eligible people)``
  people: those with the highest ``log-odds + logistic noise``. That is a logistic model whose intercept per
  place is set so the place's count matches the target, so place-level prevalence equals the House of Commons
  Library figure up to rounding, while age, sex, deprivation and the other conditions decide *who* has it.
* Mortality: death rates by single year of age follow a Gompertz-Makeham curve whose level is solved, per sex and
  national IMD decile, to give the published life expectancy (parameters.LIFE_EXPECTANCY_BY_DECILE).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from phm_core.stats import life_expectancy
from phm_core.synth import parameters as p
from phm_core.synth import schema

LIFE_TABLE_LAST_AGE = 110
#: Stated tolerances, checked by the tests: place-level prevalence within this many percentage points of the
#: target (it is exact up to rounding one person), and life expectancy gap most vs least deprived decile.
PREVALENCE_TOLERANCE_POINTS = 0.05
LIFE_EXPECTANCY_GAP_RANGE = {"M": (6.0, 13.5), "F": (4.0, 11.5)}


def select_top_k(score: np.ndarray, group: np.ndarray, k: np.ndarray, *, eligible: np.ndarray) -> np.ndarray:
    """Select exactly ``k[g]`` eligible members of each group ``g``: those with the highest score.

    ``group`` holds group numbers 0..G-1; ``k`` has one entry per group and must not exceed the eligible count.
    """
    n_groups = len(k)
    squashed = np.arctan(np.where(eligible, score, -np.inf))  # in [-pi/2, pi/2]; ineligible at -pi/2
    key = group.astype(np.float64) * 4.0 + (np.pi / 2 - squashed)  # best first within each group
    order = np.argsort(key, kind="stable")
    sorted_group = group[order]
    starts = np.searchsorted(sorted_group, np.arange(n_groups))
    rank = np.arange(len(order)) - starts[sorted_group]
    chosen = np.zeros(len(score), dtype=bool)
    chosen[order] = rank < k[sorted_group]
    return chosen & eligible


def scale_hazards(rate: np.ndarray, relative: np.ndarray, cell: np.ndarray, *, at_risk: np.ndarray) -> np.ndarray:
    """Hazards ``rate x relative x s[cell]`` with ``s`` solved so each cell's expected deaths are those of the
    published rates: sum(1 - exp(-hazard)) = sum(1 - exp(-rate)) over the people at risk in the cell.

    Without this, people with many conditions "use up" their chance of dying (a probability cannot exceed 1),
    and a cell would have fewer deaths than its published rate implies. Newton's method on each cell's scale.
    """
    cells = int(cell.max()) + 1 if len(cell) else 0
    weight = at_risk.astype(np.float64)
    target = np.bincount(cell, weights=-np.expm1(-rate) * weight, minlength=cells)
    base = rate * relative
    scale = np.ones(cells)
    for _ in range(30):
        hazard = base * scale[cell]
        value = np.bincount(cell, weights=-np.expm1(-hazard) * weight, minlength=cells) - target
        slope = np.bincount(cell, weights=base * np.exp(-hazard) * weight, minlength=cells)
        step = np.divide(value, slope, out=np.zeros(cells), where=slope > 0)
        scale = np.maximum(scale - step, scale / 4)
        if np.abs(value).max(initial=0) < 1e-6:
            break
    return base * scale[cell]


def _life_expectancy_at_birth(m: np.ndarray) -> float:
    """Life expectancy at birth from single-year death rates m[0..], the last age open-ended."""
    q = 1 - np.exp(-m[:-1])
    alive = np.concatenate([[1.0], np.cumprod(1 - q)])
    years = alive[:-1] * (1 - q) + alive[:-1] * q * np.where(np.arange(len(q)) == 0, 0.1, 0.5)
    return float(years.sum() + alive[-1] / m[-1])


def _gompertz(level: float, sex: str) -> np.ndarray:
    ages = np.arange(LIFE_TABLE_LAST_AGE + 1)
    m = p.MORTALITY_BACKGROUND + level * np.exp(p.MORTALITY_SLOPE[sex] * ages)
    m[0] = p.INFANT_MORTALITY[sex] + m[0]
    return np.minimum(m, 3.0)


@lru_cache(maxsize=32)
def death_rates(sex: str, decile: int) -> np.ndarray:
    """Death rates per person-year by single year of age 0..110 for one sex and national IMD decile.

    The Gompertz level is solved by bisection so that life expectancy at birth is the published figure.
    """
    target = p.LIFE_EXPECTANCY_BY_DECILE[sex][decile - 1]
    low, high = np.log(1e-7), np.log(1e-3)
    for _ in range(80):
        mid = (low + high) / 2
        if _life_expectancy_at_birth(_gompertz(float(np.exp(mid)), sex)) > target:
            low = mid
        else:
            high = mid
    rates = _gompertz(float(np.exp((low + high) / 2)), sex)
    rates.setflags(write=False)
    return rates


def death_rate_table() -> np.ndarray:
    """Death rates as an array [sex (0 = F, 1 = M), decile - 1, age 0..110]."""
    return np.stack([np.stack([death_rates(sex, d) for d in range(1, 11)]) for sex in schema.SEXES])


def prevalence_report(people: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Synthetic against target prevalence for every QOF register and place (LAD 2024).

    ``people`` needs the condition columns, ``palliative_care``, ``age`` and ``ltla24_code``; ``targets`` is the
    modelled QOF prevalence on LAD 2024 codes. Denominators follow the register's age rule. Error is synthetic
    minus target, in percentage points and relative to the target.
    """
    registers = {c.qof_code: (c.name, c.minimum_age) for c in schema.CONDITIONS}
    registers[schema.PALLIATIVE_CARE_QOF_CODE] = ("palliative_care", 0)
    place = people["ltla24_code"].astype("string").to_numpy()
    age = people["age"].to_numpy()
    rows = []
    for code, (column, minimum_age) in registers.items():
        eligible = age >= minimum_age
        frame = pd.DataFrame({"ltla24_code": place[eligible], "case": people[column].to_numpy(dtype=bool)[eligible]})
        counts = frame.groupby("ltla24_code")["case"].agg(["sum", "size"])
        for lad, (cases, size) in counts.iterrows():
            rows.append((lad, code, column, int(size), int(cases)))
    report = pd.DataFrame(rows, columns=["ltla24_code", "register_code", "condition", "eligible", "cases"])
    target = targets[["ltla24_code", "register_code", "ltla24_name", "prevalence"]].rename(
        columns={"prevalence": "target"}
    )
    report = report.merge(target, on=["ltla24_code", "register_code"], how="left")
    report["synthetic"] = report["cases"] / report["eligible"]
    report["error_points"] = (report["synthetic"] - report["target"]) * 100
    report["relative_error"] = report["synthetic"] / report["target"] - 1
    columns = ["ltla24_code", "ltla24_name", "register_code", "condition", "eligible", "cases", "target"]
    return report[[*columns, "synthetic", "error_points", "relative_error"]]


def mortality_table(people: pd.DataFrame, *, group_by: list[str]) -> pd.DataFrame:
    """Deaths and person-years by standard life-table band (0, 1, 5, ..., 90+) and ``group_by``, over both years.

    Year 1 counts at the person's age then (age at the index date less one), year 2 at the age at the index date;
    a year survived is a person-year, the year of death half of one, and nobody counts after death.
    """
    index_date = pd.Timestamp(schema.INDEX_DATE)
    death = people["death_date"]
    died_1 = (death < index_date).fillna(False).to_numpy(dtype=bool)
    died_2 = (death >= index_date).fillna(False).to_numpy(dtype=bool)
    age = people["age"].to_numpy().astype(np.int64)
    bands = np.asarray((0, 1, *range(5, 95, 5)))
    frames = []
    for year_age, deaths, exposure, at_risk in (
        (np.maximum(age - 1, 0), died_1, np.where(died_1, 0.5, 1.0), np.ones(len(age), dtype=bool)),
        (age, died_2, np.where(died_2, 0.5, 1.0), ~died_1),
    ):
        frame = people.loc[at_risk, group_by].copy()
        frame["age_band"] = bands[np.searchsorted(bands, year_age[at_risk], side="right") - 1]
        frame["deaths"] = deaths[at_risk].astype(int)
        frame["population"] = exposure[at_risk]
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    return table.groupby([*group_by, "age_band"], observed=True, as_index=False)[["deaths", "population"]].sum()


def life_expectancy_by_decile(people: pd.DataFrame) -> pd.DataFrame:
    """Life expectancy at birth by sex and national IMD decile, from the synthetic deaths (phm_core.stats).

    Returns the value, its 95% limits, the published target and the difference.
    """
    table = mortality_table(people, group_by=["sex", "imd_decile"])
    result = life_expectancy(
        table, deaths="deaths", population="population", age="age_band", group_by=["sex", "imd_decile"]
    )
    result["sex"] = result["sex"].astype("string")
    result["target"] = [
        p.LIFE_EXPECTANCY_BY_DECILE[s][int(d) - 1] for s, d in zip(result["sex"], result["imd_decile"], strict=True)
    ]
    result["difference"] = result["value"] - result["target"]
    return result[["sex", "imd_decile", "value", "lowercl", "uppercl", "target", "difference", "reason"]]


def life_expectancy_gap(by_decile: pd.DataFrame) -> dict[str, float]:
    """Life expectancy in the least minus the most deprived decile present, by sex (NaN if not computable)."""
    gaps = {}
    for sex, rows in by_decile.groupby("sex"):
        rows = rows.dropna(subset=["value"]).sort_values("imd_decile")
        gaps[str(sex)] = float(rows["value"].iloc[-1] - rows["value"].iloc[0]) if len(rows) >= 2 else float("nan")
    return gaps
