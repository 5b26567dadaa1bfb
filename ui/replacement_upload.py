"""Checking a replacement upload once per file: the result is kept in this user's session, keyed by content hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from phm_core import replacements

_STATE_KEY = "_replacement_upload_check"


@dataclass(frozen=True)
class UploadCheck:
    """The outcome of checking one uploaded file: the validated table, or the report of what is wrong."""

    frame: pd.DataFrame | None
    report: str | None


def check_upload(
    kind: str, *, name: str, content: bytes, lsoa: pd.DataFrame, partial: bool, signature: tuple
) -> UploadCheck:
    """Validate an upload, or return the kept result if this same file was checked already in this session.

    The key is the table kind, the partial-replacement choice, the file's name and SHA-256, and ``signature`` (the
    data in use), so an unrelated rerun reuses the result and only a different file or different data checks again.
    Only the latest result is kept (per user, in ``st.session_state``), never the file itself.
    """
    key = (kind, partial, name, hashlib.sha256(content).hexdigest(), signature)
    kept = st.session_state.get(_STATE_KEY)
    if kept is not None and kept[0] == key:
        return kept[1]
    try:
        result = UploadCheck(replacements.validate_upload(kind, content, source=name, lsoa=lsoa, partial=partial), None)
    except replacements.DataValidationError as error:
        result = UploadCheck(None, str(error))
    st.session_state[_STATE_KEY] = (key, result)
    return result


def forget_upload_check() -> None:
    """Drop the kept result (after the file is used, so its table is not held any longer)."""
    st.session_state.pop(_STATE_KEY, None)
