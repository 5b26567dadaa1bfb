"""The cohort builder: criteria, fast counting over a million people, breakdowns, the map, and exports.

A group of criteria (:class:`CohortCriteria`: age, sex, segment, conditions, multimorbidity, frailty, medicines,
falls, palliative care, care home, risk tier, deprivation, place, PCN, practice, air quality, a smoker in the
household) holds the people who meet every criterion in it. A :class:`CohortDefinition` combines up to three groups
with OR ("aged 65+ and severely frail, or people who fell") and removes the people of up to two exclusion groups
("except people in a care home or on the palliative care register"). A group with no criterion adds nobody to the
others and removes nobody; a definition with no criterion at all is everyone. A plain :class:`CohortCriteria` is
still accepted wherever a definition is (it is a definition of one group).

:class:`CohortIndex` holds each criterion's column once as a compact numpy array, so a count is a handful of
vectorised comparisons and table look-ups on boolean masks per group (a few milliseconds for a million people;
``bench/bench_risk.py`` measures it).

Every aggregate of a cohort (counts, breakdowns, map rates, exported tables) is suppressed with
phm_core.stats.suppress. The person-level export is a pseudonymised list for direct-care re-identification by the
practice: the pseudonymised identifier and the practice, with age band, sex, segment and risk tier, and no direct
identifiers (no name, NHS number, date of birth, address, postcode or LSOA).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pydeck as pdk

from phm_core.maps import colour_range, rate_deck
from phm_core.palettes import NHS_BLUE, NHS_PALE_GREY
from phm_core.risk import style_figure
from phm_core.segmentation import AGE_BANDS, RISK_TIER_LABELS, RISK_TIERS, SEGMENT_KEYS, SEGMENT_LABELS, age_band
from phm_core.stats import suppress
from phm_core.synth.schema import CONDITION_LABELS, CONDITION_NAMES, FRAILTY_CATEGORIES, SEXES, activity_column

SYNTHETIC_LABEL = "SYNTHETIC"
MAX_AGE = 120
#: Counts from 1 to this are shown as "fewer than 8" (phm_core.stats.suppress hides the same numbers).
SMALL_NUMBER = 7
SEX_LABELS = {"F": "Female", "M": "Male"}
FRAILTY_LABELS = {"fit": "Fit", "mild": "Mild", "moderate": "Moderate", "severe": "Severe"}

ConditionMatch = Literal["all", "any"]


@dataclass(frozen=True)
class CohortCriteria:
    """What puts a person in a cohort; an empty tuple or None means the criterion is not used.

    ``conditions`` with ``condition_match`` "all" needs every listed register, "any" at least one.
    ``air_quality_worst_share`` keeps people living in the LSOAs with the worst air quality (IoD indicator), taken
    from the worst until they hold that share of the indexed residents (e.g. 0.2: the most polluted fifth; the LSOA
    that crosses the line is left out). ``include_opted_out`` keeps people with a national
    data opt-out (left out by default).
    """

    age_min: int = 0
    age_max: int = MAX_AGE
    sexes: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    condition_match: ConditionMatch = "all"
    ltc_min: int = 0
    ltc_max: int | None = None
    frailty: tuple[str, ...] = ()
    medicines_min: int = 0
    falls_min: int = 0
    palliative_care: bool | None = None
    care_home: bool | None = None
    risk_tiers: tuple[str, ...] = ()
    imd_quintiles: tuple[int, ...] = ()
    places: tuple[str, ...] = ()
    pcns: tuple[str, ...] = ()
    practices: tuple[str, ...] = ()
    air_quality_worst_share: float | None = None
    smoker_in_household: bool | None = None
    include_opted_out: bool = False

    def __post_init__(self) -> None:
        problems = []
        if not 0 <= self.age_min <= self.age_max <= MAX_AGE:
            problems.append(f"ages must satisfy 0 <= minimum <= maximum <= {MAX_AGE}")
        for name, allowed in (
            ("sexes", SEXES),
            ("segments", SEGMENT_KEYS),
            ("conditions", CONDITION_NAMES),
            ("frailty", FRAILTY_CATEGORIES),
            ("risk_tiers", RISK_TIERS),
            ("imd_quintiles", (1, 2, 3, 4, 5)),
        ):
            unknown = [v for v in getattr(self, name) if v not in allowed]
            if unknown:
                problems.append(f"{name}: unknown value(s) {', '.join(map(str, unknown))}")
        if self.condition_match not in ("all", "any"):
            problems.append("condition_match must be 'all' or 'any'")
        if self.ltc_min < 0 or (self.ltc_max is not None and self.ltc_max < self.ltc_min):
            problems.append("long-term conditions: need 0 <= minimum <= maximum")
        if self.medicines_min < 0 or self.falls_min < 0:
            problems.append("medicines and falls minimums cannot be negative")
        share = self.air_quality_worst_share
        if share is not None and not 0 < share <= 1:
            problems.append("air_quality_worst_share must be more than 0 and at most 1")
        if problems:
            raise ValueError("invalid cohort criteria: " + "; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        """The criteria as plain JSON-ready values (tuples as lists), for saving."""
        return {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> CohortCriteria:
        """Criteria from ``to_dict`` output; unknown keys are an error, missing keys defaults. A saved cohort may
        hold OR groups or exclusions: read saved cohorts with ``CohortDefinition.from_dict``, which reads both."""
        names = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(names))
        if unknown:
            raise ValueError(f"unknown cohort criteria: {', '.join(unknown)}")
        converted: dict[str, Any] = {}
        for key, value in values.items():
            default = getattr(cls(), key)
            converted[key] = tuple(value) if isinstance(default, tuple) else value
        return cls(**converted)

    def is_empty(self) -> bool:
        """True when no criterion is set (everyone, except opted-out people unless included)."""
        return replace(self, include_opted_out=False) == CohortCriteria()

    def compact_dict(self) -> dict[str, Any]:
        """Only the criteria that are set, as plain JSON-ready values (a group of a saved definition)."""
        default = CohortCriteria().to_dict()
        return {key: value for key, value in self.to_dict().items() if value != default[key]}


#: The key that marks a saved definition with groups (a saved plain criteria dict has none).
DEFINITION_GROUPS = "groups"
DEFINITION_EXCLUSIONS = "exclusions"
MAX_GROUPS = 3
MAX_EXCLUSIONS = 2


@dataclass(frozen=True)
class CohortDefinition:
    """A cohort: the people in any of ``groups`` (OR), less the people in any of ``exclusions``.

    Each group is a :class:`CohortCriteria` whose criteria are all needed (AND). A group with no criterion set is
    left out: it adds nobody to the other groups (and an empty exclusion removes nobody), so an empty group never
    silently turns an OR into "everyone". With no criterion in any group the cohort is everyone, as the builder
    starts. People with a national data opt-out are left out unless ``include_opted_out`` (set here, for the whole
    cohort; a group's own ``include_opted_out`` must stay False).
    """

    groups: tuple[CohortCriteria, ...] = (CohortCriteria(),)
    exclusions: tuple[CohortCriteria, ...] = ()
    include_opted_out: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", tuple(self.groups))
        object.__setattr__(self, "exclusions", tuple(self.exclusions))
        problems = []
        if not 1 <= len(self.groups) <= MAX_GROUPS:
            problems.append(f"a cohort needs 1 to {MAX_GROUPS} groups")
        if len(self.exclusions) > MAX_EXCLUSIONS:
            problems.append(f"a cohort can have at most {MAX_EXCLUSIONS} exclusion groups")
        parts = (*self.groups, *self.exclusions)
        if not all(isinstance(part, CohortCriteria) for part in parts):
            problems.append("groups and exclusions must be CohortCriteria")
        elif any(part.include_opted_out for part in parts):
            problems.append("include_opted_out is set for the whole cohort, not in a group")
        if problems:
            raise ValueError("invalid cohort definition: " + "; ".join(problems))

    @classmethod
    def of(cls, cohort: CohortCriteria | CohortDefinition) -> CohortDefinition:
        """A definition of one group from plain criteria (a definition is returned as it is)."""
        if isinstance(cohort, CohortDefinition):
            return cohort
        if not isinstance(cohort, CohortCriteria):
            raise TypeError(f"expected CohortCriteria or CohortDefinition, not {type(cohort).__name__}")
        return cls(groups=(replace(cohort, include_opted_out=False),), include_opted_out=cohort.include_opted_out)

    def active_groups(self) -> tuple[CohortCriteria, ...]:
        """The groups with at least one criterion (the ones that count)."""
        return tuple(g for g in self.groups if not g.is_empty())

    def active_exclusions(self) -> tuple[CohortCriteria, ...]:
        """The exclusion groups with at least one criterion (the ones that remove people)."""
        return tuple(g for g in self.exclusions if not g.is_empty())

    def is_empty(self) -> bool:
        """True when no group or exclusion has a criterion (everyone, opted-out people as set)."""
        return not self.active_groups() and not self.active_exclusions()

    def simplified(self) -> CohortDefinition:
        """The same cohort without its empty groups and exclusions (what is saved and exported)."""
        return replace(self, groups=self.active_groups() or (CohortCriteria(),), exclusions=self.active_exclusions())

    def as_criteria(self) -> CohortCriteria | None:
        """The cohort as plain criteria when it is one group without exclusions (else None)."""
        simple = self.simplified()
        if len(simple.groups) == 1 and not simple.exclusions:
            return replace(simple.groups[0], include_opted_out=self.include_opted_out)
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values: one group and no exclusion as a plain criteria dict (the format saved before groups
        existed, which older code reads); otherwise ``groups`` and ``exclusions`` (each the criteria set in it)
        and ``include_opted_out``. Empty groups are kept (``simplified()`` first to drop them)."""
        if len(self.groups) == 1 and not self.exclusions:
            return replace(self.groups[0], include_opted_out=self.include_opted_out).to_dict()
        return {
            DEFINITION_GROUPS: [g.compact_dict() for g in self.groups],
            DEFINITION_EXCLUSIONS: [g.compact_dict() for g in self.exclusions],
            "include_opted_out": self.include_opted_out,
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> CohortDefinition:
        """A definition from ``to_dict`` output, or from a plain criteria dict (a cohort saved before groups
        existed: one group). Unknown keys are an error."""
        if DEFINITION_GROUPS not in values:
            return cls.of(CohortCriteria.from_dict(values))
        unknown = sorted(set(values) - {DEFINITION_GROUPS, DEFINITION_EXCLUSIONS, "include_opted_out"})
        if unknown:
            raise ValueError(f"unknown cohort definition keys: {', '.join(unknown)}")

        def group(part: Mapping[str, Any]) -> CohortCriteria:
            if DEFINITION_GROUPS in part:
                raise ValueError("a group of a cohort cannot itself hold groups")
            return CohortCriteria.from_dict(part)

        return cls(
            groups=tuple(group(g) for g in values[DEFINITION_GROUPS]),
            exclusions=tuple(group(g) for g in values.get(DEFINITION_EXCLUSIONS, ())),
            include_opted_out=bool(values.get("include_opted_out", False)),
        )


def _join(words: list[str], conjunction: str) -> str:
    """'a', 'a or b', 'a, b or c'."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {conjunction} " + words[-1]


def _lower_first(label: str) -> str:
    """A label inside a sentence: 'Heart failure' -> 'heart failure'; acronyms ('COPD') kept."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def _people_noun(c: CohortCriteria) -> str:
    """Who a group is about: 'people', or 'women', 'girls', 'females' (and the male forms) for one sex."""
    if len(set(c.sexes)) != 1:
        return "people"
    female = c.sexes[0] == "F"
    if c.age_min >= 18:
        return "women" if female else "men"
    if c.age_max <= 17:
        return "girls" if female else "boys"
    return "females" if female else "males"


def criteria_phrases(criteria: CohortCriteria, *, names: Mapping[str, Mapping[str, str]] | None = None) -> list[str]:
    """The criteria of one group as phrases that follow 'people' in a sentence ('aged 65 or over', 'who fell in
    the last 12 months'); sex is said by the noun (``_people_noun``). Opted-out people are not mentioned."""
    names = names or {}
    c = criteria
    parts = []
    if (c.age_min, c.age_max) != (0, MAX_AGE):
        parts.append(f"aged {c.age_min} to {c.age_max}" if c.age_max < MAX_AGE else f"aged {c.age_min} or over")
    if c.segments:
        labels = [_lower_first(SEGMENT_LABELS[s]) for s in c.segments]
        parts.append(f"in the {_join(labels, 'or')} segment" + ("s" if len(labels) > 1 else ""))
    if c.conditions:
        labels = [_lower_first(CONDITION_LABELS[s]) for s in c.conditions]
        parts.append("with " + _join(labels, "and" if c.condition_match == "all" else "or"))
    if c.ltc_min or c.ltc_max is not None:
        if c.ltc_max is None:
            parts.append(f"with {c.ltc_min} or more long-term conditions")
        elif c.ltc_max == 0:
            parts.append("with no long-term condition")
        elif c.ltc_min == c.ltc_max:
            parts.append(f"with exactly {c.ltc_min} long-term condition" + ("s" if c.ltc_min > 1 else ""))
        else:
            parts.append(f"with {c.ltc_min} to {c.ltc_max} long-term conditions")
    if c.frailty:
        frail = [f for f in FRAILTY_CATEGORIES if f in c.frailty and f != "fit"]
        options = (["fit"] if "fit" in c.frailty else []) + ([f"with {_join(frail, 'or')} frailty"] if frail else [])
        parts.append(_join(options, "or") + " (eFI)")
    if c.medicines_min:
        parts.append(f"on {c.medicines_min} or more regular medicines")
    if c.falls_min:
        parts.append(
            "who fell in the last 12 months"
            if c.falls_min == 1
            else f"with {c.falls_min} or more falls in the last 12 months"
        )
    for flag, yes, no in (
        (c.palliative_care, "on the palliative care register", "not on the palliative care register"),
        (c.care_home, "living in a care home", "not living in a care home"),
        (c.smoker_in_household, "with a smoker in the household", "with no smoker in the household"),
    ):
        if flag is not None:
            parts.append(yes if flag else no)
    if c.risk_tiers:
        parts.append("at " + _join([t for t in RISK_TIERS if t in c.risk_tiers], "or") + " risk")
    if c.imd_quintiles:
        parts.append("in deprivation quintile " + _join([str(q) for q in sorted(c.imd_quintiles)], "or"))
    if c.places:
        parts.append("living in " + _join([names.get("place", {}).get(v, v) for v in c.places], "or"))
    if c.pcns:
        labels = [
            "not in a PCN" if v == "U" else "in " + names.get("pcn", {}).get(v, f"PCN {v}") for v in c.pcns
        ]  # PCN names end in "PCN"
        parts.append(_join(labels, "or"))
    if c.practices:
        parts.append("registered with " + _join([names.get("practice", {}).get(v, v) for v in c.practices], "or"))
    if c.air_quality_worst_share is not None:
        parts.append(f"living in the most polluted {c.air_quality_worst_share:.0%} of the ICB (air quality)")
    return parts


def describe_group(criteria: CohortCriteria, *, names: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """One group in words, e.g. 'people aged 65 or over and who fell in the last 12 months' ('people' if empty)."""
    return " ".join([_people_noun(criteria), _join(criteria_phrases(criteria, names=names), "and")]).strip()


def _opt_out_line(include_opted_out: bool) -> str:
    return "Opted-out people included" if include_opted_out else "Opted-out people excluded"


def describe_criteria(
    criteria: CohortCriteria | CohortDefinition, *, names: Mapping[str, Mapping[str, str]] | None = None
) -> list[str]:
    """The cohort in words, for the page, the scenarios page, saved cohorts and export audit rows.

    Plain criteria, or a definition of one group without exclusions, give one line per criterion ("Aged 65 or
    over", "Frailty (eFI): Moderate, Severe", ...). A definition with OR groups or exclusions gives one line per
    group that reads as a sentence when joined with "; ": "People aged 65 or over", "or people who fell in the last
    12 months", "except people living in a care home or on the palliative care register". The last line says
    whether opted-out people are included.
    """
    if isinstance(criteria, CohortDefinition):
        plain = criteria.as_criteria()
        if plain is None:
            return _describe_definition(criteria, names=names)
        criteria = plain
    names = names or {}
    lines = []
    c = criteria
    if (c.age_min, c.age_max) != (0, MAX_AGE):
        lines.append(f"Aged {c.age_min} to {c.age_max}" if c.age_max < MAX_AGE else f"Aged {c.age_min} or over")
    if c.sexes:
        lines.append("Sex: " + ", ".join(SEX_LABELS[s] for s in c.sexes))
    if c.segments:
        lines.append("Segment: " + ", ".join(SEGMENT_LABELS[s] for s in c.segments))
    if c.conditions:
        joined = " and " if c.condition_match == "all" else " or "
        lines.append("Conditions: " + joined.join(CONDITION_LABELS[s] for s in c.conditions))
    if c.ltc_min or c.ltc_max is not None:
        high = f" to {c.ltc_max}" if c.ltc_max is not None else " or more"
        lines.append(f"Long-term conditions: {c.ltc_min}{high}")
    if c.frailty:
        lines.append("Frailty (eFI): " + ", ".join(FRAILTY_LABELS[f] for f in c.frailty))
    if c.medicines_min:
        lines.append(f"{c.medicines_min} or more regular medicines")
    if c.falls_min:
        lines.append(f"{c.falls_min} or more falls in the last 12 months")
    for flag, label in (
        (c.palliative_care, "on the palliative care register"),
        (c.care_home, "living in a care home"),
        (c.smoker_in_household, "a smoker in the household"),
    ):
        if flag is not None:
            lines.append(label[0].upper() + label[1:] if flag else f"Not {label}")
    if c.risk_tiers:
        lines.append("Risk tier: " + ", ".join(RISK_TIER_LABELS[t] for t in c.risk_tiers))
    if c.imd_quintiles:
        lines.append("Deprivation quintile: " + ", ".join(str(q) for q in sorted(c.imd_quintiles)))
    for values, key, label in (
        (c.places, "place", "Place"),
        (c.pcns, "pcn", "PCN"),
        (c.practices, "practice", "Practice"),
    ):
        if values:
            lookup = names.get(key, {})
            lines.append(f"{label}: " + ", ".join(lookup.get(v, v) for v in values))
    if c.air_quality_worst_share is not None:
        lines.append(f"Living in the most polluted {c.air_quality_worst_share:.0%} of the ICB (air quality indicator)")
    lines.append(_opt_out_line(c.include_opted_out))
    return lines


def _describe_definition(
    definition: CohortDefinition, *, names: Mapping[str, Mapping[str, str]] | None = None
) -> list[str]:
    groups = [describe_group(g, names=names) for g in definition.active_groups()] or ["everyone"]
    lines = [groups[0][:1].upper() + groups[0][1:], *(f"or {g}" for g in groups[1:])]
    exclusions = definition.active_exclusions()
    if exclusions:
        # "except people in a care home or on the palliative care register" when each exclusion is one plain phrase
        phrases = [criteria_phrases(g, names=names) for g in exclusions]
        if all(len(p) == 1 and _people_noun(g) == "people" for p, g in zip(phrases, exclusions, strict=True)):
            lines.append("except people " + _join([p[0] for p in phrases], "or"))
        else:
            lines.append("except " + _join([describe_group(g, names=names) for g in exclusions], "or"))
    lines.append(_opt_out_line(definition.include_opted_out).lower())
    return lines


def describe_cohort(
    cohort: CohortCriteria | CohortDefinition, *, names: Mapping[str, Mapping[str, str]] | None = None
) -> str:
    """The cohort as one sentence (``describe_criteria`` joined with '; ' and a full stop)."""
    return "; ".join(describe_criteria(cohort, names=names)) + "."


# --- the index: one compact array per criterion -------------------------------------------------------------------


def _codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Integer codes (int32, -1 for missing) and the categories of a column, for look-up tables."""
    categorical = pd.Categorical(
        values.astype("string") if not isinstance(values.dtype, pd.CategoricalDtype) else values
    )
    categories = [str(c) for c in categorical.categories]
    return categorical.codes.astype(np.int32), categories


def _lookup(categories: list[str], wanted: Iterable[object]) -> np.ndarray:
    """A boolean table over category codes (with a final False for code -1, missing) for ``allowed[codes]``."""
    wanted_set = {str(w) for w in wanted}
    return np.array([c in wanted_set for c in categories] + [False], dtype=bool)


@dataclass
class CohortIndex:
    """Compact arrays of every criterion for a population (one row per person, in the population's order).

    Build it once per population with ``CohortIndex.from_people`` (a few hundred milliseconds for a million
    people) and keep it (read-only); ``mask(criteria)`` then takes milliseconds.
    """

    n: int
    age: np.ndarray
    sex: np.ndarray
    segment: np.ndarray
    condition_bits: np.ndarray
    ltc_count: np.ndarray
    frailty: np.ndarray
    medicines: np.ndarray
    falls: np.ndarray
    palliative_care: np.ndarray
    care_home: np.ndarray
    risk_tier: np.ndarray
    imd_quintile: np.ndarray
    place: np.ndarray
    pcn: np.ndarray
    practice: np.ndarray
    lsoa: np.ndarray
    air_quality_rank: np.ndarray
    smoker_in_household: np.ndarray
    opted_out: np.ndarray
    categories: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_people(cls, people: pd.DataFrame) -> CohortIndex:
        """Index a person table that has ``segment`` and ``risk_tier`` (e.g. ui.risk.scored_population)."""
        n = len(people)
        bits = np.zeros(n, dtype=np.uint32)
        for position, name in enumerate(CONDITION_NAMES):
            bits |= people[name].to_numpy(dtype=bool).astype(np.uint32) << np.uint32(position)
        categories: dict[str, list[str]] = {}
        coded: dict[str, np.ndarray] = {}
        for key, column in (
            ("sex", "sex"),
            ("segment", "segment"),
            ("frailty", "frailty"),
            ("risk_tier", "risk_tier"),
            ("place", "ltla24_code"),
            ("pcn", "pcn_code"),
            ("practice", "practice_code"),
            ("lsoa", "lsoa21_code"),
        ):
            coded[key], categories[key] = _codes(people[column])
        aq = people["aq_indicator"].to_numpy(dtype=np.float64, na_value=np.nan)
        # The share of residents whose air is no worse than the person's (1 = the most polluted LSOA's residents):
        # the worst share s of residents are those with fewer than s living in worse air.
        rank = pd.Series(aq).rank(method="max", pct=True).to_numpy(dtype=np.float64, na_value=np.nan)
        rank = np.where(np.isnan(aq), 0.0, rank)
        return cls(
            n=n,
            age=people["age"].to_numpy(dtype=np.int16),
            sex=coded["sex"].astype(np.int8),
            segment=coded["segment"].astype(np.int8),
            condition_bits=bits,
            ltc_count=people["ltc_count"].to_numpy(dtype=np.int8),
            frailty=coded["frailty"].astype(np.int8),
            medicines=people["medicines"].to_numpy(dtype=np.int16),
            falls=people["falls_y1"].to_numpy(dtype=np.int16),
            palliative_care=people["palliative_care"].to_numpy(dtype=bool),
            care_home=people["care_home"].to_numpy(dtype=bool),
            risk_tier=coded["risk_tier"].astype(np.int8),
            imd_quintile=people["imd_quintile"].to_numpy(dtype=np.int8),
            place=coded["place"].astype(np.int16),
            pcn=coded["pcn"].astype(np.int16),
            practice=coded["practice"],
            lsoa=coded["lsoa"],
            air_quality_rank=rank,
            smoker_in_household=people["smoker_in_household"].to_numpy(dtype=bool),
            opted_out=people["opted_out"].to_numpy(dtype=bool),
            categories=categories,
        )

    def _in(self, key: str, values: Iterable[object]) -> np.ndarray:
        codes = getattr(self, key)
        return _lookup(self.categories[key], values)[codes]

    def mask(self, criteria: CohortCriteria | CohortDefinition, *, within: np.ndarray | None = None) -> np.ndarray:
        """True for each person in the cohort (and in ``within``, e.g. the footprint, when given).

        ``criteria`` is plain criteria (one group) or a definition: the people in any of its non-empty groups
        (everyone when none has a criterion), less those in any non-empty exclusion; opted-out people as it says.
        """
        keep = np.ones(self.n, dtype=bool) if within is None else np.asarray(within, dtype=bool).copy()
        if not isinstance(criteria, CohortDefinition | CohortCriteria):
            raise TypeError(f"expected CohortCriteria or CohortDefinition, not {type(criteria).__name__}")
        if not criteria.include_opted_out:
            keep &= ~self.opted_out
        if isinstance(criteria, CohortCriteria):
            return self._match(criteria, keep)
        groups = criteria.active_groups()
        if groups:
            chosen = self._match(groups[0], keep.copy())
            for group in groups[1:]:
                chosen |= self._match(group, keep.copy())
            keep = chosen
        for exclusion in criteria.active_exclusions():
            keep &= ~self._match(exclusion, keep.copy())
        return keep

    def _match(self, c: CohortCriteria, keep: np.ndarray) -> np.ndarray:
        """``keep`` (changed in place) narrowed to the people who meet every criterion of one group (the opt-out
        is the caller's)."""
        if c.age_min > 0:
            keep &= self.age >= c.age_min
        if c.age_max < MAX_AGE:
            keep &= self.age <= c.age_max
        if c.sexes:
            keep &= self._in("sex", c.sexes)
        if c.segments:
            keep &= self._in("segment", c.segments)
        if c.conditions:
            needed = np.uint32(sum(1 << CONDITION_NAMES.index(name) for name in c.conditions))
            held = self.condition_bits & needed
            keep &= (held == needed) if c.condition_match == "all" else (held != 0)
        if c.ltc_min > 0:
            keep &= self.ltc_count >= c.ltc_min
        if c.ltc_max is not None:
            keep &= self.ltc_count <= c.ltc_max
        if c.frailty:
            keep &= self._in("frailty", c.frailty)
        if c.medicines_min > 0:
            keep &= self.medicines >= c.medicines_min
        if c.falls_min > 0:
            keep &= self.falls >= c.falls_min
        for flag, values in (
            (c.palliative_care, self.palliative_care),
            (c.care_home, self.care_home),
            (c.smoker_in_household, self.smoker_in_household),
        ):
            if flag is not None:
                keep &= values if flag else ~values
        if c.risk_tiers:
            keep &= self._in("risk_tier", c.risk_tiers)
        if c.imd_quintiles:
            table = np.zeros(7, dtype=bool)
            table[list(c.imd_quintiles)] = True
            keep &= table[np.clip(self.imd_quintile, 0, 6)]
        if c.places:
            keep &= self._in("place", c.places)
        if c.pcns:
            keep &= self._in("pcn", c.pcns)
        if c.practices:
            keep &= self._in("practice", c.practices)
        if c.air_quality_worst_share is not None:
            keep &= self.air_quality_rank > 1 - c.air_quality_worst_share + 1e-9
        return keep

    def count(self, criteria: CohortCriteria | CohortDefinition, *, within: np.ndarray | None = None) -> int:
        """How many people are in the cohort (unsuppressed: show it with ``format_count``)."""
        return int(np.count_nonzero(self.mask(criteria, within=within)))


def format_count(count: int) -> str:
    """A count for display: 1 to 7 are shown as 'fewer than 8' (small-number suppression)."""
    if 0 < count <= SMALL_NUMBER:
        return f"fewer than {SMALL_NUMBER + 1}"
    return f"{count:,}"


# --- summaries, breakdowns and the map -----------------------------------------------------------------------------

BREAKDOWNS: dict[str, str] = {
    "imd_quintile": "Deprivation quintile (1 = most deprived)",
    "age_band": "Age band",
    "sex": "Sex",
    "place": "Place",
    "practice": "GP practice",
}
SUMMARY_ACTIVITY: dict[str, str] = {
    "emergency_admissions": "Emergency admissions",
    "bed_days": "Emergency bed days",
    "ae_attendances": "A&E attendances",
    "ambulance_conveyances": "Ambulance conveyances",
    "gp_contacts": "GP practice contacts",
}


def cohort_summary(people: pd.DataFrame, mask: np.ndarray, *, base: np.ndarray) -> pd.DataFrame:
    """The cohort against its base population (e.g. the footprint): people, activity and cost in the last
    12 months, and emergency admissions in the next 12; counts suppressed, rates with their counts.

    One row per measure: measure, cohort, base, cohort_per_1000, base_per_1000 (activity per 1,000 people; blank
    for people and cost), share (the cohort's share of the base). A suppressed number of people blanks every
    figure of the cohort (each would reveal it).
    """
    mask, base = np.asarray(mask, dtype=bool), np.asarray(base, dtype=bool)
    cohort_people, base_people = int(mask.sum()), int(base.sum())
    rows = [{"measure": "People", "cohort": cohort_people, "base": base_people}]
    for activity, label in SUMMARY_ACTIVITY.items():
        values = people[activity_column(activity, "y1")].to_numpy(dtype=np.int64)
        rows.append(
            {"measure": f"{label} (last 12 months)", "cohort": int(values[mask].sum()), "base": int(values[base].sum())}
        )
    later = people[activity_column("emergency_admissions", "y2")].to_numpy(dtype=np.int64)
    rows.append(
        {
            "measure": "Emergency admissions (next 12 months)",
            "cohort": int(later[mask].sum()),
            "base": int(later[base].sum()),
        }
    )
    table = pd.DataFrame(rows)
    per_person = table["measure"] != "People"
    table["cohort_per_1000"] = np.where(
        per_person & (cohort_people > 0), table["cohort"] / max(cohort_people, 1) * 1000, np.nan
    )
    table["base_per_1000"] = np.where(
        per_person & (base_people > 0), table["base"] / max(base_people, 1) * 1000, np.nan
    )
    table["share"] = table["cohort"] / table["base"].where(table["base"] > 0)
    table = suppress(table, count_columns=["cohort"], group_by="measure", linked_columns=["cohort_per_1000", "share"])
    cost = people["cost_total_y1"].to_numpy(dtype=np.float64)
    cohort_cost, base_cost = float(cost[mask].sum()), float(cost[base].sum())
    cost_row = pd.DataFrame(
        {
            "measure": ["Cost, last 12 months (GBP)"],
            "cohort": pd.array([round(cohort_cost)], dtype="Float64"),
            "base": [round(base_cost)],
            "cohort_per_1000": pd.array([pd.NA], dtype="Float64"),
            "base_per_1000": [np.nan],
            "share": pd.array([cohort_cost / base_cost if base_cost else pd.NA], dtype="Float64"),
            "cohort_suppressed": [False],
        }
    )
    table = pd.concat([table, cost_row], ignore_index=True)
    if bool(table.loc[0, "cohort_suppressed"]):
        table[["cohort", "cohort_per_1000", "share"]] = pd.NA
        table["cohort_suppressed"] = True
    for column in ("cohort", "cohort_per_1000", "base_per_1000", "share"):
        table[column] = pd.array(pd.to_numeric(table[column], errors="coerce"), dtype="Float64")
    return table


def _group_codes(index: CohortIndex, dimension: str) -> tuple[np.ndarray, list[str]]:
    if dimension == "imd_quintile":
        return index.imd_quintile.astype(np.int32) - 1, ["1", "2", "3", "4", "5"]
    if dimension == "age_band":
        codes = np.asarray(age_band(index.age).codes, dtype=np.int32)
        return codes, [b[2] for b in AGE_BANDS]
    if dimension == "sex":
        return index.sex.astype(np.int32), [SEX_LABELS.get(s, s) for s in index.categories["sex"]]
    if dimension in ("place", "practice", "pcn", "lsoa"):
        return getattr(index, dimension).astype(np.int32), index.categories[dimension]
    raise ValueError(f"unknown breakdown '{dimension}'; choose one of {', '.join(BREAKDOWNS)}")


def cohort_breakdown(
    index: CohortIndex,
    mask: np.ndarray,
    *,
    dimension: str,
    base: np.ndarray,
    names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """People in the cohort and in the base population by group, the cohort's rate per 100 of the group and its
    share of the cohort; suppressed (the groups add up to the cohort and the base totals)."""
    codes, labels = _group_codes(index, dimension)
    size = len(labels)
    valid = codes >= 0
    in_cohort = np.bincount(codes[mask & valid], minlength=size)[:size]
    people = np.bincount(codes[base & valid], minlength=size)[:size]
    table = pd.DataFrame({"code": labels, "in_cohort": in_cohort, "people": people})
    table = table.loc[table["people"] > 0].reset_index(drop=True)
    total = int(in_cohort.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        table["rate_per_100"] = table["in_cohort"] / table["people"] * 100
        table["share_of_cohort"] = table["in_cohort"] / total if total else np.nan
    table.insert(0, "group", [(names or {}).get(code, code) for code in table["code"]])
    return suppress(table, count_columns=["in_cohort", "people"], linked_columns=["rate_per_100", "share_of_cohort"])


def rate_by_lsoa(index: CohortIndex, mask: np.ndarray, *, base: np.ndarray) -> pd.DataFrame:
    """For each LSOA with residents in the base: residents, residents in the cohort and the rate per 100;
    small counts suppressed (the map shows them grey)."""
    size = len(index.categories["lsoa"])
    in_cohort = np.bincount(index.lsoa[mask], minlength=size)
    people = np.bincount(index.lsoa[base], minlength=size)
    table = pd.DataFrame({"lsoa21_code": index.categories["lsoa"], "in_cohort": in_cohort, "people": people})
    table = table.loc[table["people"] > 0].reset_index(drop=True)
    table["rate_per_100"] = table["in_cohort"] / table["people"] * 100
    return suppress(table, count_columns=["in_cohort", "people"], linked_columns=["rate_per_100"])


def breakdown_figure(table: pd.DataFrame, *, dimension_label: str, short_labels: bool = False) -> go.Figure:
    """The cohort's rate per 100 people of each group (suppressed groups left out), with its count on hover.

    ``short_labels`` puts the codes on the axis and the names in the hover text (many long names, e.g. practices).
    """
    names = table["group"].astype("string").tolist()
    figure = go.Figure(
        go.Bar(
            x=table["code"].astype("string").tolist() if short_labels else names,
            y=table["rate_per_100"].astype("float64").tolist(),
            marker_color=NHS_BLUE,
            customdata=list(zip(table["in_cohort"].astype("float64").tolist(), names, strict=True)),
            hovertemplate="%{customdata[1]}: %{y:.2f} per 100 (%{customdata[0]:,.0f} people)<extra></extra>",
        )
    )
    figure.update_layout(
        yaxis={"title": "In the cohort per 100 people", "gridcolor": NHS_PALE_GREY, "rangemode": "tozero"},
        xaxis={"title": dimension_label, "type": "category", "automargin": True},
        showlegend=False,
    )
    short = dimension_label.split(" (")[0]
    short = short if short[:2].isupper() else short[0].lower() + short[1:]  # "GP practice" keeps its capitals
    return style_figure(figure, title=f"Cohort rate by {short}", height=380)


def lsoa_shapes(lsoas: pd.DataFrame, boundaries: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """The footprint's LSOA polygons as GeoJSON features with their code and name (build once, recolour often)."""
    shapes = boundaries.merge(lsoas[["lsoa21_code", "lsoa21_name"]], on="lsoa21_code", how="inner")
    return [
        {"code": code, "name": name, "geometry": geometry.__geo_interface__}
        for code, name, geometry in zip(
            shapes["lsoa21_code"], shapes["lsoa21_name"], shapes.geometry.values, strict=True
        )
    ]


def cohort_deck(
    rates: pd.DataFrame, shapes: list[dict[str, Any]], *, bounds: tuple[float, float, float, float] | np.ndarray
) -> pdk.Deck:
    """The cohort's rate per 100 residents of each LSOA; suppressed LSOAs grey."""
    by_code = rates.set_index("lsoa21_code")
    low, high = colour_range(rates)
    areas = []
    for shape in shapes:
        found = shape["code"] in by_code.index
        rate = by_code.at[shape["code"], "rate_per_100"] if found else None
        count = by_code.at[shape["code"], "in_cohort"] if found else 0
        areas.append((shape["name"], shape["geometry"], rate, count))
    return rate_deck(
        areas,
        low=low,
        high=high,
        decimals=2,
        layer_id="cohort-rate",
        tooltip_html=f"<b>{{name}}</b><br/>Cohort ({SYNTHETIC_LABEL}): {{rate}}<br/>People in the cohort: {{count}}",
        bounds=bounds,
    )


def cohort_sentence(label: str, lines: Sequence[str]) -> str:
    """A cohort in words: its label with a capital first letter, then its criteria, e.g. "The saved cohort 'COPD 65+
    (MDT)': Aged 65 or over; ...". Only the first letter changes: a name the user typed keeps its case."""
    return f"{label[:1].upper()}{label[1:]}: " + "; ".join(lines)


# --- exports -------------------------------------------------------------------------------------------------------

PSEUDONYMISED_COLUMNS: tuple[str, ...] = (
    "person_id",
    "practice_code",
    "age_band",
    "sex",
    "segment",
    "risk_tier",
    "risk_percent",
)
#: What each column of the pseudonymised list means, shown beside its download (and in docs/risk_and_cohorts.md).
PSEUDONYMISED_COLUMN_NOTES: dict[str, str] = {
    "person_id": "Pseudonymised identifier: the practice re-identifies the person from it; it is not an NHS number.",
    "practice_code": "The GP practice the person is registered with (ODS code).",
    "age_band": "Age band on the index date (1 April 2024).",
    "sex": "Sex as recorded (F or M).",
    "segment": "Bridges to Health segment.",
    "risk_tier": "High (top 5% by risk across the ICB), rising (next 15%) or low.",
    "risk_percent": (
        "Chance of an emergency admission in the next 12 months, as a whole percentage from 1 to 99. From the "
        "calibrated risk model; no one is certain to be admitted or not to be, so the few risks that calibration "
        "alone would put at 0% or 100% are set to the smoothed admission rate of the people at that end, and every "
        "risk is kept between 1% and 99% (see docs/risk_and_cohorts.md)."
    ),
}
#: The whole percentages a risk is shown as: never 0% or 100%.
RISK_PERCENT_RANGE: tuple[int, int] = (1, 99)
#: Columns that identify a person directly or nearly so: never in an export.
DIRECT_IDENTIFIERS: tuple[str, ...] = (
    "name",
    "nhs_number",
    "date_of_birth",
    "address",
    "postcode",
    "lsoa21_code",
    "age",
)


def pseudonymised_list(people: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """The cohort as a pseudonymised list for the practices to re-identify for direct care.

    One row per person: pseudonymised identifier, practice, age band, sex, segment, risk tier and risk (whole
    percent, from 1 to 99: ``PSEUDONYMISED_COLUMN_NOTES``), ordered by practice and then highest risk. No direct
    identifiers.
    """
    chosen = people.loc[np.asarray(mask, dtype=bool)]
    risk = (
        chosen["risk_probability"].to_numpy(dtype=np.float64)
        if "risk_probability" in chosen
        else np.full(len(chosen), np.nan)
    )
    table = pd.DataFrame(
        {
            "person_id": chosen["person_id"].astype("string").to_numpy(),
            "practice_code": chosen["practice_code"].astype("string").to_numpy(),
            "age_band": pd.Series(age_band(chosen["age"])).astype("string").to_numpy(),
            "sex": chosen["sex"].astype("string").to_numpy(),
            "segment": chosen["segment"].astype("string").map(SEGMENT_LABELS).to_numpy(),
            "risk_tier": chosen["risk_tier"].astype("string").to_numpy(),
            "risk_percent": pd.array(np.clip(np.round(risk * 100), *RISK_PERCENT_RANGE), dtype="Float64").astype(
                "Int64"
            ),
        }
    )
    table = table.sort_values(
        ["practice_code", "risk_percent", "person_id"], ascending=[True, False, True], kind="stable"
    )
    return table.reset_index(drop=True)


def aggregate_export(breakdowns: Mapping[str, pd.DataFrame], summary: pd.DataFrame) -> pd.DataFrame:
    """Suppressed aggregates of a cohort in one tidy table: the summary and each breakdown (blank = suppressed)."""
    frames = [
        pd.DataFrame(
            {
                "table": "summary",
                "group": summary["measure"],
                "in_cohort": summary["cohort"],
                "people": summary["base"],
                "rate": summary["cohort_per_1000"],
                "rate_unit": "per 1,000 in the cohort",
            }
        )
    ]
    for dimension, table in breakdowns.items():
        frames.append(
            pd.DataFrame(
                {
                    "table": dimension,
                    "group": table["group"].astype("string"),
                    "in_cohort": table["in_cohort"],
                    "people": table["people"],
                    "rate": table["rate_per_100"],
                    "rate_unit": "in the cohort per 100 people",
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "data", SYNTHETIC_LABEL)
    return out


def to_csv_bytes(table: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV bytes, with cells that a spreadsheet would run as formulas made safe."""
    safe = table.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            text = safe[column].astype("string")
            risky = text.str.match(r"^[=+\-@\t\r]").fillna(False)
            safe[column] = text.where(~risky, "'" + text)
    buffer = io.StringIO()
    safe.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")


def sha256(content: bytes) -> str:
    """The SHA-256 of an exported file, recorded in its audit row."""
    return hashlib.sha256(content).hexdigest()
