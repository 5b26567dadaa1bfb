"""Links to the Home page open it directly, and the deployment's secrets file can never be committed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ui import maturity as maturity_ui

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout")
def test_streamlit_secrets_are_git_ignored() -> None:
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", ".streamlit/secrets.toml"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, "git would commit .streamlit/secrets.toml"


def test_the_home_page_is_linked_at_the_app_root() -> None:
    # app.py serves its default page, Home, at "/"; "/home" shows "Page not found" before redirecting.
    assert maturity_ui.page_path("pages/home.py") == "/"
    assert maturity_ui.page_path("pages/maps.py") == "/maps"


def test_the_reports_population_link_opens_the_home_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(maturity_ui, "base_url", lambda: "https://phm.example")
    links = maturity_ui.report_page_links()
    assert links["population"] == "https://phm.example/"
    assert links["risk"] == "https://phm.example/risk"
    assert not any(url.endswith("/home") for url in links.values())
