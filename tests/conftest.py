"""Shared test configuration: every test carries exactly one of the pyramid markers."""

from __future__ import annotations

import pytest

PYRAMID_MARKERS = ("unit", "app", "e2e")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Fail collection of any test that does not carry exactly one pyramid marker."""
    for item in items:
        found = [name for name in PYRAMID_MARKERS if item.get_closest_marker(name) is not None]
        if len(found) != 1:
            raise pytest.UsageError(
                f"{item.nodeid} must carry exactly one of {PYRAMID_MARKERS} (found {found or 'none'})"
            )
