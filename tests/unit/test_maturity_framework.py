"""The maturity framework as data: the shipped file is complete, and broken files are rejected clearly."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from maturity.framework import (
    ACTION_GROUPS,
    FRAMEWORKS_DIR,
    KNOWN_PAGE_KEYS,
    FrameworkError,
    available_frameworks,
    load_framework,
    load_framework_file,
    parse_framework,
)

pytestmark = pytest.mark.unit

SHIPPED = FRAMEWORKS_DIR / "phm_maturity_v1.yaml"


def shipped_data() -> dict:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def write_yaml(directory: Path, name: str, data: dict) -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_shipped_framework_has_the_three_capabilities_and_their_components():
    framework = load_framework("phm_maturity", 1)
    assert [c.id for c in framework.capabilities] == ["infrastructure", "intelligence", "interventions"]
    assert [[c.id for c in capability.components] for capability in framework.capabilities] == [
        ["organisational_factors", "digitised_care_record", "integrated_data_architecture", "information_governance"],
        ["supporting_capabilities", "analyses", "interpretation"],
        ["care_model_design", "community_wellbeing", "workforce_development", "incentives_alignment"],
    ]
    assert [(s.score, s.label) for s in framework.stages] == [
        (1, "Emerging"),
        (2, "Developing"),
        (3, "Maturing"),
        (4, "Thriving"),
    ]


def test_every_component_is_described_at_every_stage_with_questions_evidence_and_actions():
    framework = load_framework()
    for component in framework.components:
        assert sorted(component.descriptors) == [1, 2, 3, 4], component.id
        assert sorted(component.evidence) == [1, 2, 3, 4], component.id
        assert len(set(component.descriptors.values())) == 4, f"{component.id} repeats a descriptor"
        assert 1 <= len(component.questions) <= 3, component.id
        for stage in (1, 2, 3):  # below Thriving there is always something to suggest
            assert any(stage in a.stages for a in component.actions), (component.id, stage)
        for action in component.actions:
            assert action.group in ACTION_GROUPS
            assert action.page is None or action.page in KNOWN_PAGE_KEYS


def test_stage_reached_by_a_fractional_score_is_the_stage_below():
    framework = load_framework()
    assert framework.stage_label(2.5) == "Developing"
    assert framework.stage_label(2.999) == "Developing"
    assert framework.stage_label(3.0) == "Maturing"
    assert framework.stage_label(4) == "Thriving"
    assert framework.stage_label(None) is None


def test_latest_version_is_loaded_by_default_and_old_versions_stay_loadable(tmp_path):
    data = shipped_data()
    write_yaml(tmp_path, "v1.yaml", data)
    newer = copy.deepcopy(data)
    newer["version"] = 2
    newer["capabilities"][0]["components"][0]["label"] = "Leadership and population"
    write_yaml(tmp_path, "v2.yaml", newer)

    assert load_framework("phm_maturity", directory=tmp_path).version == 2
    old = load_framework("phm_maturity", 1, directory=tmp_path)
    assert old.component("organisational_factors").label == "Organisational factors"
    assert [v for _, v, _ in available_frameworks(directory=tmp_path)] == [1, 2]
    with pytest.raises(FrameworkError, match="has no version 3.*available: 1, 2"):
        load_framework("phm_maturity", 3, directory=tmp_path)
    with pytest.raises(FrameworkError, match="no framework 'other'"):
        load_framework("other", directory=tmp_path)


def test_two_files_with_the_same_id_and_version_are_rejected(tmp_path):
    write_yaml(tmp_path, "a.yaml", shipped_data())
    write_yaml(tmp_path, "b.yaml", shipped_data())
    with pytest.raises(FrameworkError, match="both define phm_maturity@1"):
        load_framework(directory=tmp_path)


def test_yaml_syntax_error_names_the_file_and_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: phm_maturity\nversion: 1\nstages: [\n  - score: 1\n", encoding="utf-8")
    with pytest.raises(FrameworkError, match=r"broken.yaml is not valid YAML at line \d+"):
        load_framework_file(path)


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(FrameworkError, match="cannot read framework file"):
        load_framework_file(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda d: d.pop("stages"), r"\$: 'stages' is a required property"),
        (lambda d: d.update(version="one"), r"\$\.version: 'one' is not of type 'integer'"),
        (
            lambda d: d["capabilities"][0]["components"][0]["descriptors"].pop("maturing"),
            r"capabilities\[0\]\.components\[0\]\.descriptors: missing text for stage\(s\) maturing",
        ),
        (
            lambda d: d["capabilities"][1]["components"][0]["questions"].extend(["a?", "b?", "c?"]),
            r"capabilities\[1\]\.components\[0\]\.questions: has 6 items, at most 3 allowed",
        ),
        (
            lambda d: d["capabilities"][2]["components"][1].update(id="analyses"),
            r"duplicate component id 'analyses'",
        ),
        (
            lambda d: d["capabilities"][0]["components"][0]["actions"][0].update(stages=["flourishing"]),
            r"actions\[0\]\.stages: unknown stage key\(s\) flourishing",
        ),
        (
            lambda d: d["capabilities"][0]["components"][0]["actions"][0].update(page="Risk Page"),
            r"actions\[0\]\.page: 'Risk Page' does not match",
        ),
        (lambda d: d["stages"][3].update(score=5), r"\$\.stages: scores must run 1, 2, \.\.\. in order"),
        (
            lambda d: d["capabilities"][0]["components"][0].update(colour="blue"),
            r"Additional properties are not allowed \('colour' was unexpected\)",
        ),
        (
            lambda d: d["capabilities"][0]["components"][0]["evidence"].update(thriving="   "),
            r"evidence\.thriving: '   ' does not match",
        ),
    ],
)
def test_invalid_frameworks_are_rejected_with_the_place_and_reason(break_it, message):
    data = shipped_data()
    break_it(data)
    with pytest.raises(FrameworkError, match=message):
        parse_framework(data, source="edited.yaml")


def test_custom_capability_needs_explicit_action_groups():
    data = shipped_data()
    data["capabilities"][0]["id"] = "foundations"
    with pytest.raises(FrameworkError, match="needs a group"):
        parse_framework(data)
    for component in data["capabilities"][0]["components"]:
        for action in component["actions"]:
            action["group"] = "infrastructure"
    framework = parse_framework(data)
    assert framework.capabilities[0].id == "foundations"
    assert framework.components[0].actions[0].group == "infrastructure"


def test_previous_ids_may_not_name_a_current_component():
    data = shipped_data()
    data["capabilities"][1]["components"][1]["previous_ids"] = ["interpretation"]
    with pytest.raises(FrameworkError, match="'interpretation' is still a current component id"):
        parse_framework(data)
