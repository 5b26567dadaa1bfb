"""Impactability and scenarios: what would change if an intervention reached a cohort, with uncertainty.

An :class:`Intervention` has a default eligible cohort (phm_core.cohorts.CohortCriteria), a **reach** (the share of
eligible people it reaches: identified, contacted, in service hours), an **uptake** (the share of those reached who
take part) and an **effect** on each kind of activity (the relative reduction among participants), each an
:class:`Assumption` with a most likely value, a plausible range and its source. Some interventions add activity in
other settings (a pharmacist's review, community team contacts, a response visit instead of a conveyance): that is
the **shift of activity between settings**. The interventions offered (:data:`INTERVENTIONS`) are a table in
phm_core/data/interventions.yaml, loaded and checked once on import (:func:`parse_interventions`). Users edit the
low, most likely and high of each assumption (:class:`AssumptionSpec`, :func:`range_problem`).

The forecast (:func:`simulate`) is a Monte Carlo over the assumptions: each draw takes reach, uptake, effects and
cost from PERT distributions over their ranges, the number of participants from a binomial, and the cohort's
activity in a year from a Poisson around its activity in the last 12 months; it reports the median and a 95%
interval of people reached, admissions, bed days, A&E attendances and ambulance conveyances avoided, the activity
added elsewhere, and the costs: of the activity avoided, of the activity added (both at national unit costs), the
intervention's other costs (per participant), and the net saving (avoided minus added minus other costs).
:func:`expected_impact` is the same arithmetic at the most likely values, without chance.

The baseline is the cohort's last 12 months: a cohort picked for recent admissions would have fewer next year even
without an intervention (regression to the mean), which the forecast does not remove (see phm_core.evaluation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import yaml

from phm_core.cohorts import SMALL_NUMBER, CohortCriteria
from phm_core.palettes import NHS_BLUE, NHS_MID_GREY, NHS_PALE_GREY, NHS_WARM_YELLOW
from phm_core.risk import style_figure
from phm_core.stats import suppress
from phm_core.synth.parameters import UNIT_COSTS
from phm_core.synth.schema import activity_column

#: Kinds of hospital and ambulance activity an intervention can reduce (person table columns, year 1 and 2).
REDUCIBLE: dict[str, str] = {
    "emergency_admissions": "Emergency admissions",
    "bed_days": "Emergency bed days",
    "ae_attendances": "A&E attendances",
    "ambulance_conveyances": "Ambulance conveyances",
}
#: Every setting whose activity can change, in the order the shift is shown.
SETTINGS: dict[str, str] = {
    **REDUCIBLE,
    "gp_contacts": "GP practice contacts",
    "community_contacts": "Community and neighbourhood team contacts",
}
HOSPITAL_SETTINGS = tuple(REDUCIBLE)
#: Unit costs in pounds (the synthetic population's national unit costs; a community contact is an assumption).
COMMUNITY_CONTACT_COST = 60.0
SETTING_COSTS: dict[str, float] = {
    "emergency_admissions": UNIT_COSTS["emergency_admission"],
    "bed_days": UNIT_COSTS["bed_day"],
    "ae_attendances": UNIT_COSTS["ae_attendances"],
    "ambulance_conveyances": UNIT_COSTS["ambulance_conveyances"],
    "gp_contacts": UNIT_COSTS["gp_contacts"],
    "community_contacts": COMMUNITY_CONTACT_COST,
}
DEFAULT_DRAWS = 2_000
INTERVAL = (2.5, 97.5)
MAX_SCENARIOS = 3


@dataclass(frozen=True)
class Assumption:
    """An uncertain quantity: most likely ``value`` within ``low``..``high`` (a PERT distribution), its source,
    whether it is a judgement (``assumed``) rather than a published figure, and whether the user ``changed`` it."""

    value: float
    low: float
    high: float
    source: str
    assumed: bool = True
    changed: bool = False

    def __post_init__(self) -> None:
        if not self.low <= self.value <= self.high:
            raise ValueError(f"an assumption needs low <= value <= high, not {self.low}, {self.value}, {self.high}")

    def with_range(self, value: float, low: float, high: float, *, default_text: str | None = None) -> Assumption:
        """The user's most likely value and range, marked as changed (an assumption); the source says what the
        default was (``default_text``, e.g. '5%, range 0% to 12%') and where it came from."""
        default_text = default_text or f"{self.value:g}, range {self.low:g} to {self.high:g}"
        return replace(
            self,
            value=value,
            low=low,
            high=high,
            source=f"Changed by the user (default {default_text}: {self.source})",
            assumed=True,
            changed=True,
        )

    def with_value(self, value: float, *, lower: float = -np.inf, upper: float = np.inf) -> Assumption:
        """The same assumption with a new most likely value and its range scaled with it (the same relative
        uncertainty; moved instead when the old value was 0), kept within ``lower``..``upper``; marked as changed.
        This is what the page does when only the most likely value is edited (see :meth:`AssumptionSpec.follow`)."""
        low, high = self.scaled_range(value, lower=lower, upper=upper)
        return self.with_range(value, low, high, default_text=f"{self.value:g}")

    def scaled_range(self, value: float, *, lower: float = -np.inf, upper: float = np.inf) -> tuple[float, float]:
        """The range for a new most likely value with the same relative uncertainty (see :meth:`with_value`)."""
        if self.value != 0:
            factor = value / self.value
            low, high = sorted((self.low * factor, self.high * factor))
        else:
            low, high = self.low + value, self.high + value
        return max(lower, min(low, value)), min(upper, max(high, value))


def range_problem(low: float, value: float, high: float, *, lower: float, upper: float, unit: str = "") -> str | None:
    """What is wrong with a low / most likely / high triple (in the units shown), or None when it can be used:
    each within ``lower``..``upper`` and low <= most likely <= high."""

    def shown(x: float) -> str:
        return f"GBP {x:,.2f}".replace(".00", "") if unit == "GBP" else f"{x:g}{unit}"

    values = {"low": low, "most likely": value, "high": high}
    if not all(np.isfinite(v) for v in values.values()):
        return "Enter a number in each box."
    for name, x in values.items():
        if x < lower or x > upper:
            where = f"between {shown(lower)} and {shown(upper)}" if np.isfinite(upper) else f"at least {shown(lower)}"
            return f"The {name} value ({shown(x)}) must be {where}."
    if low > value:
        return f"Low ({shown(low)}) is above the most likely value ({shown(value)}): lower it or raise the most likely."
    if value > high:
        return f"The most likely value ({shown(value)}) is above high ({shown(high)}): raise high or lower it."
    return None


def pert(assumption: Assumption, size: int, rng: np.random.Generator) -> np.ndarray:
    """Draws from the PERT distribution of an assumption (a scaled beta with its mode at the most likely value)."""
    low, mode, high = assumption.low, assumption.value, assumption.high
    if high - low <= 1e-12:
        return np.full(size, mode, dtype=np.float64)
    alpha = 1 + 4 * (mode - low) / (high - low)
    beta = 1 + 4 * (high - mode) / (high - low)
    return low + (high - low) * rng.beta(alpha, beta, size=size)


@dataclass(frozen=True)
class Intervention:
    """An intervention: who is eligible by default, reach, uptake, effects, the activity it adds and its cost."""

    key: str
    label: str
    description: str
    cohort: CohortCriteria
    cohort_text: str
    reach: Assumption
    uptake: Assumption
    effects: Mapping[str, Assumption]
    cost_per_participant: Assumption
    added_per_participant: Mapping[str, float] = field(default_factory=dict)
    added_per_avoided_conveyance: Mapping[str, float] = field(default_factory=dict)
    added_note: str = ""

    def __post_init__(self) -> None:
        unknown = set(self.effects) - set(REDUCIBLE)
        unknown |= set(self.added_per_participant) - set(SETTINGS)
        unknown |= set(self.added_per_avoided_conveyance) - set(SETTINGS)
        if unknown:
            raise ValueError(f"{self.key}: unknown activity {', '.join(sorted(unknown))}")
        for name, share in (("reach", self.reach), ("uptake", self.uptake)):
            if not 0 <= share.low <= share.high <= 1:
                raise ValueError(f"{self.key}: {name} must lie between 0 and 1")
        for kind, effect in self.effects.items():
            if not -1 <= effect.low <= effect.high <= 1:
                raise ValueError(f"{self.key}: the effect on {kind} must lie between -1 and 1")
        if self.cost_per_participant.low < 0:
            raise ValueError(f"{self.key}: the cost per participant cannot be negative")


@dataclass(frozen=True)
class AssumptionSpec:
    """How one assumption of an intervention is shown and edited: its ``key`` (``reach``, ``uptake``, ``cost``,
    ``effect_<kind>``), label, unit (``%`` or ``GBP``), the factor from stored to shown values (100 or 1), and the
    bounds of what may be entered, in shown units (shares 0 to 100%, effects -100% to 100%, costs from GBP 0)."""

    key: str
    label: str
    unit: str
    scale: float
    lower: float
    upper: float
    assumption: Assumption

    def shown(self, x: float) -> float:
        """A stored value in shown units (percent for shares and effects), to two decimals."""
        return round(float(x) * self.scale, 2)

    def text(self, x: float) -> str:
        """A stored value as words: '5%' or 'GBP 40'."""
        return f"GBP {self.shown(x):g}" if self.unit == "GBP" else f"{self.shown(x):g}%"

    def defaults(self) -> tuple[float, float, float]:
        """The default low, most likely and high, in shown units."""
        a = self.assumption
        return self.shown(a.low), self.shown(a.value), self.shown(a.high)

    def auto_range(self, value: float) -> tuple[float, float]:
        """The range (shown units) that goes with a most likely value (shown units) when only that was edited: the
        default's relative uncertainty, as :meth:`Assumption.with_value`, within the bounds."""
        low, high = self.assumption.scaled_range(
            value / self.scale, lower=self.lower / self.scale, upper=self.upper / self.scale
        )
        return self.shown(low), self.shown(high)

    def follow(self, previous: float, new: float, low: float, high: float) -> tuple[float, float]:
        """The range after the most likely value moved from ``previous`` to ``new`` (shown units): it moves with the
        value while it is the range that went with ``previous`` (nobody set it); a range the user set stays."""
        if np.allclose((low, high), self.auto_range(previous), atol=1e-6):
            return self.auto_range(new)
        return low, high

    def problem(self, low: float, value: float, high: float) -> str | None:
        """What is wrong with the values entered (shown units), or None (see :func:`range_problem`)."""
        return range_problem(low, value, high, lower=self.lower, upper=self.upper, unit=self.unit)

    def edited(self, low: float, value: float, high: float) -> Assumption:
        """The assumption from the values entered (shown units; check :meth:`problem` first): the default itself
        when they are the default's, otherwise the user's, its source saying what the default was."""
        if np.allclose((low, value, high), self.defaults(), atol=1e-9):
            return self.assumption
        a = self.assumption
        return a.with_range(
            value / self.scale,
            low / self.scale,
            high / self.scale,
            default_text=f"{self.text(a.value)}, range {self.text(a.low)} to {self.text(a.high)}",
        )


def _lower(label: str) -> str:
    """A label inside a sentence: 'Emergency admissions' -> 'emergency admissions'; 'A&E ...' and 'GP ...' kept."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def assumption_specs(intervention: Intervention) -> list[AssumptionSpec]:
    """The editable assumptions of an intervention: reach, uptake, other cost per participant, then each effect."""
    specs = [
        AssumptionSpec("reach", "Reach", "%", 100.0, 0.0, 100.0, intervention.reach),
        AssumptionSpec("uptake", "Uptake", "%", 100.0, 0.0, 100.0, intervention.uptake),
        AssumptionSpec(
            "cost", "Other cost per participant", "GBP", 1.0, 0.0, np.inf, intervention.cost_per_participant
        ),
    ]
    specs += [
        AssumptionSpec(f"effect_{kind}", f"Effect on {_lower(REDUCIBLE[kind])}", "%", 100.0, -100.0, 100.0, a)
        for kind, a in intervention.effects.items()
    ]
    return specs


def with_assumptions(intervention: Intervention, assumptions: Mapping[str, Assumption]) -> Intervention:
    """The intervention with some assumptions replaced (keys as in :func:`assumption_specs`)."""
    unknown = set(assumptions) - {spec.key for spec in assumption_specs(intervention)}
    if unknown:
        raise ValueError(f"{intervention.key}: no assumption {', '.join(sorted(unknown))}")
    effects = {kind: assumptions.get(f"effect_{kind}", a) for kind, a in intervention.effects.items()}
    return replace(
        intervention,
        reach=assumptions.get("reach", intervention.reach),
        uptake=assumptions.get("uptake", intervention.uptake),
        cost_per_participant=assumptions.get("cost", intervention.cost_per_participant),
        effects=effects,
    )


def assumption_table(intervention: Intervention) -> pd.DataFrame:
    """Every assumption of an intervention in shown units: key, label, unit, low, most likely, high, its evidence
    ('Published evidence' or 'Assumption'), whether the user changed it, and its source."""
    rows = []
    for spec in assumption_specs(intervention):
        a = spec.assumption
        rows.append(
            {
                "key": spec.key,
                "label": spec.label,
                "unit": spec.unit,
                "low": spec.shown(a.low),
                "most_likely": spec.shown(a.value),
                "high": spec.shown(a.high),
                "evidence": "Assumption" if a.assumed else "Published evidence",
                "changed": a.changed,
                "source": a.source,
            }
        )
    return pd.DataFrame(rows)


# --- the interventions (phm_core/data/interventions.yaml) -----------------------------------------------------------

INTERVENTIONS_FILE = Path(__file__).with_name("data") / "interventions.yaml"
_ASSUMPTION_FIELDS = {"value", "low", "high", "source"}
_INTERVENTION_FIELDS = {
    "key",
    "label",
    "description",
    "cohort",
    "cohort_text",
    "reach",
    "uptake",
    "effects",
    "cost_per_participant",
}
_OPTIONAL_FIELDS = {"added_per_participant", "added_per_avoided_conveyance", "added_note"}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and bool(np.isfinite(value))


def _fields(values: object, where: str, required: set[str], optional: set[str] = frozenset()) -> Mapping[str, Any]:
    if not isinstance(values, Mapping):
        raise ValueError(f"{where}: expected a mapping of {', '.join(sorted(required))}")
    missing, unknown = required - set(values), set(values) - required - optional
    if missing or unknown:
        problems = [f"missing {', '.join(sorted(missing))}"] * bool(missing)
        problems += [f"unknown {', '.join(sorted(map(str, unknown)))}"] * bool(unknown)
        raise ValueError(f"{where}: {'; '.join(problems)}")
    return values


def _assumption(values: object, notes: Mapping[str, str], where: str) -> Assumption:
    values = _fields(values, where, _ASSUMPTION_FIELDS, {"published"})
    if not all(_is_number(values[name]) for name in ("value", "low", "high")):
        raise ValueError(f"{where}: value, low and high must be numbers")
    if not isinstance(values["source"], str) or not isinstance(values.get("published", False), bool):
        raise ValueError(f"{where}: the source must be text and published true or false")
    try:
        source = values["source"].format_map(notes)
    except (KeyError, ValueError) as error:
        raise ValueError(f"{where}: the source names an unknown note ({error})") from None
    try:
        return Assumption(
            float(values["value"]),
            float(values["low"]),
            float(values["high"]),
            source,
            assumed=not values.get("published", False),
        )
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def _per_unit(values: object, where: str) -> dict[str, float]:
    if not isinstance(values, Mapping) or not all(_is_number(v) and v >= 0 for v in values.values()):
        raise ValueError(f"{where}: expected settings with a number of contacts (0 or more) each")
    return {str(setting): float(count) for setting, count in values.items()}


def parse_interventions(text: str, *, name: str = "interventions.yaml") -> dict[str, Intervention]:
    """Interventions from their YAML table (see phm_core/data/interventions.yaml), each checked: required and
    unknown fields, numbers, ranges (low <= most likely <= high; shares 0 to 1, effects -1 to 1, costs from 0), the
    cohort criteria, known activity, notes named in sources, and unique keys. A problem is a ValueError naming the
    intervention and field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValueError(f"{name}: not valid YAML ({error})") from None
    data = _fields(data, name, {"notes", "interventions"})
    notes = data["notes"]
    if not isinstance(notes, Mapping) or not all(isinstance(v, str) for v in notes.values()):
        raise ValueError(f"{name}: notes must map names to text")
    if not isinstance(data["interventions"], list) or not data["interventions"]:
        raise ValueError(f"{name}: interventions must be a non-empty list")
    interventions: dict[str, Intervention] = {}
    for number, entry in enumerate(data["interventions"], start=1):
        key = entry.get("key") if isinstance(entry, Mapping) else None
        where = f"{name}: intervention {key or number}"
        entry = _fields(entry, where, _INTERVENTION_FIELDS, _OPTIONAL_FIELDS)
        if not all(isinstance(entry[f], str) and entry[f] for f in ("key", "label", "description", "cohort_text")):
            raise ValueError(f"{where}: key, label, description and cohort_text must be text")
        if key in interventions:
            raise ValueError(f"{where}: the key is used twice")
        try:
            cohort = CohortCriteria.from_dict(entry["cohort"] or {})
        except (TypeError, ValueError, AttributeError) as error:
            raise ValueError(f"{where}: cohort: {error}") from None
        if not isinstance(cohort, CohortCriteria):
            raise ValueError(f"{where}: cohort: plain criteria only (no groups)")
        effects = entry["effects"]
        if not isinstance(effects, Mapping) or not effects:
            raise ValueError(f"{where}: effects must name at least one kind of activity")
        try:
            interventions[key] = Intervention(
                key=key,
                label=entry["label"],
                description=entry["description"],
                cohort=cohort,
                cohort_text=entry["cohort_text"],
                reach=_assumption(entry["reach"], notes, f"{where}, reach"),
                uptake=_assumption(entry["uptake"], notes, f"{where}, uptake"),
                effects={str(kind): _assumption(a, notes, f"{where}, effect on {kind}") for kind, a in effects.items()},
                cost_per_participant=_assumption(entry["cost_per_participant"], notes, f"{where}, cost"),
                added_per_participant=_per_unit(entry.get("added_per_participant", {}), f"{where}, added"),
                added_per_avoided_conveyance=_per_unit(
                    entry.get("added_per_avoided_conveyance", {}), f"{where}, added per avoided conveyance"
                ),
                added_note=str(entry.get("added_note", "")),
            )
        except ValueError as error:
            message = str(error)
            if not message.startswith(name):  # the intervention's own checks name it by its key
                message = f"{where}: {message.removeprefix(f'{key}: ')}"
            raise ValueError(message) from None
    return interventions


def load_interventions(path: Path = INTERVENTIONS_FILE) -> dict[str, Intervention]:
    """The interventions of a YAML table (by default the shipped phm_core/data/interventions.yaml), checked."""
    return parse_interventions(path.read_text(encoding="utf-8"), name=path.name)


#: The interventions offered, by key (loaded and checked once, on import).
INTERVENTIONS: dict[str, Intervention] = load_interventions()


@dataclass(frozen=True)
class Scenario:
    """An intervention applied to a cohort, with the user's reach, uptake, effects and cost (or the defaults)."""

    name: str
    intervention: Intervention
    eligible: int
    baseline: Mapping[str, float]

    def __post_init__(self) -> None:
        if self.eligible < 0:
            raise ValueError("eligible cannot be negative")
        missing = set(REDUCIBLE) - set(self.baseline)
        if missing:
            raise ValueError(f"the baseline lacks {', '.join(sorted(missing))}")


def cohort_baseline(people: pd.DataFrame, mask: np.ndarray, *, year: str = "y1") -> dict[str, float]:
    """The cohort's activity in a year (totals of each reducible kind): the scenario's baseline."""
    mask = np.asarray(mask, dtype=bool)
    return {
        kind: float(people[activity_column(kind, year)].to_numpy(dtype=np.float64)[mask].sum()) for kind in REDUCIBLE
    }


def _added(
    intervention: Intervention, participants: np.ndarray, avoided_conveyances: np.ndarray
) -> dict[str, np.ndarray]:
    added = {setting: np.zeros_like(participants, dtype=np.float64) for setting in SETTINGS}
    for setting, per in intervention.added_per_participant.items():
        added[setting] = added[setting] + per * participants
    for setting, per in intervention.added_per_avoided_conveyance.items():
        added[setting] = added[setting] + per * avoided_conveyances
    return added


def _outcomes(
    intervention: Intervention,
    participants: np.ndarray,
    share: np.ndarray,
    activity: Mapping[str, np.ndarray],
    effects: Mapping[str, np.ndarray],
    cost_each: np.ndarray,
) -> dict[str, np.ndarray]:
    """Activity avoided (by kind), added elsewhere, and costs, for arrays of draws (or single values)."""
    avoided = {kind: activity[kind] * share * effects.get(kind, 0.0) for kind in REDUCIBLE}
    if "bed_days" not in intervention.effects and "emergency_admissions" in intervention.effects:
        avoided["bed_days"] = activity["bed_days"] * share * effects["emergency_admissions"]  # stays of those avoided
    added = _added(intervention, participants, avoided["ambulance_conveyances"])
    change = {setting: added[setting] - avoided.get(setting, 0.0) for setting in SETTINGS}
    cost_avoided = sum(avoided[kind] * SETTING_COSTS[kind] for kind in REDUCIBLE)
    cost_added = sum(added[setting] * SETTING_COSTS[setting] for setting in SETTINGS)
    intervention_cost = participants * cost_each
    out = {"people_reached": participants}
    out |= {f"{kind}_avoided": avoided[kind] for kind in REDUCIBLE}
    out |= {f"{setting}_change": change[setting] for setting in SETTINGS}
    out |= {
        "cost_avoided": cost_avoided,
        "cost_added_elsewhere": cost_added,
        "intervention_cost": intervention_cost,
        "net_saving": cost_avoided - cost_added - intervention_cost,
    }
    return out


def expected_impact(scenario: Scenario) -> dict[str, float]:
    """The forecast at the most likely values, without chance: participants = eligible x reach x uptake, and each
    kind of activity avoided = baseline x (participants / eligible) x effect."""
    i = scenario.intervention
    participants = np.float64(scenario.eligible * i.reach.value * i.uptake.value)
    share = participants / scenario.eligible if scenario.eligible else np.float64(0.0)
    activity = {kind: np.float64(scenario.baseline[kind]) for kind in REDUCIBLE}
    effects = {kind: np.float64(a.value) for kind, a in i.effects.items()}
    outcomes = _outcomes(i, participants, share, activity, effects, np.float64(i.cost_per_participant.value))
    return {key: float(value) for key, value in outcomes.items()}


def simulate(scenario: Scenario, *, rng: np.random.Generator, draws: int = DEFAULT_DRAWS) -> pd.DataFrame:
    """Monte Carlo draws of the scenario's outcomes: one row per draw, one column per outcome."""
    if draws < 1:
        raise ValueError("draws must be at least 1")
    i = scenario.intervention
    reach = pert(i.reach, draws, rng)
    uptake = pert(i.uptake, draws, rng)
    participants = rng.binomial(scenario.eligible, np.clip(reach * uptake, 0, 1)).astype(np.float64)
    share = participants / scenario.eligible if scenario.eligible else np.zeros(draws)
    activity = {
        kind: rng.poisson(max(scenario.baseline[kind], 0.0), size=draws).astype(np.float64) for kind in REDUCIBLE
    }
    effects = {kind: pert(assumption, draws, rng) for kind, assumption in i.effects.items()}
    cost_each = pert(i.cost_per_participant, draws, rng)
    return pd.DataFrame(_outcomes(i, participants, share, activity, effects, cost_each))


OUTCOME_LABELS: dict[str, str] = {
    "people_reached": "People taking part",
    **{f"{kind}_avoided": f"{label} avoided" for kind, label in REDUCIBLE.items()},
    "cost_avoided": "Cost of hospital and ambulance activity avoided (GBP)",
    "cost_added_elsewhere": "Cost of activity added in other settings (GBP)",
    "intervention_cost": "Other cost of the intervention (GBP)",
    "net_saving": "Net saving (GBP; negative = net cost)",
}
COUNT_OUTCOMES = ("people_reached", *(f"{kind}_avoided" for kind in REDUCIBLE))


def summarise(draws: pd.DataFrame, *, interval: tuple[float, float] = INTERVAL) -> pd.DataFrame:
    """Median and interval of each outcome (rows in OUTCOME_LABELS order, then the shift of each setting)."""
    rows = []
    keys = [*OUTCOME_LABELS, *(f"{s}_change" for s in SETTINGS)]
    for key in keys:
        values = draws[key].to_numpy(dtype=np.float64)
        label = OUTCOME_LABELS.get(key) or f"Change in {_lower(SETTINGS[key.removesuffix('_change')])}"
        rows.append(
            {
                "outcome": key,
                "label": label,
                "median": float(np.median(values)),
                "low": float(np.percentile(values, interval[0])),
                "high": float(np.percentile(values, interval[1])),
                "mean": float(values.mean()),
            }
        )
    return pd.DataFrame(rows)


def shift_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The change in activity of each setting (median and interval; negative = less activity there)."""
    rows = summary.loc[summary["outcome"].str.endswith("_change")].copy()
    rows["setting"] = rows["outcome"].str.removesuffix("_change")
    rows["label"] = rows["setting"].map(SETTINGS)
    return rows[["setting", "label", "median", "low", "high"]].reset_index(drop=True)


def suppress_small(summary: pd.DataFrame, *, eligible: int) -> pd.DataFrame:
    """Hide every figure of a scenario whose eligible cohort is a small number (1 to 7 people could be identified);
    other figures are modelled, not counts of people, and are shown rounded."""
    check = suppress(pd.DataFrame({"eligible": [eligible]}), count_columns="eligible")
    if bool(check.loc[0, "eligible_suppressed"]):
        out = summary.copy()
        out[["median", "low", "high", "mean"]] = np.nan
        return out
    return summary


def comparison_table(results: Mapping[str, pd.DataFrame], eligible: Mapping[str, int]) -> pd.DataFrame:
    """Up to three scenarios side by side: one row per outcome (people eligible first, then the outcomes in
    ``summarise`` order), and the median, low and high of each scenario, rounded (suppressed cohorts blank)."""
    if len(results) > MAX_SCENARIOS:
        raise ValueError(f"compare at most {MAX_SCENARIOS} scenarios")
    first = next(iter(results.values()), None)
    if first is None:
        return pd.DataFrame(columns=["outcome", "label"])
    table = pd.concat(
        [pd.DataFrame({"outcome": ["eligible"], "label": ["People eligible (cohort)"]}), first[["outcome", "label"]]],
        ignore_index=True,
    )
    for name, summary in results.items():
        shown = suppress_small(summary, eligible=eligible[name]).set_index("outcome")
        count = eligible[name]
        for measure in ("median", "low", "high"):
            values = shown[measure].reindex(table["outcome"]).round().to_numpy(dtype=np.float64, na_value=np.nan).copy()
            values[0] = np.nan if (0 < count <= 7 or measure != "median") else count
            table[f"{name}: {measure}"] = pd.array(values, dtype="Float64")
    return table


def comparison_display(table: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """The comparison for reading: one column per scenario, 'median (low to high)' in whole numbers."""

    def cell(median: object, low: object, high: object) -> str:
        if pd.isna(median):
            return "suppressed"
        if pd.isna(low) or pd.isna(high) or low == high == median:
            return f"{median:,.0f}"
        return f"{median:,.0f} ({low:,.0f} to {high:,.0f})"

    out = pd.DataFrame({"Outcome in a year": table["label"]})
    for name in names:
        out[name] = [
            cell(m, lo, hi)
            for m, lo, hi in zip(table[f"{name}: median"], table[f"{name}: low"], table[f"{name}: high"], strict=True)
        ]
    return out


COST_OUTCOMES = ("cost_avoided", "cost_added_elsewhere", "intervention_cost", "net_saving")


def _unit(outcome: str) -> str:
    if outcome == "people_reached":
        return "people"
    return "GBP" if outcome in COST_OUTCOMES else "activity"


def comparison_export(items: Sequence[Mapping]) -> pd.DataFrame:
    """The comparison as a table that describes itself, for the CSV download: one row per item, and four columns
    per scenario (``scenario_<n>_low``, ``_central``, ``_high`` and ``_text``; the scenarios' names are in rows, not
    headers, so nothing a user typed becomes a column name).

    ``items`` are the scenarios compared, each a mapping with ``name``, ``intervention`` (its label), ``cohort``
    (the cohort in words), ``eligible``, ``draws``, ``seed``, ``assumptions`` (:func:`assumption_table`) and
    ``summary`` (:func:`summarise`, suppressed). Rows: section ``scenario`` (name, intervention, cohort, people
    eligible: blank with 'fewer than 8' for 1 to 7, draws, seed), ``assumption`` (low, most likely and high in the
    units shown, and the source of each: 'Changed by the user (default ...)' when edited), ``outcome`` (median and 95%
    interval, rounded; blank for a suppressed cohort). Every figure is modelled on SYNTHETIC data."""
    if len(items) > MAX_SCENARIOS:
        raise ValueError(f"compare at most {MAX_SCENARIOS} scenarios")
    rows: dict[tuple[str, str], dict] = {}

    def row(section: str, item: str, label: str, unit: str, measure: str) -> dict:
        fixed = {"data": "SYNTHETIC", "section": section, "item": item, "label": label, "unit": unit}
        return rows.setdefault((section, item), fixed | {"measure": measure})

    for number, scenario in enumerate(items, start=1):
        col = f"scenario_{number}"
        eligible = int(scenario["eligible"])
        small = 0 < eligible <= SMALL_NUMBER
        for item, label, text in (
            ("name", "Scenario name", scenario["name"]),
            ("intervention", "Intervention", scenario["intervention"]),
            ("cohort", "People (cohort)", scenario["cohort"]),
        ):
            row("scenario", item, label, "", "text")[f"{col}_text"] = text
        counted = row("scenario", "eligible", "People eligible (cohort)", "people", "count (1 to 7 suppressed)")
        counted[f"{col}_central"] = np.nan if small else eligible
        counted[f"{col}_text"] = f"fewer than {SMALL_NUMBER + 1}" if small else ""
        row("scenario", "draws", "Monte Carlo draws", "draws", "value")[f"{col}_central"] = scenario["draws"]
        row("scenario", "seed", "Random seed", "", "value")[f"{col}_central"] = scenario["seed"]
        for a in scenario["assumptions"].itertuples(index=False):
            r = row("assumption", a.key, a.label, a.unit, "low / most likely / high (PERT distribution)")
            r[f"{col}_low"], r[f"{col}_central"], r[f"{col}_high"] = a.low, a.most_likely, a.high
            r[f"{col}_text"] = f"{a.evidence}: {a.source}"  # a changed one's source starts 'Changed by the user'
        for o in scenario["summary"].itertuples(index=False):
            r = row("outcome", o.outcome, o.label, _unit(o.outcome), "median and 95% interval (in a year)")
            for part, value in (("low", o.low), ("central", o.median), ("high", o.high)):
                r[f"{col}_{part}"] = round(value) if pd.notna(value) else np.nan
    order = {"scenario": 0, "assumption": 1, "outcome": 2}
    table = pd.DataFrame(sorted(rows.values(), key=lambda r: order[r["section"]]))
    columns = ["data", "section", "item", "label", "unit", "measure"]
    for number in range(1, len(items) + 1):
        for part in ("low", "central", "high", "text"):
            column = f"scenario_{number}_{part}"
            if column not in table:
                table[column] = np.nan
            if part == "text":
                table[column] = table[column].fillna("").astype(object)
            else:  # whole numbers are written as such ('2000', not '2000.0') unless the column holds a fraction
                values = table[column].to_numpy(dtype=np.float64, na_value=np.nan)
                whole = bool(np.all(np.isnan(values) | (values == np.round(values))))
                table[column] = pd.array(values, dtype="Float64").astype("Int64" if whole else "Float64")
            columns.append(column)
    return table[columns]


# --- figures ------------------------------------------------------------------------------------------------------

SCENARIO_COLOURS = (NHS_BLUE, NHS_WARM_YELLOW, NHS_MID_GREY)


def _interval_bars(rows: pd.DataFrame) -> dict[str, Any]:
    """Plotly error bars from the median to the low and high ends of each row's 95% interval."""
    return {
        "type": "data",
        "symmetric": False,
        "array": (rows["high"] - rows["median"]).clip(lower=0).tolist(),
        "arrayminus": (rows["median"] - rows["low"]).clip(lower=0).tolist(),
        "color": "#212B32",
        "thickness": 1,
    }


def comparison_figure(
    results: Mapping[str, pd.DataFrame], *, outcomes: Sequence[str] = COUNT_OUTCOMES[1:]
) -> go.Figure:
    """Activity avoided by each scenario, with its 95% interval as error bars."""
    traces = []
    labels = [OUTCOME_LABELS[o].removesuffix(" avoided") for o in outcomes]
    for (name, summary), colour in zip(results.items(), SCENARIO_COLOURS, strict=False):
        rows = summary.set_index("outcome").reindex(list(outcomes))
        traces.append(
            go.Bar(
                x=labels,
                y=rows["median"].tolist(),
                name=name,
                marker_color=colour,
                error_y=_interval_bars(rows),
                hovertemplate="%{x}: %{y:,.0f} avoided (median)<extra>" + name + "</extra>",
            )
        )
    figure = go.Figure(traces)
    figure.update_layout(
        barmode="group",
        yaxis={"title": "Avoided in a year (median, 95% interval)", "gridcolor": NHS_PALE_GREY, "rangemode": "tozero"},
        xaxis={"type": "category"},
    )
    return style_figure(figure, title="Activity avoided in a year", height=420)


def shift_figure(results: Mapping[str, pd.DataFrame]) -> go.Figure:
    """The change in activity of each setting for each scenario: less hospital activity, more in the community."""
    traces = []
    for (name, summary), colour in zip(results.items(), SCENARIO_COLOURS, strict=False):
        shift = shift_table(summary)
        traces.append(
            go.Bar(
                y=shift["label"].tolist(),
                x=shift["median"].tolist(),
                orientation="h",
                name=name,
                marker_color=colour,
                error_x=_interval_bars(shift),
                hovertemplate="%{y}: %{x:+,.0f} a year (median)<extra>" + name + "</extra>",
            )
        )
    figure = go.Figure(traces)
    figure.update_layout(
        barmode="group",
        xaxis={"title": "Change in activity a year (negative = less)", "gridcolor": NHS_PALE_GREY, "zeroline": True},
        yaxis={"autorange": "reversed", "automargin": True},
    )
    return style_figure(figure, title="Shift of activity between settings", height=460)
