"""Readable tables of maturity results for the pages: gaps, agreement, disagreement and change between rounds.

Pure functions on :class:`~maturity.scoring.AssessmentResult` (and :class:`~maturity.scoring.ComponentChange`);
column names are what the pages show. Nothing here touches Streamlit or the database.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from maturity.scoring import AssessmentResult, ComponentChange, ComponentResult, gap_analysis, most_disagreement

GAP_COLUMNS = (
    "Component",
    "Capability",
    "Current",
    "Current stage",
    "Target",
    "Target stage",
    "Gap",
    "By when",
    "Agreement",
    "Ratings",
)


def gap_table(result: AssessmentResult) -> pd.DataFrame:
    """Components whose median target is above their median current stage, largest gap first."""
    framework = result.framework
    rows = [
        {
            "Component": r.label,
            "Capability": framework.capability(r.capability_id).label,
            "Current": r.current,
            "Current stage": r.current_label,
            "Target": r.target,
            "Target stage": r.target_label,
            "Gap": r.gap,
            "By when": r.target_by,
            "Agreement": r.agreement.value,
            "Ratings": r.n,
        }
        for r in gap_analysis(result)
    ]
    return pd.DataFrame(rows, columns=list(GAP_COLUMNS))


def agreement_table(result: AssessmentResult) -> pd.DataFrame:
    """Every component with its spread of ratings, how many chose each stage, and the agreement flag."""
    framework = result.framework
    rows = []
    for r in result.components:
        row: dict[str, object] = {
            "Component": r.label,
            "Capability": framework.capability(r.capability_id).label,
            "Agreement": r.agreement.value,
            "Ratings": r.n,
            "Missing": r.n_missing,
            "Median": r.current,
            "Lowest": r.minimum,
            "Highest": r.maximum,
            "Interquartile range": r.iqr,
            "Outside the band": r.outside_share,
        }
        for stage, count in zip(framework.stages, r.counts, strict=True):
            row[stage.label] = count
        rows.append(row)
    return pd.DataFrame(rows)


def spread_text(result: AssessmentResult, component: ComponentResult) -> str:
    """'1 Emerging, 2 Maturing, 1 Thriving': how many respondents chose each stage, for a discussion prompt."""
    return ", ".join(
        f"{count} {stage.label}"
        for stage, count in zip(result.framework.stages, component.counts, strict=True)
        if count
    )


def disagreement_table(result: AssessmentResult, *, limit: int = 3) -> pd.DataFrame:
    """The components respondents disagree on most (see :func:`maturity.scoring.most_disagreement`)."""
    rows = [
        {
            "Component": r.label,
            "Ratings given": spread_text(result, r),
            "Median": r.current,
            "Interquartile range": r.iqr,
            "Outside the band": r.outside_share,
            "Agreement": r.agreement.value,
        }
        for r in most_disagreement(result, limit=limit)
    ]
    return pd.DataFrame(
        rows, columns=["Component", "Ratings given", "Median", "Interquartile range", "Outside the band", "Agreement"]
    )


CHANGE_STATUS = {"both": "", "added": "new in this framework version", "retired": "no longer in the framework"}


def change_table(changes: Sequence[ComponentChange]) -> pd.DataFrame:
    """Change in each component's median current stage since the previous round (largest rise first)."""
    rows = [
        {
            "Component": c.label,
            "Previous round": c.previous,
            "This round": c.current,
            "Change": c.change,
            "Note": CHANGE_STATUS[c.status],
        }
        for c in changes
    ]
    frame = pd.DataFrame(rows, columns=["Component", "Previous round", "This round", "Change", "Note"])
    for column in ("Previous round", "This round", "Change"):
        frame[column] = frame[column].astype("Float64")
    return frame.sort_values("Change", ascending=False, kind="stable", na_position="last").reset_index(drop=True)
