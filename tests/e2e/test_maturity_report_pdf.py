"""The maturity report printed to PDF in chromium (what "Save as PDF" in the print dialog makes): the evidence notes
and links are in it, a long link wraps inside the page instead of running off it, anonymous respondents stay
anonymous."""

from __future__ import annotations

import io
import unicodedata
from datetime import date

import pytest
from sqlmodel import Session

from maturity import exports, repository
from maturity.db import make_engine

pytestmark = pytest.mark.e2e

playwright = pytest.importorskip("playwright.sync_api")
pypdf = pytest.importorskip("pypdf", reason="reading the PDF back needs pypdf")

#: The width of an A4 landscape page inside the report's 12 mm margins, in CSS pixels (273 mm at 96 per inch).
PRINTED_WIDTH = round(273 / 25.4 * 96)
LONG_LINK = "https://future.nhs.uk/PHMNetwork/view?objectId=" + "7" * 40 + "&path=" + "a1b2c3" * 30
LONG_NOTE = (
    "Our linked dataset covers primary care, acute, community and mental health for 92% of registered patients; "
    "social care joins in April. The data protection impact assessment was signed off by the Caldicott Guardian "
    "in March and is reviewed yearly. " * 3
).strip()


def report_html(tmp_path) -> str:
    engine = make_engine(f"sqlite:///{tmp_path / 'report.sqlite'}")
    with Session(engine) as s:
        organisation = repository.create_organisation(s, name="Riverside place", kind="place")
        assessment = repository.create_assessment(
            s, organisation_id=organisation.id, assessment_date=date(2026, 5, 1), title="Spring round"
        )
        named = repository.get_or_create_respondent(s, assessment.id, name="Asha Okafor", role="PHM lead")
        anonymous = repository.get_or_create_respondent(s, assessment.id, anonymous=True, role="Chief executive")
        repository.save_answer(s, named.id, "integrated_data_architecture", current_stage=2, evidence_notes=LONG_NOTE)
        repository.save_answer(
            s,
            anonymous.id,
            "information_governance",
            current_stage=3,
            evidence_notes="Sharing agreement with all 12 practices.",
            evidence_links=[LONG_LINK],
        )
        page = exports.assessment_report_html(s, assessment.id)
    engine.dispose()
    return page


def test_the_printed_report_holds_the_evidence_wrapped_on_the_page(browser, tmp_path) -> None:
    page = browser.new_page(viewport={"width": PRINTED_WIDTH, "height": 800})
    try:
        page.set_content(report_html(tmp_path))
        page.emulate_media(media="print")
        page.locator("section.evidence").wait_for()
        overflowing = page.evaluate(
            "() => [...document.querySelectorAll('section.evidence li')]"
            ".filter(item => item.scrollWidth > item.clientWidth + 1).map(item => item.textContent.slice(0, 40))"
        )
        assert overflowing == []  # the long link wraps instead of running off the page
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    finally:
        page.close()

    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    text = unicodedata.normalize("NFKC", "\n".join(p.extract_text() for p in pages))  # "ﬀ" ligatures as "ff"
    flat = "".join(text.split())  # lines wrap where the page ends: compare without the breaks
    assert "Evidence from respondents" in text
    assert "".join(LONG_NOTE.split()) in flat
    assert LONG_LINK in flat
    assert "Asha Okafor (PHM lead), rated Developing" in " ".join(text.split())
    assert "Anonymous respondent 1, rated Maturing" in " ".join(text.split())
    assert "Chief executive" not in text  # an anonymous respondent's role could name them
