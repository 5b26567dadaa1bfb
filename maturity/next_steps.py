"""Suggested next steps for each gap, grouped as the national PHM support offer groups them."""

from __future__ import annotations

from dataclasses import dataclass

from maturity.framework import ACTION_GROUPS
from maturity.scoring import AssessmentResult, gap_analysis


@dataclass(frozen=True)
class NextStep:
    """One suggested action for a component with a gap; ``page`` is an app page key to link to, if any."""

    group: str
    component_id: str
    component_label: str
    capability_id: str
    text: str
    page: str | None
    current_stage: int
    target_stage: int | None
    gap: float


def suggest_next_steps(result: AssessmentResult, *, per_component: int | None = None) -> dict[str, list[NextStep]]:
    """Actions for every component whose target is above its current stage, grouped by support-offer group.

    An action is suggested when the stage the component has reached is one of the action's stages. Groups come in
    the order infrastructure, intelligence, interventions (all three keys are always present); within a group,
    the largest gaps come first, then framework order, then the order of actions in the framework.
    ``per_component`` caps the number of actions per component.
    """
    if per_component is not None and per_component < 1:
        raise ValueError("per_component must be at least 1")
    groups: dict[str, list[NextStep]] = {group: [] for group in ACTION_GROUPS}
    for component_result in gap_analysis(result):
        if component_result.current_stage is None:
            continue
        component = result.framework.component(component_result.component_id)
        actions = [a for a in component.actions if component_result.current_stage in a.stages]
        if per_component is not None:
            actions = actions[:per_component]
        for action in actions:
            groups.setdefault(action.group, []).append(
                NextStep(
                    group=action.group,
                    component_id=component.id,
                    component_label=component.label,
                    capability_id=component.capability_id,
                    text=action.text,
                    page=action.page,
                    current_stage=component_result.current_stage,
                    target_stage=component_result.target_stage,
                    gap=component_result.gap,
                )
            )
    return groups
