"""Places against England on the indicators we ship, and an ICB against its statistical peers.

Every comparison goes through ``phm_core.stats.benchmark`` where the indicator has confidence limits (modelled
QOF prevalence, with Wilson limits). Indicators published without limits (IMD domains, ONS Health Index) are
ranked by fifth of England's local authorities instead, and say so; they are never called significant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

from phm_core import stats
from phm_core.loaders import DOMAINS

QOF_REGISTERS: dict[str, str] = {
    "AF": "Atrial fibrillation",
    "AST": "Asthma",
    "CAN": "Cancer",
    "CHD": "Coronary heart disease",
    "CKD": "Chronic kidney disease (18+)",
    "COPD": "COPD",
    "DEM": "Dementia",
    "DEP": "Depression (18+)",
    "DM": "Diabetes (17+)",
    "EP": "Epilepsy (18+)",
    "HF": "Heart failure",
    "HYP": "Hypertension",
    "LD": "Learning disability",
    "MH": "Serious mental illness",
    "OB": "Obesity (18+)",
    "OST": "Osteoporosis (50+)",
    "PAD": "Peripheral arterial disease",
    "RA": "Rheumatoid arthritis (16+)",
    "STIA": "Stroke and TIA",
    "CVDPP": "CVD primary prevention (30-74)",
    "PC": "Palliative care",
}
# Health Index indicators where a higher value is better; the rest are lower-is-better except those listed
# as having no polarity.
HEALTH_INDEX_HIGH_IS_GOOD = {
    "Life expectancy",
    "Activities in life are worthwhile",
    "Happiness",
    "Life satisfaction",
    "Physical activity",
    "Healthy eating",
    "Cancer screening attendance",
    "Child vaccination coverage",
    "Early years development",
    "Pupil attainment",
    "Internet access",
    "Private outdoor space",
    "Job-related training",
    "Patients offered acceptable GP practice appointments",
    "Young people in education, employment and apprenticeships",
}
HEALTH_INDEX_SHOWN = (
    "Life expectancy",
    "Mortality from all causes",
    "Avoidable mortality",
    "Infant mortality",
    "Suicides",
    "Smoking",
    "Overweight and obesity in adults",
    "Physical activity",
    "Child poverty",
    "Unemployment",
    "Air pollution",
    "Frailty",
    "Dementia",
    "Diabetes",
    "Mental health conditions",
)
# Colour-blind-safe benchmark colours (Okabe-Ito), with text labels in every cell so colour is never alone.
# Indicators without a polarity (modelled prevalence) are neither good nor bad when they differ from England:
# their classes are one neutral hue, darker for higher (ColorBrewer Purples), never the blues and oranges of
# better and worse, nor green or red.
BENCHMARK_COLOURS: dict[str, str] = {
    "best": "#0072B2",
    "better": "#56B4E9",
    "similar": "#F0E442",
    "worse": "#E69F00",
    "worst": "#D55E00",
    "highest": "#54278F",
    "higher": "#807DBA",
    "lower": "#BCBDDC",
    "lowest": "#DADAEB",
    "best fifth": "#0072B2",
    "2nd best fifth": "#56B4E9",
    "middle fifth": "#F0E442",
    "2nd worst fifth": "#E69F00",
    "worst fifth": "#D55E00",
    "not compared": "#E8EDEE",
}
#: The trend of an indicator that has one release only (IMD 2025), so no series to fit.
SINGLE_RELEASE = "single release"


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    source: str
    polarity: str
    unit: str
    fmt: str


def qof_prevalence_benchmarks(qof: pd.DataFrame, *, places: list[str]) -> pd.DataFrame:
    """Modelled QOF prevalence per place with Wilson limits, benchmarked against England (no polarity).

    ``qof`` has ``ltla24_code``, ``register_code``, ``register_count``, ``list``. Returns one row per place and
    register with value, limits, England's value, ``benchmark`` and the area's quintile among England's LADs.
    """
    frame = qof.rename(columns={"register_count": "numerator", "list": "denominator"}).copy()
    frame["numerator"] = frame["numerator"].round()
    frame["denominator"] = frame["denominator"].round()
    england = frame.groupby("register_code")[["numerator", "denominator"]].sum()
    england_value = england["numerator"] / england["denominator"]
    limits = stats.proportion(
        frame,
        numerator="numerator",
        denominator="denominator",
        group_by=["ltla24_code", "register_code"],
        confidence=(0.95, 0.998),
    )
    limits["england"] = limits["register_code"].map(england_value)
    compared = stats.benchmark(
        limits, comparator="england", polarity="no polarity", group_by="register_code", confidence=(0.95, 0.998)
    )
    compared["indicator"] = compared["register_code"].map(QOF_REGISTERS).fillna(compared["register_code"])
    compared["source"] = "Modelled QOF prevalence 2019/20 (House of Commons Library)"
    return compared.loc[compared["ltla24_code"].isin(places)].reset_index(drop=True)


def _fifth_labels(values: pd.Series, *, high_is_good: bool) -> pd.Series:
    """'best fifth' ... 'worst fifth' of England's local authorities (ties share the lower rank)."""
    ranks = values.rank(pct=True, ascending=high_is_good, method="max")  # the best values get the top ranks
    fifth = np.ceil(ranks * 5).clip(1, 5)
    names = {5: "best fifth", 4: "2nd best fifth", 3: "middle fifth", 2: "2nd worst fifth", 1: "worst fifth"}
    return fifth.map(lambda f: names[int(f)] if pd.notna(f) else "not compared")


def ranked_indicators(
    lsoa: pd.DataFrame, place_health_index: pd.DataFrame, *, places: list[str], year: int = 2021
) -> pd.DataFrame:
    """IMD domains and Health Index indicators per place, with England and the place's fifth of England's LADs.

    These are published without confidence limits, so they are ranked, not tested. ``trend`` is the Health Index
    series' trend up to ``year`` (:func:`series_trend`) and ``SINGLE_RELEASE`` for the IMD, never missing.
    """
    rows = []
    weighted = lsoa.assign(**{f"_w_{d}": lsoa[f"{d}_score"] * lsoa["pop_total"] for d in DOMAINS})
    lad = weighted.groupby("ltla24_code")[[f"_w_{d}" for d in DOMAINS] + ["pop_total"]].sum()
    for key, name in DOMAINS.items():
        values = lad[f"_w_{key}"] / lad["pop_total"]
        england = float(lad[f"_w_{key}"].sum() / lad["pop_total"].sum())
        fifths = _fifth_labels(values, high_is_good=False)
        label = "IMD 2025 score" if key == "imd" else f"{name} score (IMD 2025)"
        for code in places:
            rows.append(
                {
                    "ltla24_code": code,
                    "indicator": label,
                    "source": "English Indices of Deprivation 2025 (population-weighted LSOA scores)",
                    "value": float(values.get(code, np.nan)),
                    "england": england,
                    "benchmark": fifths.get(code, "not compared"),
                    "polarity": "low is good",
                    "trend": SINGLE_RELEASE,
                    "england_min": float(values.min()),
                    "england_max": float(values.max()),
                    "england_q1": float(values.quantile(0.25)),
                    "england_q3": float(values.quantile(0.75)),
                }
            )
    latest = place_health_index.loc[place_health_index["year"] == year]
    for indicator in HEALTH_INDEX_SHOWN:
        series = latest.loc[latest["indicator"] == indicator].set_index("ltla24_code")
        if series.empty:
            continue
        high_is_good = indicator in HEALTH_INDEX_HIGH_IS_GOOD
        polarity = "high is good" if high_is_good else "low is good"
        fifths = _fifth_labels(series["value"], high_is_good=high_is_good)
        history = place_health_index.loc[
            (place_health_index["indicator"] == indicator) & (place_health_index["year"] <= year)
        ]
        for code in places:
            rows.append(
                {
                    "ltla24_code": code,
                    "indicator": f"{indicator} (Health Index)",
                    "source": f"ONS Health Index {year} (no confidence limits published)",
                    "value": float(series["value"].get(code, np.nan)),
                    "england": float(series["england"].iloc[0]),
                    "benchmark": fifths.get(code, "not compared"),
                    "polarity": polarity,
                    "trend": series_trend(history.loc[history["ltla24_code"] == code], polarity=polarity),
                    "england_min": float(series["value"].min()),
                    "england_max": float(series["value"].max()),
                    "england_q1": float(series["value"].quantile(0.25)),
                    "england_q3": float(series["value"].quantile(0.75)),
                }
            )
    return pd.DataFrame(rows)


def health_index_by_place(health_index: pd.DataFrame, lad_lookup: pd.DataFrame) -> pd.DataFrame:
    """Every Health Index indicator per 2024 place and year, with England's population-weighted value."""
    series = health_index.merge(
        lad_lookup.rename(columns={"lad21_code": "ltla21_code"}), on="ltla21_code", how="inner"
    ).dropna(subset=["value"])
    series["weighted"] = series["value"] * series["lad21_population"]
    keys = ["lad24_code", "indicator", "year"]
    by_place = series.groupby(keys, as_index=False, observed=True)[["weighted", "lad21_population"]].sum()
    by_place["value"] = by_place["weighted"] / by_place["lad21_population"]
    england = series.groupby(["indicator", "year"], observed=True)[["weighted", "lad21_population"]].sum()
    england_value = (england["weighted"] / england["lad21_population"]).rename("england")
    by_place = by_place.merge(england_value.reset_index(), on=["indicator", "year"])
    by_place["indicator"] = by_place["indicator"].astype(str)
    return by_place[["lad24_code", "indicator", "year", "value", "england"]].rename(
        columns={"lad24_code": "ltla24_code"}
    )


def series_trend(series: pd.DataFrame, *, polarity: str, points: int = 5) -> str:
    """Trend over the last ``points`` annual values by ordinary least squares (the series has no published limits).

    Returns 'increasing', 'decreasing' or 'no significant change' (5% level), with 'and getting better/worse'.
    """
    recent = series.sort_values("year").tail(points)
    if len(recent) < points or recent["value"].nunique() < 2:
        return "could not be calculated"
    fit = scipy_stats.linregress(recent["year"], recent["value"])
    if fit.pvalue >= 0.05:
        return "no significant change"
    direction = "increasing" if fit.slope > 0 else "decreasing"
    if polarity == "no polarity":
        return direction
    good = (fit.slope > 0) == (polarity == "high is good")
    return f"{direction} and getting {'better' if good else 'worse'}"


def share_aged_65_plus(lsoa: pd.DataFrame, *, places: list[str]) -> pd.DataFrame:
    """Each place's share of residents aged 65+ and England's (Census 2021), to read crude prevalence against.

    ``lsoa`` covers England (``ltla24_code``, ``pop_65_plus``, ``pop_total``). Returns ``ltla24_code``,
    ``share_65_plus`` and ``england_share_65_plus``, one row per place found.
    """
    by_place = lsoa.groupby("ltla24_code")[["pop_65_plus", "pop_total"]].sum()
    by_place = by_place.loc[by_place.index.isin(places)]
    return pd.DataFrame(
        {
            "ltla24_code": by_place.index,
            "share_65_plus": (by_place["pop_65_plus"] / by_place["pop_total"]).to_numpy(),
            "england_share_65_plus": float(lsoa["pop_65_plus"].sum() / lsoa["pop_total"].sum()),
        }
    )


ICB_FEATURES = {
    "imd_score": "Average IMD 2025 score",
    "share_65_plus": "Share aged 65+",
    "share_0_15": "Share aged 15 and under",
    "share_rural": "Share living in rural areas",
}


def icb_features(lsoa: pd.DataFrame) -> pd.DataFrame:
    """Deprivation, age structure and rurality of each ICB of the table's geography (population-weighted)."""
    people = lsoa["pop_total"]
    frame = pd.DataFrame(
        {
            "icb_code": lsoa["icb_code"],
            "icb_name": lsoa["icb_name"],
            "people": people,
            "imd": lsoa["imd_score"] * people,
            "older": lsoa["pop_65_plus"],
            "young": lsoa["pop_0_15"],
            "rural": np.where(lsoa["ruc21_urban_rural"].eq("Rural"), people, 0),
            "fifth": np.where(lsoa["imd_decile"] <= 2, people, 0),
            "air": lsoa["aq_indicator"] * people,
        }
    )
    sums = frame.groupby(["icb_code", "icb_name"], as_index=False).sum(numeric_only=True)
    return pd.DataFrame(
        {
            "code": sums["icb_code"],
            "name": sums["icb_name"].str.removesuffix(" Integrated Care Board"),
            "people": sums["people"],
            "imd_score": sums["imd"] / sums["people"],
            "share_65_plus": sums["older"] / sums["people"],
            "share_0_15": sums["young"] / sums["people"],
            "share_rural": sums["rural"] / sums["people"],
            "most_deprived_fifth": sums["fifth"] / sums["people"],
            "aq_indicator": sums["air"] / sums["people"],
        }
    )


def peer_icbs(features: pd.DataFrame, *, icb_code: str, n_peers: int = 5) -> pd.DataFrame:
    """The ``n_peers`` ICBs nearest to ``icb_code`` on standardised deprivation, age structure and rurality.

    Euclidean distance on z-scores of ``ICB_FEATURES`` (scikit-learn StandardScaler + NearestNeighbors).
    """
    if icb_code not in set(features["code"]):
        raise ValueError(f"unknown ICB code '{icb_code}'")
    matrix = StandardScaler().fit_transform(features[list(ICB_FEATURES)].to_numpy())
    model = NearestNeighbors(n_neighbors=n_peers + 1).fit(matrix)
    position = int(np.flatnonzero(features["code"].to_numpy() == icb_code)[0])
    distances, indices = model.kneighbors(matrix[position : position + 1])
    peers = features.iloc[indices[0]].copy()
    peers["distance"] = distances[0]
    peers = peers.loc[peers["code"] != icb_code].head(n_peers)
    return peers.reset_index(drop=True)


def rank_among(features: pd.DataFrame, *, icb_code: str, column: str, high_is_bad: bool = True) -> int:
    """The ICB's rank on ``column`` among the given ICBs (1 = the highest value when high is bad)."""
    ranks = features[column].rank(ascending=not high_is_bad, method="min")
    return int(ranks[features["code"] == icb_code].iloc[0])
