"""Board pack: the PDF opens and has the expected pages, images, confidence limits, sources and the synthetic-data
caveat; the HTML is self-contained and escaped; sections without data say so."""

from __future__ import annotations

import html
import io
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from phm_core import board_pack, inequalities

pytestmark = pytest.mark.unit

pytest.importorskip("fpdf", reason="the board pack needs fpdf2 (pip install fpdf2)")
pytest.importorskip("matplotlib", reason="the board pack draws its charts with matplotlib")
ATTRIBUTION = "Contains public sector information licensed under the Open Government Licence v3.0."


def content(
    *, with_risk: bool = True, with_maturity: bool = True, name: str = "North ICB"
) -> board_pack.BoardPackContent:
    bands = ["0-15", "16-24", "25-34", "35-49", "50-64", "65+"]
    structure = pd.DataFrame(
        {
            "band": bands,
            "share": [0.17, 0.1, 0.12, 0.18, 0.2, 0.23],
            "england_share": [0.19, 0.11, 0.14, 0.19, 0.19, 0.18],
        }
    )
    structure["people"] = (structure["share"] * 1000).astype(int)
    profile = pd.DataFrame(
        {"decile": range(1, 11), "share": [0.1] * 10, "england_share": [0.1] * 10, "people": [100] * 10}
    )
    codes = [f"E0100000{i}" for i in range(4)]
    lsoas = pd.DataFrame({"lsoa21_code": codes, "imd_decile": [1, 4, 7, 10]})
    shapes = gpd.GeoDataFrame(
        {"lsoa21_code": codes}, geometry=[box(i * 0.1, 52, i * 0.1 + 0.1, 52.1) for i in range(4)], crs="EPSG:4326"
    )
    fifths = {
        sex: pd.DataFrame(
            {
                "fifth": range(1, 6),
                "life_expectancy": np.linspace(base, base + 4, 5),
                "se": [0.3] * 5,
                "practices": [10] * 5,
                "list_size": [50_000] * 5,
            }
        )
        for sex, base in (("Female", 81.0), ("Male", 77.0))
    }
    gaps = {
        "Female": {"sii": 3.6, "lower": 2.8, "upper": 4.5, "significant": True},
        "Male": {"sii": 4.5, "lower": 3.4, "upper": 5.6, "significant": True},
    }
    risk = pd.DataFrame(
        {
            "risk_tier": ["high", "rising", "low"],
            "label": ["High", "Rising", "Low"],
            "people": [50, 150, 800],
            "share_of_cost": [0.38, 0.24, 0.38],
        }
    )
    maturity = board_pack.MaturitySummary(
        organisation=name,
        title="Spring round",
        assessment_date="1 March 2026",
        n_respondents=2,
        overall=(2.25, "Developing", 3.5, "Maturing"),
        capabilities=pd.DataFrame(
            [
                {
                    "capability": "Infrastructure",
                    "current": 2.5,
                    "current_label": "Developing",
                    "target": 3.5,
                    "target_label": "Maturing",
                    "gap": 1.0,
                }
            ]
        ),
        components=pd.DataFrame(
            [
                {
                    "component": "Analyses",
                    "capability": "intelligence",
                    "current": 2.0,
                    "target": 3.0,
                    "gap": 1.0,
                    "agreement": "consensus",
                    "n": 2,
                }
            ]
        ),
    )
    return board_pack.BoardPackContent(
        name=name,
        footprint_label=f"Footprint: {name} (Whole system (ICB))",
        people=1000,
        lsoa_count=4,
        narrative=[
            "1,000 people live in North ICB.",
            "23% are aged 65 or over.",
            "1 in 5 live in the most deprived fifth.",
        ],
        age_structure=structure,
        deprivation_profile=profile,
        map_lsoas=lsoas,
        map_boundaries=shapes,
        gaps=gaps,
        fifths=fifths,
        inequality_sentences=["Women in the least deprived practices live 3.6 years longer (95% CI 2.8 to 4.5)."],
        england_gaps={
            "Female": {"sii": 5.2, "lower": 4.9, "upper": 5.5, "significant": True},
            "Male": {"sii": 6.5, "lower": 6.2, "upper": 6.8, "significant": True},
        },
        published_gaps=inequalities.load_published_england_gaps(),
        risk=risk if with_risk else None,
        risk_headline="The **high-risk 5%** account for **38%** of cost." if with_risk else None,
        risk_people=1000 if with_risk else None,
        maturity=maturity if with_maturity else None,
    )


def test_the_pdf_opens_with_seven_pages_in_order_with_images_limits_sources_and_caveat() -> None:
    pypdf = pytest.importorskip("pypdf", reason="reading the PDF back needs pypdf")
    reader = pypdf.PdfReader(io.BytesIO(board_pack.board_pack_pdf(content(), attribution=ATTRIBUTION)))
    texts = [page.extract_text() for page in reader.pages]
    assert len(texts) == 7
    assert "North ICB" in texts[0] and "Population health board pack" in texts[0] and "SYNTHETIC DATA" in texts[0]
    for page, title in zip(texts[1:], board_pack.SECTION_TITLES, strict=True):
        assert page.lstrip().startswith(title.split()[0]), (title, page[:80])
    assert "3.6 years" in texts[3] and "95% CI 2.8 to 4.5" in texts[3]  # the gap with its confidence limits
    # England beside it: the same practice method (like for like) and ONS's published gap, with source and period
    unequal = " ".join(texts[3].split())
    assert "England, men (same practice method)" in unequal and "6.5 years" in unequal
    assert "ONS published 9.7 (2018 to 2020)" in unequal
    assert "neighbourhoods" in unequal and "Health state life expectancies by national deprivation deciles" in unequal
    assert "SYNTHETIC DATA" in texts[4] and "50 people" in texts[4]
    assert "Developing" in texts[5] and "indicative only" in texts[5]
    assert "Open Government Licence" in texts[6] and "IMD 2025" in texts[6]
    assert "England's published life expectancy gap" in texts[6] and "2018 to 2020" in texts[6]
    images = [len(page.images) for page in reader.pages]
    assert images == [0, 1, 2, 2, 1, 1, 0]  # age; map and profile; gap against England and by fifth; pyramid; maturity
    assert reader.metadata.title == "North ICB: population health board pack"


def test_sections_without_data_say_so_and_keep_the_page_count() -> None:
    pypdf = pytest.importorskip("pypdf", reason="reading the PDF back needs pypdf")
    pdf = board_pack.board_pack_pdf(content(with_risk=False, with_maturity=False), attribution=ATTRIBUTION)
    texts = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    assert len(texts) == 7
    assert "risk tiers are not shown" in texts[4] and "SYNTHETIC DATA" in texts[4]
    assert board_pack.NO_MATURITY in texts[5]
    missing = "North ICB has no maturity self-assessment yet. To start one, open Maturity > Assessments."
    page = board_pack.board_pack_html(
        replace(content(with_maturity=False), maturity_missing=missing), attribution=ATTRIBUTION
    )
    assert html.escape(missing) in page and "Spring round" not in page


def test_the_html_is_self_contained_and_escaped() -> None:
    page = board_pack.board_pack_html(content(name="North <ICB> & Co"), attribution=ATTRIBUTION)
    assert page.startswith("<!DOCTYPE html>")
    assert page.count('src="data:image/png;base64,') == 7
    assert "North &lt;ICB&gt; &amp; Co" in page and "<ICB>" not in page
    assert "95% CI 2.8 to 4.5" in page and "SYNTHETIC DATA" in page and "Open Government Licence" in page
    assert "http://" not in page and "https://" not in page  # nothing loaded from elsewhere


def test_charts_are_png_images() -> None:
    data = board_pack.life_expectancy_gap_png(content().fifths, content().gaps)
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5_000


def test_the_risk_source_names_the_tiers_shown() -> None:
    interim = board_pack.board_pack_html(content(), attribution=ATTRIBUTION)
    assert "interim points-based risk score" in interim and "fitted emergency admission risk model" not in interim
    fitted = board_pack.board_pack_html(replace(content(), risk_from_model=True), attribution=ATTRIBUTION)
    assert "fitted emergency admission risk model" in fitted and "interim points-based" not in fitted


def test_the_risk_note_explains_every_step_from_residents_to_people_counted() -> None:
    note = board_pack.risk_people_note(
        name="North ICB",
        residents=1_000_000,
        fraction=0.05,
        generated=50_000,
        died=900,
        opted_out=2_500,
        counted=46_600,
    )
    assert note == (
        "These are 46,600 synthetic people, not the 1,000,000 residents (Census 2021) of North ICB: the synthetic "
        "population is a 5% sample (50,000 people); 900 of them died before 1 April 2024, the date risk is predicted "
        "from; and the 2,500 who opted out of sharing their health records are left out, as they would be from a "
        "real extract."
    )
    whole = board_pack.risk_people_note(
        name="North ICB", residents=1_000, fraction=1, generated=1_000, died=10, opted_out=30, counted=960
    )
    assert "one synthetic person for each resident (1,000 people)" in whole
    with pytest.raises(ValueError, match="is not"):
        board_pack.risk_people_note(
            name="North ICB", residents=1_000, fraction=1, generated=1_000, died=10, opted_out=30, counted=1_000
        )
    pack = board_pack.board_pack_html(replace(content(), risk_note=whole), attribution=ATTRIBUTION)
    assert "one synthetic person for each resident" in pack and "Risk tiers of 1,000 synthetic people" not in pack
