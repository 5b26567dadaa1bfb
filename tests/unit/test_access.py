"""Roles from configuration: who gets which role, and what each role may do."""

from __future__ import annotations

import pytest

from ui.access import PERMISSIONS, Permission, Role, role_for

pytestmark = pytest.mark.unit

CONFIG = {
    "default_role": "viewer",
    "admins": ["Ann.Lee@nhs.net"],
    "phm_leads": ["@suffolk-icb.nhs.uk"],
    "facilitators": ["raj.patel@nhs.net", "ann.lee@nhs.net"],
}


def test_roles_come_from_addresses_and_domains_ignoring_case() -> None:
    assert role_for("ann.lee@NHS.net", CONFIG) == Role.ADMIN  # listed twice: the more powerful role wins
    assert role_for("jo@Suffolk-ICB.nhs.uk", CONFIG) == Role.PHM_LEAD
    assert role_for("raj.patel@nhs.net", CONFIG) == Role.FACILITATOR
    assert role_for("someone@elsewhere.org", CONFIG) == Role.VIEWER
    assert role_for("jo@evil-suffolk-icb.nhs.uk", CONFIG) == Role.VIEWER  # a domain entry is the whole domain
    assert role_for(None, CONFIG) == Role.VIEWER
    assert role_for("x@y.z", {"default_role": "facilitator"}) == Role.FACILITATOR
    assert role_for("x@y.z", None) == Role.VIEWER


def test_an_unknown_role_or_a_malformed_list_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown role 'boss'"):
        role_for("x@y.z", {"default_role": "boss"})
    with pytest.raises(ValueError, match="admins must be a list"):
        role_for("x@y.z", {"admins": [1, 2]})


def test_what_each_role_may_do() -> None:
    assert PERMISSIONS[Role.VIEWER] == {Permission.VIEW, Permission.ANSWER}
    assert Permission.RUN_SESSION in PERMISSIONS[Role.FACILITATOR]
    assert Permission.WRITE not in PERMISSIONS[Role.FACILITATOR]
    assert Permission.EXPORT_PERSON_LEVEL not in PERMISSIONS[Role.FACILITATOR]
    assert {Permission.WRITE, Permission.EXPORT_PERSON_LEVEL, Permission.RUN_SESSION} <= PERMISSIONS[Role.PHM_LEAD]
    assert PERMISSIONS[Role.ADMIN] == frozenset(Permission)
