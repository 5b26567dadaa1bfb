"""The audit trail of assessments in plain English: one sentence per recorded change (no Streamlit)."""

from __future__ import annotations

from datetime import date
from typing import Any

from maturity.models import AuditAction, AuditEventPublic

NO_LOGIN_ACTOR = "someone using the app without login"


def actor_text(event: AuditEventPublic) -> str:
    """Who made the change: their e-mail or name, or a note that the app was used without login."""
    return event.actor or NO_LOGIN_ACTOR


def describe_audit_event(event: AuditEventPublic) -> str:
    """What was done, with the values before and after, e.g. "Title changed from 'Spring' to 'Spring round'"."""
    before, after = event.before, event.after
    match AuditAction(event.action):
        case AuditAction.EDITED:
            changes = []
            if "title" in after:
                changes.append(f"title changed from '{before.get('title')}' to '{after['title']}'")
            if "assessment_date" in after:
                changes.append(
                    f"date changed from {_day(before.get('assessment_date'))} to {_day(after['assessment_date'])}"
                )
            if "organisation" in after:
                changes.append(f"moved from {before.get('organisation')} to {after['organisation']}")
            text = "; ".join(changes) or "edited"
            return text[0].upper() + text[1:]
        case AuditAction.ARCHIVED:
            return "Archived: closed to answers and left out of the lists and results"
        case AuditAction.RESTORED:
            return "Restored from the archive (still closed: reopen it to take answers)"
        case AuditAction.DELETED:
            return (
                f"Deleted for good with {_count(before.get('respondents'), 'respondent')} and "
                f"{_count(before.get('answers'), 'answer')} ({before.get('organisation')}, "
                f"{_day(before.get('assessment_date'))})"
            )
        case AuditAction.RESPONDENTS_MERGED:
            kept, merged = before.get("kept", {}), before.get("merged", {})
            taken = after.get("from_merged", [])
            return (
                f"Merged {_person(merged)} into {_person(kept)}; the newer answer was kept for each component, "
                f"{_count(len(taken), 'answer')} from the merged respondent; now "
                f"{_count(after.get('kept', {}).get('answers'), 'answer')}"
            )
        case AuditAction.LINK_SHOWN:
            return f"Personal link of {after.get('respondent')} shown again"
    return str(event.action)


def _person(record: dict[str, Any]) -> str:
    name = record.get("name") or f"Anonymous respondent {record.get('id')}"
    details = [record["role"]] if record.get("role") else []
    return f"'{name}' ({', '.join([*details, _count(record.get('answers'), 'answer')])})"


def _count(n: Any, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _day(value: Any) -> str:
    try:
        return f"{date.fromisoformat(str(value)):%d %b %Y}"
    except ValueError:
        return str(value)
