"""About page: sources, the OGL attribution and what is synthetic."""

from __future__ import annotations

import pytest

from ui.layout import ATTRIBUTION

pytestmark = pytest.mark.app


def test_about_shows_sources_attribution_and_synthetic_note(open_page) -> None:
    at = open_page("about.py")
    assert not at.exception
    assert at.title[0].value == "About PHM Navigator"
    assert any(ATTRIBUTION == info.value for info in at.info)
    text = " ".join(m.value for m in at.markdown)
    assert "English Indices of Deprivation 2025" in text
    assert "**synthetic**" in text
    assert "33,755 LSOAs" in at.caption[0].value
