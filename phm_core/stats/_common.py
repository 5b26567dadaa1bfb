"""Shared plumbing for the statistics package: confidence levels, grouping, validation, output columns."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtri

ConfidenceLike = float | Sequence[float]
GroupBy = str | Sequence[str] | None


def confidence_levels(confidence: ConfidenceLike) -> tuple[float, ...]:
    """Return the requested confidence levels as fractions, validated and in the order given.

    A level may be given as a fraction (0.95) or a percentage (95, 99.8).
    """
    raw = [confidence] if np.isscalar(confidence) else list(confidence)  # type: ignore[arg-type]
    if not raw:
        raise ValueError("confidence must be a level such as 0.95 or a sequence such as (0.95, 0.998)")
    levels: list[float] = []
    for level in raw:
        try:
            value = float(level)  # type: ignore[arg-type]
        except (TypeError, ValueError) as error:
            raise ValueError(f"confidence level {level!r} is not a number") from error
        if 50 <= value < 100:
            value = value / 100
        if not 0 < value < 1:
            raise ValueError(
                f"confidence level {level!r} must be a fraction such as 0.95 or a percentage from 50 to 100 such as 95"
            )
        if value in levels:
            raise ValueError(f"confidence level {level!r} is given twice")
        levels.append(value)
    return tuple(levels)


def z_value(level: float) -> float:
    """Return the two-sided standard normal quantile for a confidence level (1.959964 for 0.95)."""
    return float(ndtri((1 + level) / 2))


def level_tag(level: float) -> str:
    """Return the column tag of a level: ``95_0`` for 0.95, ``99_8`` for 0.998."""
    text = f"{level * 100:.4f}".rstrip("0")
    if text.endswith("."):
        text += "0"
    return text.replace(".", "_")


def level_label(level: float) -> str:
    """Return the human label of a level: ``95%`` for 0.95, ``99.8%`` for 0.998."""
    return f"{level * 100:.4f}".rstrip("0").rstrip(".") + "%"


def limit_columns(levels: Sequence[float]) -> list[tuple[str, str]]:
    """Return the (lower, upper) column names for the levels, following the R package convention."""
    if len(levels) == 1:
        return [("lowercl", "uppercl")]
    return [(f"lower{level_tag(level)}cl", f"upper{level_tag(level)}cl") for level in levels]


def confidence_text(levels: Sequence[float]) -> str:
    """Return the text of the ``confidence`` column, e.g. ``95%, 99.8%``."""
    return ", ".join(level_label(level) for level in levels)


def group_columns(group_by: GroupBy) -> list[str]:
    """Normalise ``group_by`` (None, a column name, or a list of names) to a list of column names."""
    if group_by is None:
        return []
    if isinstance(group_by, str):
        return [group_by]
    columns = list(group_by)
    if not all(isinstance(column, str) for column in columns):
        raise ValueError("group_by must be a column name or a list of column names")
    return columns


def require_frame(df: object, function: str) -> pd.DataFrame:
    """Check that ``df`` is a non-empty DataFrame and return it."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{function} needs a pandas DataFrame, not {type(df).__name__}")
    if df.empty:
        raise ValueError(f"{function} needs at least one row of data; the frame is empty")
    return df


def require_columns(df: pd.DataFrame, columns: Iterable[Hashable | None], function: str) -> None:
    """Raise a ValueError naming every requested column that the frame lacks."""
    wanted = [column for column in columns if column is not None]
    missing = [column for column in wanted if column not in df.columns]
    if missing:
        raise ValueError(
            f"{function}: missing column(s) {', '.join(map(repr, missing))}; "
            f"the frame has {', '.join(map(repr, df.columns))}"
        )


def numeric(df: pd.DataFrame, column: str, function: str, *, allow_negative: bool = False) -> np.ndarray:
    """Return a column as float64 (NaN for missing), refusing non-numeric and (by default) negative values."""
    series = df[column]
    if series.dtype == object or isinstance(series.dtype, pd.StringDtype):
        converted = pd.to_numeric(series, errors="coerce")
        if (converted.isna() & series.notna()).any():
            raise ValueError(f"{function}: column {column!r} holds values that are not numbers")
        series = converted
    values = series.to_numpy(dtype="float64", na_value=np.nan)
    if not allow_negative and (values < 0).any():
        raise ValueError(f"{function}: column {column!r} has negative values, which are impossible here")
    return values


@dataclass(frozen=True)
class Groups:
    """The groups of a frame: one code per row and one row of keys per group."""

    codes: np.ndarray
    keys: pd.DataFrame
    count: int

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Sum ``values`` within each group (NaN if any member is NaN)."""
        totals = np.bincount(self.codes, weights=np.nan_to_num(values), minlength=self.count)
        has_nan = np.bincount(self.codes, weights=np.isnan(values).astype(float), minlength=self.count) > 0
        totals[has_nan] = np.nan
        return totals

    def size(self) -> np.ndarray:
        """Number of rows in each group."""
        return np.bincount(self.codes, minlength=self.count)


def make_groups(df: pd.DataFrame, columns: list[str]) -> Groups:
    """Assign each row to its group (sorted by the keys; missing keys form their own group)."""
    if not columns:
        return Groups(np.zeros(len(df), dtype=np.int64), pd.DataFrame(index=range(1)), 1)
    grouped = df.groupby(columns, sort=True, dropna=False, observed=True)
    codes = grouped.ngroup().to_numpy(dtype=np.int64)
    keys = grouped.size().reset_index()[columns]
    return Groups(codes, keys.reset_index(drop=True), len(keys))


def add_limits(
    out: pd.DataFrame, levels: Sequence[float], lower: Sequence[np.ndarray], upper: Sequence[np.ndarray]
) -> None:
    """Write the lower/upper limit columns for each level into ``out`` (in place)."""
    for (lower_name, upper_name), low, high in zip(limit_columns(levels), lower, upper, strict=True):
        out[lower_name] = low
        out[upper_name] = high


def add_metadata(out: pd.DataFrame, levels: Sequence[float] | None, statistic: str, method: object) -> None:
    """Write the ``confidence``, ``statistic`` and ``method`` columns into ``out`` (in place)."""
    out["confidence"] = confidence_text(levels) if levels else "not applicable"
    out["statistic"] = statistic
    out["method"] = method


def multiplier_text(multiplier: float) -> str:
    """Return a multiplier as plain text: 100000 rather than 1e+05."""
    return f"{multiplier:,.10g}".replace(",", "")
