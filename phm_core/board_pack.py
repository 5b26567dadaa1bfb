"""The board pack: the footprint's population health story as a PDF and a self-contained HTML file.

Pure: it takes the content the app's pages already hold (``BoardPackContent``, filled from their caches) and
returns bytes / text. Charts and the map are drawn as PNG images with matplotlib (no browser needed); the PDF is
written with fpdf2 in DejaVu Sans (shipped with matplotlib), so any Unicode text prints. Every figure carries its
confidence limits where they exist, every page its sources, and person-level results the synthetic-data caveat.

Pages (A4 landscape): 1 cover and contents, 2 who lives here, 3 where need is, 4 how unequal, 5 who is at risk,
6 how mature our PHM is, 7 sources and caveats. A section without data says so on its page.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from phm_core.inequalities import PublishedGap, england_gap_explanation
from phm_core.palettes import (
    DEPRIVATION_DECILE_COLOURS,
    NHS_BLUE,
    NHS_DARK_BLUE,
    NHS_DARK_GREY,
    NHS_MID_GREY,
    NHS_PALE_GREY,
)

SYNTHETIC_CAVEAT = (
    "SYNTHETIC DATA. The risk tiers are computed on a synthetic population generated to match published figures "
    "for this ICB (Census 2021 ages, modelled QOF prevalence by place, life expectancy by deprivation). No real "
    "patient is in it. It shows what the method would find, not what is true of real residents. Counts from 1 to 7, "
    "and any that would reveal them, are suppressed."
)
SECTION_TITLES = (
    "Who lives here",
    "Where need is",
    "How unequal",
    "Who is at risk",
    "How mature is our population health management",
    "Sources and caveats",
)
SOURCES = (
    ("Population and age", "ONS Census 2021 usual residents by LSOA 2021; ONS mid-2020 single-year ages."),
    ("Deprivation", "MHCLG English Indices of Deprivation 2025 (IMD 2025), national deciles by LSOA 2021."),
    (
        "Life expectancy gap",
        "OHID life expectancy at birth by GP practice (latest published period) against "
        "practice deprivation (IMD 2019); slope index of inequality with 95% limits from 10,000 seeded simulations.",
    ),
    (
        "Risk tiers",
        "PHM Navigator synthetic population and its interim points-based risk score (age, conditions, "
        "frailty, last year's activity): high = top 5%, rising = next 15%, low = the rest.",
    ),
    (
        "Risk tiers (model)",
        "PHM Navigator synthetic population and its fitted emergency admission risk model (calibrated "
        "gradient-boosted trees, 12 months' record before 1 April 2024): high = top 5%, rising = next 15%, low = the "
        "rest; model card on the Risk stratification page.",
    ),
    (
        "PHM maturity",
        "The organisation's own self-assessment in PHM Navigator: median of respondents' ratings per "
        "component, capability scores the mean of their components, stages 1 Emerging to 4 Thriving.",
    ),
    ("Boundaries", "ONS LSOA 2021 boundaries (generalised); GP practice locations from NHS England ODS."),
)
#: What the maturity section says when the caller gives no reason of its own.
NO_MATURITY = "This footprint has no answered maturity self-assessment of its own yet."
RISK_COLOURS = {"high": "#DA291C", "rising": "#FFB81C", "low": "#009639"}


@dataclass(frozen=True)
class MaturitySummary:
    """The latest self-assessment of the footprint's organisation, scored."""

    organisation: str
    title: str
    assessment_date: str
    n_respondents: int
    overall: tuple[float | None, str | None, float | None, str | None]  # current, label, target, label
    capabilities: pd.DataFrame  # capability, current, current_label, target, target_label, gap
    components: pd.DataFrame  # component, capability, current, target, gap, agreement, n


@dataclass(frozen=True)
class BoardPackContent:
    """Everything the pack shows, taken from the content the pages already computed (see ui/presentation.py)."""

    name: str
    footprint_label: str
    people: int
    lsoa_count: int
    narrative: list[str]
    age_structure: pd.DataFrame
    deprivation_profile: pd.DataFrame
    map_lsoas: pd.DataFrame  # lsoa21_code, imd_decile
    map_boundaries: gpd.GeoDataFrame | None  # LSOA polygons (lsoa21_code, geometry); None leaves the map out
    gaps: dict[str, dict]
    fifths: dict[str, pd.DataFrame]
    inequality_sentences: list[str]
    england_gaps: dict[str, dict] | None = None  # England's gap by the same practice method (like for like)
    published_gaps: dict[str, PublishedGap] | None = None  # ONS's published England gap between neighbourhoods
    risk: pd.DataFrame | None = None  # segmentation.risk_summary; None when the synthetic population is not built
    risk_headline: str | None = None
    risk_people: int | None = None
    risk_from_model: bool = False  # tiers from the fitted risk model rather than the interim points score
    risk_note: str | None = None  # why the people counted differ from the residents (risk_people_note)
    maturity: MaturitySummary | None = None
    maturity_missing: str | None = None  # why the footprint's own maturity is not shown, and how to start one
    generated_at: datetime = field(default_factory=lambda: datetime.now().astimezone())


def risk_people_note(
    *,
    name: str,
    residents: int,
    fraction: float,
    generated: int,
    died: int,
    opted_out: int,
    counted: int,
    index_date: str = "1 April 2024",
    registered: bool = False,
) -> str:
    """Why the people in the risk tiers are not the footprint's residents, in plain English, with every step's count.

    ``generated`` people were made for the footprint (one per Census 2021 resident, or a ``fraction`` sample),
    ``died`` of them before ``index_date`` (the date risk is predicted from), and ``opted_out`` of those alive have
    a national data opt-out; ``counted`` are left. For a neighbourhood (PCN) the people are its practices'
    registered patients (``registered``), not the residents of its area.
    """
    if generated - died - opted_out != counted:
        raise ValueError(f"{generated:,} - {died:,} - {opted_out:,} is not {counted:,}")
    if registered:
        made = f"the synthetic patients registered with {name}'s practices ({generated:,} people"
        made += ")" if fraction >= 1 else f", a {fraction:.0%} sample)"
        start = f"These are {counted:,} synthetic people: {made}"
    else:
        made = (
            f"one synthetic person for each resident ({generated:,} people)"
            if fraction >= 1
            else f"a {fraction:.0%} sample ({generated:,} people)"
        )
        start = (
            f"These are {counted:,} synthetic people, not the {residents:,} residents (Census 2021) of {name}: the "
            f"synthetic population is {made}"
        )
    return (
        f"{start}; {died:,} of them died before {index_date}, the date risk is predicted from; and the "
        f"{opted_out:,} who opted out of sharing their health records are left out, as they would be from a real "
        "extract."
    )


def published_gap_source(published: dict[str, PublishedGap]) -> str:
    """The source line of England's published gap: publication, table, period and method."""
    first = next(iter(published.values()))
    return (
        f"{first.citation}: slope index of inequality in {first.measure} at birth across {first.deprivation}, "
        f"England, {first.period} (released {first.released})."
    )


def sources_for(content: BoardPackContent) -> list[tuple[str, str]]:
    """The pack's sources, with the risk tiers' source for the tiers it shows (model or interim score)."""
    left_out = "Risk tiers" if content.risk_from_model else "Risk tiers (model)"
    sources = [(label, text) for label, text in SOURCES if label != left_out]
    if content.published_gaps:
        at = next(i for i, (label, _) in enumerate(sources) if label == "Life expectancy gap") + 1
        sources.insert(at, ("England's published life expectancy gap", published_gap_source(content.published_gaps)))
    return sources


# --- charts (matplotlib, PNG) ----------------------------------------------------------------------------------


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "font.family": "DejaVu Sans",
            "font.size": 11,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.edgecolor": NHS_MID_GREY,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
        }
    )
    return plt


def _png(figure) -> bytes:  # noqa: ANN001 (a matplotlib Figure)
    plt = _pyplot()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight", facecolor="white")
    plt.close(figure)
    return buffer.getvalue()


def age_structure_png(structure: pd.DataFrame, *, name: str) -> bytes:
    """Share of residents by age band, the footprint against England."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(7.5, 3.6))
    x = np.arange(len(structure))
    axes.bar(x - 0.2, structure["share"], 0.4, label=name, color=NHS_BLUE)
    axes.bar(x + 0.2, structure["england_share"], 0.4, label="England", color=NHS_MID_GREY)
    axes.set_xticks(x, structure["band"])
    axes.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    axes.set_xlabel("Age band")
    axes.set_ylabel("Share of residents")
    axes.set_title("Age structure (Census 2021)")
    axes.grid(axis="y", color=NHS_PALE_GREY)
    axes.set_axisbelow(True)
    axes.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2)
    return _png(figure)


def deprivation_profile_png(profile: pd.DataFrame, *, name: str) -> bytes:
    """Share of residents in each national IMD 2025 decile, with England's share as a dashed line."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(6.5, 3.6))
    x = profile["decile"].astype(int).to_numpy()
    axes.bar(x, profile["share"], color=list(DEPRIVATION_DECILE_COLOURS), edgecolor=NHS_DARK_GREY, linewidth=0.4)
    axes.plot(x, profile["england_share"], "k--o", markersize=3, linewidth=1, label="England")
    axes.set_xticks(x)
    axes.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    axes.set_xlabel("National IMD 2025 decile (1 = most deprived 10%)")
    axes.set_ylabel("Share of residents")
    axes.set_title(f"People by deprivation decile, {name}")
    axes.grid(axis="y", color=NHS_PALE_GREY)
    axes.set_axisbelow(True)
    axes.legend(frameon=False)
    return _png(figure)


def deprivation_map_png(lsoas: pd.DataFrame, boundaries: gpd.GeoDataFrame) -> bytes:
    """The footprint's LSOAs coloured by national IMD 2025 decile (no background tiles)."""
    plt = _pyplot()
    shapes = boundaries.loc[boundaries["lsoa21_code"].isin(lsoas["lsoa21_code"])].merge(
        lsoas[["lsoa21_code", "imd_decile"]], on="lsoa21_code"
    )
    colours = [DEPRIVATION_DECILE_COLOURS[int(d) - 1] for d in shapes["imd_decile"]]
    figure, axes = plt.subplots(figsize=(6.2, 6.2))
    shapes.plot(ax=axes, color=colours, edgecolor="white", linewidth=0.1)
    axes.set_axis_off()
    if shapes.crs is not None and shapes.crs.is_geographic:  # degrees: stretch so the map is not squashed
        _, south, _, north = shapes.total_bounds
        axes.set_aspect(1 / np.cos(np.radians((south + north) / 2)))
    handles = [plt.Rectangle((0, 0), 1, 1, color=DEPRIVATION_DECILE_COLOURS[i], label=str(i + 1)) for i in range(10)]
    axes.legend(
        handles=handles,
        title="IMD decile",
        loc="lower left",
        ncols=5,
        fontsize=8,
        title_fontsize=8,
        frameon=False,
        bbox_to_anchor=(0, -0.12),
    )
    axes.set_title("Deprivation by neighbourhood (LSOA), IMD 2025")
    return _png(figure)


def life_expectancy_gap_chart(fifths: dict[str, pd.DataFrame], gaps: dict[str, dict]):  # noqa: ANN201
    """Life expectancy by fifth of practice deprivation, women and men, with 95% limits (a matplotlib Figure).

    The bars start at zero years; the gap between the fifths is in the legend."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(8.5, 3.8))
    colours = {"Female": NHS_BLUE, "Male": "#E69F00"}
    offsets = {"Female": -0.2, "Male": 0.2}
    for sex, frame in fifths.items():
        if frame.empty:
            continue
        gap = gaps[sex]
        x = frame["fifth"].astype(int).to_numpy() + offsets.get(sex, 0)
        who = "Women" if sex == "Female" else "Men"
        label = f"{who}: gap {gap['sii']:.1f} years (95% CI {gap['lower']:.1f} to {gap['upper']:.1f})"
        axes.bar(x, frame["life_expectancy"], 0.4, color=colours.get(sex, NHS_MID_GREY), label=label)
        axes.errorbar(x, frame["life_expectancy"], yerr=1.96 * frame["se"], fmt="none", ecolor=NHS_DARK_GREY, capsize=3)
    axes.set_ylim(bottom=0)
    axes.set_xticks([1, 2, 3, 4, 5], ["1 most deprived", "2", "3", "4", "5 least deprived"])
    axes.set_xlabel("Fifth of registered patients by practice deprivation (IMD 2019)")
    axes.set_ylabel("Life expectancy at birth (years)")
    axes.set_title("Life expectancy by deprivation of GP practice (bars: 95% confidence limits)")
    axes.grid(axis="y", color=NHS_PALE_GREY)
    axes.set_axisbelow(True)
    axes.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2, fontsize=9)
    return figure


def life_expectancy_gap_png(fifths: dict[str, pd.DataFrame], gaps: dict[str, dict]) -> bytes:
    """Life expectancy by fifth of practice deprivation, women and men, with 95% confidence limits (PNG)."""
    return _png(life_expectancy_gap_chart(fifths, gaps))


def gap_comparison_chart(  # noqa: ANN201 (a matplotlib Figure)
    gaps: dict[str, dict], england: dict[str, dict], published: dict[str, PublishedGap], *, where: str
):
    """The footprint's gap beside England's by the same practice method (95% limits) and ONS's published gap
    between neighbourhoods: horizontal bars from zero years, women and men."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(7.5, 3.8))
    period = next(iter(published.values())).period
    series = [
        (where, {s: gaps[s] for s in gaps}, NHS_BLUE),
        ("England, same practice method", england, NHS_MID_GREY),
        (
            f"England, ONS published ({period})",
            {s: {"sii": p.years, "lower": np.nan, "upper": np.nan} for s, p in published.items()},
            "#AE2573",
        ),
    ]
    rows = {"Female": 0, "Male": 1}
    height = 0.26
    for index, (name, values, colour) in enumerate(series):
        y = np.array([rows[s] for s in rows]) + (index - 1) * height
        sii = np.array([float(values.get(s, {}).get("sii", np.nan)) for s in rows])
        lower = np.array([float(values.get(s, {}).get("lower", np.nan)) for s in rows])
        upper = np.array([float(values.get(s, {}).get("upper", np.nan)) for s in rows])
        axes.barh(y, np.nan_to_num(sii), height, color=colour, label=name)
        limits = ~np.isnan(lower)
        if limits.any():
            axes.errorbar(
                sii[limits],
                y[limits],
                xerr=[sii[limits] - lower[limits], upper[limits] - sii[limits]],
                fmt="none",
                ecolor=NHS_DARK_GREY,
                capsize=3,
            )
        for yy, value, top in zip(y, sii, upper, strict=True):  # the value beyond its upper limit, if any
            text = "not measured" if np.isnan(value) else f"{value:.1f}"
            at = 0 if np.isnan(value) else value if np.isnan(top) else top
            axes.text(at, yy, f"  {text}", va="center", fontsize=9)
    axes.set_yticks([0, 1], ["Women", "Men"])
    axes.invert_yaxis()
    axes.set_xlim(left=0, right=axes.get_xlim()[1] * 1.1)
    axes.set_xlabel("Gap in life expectancy at birth (years, slope index of inequality)")
    axes.set_title("The gap against England")
    axes.grid(axis="x", color=NHS_PALE_GREY)
    axes.set_axisbelow(True)
    axes.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2, fontsize=9)
    return figure


def gap_comparison_png(
    gaps: dict[str, dict], england: dict[str, dict], published: dict[str, PublishedGap], *, where: str
) -> bytes:
    """:func:`gap_comparison_chart` as a PNG."""
    return _png(gap_comparison_chart(gaps, england, published, where=where))


def risk_pyramid_png(risk: pd.DataFrame) -> bytes:
    """The risk pyramid: people in the high, rising and low risk tiers, with their share of cost."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(6.5, 3.6))
    rows = risk.set_index("risk_tier").reindex(["high", "rising", "low"])
    people = rows["people"].astype("float64").fillna(0).to_numpy()
    widths = people / max(people.max(), 1)
    for y, (tier, width, count, cost) in enumerate(
        zip(rows.index, widths, people, rows["share_of_cost"].astype("float64"), strict=True)
    ):
        axes.barh(2 - y, width, left=-width / 2, color=RISK_COLOURS[tier], height=0.8)
        text = f"{count:,.0f} people" + (f", {cost:.0%} of cost" if pd.notna(cost) else "")
        axes.text(max(width / 2, 0.05) + 0.02, 2 - y, text, va="center", fontsize=10)
    axes.set_yticks([2, 1, 0], ["High risk (top 5%)", "Rising risk (next 15%)", "Low risk (other 80%)"])
    axes.set_xlim(-0.6, 1.15)
    axes.set_xticks([])
    axes.spines[["left", "bottom"]].set_visible(False)
    axes.set_title("Risk pyramid (SYNTHETIC population)")
    return _png(figure)


def maturity_png(summary: MaturitySummary) -> bytes:
    """Median current and target stage of each component, grouped by capability (1 Emerging - 4 Thriving)."""
    plt = _pyplot()
    components = summary.components.iloc[::-1]
    figure, axes = plt.subplots(figsize=(8.5, 0.32 * len(components) + 1.2))
    y = np.arange(len(components))
    axes.barh(y, components["current"].fillna(0), color=NHS_DARK_BLUE, height=0.6, label="Current (median)")
    axes.scatter(components["target"], y, marker="D", color="#007F3B", zorder=3, label="Target (median)")
    axes.set_yticks(y, components["component"])
    axes.set_xlim(0, 4.2)
    axes.set_xticks([1, 2, 3, 4], ["1 Emerging", "2 Developing", "3 Maturing", "4 Thriving"])
    axes.grid(axis="x", color=NHS_PALE_GREY)
    axes.set_axisbelow(True)
    axes.legend(frameon=False, loc="lower right", fontsize=9)
    axes.set_title("PHM maturity by component")
    return _png(figure)


# --- the pack --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """One page of the pack: a title, paragraphs, key figures (label, value, limits) and images."""

    title: str
    paragraphs: list[str]
    figures: list[tuple[str, str, str]]
    images: list[tuple[str, bytes]]
    caveat: str | None = None
    sources: str = ""


def _pct(value: float) -> str:
    return f"{value:.1%}"


def build_sections(content: BoardPackContent) -> list[Section]:
    """The pack's pages after the cover, as text, key figures and PNG images (shared by the PDF and the HTML)."""
    structure, profile = content.age_structure, content.deprivation_profile
    older = structure.loc[structure["band"] == "65+"].iloc[0]
    children = structure.loc[structure["band"] == "0-15"].iloc[0]
    deprived = float(profile.loc[profile["decile"] <= 2, "share"].sum())
    england_deprived = float(profile.loc[profile["decile"] <= 2, "england_share"].sum())
    sections = [
        Section(
            "Who lives here",
            content.narrative[:2],
            [
                ("Residents (Census 2021)", f"{content.people:,}", f"in {content.lsoa_count:,} LSOAs"),
                ("Aged 65 and over", _pct(older["share"]), f"England {_pct(older['england_share'])}"),
                ("Aged 15 and under", _pct(children["share"]), f"England {_pct(children['england_share'])}"),
            ],
            [("Age structure", age_structure_png(structure, name=content.name))],
            sources="ONS Census 2021. Census counts are complete counts: no confidence limits apply.",
        )
    ]
    need_images = []
    if content.map_boundaries is not None:
        need_images.append(("Deprivation map", deprivation_map_png(content.map_lsoas, content.map_boundaries)))
    need_images.append(("Deprivation profile", deprivation_profile_png(profile, name=content.name)))
    sections.append(
        Section(
            "Where need is",
            content.narrative[2:],
            [("In England's most deprived fifth", _pct(deprived), f"England {_pct(england_deprived)}")],
            need_images,
            sources="MHCLG English Indices of Deprivation 2025 (ranks, no confidence limits); ONS Census 2021.",
        )
    )
    gap_figures = []
    for sex, noun in (("Female", "women"), ("Male", "men")):
        gap = content.gaps.get(sex)
        if gap is None or gap["sii"] != gap["sii"]:
            gap_figures.append((f"Life expectancy gap, {noun}", "not measured", "too few practices"))
        else:
            gap_figures.append(
                (
                    f"Life expectancy gap, {noun} (slope index)",
                    f"{gap['sii']:.1f} years",
                    f"95% CI {gap['lower']:.1f} to {gap['upper']:.1f}",
                )
            )
    has_fifths = any(not f.empty for f in content.fifths.values())
    unequal_text, unequal_images = list(content.inequality_sentences), []
    england, published = content.england_gaps, content.published_gaps
    if england and published:
        for sex, noun in (("Female", "women"), ("Male", "men")):
            gap = england[sex]
            measured = gap["sii"] == gap["sii"]
            gap_figures.append(
                (
                    f"England, {noun} (same practice method)",
                    f"{gap['sii']:.1f} years" if measured else "not measured",
                    f"ONS published {published[sex].years:.1f} ({published[sex].period})",
                )
            )
        unequal_text.append(england_gap_explanation(published["Male"]))  # the figures are in the boxes above
        unequal_images.append(
            ("Gap against England", gap_comparison_png(content.gaps, england, published, where=content.name))
        )
    if has_fifths:
        unequal_images.append(("Life expectancy gap", life_expectancy_gap_png(content.fifths, content.gaps)))
    unequal_sources = dict(SOURCES)["Life expectancy gap"]
    if published:
        unequal_sources += " England's published gap: " + published_gap_source(published)
    sections.append(Section("How unequal", unequal_text, gap_figures, unequal_images, sources=unequal_sources))
    if content.risk is not None:
        figures = [
            (
                f"{tier.capitalize()} risk",
                "suppressed" if pd.isna(row["people"]) else f"{int(row['people']):,} people",
                "" if pd.isna(row["share_of_cost"]) else f"{row['share_of_cost']:.0%} of cost",
            )
            for tier, row in content.risk.set_index("risk_tier").iterrows()
        ]
        text = [(content.risk_headline or "").replace("**", "")] if content.risk_headline else []
        if content.risk_note:
            text.append(content.risk_note)
        elif content.risk_people:
            text.append(f"Risk tiers of {content.risk_people:,} synthetic people living in {content.name}.")
        sections.append(
            Section(
                "Who is at risk",
                text,
                figures,
                [("Risk pyramid", risk_pyramid_png(content.risk))],
                caveat=SYNTHETIC_CAVEAT,
                sources=dict(SOURCES)["Risk tiers (model)" if content.risk_from_model else "Risk tiers"],
            )
        )
    else:
        sections.append(
            Section(
                "Who is at risk",
                [
                    "The risk tiers are not shown: this ICB's synthetic population and risk model had not been "
                    "prepared when the pack was made."
                ],
                [],
                [],
                caveat=SYNTHETIC_CAVEAT,
                sources=dict(SOURCES)["Risk tiers (model)" if content.risk_from_model else "Risk tiers"],
            )
        )
    maturity = content.maturity
    if maturity is None:
        sections.append(
            Section(
                "How mature is our population health management",
                [content.maturity_missing or NO_MATURITY],
                [],
                [],
                sources=dict(SOURCES)["PHM maturity"],
            )
        )
    else:
        current, label, target, target_label = maturity.overall
        figures = [("Overall", label or "not rated", _score(current, target, target_label))]
        for row in maturity.capabilities.itertuples():
            figures.append(
                (row.capability, row.current_label or "not rated", _score(row.current, row.target, row.target_label))
            )
        note = (
            f"{maturity.organisation}: {maturity.title} ({maturity.assessment_date}), {maturity.n_respondents} "
            "respondent(s)." + (" Fewer than three respondents: indicative only." if maturity.n_respondents < 3 else "")
        )
        sections.append(
            Section(
                "How mature is our population health management",
                [note],
                figures,
                [("PHM maturity", maturity_png(maturity))],
                sources=dict(SOURCES)["PHM maturity"],
            )
        )
    return sections


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _score(current: float | None, target: float | None, target_label: str | None) -> str:
    """'score 2.28, target 3.33 (Maturing)' (scores are medians and means of stages 1-4)."""
    if current is None:
        return ""
    text = f"score {_number(current)}"
    return text + (f", target {_number(target)} ({target_label})" if target is not None else "")


def _font_paths() -> tuple[Path, Path]:
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"


def board_pack_pdf(content: BoardPackContent, *, attribution: str) -> bytes:
    """The pack as an A4 landscape PDF: cover, one page per section, sources and caveats (7 pages)."""
    from fpdf import FPDF

    sections = build_sections(content)
    regular, bold = _font_paths()
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.set_title(f"{content.name}: population health board pack")
    pdf.set_author("PHM Navigator")
    pdf.set_creator("PHM Navigator")
    width = pdf.w - 30

    def header(title: str) -> None:
        pdf.add_page()
        pdf.set_fill_color(0, 94, 184)
        pdf.rect(0, 0, pdf.w, 6, style="F")
        pdf.set_xy(15, 12)
        pdf.set_text_color(33, 43, 50)
        pdf.set_font("DejaVu", "B", 20)
        pdf.cell(width, 10, title)
        pdf.ln(12)

    def footer(page_text: str) -> None:
        pdf.set_xy(15, pdf.h - 12)
        pdf.set_font("DejaVu", "", 7)
        pdf.set_text_color(118, 134, 146)
        pdf.multi_cell(width, 3.2, page_text)

    # cover
    pdf.add_page()
    pdf.set_fill_color(0, 94, 184)
    pdf.rect(0, 0, pdf.w, 60, style="F")
    pdf.set_xy(15, 18)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("DejaVu", "B", 28)
    pdf.multi_cell(width, 12, content.name)
    pdf.set_x(15)
    pdf.set_font("DejaVu", "", 14)
    pdf.cell(width, 8, "Population health board pack")
    pdf.set_xy(15, 72)
    pdf.set_text_color(33, 43, 50)
    pdf.set_font("DejaVu", "", 12)
    pdf.multi_cell(
        width,
        6,
        f"{content.footprint_label}. Prepared {content.generated_at:%d %B %Y} with PHM Navigator from open data "
        f"and the organisation's own maturity self-assessment.",
    )
    pdf.ln(4)
    pdf.set_x(15)
    pdf.set_font("DejaVu", "B", 13)
    pdf.cell(width, 8, "Contents")
    pdf.ln(9)
    pdf.set_font("DejaVu", "", 12)
    for number, title in enumerate(SECTION_TITLES, start=2):
        pdf.set_x(20)
        pdf.cell(width, 7, f"{number}   {title}")
        pdf.ln(7)
    pdf.ln(4)
    _caveat_box(pdf, SYNTHETIC_CAVEAT, width)
    footer(attribution)

    for section in sections:
        header(section.title)
        _figures_row(pdf, section.figures, width)
        pdf.set_font("DejaVu", "", 10.5)
        pdf.set_text_color(33, 43, 50)
        for paragraph in section.paragraphs:
            if paragraph:
                pdf.set_x(15)
                pdf.multi_cell(width, 5.2, paragraph)
                pdf.ln(1)
        if section.caveat:
            _caveat_box(pdf, section.caveat, width)
        _images(pdf, section.images, top=pdf.get_y() + 2, bottom=pdf.h - 20, width=width)
        footer(f"Source: {section.sources}")

    header("Sources and caveats")
    pdf.set_text_color(33, 43, 50)
    for label, text in sources_for(content):
        pdf.set_x(15)
        pdf.set_font("DejaVu", "B", 10.5)
        pdf.cell(width, 5.5, label)
        pdf.ln(5.5)
        pdf.set_x(15)
        pdf.set_font("DejaVu", "", 10)
        pdf.multi_cell(width, 5, text)
        pdf.ln(1.5)
    _caveat_box(pdf, SYNTHETIC_CAVEAT, width)
    pdf.set_x(15)
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(
        width,
        4.6,
        "Confidence limits: 95% limits are shown wherever the method gives them (life expectancy by practice fifth, "
        "the slope index of inequality). Census counts, deprivation ranks and self-assessment medians have none.",
    )
    pdf.ln(2)
    pdf.set_x(15)
    pdf.multi_cell(width, 4.6, attribution)
    return bytes(pdf.output())


def _caveat_box(pdf, text: str, width: float) -> None:  # noqa: ANN001 (an FPDF)
    pdf.set_x(15)
    pdf.set_fill_color(255, 244, 204)
    pdf.set_draw_color(255, 184, 28)
    pdf.set_text_color(33, 43, 50)
    pdf.set_font("DejaVu", "", 9.5)
    pdf.multi_cell(width, 5, text, border=1, fill=True, padding=2)
    pdf.ln(2)


def _figures_row(pdf, figures: list[tuple[str, str, str]], width: float) -> None:  # noqa: ANN001
    if not figures:
        return
    columns = min(len(figures), 4)
    box = (width - 4 * (columns - 1)) / columns
    top = pdf.get_y()
    for index, (label, value, note) in enumerate(figures[:4]):
        x = 15 + index * (box + 4)
        pdf.set_draw_color(232, 237, 238)
        pdf.rect(x, top, box, 21)
        pdf.set_xy(x + 2, top + 1.5)
        pdf.set_font("DejaVu", "", 8.5)
        pdf.set_text_color(66, 85, 99)
        pdf.cell(box - 4, 4, label)
        pdf.set_xy(x + 2, top + 6)
        pdf.set_font("DejaVu", "B", 15)
        pdf.set_text_color(0, 48, 135)
        pdf.cell(box - 4, 8, value)
        pdf.set_xy(x + 2, top + 14.5)
        pdf.set_font("DejaVu", "", 8.5)
        pdf.set_text_color(66, 85, 99)
        pdf.cell(box - 4, 4, note)
    pdf.set_y(top + 25)


def _images(pdf, images: list[tuple[str, bytes]], *, top: float, bottom: float, width: float) -> None:  # noqa: ANN001
    """Place one or two images side by side in the space left, keeping their aspect ratio."""
    if not images:
        return
    from PIL import Image

    gap = 6
    slot = (width - gap * (len(images) - 1)) / len(images)
    height = bottom - top
    x = 15
    for _, data in images:
        with Image.open(io.BytesIO(data)) as image:
            ratio = image.height / image.width
        w = min(slot, height / ratio)
        h = w * ratio
        pdf.image(io.BytesIO(data), x=x + (slot - w) / 2, y=top, w=w, h=h)
        x += slot + gap


def board_pack_html(content: BoardPackContent, *, attribution: str) -> str:
    """The same pack as one self-contained HTML page (images inline), printable A4 landscape."""
    sections = build_sections(content)
    e = html.escape

    def image(label: str, data: bytes) -> str:
        encoded = base64.b64encode(data).decode("ascii")
        return f'<img alt="{e(label)}" src="data:image/png;base64,{encoded}">'

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(content.name)}: population health board pack</title>",
        "<style>",
        "@page { size: A4 landscape; margin: 12mm; }",
        "body { font-family: Arial, Helvetica, sans-serif; color: #212B32; max-width: 1100px; margin: 0 auto; "
        "padding: 16px; }",
        "h1 { color: #005EB8; } h2 { border-bottom: 3px solid #005EB8; padding-bottom: 4px; }",
        "section { page-break-before: always; } section.cover { page-break-before: auto; }",
        ".figures { display: flex; gap: 12px; margin: 12px 0; }",
        ".figure { border: 1px solid #E8EDEE; padding: 8px 12px; flex: 1; }",
        ".figure .label { color: #425563; font-size: 0.85rem; } .figure .value { font-size: 1.6rem; "
        "font-weight: bold; color: #003087; } .figure .note { color: #425563; font-size: 0.85rem; }",
        ".images { display: flex; gap: 16px; align-items: flex-start; } .images img { max-width: 100%; "
        "flex: 1; min-width: 0; }",
        ".caveat { background: #FFF4CC; border: 1px solid #FFB81C; padding: 8px 12px; }",
        ".source, footer { color: #768692; font-size: 0.8rem; }",
        "</style></head><body>",
        '<section class="cover">',
        f"<h1>{e(content.name)}</h1>",
        "<p><strong>Population health board pack</strong></p>",
        f"<p>{e(content.footprint_label)}. Prepared {content.generated_at:%d %B %Y} with PHM Navigator.</p>",
        '<ol start="2">' + "".join(f"<li>{e(t)}</li>" for t in SECTION_TITLES) + "</ol>",
        f'<p class="caveat">{e(SYNTHETIC_CAVEAT)}</p>',
        "</section>",
    ]
    for section in sections:
        parts.append(f"<section><h2>{e(section.title)}</h2>")
        if section.figures:
            parts.append('<div class="figures">')
            for label, value, note in section.figures:
                parts.append(
                    f'<div class="figure"><div class="label">{e(label)}</div><div class="value">{e(value)}</div>'
                    f'<div class="note">{e(note)}</div></div>'
                )
            parts.append("</div>")
        parts.extend(f"<p>{e(p)}</p>" for p in section.paragraphs if p)
        if section.caveat:
            parts.append(f'<p class="caveat">{e(section.caveat)}</p>')
        if section.images:
            parts.append(
                '<div class="images">' + "".join(image(label, data) for label, data in section.images) + "</div>"
            )
        parts.append(f'<p class="source">Source: {e(section.sources)}</p></section>')
    parts.append("<section><h2>Sources and caveats</h2><dl>")
    parts.extend(f"<dt><strong>{e(label)}</strong></dt><dd>{e(text)}</dd>" for label, text in sources_for(content))
    parts.append(f'</dl><p class="caveat">{e(SYNTHETIC_CAVEAT)}</p>')
    parts.append(f"<footer><p>{e(attribution)}</p></footer></section></body></html>")
    return "\n".join(parts)
