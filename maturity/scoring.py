"""Pure scoring of maturity self-assessments: per component, per capability and overall, across respondents.

Rules (the defaults are documented in docs/maturity.md and set by :class:`AgreementRule`):

* A component's score is the **median** of the current-stage ratings given for it; ratings left blank are
  excluded and counted as missing. With an even number of ratings the median may fall between two stages
  (e.g. 2.5); the stage *reached* is then the lower one unless ``median_tie="upper"``.
* Spread is reported as the interquartile range (linear interpolation, as numpy's default) and min-max.
* **Agreement**: the band is the run of ``band + 1`` adjacent stages (two with the default ``band=1``) that holds
  the most ratings. The component has *consensus* when the share of ratings outside the band is below
  ``max_outside_share``; otherwise it is *uncertain*. So a range of one stage or less is always consensus, and two
  respondents two or more stages apart (Developing and Thriving) are uncertain whatever their median. With fewer
  than ``min_respondents`` ratings agreement is *too few*; with none, *no answers*.
* A capability's score is the mean of its components' medians (components without ratings are left out);
  the overall score is the mean of the capability scores, so each capability counts equally. Fractional
  scores reach the stage below them (2.75 is Developing).
* The gap is the target median minus the current median; gaps are sorted largest first, ties in framework order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Literal

import pandas as pd

from maturity.framework import Framework

MedianTie = Literal["lower", "upper"]


class Agreement(StrEnum):
    """How far respondents agree on a component's current stage."""

    CONSENSUS = "consensus"
    UNCERTAIN = "uncertain"
    TOO_FEW = "too few"
    NO_ANSWERS = "no answers"


@dataclass(frozen=True)
class AgreementRule:
    """Parameters of the agreement rule.

    ``band``: ratings within this many stages of each other agree; the band is the run of ``band + 1`` adjacent
    stages that holds the most ratings (default 1: the two adjacent stages most chosen). A band that holds more
    than half the ratings contains the median. It is not centred on the median: "within one stage of the median"
    spans three stages and calls Developing and Thriving consensus (both are one stage from their median, 3).
    ``max_outside_share``: consensus when the share of ratings outside the band is *below* this (default 0.25,
    so with four raters one outlier already makes the component uncertain, with five it does not).
    ``min_respondents``: fewer ratings than this give ``Agreement.TOO_FEW`` (default 2: one person cannot agree).
    """

    band: float = 1.0
    max_outside_share: float = 0.25
    min_respondents: int = 2

    def __post_init__(self) -> None:
        if not (isinstance(self.band, int | float) and self.band >= 0 and math.isfinite(self.band)):
            raise ValueError(f"band must be a finite number of stages >= 0, got {self.band!r}")
        if not (isinstance(self.max_outside_share, int | float) and 0 < self.max_outside_share <= 1):
            raise ValueError(f"max_outside_share must be in (0, 1], got {self.max_outside_share!r}")
        if not (isinstance(self.min_respondents, int) and self.min_respondents >= 1):
            raise ValueError(f"min_respondents must be an integer >= 1, got {self.min_respondents!r}")

    @property
    def band_stages(self) -> int:
        """How many adjacent stages the band spans (``band + 1``, whole stages)."""
        return math.floor(self.band + 1e-9) + 1

    def describe_band(self) -> str:
        """'the two adjacent stages most chosen': what a rating must lie in to agree, in words."""
        words = {2: "two", 3: "three", 4: "four", 5: "five"}
        if self.band_stages == 1:
            return "the stage most chosen"
        return f"the {words.get(self.band_stages, str(self.band_stages))} adjacent stages most chosen"

    def describe(self) -> str:
        """The rule in one paragraph of plain English, for pages and reports."""
        example = ""
        if self.band_stages == 2 and self.max_outside_share <= 0.5:
            example = (
                ": two people two stages apart (say Developing and Thriving) are uncertain, one outlier among many"
                " is not"
            )
        return (
            f"A component has consensus when fewer than {self.max_outside_share:.0%} of its ratings lie outside "
            f"{self.describe_band()}, and is uncertain otherwise{example}. With fewer than {self.min_respondents} "
            "ratings there are too few to tell."
        )

    def outside_share(self, ratings: Sequence[int]) -> float:
        """Share of ``ratings`` outside the band: 1 minus the largest share found in ``band + 1`` adjacent stages."""
        if not ratings:
            raise ValueError("no ratings")
        inside = max(sum(start <= v <= start + self.band + 1e-9 for v in ratings) for start in set(ratings))
        return (len(ratings) - inside) / len(ratings)


DEFAULT_AGREEMENT_RULE = AgreementRule()


@dataclass(frozen=True)
class ComponentResult:
    """Aggregated ratings for one component."""

    component_id: str
    capability_id: str
    label: str
    order: int
    n: int
    n_missing: int
    counts: tuple[int, ...]
    current: float | None
    current_stage: int | None
    current_label: str | None
    q1: float | None
    q3: float | None
    iqr: float | None
    minimum: int | None
    maximum: int | None
    outside_share: float | None
    mean_absolute_deviation: float | None
    agreement: Agreement
    n_target: int
    target: float | None
    target_stage: int | None
    target_label: str | None
    target_minimum: int | None
    target_maximum: int | None
    gap: float | None
    target_by: date | None
    confidence: float | None

    @property
    def range(self) -> int | None:
        """Highest minus lowest current rating."""
        return None if self.minimum is None or self.maximum is None else self.maximum - self.minimum


@dataclass(frozen=True)
class CapabilityResult:
    """Mean of a capability's component medians, current and target."""

    capability_id: str
    label: str
    current: float | None
    current_label: str | None
    target: float | None
    target_label: str | None
    gap: float | None
    n_components_scored: int
    n_components: int


@dataclass(frozen=True)
class OverallResult:
    """Mean of the capability scores: every capability counts equally."""

    current: float | None
    current_label: str | None
    target: float | None
    target_label: str | None
    gap: float | None


@dataclass(frozen=True)
class AssessmentResult:
    """Everything the results page shows for one assessment, scored under its own framework version."""

    framework: Framework = field(repr=False)
    rule: AgreementRule
    median_tie: MedianTie
    n_respondents: int
    components: tuple[ComponentResult, ...]
    capabilities: tuple[CapabilityResult, ...]
    overall: OverallResult
    unknown_components: Mapping[str, int]

    def component(self, component_id: str) -> ComponentResult:
        """Result of one component by id."""
        for result in self.components:
            if result.component_id == component_id:
                return result
        raise KeyError(f"component {component_id!r} is not in framework {self.framework.key}")

    def capability(self, capability_id: str) -> CapabilityResult:
        """Result of one capability by id."""
        for result in self.capabilities:
            if result.capability_id == capability_id:
                return result
        raise KeyError(f"capability {capability_id!r} is not in framework {self.framework.key}")


ANSWER_COLUMNS = ("respondent_id", "component_id", "current_stage")
OPTIONAL_ANSWER_COLUMNS = ("target_stage", "target_date", "confidence")


def score_assessment(
    answers: pd.DataFrame | Iterable[Mapping[str, Any]],
    framework: Framework,
    *,
    respondent_ids: Iterable[Any] | None = None,
    rule: AgreementRule = DEFAULT_AGREEMENT_RULE,
    median_tie: MedianTie = "lower",
) -> AssessmentResult:
    """Score an assessment's answers under its framework.

    ``answers`` has one row per respondent and component with ``respondent_id``, ``component_id``,
    ``current_stage`` and optionally ``target_stage``, ``target_date`` and ``confidence``; blank ratings are
    missing. ``respondent_ids`` lists everyone who took part (so that respondents with no answer at all count as
    missing); by default it is the respondents present in ``answers``. Answers for components that the framework
    does not have are left out and counted in ``unknown_components``. A rating outside the framework's stages or
    two rows for the same respondent and component raise ``ValueError``.
    """
    if median_tie not in ("lower", "upper"):
        raise ValueError(f"median_tie must be 'lower' or 'upper', got {median_tie!r}")
    rows = _answer_rows(answers)
    respondents = set(respondent_ids) if respondent_ids is not None else set()
    current: dict[str, list[int]] = {cid: [] for cid in framework.component_ids}
    target: dict[str, list[int]] = {cid: [] for cid in framework.component_ids}
    target_dates: dict[str, list[date]] = {cid: [] for cid in framework.component_ids}
    confidence: dict[str, list[int]] = {cid: [] for cid in framework.component_ids}
    unknown: dict[str, int] = {}
    seen: set[tuple[Any, str]] = set()
    low, high = framework.min_score, framework.max_score
    levels = {level.score for level in framework.confidence_levels}

    for respondent_id, component_id, cur, tgt, by, conf in rows:
        if respondent_ids is None:
            respondents.add(respondent_id)
        elif respondent_id not in respondents:
            raise ValueError(f"answer from respondent {respondent_id!r} who is not in respondent_ids")
        key = (respondent_id, component_id)
        if key in seen:
            raise ValueError(f"respondent {respondent_id!r} has more than one answer for {component_id!r}")
        seen.add(key)
        if component_id not in current:
            unknown[component_id] = unknown.get(component_id, 0) + 1
            continue
        for name, value in (("current stage", cur), ("target stage", tgt)):
            if value is not None and not low <= value <= high:
                raise ValueError(
                    f"{name} {value} of respondent {respondent_id!r} for {component_id!r} is outside "
                    f"{low}-{high} ({framework.key})"
                )
        if conf is not None and conf not in levels:
            raise ValueError(f"confidence {conf} of respondent {respondent_id!r} for {component_id!r} is unknown")
        if cur is not None:
            current[component_id].append(cur)
        if tgt is not None:
            target[component_id].append(tgt)
        if by is not None:
            target_dates[component_id].append(by)
        if conf is not None:
            confidence[component_id].append(conf)

    n_respondents = len(respondents)
    component_results = tuple(
        _score_component(
            framework,
            order,
            component_id,
            current[component_id],
            target[component_id],
            target_dates[component_id],
            confidence[component_id],
            n_respondents=n_respondents,
            rule=rule,
            median_tie=median_tie,
        )
        for order, component_id in enumerate(framework.component_ids)
    )
    by_id = {r.component_id: r for r in component_results}
    capability_results = []
    for capability in framework.capabilities:
        results = [by_id[c.id] for c in capability.components]
        cur_mean = _mean([r.current for r in results if r.current is not None])
        tgt_mean = _mean([r.target for r in results if r.target is not None])
        capability_results.append(
            CapabilityResult(
                capability_id=capability.id,
                label=capability.label,
                current=cur_mean,
                current_label=framework.stage_label(cur_mean),
                target=tgt_mean,
                target_label=framework.stage_label(tgt_mean),
                gap=_difference(tgt_mean, cur_mean),
                n_components_scored=sum(r.current is not None for r in results),
                n_components=len(results),
            )
        )
    overall_current = _mean([c.current for c in capability_results if c.current is not None])
    overall_target = _mean([c.target for c in capability_results if c.target is not None])
    overall = OverallResult(
        current=overall_current,
        current_label=framework.stage_label(overall_current),
        target=overall_target,
        target_label=framework.stage_label(overall_target),
        gap=_difference(overall_target, overall_current),
    )
    return AssessmentResult(
        framework=framework,
        rule=rule,
        median_tie=median_tie,
        n_respondents=n_respondents,
        components=component_results,
        capabilities=tuple(capability_results),
        overall=overall,
        unknown_components=dict(sorted(unknown.items())),
    )


def gap_analysis(result: AssessmentResult, *, include_closed: bool = False) -> list[ComponentResult]:
    """Components with both a current and a target score, largest gap first (ties in framework order).

    Components whose gap is zero or negative are left out unless ``include_closed``.
    """
    rows = [r for r in result.components if r.gap is not None and (include_closed or r.gap > 0)]
    return sorted(rows, key=lambda r: (-r.gap, r.order))


def most_disagreement(result: AssessmentResult, *, limit: int = 3) -> list[ComponentResult]:
    """The components respondents disagree on most, for discussion.

    Ranked by share of ratings outside the agreement band, then interquartile range, then range, then mean
    absolute deviation from the median, then framework order. Components with fewer ratings than the rule's
    ``min_respondents`` or where everyone gave the same rating are left out.
    """
    if limit < 0:
        raise ValueError("limit must be >= 0")
    rows = [r for r in result.components if r.n >= result.rule.min_respondents and r.range is not None and r.range > 0]
    rows.sort(key=lambda r: (-r.outside_share, -r.iqr, -r.range, -r.mean_absolute_deviation, r.order))
    return rows[:limit]


def component_id_map(older: Framework, newer: Framework) -> dict[str, str | None]:
    """Map each component id of ``older`` to its id in ``newer`` (same id or listed in ``previous_ids``).

    Components that the newer framework no longer has map to None.
    """
    renamed = {old: c.id for c in newer.components for old in c.previous_ids}
    mapping: dict[str, str | None] = {}
    for component_id in older.component_ids:
        if newer.has_component(component_id):
            mapping[component_id] = component_id
        else:
            mapping[component_id] = renamed.get(component_id)
    return mapping


@dataclass(frozen=True)
class ComponentChange:
    """How one component moved between two assessments, possibly under different framework versions."""

    component_id: str
    label: str
    status: Literal["both", "added", "retired"]
    previous: float | None
    current: float | None
    change: float | None


def compare_results(previous: AssessmentResult, current: AssessmentResult) -> list[ComponentChange]:
    """Change per component from ``previous`` to ``current``, matched across framework versions.

    Rows follow the current framework's order; components present only in the newer assessment's framework are
    ``added``, those of the previous framework that the current one no longer has are ``retired`` (listed last).
    """
    mapping = component_id_map(previous.framework, current.framework)
    previous_by_new: dict[str, ComponentResult] = {}
    retired: list[ComponentResult] = []
    for result in previous.components:
        new_id = mapping[result.component_id]
        if new_id is None:
            retired.append(result)
        elif new_id not in previous_by_new or previous_by_new[new_id].n < result.n:
            # Two old components merged into one: keep the one with more ratings (deterministic).
            previous_by_new[new_id] = result
    changes = []
    for result in current.components:
        old = previous_by_new.get(result.component_id)
        changes.append(
            ComponentChange(
                component_id=result.component_id,
                label=result.label,
                status="both" if old is not None else "added",
                previous=None if old is None else old.current,
                current=result.current,
                change=None if old is None else _difference(result.current, old.current),
            )
        )
    for old in retired:
        changes.append(ComponentChange(old.component_id, old.label, "retired", old.current, None, None))
    return changes


COMPONENT_FRAME_COLUMNS = (
    "level",
    "capability_id",
    "component_id",
    "label",
    "order",
    "n",
    "n_missing",
    "current",
    "current_stage",
    "current_label",
    "q1",
    "q3",
    "iqr",
    "minimum",
    "maximum",
    "outside_share",
    "agreement",
    "n_target",
    "target",
    "target_stage",
    "target_label",
    "gap",
    "target_by",
    "confidence",
)


def results_frame(result: AssessmentResult, *, reference: Framework | None = None) -> pd.DataFrame:
    """One row per component, capability and the overall score, ready for tables, grids and charts.

    With ``reference`` (a newer framework), component ids are mapped to it via :func:`component_id_map` and the
    column ``in_reference`` says whether the component still exists there (for trends across versions).
    """
    mapping = component_id_map(result.framework, reference) if reference is not None else None
    records: list[dict[str, Any]] = []
    for r in result.components:
        record = {name: getattr(r, name) for name in COMPONENT_FRAME_COLUMNS if hasattr(r, name)}
        record["level"] = "component"
        record["agreement"] = str(r.agreement)
        if mapping is not None:
            mapped = mapping[r.component_id]
            record["in_reference"] = mapped is not None
            record["component_id"] = mapped or r.component_id
        records.append(record)
    for order, c in enumerate(result.capabilities):
        records.append(
            {
                "level": "capability",
                "capability_id": c.capability_id,
                "component_id": None,
                "label": c.label,
                "order": order,
                "current": c.current,
                "current_label": c.current_label,
                "target": c.target,
                "target_label": c.target_label,
                "gap": c.gap,
                "in_reference": True if mapping is not None else None,
            }
        )
    o = result.overall
    records.append(
        {
            "level": "overall",
            "label": "Overall",
            "order": 0,
            "current": o.current,
            "current_label": o.current_label,
            "target": o.target,
            "target_label": o.target_label,
            "gap": o.gap,
            "in_reference": True if mapping is not None else None,
        }
    )
    columns = list(COMPONENT_FRAME_COLUMNS) + (["in_reference"] if mapping is not None else [])
    frame = pd.DataFrame.from_records(records, columns=columns)
    for column in ("n", "n_missing", "current_stage", "minimum", "maximum", "n_target", "target_stage"):
        frame[column] = frame[column].astype("Int64")
    for column in ("current", "q1", "q3", "iqr", "outside_share", "target", "gap", "confidence"):
        frame[column] = frame[column].astype("Float64")
    return frame


# --- internals -----------------------------------------------------------------------------------------------


def _answer_rows(
    answers: pd.DataFrame | Iterable[Mapping[str, Any]],
) -> list[tuple[Any, str, int | None, int | None, date | None, int | None]]:
    """Normalise answers to tuples with None for blanks, validating types."""
    if isinstance(answers, pd.DataFrame):
        missing = [c for c in ANSWER_COLUMNS if c not in answers.columns]
        if missing:
            raise ValueError(f"answers lack column(s) {', '.join(missing)}")
        columns = list(ANSWER_COLUMNS) + [c for c in OPTIONAL_ANSWER_COLUMNS if c in answers.columns]
        records: Iterable[Mapping[str, Any]] = (
            dict(zip(columns, values, strict=True)) for values in answers[columns].itertuples(index=False, name=None)
        )
    else:
        records = answers
    rows = []
    for record in records:
        try:
            respondent_id = record["respondent_id"]
            component_id = record["component_id"]
        except KeyError as error:
            raise ValueError(f"answer {dict(record)!r} lacks {error.args[0]!r}") from None
        rows.append(
            (
                respondent_id,
                str(component_id),
                _whole(record.get("current_stage"), "current_stage"),
                _whole(record.get("target_stage"), "target_stage"),
                _date(record.get("target_date")),
                _whole(record.get("confidence"), "confidence"),
            )
        )
    return rows


def _is_blank(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _whole(value: Any, name: str) -> int | None:
    if _is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number, got {value!r}") from None
    if not as_float.is_integer():
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return int(as_float)


def _date(value: Any) -> date | None:
    if _is_blank(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value if type(value) is date else value.date()  # datetime -> date
    if isinstance(value, str):
        return date.fromisoformat(value)
    raise ValueError(f"target_date must be a date, got {value!r}")


def _median(values: Sequence[int]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    middle = n // 2
    if n % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def _quantile(ordered: Sequence[int], q: float) -> float:
    """Linear-interpolation quantile of sorted values (numpy's default, Hyndman-Fan type 7)."""
    position = (len(ordered) - 1) * q
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def _stage_of_median(median: float, tie: MedianTie) -> int:
    return math.ceil(median - 1e-9) if tie == "upper" else math.floor(median + 1e-9)


def _lower_median_date(values: Sequence[date]) -> date | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2]


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _difference(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _score_component(
    framework: Framework,
    order: int,
    component_id: str,
    current: list[int],
    target: list[int],
    target_dates: list[date],
    confidence: list[int],
    *,
    n_respondents: int,
    rule: AgreementRule,
    median_tie: MedianTie,
) -> ComponentResult:
    component = framework.component(component_id)
    n = len(current)
    counts = tuple(current.count(stage.score) for stage in framework.stages)
    if n:
        ordered = sorted(current)
        median = _median(ordered)
        stage = _stage_of_median(median, median_tie)
        q1, q3 = _quantile(ordered, 0.25), _quantile(ordered, 0.75)
        outside = rule.outside_share(ordered)
        mad = sum(abs(v - median) for v in ordered) / n
        if n < rule.min_respondents:
            agreement = Agreement.TOO_FEW
        elif outside < rule.max_outside_share:
            agreement = Agreement.CONSENSUS
        else:
            agreement = Agreement.UNCERTAIN
    else:
        median = q1 = q3 = outside = mad = None
        stage = None
        agreement = Agreement.NO_ANSWERS
    target_median = _median(target) if target else None
    target_stage = _stage_of_median(target_median, median_tie) if target_median is not None else None
    return ComponentResult(
        component_id=component_id,
        capability_id=component.capability_id,
        label=component.label,
        order=order,
        n=n,
        n_missing=max(n_respondents - n, 0),
        counts=counts,
        current=median,
        current_stage=stage,
        current_label=None if stage is None else framework.stage(stage).label,
        q1=q1,
        q3=q3,
        iqr=None if q1 is None else q3 - q1,
        minimum=min(current) if current else None,
        maximum=max(current) if current else None,
        outside_share=outside,
        mean_absolute_deviation=mad,
        agreement=agreement,
        n_target=len(target),
        target=target_median,
        target_stage=target_stage,
        target_label=None if target_stage is None else framework.stage(target_stage).label,
        target_minimum=min(target) if target else None,
        target_maximum=max(target) if target else None,
        gap=_difference(target_median, median),
        target_by=_lower_median_date(target_dates),
        confidence=_median(confidence) if confidence else None,
    )
