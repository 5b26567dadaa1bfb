"""The hash chain of the export audit trail: each row's hash covers its content and the hash of the row before.

A row's hash is the SHA-256 of a canonical JSON text (sorted keys, no spaces) of ``previous_hash`` and the row's
:data:`CHAIN_FIELDS` (the time in UTC to the microsecond, criteria as stored JSON). The first row follows
:data:`GENESIS_HASH`. Changing a row without recomputing its hash is found at that row; recomputing it breaks the
link to the row after; removing a row breaks the link at the next one. What a chain alone cannot show is the
newest rows removed, or the whole chain recomputed from some row on by someone who can write to the database:
keep a copy of the newest hash (see docs/security.md). Pure: no database, no streamlit.

Changing :func:`row_hash` or :data:`CHAIN_FIELDS` needs a migration that recomputes the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any

GENESIS_HASH = "0" * 64
CHAIN_FIELDS = (
    "kind",
    "reason",
    "exported_by",
    "icb_code",
    "geography_version",
    "footprint",
    "cohort_name",
    "criteria",
    "rows",
    "include_opted_out",
    "file_name",
    "sha256",
    "exported_at",
)


def canonical_criteria(criteria: Mapping[str, Any]) -> dict[str, Any]:
    """The criteria as they read back from the database's JSON (tuples become lists, keys text)."""
    return json.loads(json.dumps(dict(criteria)))


def row_hash(row: Mapping[str, Any], previous_hash: str) -> str:
    """The hash of an audit row (a mapping with every field in CHAIN_FIELDS) that follows ``previous_hash``."""
    content = {field: _canonical(field, row[field]) for field in CHAIN_FIELDS}
    text = json.dumps(
        {"previous_hash": previous_hash, "row": content}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _canonical(field: str, value: Any) -> Any:
    if field == "exported_at":
        if not isinstance(value, datetime):
            raise ValueError(f"exported_at must be a time, got {value!r}")
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.isoformat(timespec="microseconds")
    if field == "rows":
        return int(value)
    if field == "include_opted_out":
        return bool(value)
    if field == "criteria":
        return canonical_criteria(value)
    if isinstance(value, Enum):
        return value.value
    return value
