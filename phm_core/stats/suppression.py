"""Small-number disclosure control: primary suppression of small counts and secondary suppression."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from phm_core.stats._common import require_columns

#: Counts from 1 to this number are suppressed (the common NHS rule of suppressing counts below 8).
SUPPRESSION_THRESHOLD = 7


def _groupings(group_by: str | Sequence[str] | Sequence[Sequence[str]] | None) -> list[list[str]]:
    if group_by is None:
        return [[]]
    if isinstance(group_by, str):
        return [[group_by]]
    items = list(group_by)
    if all(isinstance(item, str) for item in items):
        return [list(items)]  # type: ignore[arg-type]
    if all(not isinstance(item, str) for item in items):
        return [[item] if isinstance(item, str) else list(item) for item in items]
    raise ValueError("suppress: group_by must be a column, a list of columns, or a list of such lists")


def suppress(
    df: pd.DataFrame,
    *,
    count_columns: str | Sequence[str],
    threshold: int = SUPPRESSION_THRESHOLD,
    group_by: str | Sequence[str] | Sequence[Sequence[str]] | None = None,
    linked_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Suppress small counts in a tidy table so that no count from 1 to ``threshold`` can be read or derived.

    Primary suppression hides every count in ``count_columns`` from 1 to ``threshold`` (0 is shown).
    Secondary suppression then protects totals: the rows of each group in ``group_by`` are taken to add
    up to a published total (e.g. ``"area"`` when the age bands of an area sum to its total). Wherever a
    group has exactly one hidden cell in a column, the smallest other non-zero cell of that group (a zero
    only if nothing else is left) is hidden too, so the hidden cell cannot be recovered by subtraction.
    Give several groupings for a two-way table (``[["area"], ["sex"]]`` protects row and column totals);
    this is repeated until nothing changes. Without ``group_by`` the whole column adds up to one total.

    Returns a copy with hidden counts set to missing (nullable numbers), a ``<column>_suppressed`` flag
    per count column, and every column in ``linked_columns`` (e.g. a rate and its limits derived from
    the counts) blanked on rows where any count was hidden.
    """
    function = "suppress"
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{function} needs a pandas DataFrame, not {type(df).__name__}")
    columns = [count_columns] if isinstance(count_columns, str) else list(count_columns)
    if not columns:
        raise ValueError(f"{function}: count_columns must name at least one column")
    if not isinstance(threshold, int | np.integer) or threshold < 1:
        raise ValueError(f"{function}: threshold must be a whole number of at least 1")
    groupings = _groupings(group_by)
    require_columns(df, [*columns, *linked_columns, *(c for g in groupings for c in g)], function)
    out = df.copy()
    any_hidden = np.zeros(len(df), dtype=bool)
    for column in columns:
        values = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        if (values < 0).any():
            raise ValueError(f"{function}: column {column!r} has negative counts")
        hidden = (values >= 1) & (values <= threshold)
        changed = True
        while changed:
            changed = False
            for keys in groupings:
                codes = (
                    df.groupby(keys, sort=False, dropna=False, observed=True).ngroup().to_numpy()
                    if keys
                    else np.zeros(len(df), dtype=np.int64)
                )
                hidden_count = np.bincount(codes, weights=hidden.astype(float))
                lonely = hidden_count[codes] == 1
                candidates = lonely & ~hidden & ~np.isnan(values)
                if not candidates.any():
                    continue
                # Prefer the smallest non-zero cell; zeros only when a group has nothing else.
                priority = np.where(values > 0, values, np.inf)
                frame = pd.DataFrame({"g": codes, "p": priority, "v": values, "row": np.arange(len(df))})
                frame = frame[candidates].sort_values(["g", "p", "v", "row"], kind="stable")
                chosen = frame.drop_duplicates("g")["row"].to_numpy()
                if chosen.size:
                    hidden[chosen] = True
                    changed = True
        out[column] = pd.array(np.where(hidden, np.nan, values), dtype="Float64")
        out.loc[hidden, column] = pd.NA
        out[f"{column}_suppressed"] = hidden
        any_hidden |= hidden
    for column in linked_columns:
        out[column] = out[column].astype("object").where(~any_hidden, None)
        if pd.api.types.is_numeric_dtype(df[column]):
            out[column] = pd.array(out[column].to_numpy(), dtype="Float64")
    return out
