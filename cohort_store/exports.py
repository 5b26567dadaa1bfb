"""Exports of a cohort, each with its audit row written first: a pseudonymised list for direct care and suppressed
aggregates. The reason is checked (and the row written) before any file is made, so there is no export without a
row; the row holds the SHA-256 of the exact bytes handed to the user."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlmodel import Session

from cohort_store import repository
from cohort_store.models import ExportAuditPublic, ExportKind
from maturity.models import DEFAULT_GEOGRAPHY_VERSION
from phm_core import cohorts


def file_name(kind: ExportKind | str, icb_code: str, *, when: datetime | None = None) -> str:
    """A file name that says what the file is, which ICB, when, and that it is synthetic."""
    stamp = (when or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    label = {"pseudonymised_list": "pseudonymised-list", "aggregates": "aggregates"}.get(str(kind), str(kind))
    return f"SYNTHETIC-cohort-{label}-{icb_code}-{stamp}.csv"


def export_pseudonymised_list(
    session: Session,
    *,
    people: pd.DataFrame,
    mask: np.ndarray,
    reason: str,
    icb_code: str,
    footprint: str,
    criteria: Mapping[str, Any],
    exported_by: str | None = None,
    cohort_name: str | None = None,
    name: str | None = None,
    geography_version: str = DEFAULT_GEOGRAPHY_VERSION,
) -> tuple[bytes, ExportAuditPublic]:
    """The cohort's pseudonymised list as CSV bytes, after recording the audit row (reason checked first).

    ``geography_version`` is the version ``icb_code`` belongs to (see :func:`cohort_store.repository.record_export`).
    """
    table = cohorts.pseudonymised_list(people, mask)
    content = cohorts.to_csv_bytes(table)
    row = repository.record_export(
        session,
        kind=ExportKind.PSEUDONYMISED_LIST,
        reason=reason,
        icb_code=icb_code,
        geography_version=geography_version,
        footprint=footprint,
        criteria=criteria,
        rows=len(table),
        file_name=name or file_name(ExportKind.PSEUDONYMISED_LIST, icb_code),
        sha256=cohorts.sha256(content),
        exported_by=exported_by,
        cohort_name=cohort_name,
        include_opted_out=bool(criteria.get("include_opted_out", False)),
    )
    return content, row


def export_aggregates(
    session: Session,
    *,
    table: pd.DataFrame,
    reason: str,
    icb_code: str,
    footprint: str,
    criteria: Mapping[str, Any],
    kind: ExportKind = ExportKind.AGGREGATES,
    exported_by: str | None = None,
    cohort_name: str | None = None,
    name: str | None = None,
    geography_version: str = DEFAULT_GEOGRAPHY_VERSION,
) -> tuple[bytes, ExportAuditPublic]:
    """Suppressed aggregates (already suppressed: e.g. phm_core.cohorts.aggregate_export) as CSV bytes, with the
    audit row recorded first."""
    flags = [c for c in table.columns if c.endswith("_suppressed")]
    content = cohorts.to_csv_bytes(table.drop(columns=flags))
    row = repository.record_export(
        session,
        kind=kind,
        reason=reason,
        icb_code=icb_code,
        geography_version=geography_version,
        footprint=footprint,
        criteria=criteria,
        rows=len(table),
        file_name=name or file_name(kind, icb_code),
        sha256=cohorts.sha256(content),
        exported_by=exported_by,
        cohort_name=cohort_name,
        include_opted_out=bool(criteria.get("include_opted_out", False)),
    )
    return content, row
