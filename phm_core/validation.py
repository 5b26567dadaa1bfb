"""Schema validation for tables: clear errors that name the file, the column and the offending rows."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

ColumnKind = Literal["text", "integer", "number"]
MAX_ROWS_NAMED = 5


@dataclass(frozen=True)
class Column:
    """One expected column: its kind, allowed range or pattern, and other names it may arrive under."""

    name: str
    kind: ColumnKind
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    nullable: bool = False
    required: bool = True
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSchema:
    """The columns a table must have, the key that must be unique, and the fewest rows that make sense."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    min_rows: int = 1

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a table: the column (if any), what is wrong, and the rows where it is wrong."""

    message: str
    column: str | None = None
    rows: tuple[int, ...] = ()
    row_count: int = 0

    def describe(self) -> str:
        where = f"column '{self.column}': " if self.column else ""
        text = f"{where}{self.message}"
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:MAX_ROWS_NAMED])
            more = f" and {self.row_count - MAX_ROWS_NAMED} more" if self.row_count > MAX_ROWS_NAMED else ""
            text += f" (row {shown}{more})" if self.row_count == 1 else f" (rows {shown}{more})"
        return text


@dataclass
class DataValidationError(ValueError):
    """A table failed its schema; ``str()`` is a message a user can act on."""

    source: str
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{self.source} cannot be used: {len(self.problems)} problem(s) found."]
        lines += [f"- {p.describe()}" for p in self.problems]
        return "\n".join(lines)


def _normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", str(name).lower())


def _file_rows(mask: np.ndarray, *, header_rows: int) -> tuple[tuple[int, ...], int]:
    """Row numbers as a user sees them in the file (the header is row 1 of a CSV)."""
    positions = np.flatnonzero(mask)
    return tuple(int(p) + 1 + header_rows for p in positions[:MAX_ROWS_NAMED]), int(len(positions))


def validate_frame(
    frame: pd.DataFrame, schema: TableSchema, *, source: str, header_rows: int = 1, keep_extra: bool = False
) -> pd.DataFrame:
    """Check ``frame`` against ``schema`` and return it with canonical column names and types.

    Columns may arrive under any of their aliases (matched ignoring case, spaces and punctuation). Every problem
    is collected before raising, so one error message lists all of them. Row numbers in messages count the
    header as row 1, as a spreadsheet shows a CSV.
    """
    problems: list[Problem] = []
    by_normal = {_normalise(c): c for c in frame.columns}
    renames: dict[str, str] = {}
    for column in schema.columns:
        for candidate in (column.name, *column.aliases):
            found = by_normal.get(_normalise(candidate))
            if found is not None:
                renames[found] = column.name
                break
    frame = frame.rename(columns=renames)
    missing = [c.name for c in schema.columns if c.required and c.name not in frame.columns]
    if missing:
        problems.append(
            Problem(
                f"missing required column(s): {', '.join(missing)}. "
                f"Columns found: {', '.join(map(str, list(frame.columns)[:30]))}"
            )
        )
        raise DataValidationError(source, problems)
    if len(frame) < schema.min_rows:
        problems.append(Problem(f"has {len(frame)} data row(s); at least {schema.min_rows} expected"))
        raise DataValidationError(source, problems)

    present = [c for c in schema.columns if c.name in frame.columns]
    out = frame[[c.name for c in present]].copy() if not keep_extra else frame.copy()
    for column in present:
        values = out[column.name]
        null = values.isna().to_numpy()
        if column.kind == "text":
            text = values.astype("string").str.strip()
            null = text.isna().to_numpy() | (text == "").fillna(False).to_numpy()
            out[column.name] = text
            if column.pattern:
                bad = ~text.fillna("").str.fullmatch(column.pattern).to_numpy(dtype=bool) & ~null
                if bad.any():
                    rows, count = _file_rows(bad, header_rows=header_rows)
                    example = text[bad].iloc[0]
                    problems.append(Problem(f"value '{example}' is not a valid code", column.name, rows, count))
        else:
            numbers = pd.to_numeric(values, errors="coerce")
            unparsable = numbers.isna().to_numpy() & ~null
            if unparsable.any():
                rows, count = _file_rows(unparsable, header_rows=header_rows)
                example = values[unparsable].iloc[0]
                problems.append(Problem(f"value '{example}' is not a number", column.name, rows, count))
            finite = numbers.to_numpy(dtype=float, na_value=np.nan)
            infinite = np.isinf(finite)
            if infinite.any():
                rows, count = _file_rows(infinite, header_rows=header_rows)
                problems.append(Problem("must be a finite number", column.name, rows, count))
                finite = np.where(infinite, np.nan, finite)
            if column.kind == "integer":
                fractional = ~np.isnan(finite) & (np.abs(finite - np.round(finite)) > 1e-9)
                if fractional.any():
                    rows, count = _file_rows(fractional, header_rows=header_rows)
                    problems.append(Problem("must be a whole number", column.name, rows, count))
            if column.minimum is not None:
                low = finite < column.minimum
                if low.any():
                    rows, count = _file_rows(low, header_rows=header_rows)
                    problems.append(Problem(f"must be at least {column.minimum:g}", column.name, rows, count))
            if column.maximum is not None:
                high = finite > column.maximum
                if high.any():
                    rows, count = _file_rows(high, header_rows=header_rows)
                    problems.append(Problem(f"must be at most {column.maximum:g}", column.name, rows, count))
            null = np.isnan(finite) & ~unparsable & ~infinite
            out[column.name] = numbers
        if null.any() and not column.nullable:
            rows, count = _file_rows(null, header_rows=header_rows)
            problems.append(Problem("is empty", column.name, rows, count))

    if schema.key and not problems:
        duplicated = out.duplicated(list(schema.key), keep=False).to_numpy()
        if duplicated.any():
            rows, count = _file_rows(duplicated, header_rows=header_rows)
            example = out.loc[duplicated, list(schema.key)].iloc[0].tolist()
            problems.append(Problem(f"appears more than once (e.g. {example})", ", ".join(schema.key), rows, count))
    if problems:
        raise DataValidationError(source, problems)
    for column in present:
        if column.kind == "integer" and not column.nullable:
            out[column.name] = out[column.name].astype("int64")
        elif column.kind == "number":
            out[column.name] = out[column.name].astype("float64")
    return out


def require_codes(
    codes: pd.Series, known: Sequence[str] | pd.Index, *, source: str, column: str, what: str, complete: bool
) -> None:
    """Check that every code is a known one (and, if ``complete``, that every known code is present)."""
    known_index = pd.Index(known)
    problems: list[Problem] = []
    unknown = ~codes.isin(known_index).to_numpy()
    if unknown.any():
        rows, count = _file_rows(unknown, header_rows=1)
        problems.append(
            Problem(f"{count:,} code(s) are not {what} (e.g. '{codes[unknown].iloc[0]}')", column, rows, count)
        )
    if complete:
        absent = known_index.difference(pd.Index(codes))
        if len(absent):
            examples = ", ".join(absent[:MAX_ROWS_NAMED])
            problems.append(
                Problem(f"{len(absent):,} of the {len(known_index):,} {what} are missing (e.g. {examples})", column)
            )
    if problems:
        raise DataValidationError(source, problems)
