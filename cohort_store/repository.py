"""Saved cohorts, export audit rows and neighbourhoods: functions that take a ``Session`` (one per unit of work).

Everything here is kept per geography version: callers pass the version their ICB code belongs to
(``geography_version``, ``YYYY-MM``; the default, :data:`maturity.models.DEFAULT_GEOGRAPHY_VERSION`, only keeps
older callers working), and list functions return every version unless asked for one.

Saving a cohort under a name already used in the ICB on that version updates it (one ``INSERT ... ON CONFLICT DO
UPDATE``, so two people saving the same name at once never make two rows). Export audit rows are only added,
never changed: every export needs a reason of at least ``MIN_REASON_LENGTH`` characters, checked here before
anything is written. Each audit row is chained to the one before (its hash, in the same transaction; writers of
the chain are serialised) and :func:`verify_export_chain` finds the first row changed or removed since. The
neighbourhoods of an ICB on a version are replaced as a whole set in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from cohort_store import audit_chain
from cohort_store.models import (
    MIN_REASON_LENGTH,
    ExportAudit,
    ExportAuditPublic,
    ExportKind,
    Neighbourhood,
    NeighbourhoodPublic,
    NeighbourhoodSource,
    SavedCohort,
    SavedCohortPublic,
)
from maturity.db import begin_write
from maturity.models import DEFAULT_GEOGRAPHY_VERSION, check_geography_version, utc_now

MAX_NAME_LENGTH = 200
MAX_NEIGHBOURHOOD_NAME_LENGTH = 100
MAX_NEIGHBOURHOOD_CODE_LENGTH = 20
MAX_ICB_CODE_LENGTH = 16
MAX_USER_LENGTH = 200
NEIGHBOURHOOD_FIELDS = ("name", "code", "built_from", "lsoa_codes", "pcn_codes")
# Any fixed 32-bit number: with the ICB and version it serialises replacements of one set on PostgreSQL.
_NEIGHBOURHOOD_LOCK_CLASS = 0x4E424844
# Any fixed 64-bit number: serialises writers of the export audit chain on PostgreSQL.
_EXPORT_CHAIN_LOCK_KEY = 0x50484D_41554454


def _clean_name(name: str) -> str:
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise ValueError("a saved cohort needs a name")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ValueError(f"a cohort name can be at most {MAX_NAME_LENGTH} characters")
    return cleaned


def save_cohort(
    session: Session,
    *,
    name: str,
    icb_code: str,
    criteria: Mapping[str, Any],
    description: str | None = None,
    created_by: str | None = None,
    geography_version: str = DEFAULT_GEOGRAPHY_VERSION,
) -> SavedCohortPublic:
    """Save a named cohort of an ICB on a geography version, or update the criteria of the one with that name on
    that version; return it."""
    name = _clean_name(name)
    geography_version = check_geography_version(geography_version)
    now = utc_now()
    values = {
        "name": name,
        "icb_code": icb_code,
        "geography_version": geography_version,
        "criteria": dict(criteria),
        "description": description,
        "created_by": created_by,
        "created_at": now,
        "updated_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(SavedCohort)
    statement = insert.values(**values).on_conflict_do_update(
        index_elements=["geography_version", "icb_code", "name"],
        set_={"criteria": insert.excluded.criteria, "description": insert.excluded.description, "updated_at": now},
    )
    begin_write(session)
    session.exec(statement)  # type: ignore[call-overload]
    session.commit()
    saved = session.exec(
        select(SavedCohort).where(
            SavedCohort.geography_version == geography_version,
            SavedCohort.icb_code == icb_code,
            SavedCohort.name == name,
        )
    ).one()
    return SavedCohortPublic.model_validate(saved)


def list_cohorts(session: Session, *, icb_code: str, geography_version: str | None = None) -> list[SavedCohortPublic]:
    """The saved cohorts of an ICB (on one geography version when given, else on any), most recently saved first."""
    statement = select(SavedCohort).where(SavedCohort.icb_code == icb_code)
    if geography_version is not None:
        statement = statement.where(SavedCohort.geography_version == check_geography_version(geography_version))
    rows = session.exec(statement.order_by(sa.desc(SavedCohort.updated_at), SavedCohort.name, SavedCohort.id)).all()
    return [SavedCohortPublic.model_validate(row) for row in rows]


def get_cohort(session: Session, cohort_id: int) -> SavedCohortPublic | None:
    """One saved cohort, or None."""
    row = session.get(SavedCohort, cohort_id)
    return SavedCohortPublic.model_validate(row) if row is not None else None


def delete_cohort(session: Session, cohort_id: int) -> bool:
    """Delete a saved cohort (its export audit rows stay); return whether there was one."""
    begin_write(session)
    row = session.get(SavedCohort, cohort_id)
    if row is None:
        session.commit()
        return False
    session.delete(row)
    session.commit()
    return True


def record_export(
    session: Session,
    *,
    kind: ExportKind | str,
    reason: str,
    icb_code: str,
    footprint: str,
    criteria: Mapping[str, Any],
    rows: int,
    file_name: str,
    sha256: str,
    exported_by: str | None = None,
    cohort_name: str | None = None,
    include_opted_out: bool = False,
    geography_version: str = DEFAULT_GEOGRAPHY_VERSION,
) -> ExportAuditPublic:
    """Add the audit row of one export (of an ICB on a geography version); a reason shorter than
    MIN_REASON_LENGTH characters is a ValueError."""
    reason = " ".join(str(reason).split())
    if len(reason) < MIN_REASON_LENGTH:
        raise ValueError(f"give the reason for this export (at least {MIN_REASON_LENGTH} characters)")
    if rows < 0:
        raise ValueError("rows cannot be negative")
    geography_version = check_geography_version(geography_version)
    values: dict[str, Any] = {
        "kind": ExportKind(kind),
        "reason": reason,
        "exported_by": exported_by,
        "icb_code": icb_code,
        "geography_version": geography_version,
        "footprint": footprint,
        "cohort_name": cohort_name,
        "criteria": audit_chain.canonical_criteria(criteria),
        "rows": rows,
        "include_opted_out": include_opted_out,
        "file_name": file_name,
        "sha256": sha256,
        "exported_at": utc_now(),
    }
    begin_write(session)
    try:
        _lock_export_chain(session)
        last = session.exec(select(ExportAudit.row_hash).order_by(sa.desc(ExportAudit.id)).limit(1)).first()
        previous = last if last is not None else audit_chain.GENESIS_HASH
        row = ExportAudit(**values, previous_hash=previous, row_hash=audit_chain.row_hash(values, previous))
        session.add(row)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    session.refresh(row)
    return ExportAuditPublic.model_validate(row)


@dataclass(frozen=True)
class ExportChainCheck:
    """What :func:`verify_export_chain` found: how many rows it checked and the first broken one, if any."""

    rows_checked: int
    broken_row_id: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """True when every row is as it was written and none is missing between them."""
        return self.broken_row_id is None


def verify_export_chain(session: Session) -> ExportChainCheck:
    """Walk the whole export audit trail in the order it was written and report the first broken row.

    A row whose content no longer gives its hash was changed; a row that does not follow the hash of the row
    before it means a row before it was removed (or changed and its hash recomputed). Removing the newest rows
    cannot be seen from the chain alone.
    """
    expected = audit_chain.GENESIS_HASH
    checked = 0
    columns = [getattr(ExportAudit, field) for field in audit_chain.CHAIN_FIELDS]
    statement = sa.select(ExportAudit.id, ExportAudit.previous_hash, ExportAudit.row_hash, *columns).order_by(
        ExportAudit.id
    )
    for row in session.execute(statement.execution_options(yield_per=1_000)):
        values = row._mapping
        if values["previous_hash"] != expected:
            return ExportChainCheck(
                checked,
                values["id"],
                f"export audit row {values['id']} does not follow the row before it: a row before it was removed, "
                "or changed and its hash recomputed",
            )
        if audit_chain.row_hash(values, values["previous_hash"]) != values["row_hash"]:
            return ExportChainCheck(
                checked, values["id"], f"export audit row {values['id']} has been changed since it was written"
            )
        expected = values["row_hash"]
        checked += 1
    return ExportChainCheck(checked)


def _lock_export_chain(session: Session) -> None:
    """Serialise writers of the audit chain on PostgreSQL until the transaction ends (SQLite: ``begin_write``
    already has the database's write lock), so two exports at once cannot both follow the same row."""
    if session.get_bind().dialect.name == "postgresql":
        session.exec(sa.select(sa.func.pg_advisory_xact_lock(_EXPORT_CHAIN_LOCK_KEY)))


def list_exports(
    session: Session, *, icb_code: str | None = None, geography_version: str | None = None, limit: int = 50
) -> list[ExportAuditPublic]:
    """The most recent export audit rows (of one ICB, of one geography version, when given), newest first."""
    statement = select(ExportAudit).order_by(sa.desc(ExportAudit.exported_at), sa.desc(ExportAudit.id)).limit(limit)
    if icb_code is not None:
        statement = statement.where(ExportAudit.icb_code == icb_code)
    if geography_version is not None:
        statement = statement.where(ExportAudit.geography_version == check_geography_version(geography_version))
    return [ExportAuditPublic.model_validate(row) for row in session.exec(statement).all()]


# --- neighbourhoods ------------------------------------------------------------------------------------------------


def replace_neighbourhoods(
    session: Session,
    *,
    icb_code: str,
    geography_version: str,
    neighbourhoods: Sequence[Mapping[str, Any]],
    user: str | None = None,
) -> list[NeighbourhoodPublic]:
    """Make ``neighbourhoods`` the whole set of an ICB on a geography version, in one transaction; return it.

    Each is a mapping with exactly ``name``, ``code``, ``built_from`` ('pcn' or 'lsoa'), ``lsoa_codes`` and
    ``pcn_codes``; whether the codes make sense is checked before (``phm_core.neighbourhoods``). Here a missing
    or unknown field, a duplicate name (ignoring case and spacing) or a duplicate code is a ``ValueError`` and
    nothing is saved. Neighbourhoods left out are deleted. The ``code`` is the identity kept across replacements:
    one that was there before keeps its ``created_by``/``created_at``, and its ``updated_by``/``updated_at``
    unless it changed. Two replacements of the same set at once run one after the other; the last one wins.
    """
    icb_code = _icb_code(icb_code)
    geography_version = check_geography_version(geography_version)
    rows = _checked_neighbourhoods(neighbourhoods)
    user = _optional_user(user)
    scope = (Neighbourhood.icb_code == icb_code, Neighbourhood.geography_version == geography_version)
    begin_write(session)
    try:
        _lock_neighbourhood_set(session, icb_code=icb_code, geography_version=geography_version)
        before = {
            row.code: row
            for row in session.exec(
                select(
                    Neighbourhood.code,
                    Neighbourhood.name,
                    Neighbourhood.built_from,
                    Neighbourhood.lsoa_codes,
                    Neighbourhood.pcn_codes,
                    Neighbourhood.created_by,
                    Neighbourhood.created_at,
                    Neighbourhood.updated_by,
                    Neighbourhood.updated_at,
                ).where(*scope)
            ).all()
        }
        session.exec(sa.delete(Neighbourhood).where(*scope).execution_options(synchronize_session=False))
        now = utc_now()
        for row in rows:
            old = before.get(row["code"])
            unchanged = old is not None and all(getattr(old, field) == row[field] for field in NEIGHBOURHOOD_FIELDS)
            session.add(
                Neighbourhood(
                    icb_code=icb_code,
                    geography_version=geography_version,
                    **row,
                    created_by=old.created_by if old is not None else user,
                    created_at=old.created_at if old is not None else now,
                    updated_by=old.updated_by if unchanged else user,
                    updated_at=old.updated_at if unchanged else now,
                )
            )
        session.flush()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return list_neighbourhoods(session, icb_code=icb_code, geography_version=geography_version)


def list_neighbourhoods(session: Session, *, icb_code: str, geography_version: str) -> list[NeighbourhoodPublic]:
    """The neighbourhoods of an ICB on a geography version, by name."""
    statement = (
        select(Neighbourhood)
        .where(
            Neighbourhood.icb_code == icb_code,
            Neighbourhood.geography_version == check_geography_version(geography_version),
        )
        .order_by(Neighbourhood.name, Neighbourhood.id)
    )
    return [NeighbourhoodPublic.model_validate(row) for row in session.exec(statement).all()]


def delete_neighbourhoods(session: Session, *, icb_code: str, geography_version: str) -> int:
    """Delete every neighbourhood of an ICB on a geography version; return how many there were."""
    geography_version = check_geography_version(geography_version)
    begin_write(session)
    try:
        result = session.exec(
            sa.delete(Neighbourhood)
            .where(Neighbourhood.icb_code == icb_code, Neighbourhood.geography_version == geography_version)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return int(result.rowcount or 0)


def _lock_neighbourhood_set(session: Session, *, icb_code: str, geography_version: str) -> None:
    """Serialise writers of one set on PostgreSQL until the transaction ends (SQLite: ``begin_write`` already has
    the database's write lock). Without it two replacements could both delete, then both insert the same names."""
    if session.get_bind().dialect.name == "postgresql":
        key = sa.func.hashtext(sa.literal(f"{geography_version}/{icb_code}"))
        session.exec(sa.select(sa.func.pg_advisory_xact_lock(_NEIGHBOURHOOD_LOCK_CLASS, key)))


def _checked_neighbourhoods(neighbourhoods: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(neighbourhoods, str | bytes | Mapping) or not isinstance(neighbourhoods, Sequence):
        raise ValueError("neighbourhoods must be a list of mappings (one per neighbourhood)")
    rows: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    codes: set[str] = set()
    for i, item in enumerate(neighbourhoods):
        where = f"neighbourhood {i + 1}"
        if not isinstance(item, Mapping):
            raise ValueError(f"{where} must be a mapping of {', '.join(NEIGHBOURHOOD_FIELDS)}")
        missing = [field for field in NEIGHBOURHOOD_FIELDS if field not in item]
        unknown = sorted(str(field) for field in set(item) - set(NEIGHBOURHOOD_FIELDS))
        if missing or unknown:
            raise ValueError(
                f"{where}: "
                + "; ".join(
                    ([f"missing {', '.join(missing)}"] if missing else [])
                    + ([f"unknown field(s) {', '.join(unknown)}"] if unknown else [])
                )
            )
        name = " ".join(str(item["name"]).split()) if isinstance(item["name"], str) else ""
        if not name or len(name) > MAX_NEIGHBOURHOOD_NAME_LENGTH:
            raise ValueError(f"{where}: a name of 1 to {MAX_NEIGHBOURHOOD_NAME_LENGTH} characters is needed")
        where = f"neighbourhood {name!r}"
        code = item["code"].strip() if isinstance(item["code"], str) else ""
        if not code or len(code) > MAX_NEIGHBOURHOOD_CODE_LENGTH:
            raise ValueError(f"{where}: a code of 1 to {MAX_NEIGHBOURHOOD_CODE_LENGTH} characters is needed")
        try:
            built_from = NeighbourhoodSource(item["built_from"])
        except ValueError:
            raise ValueError(
                f"{where}: built_from must be one of {', '.join(NeighbourhoodSource)}, got {item['built_from']!r}"
            ) from None
        key = name.casefold()
        if key in names:
            raise ValueError(f"two neighbourhoods are called {names[key]!r}: give each a different name")
        if code in codes:
            raise ValueError(f"two neighbourhoods have the code {code!r}: give each its own code")
        names[key] = name
        codes.add(code)
        rows.append(
            {
                "name": name,
                "code": code,
                "built_from": built_from,
                "lsoa_codes": _code_list(item["lsoa_codes"], f"{where}: lsoa_codes"),
                "pcn_codes": _code_list(item["pcn_codes"], f"{where}: pcn_codes"),
            }
        )
    return rows


def _code_list(value: Any, what: str) -> list[str]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ValueError(f"{what} must be a list of codes")
    if not all(isinstance(code, str) and code.strip() for code in value):
        raise ValueError(f"{what} must hold only non-empty text codes")
    return [code.strip() for code in value]


def _icb_code(icb_code: Any) -> str:
    if not isinstance(icb_code, str) or not icb_code.strip() or len(icb_code.strip()) > MAX_ICB_CODE_LENGTH:
        raise ValueError(f"an ICB code is 1 to {MAX_ICB_CODE_LENGTH} characters, got {icb_code!r}")
    return icb_code.strip()


def _optional_user(user: Any) -> str | None:
    if user is None:
        return None
    if not isinstance(user, str):
        raise ValueError(f"user must be text, got {user!r}")
    user = user.strip()
    if len(user) > MAX_USER_LENGTH:
        raise ValueError(f"user is limited to {MAX_USER_LENGTH} characters")
    return user or None
