"""The Data sources panel that loads ONS's official LSOA to ICB lookup as a geography version, or removes one.

A file is checked once (the result is kept in ``st.session_state`` under the file's SHA-256, so reruns do not
check it again) and stored only if it passes every check, by a user allowed to change the data in use.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any

import streamlit as st

from phm_core import geography_files
from phm_core.settings import data_dir
from phm_core.validation import DataValidationError
from ui import access

UPLOAD_KEY = "geo_lookup_upload"
LABEL_KEY = "geo_lookup_label"
LOAD_KEY = "geo_lookup_load"
_CHECKED_KEY = "geo_lookup_checked"  # session state: the last file checked, by SHA-256
ACTION = "change the geography in use"
EXPLANATION = (
    "The app's April 2026 ICBs are a *reconstruction* of ONS's lookup, made from the published merger rules "
    "(the Frimley split is inferred from county). Load ONS's official **LSOA (2021) to SICBL to ICB to NHSER to "
    "LAD (April 2026) lookup** to replace the app's reconstruction; a file that fails its checks changes nothing. "
    "A later year's lookup (e.g. April 2027) loads the same way and becomes a new geography version."
)


def _plain(text: object) -> str:
    """Text from a file (a name, a label) shown in Markdown as it is, not as formatting."""
    return re.sub(r"([\\`*_\[\]<>|~$#])", r"\\\1", str(text))


def _when(iso: object) -> str:
    """'2026-04-02 09:15 UTC' from an ISO time in UTC (or the text as stored, if it is not one)."""
    try:
        return datetime.fromisoformat(str(iso)).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return _plain(iso)


def official_lookup_panel(
    *,
    england_lsoa_codes: Collection[str],
    user_can_replace: bool,
    on_loaded: Callable[[], None] | None = None,
) -> None:
    """Explain, take the ONS lookup file, check it, store it as a geography version; list and remove versions.

    ``on_loaded`` is called after the stored versions change (a version loaded or removed), e.g. to clear caches.
    Only users who may replace data (``user_can_replace``, checked again before each action) see the uploader
    and the Remove buttons; others are told why not.
    """
    st.markdown(EXPLANATION)
    if user_can_replace:
        _load_form(england_lsoa_codes, on_loaded)
    elif access.require(access.Permission.WRITE, action=ACTION):
        st.info("Loading a geography version is not available here.")
    _stored_list(user_can_replace, on_loaded)


def _load_form(england_lsoa_codes: Collection[str], on_loaded: Callable[[], None] | None) -> None:
    with st.expander("What the file must contain"):
        st.markdown(
            "The CSV as ONS publishes it (Open Geography Portal, UTF-8): one row per LSOA 2021 in England with "
            "`LSOA21CD`, `LSOA21NM`, `SICBL26CD`, `SICBL26CDH`, `SICBL26NM`, `ICB26CD`, `ICB26CDH`, `ICB26NM`, "
            "`NHSER26CD`, `NHSER26CDH`, `NHSER26NM`, `LAD26CD`, `LAD26NM` (26 is the year: a 2027 file has "
            "`ICB27CD` and so on, and becomes version 2027-04). Every one of England's 33,755 LSOAs must appear "
            "once; each sub-ICB location must be in one ICB and each ICB in one region. Rows for Wales or "
            "Scotland in a UK-wide file are left out."
        )
    upload = st.file_uploader("ONS lookup (CSV)", type=["csv"], key=UPLOAD_KEY)
    label = st.text_input(
        "Label (optional)",
        key=LABEL_KEY,
        max_chars=80,
        placeholder="ICBs as at April 2026",
        help="How the version is named in the app. Left empty, it comes from the year in the file's columns.",
    )
    clicked = st.button("Check and load", key=LOAD_KEY, type="primary", disabled=upload is None)
    if upload is None:
        return
    data = upload.getvalue()
    sha256 = hashlib.sha256(data).hexdigest()
    checked = st.session_state.get(_CHECKED_KEY)
    if checked is not None and checked["sha256"] != sha256:
        checked = None  # a different file: check it afresh
    if clicked and access.require(access.Permission.WRITE, action=ACTION):
        if checked is None:
            with st.spinner(f"Checking {upload.name} ..."):
                checked = _check(data, sha256=sha256, name=upload.name, england_lsoa_codes=england_lsoa_codes)
            st.session_state[_CHECKED_KEY] = checked
        if checked["table"] is not None:
            meta = dict(checked["meta"])
            meta["label"] = label.strip() or meta["label"]
            user = access.current_user()
            meta["loaded_by"] = user.email or user.name
            with st.spinner("Storing the geography version ..."):
                geography_files.store_version(checked["table"], meta, data_dir=data_dir())
            if on_loaded is not None:
                on_loaded()
            st.rerun()  # the whole page (footprint choice, lists) now reads the new version; the result is kept
    if checked is not None:
        _show_result(checked)


def _check(data: bytes, *, sha256: str, name: str, england_lsoa_codes: Collection[str]) -> dict[str, Any]:
    """Check a file once: its table and metadata if it passes, else the problems (kept in session state)."""
    try:
        table, meta = geography_files.read_official_lookup(data, source=name, england_lsoa_codes=england_lsoa_codes)
    except DataValidationError as error:
        return {"sha256": sha256, "name": name, "table": None, "meta": None, "problems": error.problems}
    return {"sha256": sha256, "name": name, "table": table, "meta": meta, "problems": []}


def _show_result(checked: dict[str, Any]) -> None:
    name = _plain(checked["name"])
    if checked["problems"]:
        problems = checked["problems"]
        bullets = "\n".join(f"- {_plain(p.describe())}" for p in problems)
        st.error(
            f"**{name}** cannot be used: {len(problems)} problem(s) found. Nothing was changed.\n\n{bullets}",
            icon=":material/block:",
        )
        return
    meta = checked["meta"]
    stored = geography_files.stored_versions(data_dir()).get(meta["key"])
    if stored is not None and stored.get("sha256") == checked["sha256"]:
        st.success(
            f"**{name}** passed every check and is in use as **{_plain(stored['label'])}** "
            f"(geography version {meta['key']}).",
            icon=":material/check_circle:",
        )
    else:
        st.info(f"**{name}** passed every check. Press *Check and load* to use it.")
    rows, icbs, sub_icbs, regions = st.columns(4)
    rows.metric("LSOAs", f"{meta['rows']:,}")
    icbs.metric("ICBs", meta["icb_count"])
    sub_icbs.metric("Sub-ICB locations", meta["sub_icb_count"])
    regions.metric("NHS England regions", meta["region_count"])
    for note in meta.get("notes") or ():
        st.caption(_plain(note))


def _stored_list(user_can_replace: bool, on_loaded: Callable[[], None] | None) -> None:
    folder = data_dir()
    for warning in geography_files.stored_version_warnings(folder):
        st.warning(warning)
    versions = geography_files.stored_versions(folder)
    if not versions:
        st.caption("No official lookup is loaded: the app uses its shipped geography versions.")
        return
    st.markdown("**Loaded geography versions**")
    for key, meta in versions.items():
        with st.container(border=True):
            loaded_by = f" by {_plain(meta['loaded_by'])}" if meta.get("loaded_by") else ""
            st.markdown(
                f"**{_plain(meta.get('label', key))}** (version {key}, from {meta.get('effective_from', '?')}): "
                f"*{_plain(meta.get('file_name') or meta.get('source', ''))}*, {int(meta.get('rows', 0)):,} LSOAs, "
                f"{meta.get('icb_count', '?')} ICBs, {meta.get('sub_icb_count', '?')} sub-ICB locations, "
                f"{meta.get('region_count', '?')} regions; loaded {_when(meta.get('loaded_at'))}{loaded_by}."
            )
            if not user_can_replace:
                continue
            confirm = st.checkbox(f"Yes, remove version {key}", key=f"geo_remove_confirm_{key}")
            if st.button(
                "Remove", key=f"geo_remove_{key}", disabled=not confirm, icon=":material/delete:"
            ) and access.require(access.Permission.WRITE, action=ACTION):
                geography_files.remove_stored_version(key, data_dir=folder)
                if on_loaded is not None:
                    on_loaded()
                st.rerun()
    st.caption(
        "Removing a version brings back the app's shipped geography for that date: for April 2026, its "
        "reconstruction of the ONS lookup. A version the app does not ship (e.g. April 2027) is then no longer "
        "offered."
    )
