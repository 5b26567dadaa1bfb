"""Who may do what: open on localhost by default; with login configured, roles from configuration.

``st.login`` authenticates (OIDC, settings in ``.streamlit/secrets.toml`` under ``[auth]``); it does not authorise.
Roles come from the ``[access]`` section of the same secrets file and are checked here, in our code, before
every action that writes, exports person-level data or runs a live session::

    [access]
    default_role = "viewer"            # anyone who can log in and is not listed below
    admins = ["ann.lee@nhs.net"]
    phm_leads = ["@suffolk-icb.nhs.uk"]  # an entry starting with @ matches a whole e-mail domain
    facilitators = ["raj.patel@nhs.net"]
    participants_need_login = false    # workshop participants join with the code alone (the default)

Without an ``[auth]`` section there is no login and everyone may do everything, except download the
pseudonymised (person-level) list, which is off unless ``PHM_ALLOW_PERSON_LEVEL_EXPORT_WITHOUT_LOGIN=1``
(phm_core.settings): the app is meant to run on ``127.0.0.1`` for one person or a trusted room (see
docs/deployment.md before exposing it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import streamlit as st


class Role(StrEnum):
    """Roles in increasing order of what they may do (a higher role has every permission of a lower one)."""

    VIEWER = "viewer"
    FACILITATOR = "facilitator"
    PHM_LEAD = "phm_lead"
    ADMIN = "admin"


class Permission(StrEnum):
    """Actions checked in code."""

    VIEW = "view"  # read pages, aggregate figures, presentation mode and the board pack
    ANSWER = "answer"  # answer a maturity questionnaire as oneself
    RUN_SESSION = "run_session"  # start, pace, reveal, record and close a live workshop
    WRITE = "write"  # organisations, assessments (open, close, import), replacement data
    EXPORT_PERSON_LEVEL = "export_person_level"  # person-level (synthetic) extracts
    ADMINISTER = "administer"


PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.VIEW, Permission.ANSWER}),
    Role.FACILITATOR: frozenset({Permission.VIEW, Permission.ANSWER, Permission.RUN_SESSION}),
    Role.PHM_LEAD: frozenset(
        {Permission.VIEW, Permission.ANSWER, Permission.RUN_SESSION, Permission.WRITE, Permission.EXPORT_PERSON_LEVEL}
    ),
    Role.ADMIN: frozenset(Permission),
}
ROLE_LABELS = {Role.VIEWER: "Viewer", Role.FACILITATOR: "Facilitator", Role.PHM_LEAD: "PHM lead", Role.ADMIN: "Admin"}
#: Secrets keys listing the people of each role (most powerful first; the first match wins).
ROLE_LISTS: tuple[tuple[str, Role], ...] = (
    ("admins", Role.ADMIN),
    ("phm_leads", Role.PHM_LEAD),
    ("facilitators", Role.FACILITATOR),
    ("viewers", Role.VIEWER),
)
#: Pages anyone may open without logging in: workshop participants join with the code alone.
PUBLIC_PAGES = ("workshop_join",)


@dataclass(frozen=True)
class User:
    """The person using this browser session and their role."""

    email: str | None
    name: str | None
    role: Role
    logged_in: bool
    login_configured: bool

    def can(self, permission: Permission | str) -> bool:
        return Permission(permission) in PERMISSIONS[self.role]

    @property
    def label(self) -> str:
        return self.name or self.email or "you"


def role_for(email: str | None, config: Mapping[str, Any] | None) -> Role:
    """The role of an e-mail address under an ``[access]`` configuration (pure: no Streamlit).

    Entries are e-mail addresses or ``@domain``; matching ignores case. Anyone not listed gets ``default_role``
    (viewer unless configured). An unknown role name in the configuration is a ``ValueError``.
    """
    config = config or {}
    default = _role(config.get("default_role", Role.VIEWER))
    if not email:
        return default
    address = email.strip().lower()
    domain = address.rpartition("@")[2]
    for key, role in ROLE_LISTS:
        entries = config.get(key) or ()
        if isinstance(entries, str):
            entries = [entries]
        for entry in _strings(entries, key):
            entry = entry.strip().lower()
            if entry == address or (entry.startswith("@") and entry[1:] == domain):
                return role
    return default


def _role(value: Any) -> Role:
    try:
        return Role(str(value).strip().lower())
    except ValueError:
        raise ValueError(f"unknown role {value!r} in [access]; use one of {', '.join(Role)}") from None


def _strings(values: Sequence[Any], key: str) -> list[str]:
    if not all(isinstance(v, str) for v in values):
        raise ValueError(f"[access] {key} must be a list of e-mail addresses or @domains")
    return list(values)


def _secrets_section(name: str) -> Mapping[str, Any] | None:
    try:
        if name in st.secrets:
            return st.secrets[name]
    except Exception:  # no secrets file at all: nothing configured
        return None
    return None


def login_configured() -> bool:
    """True when ``[auth]`` is set in the secrets, i.e. ``st.login`` can be used."""
    return _secrets_section("auth") is not None


def current_user() -> User:
    """The user of this session: everyone is an admin when no login is configured (local use)."""
    if not login_configured():
        return User(email=None, name=None, role=Role.ADMIN, logged_in=False, login_configured=False)
    logged_in = bool(st.user.get("is_logged_in", False))
    if not logged_in:
        return User(email=None, name=None, role=Role.VIEWER, logged_in=False, login_configured=True)
    email = st.user.get("email")
    name = st.user.get("name")
    return User(
        email=str(email) if email else None,
        name=str(name) if name else None,
        role=role_for(str(email) if email else None, _secrets_section("access")),
        logged_in=True,
        login_configured=True,
    )


def allowed(permission: Permission | str) -> bool:
    """Whether the current user may do this (check again right before the action itself)."""
    return current_user().can(permission)


def require(permission: Permission | str, *, action: str) -> bool:
    """Show why not and return False when the current user may not do ``action``; True when they may."""
    user = current_user()
    if user.can(permission):
        return True
    if user.login_configured and not user.logged_in:
        st.warning(f"Log in to {action}.", icon=":material/lock:")
    else:
        needed = [ROLE_LABELS[r] for r, p in PERMISSIONS.items() if Permission(permission) in p]
        st.warning(
            f"Your role ({ROLE_LABELS[user.role]}) does not allow you to {action}. It needs one of: "
            f"{', '.join(needed)}. Ask an admin of PHM Navigator.",
            icon=":material/lock:",
        )
    return False


def participants_need_login() -> bool:
    """Whether workshop participants must log in too (``[access] participants_need_login``; default no)."""
    config = _secrets_section("access") or {}
    return bool(config.get("participants_need_login", False))


def login_gate(page_url_path: str) -> None:
    """In app.py, after ``st.navigation``: with login configured, stop here until the user has logged in.

    The workshop join page stays open (the join code and the participant's token are its credentials) unless
    ``participants_need_login`` is set.
    """
    if not login_configured():
        return
    if page_url_path in PUBLIC_PAGES and not participants_need_login():
        return
    user = current_user()
    if user.logged_in:
        with st.sidebar:
            st.caption(f"Signed in as {user.label} ({ROLE_LABELS[user.role]})")
            st.button("Log out", key="access_logout", on_click=st.logout, icon=":material/logout:")
        return
    st.title("PHM Navigator")
    st.markdown("Log in with your organisation's account to continue.")
    st.button("Log in", key="access_login", on_click=st.login, type="primary", icon=":material/login:")
    st.stop()
