"""Evaluation of an intervention: before and after, against a matched comparison group.

People who received an intervention on a date (``intervention`` and ``intervention_date`` in the person table;
simulated in the synthetic population) are compared with similar people who did not, each given an index date
drawn from the enrolment dates. For everyone, emergency admissions (or another kind of event) are counted in the
12 months before their date and from the date to the end of the data (as rates per person-year, follow-up ending
at death). Three estimates, to show why the comparison matters:

* **naive before and after**: the enrolled people's rate after against before. People enrolled after a bad year
  would have had fewer admissions anyway (regression to the mean), so this overstates the effect;
* **matched difference-in-differences**: each enrolled person is matched (nearest propensity score, with
  replacement, within a caliper, exactly on frailty level, events in the 12 months before and admissions in the
  year to March 2024) to a comparison person on age, sex, conditions, medicines, deprivation and prior activity;
  the effect is the enrolled group's after/before ratio over the comparison group's, with a bootstrap interval
  over matched pairs (which ignores the reuse of comparison people, so it is somewhat too narrow);
* the **balance** of each matching variable before and after matching (standardised mean differences).

All counts shown are suppressed with phm_core.stats.suppress.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from phm_core.palettes import NHS_BLUE, NHS_MID_GREY, NHS_PALE_GREY, NHS_WARM_YELLOW
from phm_core.risk import style_figure
from phm_core.stats import suppress
from phm_core.synth.schema import INDEX_DATE, YEAR_2_END

DAY = np.timedelta64(1, "D")
BEFORE_DAYS = 365
END_OF_DATA = np.datetime64(YEAR_2_END, "D")
EVENT_LABELS = {"emergency_admission": "Emergency admissions", "ambulance_conveyance": "Ambulance conveyances"}
POOLS = {
    "other_pcns": "Eligible people in neighbourhoods (PCNs) without the programme",
    "not_enrolled": "Every eligible person not enrolled",
}
MATCHING_VARIABLES: dict[str, str] = {
    "age": "Age",
    "male": "Male",
    "severe_frailty": "Severe frailty",
    "ltc_count": "Long-term conditions",
    "dementia": "Dementia",
    "care_home": "Care home",
    "palliative_care": "Palliative care register",
    "medicines": "Regular medicines",
    "imd_quintile": "Deprivation quintile",
    "events_before": "Events in the 12 months before",
    "ae_before": "A&E attendances in the 12 months before",
    "admissions_last_year": "Emergency admissions, April 2023 to March 2024",
    "any_admission_last_year": "Any emergency admission, April 2023 to March 2024",
}
CALIPER_SD = 0.2
BOOTSTRAP = 500


def eligible_for(people: pd.DataFrame, intervention: str) -> np.ndarray:
    """Who could have received the intervention: the eligibility rule of its enrolled people (65+, frailty level
    moderate or severe, as the enrolled), applied to everyone alive at the index date."""
    enrolled = (people["intervention"].astype("string") == intervention).fillna(False).to_numpy()
    if not enrolled.any():
        return np.zeros(len(people), dtype=bool)
    levels = set(people.loc[enrolled, "frailty"].astype("string").dropna())
    youngest = int(people.loc[enrolled, "age"].min())
    frailty = people["frailty"].astype("string").isin(levels).fillna(False).to_numpy()
    alive = (people["death_date"].isna() | (people["death_date"] >= pd.Timestamp(INDEX_DATE))).to_numpy()
    return frailty & (people["age"].to_numpy() >= youngest) & alive


def event_offsets(
    events: pd.DataFrame, person_ids: np.ndarray, dates: np.ndarray, *, event_type: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each event of a type belonging to one of ``person_ids`` (unique): the person's position, the event's
    day relative to the person's date, and the event's date."""
    chosen = events.loc[events["event_type"].astype("string").to_numpy() == event_type]
    position = pd.Index(person_ids).get_indexer(chosen["person_id"].astype("string"))
    found = position >= 0
    position = position[found]
    event_day = chosen["event_date"].to_numpy().astype("datetime64[D]")[found]
    return position, (event_day - dates[position]) // DAY, event_day


def window_counts(
    events: pd.DataFrame,
    person_ids: np.ndarray,
    dates: np.ndarray,
    *,
    event_type: str,
    start: int,
    end: int | None,
    until: np.ndarray | None = None,
) -> np.ndarray:
    """Events of a type per person with ``start <= day < end`` relative to each person's date (days; ``end=None``
    means no upper bound), and before ``until`` (a date per person, exclusive) when given. ``person_ids`` unique."""
    position, offset, event_day = event_offsets(events, person_ids, dates, event_type=event_type)
    keep = offset >= start
    if end is not None:
        keep &= offset < end
    if until is not None:
        keep &= event_day < until[position]
    return np.bincount(position[keep], minlength=len(person_ids))


@dataclass
class EvaluationData:
    """One row per enrolled or candidate comparison person, with their date, windows and matching variables."""

    frame: pd.DataFrame
    intervention: str
    event_type: str


def evaluation_data(
    people: pd.DataFrame,
    events: pd.DataFrame,
    *,
    intervention: str,
    event_type: str = "emergency_admission",
    pool: str = "other_pcns",
    rng: np.random.Generator,
) -> EvaluationData:
    """Enrolled people and the comparison pool, each with a date, events before and after, and person-years.

    The pool is ``other_pcns`` (eligible people registered in PCNs where nobody was enrolled: a cleaner comparison)
    or ``not_enrolled`` (every eligible person not enrolled, who may differ in why they were not chosen). Each
    person in the pool gets a date drawn at random from the enrolment dates; anyone who died before their date is
    left out.
    """
    if event_type not in EVENT_LABELS:
        raise ValueError(f"event_type must be one of {', '.join(EVENT_LABELS)}")
    if pool not in POOLS:
        raise ValueError(f"pool must be one of {', '.join(POOLS)}")
    enrolled = (people["intervention"].astype("string") == intervention).fillna(False).to_numpy()
    if not enrolled.any():
        raise ValueError(f"nobody received '{intervention}'")
    eligible = eligible_for(people, intervention) & ~enrolled
    if pool == "other_pcns":
        programme_pcns = set(people.loc[enrolled, "pcn_code"].astype("string"))
        eligible &= ~people["pcn_code"].astype("string").isin(programme_pcns).to_numpy()
    enrolled_dates = people.loc[enrolled, "intervention_date"].to_numpy().astype("datetime64[D]")
    pool_dates = rng.choice(enrolled_dates, size=int(eligible.sum()), replace=True)
    frame = pd.concat(
        [
            people.loc[enrolled].assign(_date=enrolled_dates, treated=True),
            people.loc[eligible].assign(_date=pool_dates, treated=False),
        ]
    )
    dates = frame["_date"].to_numpy().astype("datetime64[D]")
    death = frame["death_date"].to_numpy().astype("datetime64[D]")
    alive_at_date = np.isnat(death) | (death >= dates)
    frame, dates, death = frame.loc[alive_at_date], dates[alive_at_date], death[alive_at_date]
    ids = frame["person_id"].astype("string").to_numpy()
    stop = np.where(np.isnat(death), END_OF_DATA + DAY, np.minimum(death + DAY, END_OF_DATA + DAY))
    out = pd.DataFrame(
        {
            "person_id": ids,
            "treated": frame["treated"].to_numpy(dtype=bool),
            "date": dates,
            "pcn_code": frame["pcn_code"].astype("string").to_numpy(),
            "frailty": frame["frailty"].astype("string").to_numpy(),
            "age": frame["age"].to_numpy(dtype=np.float64),
            "male": (frame["sex"].astype("string") == "M").to_numpy(dtype=np.float64),
            "severe_frailty": (frame["frailty"].astype("string") == "severe").to_numpy(dtype=np.float64),
            "ltc_count": frame["ltc_count"].to_numpy(dtype=np.float64),
            "dementia": frame["dementia"].to_numpy(dtype=np.float64),
            "care_home": frame["care_home"].to_numpy(dtype=np.float64),
            "palliative_care": frame["palliative_care"].to_numpy(dtype=np.float64),
            "medicines": frame["medicines"].to_numpy(dtype=np.float64),
            "imd_quintile": frame["imd_quintile"].to_numpy(dtype=np.float64),
            "admissions_last_year": frame["emergency_admissions_y1"].to_numpy(dtype=np.float64),
            "any_admission_last_year": (frame["emergency_admissions_y1"].to_numpy() > 0).astype(np.float64),
        }
    )
    out["events_before"] = window_counts(events, ids, dates, event_type=event_type, start=-BEFORE_DAYS, end=0)
    out["events_after"] = window_counts(events, ids, dates, event_type=event_type, start=0, end=None, until=stop)
    out["ae_before"] = window_counts(events, ids, dates, event_type="ae_attendance", start=-BEFORE_DAYS, end=0)
    out["years_before"] = BEFORE_DAYS / 365.25
    out["years_after"] = ((stop - dates) // DAY).astype(np.float64) / 365.25
    return EvaluationData(frame=out.reset_index(drop=True), intervention=intervention, event_type=event_type)


def matching_strata(data: pd.DataFrame) -> np.ndarray:
    """Exact-matching cells: frailty level x events in the 12 months before (0 to 6+) x emergency admissions in the
    year to March 2024 (0 to 4+). The strongest predictors of later events are matched exactly, so that both groups
    regress to the mean alike; the propensity score matches the rest."""
    before = np.minimum(data["events_before"].to_numpy(), 6).astype(int)
    last_year = np.minimum(data["admissions_last_year"].to_numpy(), 4).astype(int)
    return data["frailty"].fillna("").astype(str).to_numpy() + "|" + before.astype(str) + "|" + last_year.astype(str)


def propensity_scores(data: pd.DataFrame, *, variables: Sequence[str] = tuple(MATCHING_VARIABLES)) -> np.ndarray:
    """The chance of being enrolled given the matching variables (a logistic regression; log-odds returned)."""
    x = StandardScaler().fit_transform(
        np.column_stack([np.log1p(data[v]) if v.endswith("_before") else data[v] for v in variables])
    )
    model = LogisticRegression(C=1.0, max_iter=1000).fit(x, data["treated"].to_numpy())
    return model.decision_function(x)


def match_nearest(
    score: np.ndarray, treated: np.ndarray, strata: np.ndarray, *, caliper: float
) -> tuple[np.ndarray, np.ndarray]:
    """1:1 nearest-neighbour matching on ``score`` with replacement, exactly within ``strata``, within ``caliper``.

    Returns the positions of matched treated people and of their comparison people (a comparison person may be
    used more than once); treated people with nobody within the caliper are left out.
    """
    treated_positions, control_positions = [], []
    for stratum in np.unique(strata):
        t = np.flatnonzero(treated & (strata == stratum))
        c = np.flatnonzero(~treated & (strata == stratum))
        if t.size == 0 or c.size == 0:
            continue
        order = np.argsort(score[c], kind="stable")
        sorted_scores = score[c][order]
        right = np.clip(np.searchsorted(sorted_scores, score[t]), 0, c.size - 1)
        left = np.clip(right - 1, 0, c.size - 1)
        pick = np.where(np.abs(sorted_scores[left] - score[t]) <= np.abs(sorted_scores[right] - score[t]), left, right)
        distance = np.abs(sorted_scores[pick] - score[t])
        ok = distance <= caliper
        treated_positions.append(t[ok])
        control_positions.append(c[order[pick[ok]]])
    if not treated_positions:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    return np.concatenate(treated_positions), np.concatenate(control_positions)


def standardised_differences(data: pd.DataFrame, treated: np.ndarray, control: np.ndarray) -> pd.Series:
    """Standardised mean difference of each matching variable between two sets of rows (pooled SD)."""
    values = {}
    for variable in MATCHING_VARIABLES:
        a, b = data[variable].to_numpy()[treated], data[variable].to_numpy()[control]
        sd = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2) if len(a) > 1 and len(b) > 1 else np.nan
        values[variable] = (a.mean() - b.mean()) / sd if sd and sd > 0 else 0.0
    return pd.Series(values)


def _rate(events: np.ndarray, years: np.ndarray) -> float:
    total = float(years.sum())
    return float(events.sum()) / total if total > 0 else np.nan


def _ratio_of_ratios(data: pd.DataFrame, t: np.ndarray, c: np.ndarray) -> float:
    after_t = _rate(data["events_after"].to_numpy()[t], data["years_after"].to_numpy()[t])
    before_t = _rate(data["events_before"].to_numpy()[t], data["years_before"].to_numpy()[t])
    after_c = _rate(data["events_after"].to_numpy()[c], data["years_after"].to_numpy()[c])
    before_c = _rate(data["events_before"].to_numpy()[c], data["years_before"].to_numpy()[c])
    if not all(v > 0 for v in (before_t, after_c, before_c)):
        return np.nan
    return (after_t / before_t) / (after_c / before_c) - 1


@dataclass
class EvaluationResult:
    """Estimates, group rates, balance and monthly rates; aggregates only (no person-level rows)."""

    intervention: str
    event_type: str
    pool: str
    enrolled: int
    matched: int
    comparison_people: int
    pool_people: int
    naive_change: float
    naive_interval: tuple[float, float]
    matched_effect: float
    matched_interval: tuple[float, float]
    groups: pd.DataFrame
    balance: pd.DataFrame
    monthly: pd.DataFrame


def evaluate(
    data: EvaluationData,
    events: pd.DataFrame,
    *,
    rng: np.random.Generator,
    bootstrap: int = BOOTSTRAP,
    pool: str = "",
) -> EvaluationResult:
    """Naive before and after, and matched difference-in-differences with bootstrap intervals (see module doc);
    ``events`` are the dated events (for the month-by-month rates)."""
    frame = data.frame
    treated = frame["treated"].to_numpy()
    score = propensity_scores(frame)
    caliper = CALIPER_SD * float(np.std(score))
    t, c = match_nearest(score, treated, matching_strata(frame), caliper=caliper)
    everyone_t = np.flatnonzero(treated)
    naive = (
        _rate(frame["events_after"].to_numpy()[everyone_t], frame["years_after"].to_numpy()[everyone_t])
        / _rate(frame["events_before"].to_numpy()[everyone_t], frame["years_before"].to_numpy()[everyone_t])
        - 1
    )
    naive_draws, matched_draws = [], []
    for _ in range(bootstrap):
        sample = rng.integers(0, len(everyone_t), size=len(everyone_t))
        s = everyone_t[sample]
        naive_draws.append(
            _rate(frame["events_after"].to_numpy()[s], frame["years_after"].to_numpy()[s])
            / _rate(frame["events_before"].to_numpy()[s], frame["years_before"].to_numpy()[s])
            - 1
        )
        if len(t):
            pairs = rng.integers(0, len(t), size=len(t))
            matched_draws.append(_ratio_of_ratios(frame, t[pairs], c[pairs]))
    effect = _ratio_of_ratios(frame, t, c) if len(t) else np.nan
    groups = _group_rates(frame, everyone_t, t, c)
    balance = pd.DataFrame(
        {
            "variable": list(MATCHING_VARIABLES),
            "label": list(MATCHING_VARIABLES.values()),
            "before_matching": standardised_differences(frame, everyone_t, np.flatnonzero(~treated)).to_numpy(),
            "after_matching": standardised_differences(frame, t, c).to_numpy() if len(t) else np.nan,
        }
    )
    return EvaluationResult(
        intervention=data.intervention,
        event_type=data.event_type,
        pool=pool,
        enrolled=int(treated.sum()),
        matched=int(len(t)),
        comparison_people=int(len(np.unique(c))),
        pool_people=int((~treated).sum()),
        naive_change=float(naive),
        naive_interval=_interval(naive_draws),
        matched_effect=float(effect),
        matched_interval=_interval(matched_draws),
        groups=groups,
        balance=balance,
        monthly=monthly_rates(frame, events, t, c, event_type=data.event_type),
    )


def _interval(draws: list[float]) -> tuple[float, float]:
    values = np.asarray([d for d in draws if np.isfinite(d)], dtype=np.float64)
    if values.size == 0:
        return (np.nan, np.nan)
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def _group_rates(frame: pd.DataFrame, everyone_t: np.ndarray, t: np.ndarray, c: np.ndarray) -> pd.DataFrame:
    rows = []
    for group, positions in (
        ("Enrolled (all)", everyone_t),
        ("Enrolled (matched)", t),
        ("Matched comparison", c),
    ):
        for period in ("before", "after"):
            events = frame[f"events_{period}"].to_numpy()[positions]
            years = frame[f"years_{period}"].to_numpy()[positions]
            rows.append(
                {
                    "group": group,
                    "period": "12 months before" if period == "before" else "After (to March 2025)",
                    "people": int(len(positions)),
                    "events": int(events.sum()),
                    "person_years": float(years.sum()),
                    "rate_per_person_year": _rate(events, years),
                }
            )
    table = pd.DataFrame(rows)
    return suppress(
        table, count_columns=["people", "events"], group_by=["group", "period"], linked_columns=["rate_per_person_year"]
    )


MONTHS = tuple(range(-12, 12))


def monthly_rates(
    frame: pd.DataFrame, events: pd.DataFrame, t: np.ndarray, c: np.ndarray, *, event_type: str
) -> pd.DataFrame:
    """Events per 1,000 people a month by month relative to the date (-12 to +11, months of 30 days), for the
    matched enrolled and comparison people, counting each person after the date only while followed."""
    months = np.array(MONTHS)
    rows = []
    for group, positions in (("Enrolled", t), ("Matched comparison", c)):
        # A comparison person matched twice counts twice: count each once, then spread back over the pairs.
        unique, inverse = np.unique(positions, return_inverse=True)
        ids = frame["person_id"].to_numpy()[unique]
        dates = frame["date"].to_numpy().astype("datetime64[D]")[unique]
        position, offset, _ = event_offsets(events, ids, dates, event_type=event_type)
        month = np.floor_divide(offset, 30) - months[0]
        inside = (month >= 0) & (month < len(months))
        grid = np.bincount(position[inside] * len(months) + month[inside], minlength=len(unique) * len(months))
        counts = grid.reshape(len(unique), len(months))[inverse]
        followed_days = frame["years_after"].to_numpy()[positions] * 365.25
        for column, month_number in enumerate(months):
            end = (month_number + 1) * 30
            at_risk = np.ones(len(positions), dtype=bool) if month_number < 0 else followed_days >= end - 0.5
            people = int(at_risk.sum())
            events_in_month = int(counts[at_risk, column].sum())
            rows.append(
                {
                    "group": group,
                    "month": int(month_number),
                    "people": people,
                    "events": events_in_month,
                    "per_1000": events_in_month / people * 1000 if people else np.nan,
                }
            )
    table = pd.DataFrame(rows)
    return suppress(table, count_columns=["events"], group_by=["group", "month"], linked_columns=["per_1000"])


# --- figures ------------------------------------------------------------------------------------------------------


def before_after_figure(result: EvaluationResult) -> go.Figure:
    """Rates before and after for the enrolled (all and matched) and the matched comparison group."""
    groups = result.groups
    traces = []
    for period, colour in (("12 months before", NHS_MID_GREY), ("After (to March 2025)", NHS_BLUE)):
        rows = groups.loc[groups["period"] == period]
        traces.append(
            go.Bar(
                x=rows["group"].tolist(),
                y=rows["rate_per_person_year"].astype("float64").tolist(),
                name=period,
                marker_color=colour,
                hovertemplate="%{x}, " + period + ": %{y:.2f} a person-year<extra></extra>",
            )
        )
    figure = go.Figure(traces)
    label = EVENT_LABELS[result.event_type].lower()
    figure.update_layout(
        barmode="group",
        yaxis={"title": f"{EVENT_LABELS[result.event_type]} per person-year", "gridcolor": NHS_PALE_GREY},
        xaxis={"type": "category"},
    )
    return style_figure(figure, title=f"Before and after: {label}", height=400)


def monthly_figure(monthly: pd.DataFrame, *, event_type: str) -> go.Figure:
    """Events per 1,000 people a month around the date (0 = enrolment, or the comparison person's date)."""
    traces = []
    for group, colour in (("Enrolled", NHS_BLUE), ("Matched comparison", NHS_WARM_YELLOW)):
        rows = monthly.loc[monthly["group"] == group]
        traces.append(
            go.Scatter(
                x=rows["month"].tolist(),
                y=rows["per_1000"].astype("float64").tolist(),
                mode="lines+markers",
                name=group,
                line={"color": colour},
                hovertemplate="Month %{x}: %{y:.0f} per 1,000<extra>" + group + "</extra>",
            )
        )
    figure = go.Figure(traces)
    figure.add_vline(x=-0.5, line={"color": "#212B32", "dash": "dot", "width": 1})
    figure.update_layout(
        xaxis={"title": "Months from the date (0 = the month after enrolment)", "gridcolor": NHS_PALE_GREY, "dtick": 3},
        yaxis={
            "title": f"{EVENT_LABELS[event_type]} per 1,000 a month",
            "gridcolor": NHS_PALE_GREY,
            "rangemode": "tozero",
        },
    )
    return style_figure(figure, title="Month by month around the date", height=400)
