"""Generate a synthetic linked population for one ICB: one row per Census 2021 resident, plus dated events.

Vectorised and deterministic for a given ``rng`` (numpy Generator). The steps, in order: people (age, sex,
LSOA, practice), latent health, smoking, maternity, the QOF registers (calibrated per place), frailty, care
homes, medicines, falls, the hazard of death, the palliative care register, deaths, year 1 activity, a
simulated intervention, year 2 activity, costs and the national data opt-out. See docs/synthetic_population.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from phm_core.synth import calibration, schema
from phm_core.synth import parameters as p
from phm_core.synth.inputs import CENSUS_BANDS, SynthesisInputs

Progress = Callable[[float, str], None]
GENERATOR_VERSION = "1"
NEAREST_PRACTICES = 8
PRACTICE_DISTANCE_SCALE_METRES = 3_000.0


@dataclass
class Population:
    """A generated population: the person table, the events table and what it was generated from."""

    people: pd.DataFrame
    events: pd.DataFrame
    metadata: dict[str, str] = field(default_factory=dict)


def _interpolate(knots: dict[int, float], ages: np.ndarray) -> np.ndarray:
    x = np.fromiter(knots.keys(), dtype=float)
    y = np.fromiter(knots.values(), dtype=float)
    return np.interp(ages, x, y)


def _logit_shape(knots: dict[int, float], ages: np.ndarray) -> np.ndarray:
    """Log-odds of an age shape, interpolated between knots; falling 0.5 a year below the first knot."""
    x = np.fromiter(knots.keys(), dtype=float)
    y = logit(np.clip(np.fromiter(knots.values(), dtype=float), 1e-6, 1 - 1e-6))
    values = np.interp(ages, x, y)
    return values - 0.5 * np.clip(x[0] - ages, 0, None)


def _saturate(log_ratio: np.ndarray, maximum: float) -> np.ndarray:
    """Combine log rate ratios less than additively, so the combined ratio stays below ``maximum``."""
    ceiling = np.log(maximum)
    return ceiling * np.tanh(log_ratio / ceiling)


def _proportional_counts(counts: np.ndarray, fraction: float) -> np.ndarray:
    """Scale counts by ``fraction`` with cumulative rounding: each cell within 1, the total exactly rounded."""
    if fraction >= 1.0:
        return counts.astype(np.int64)
    cumulative = np.round(np.cumsum(counts.ravel().astype(np.float64)) * fraction).astype(np.int64)
    return np.diff(np.concatenate([[0], cumulative])).reshape(counts.shape)


def _to_metres(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return np.column_stack([lon * 111_320 * np.cos(np.radians(52.5)), lat * 110_540])


def practice_choice_weights(lsoa: pd.DataFrame, practices: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """For each LSOA, its nearest practices and the chance of registering with each (a gravity model).

    Chance is proportional to attractiveness x exp(-distance / 3 km); attractiveness is balanced so that the
    expected registrations of each practice are in proportion to its list size. Returns (practice index,
    probability), both LSOAs x K.
    """
    lsoa_xy = _to_metres(lsoa["lon"].to_numpy(), lsoa["lat"].to_numpy())
    practice_xy = _to_metres(practices["lon"].to_numpy(), practices["lat"].to_numpy())
    k = min(NEAREST_PRACTICES, len(practices))
    distance = np.sqrt(((lsoa_xy[:, None, :] - practice_xy[None, :, :]) ** 2).sum(axis=2))
    nearest = np.argsort(distance, axis=1, kind="stable")[:, :k]
    decay = np.exp(-np.take_along_axis(distance, nearest, axis=1) / PRACTICE_DISTANCE_SCALE_METRES) + 1e-12
    list_size = practices["list_size"].astype("float64").to_numpy()
    list_size = np.where(np.isnan(list_size) | (list_size <= 0), np.nanmedian(list_size), list_size)
    residents = lsoa["pop_total"].to_numpy(dtype=np.float64)
    target = list_size / list_size.sum() * residents.sum()
    attraction = np.ones(len(practices))
    for _ in range(40):
        weights = attraction[nearest] * decay
        share = weights / weights.sum(axis=1, keepdims=True)
        expected = np.bincount(nearest.ravel(), weights=(share * residents[:, None]).ravel(), minlength=len(practices))
        reachable = expected > 0
        attraction[reachable] *= np.clip(target[reachable] / expected[reachable], 0.2, 5.0) ** 0.5
    weights = attraction[nearest] * decay
    return nearest, weights / weights.sum(axis=1, keepdims=True)


def _draw_categorical(cumulative: np.ndarray, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each person, a column index drawn from the cumulative probabilities of their row."""
    u = rng.random(len(rows))
    chosen = (u[:, None] > cumulative[rows]).sum(axis=1)
    return np.minimum(chosen, cumulative.shape[1] - 1)


def _person_ids(n: int, rng: np.random.Generator) -> np.ndarray:
    """Unique 16-hex-digit pseudonymised identifiers."""
    while True:
        raw = rng.integers(0, np.iinfo(np.int64).max, size=n, dtype=np.int64)
        if len(np.unique(raw)) == n:
            break
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    as_bytes = raw.astype(">u8").view(np.uint8).reshape(n, 8)
    chars = np.empty((n, 16), dtype=np.uint8)
    chars[:, 0::2] = digits[as_bytes >> 4]
    chars[:, 1::2] = digits[as_bytes & 15]
    return chars.view("S16").ravel().astype("U16")


class _Generator:
    """One generation run; each step adds arrays to ``self.columns``."""

    def __init__(
        self,
        inputs: SynthesisInputs,
        *,
        rng: np.random.Generator,
        fraction: float,
        progress: Progress,
        intervention_effect: float = p.INTERVENTION_EFFECT,
    ):
        self.inputs = inputs
        self.rng = rng
        self.fraction = fraction
        self.progress = progress
        self.intervention_effect = intervention_effect
        self.columns: dict[str, np.ndarray] = {}

    # -- people ------------------------------------------------------------------------------------------------
    def people(self) -> None:
        lsoa = self.inputs.lsoa
        bands = list(CENSUS_BANDS)
        counts = _proportional_counts(lsoa[bands].to_numpy(), self.fraction)  # LSOAs x bands
        n_lsoa = len(lsoa)
        lsoa_index = np.repeat(np.repeat(np.arange(n_lsoa), len(bands)), counts.ravel())
        band_index = np.repeat(np.tile(np.arange(len(bands)), n_lsoa), counts.ravel())
        n = len(lsoa_index)
        age = np.empty(n, dtype=np.int64)
        profile = self.inputs.single_year_ages
        for b, (first, last) in enumerate(CENSUS_BANDS.values()):
            rows = np.flatnonzero(band_index == b)
            if rows.size == 0:
                continue
            shares = profile[:, first : last + 1].copy()
            empty = shares.sum(axis=1) == 0
            shares[empty] = profile[:, first : last + 1].sum(axis=0) + 1e-9  # fall back to the ICB's profile
            cumulative = np.cumsum(shares / shares.sum(axis=1, keepdims=True), axis=1)
            age[rows] = first + _draw_categorical(cumulative, lsoa_index[rows], self.rng)
        old = age == 90
        tail = np.floor(np.log(self.rng.random(int(old.sum())) + 1e-300) / np.log(p.AGE_90_PLUS_RATIO))
        age[old] = 90 + np.minimum(tail, p.MAXIMUM_AGE - 90).astype(np.int64)
        male = self.rng.random(n) < _interpolate(p.MALE_SHARE_BY_AGE, age)

        nearest, probability = practice_choice_weights(lsoa, self.inputs.practices)
        choice = _draw_categorical(np.cumsum(probability, axis=1), lsoa_index, self.rng)
        practice_index = nearest[lsoa_index, choice]

        decile = lsoa["imd_decile"].to_numpy()[lsoa_index].astype(np.int64)
        aq = lsoa["aq_indicator"].to_numpy(dtype=np.float64)
        c = self.columns
        c.update(
            lsoa_index=lsoa_index,
            age=age,
            male=male,
            practice_index=practice_index,
            decile=decile,
            deprivation=(10 - decile) / 9.0,
            aq=aq[lsoa_index],
            place=pd.factorize(lsoa["ltla24_code"])[0][lsoa_index],
        )
        self.places = pd.factorize(lsoa["ltla24_code"])[1]
        self.n = n
        self.progress(0.12, f"Placed {n:,} people in {n_lsoa:,} LSOAs and {len(self.inputs.practices)} practices")

    # -- latent health, smoking, maternity ---------------------------------------------------------------------
    def latent(self) -> None:
        n, rng = self.n, self.rng
        general = rng.standard_normal(n)
        rho_c, rho_m = p.LATENT_CORRELATION_WITH_GENERAL
        cardio = rho_c * general + np.sqrt(1 - rho_c**2) * rng.standard_normal(n)
        mental = rho_m * general + np.sqrt(1 - rho_m**2) * rng.standard_normal(n)
        self.columns.update(general=general, cardio=cardio, mental=mental)

    def smoking(self) -> None:
        c, rng = self.columns, self.rng
        age, male, d = c["age"], c["male"], c["deprivation"]
        dep = np.log(p.SMOKING_DEPRIVATION_ODDS_RATIO) * (d - 0.5)
        current_p = expit(
            _logit_shape(p.CURRENT_SMOKING_BY_AGE, age)
            + np.log(p.SMOKING_MALE_ODDS_RATIO) * male
            + dep
            + 0.2 * c["mental"]
        )
        ex_p = expit(_logit_shape(p.EX_SMOKING_BY_AGE, age) + 0.2 * male)
        u = rng.random(self.n)
        adult = age >= 16
        status = np.where(u < current_p, 2, np.where(u < current_p + (1 - current_p) * ex_p, 1, 0))
        status = np.where(adult, status, -1)
        local = expit(
            _logit_shape(p.CURRENT_SMOKING_BY_AGE, np.full(self.n, 35.0))
            + 0.5 * np.log(p.SMOKING_MALE_ODDS_RATIO)
            + dep
        )
        household_p = np.where(
            adult, p.PARTNER_SMOKING_FACTOR * local, np.minimum(0.6, p.CHILD_HOUSEHOLD_SMOKING_FACTOR * local)
        )
        household = (status == 2) | (rng.random(self.n) < household_p)
        fertility = np.where(~male, _interpolate(p.FERTILITY_BY_AGE, age), 0.0)
        c.update(smoking=status, household_smoker=household, recent_birth=rng.random(self.n) < fertility)

    # -- conditions --------------------------------------------------------------------------------------------
    def conditions(self) -> None:
        c, rng = self.columns, self.rng
        age, male, d = c["age"], c["male"], c["deprivation"]
        targets = self.inputs.prevalence.set_index(["ltla24_code", "register_code"])["prevalence"]
        place = c["place"]
        order = _condition_order()
        aq_sd = (c["aq"] - self.inputs.lsoa["aq_indicator"].mean()) / max(self.inputs.lsoa["aq_indicator"].std(), 1e-9)
        child = age < 16
        for i, name in enumerate(order):
            model = p.CONDITION_MODELS[name]
            condition = next(x for x in schema.CONDITIONS if x.name == name)
            eta = _logit_shape(model.prevalence_by_age, age)
            male_or = np.where(child, model.male_child or model.male, model.male)
            eta += np.log(male_or) * male + np.log(model.deprivation) * d
            eta += np.log(model.current_smoker) * (c["smoking"] == 2) + np.log(model.ex_smoker) * (c["smoking"] == 1)
            for other, odds_ratio in model.after:
                eta += np.log(odds_ratio) * c[other]
            general, cardio, mental = model.loadings
            eta += general * c["general"] + cardio * c["cardio"] + mental * c["mental"]
            if name == "asthma":
                eta += np.where(
                    child,
                    np.log(p.CHILD_ASTHMA_HOUSEHOLD_SMOKER_ODDS_RATIO) * c["household_smoker"]
                    + np.log(p.CHILD_ASTHMA_AIR_QUALITY_ODDS_RATIO_PER_SD) * aq_sd,
                    np.log(p.ADULT_ASTHMA_AIR_QUALITY_ODDS_RATIO_PER_SD) * aq_sd,
                )
            if name == "depression":
                physical = sum(c[x].astype(np.float64) for x in order[:i] if x not in ("obesity", "smi"))
                eta += 0.15 * physical
            eligible = age >= condition.minimum_age
            eligible_count = np.bincount(place, weights=eligible, minlength=len(self.places))
            prevalence = np.array([targets[(lad, condition.qof_code)] for lad in self.places])
            k = np.minimum(np.round(prevalence * eligible_count), eligible_count).astype(np.int64)
            noise = rng.logistic(size=self.n)
            c[name] = calibration.select_top_k(eta + noise, place, k, eligible=eligible)
        ltc = np.zeros(self.n, dtype=np.int64)
        for name in schema.LONG_TERM_CONDITIONS:
            ltc += c[name]
        c["ltc_count"] = ltc
        self.progress(0.35, f"Calibrated {len(order)} QOF registers in {len(self.places)} places")

    # -- frailty, care homes, medicines, falls ----------------------------------------------------------------
    def frailty(self) -> None:
        c, rng = self.columns, self.rng
        age = c["age"]
        older = age >= 65
        deficits = sum(c[name].astype(np.int64) for name in p.EFI_CONDITION_DEFICITS)
        e = p.EFI_OTHER_DEFICITS
        mean_other = np.exp(
            e["intercept"]
            + e["per_decade"] * (age - 65) / 10
            + e["general"] * c["general"]
            + np.log(1 + e["deprivation"]) * c["deprivation"]
        )
        other = rng.poisson(mean_other)
        efi = np.minimum(deficits + other, p.EFI_DEFICITS) / p.EFI_DEFICITS
        category = np.searchsorted(np.asarray(p.EFI_CUT_POINTS), efi, side="left")
        category = np.where(older, category, -1)
        c["efi"] = np.where(older, efi, np.nan)
        c["frailty"] = category
        moderate, severe = category == 2, category == 3

        odds = p.CARE_HOME_ODDS_RATIOS
        eta = _logit_shape(p.CARE_HOME_BY_AGE, age) + np.log(odds["dementia"]) * c["dementia"]
        eta += np.log(odds["moderate"]) * moderate + np.log(odds["severe"]) * severe
        eta += np.log(odds["learning_disability"]) * c["learning_disability"]
        c["care_home"] = older & (rng.random(self.n) < expit(eta))

        m = p.MEDICINES
        mean_medicines = (
            m["base"]
            + m["per_decade_over_40"] * np.clip(age - 40, 0, None) / 10
            + m["per_condition"] * c["ltc_count"]
            + m["moderate"] * moderate
            + m["severe"] * severe
            + m["care_home"] * c["care_home"]
        )
        heterogeneity = rng.gamma(m["shape"], 1 / m["shape"], size=self.n)
        c["medicines"] = np.minimum(rng.poisson(mean_medicines * heterogeneity), 40)

        rr = p.FALLS_RATE_RATIOS
        rate = _interpolate(p.FALLS_BY_AGE, age)
        rate = rate * np.where(category == 1, rr["mild"], 1.0) * np.where(moderate, rr["moderate"], 1.0)
        rate = rate * np.where(severe, rr["severe"], 1.0) * np.where(c["dementia"], rr["dementia"], 1.0)
        rate = rate * np.where(c["care_home"], rr["care_home"], 1.0)
        c["falls_y1"] = np.minimum(rng.poisson(rate * rng.gamma(2.0, 0.5, size=self.n)), 50)
        self.progress(0.45, "Frailty, care homes, medicines and falls")

    # -- deaths and palliative care ----------------------------------------------------------------------------
    def mortality(self) -> None:
        c, rng = self.columns, self.rng
        age, male, decile = c["age"], c["male"], c["decile"]
        hr = p.MORTALITY_HAZARD_RATIOS
        log_relative = np.zeros(self.n)
        for name in schema.CONDITION_NAMES:
            log_relative += np.log(hr[name]) * c[name]
        for level, label in ((1, "mild"), (2, "moderate"), (3, "severe")):
            log_relative += np.log(hr[label]) * (c["frailty"] == level)
        log_relative += np.log(hr["care_home"]) * c["care_home"] + np.log(hr["current_smoker"]) * (c["smoking"] == 2)
        log_relative += np.log(hr["general_per_sd"]) * c["general"]
        relative = np.exp(_saturate(log_relative, p.MORTALITY_MAXIMUM_HAZARD_RATIO))
        # Within each sex x life-table band x decile cell, the expected deaths are those of the published rates
        # (solved separately for year 2 among the survivors of year 1): the record only decides who dies.
        bands = np.asarray((0, 1, *range(5, 95, 5)))
        band = np.searchsorted(bands, np.minimum(age, 90), side="right") - 1
        cell = (male.astype(np.int64) * 10 + (decile - 1)) * len(bands) + band
        rates = calibration.death_rate_table()
        sex = male.astype(np.int64)
        rate_1 = rates[sex, decile - 1, np.clip(age - 1, 0, calibration.LIFE_TABLE_LAST_AGE)]
        rate_2 = rates[sex, decile - 1, np.clip(age, 0, calibration.LIFE_TABLE_LAST_AGE)]
        year_1 = calibration.scale_hazards(rate_1, relative, cell, at_risk=np.ones(self.n, dtype=bool))

        # Palliative care register: the highest hazards of death (cancer first), calibrated per place.
        score = np.log(rate_2 * relative) + p.PALLIATIVE_CANCER_LOG_BOOST * c["cancer"]
        score += rng.normal(0, p.PALLIATIVE_NOISE_SD, size=self.n)
        targets = self.inputs.prevalence.set_index(["ltla24_code", "register_code"])["prevalence"]
        prevalence = np.array([targets[(lad, schema.PALLIATIVE_CARE_QOF_CODE)] for lad in self.places])
        counts = np.bincount(c["place"], minlength=len(self.places))
        k = np.round(prevalence * counts).astype(np.int64)
        c["palliative_care"] = calibration.select_top_k(score, c["place"], k, eligible=np.ones(self.n, dtype=bool))

        die_1 = rng.random(self.n) < -np.expm1(-year_1)
        year_2 = calibration.scale_hazards(rate_2, relative, cell, at_risk=~die_1)
        die_2 = ~die_1 & (rng.random(self.n) < -np.expm1(-year_2))
        day = np.full(self.n, -1, dtype=np.int64)  # day of death counted from the start of year 1
        day[die_1] = rng.integers(0, schema.YEAR_DAYS, size=int(die_1.sum()))
        day[die_2] = schema.YEAR_DAYS + rng.integers(0, schema.YEAR_2_DAYS, size=int(die_2.sum()))
        c["death_day"] = day

        acp = p.ADVANCE_CARE_PLAN
        chance = np.where(age >= 75, acp["other_75_plus"], 0.0)
        chance = np.maximum(chance, np.where(c["frailty"] == 2, acp["moderate"], 0.0))
        chance = np.maximum(chance, np.where(c["frailty"] == 3, acp["severe"], 0.0))
        chance = np.maximum(chance, np.where(c["care_home"], acp["care_home"], 0.0))
        chance = np.maximum(chance, np.where(c["palliative_care"], acp["palliative"], 0.0))
        c["advance_care_plan"] = rng.random(self.n) < chance
        self.progress(0.55, f"Deaths: {int(die_1.sum()):,} in year 1 and {int(die_2.sum()):,} in year 2")

    # -- activity ---------------------------------------------------------------------------------------------
    def _activity_rates(self) -> dict[str, np.ndarray]:
        """Expected activity per year alive for each setting: national rate x the person's relative rate."""
        c, rng = self.columns, self.rng
        age, male, decile = c["age"], c["male"], c["decile"]
        rr = p.ADMISSION_RATE_RATIOS
        log_relative = np.zeros(self.n)
        for name in schema.CONDITION_NAMES:
            log_relative += np.log(rr[name]) * c[name]
        log_relative += np.where(
            (age < 16) & c["asthma"], np.log(p.CHILD_ASTHMA_ADMISSION_RATE_RATIO / rr["asthma"]), 0
        )
        for level, label in ((1, "mild"), (2, "moderate"), (3, "severe")):
            log_relative += np.log(rr[label]) * (c["frailty"] == level)
        log_relative += np.log(rr["care_home"]) * c["care_home"] + np.log(rr["palliative_care"]) * c["palliative_care"]
        log_relative += np.log(rr["current_smoker"]) * (c["smoking"] == 2) + np.log(rr["fallen"]) * (c["falls_y1"] > 0)
        log_relative += np.log(rr["general_per_sd"]) * c["general"]
        person = rng.gamma(p.PERSON_ACTIVITY_SHAPE, 1 / p.PERSON_ACTIVITY_SHAPE, size=self.n)
        bands = np.asarray((0, 1, *range(5, 95, 5)))
        band = np.searchsorted(bands, np.minimum(age, 90), side="right") - 1
        cell = (male.astype(np.int64) * 10 + (decile - 1)) * len(bands) + band
        cell_size = np.maximum(np.bincount(cell, minlength=20 * len(bands)), 1)
        rates = {}
        for activity, scale in p.ACTIVITY_CONDITION_SCALE.items():
            relative = np.exp(_saturate(scale * log_relative, p.ACTIVITY_MAXIMUM_RATE_RATIO))
            if activity == "ambulance_conveyances":
                relative = relative * np.where(c["falls_y1"] > 0, p.AMBULANCE_FALLS_RATE_RATIO, 1.0)
            relative = relative / (np.bincount(cell, weights=relative, minlength=cell_size.size) / cell_size)[cell]
            national = _interpolate(p.ACTIVITY_BY_AGE[activity], age)
            if activity == "gp_contacts":
                national = national * np.where(~male & (age >= 16) & (age < 65), p.FEMALE_GP_RATE_RATIO_16_64, 1.0)
            deprivation = np.exp(np.log(p.ACTIVITY_DEPRIVATION_RATE_RATIO[activity]) * (c["deprivation"] - 0.5))
            rates[activity] = national * deprivation * relative * person
        return rates

    def _exposure(self, year: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Share of the year alive, its first and last day (from the start of year 1), and the end-of-life share."""
        start = 0 if year == 1 else schema.YEAR_DAYS
        length = schema.YEAR_DAYS if year == 1 else schema.YEAR_2_DAYS
        death = self.columns["death_day"]
        dead_before = (death >= 0) & (death < start)
        end = np.where((death >= start) & (death < start + length), death + 1, start + length)
        end = np.where(dead_before, start, end)
        alive = (end - start) / length
        # Share of this year that falls in the 12 months before death.
        last_year_start = np.where(death >= 0, death - 365, 10**6)
        overlap = np.clip(end - np.maximum(start, last_year_start), 0, None) / np.maximum(end - start, 1)
        return alive, np.full(self.n, start), end, overlap

    def activity(self) -> None:
        rng = self.rng
        self.rates = self._activity_rates()
        shape = p.YEAR_ACTIVITY_SHAPE
        self.shock = [rng.gamma(shape, 1 / shape, size=self.n) for _ in range(2)]
        self.event_frames: list[pd.DataFrame] = []
        self._year(1)
        self.intervention()
        self._year(2)
        self.progress(0.8, "Activity and costs for two years")

    def _year(self, year: int) -> None:
        c, rng = self.columns, self.rng
        alive, start, end, end_of_life = self._exposure(year)
        suffix = f"y{year}"
        for activity, rate in self.rates.items():
            multiplier = 1 + (p.END_OF_LIFE_RATE_RATIO[activity] - 1) * end_of_life
            mean = rate * alive * multiplier * self.shock[year - 1]
            counts = rng.poisson(mean)
            if activity == "gp_contacts":
                c[f"{activity}_{suffix}"] = np.minimum(counts, 1000)
                continue
            event_type = {
                "ae_attendances": "ae_attendance",
                "emergency_admissions": "emergency_admission",
                "ambulance_conveyances": "ambulance_conveyance",
            }[activity]
            person = np.repeat(np.arange(self.n), counts)
            day = start[person] + np.floor(rng.random(person.size) * (end[person] - start[person])).astype(np.int64)
            if year == 2 and activity in ("emergency_admissions", "ambulance_conveyances"):
                enrolled = c["intervention_day"][person]
                prevented = (enrolled >= 0) & (day >= enrolled) & (rng.random(person.size) < self.intervention_effect)
                person, day = person[~prevented], day[~prevented]
            bed_days = np.zeros(person.size, dtype=np.int64)
            if activity == "emergency_admissions":
                mean_stay = _interpolate(p.LENGTH_OF_STAY_BY_AGE, c["age"][person])
                frailty = c["frailty"][person]
                for level, label in ((1, "mild"), (2, "moderate"), (3, "severe")):
                    mean_stay = mean_stay * np.where(frailty == level, p.LENGTH_OF_STAY_FRAILTY_RATIO[label], 1.0)
                shape = p.LENGTH_OF_STAY_SHAPE
                bed_days = np.minimum(rng.poisson(rng.gamma(shape, mean_stay / shape)), 365)
                cost = p.UNIT_COSTS["emergency_admission"] + p.UNIT_COSTS["bed_day"] * bed_days
                c[f"bed_days_{suffix}"] = np.bincount(person, weights=bed_days, minlength=self.n).astype(np.int64)
            else:
                cost = np.full(person.size, p.UNIT_COSTS[activity])
            c[f"{activity}_{suffix}"] = np.bincount(person, minlength=self.n)
            self.event_frames.append(
                pd.DataFrame(
                    {
                        "person": person.astype(np.int32),
                        "event_type": np.full(person.size, schema.EVENT_TYPES.index(event_type), dtype=np.int8),
                        "day": day.astype(np.int32),
                        "bed_days": bed_days.astype(np.int16),
                        "cost": np.asarray(cost, dtype=np.float32),
                    }
                )
            )

    def intervention(self) -> None:
        """A simulated pilot: proactive care for moderately or severely frail people in some PCNs (year 2)."""
        c, rng = self.columns, self.rng
        pcn = self.inputs.practices["pcn_code"].to_numpy()[c["practice_index"]]
        pcns = np.unique(pcn)
        pilot = rng.permutation(pcns)[: int(round(len(pcns) * p.INTERVENTION_PCN_SHARE))]
        death = c["death_day"]
        enrol_day = schema.YEAR_DAYS + rng.integers(0, p.INTERVENTION_ENROLMENT_DAYS, size=self.n)
        alive_then = (death < 0) | (death > enrol_day)
        eligible = (c["frailty"] >= 2) & np.isin(pcn, pilot) & alive_then
        sicker = c["emergency_admissions_y1"] > 0
        chance = np.clip(
            p.INTERVENTION_UPTAKE * np.where(sicker, 1.6, 0.8) * np.where(c["frailty"] == 3, 1.2, 1.0), 0, 0.9
        )
        enrolled = eligible & (rng.random(self.n) < chance)
        c["intervention_day"] = np.where(enrolled, enrol_day, -1)

    # -- opt-out and assembly ----------------------------------------------------------------------------------
    def opt_out(self) -> None:
        mean, sd = p.OPT_OUT_MEAN, p.OPT_OUT_PRACTICE_SD
        concentration = mean * (1 - mean) / sd**2 - 1
        practice_rate = self.rng.beta(mean * concentration, (1 - mean) * concentration, size=len(self.inputs.practices))
        self.columns["opted_out"] = self.rng.random(self.n) < practice_rate[self.columns["practice_index"]]

    def assemble(self) -> Population:
        c = self.columns
        lsoa, practices = self.inputs.lsoa, self.inputs.practices
        ids = _person_ids(self.n, self.rng)
        start = np.datetime64(schema.YEAR_1_START, "D")
        death = c["death_day"]
        death_date = np.where(death >= 0, start + death.astype("timedelta64[D]"), np.datetime64("NaT"))
        enrolled = c["intervention_day"]
        enrolled_date = np.where(enrolled >= 0, start + enrolled.astype("timedelta64[D]"), np.datetime64("NaT"))
        frailty = pd.Categorical.from_codes(c["frailty"], categories=list(schema.FRAILTY_CATEGORIES))
        smoking = pd.Categorical.from_codes(c["smoking"], categories=list(schema.SMOKING_STATUSES))
        practice_codes = pd.Categorical.from_codes(c["practice_index"], categories=practices["practice_code"].tolist())
        pcn_codes, pcn_index = np.unique(practices["pcn_code"].to_numpy(), return_inverse=True)
        data: dict[str, object] = {
            "person_id": pd.array(ids, dtype="string"),
            "age": c["age"].astype("int16"),
            "sex": pd.Categorical.from_codes(c["male"].astype(np.int8), categories=list(schema.SEXES)),
            "lsoa21_code": pd.Categorical.from_codes(c["lsoa_index"], categories=lsoa["lsoa21_code"].tolist()),
            "practice_code": practice_codes,
            "pcn_code": pd.Categorical.from_codes(pcn_index[c["practice_index"]], categories=pcn_codes.tolist()),
        }
        for name in schema.CONDITION_NAMES:
            data[name] = c[name].astype(bool)
        data["ltc_count"] = c["ltc_count"].astype("int8")
        people = pd.DataFrame(data)
        people["multimorbidity_score"] = schema.multimorbidity_score(people)
        people["efi"] = c["efi"].astype("float32")
        people["frailty"] = frailty
        people["medicines"] = c["medicines"].astype("int8")
        people["falls_y1"] = c["falls_y1"].astype("int8")
        people["palliative_care"] = c["palliative_care"].astype(bool)
        people["advance_care_plan"] = c["advance_care_plan"].astype(bool)
        people["care_home"] = c["care_home"].astype(bool)
        people["smoking_status"] = smoking
        people["smoker_in_household"] = c["household_smoker"].astype(bool)
        people["recent_birth"] = c["recent_birth"].astype(bool)
        for year in schema.YEARS:
            for activity in schema.ACTIVITIES:
                people[schema.activity_column(activity, year)] = c[f"{activity}_{year}"].astype("int16")
        costs = schema.cost_activity(people)
        # The emergency cost is the sum of the admissions' own costs (the same unit costs).
        for column in costs.columns:
            people[column] = costs[column]
        people["death_date"] = pd.to_datetime(death_date).astype("datetime64[ms]")
        people["opted_out"] = c["opted_out"].astype(bool)
        people["intervention"] = pd.Categorical(
            np.where(enrolled >= 0, p.INTERVENTION_NAME, None), categories=[p.INTERVENTION_NAME]
        )
        people["intervention_date"] = pd.to_datetime(enrolled_date).astype("datetime64[ms]")
        people = schema.add_area_attributes(people, lsoa)

        events = pd.concat(self.event_frames, ignore_index=True)
        events = events.sort_values(["person", "day"], kind="stable").reset_index(drop=True)
        events_out = pd.DataFrame(
            {
                "person_id": people["person_id"].to_numpy()[events["person"].to_numpy()],
                "event_type": pd.Categorical.from_codes(events["event_type"], categories=list(schema.EVENT_TYPES)),
                "event_date": (start + events["day"].to_numpy().astype("timedelta64[D]")).astype("datetime64[ms]"),
                "bed_days": events["bed_days"].to_numpy(),
                "cost": events["cost"].to_numpy(),
            }
        )
        events_out["person_id"] = events_out["person_id"].astype("string")
        metadata = {
            "icb_code": self.inputs.icb_code,
            "icb_name": self.inputs.icb_name,
            "geography_version": self.inputs.geography,
            "fraction": repr(self.fraction),
            "generator_version": GENERATOR_VERSION,
            "people": str(self.n),
            "index_date": schema.INDEX_DATE.isoformat(),
            "synthetic": "true",
        }
        return Population(people=people, events=events_out, metadata=metadata)


def _condition_order() -> list[str]:
    """The conditions in an order where every condition comes after those it depends on."""
    ordered: list[str] = []
    remaining = list(p.CONDITION_MODELS)
    while remaining:
        for name in remaining:
            if all(other in ordered for other, _ in p.CONDITION_MODELS[name].after):
                ordered.append(name)
                remaining.remove(name)
                break
        else:
            raise ValueError(f"circular condition dependencies among {remaining}")
    return ordered


def generate_population(
    inputs: SynthesisInputs,
    *,
    rng: np.random.Generator,
    fraction: float = 1.0,
    progress: Progress | None = None,
    intervention_effect: float | None = None,
) -> Population:
    """Generate the synthetic population of one ICB (one row per Census 2021 resident, or a ``fraction``).

    Deterministic for the state of ``rng``. ``progress(share_done, message)`` is called as steps finish.
    ``intervention_effect`` is the share of the simulated pilot's emergency admissions and ambulance conveyances
    prevented after enrolment (default ``parameters.INTERVENTION_EFFECT``, 15%); other values are for testing how
    an evaluation recovers a known effect.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator, e.g. numpy.random.default_rng(1)")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be more than 0 and at most 1, not {fraction}")
    effect = p.INTERVENTION_EFFECT if intervention_effect is None else float(intervention_effect)
    if not 0 <= effect <= 1:
        raise ValueError(f"intervention_effect must be from 0 to 1, not {intervention_effect}")
    generator = _Generator(
        inputs,
        rng=rng,
        fraction=float(fraction),
        progress=progress or (lambda share, text: None),
        intervention_effect=effect,
    )
    generator.people()
    generator.latent()
    generator.smoking()
    generator.conditions()
    generator.frailty()
    generator.mortality()
    generator.activity()
    generator.opt_out()
    population = generator.assemble()
    generator.progress(1.0, f"Generated {len(population.people):,} synthetic people")
    return population
