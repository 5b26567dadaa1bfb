"""Evaluation of an intervention: before and after, against a matched comparison group.

People who received an intervention on a date (``intervention`` and ``intervention_date`` in the person table;
simulated in the synthetic population) are compared with similar people who did not, each given an index date
drawn from the enrolment dates. For everyone, emergency admissions (or another kind of event) are counted in the
12 months before their date and from the date to the end of the data (as rates per person-year, follow-up ending
at death). Three estimates, to show why the comparison matters:

* **naive before and after**: the enrolled people's rate after against before. People enrolled after a bad year
  would have had fewer admissions anyway (regression to the mean), so this overstates the effect;
* **matched difference-in-differences**, matching by subclassification: enrolled and comparison people are put in
  cells that match exactly on frailty level, events in the 12 months before (0 to 6+) and emergency admissions in
  the year to March 2024 (0 to 4+), and on the fifth of the propensity score (the chance of enrolment given age,
  sex, conditions, medicines, deprivation and prior activity) among the enrolled. Every comparison person in a cell
  with enrolled people is used, weighted so that the comparison group has the enrolled group's make-up (each cell
  counts as many times as it has enrolled people: ATT weights); enrolled people in a cell with nobody to compare
  are left out. The effect is the enrolled group's after/before rate ratio over the weighted comparison group's,
  with a bootstrap interval that resamples enrolled and comparison people separately (the cells fixed, the
  weights recomputed in each resample);
* the **balance** of each matching variable before and after matching (standardised mean differences, the
  comparison group weighted).

Why subclassification rather than 1:1 nearest-neighbour matching: activity counts are heavy-tailed (a few people
have many admissions), so a ratio estimated from one comparison person per enrolled person is skewed and noisy,
and the bootstrap over pairs ignores the reuse of comparison people. Over 24 regenerated 20% samples of the
default ICB (``python bench/bench_evaluation.py``) the nearest-neighbour estimate of a simulated 15% effect had a
standard deviation of 0.09 and its interval covered the truth in 71-88% of samples; the weighted estimate had a
mean of -14%, a standard deviation of 0.06-0.07 and 96% coverage.

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
SUBCLASSES = 5
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


def matching_cells(
    score: np.ndarray, treated: np.ndarray, strata: np.ndarray, *, subclasses: int = SUBCLASSES
) -> np.ndarray:
    """The matching cell of each person (an integer code): the exact-matching stratum and the fifth (or other
    ``subclasses``) of the propensity ``score``, with fifths cut at the enrolled people's quantiles."""
    if treated.any() and subclasses > 1:
        edges = np.quantile(score[treated], np.linspace(0, 1, subclasses + 1)[1:-1])
        subclass = np.searchsorted(edges, score, side="right")
    else:
        subclass = np.zeros(len(score), dtype=np.int64)
    keys = pd.Series(np.asarray(strata, dtype=str)) + "#" + pd.Series(subclass.astype(str))
    return pd.factorize(keys)[0].astype(np.int64)


def cell_weights(cells: np.ndarray, treated: np.ndarray, *, multiplicity: np.ndarray | None = None) -> np.ndarray:
    """Weights that give the comparison group the enrolled group's make-up (ATT weights).

    An enrolled person weighs 1 if their cell holds comparison people and 0 if not; a comparison person weighs
    (enrolled in the cell) / (comparison people in the cell), 0 in a cell without enrolled people. ``multiplicity``
    (how many times each person was drawn, for the bootstrap) multiplies both the counts and the weights.
    """
    m = np.ones(len(cells)) if multiplicity is None else np.asarray(multiplicity, dtype=np.float64)
    size = int(cells.max()) + 1 if len(cells) else 0
    n_treated = np.bincount(cells, weights=m * treated, minlength=size)
    n_control = np.bincount(cells, weights=m * ~treated, minlength=size)
    both = (n_treated > 0) & (n_control > 0)
    ratio = np.divide(n_treated, n_control, out=np.zeros(size), where=n_control > 0)
    return np.where(treated, m * both[cells], m * ratio[cells] * both[cells])


def effective_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of a weighted group: (sum of weights)^2 / sum of squared weights."""
    total = float(np.sum(weights))
    squares = float(np.sum(np.square(weights)))
    return total * total / squares if squares > 0 else 0.0


def standardised_differences(data: pd.DataFrame, treated: np.ndarray, weights: np.ndarray | None = None) -> pd.Series:
    """Standardised mean difference of each matching variable, enrolled minus comparison, the means weighted by
    ``weights`` (all 1 if not given) and the denominator the pooled SD of the two unweighted groups (so that it
    is the same before and after matching)."""
    w = np.ones(len(data)) if weights is None else np.asarray(weights, dtype=np.float64)
    values = {}
    for variable in MATCHING_VARIABLES:
        x = data[variable].to_numpy(dtype=np.float64)
        a, b = x[treated], x[~treated]
        wa, wb = w[treated], w[~treated]
        if len(a) < 2 or len(b) < 2 or wa.sum() <= 0 or wb.sum() <= 0:
            values[variable] = np.nan
            continue
        sd = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
        difference = np.average(a, weights=wa) - np.average(b, weights=wb)
        values[variable] = difference / sd if sd > 0 else 0.0
    return pd.Series(values)


def _rate(events: np.ndarray, years: np.ndarray, weights: np.ndarray | None = None) -> float:
    w = np.ones(len(events)) if weights is None else weights
    total = float(np.sum(w * years))
    return float(np.sum(w * events)) / total if total > 0 else np.nan


def difference_in_differences(data: pd.DataFrame, weights: np.ndarray) -> float:
    """The enrolled group's after/before rate ratio over the comparison group's, minus 1, each person weighted."""
    treated = data["treated"].to_numpy()
    rates = {}
    for group, rows in (("t", treated), ("c", ~treated)):
        for period in ("before", "after"):
            rates[group, period] = _rate(
                data[f"events_{period}"].to_numpy()[rows], data[f"years_{period}"].to_numpy()[rows], weights[rows]
            )
    if not all(np.isfinite(v) for v in rates.values()) or not all(
        rates[k] > 0 for k in (("t", "before"), ("c", "before"), ("c", "after"))
    ):
        return np.nan
    return (rates["t", "after"] / rates["t", "before"]) / (rates["c", "after"] / rates["c", "before"]) - 1


@dataclass
class EvaluationResult:
    """Estimates, group rates, balance and monthly rates; aggregates only (no person-level rows)."""

    intervention: str
    event_type: str
    pool: str
    enrolled: int
    matched: int
    comparison_people: int
    effective_comparison: float
    pool_people: int
    clustered: bool
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
    subclasses: int = SUBCLASSES,
) -> EvaluationResult:
    """Naive before and after, and the matched difference-in-differences with bootstrap intervals (see the
    module doc); ``events`` are the dated events (for the month-by-month rates)."""
    frame = data.frame
    treated = frame["treated"].to_numpy()
    cells = matching_cells(propensity_scores(frame), treated, matching_strata(frame), subclasses=subclasses)
    weights = cell_weights(cells, treated)
    everyone = np.where(treated, 1.0, 0.0)
    naive = _naive_change(frame, everyone)
    naive_draws, matched_draws = [], []
    resample = _resampler(frame, treated)
    for _ in range(bootstrap):
        multiplicity = resample(rng)
        naive_draws.append(_naive_change(frame, multiplicity * treated))
        matched_draws.append(difference_in_differences(frame, cell_weights(cells, treated, multiplicity=multiplicity)))
    matched = treated & (weights > 0)
    balance = pd.DataFrame(
        {
            "variable": list(MATCHING_VARIABLES),
            "label": list(MATCHING_VARIABLES.values()),
            "before_matching": standardised_differences(frame, treated).to_numpy(),
            "after_matching": standardised_differences(frame, treated, weights).to_numpy(),
        }
    )
    return EvaluationResult(
        intervention=data.intervention,
        event_type=data.event_type,
        pool=pool,
        enrolled=int(treated.sum()),
        matched=int(matched.sum()),
        comparison_people=int((~treated & (weights > 0)).sum()),
        effective_comparison=effective_size(weights[~treated]),
        pool_people=int((~treated).sum()),
        clustered=clustered_by_pcn(frame),
        naive_change=float(naive),
        naive_interval=_interval(naive_draws),
        matched_effect=float(difference_in_differences(frame, weights)) if matched.any() else np.nan,
        matched_interval=_interval(matched_draws) if matched.any() else (np.nan, np.nan),
        groups=_group_rates(frame, weights),
        balance=balance,
        monthly=monthly_rates(frame, events, weights, event_type=data.event_type),
    )


MIN_CLUSTERS = 5


def true_effect_note(interval: tuple[float, float], *, true_effect: float | None) -> tuple[str, bool] | None:
    """What a known true effect says about a matched interval: the sentence, and whether the interval missed it.

    ``true_effect`` is the share of events prevented that a SYNTHETIC population was made with (0.15 for a 15%
    reduction); ``None`` for real data, where the truth is unknown and nothing is said.
    """
    if true_effect is None:
        return None
    low, high = interval
    if not (np.isfinite(low) and np.isfinite(high)):
        return None
    truth = -float(true_effect)
    span = f"{low:+.0%} to {high:+.0%}"
    if low <= truth <= high:
        return (
            f"The matched interval ({span}) holds the true effect of {truth:+.0%} that the synthetic data were made "
            "with.",
            False,
        )
    side = "smaller reduction" if low > truth else "larger reduction"
    return (
        f"This interval ({span}) misses the true effect of {truth:+.0%} that the synthetic data were made with: "
        f"all of it points to a {side} than the truth. A 95% interval misses the truth in about 1 evaluation in 20 "
        "by chance alone, and more often with few people or few neighbourhoods to resample; a miss can also mean "
        "that the groups differ in something the matching does not see. With real data the truth is unknown, so "
        "read any one estimate with its interval and the balance table, and look for the same result in other "
        "areas or periods before acting on it.",
        True,
    )


def clustered_by_pcn(frame: pd.DataFrame) -> bool:
    """Whether the bootstrap resamples neighbourhoods (PCNs) rather than people: when at least ``MIN_CLUSTERS``
    PCNs have enrolled people and, for the comparison people, at least as many PCNs have none (or the
    comparison people come from at least that many PCNs)."""
    treated = frame["treated"].to_numpy()
    pcn = frame["pcn_code"].astype("string").to_numpy()
    programme = set(pcn[treated])
    others = set(pcn[~treated]) - programme
    return len(programme) >= MIN_CLUSTERS and (len(others) >= MIN_CLUSTERS or not others)


def _resampler(frame: pd.DataFrame, treated: np.ndarray):
    """A function of a random generator returning one bootstrap resample as a count per row.

    The programme was given to whole neighbourhoods (PCNs), so people in one PCN share its circumstances and
    resampling people alone would understate the uncertainty: with enough PCNs, whole PCNs are resampled, the
    programme's PCNs and the others separately. Otherwise the enrolled and the comparison people are resampled
    separately.
    """
    if clustered_by_pcn(frame):
        cluster = pd.factorize(frame["pcn_code"].astype("string"))[0]
        programme = np.zeros(cluster.max() + 1, dtype=bool)
        programme[cluster[treated]] = True
        groups = [np.flatnonzero(programme), np.flatnonzero(~programme)]

        def draw(rng: np.random.Generator) -> np.ndarray:
            counts = np.zeros(len(programme))
            for members in groups:
                if len(members):
                    counts += np.bincount(rng.choice(members, size=len(members)), minlength=len(programme))
            return counts[cluster]

        return draw
    rows = [np.flatnonzero(treated), np.flatnonzero(~treated)]

    def draw_people(rng: np.random.Generator) -> np.ndarray:
        multiplicity = np.zeros(len(treated))
        for members in rows:
            if len(members):
                multiplicity[members] = np.bincount(rng.integers(0, len(members), len(members)), minlength=len(members))
        return multiplicity

    return draw_people


def _naive_change(frame: pd.DataFrame, weights: np.ndarray) -> float:
    after = _rate(frame["events_after"].to_numpy(), frame["years_after"].to_numpy(), weights)
    before = _rate(frame["events_before"].to_numpy(), frame["years_before"].to_numpy(), weights)
    return after / before - 1 if before > 0 else np.nan


def _interval(draws: list[float]) -> tuple[float, float]:
    values = np.asarray([d for d in draws if np.isfinite(d)], dtype=np.float64)
    if values.size == 0:
        return (np.nan, np.nan)
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


GROUPS = ("Enrolled (all)", "Enrolled (matched)", "Matched comparison (weighted)")


def _group_rates(frame: pd.DataFrame, weights: np.ndarray) -> pd.DataFrame:
    """People, events, person-years and rates by group and period. The comparison group's events and
    person-years are weighted to the enrolled group's make-up (rounded); whether a cell is suppressed is decided
    on the actual (unweighted) numbers of people and events."""
    treated = frame["treated"].to_numpy()
    rows = []
    for group, group_weights in zip(
        GROUPS, (treated.astype(np.float64), weights * treated, weights * ~treated), strict=True
    ):
        members = group_weights > 0
        for period in ("before", "after"):
            events = frame[f"events_{period}"].to_numpy()
            years = frame[f"years_{period}"].to_numpy()
            rows.append(
                {
                    "group": group,
                    "period": "12 months before" if period == "before" else "After (to March 2025)",
                    "people": int(members.sum()),
                    "events": round(float(np.sum(group_weights * events))),
                    "person_years": float(np.sum(group_weights * years)),
                    "rate_per_person_year": _rate(events, years, group_weights),
                    "_actual_events": int(events[members].sum()),
                }
            )
    table = suppress(
        pd.DataFrame(rows),
        count_columns=["people", "_actual_events"],
        group_by=["group", "period"],
        linked_columns=["events", "rate_per_person_year"],
    )
    table["events"] = table["events"].astype("Int64")
    return table.drop(columns=["_actual_events", "_actual_events_suppressed"])


MONTHS = tuple(range(-12, 12))


def monthly_rates(frame: pd.DataFrame, events: pd.DataFrame, weights: np.ndarray, *, event_type: str) -> pd.DataFrame:
    """Events per 1,000 people a month by month relative to the date (-12 to +11, months of 30 days), for the
    matched enrolled people and the weighted comparison group, counting each person after the date only while
    followed. ``events`` is the actual number of events (which decides suppression); ``per_1000`` is weighted."""
    months = np.array(MONTHS)
    treated = frame["treated"].to_numpy()
    rows = []
    for group, members in (("Enrolled", treated & (weights > 0)), ("Matched comparison", ~treated & (weights > 0))):
        positions = np.flatnonzero(members)
        w = weights[positions]
        ids = frame["person_id"].to_numpy()[positions]
        dates = frame["date"].to_numpy().astype("datetime64[D]")[positions]
        position, offset, _ = event_offsets(events, ids, dates, event_type=event_type)
        month = np.floor_divide(offset, 30) - months[0]
        inside = (month >= 0) & (month < len(months))
        grid = np.bincount(position[inside] * len(months) + month[inside], minlength=len(positions) * len(months))
        counts = grid.reshape(len(positions), len(months))
        followed_days = frame["years_after"].to_numpy()[positions] * 365.25
        for column, month_number in enumerate(months):
            end = (month_number + 1) * 30
            at_risk = np.ones(len(positions), dtype=bool) if month_number < 0 else followed_days >= end - 0.5
            people = float(w[at_risk].sum())
            weighted_events = float(np.sum(w[at_risk] * counts[at_risk, column]))
            rows.append(
                {
                    "group": group,
                    "month": int(month_number),
                    "people": int(at_risk.sum()),
                    "events": int(counts[at_risk, column].sum()),
                    "per_1000": weighted_events / people * 1000 if people else np.nan,
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
                x=[group.replace(" (", "<br>(") for group in rows["group"]],
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
        xaxis={"type": "category", "tickangle": 0},
    )
    figure = style_figure(figure, title=f"Before and after: {label}", height=400)
    # Below the axis: above the plot, the two entries wrap and cover the bars in a half-width column.
    figure.update_layout(legend={"y": -0.2, "yanchor": "top"}, margin={"b": 60})
    return figure


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
