"""The PHM maturity framework as versioned, validated data: stages, capabilities, components and their texts.

A framework is a YAML file in ``maturity/frameworks/`` checked against ``maturity/schemas/framework.schema.json``
and then for cross-references (every component describes every stage, ids are unique, action stages exist).
Assessments store the framework id and version they used; :func:`load_framework` loads any shipped version, so an
old assessment is always read with the words its respondents saw.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jsonschema
import yaml

from maturity._validation import schema_problems

MATURITY_DIR = Path(__file__).resolve().parent
FRAMEWORKS_DIR = MATURITY_DIR / "frameworks"
FRAMEWORK_SCHEMA_PATH = MATURITY_DIR / "schemas" / "framework.schema.json"
DEFAULT_FRAMEWORK_ID = "phm_maturity"

#: The support-offer groups that next-step actions are grouped by, in display order.
ACTION_GROUPS: tuple[str, ...] = ("infrastructure", "intelligence", "interventions")

#: Page keys that actions may link to; the app maps each key to one of its pages.
KNOWN_PAGE_KEYS: tuple[str, ...] = (
    "population",
    "segmentation",
    "risk",
    "cohorts",
    "inequalities",
    "scenarios",
    "maturity",
)


class FrameworkError(ValueError):
    """A framework file is missing, unreadable or breaks the schema; the message says where and why."""


@dataclass(frozen=True)
class Stage:
    """One column of the matrix: a score (1 = lowest), a stable key and the label shown to people."""

    score: int
    key: str
    label: str
    summary: str


@dataclass(frozen=True)
class ConfidenceLevel:
    """How sure a respondent is of a rating (1 = least sure)."""

    score: int
    label: str
    summary: str


@dataclass(frozen=True)
class Action:
    """A suggested next step for a component, offered when its current stage is one of ``stages``."""

    text: str
    group: str
    stages: tuple[int, ...]
    page: str | None = None


@dataclass(frozen=True)
class Component:
    """One row of the matrix: what a system looks like at each stage, how to ask about it, what to do next."""

    id: str
    capability_id: str
    label: str
    summary: str
    descriptors: Mapping[int, str]
    evidence: Mapping[int, str]
    questions: tuple[str, ...]
    actions: tuple[Action, ...]
    previous_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Capability:
    """A group of components: infrastructure, intelligence or interventions."""

    id: str
    label: str
    summary: str
    components: tuple[Component, ...]


@dataclass(frozen=True, eq=False)
class Framework:
    """A complete, validated maturity framework of one id and version (compared and hashed by identity)."""

    id: str
    version: int
    title: str
    description: str
    stages: tuple[Stage, ...]
    confidence_levels: tuple[ConfidenceLevel, ...]
    capabilities: tuple[Capability, ...]
    source: Path | None = None
    _by_id: dict[str, Component] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {c.id: c for cap in self.capabilities for c in cap.components})

    @property
    def key(self) -> str:
        """``id@version``, e.g. ``phm_maturity@1``."""
        return f"{self.id}@{self.version}"

    @property
    def components(self) -> tuple[Component, ...]:
        """All components in framework order (capability by capability)."""
        return tuple(c for capability in self.capabilities for c in capability.components)

    @property
    def component_ids(self) -> tuple[str, ...]:
        """All component ids in framework order."""
        return tuple(c.id for c in self.components)

    @property
    def min_score(self) -> int:
        """The lowest stage score (1)."""
        return self.stages[0].score

    @property
    def max_score(self) -> int:
        """The highest stage score (4 for the shipped framework)."""
        return self.stages[-1].score

    def component(self, component_id: str) -> Component:
        """Return the component with this id; ``KeyError`` naming the framework when unknown."""
        try:
            return self._by_id[component_id]
        except KeyError:
            raise KeyError(f"component {component_id!r} is not in framework {self.key}") from None

    def has_component(self, component_id: str) -> bool:
        """True when the component id is part of this framework."""
        return component_id in self._by_id

    def capability(self, capability_id: str) -> Capability:
        """Return the capability with this id."""
        for capability in self.capabilities:
            if capability.id == capability_id:
                return capability
        raise KeyError(f"capability {capability_id!r} is not in framework {self.key}")

    def stage(self, score: int) -> Stage:
        """Return the stage with this whole-number score."""
        for stage in self.stages:
            if stage.score == score:
                return stage
        raise KeyError(f"no stage with score {score} in framework {self.key}")

    def stage_reached(self, score: float | None) -> Stage | None:
        """Return the stage a (possibly fractional) score has reached: 2.5 has reached Developing, not Maturing."""
        if score is None or (isinstance(score, float) and math.isnan(score)):
            return None
        whole = math.floor(score + 1e-9)
        whole = min(max(whole, self.min_score), self.max_score)
        return self.stage(whole)

    def stage_label(self, score: float | None) -> str | None:
        """Label of the stage a score has reached, or None for no score."""
        stage = self.stage_reached(score)
        return None if stage is None else stage.label

    def confidence(self, score: int) -> ConfidenceLevel:
        """Return the confidence level with this score."""
        for level in self.confidence_levels:
            if level.score == score:
                return level
        raise KeyError(f"no confidence level {score} in framework {self.key}")


@lru_cache(maxsize=1)
def framework_schema() -> dict[str, Any]:
    """The JSON Schema that every framework file must satisfy."""
    return json.loads(FRAMEWORK_SCHEMA_PATH.read_text(encoding="utf-8"))


def parse_framework(data: Any, *, source: str = "<framework>", path: Path | None = None) -> Framework:
    """Validate parsed YAML/JSON data and build a :class:`Framework`; ``FrameworkError`` lists every problem."""
    problems = schema_problems(jsonschema.Draft202012Validator(framework_schema()), data)
    if problems:
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise FrameworkError(f"{source} is not a valid maturity framework:\n  " + "\n  ".join(problems[:20]) + more)
    problems = _cross_reference_problems(data)
    if problems:
        raise FrameworkError(f"{source} is not a valid maturity framework:\n  " + "\n  ".join(problems))
    return _build(data, path=path)


def load_framework_file(path: str | Path) -> Framework:
    """Load and validate one framework file (YAML or JSON)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise FrameworkError(f"cannot read framework file {path}: {error.strerror or error}") from error
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        where = ""
        mark = getattr(error, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(error, "problem", None) or str(error)
        raise FrameworkError(f"{path} is not valid YAML{where}: {problem}") from error
    return parse_framework(data, source=str(path), path=path)


def available_frameworks(*, directory: str | Path = FRAMEWORKS_DIR) -> list[tuple[str, int, str]]:
    """List ``(id, version, title)`` of every framework file in the directory, sorted by id then version."""
    return sorted((f.id, f.version, f.title) for f in _frameworks_in(Path(directory)).values())


def load_framework(
    framework_id: str = DEFAULT_FRAMEWORK_ID,
    version: int | None = None,
    *,
    directory: str | Path = FRAMEWORKS_DIR,
) -> Framework:
    """Load a shipped framework by id and version (the latest version when ``version`` is None)."""
    frameworks = _frameworks_in(Path(directory))
    versions = sorted(v for (fid, v) in frameworks if fid == framework_id)
    if not versions:
        known = ", ".join(sorted({fid for fid, _ in frameworks})) or "none"
        raise FrameworkError(f"no framework {framework_id!r} in {directory} (available: {known})")
    if version is None:
        version = versions[-1]
    try:
        return frameworks[(framework_id, int(version))]
    except KeyError:
        raise FrameworkError(
            f"framework {framework_id!r} has no version {version} in {directory} "
            f"(available: {', '.join(map(str, versions))})"
        ) from None


def clear_framework_cache() -> None:
    """Forget loaded frameworks, e.g. after editing a file in a running process."""
    _frameworks_in.cache_clear()


@lru_cache(maxsize=16)
def _frameworks_in(directory: Path) -> dict[tuple[str, int], Framework]:
    if not directory.is_dir():
        raise FrameworkError(f"framework directory {directory} does not exist")
    found: dict[tuple[str, int], Framework] = {}
    for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml"), *directory.glob("*.json")]):
        framework = load_framework_file(path)
        if (framework.id, framework.version) in found:
            other = found[(framework.id, framework.version)].source
            raise FrameworkError(f"{path} and {other} both define {framework.key}")
        found[(framework.id, framework.version)] = framework
    return found


def _cross_reference_problems(data: Mapping[str, Any]) -> list[str]:
    """Checks the schema cannot express: stage scores run 1..N, texts for every stage, unique ids."""
    problems: list[str] = []
    scores = [s["score"] for s in data["stages"]]
    if scores != list(range(1, len(scores) + 1)):
        problems.append(f"$.stages: scores must run 1, 2, ... in order, found {scores}")
    stage_keys = [s["key"] for s in data["stages"]]
    if len(set(stage_keys)) != len(stage_keys):
        problems.append(f"$.stages: stage keys must be unique, found {stage_keys}")
    levels = [c["score"] for c in data["confidence_levels"]]
    if levels != list(range(1, len(levels) + 1)):
        problems.append(f"$.confidence_levels: scores must run 1, 2, ... in order, found {levels}")
    top_key = stage_keys[-1] if stage_keys else None

    seen_capabilities: set[str] = set()
    seen_components: dict[str, str] = {}
    for i, capability in enumerate(data["capabilities"]):
        if capability["id"] in seen_capabilities:
            problems.append(f"$.capabilities[{i}].id: duplicate capability id {capability['id']!r}")
        seen_capabilities.add(capability["id"])
        for j, component in enumerate(capability["components"]):
            where = f"$.capabilities[{i}].components[{j}]"
            cid = component["id"]
            if cid in seen_components:
                problems.append(f"{where}.id: duplicate component id {cid!r} (also at {seen_components[cid]})")
            seen_components.setdefault(cid, where)
            for part in ("descriptors", "evidence"):
                given = set(component[part])
                missing = [k for k in stage_keys if k not in given]
                unknown = sorted(given - set(stage_keys))
                if missing:
                    problems.append(f"{where}.{part}: missing text for stage(s) {', '.join(missing)}")
                if unknown:
                    problems.append(f"{where}.{part}: unknown stage key(s) {', '.join(unknown)}")
            for k, action in enumerate(component["actions"]):
                if "group" not in action and capability["id"] not in ACTION_GROUPS:
                    problems.append(
                        f"{where}.actions[{k}]: needs a group (one of {', '.join(ACTION_GROUPS)}) because "
                        f"capability {capability['id']!r} is not one"
                    )
                bad = [s for s in action.get("stages", []) if s not in stage_keys]
                if bad:
                    problems.append(f"{where}.actions[{k}].stages: unknown stage key(s) {', '.join(bad)}")
                if top_key is not None and action.get("stages") == [top_key]:
                    problems.append(
                        f"{where}.actions[{k}].stages: an action only for the top stage would never be shown"
                    )
    for cid in seen_components:
        for i, capability in enumerate(data["capabilities"]):
            for j, component in enumerate(capability["components"]):
                if cid in component.get("previous_ids", []) and component["id"] != cid:
                    problems.append(
                        f"$.capabilities[{i}].components[{j}].previous_ids: {cid!r} is still a current component id"
                    )
    return problems


def _build(data: Mapping[str, Any], *, path: Path | None) -> Framework:
    stages = tuple(Stage(s["score"], s["key"], s["label"].strip(), s["summary"].strip()) for s in data["stages"])
    score_of = {s.key: s.score for s in stages}
    below_top = tuple(s.score for s in stages[:-1])
    capabilities = []
    for capability in data["capabilities"]:
        components = []
        for component in capability["components"]:
            actions = tuple(
                Action(
                    text=a["text"].strip(),
                    group=a.get("group", capability["id"]),
                    stages=tuple(sorted(score_of[k] for k in a["stages"])) if "stages" in a else below_top,
                    page=a.get("page"),
                )
                for a in component["actions"]
            )
            components.append(
                Component(
                    id=component["id"],
                    capability_id=capability["id"],
                    label=component["label"].strip(),
                    summary=component["summary"].strip(),
                    descriptors=MappingProxyType({score_of[k]: v.strip() for k, v in component["descriptors"].items()}),
                    evidence=MappingProxyType({score_of[k]: v.strip() for k, v in component["evidence"].items()}),
                    questions=tuple(q.strip() for q in component["questions"]),
                    actions=actions,
                    previous_ids=tuple(component.get("previous_ids", ())),
                )
            )
        capabilities.append(
            Capability(
                id=capability["id"],
                label=capability["label"].strip(),
                summary=capability["summary"].strip(),
                components=tuple(components),
            )
        )
    return Framework(
        id=data["id"],
        version=int(data["version"]),
        title=data["title"].strip(),
        description=str(data.get("description", "")).strip(),
        stages=stages,
        confidence_levels=tuple(
            ConfidenceLevel(c["score"], c["label"].strip(), c["summary"].strip()) for c in data["confidence_levels"]
        ),
        capabilities=tuple(capabilities),
        source=path,
    )
