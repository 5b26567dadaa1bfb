"""Every modelled assumption of the synthetic population, in one place, each with its source.

Nothing here is data about real people. Where the shipped open data has no figure (prevalence by age and sex,
mortality by age, activity rates, costs), the generator uses the published relationships below. Each is a
*shape* or a *relative* effect unless it says otherwise: condition prevalence is then calibrated to the House of
Commons Library modelled QOF prevalence of each place (exactly), mortality to life expectancy by national
deprivation decile, and activity to national rates per head. See docs/synthetic_population.md.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- demography -------------------------------------------------------------------------------------------------

#: Share of people who are male by age (knots, linearly interpolated). Approximates ONS mid-2020 population
#: estimates for England: about 51% male in childhood, near parity in mid-life, a third at 90+.
MALE_SHARE_BY_AGE: dict[int, float] = {
    0: 0.512,
    19: 0.512,
    29: 0.503,
    49: 0.494,
    64: 0.489,
    69: 0.483,
    74: 0.474,
    79: 0.458,
    84: 0.435,
    89: 0.395,
    95: 0.31,
    104: 0.22,
}

#: The ONS single-year estimates stop at "90+": single years above 90 are drawn from a geometric tail with this
#: ratio between successive years (about three quarters of people aged 90+ are 90-94, ONS mid-year estimates).
AGE_90_PLUS_RATIO = 0.75
MAXIMUM_AGE = 105

#: Births in the previous 12 months per woman by age (ONS Births in England and Wales 2021: age-specific
#: fertility rates per 1,000 women, about 12 at 15-19 ... 14 at 40-44).
FERTILITY_BY_AGE: dict[int, float] = {
    14: 0.0,
    17: 0.012,
    22: 0.045,
    27: 0.080,
    32: 0.100,
    37: 0.055,
    42: 0.014,
    46: 0.002,
    50: 0.0,
}

# --- deprivation --------------------------------------------------------------------------------------------------
# Deprivation enters every model as d = (10 - national IMD 2025 decile) / 9: 0 in the least deprived tenth of
# England, 1 in the most deprived. An odds ratio "most vs least deprived" of R adds log(R) * d to the log-odds.

# --- smoking ------------------------------------------------------------------------------------------------------

#: Current smoking by age (ONS Annual Population Survey 2022, adults in England: 12.7%; highest at 25-34).
CURRENT_SMOKING_BY_AGE: dict[int, float] = {
    16: 0.06,
    20: 0.13,
    30: 0.16,
    40: 0.145,
    50: 0.135,
    60: 0.12,
    70: 0.08,
    80: 0.05,
    95: 0.03,
}
#: Ex-smoking by age among people who do not smoke now (Health Survey for England 2019: about a quarter of adults).
EX_SMOKING_BY_AGE: dict[int, float] = {16: 0.01, 25: 0.08, 40: 0.20, 55: 0.30, 70: 0.42, 85: 0.45, 100: 0.40}
SMOKING_MALE_ODDS_RATIO = 1.3
#: Current smoking, most vs least deprived decile (ONS APS 2022: roughly 20% against 7%).
SMOKING_DEPRIVATION_ODDS_RATIO = 3.2
#: Chance that someone else in an adult non-smoker's household smokes, as a multiple of local adult smoking.
PARTNER_SMOKING_FACTOR = 0.5
#: Chance that a child lives with a smoker, as a multiple of the smoking probability of a local 35-year-old
#: (modelled: about one child in six, higher where smoking is common).
CHILD_HOUSEHOLD_SMOKING_FACTOR = 1.0


# --- long-term conditions -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionModel:
    """How one QOF register is generated before it is calibrated to the place's modelled prevalence.

    ``prevalence_by_age`` gives the *shape* of prevalence with age (knots interpolated on the log-odds scale;
    its level is replaced by calibration). Odds ratios: male vs female (``male_child`` under 16 if different),
    most vs least deprived decile, and for conditions already present (``after``), current and ex-smoking.
    ``loadings`` weight the latent health factors: general ill-health, cardiometabolic and mental health.
    """

    prevalence_by_age: dict[int, float]
    male: float = 1.0
    male_child: float | None = None
    deprivation: float = 1.0
    current_smoker: float = 1.0
    ex_smoker: float = 1.0
    after: tuple[tuple[str, float], ...] = ()
    loadings: tuple[float, float, float] = (0.5, 0.0, 0.0)


# Age shapes: diagnosed prevalence by age in England, approximate, from QOF age breakdowns where published
# (NHS Digital QOF 2019/20 prevalence by age for diabetes, dementia estimates), the Health Survey for England
# 2017-2019 (hypertension, CHD, stroke, CKD), the National Diabetes Audit 2019-20, the Alzheimer's Society
# Dementia UK report (2014) and Asthma UK / British Lung Foundation summaries. Odds ratios by sex and deprivation
# are rounded from the same sources and from the age-standardised gradients in OHID Fingertips; where a figure is
# not published it is a stated judgement. All are modelled.
CONDITION_MODELS: dict[str, ConditionModel] = {
    "hypertension": ConditionModel(
        {0: 0.0001, 18: 0.002, 30: 0.015, 40: 0.05, 50: 0.13, 60: 0.26, 70: 0.42, 80: 0.55, 90: 0.58},
        male=1.1,
        deprivation=1.3,
        loadings=(0.3, 0.8, 0.0),
    ),
    "diabetes": ConditionModel(
        {17: 0.005, 30: 0.012, 40: 0.035, 50: 0.08, 60: 0.14, 70: 0.19, 80: 0.20, 90: 0.15},
        male=1.35,
        deprivation=1.8,
        current_smoker=1.2,
        after=(("obesity", 3.0), ("hypertension", 1.8)),
        loadings=(0.3, 0.9, 0.0),
    ),
    "obesity": ConditionModel(
        {18: 0.06, 30: 0.10, 40: 0.13, 50: 0.15, 60: 0.16, 70: 0.14, 80: 0.09, 90: 0.05},
        male=0.8,
        deprivation=1.9,
        loadings=(0.2, 0.7, 0.1),
    ),
    "asthma": ConditionModel(
        {0: 0.0005, 2: 0.02, 5: 0.06, 10: 0.09, 15: 0.09, 20: 0.07, 30: 0.06, 50: 0.065, 70: 0.075, 90: 0.06},
        male=0.75,
        male_child=1.4,
        deprivation=1.3,
        loadings=(0.4, 0.0, 0.1),
    ),
    "copd": ConditionModel(
        {30: 0.001, 40: 0.004, 50: 0.015, 60: 0.04, 70: 0.07, 80: 0.09, 90: 0.08},
        male=1.15,
        deprivation=2.8,
        current_smoker=6.0,
        ex_smoker=4.0,
        after=(("asthma", 2.0),),
        loadings=(0.6, 0.0, 0.0),
    ),
    "cancer": ConditionModel(
        {0: 0.0003, 10: 0.001, 20: 0.002, 30: 0.005, 40: 0.012, 50: 0.025, 60: 0.05, 70: 0.09, 80: 0.13, 90: 0.14},
        male=0.9,
        deprivation=0.95,
        current_smoker=1.3,
        ex_smoker=1.15,
        loadings=(0.3, 0.0, 0.0),
    ),
    "learning_disability": ConditionModel(
        {0: 0.002, 5: 0.006, 10: 0.009, 20: 0.009, 30: 0.007, 40: 0.006, 50: 0.005, 60: 0.004, 70: 0.002, 90: 0.0005},
        male=1.5,
        deprivation=1.8,
        loadings=(0.3, 0.0, 0.2),
    ),
    "smi": ConditionModel(
        {10: 0.0001, 16: 0.002, 20: 0.006, 30: 0.011, 40: 0.014, 50: 0.015, 60: 0.013, 70: 0.011, 90: 0.009},
        male=1.05,
        deprivation=2.5,
        current_smoker=2.0,
        loadings=(0.3, 0.0, 0.9),
    ),
    "epilepsy": ConditionModel(
        {18: 0.008, 40: 0.009, 60: 0.010, 80: 0.011, 95: 0.011},
        male=1.1,
        deprivation=1.8,
        after=(("learning_disability", 8.0),),
        loadings=(0.4, 0.0, 0.2),
    ),
    "rheumatoid_arthritis": ConditionModel(
        {16: 0.0005, 30: 0.002, 40: 0.004, 50: 0.008, 60: 0.013, 70: 0.018, 80: 0.02, 90: 0.018},
        male=0.4,
        deprivation=1.3,
        current_smoker=1.5,
        loadings=(0.5, 0.0, 0.0),
    ),
    "chd": ConditionModel(
        {20: 0.0002, 30: 0.001, 40: 0.006, 50: 0.025, 60: 0.06, 70: 0.12, 80: 0.19, 90: 0.22},
        male=2.0,
        deprivation=1.8,
        current_smoker=1.8,
        ex_smoker=1.3,
        after=(("diabetes", 2.0), ("hypertension", 2.0)),
        loadings=(0.4, 0.8, 0.0),
    ),
    "atrial_fibrillation": ConditionModel(
        {20: 0.0002, 30: 0.0008, 40: 0.002, 50: 0.008, 60: 0.025, 70: 0.07, 80: 0.14, 90: 0.19},
        male=1.5,
        deprivation=0.95,
        after=(("hypertension", 1.6), ("chd", 1.5)),
        loadings=(0.4, 0.5, 0.0),
    ),
    "stroke_tia": ConditionModel(
        {20: 0.0003, 30: 0.001, 40: 0.004, 50: 0.01, 60: 0.025, 70: 0.055, 80: 0.09, 90: 0.11},
        male=1.2,
        deprivation=1.5,
        current_smoker=1.5,
        after=(("atrial_fibrillation", 1.8), ("hypertension", 1.6), ("diabetes", 1.4)),
        loadings=(0.4, 0.6, 0.0),
    ),
    "pad": ConditionModel(
        {30: 0.0002, 40: 0.001, 50: 0.003, 60: 0.008, 70: 0.02, 80: 0.035, 90: 0.04},
        male=1.8,
        deprivation=1.9,
        current_smoker=3.0,
        ex_smoker=1.8,
        after=(("diabetes", 2.5),),
        loadings=(0.4, 0.7, 0.0),
    ),
    "heart_failure": ConditionModel(
        {20: 0.0001, 30: 0.0005, 40: 0.001, 50: 0.004, 60: 0.01, 70: 0.03, 80: 0.07, 90: 0.12},
        male=1.5,
        deprivation=1.8,
        after=(("chd", 3.0), ("atrial_fibrillation", 3.0), ("hypertension", 1.5)),
        loadings=(0.6, 0.6, 0.0),
    ),
    "ckd": ConditionModel(
        {18: 0.0005, 40: 0.003, 50: 0.01, 60: 0.035, 70: 0.10, 80: 0.25, 90: 0.35},
        male=0.85,
        deprivation=1.3,
        after=(("diabetes", 2.5), ("hypertension", 2.5), ("heart_failure", 2.0)),
        loadings=(0.4, 0.6, 0.0),
    ),
    "osteoporosis": ConditionModel(
        {50: 0.0005, 60: 0.002, 70: 0.008, 80: 0.02, 90: 0.03},
        male=0.15,
        deprivation=1.1,
        current_smoker=1.5,
        after=(("rheumatoid_arthritis", 2.0),),
        loadings=(0.6, 0.0, 0.0),
    ),
    "dementia": ConditionModel(
        {50: 0.0003, 60: 0.002, 65: 0.006, 70: 0.015, 75: 0.035, 80: 0.07, 85: 0.13, 90: 0.22, 95: 0.30},
        male=0.85,
        deprivation=1.4,
        after=(("stroke_tia", 1.8), ("learning_disability", 4.0)),
        loadings=(0.6, 0.2, 0.2),
    ),
    "depression": ConditionModel(
        {18: 0.09, 25: 0.13, 35: 0.14, 45: 0.15, 55: 0.14, 65: 0.11, 75: 0.10, 95: 0.10},
        male=0.5,
        deprivation=1.6,
        current_smoker=1.6,
        after=(("smi", 1.5),),
        loadings=(0.3, 0.0, 0.9),
    ),
}

#: Latent factors: general ill-health, cardiometabolic and mental-health propensities (standard normal), with
#: the correlation of the cardiometabolic and mental factors with the general one. Modelled.
LATENT_CORRELATION_WITH_GENERAL = (0.4, 0.4)

#: Childhood asthma (under 16): odds ratio for living with a smoker (Burke et al., Pediatrics 2012, meta-analysis
#: of passive smoking and incident asthma: 1.21 to 1.85) and per standard deviation of the air-quality indicator
#: within England (Khreis et al., Environ Int 2017: traffic-related NO2 and childhood asthma, about 1.05 per
#: 4 ug/m3; taken here as 1.15 per SD of the exceedance-ratio indicator). Modelled.
CHILD_ASTHMA_HOUSEHOLD_SMOKER_ODDS_RATIO = 1.5
CHILD_ASTHMA_AIR_QUALITY_ODDS_RATIO_PER_SD = 1.15
ADULT_ASTHMA_AIR_QUALITY_ODDS_RATIO_PER_SD = 1.05

# --- frailty (electronic Frailty Index, 65 and over) ----------------------------------------------------------------

#: eFI cut points (Clegg et al., Age Ageing 2016): fit <= 0.12 < mild <= 0.24 < moderate <= 0.36 < severe.
EFI_DEFICITS = 36
EFI_CUT_POINTS = (0.12, 0.24, 0.36)
FRAILTY_CATEGORIES = ("fit", "mild", "moderate", "severe")
#: Registers that are eFI deficits (Clegg 2016 lists these among its 36 deficits).
EFI_CONDITION_DEFICITS = (
    "hypertension",
    "diabetes",
    "atrial_fibrillation",
    "chd",
    "heart_failure",
    "stroke_tia",
    "ckd",
    "copd",
    "asthma",
    "dementia",
    "osteoporosis",
    "rheumatoid_arthritis",
    "pad",
    "depression",
    "cancer",
)
#: Other deficits (mobility, sensory, incontinence ...): Poisson with log-mean
#: intercept + per decade over 65 + per SD of general ill-health + most vs least deprived. Tuned so the 65+
#: population of England is about 50% fit, 35% mild, 12% moderate, 3% severe (Clegg 2016).
EFI_OTHER_DEFICITS = {"intercept": 0.65, "per_decade": 0.35, "general": 0.35, "deprivation": 0.35}

# --- care homes, medicines, falls, advance care plans -------------------------------------------------------------

#: Living in a care home by age (65+), before the effects of dementia and frailty; with them, about 3% of people
#: aged 65+ and about 15% of those 85+ live in a care home (ONS Census 2021, older people in care homes), about
#: 70% of residents with dementia (Alzheimer's Society). Modelled.
CARE_HOME_BY_AGE: dict[int, float] = {64: 0.0, 65: 0.001, 75: 0.004, 85: 0.016, 95: 0.05, 105: 0.07}
CARE_HOME_ODDS_RATIOS = {"dementia": 30.0, "moderate": 2.5, "severe": 6.0, "learning_disability": 20.0}

#: Regular medicines: a gamma-Poisson count whose mean rises with age and each condition. Tuned so that about
#: 15% of people take 5 or more and 7% take 8 or more (National overprescribing review, DHSC 2021).
MEDICINES = {
    "base": 0.3,
    "per_decade_over_40": 0.45,
    "per_condition": 1.9,
    "moderate": 1.5,
    "severe": 3.0,
    "care_home": 2.0,
    "shape": 3.0,
}

#: Falls in the previous 12 months: about 30% of people aged 65+ and 50% of those aged 80+ fall at least once a
#: year (NICE CG161); more with frailty. The rate of falls per person is modelled.
FALLS_BY_AGE: dict[int, float] = {0: 0.01, 40: 0.015, 60: 0.05, 65: 0.12, 75: 0.2, 80: 0.28, 90: 0.4, 105: 0.45}
FALLS_RATE_RATIOS = {"mild": 1.6, "moderate": 2.6, "severe": 3.5, "dementia": 1.6, "care_home": 1.4}

#: Advance care plan recorded: share by group (modelled; Public Health England / NHS England guidance reports low
#: recording outside palliative care).
ADVANCE_CARE_PLAN = {"palliative": 0.55, "severe": 0.18, "moderate": 0.07, "care_home": 0.30, "other_75_plus": 0.01}

# --- national data opt-out ---------------------------------------------------------------------------------------

#: About 5% of patients have registered a national data opt-out (NHS England, National Data Opt-out statistics:
#: 5 to 6% in 2023-24), varying by practice.
OPT_OUT_MEAN = 0.05
OPT_OUT_PRACTICE_SD = 0.015

# --- mortality --------------------------------------------------------------------------------------------------

#: Life expectancy at birth by national IMD decile (1 = most deprived) and sex. End points and gaps from ONS,
#: Health state life expectancies by national deprivation deciles, England: 2018 to 2020 (males 73.5 and 83.2,
#: a gap of 9.7 years; females 78.3 and 86.3, 7.9 years); intermediate deciles interpolated on the published
#: concave pattern (larger steps at the deprived end). England averages about 79.3 and 83.1 (ONS National life
#: tables 2018-2020: 79.4 and 83.1).
LIFE_EXPECTANCY_BY_DECILE: dict[str, tuple[float, ...]] = {
    "M": (73.5, 75.7, 77.2, 78.4, 79.4, 80.3, 81.0, 81.8, 82.5, 83.2),
    "F": (78.3, 80.1, 81.4, 82.4, 83.2, 83.9, 84.6, 85.2, 85.8, 86.3),
}
#: Gompertz-Makeham shape of adult mortality m(x) = background + level * exp(slope * x); the level is solved per
#: sex and decile to give the life expectancy above. Infant mortality about 4 per 1,000 (ONS child mortality).
MORTALITY_SLOPE = {"M": 0.092, "F": 0.100}
MORTALITY_BACKGROUND = 0.0002
INFANT_MORTALITY = {"M": 0.0042, "F": 0.0035}

#: Hazard ratios for death for a person's record (modelled; broadly the size of effects in the Cambridge
#: Multimorbidity Score papers, Payne et al. CMAJ 2020, and eFI validation, Clegg 2016). They decide *who* dies
#: within an age, sex and deprivation cell; the cell's death rate comes from the life expectancy above.
MORTALITY_HAZARD_RATIOS: dict[str, float] = {
    "heart_failure": 2.5,
    "copd": 2.0,
    "ckd": 1.5,
    "diabetes": 1.4,
    "chd": 1.3,
    "atrial_fibrillation": 1.3,
    "stroke_tia": 1.4,
    "cancer": 2.2,
    "dementia": 2.6,
    "smi": 1.8,
    "learning_disability": 2.0,
    "epilepsy": 1.5,
    "pad": 1.6,
    "hypertension": 1.05,
    "depression": 1.2,
    "asthma": 1.05,
    "obesity": 1.1,
    "rheumatoid_arthritis": 1.2,
    "osteoporosis": 1.2,
    "mild": 1.5,
    "moderate": 2.5,
    "severe": 4.5,
    "care_home": 2.2,
    "current_smoker": 1.7,
    "general_per_sd": 1.35,
}

#: The palliative care register (QOF PC) is calibrated to each place's modelled prevalence and filled by people
#: with the highest hazard of death, cancer first; this much noise (SD on the log hazard) blurs the choice, so
#: many who die are not on it (modelled; the under-identification the frailty programmes set out to fix).
PALLIATIVE_CANCER_LOG_BOOST = 1.2
PALLIATIVE_NOISE_SD = 0.5

# --- activity and cost ----------------------------------------------------------------------------------------

#: Activity per person per year by age, England (approximate: NHS Digital Appointments in General Practice
#: 2022-23, about 5.5 practice appointments a head; Hospital Episode Statistics A&E 2022-23, about 0.4
#: attendances; HES Admitted Patient Care 2022-23, about 0.11 emergency admissions; NHS England Ambulance
#: Quality Indicators 2022-23, about 0.07 conveyances to an emergency department). Knots interpolated linearly.
ACTIVITY_BY_AGE: dict[str, dict[int, float]] = {
    "gp_contacts": {0: 5.0, 4: 4.0, 10: 2.5, 20: 3.5, 35: 4.0, 55: 5.5, 70: 8.0, 80: 11.0, 90: 14.0, 105: 14.0},
    "ae_attendances": {0: 0.55, 4: 0.4, 10: 0.3, 20: 0.45, 35: 0.35, 55: 0.3, 70: 0.35, 80: 0.55, 90: 0.9, 105: 0.9},
    "emergency_admissions": {
        0: 0.15,
        4: 0.06,
        10: 0.04,
        20: 0.06,
        35: 0.06,
        55: 0.09,
        70: 0.17,
        80: 0.3,
        90: 0.55,
        105: 0.6,
    },
    "ambulance_conveyances": {
        0: 0.03,
        10: 0.015,
        20: 0.04,
        35: 0.04,
        55: 0.05,
        70: 0.09,
        80: 0.17,
        90: 0.35,
        105: 0.4,
    },
}
#: Women have more GP contacts than men at 16-64 (NHS Digital appointments by sex); other settings similar.
FEMALE_GP_RATE_RATIO_16_64 = 1.5
#: Activity, most vs least deprived decile at the same age (OHID: emergency admissions about 1.7 times).
ACTIVITY_DEPRIVATION_RATE_RATIO: dict[str, float] = {
    "gp_contacts": 1.2,
    "ae_attendances": 1.8,
    "emergency_admissions": 1.7,
    "ambulance_conveyances": 1.9,
}
#: Rate ratios for emergency admission for each condition and state of the record (modelled; the size of effects
#: in published admission risk models such as the Combined Predictive Model, Wennberg et al. 2006). Other settings
#: take these to the power in ACTIVITY_CONDITION_SCALE (GP contacts rise less steeply with ill-health).
ADMISSION_RATE_RATIOS: dict[str, float] = {
    "heart_failure": 2.0,
    "copd": 1.9,
    "ckd": 1.4,
    "diabetes": 1.4,
    "chd": 1.4,
    "atrial_fibrillation": 1.3,
    "stroke_tia": 1.3,
    "cancer": 1.6,
    "dementia": 1.6,
    "smi": 1.6,
    "depression": 1.3,
    "asthma": 1.2,
    "hypertension": 1.1,
    "epilepsy": 1.6,
    "learning_disability": 1.5,
    "rheumatoid_arthritis": 1.2,
    "osteoporosis": 1.2,
    "pad": 1.4,
    "obesity": 1.1,
    "mild": 1.4,
    "moderate": 2.0,
    "severe": 3.0,
    "care_home": 1.5,
    "palliative_care": 1.5,
    "current_smoker": 1.2,
    "fallen": 1.5,
    "general_per_sd": 1.5,
}
#: Many conditions together raise activity less than the product of their rate ratios: the log of a person's
#: combined rate ratio R is saturated as log(M) * tanh(log(R) / log(M)), so no one exceeds M times the rate of
#: their age, sex and deprivation cell (modelled). The same applies to hazards of death with its own maximum.
ACTIVITY_MAXIMUM_RATE_RATIO = 15.0
MORTALITY_MAXIMUM_HAZARD_RATIO = 40.0
#: Childhood asthma raises emergency admission more than adult asthma does (modelled).
CHILD_ASTHMA_ADMISSION_RATE_RATIO = 2.0
ACTIVITY_CONDITION_SCALE: dict[str, float] = {
    "gp_contacts": 0.5,
    "ae_attendances": 0.6,
    "emergency_admissions": 1.0,
    "ambulance_conveyances": 1.0,
}
#: Ambulance conveyances after a fall (modelled).
AMBULANCE_FALLS_RATE_RATIO = 2.0
#: Unexplained, persistent differences between people (gamma, mean 1): the shape sets how much activity
#: concentrates in a few people and how well last year's activity predicts next year's. Modelled.
PERSON_ACTIVITY_SHAPE = 0.9
#: Year-to-year variation of a person's activity (gamma, mean 1, independent between years). Modelled.
YEAR_ACTIVITY_SHAPE = 4.0
#: In the last year of life hospital activity rises sharply (about three times; Nuffield Trust / Georghiou &
#: Bardsley 2014, Exploring the cost of care at the end of life). GP contacts rise less.
END_OF_LIFE_RATE_RATIO: dict[str, float] = {
    "gp_contacts": 1.5,
    "ae_attendances": 3.0,
    "emergency_admissions": 4.0,
    "ambulance_conveyances": 4.0,
}
#: Length of stay of an emergency admission: mean days by age (HES 2022-23: short stays for children, about
#: 9-10 days at 85+), more with frailty; gamma-Poisson with this shape (many zero-night stays).
LENGTH_OF_STAY_BY_AGE: dict[int, float] = {0: 1.0, 16: 2.0, 45: 3.0, 65: 4.5, 75: 6.0, 85: 7.5, 105: 7.5}
LENGTH_OF_STAY_FRAILTY_RATIO = {"mild": 1.15, "moderate": 1.3, "severe": 1.5}
LENGTH_OF_STAY_SHAPE = 0.9

#: Unit costs in pounds (2022-23 prices, approximate): GP practice contact (PSSRU Unit Costs of Health and Social
#: Care 2022, about GBP 42 for a GP consultation; less for other staff), A&E attendance (NHS England National Cost
#: Collection 2021-22, type 1 about GBP 250), emergency admission (National Cost Collection non-elective spells,
#: about GBP 800 plus GBP 350 a bed day), ambulance see, treat and convey (about GBP 460).
UNIT_COSTS = {
    "gp_contacts": 42.0,
    "ae_attendances": 250.0,
    "emergency_admission": 800.0,
    "bed_day": 350.0,
    "ambulance_conveyances": 460.0,
}

# --- a simulated intervention, for the evaluation page ---------------------------------------------------------

#: A pilot of proactive neighbourhood team care for people aged 65+ with moderate or severe frailty, in a random
#: share of PCNs, enrolled during the first half of year 2, the sickest first. Its effect on emergency admissions
#: and ambulance conveyances after enrolment is the truth an evaluation should recover (modelled).
INTERVENTION_NAME = "Proactive neighbourhood team care"
INTERVENTION_PCN_SHARE = 0.5
INTERVENTION_UPTAKE = 0.4
INTERVENTION_ENROLMENT_DAYS = 183
INTERVENTION_EFFECT = 0.15
