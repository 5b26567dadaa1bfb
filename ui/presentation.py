"""Presentation mode: the chosen footprint's story in six slides, large type, no sidebar, for a projector.

Slides: title, who lives here, where need is, how unequal, who is at risk, how mature our PHM is. Every figure
comes from the same cached content as the Home, Inequalities, Population segments and Maturity results pages
(``ui.data``, ``ui.profiles``, ``ui.synthetic``, the maturity repository); nothing is recomputed here.

Designed for 1920x1080; at 1280x720 (and any screen under 800 px high) the slide is scaled by CSS ``zoom`` so the
same layout fits. Previous / next are buttons with the keyboard shortcuts Left and Right (``st.button(shortcut=)``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from maturity import figures as maturity_figures
from maturity import repository
from maturity.models import AssessmentPublic
from maturity.scoring import AssessmentResult
from phm_core import board_pack, geography, segmentation
from phm_core.figures import age_structure_figure, deprivation_profile_figure, life_expectancy_gap_comparison_figure
from phm_core.narrative import format_people
from phm_core.settings import data_dir
from phm_core.synth.io import population_folder, read_metadata
from phm_core.synth.schema import INDEX_DATE
from ui import data, layout, profiles, synthetic
from ui import maturity as maturity_ui
from ui import risk as risk_ui

SLIDE_STATE = "presentation_slide"
BIG_FONT = 20

#: Screens the slides are laid out for (16:9); sizes scale with the height.
SCREENS: dict[str, float] = {"1920x1080": 1.0, "1280x720": 2 / 3}
SCREEN_STATE = "presentation_screen"


def presentation_css(scale: float) -> str:
    """Hide the sidebar, header and toolbar; type sized for the screen (``scale`` 1 at 1920x1080)."""

    def rem(value: float) -> str:
        return f"{value * scale:.2f}rem"

    return f"""
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"] {{ display: none !important; }}
[data-testid="stMainBlockContainer"] {{ max-width: 100%; padding: {rem(1.6)} {rem(3.5)} 0 {rem(3.5)}; }}
[data-testid="stMain"] p, [data-testid="stMain"] li {{ font-size: {rem(1.55)}; line-height: 1.45; }}
[data-testid="stMain"] h1 {{ font-size: {rem(3.1)}; padding: 0 0 {rem(0.4)} 0; }}
[data-testid="stMain"] h2 {{ font-size: {rem(2.3)}; }}
[data-testid="stMetricValue"] p, [data-testid="stMetricValue"] div {{ font-size: {rem(3)} !important; }}
[data-testid="stMetricLabel"] p {{ font-size: {rem(1.35)} !important; }}
[data-testid="stMetricDelta"] div, [data-testid="stMetricDelta"] p {{ font-size: {rem(1.2)} !important; }}
[data-testid="stCaptionContainer"] p {{ font-size: {rem(1.05)}; }}
[data-testid="stAlertContainer"] p {{ font-size: {rem(1.3)}; }}
</style>
"""


@dataclass(frozen=True)
class Slide:
    key: str
    title: str
    draw: Callable[[geography.Footprint], None]


def screen_scale() -> float:
    """The chosen screen's scale: this session's choice, else ``?screen=1280x720`` in the URL, else 1920x1080."""
    if SCREEN_STATE not in st.session_state:
        wanted = st.query_params.get("screen", "1920x1080")
        st.session_state[SCREEN_STATE] = wanted if wanted in SCREENS else "1920x1080"
    return SCREENS[st.session_state[SCREEN_STATE]]


def hide_chrome() -> None:
    """No sidebar, header or toolbar; large type for the chosen screen."""
    st.html(presentation_css(screen_scale()))


def px(height: int) -> int:
    """A height in pixels for 1920x1080, scaled to the chosen screen."""
    return round(height * screen_scale())


def big(figure: go.Figure, *, height: int) -> go.Figure:
    """A page figure restyled for a projector: larger type, a set height, the title left to the slide."""
    scale = screen_scale()
    size, small = round(BIG_FONT * scale), round(18 * scale)
    figure.update_layout(
        font={"size": size}, height=px(height), title={"font": {"size": size + 4}}, legend={"font": {"size": small}}
    )
    figure.update_xaxes(tickfont={"size": small}, title={"font": {"size": size}})
    figure.update_yaxes(tickfont={"size": small}, title={"font": {"size": size}})
    return figure


def chart(figure: go.Figure, key: str) -> None:
    st.plotly_chart(figure, key=key, config={"displaylogo": False, "displayModeBar": False})


# --- content (all from the pages' caches) ----------------------------------------------------------------------


def home(footprint: geography.Footprint) -> dict:
    return data.home_content(footprint, data.footprint_signature(footprint))


def inequality(footprint: geography.Footprint) -> dict:
    return profiles.inequalities_content(footprint, data.footprint_signature(footprint))


def prepare_risk(footprint: geography.Footprint) -> None:
    """Generate the ICB's synthetic people and train its risk models if they are not stored yet, showing progress
    while that runs and nothing once it is done (a projected slide keeps no status box). Once per ICB, then reused
    by every page: the Risk stratification page's models are these."""
    working = st.empty()
    with working.container():
        risk_ui.risk_models(footprint.icb_code, seed=synthetic.DEFAULT_SEED)
    working.empty()


def risk_ready(footprint: geography.Footprint) -> bool:
    """Whether the ICB's synthetic people and risk models are stored (checked without loading either)."""
    return population_stored(footprint.icb_code) and risk_ui.models_stored(footprint.icb_code)


def risk(footprint: geography.Footprint) -> dict:
    """The footprint's people by the fitted model's risk tier, exactly as on the Risk stratification page (opted-out
    people excluded), with why the count differs from the residents. Call :func:`prepare_risk` first."""
    person_level = footprint.system if footprint.level == "region" else footprint
    fraction = synthetic.sample_fraction()
    content = risk_ui.pyramid_content(person_level, False, synthetic.DEFAULT_SEED, fraction, risk_ui.MODEL_VERSION)
    counts = synthetic.people_accounting(person_level, synthetic.DEFAULT_SEED, fraction, synthetic.GENERATOR_VERSION)
    note = board_pack.risk_people_note(
        name=content["name"],
        residents=home(person_level)["people"],
        fraction=fraction,
        index_date=f"{INDEX_DATE:%-d %B %Y}",
        registered=person_level.level == "pcn",
        **counts,
    )
    if person_level != footprint:
        note = (
            f"Person-level figures are made for one ICB at a time, so this shows {content['name']}, not the whole "
            f"region. {note}"
        )
    return {"name": content["name"], "risk": content["summary"], "people": content["people"], "note": note}


@dataclass(frozen=True)
class FootprintMaturity:
    """The newest answered maturity self-assessment of the footprint's own organisation, or why none is shown."""

    organisation: str | None = None
    assessment: AssessmentPublic | None = None
    result: AssessmentResult | None = None
    missing: str | None = None  # why no assessment is shown, and how to start one


def footprint_maturity(footprint: geography.Footprint) -> FootprintMaturity:
    """The newest assessment with answers of the footprint's own organisation (see
    :func:`ui.maturity.footprint_organisations`), never another organisation's.

    Read per call from the database (never cached globally). Without one, ``missing`` says so and how to start one.
    """
    lsoa = data.lsoa_for(footprint)
    name, _, _ = maturity_ui.organisation_suggestion(footprint, lsoa)
    if footprint.level == "region":
        region = geography.footprint_name(lsoa, footprint)
        return FootprintMaturity(
            missing=f"Maturity self-assessments are made by an ICB, a place or a neighbourhood, so there is none for "
            f"{region}. Choose one of its ICBs to show that ICB's own assessment."
        )
    with maturity_ui.session() as s:
        organisations = {o.id: o for o in maturity_ui.footprint_organisations(s, footprint, lsoa)}
        assessments = sorted(
            (a for i in organisations for a in repository.list_assessments(s, organisation_id=i)),
            key=lambda a: (a.assessment_date, a.id),
            reverse=True,
        )
        for assessment in assessments:
            result = repository.assessment_results(s, assessment.id)
            if any(c.n for c in result.components):
                return FootprintMaturity(organisations[assessment.organisation_id].name, assessment, result)
    if assessments:
        newest = assessments[0]
        return FootprintMaturity(
            missing=f"Nobody has answered {name}'s maturity self-assessment yet ({newest.title}, "
            f"{newest.assessment_date:%d %B %Y}). Share its questionnaire link from Maturity > Assessments."
        )
    return FootprintMaturity(
        missing=f"{name} has no maturity self-assessment yet. To start one, open Maturity > Assessments with "
        f"{name} chosen as the footprint, add {name} as the organisation if it is not listed, and open an "
        "assessment."
    )


def board_pack_content(footprint: geography.Footprint) -> board_pack.BoardPackContent:
    """The pack's content from the pages' caches; the risk tiers only when the synthetic population is stored."""
    content, unequal = home(footprint), inequality(footprint)
    lsoas = data.lsoas_of(footprint)
    # The fitted model's tiers, as on the slide and the Risk stratification page; the buttons that call this are
    # offered only once they are prepared, so the pack never shows other tiers (or none) by accident.
    risk_content = risk(footprint) if risk_ready(footprint) else None
    maturity = None
    own = footprint_maturity(footprint)
    assessment, result = own.assessment, own.result
    if assessment is not None and result is not None:
        maturity = board_pack.MaturitySummary(
            organisation=own.organisation or "",
            title=assessment.title,
            assessment_date=f"{assessment.assessment_date:%d %B %Y}",
            n_respondents=result.n_respondents,
            overall=(
                result.overall.current,
                result.overall.current_label,
                result.overall.target,
                result.overall.target_label,
            ),
            capabilities=pd.DataFrame(
                [
                    {
                        "capability": c.label,
                        "current": c.current,
                        "current_label": c.current_label,
                        "target": c.target,
                        "target_label": c.target_label,
                        "gap": c.gap,
                    }
                    for c in result.capabilities
                ]
            ),
            components=pd.DataFrame(
                [
                    {
                        "component": c.label,
                        "capability": c.capability_id,
                        "current": c.current,
                        "target": c.target,
                        "gap": c.gap,
                        "agreement": c.agreement.value,
                        "n": c.n,
                    }
                    for c in result.components
                ]
            ),
        )
    level = geography.LEVEL_LABELS.get(footprint.level, footprint.level)
    return board_pack.BoardPackContent(
        name=content["name"],
        footprint_label=f"Footprint: {content['name']} ({level}; {data.geography_version(footprint.geography).label})",
        people=content["people"],
        lsoa_count=content["lsoa_count"],
        narrative=list(content["narrative"]),
        age_structure=content["age_structure"],
        deprivation_profile=content["deprivation_profile"],
        map_lsoas=lsoas[["lsoa21_code", "imd_decile"]],
        map_boundaries=data.boundaries("lsoa"),
        gaps=unequal["gaps"],
        fifths=unequal["fifths"],
        inequality_sentences=[unequal["place_sentence"], *unequal["gap_sentences"]],
        england_gaps=unequal["england_gaps"],
        published_gaps=unequal["published_gaps"],
        risk=risk_content["risk"] if risk_content else None,
        risk_headline=segmentation.risk_headline(risk_content["risk"]) if risk_content else None,
        risk_people=risk_content["people"] if risk_content else None,
        risk_from_model=risk_content is not None,
        risk_note=risk_content["note"] if risk_content else None,
        maturity=maturity,
        maturity_missing=own.missing,
    )


def population_stored(icb_code: str) -> bool:
    """Whether the ICB's synthetic population is already generated (the board pack never generates it)."""
    folder = population_folder(
        icb_code, seed=synthetic.DEFAULT_SEED, fraction=synthetic.sample_fraction(), base=data_dir()
    )
    metadata = read_metadata(folder)
    return metadata is not None and metadata.get("generator_version") == synthetic.GENERATOR_VERSION


def board_pack_buttons(footprint: geography.Footprint) -> None:
    """Download the board pack as PDF or HTML, made when the button is pressed (never on every rerun).

    The pack's risk tiers are the fitted model's, as on the slide: until the ICB's synthetic people and risk model
    are stored, a button prepares them (with progress) before the downloads are offered."""
    if not risk_ready(footprint):
        st.caption(
            "The pack includes the risk tiers from the fitted risk model, as on the 'Who is at risk' slide and the "
            "Risk stratification page. They are prepared once for this ICB (a synthetic population, then the model; "
            "a minute or two) and reused afterwards."
        )
        if st.button("Prepare the board pack", key="board_pack_prepare", icon=":material/build:", width="stretch"):
            prepare_risk(footprint)
            st.rerun()
        return
    stem = f"phm_navigator_board_pack_{footprint.icb_code}"

    def pdf() -> bytes:
        return board_pack.board_pack_pdf(board_pack_content(footprint), attribution=layout.ATTRIBUTION)

    def page() -> str:
        return board_pack.board_pack_html(board_pack_content(footprint), attribution=layout.ATTRIBUTION)

    st.download_button(
        "Board pack (PDF)",
        pdf,
        file_name=f"{stem}.pdf",
        mime="application/pdf",
        key="board_pack_pdf",
        on_click="ignore",
        icon=":material/picture_as_pdf:",
        width="stretch",
    )
    st.download_button(
        "Board pack (HTML)",
        page,
        file_name=f"{stem}.html",
        mime="text/html",
        key="board_pack_html",
        on_click="ignore",
        icon=":material/download:",
        width="stretch",
    )


# --- slides ----------------------------------------------------------------------------------------------------


def title_slide(footprint: geography.Footprint) -> None:
    content = home(footprint)
    st.markdown("<div style='height:10vh'></div>", unsafe_allow_html=True)
    st.title(content["name"])
    st.markdown(
        "## Population health: who lives here, where need is, how unequal, who is at risk, and how mature "
        "our population health management is"
    )
    st.markdown(f"{format_people(content['people'])} residents - {content['lsoa_count']:,} neighbourhoods (LSOAs)")
    st.caption(data.geography_version(footprint.geography).label)
    st.caption("Press the right arrow key or Next to begin. Sources and caveats are on each slide.")


def people_slide(footprint: geography.Footprint) -> None:
    content = home(footprint)
    st.title("Who lives here")
    structure = content["age_structure"]
    left, right = st.columns([2, 3], gap="large")
    with left:
        st.metric("Residents (Census 2021)", format_people(content["people"]))
        for band, label in (("65+", "Aged 65 and over"), ("0-15", "Aged 15 and under")):
            row = structure.loc[structure["band"] == band].iloc[0]
            st.metric(
                label,
                f"{row['share']:.1%}",
                f"{(row['share'] - row['england_share']) * 100:+.1f} points vs England",
                delta_color="off",
                delta_arrow="off",
            )
        st.markdown(" ".join(content["narrative"][:2]))
    with right:
        chart(big(age_structure_figure(structure, name=content["name"]), height=620), "slide_age")
    st.caption("Source: ONS Census 2021 (LSOA 2021), England for comparison.")


def need_slide(footprint: geography.Footprint) -> None:
    content = home(footprint)
    st.title("Where need is")
    profile = content["deprivation_profile"]
    deprived = float(profile.loc[profile["decile"] <= 2, "share"].sum())
    england = float(profile.loc[profile["decile"] <= 2, "england_share"].sum())
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.pydeck_chart(
            data.deprivation_deck(footprint, data.footprint_signature(footprint)), height=px(640), key="slide_map"
        )
        st.caption(
            "National IMD 2025 decile by LSOA: dark red most deprived 10% of England, dark blue least. Dots: "
            "GP practices."
        )
    with right:
        st.metric(
            "Live in England's most deprived fifth",
            f"{deprived:.0%}",
            f"England {england:.0%}",
            delta_color="off",
            delta_arrow="off",
        )
        chart(big(deprivation_profile_figure(profile, name=content["name"]), height=470), "slide_deprivation")
    st.caption("Source: MHCLG English Indices of Deprivation 2025; ONS Census 2021 populations.")


def inequality_slide(footprint: geography.Footprint) -> None:
    content = inequality(footprint)
    st.title("How unequal")
    gaps, england, published = content["gaps"], content["england_gaps"], content["published_gaps"]
    left, right = st.columns([2, 3], gap="large")
    with left:
        for sex, noun in (("Female", "women"), ("Male", "men")):
            gap = gaps[sex]
            if gap["sii"] != gap["sii"]:
                st.metric(f"Life expectancy gap, {noun}", "not measured")
            else:
                st.metric(
                    f"Life expectancy gap, {noun} (slope index)",
                    f"{gap['sii']:.1f} years",
                    f"95% CI {gap['lower']:.1f} to {gap['upper']:.1f}",
                    delta_color="off",
                    delta_arrow="off",
                )
        st.markdown(
            f"**England**, measured the same way: women {england['Female']['sii']:.1f} years, men "
            f"{england['Male']['sii']:.1f} years. **England's published gap** between its most and least deprived "
            f"neighbourhoods ({published['Male'].period}): women {published['Female'].years:.1f} years, men "
            f"{published['Male'].years:.1f} years."
        )
    with right:
        if content["fifths_table"].empty:
            st.info(f"Too few GP practices ({content['practices']}) with published life expectancy to measure the gap.")
        figure = life_expectancy_gap_comparison_figure(gaps, england, published, where=content["name"])
        chart(big(figure, height=560), "slide_gap")
    st.caption(
        "OHID life expectancy at birth by GP practice against practice deprivation (IMD 2019), fifths of registered "
        "patients; slope index of inequality with 95% limits from 10,000 seeded simulations. England is shown "
        f"measured the same way (the fair comparison) and as published: {published['Male'].citation}, "
        "neighbourhoods (LSOAs) in tenths by IMD 2019. Practices mix patients from richer and poorer "
        "neighbourhoods, so the practice-based gap is smaller than the published one."
    )


def risk_slide(footprint: geography.Footprint) -> None:
    st.title("Who is at risk")
    st.warning(
        "SYNTHETIC DATA: modelled people matched to published figures for this ICB, not real patients.",
        icon=":material/science:",
    )
    prepare_risk(footprint)  # progress while the people are generated and the model trained, then nothing
    content = risk(footprint)
    tiers = content["risk"]
    left, right = st.columns([3, 2], gap="large")
    with left:
        chart(big(segmentation.risk_pyramid_figure(tiers), height=540), "slide_pyramid")
    with right:
        headline = segmentation.risk_headline(tiers)
        st.markdown(headline or "The high-risk tier's share is suppressed for this footprint (small numbers).")
        st.markdown("Risk tiers: high (top 5%), rising (next 15%), low (the other 80%).")
        st.caption(content["note"])
    st.caption(
        "Source: PHM Navigator synthetic population (Census 2021 ages, modelled QOF prevalence, life "
        f"expectancy by deprivation). {risk_ui.MODEL_TIERS_NOTE} Counts of 1 to 7 suppressed."
    )


def maturity_slide(footprint: geography.Footprint) -> None:
    st.title("How mature is our population health management")
    own = footprint_maturity(footprint)
    organisation, assessment, result = own.organisation, own.assessment, own.result
    if assessment is None or result is None:
        st.info(own.missing, icon=":material/info:")
        if footprint.level != "region":
            maturity_ui.link_to(
                maturity_ui.ASSESSMENTS_PAGE,
                "Maturity > Assessments for this footprint",
                icon=":material/arrow_outward:",
                query_params=footprint.as_query(),
            )
        return
    columns = st.columns(len(result.capabilities) + 1)
    columns[0].metric(
        "Overall",
        result.overall.current_label or "not rated",
        maturity_ui.score_text(result.overall.current, result.overall.current_label),
        delta_color="off",
        delta_arrow="off",
    )
    for column, capability in zip(columns[1:], result.capabilities, strict=True):
        column.metric(
            capability.label,
            capability.current_label or "not rated",
            f"target {maturity_ui.score_text(capability.target, capability.target_label)}",
            delta_color="off",
            delta_arrow="off",
        )
    radar = big(maturity_figures.radar_figure(result), height=540)
    radar.update_polars(angularaxis_tickfont_size=round(16 * screen_scale()))
    chart(radar, "slide_radar")
    st.caption(
        f"{maturity_ui.escape_markdown(organisation)}: {maturity_ui.escape_markdown(assessment.title)} "
        f"({assessment.assessment_date:%d %b %Y}), "
        f"{result.n_respondents} respondents. Median current stage against median "
        "target, scored 1 (Emerging) to 4 (Thriving)."
    )


SLIDES: tuple[Slide, ...] = (
    Slide("title", "Title", title_slide),
    Slide("people", "Who lives here", people_slide),
    Slide("need", "Where need is", need_slide),
    Slide("inequality", "How unequal", inequality_slide),
    Slide("risk", "Who is at risk", risk_slide),
    Slide("maturity", "How mature is our PHM", maturity_slide),
)


# --- navigation ------------------------------------------------------------------------------------------------


def current_slide() -> int:
    """The slide shown: this session's, else ``?slide=N`` (1-based) from the URL, else the first."""
    if SLIDE_STATE not in st.session_state:
        try:
            wanted = int(st.query_params.get("slide", "1")) - 1
        except ValueError:
            wanted = 0
        st.session_state[SLIDE_STATE] = min(max(wanted, 0), len(SLIDES) - 1)
    return st.session_state[SLIDE_STATE]


def go_to(index: int) -> None:
    """Show slide ``index`` (0-based) and put it in the URL, so a refresh stays on it."""
    st.session_state[SLIDE_STATE] = min(max(index, 0), len(SLIDES) - 1)
    st.query_params["slide"] = str(st.session_state[SLIDE_STATE] + 1)


def step(delta: int) -> None:
    """Move ``delta`` slides from the one shown now (read when the key is pressed, not when the button was drawn:
    a second key press during a redraw moves one slide from where the first one went, never two)."""
    go_to(current_slide() + delta)


def navigation_bar(index: int, footprint: geography.Footprint) -> None:
    """Previous / slide n of N / next (Left and Right arrow keys), the screen size, the board pack, leave."""
    left, middle, right, screen, pack, exit_column = st.columns([2, 2, 2, 2, 2, 1.5], vertical_alignment="center")
    left.button(
        "Previous",
        key="slide_previous",
        icon=":material/arrow_back:",
        on_click=step,
        args=(-1,),
        disabled=index == 0,
        shortcut="Left",
        width="stretch",
    )
    middle.markdown(
        f"<div style='text-align:center'>{index + 1} / {len(SLIDES)} - {SLIDES[index].title}</div>",
        unsafe_allow_html=True,
    )
    right.button(
        "Next",
        key="slide_next",
        icon=":material/arrow_forward:",
        icon_position="right",
        on_click=step,
        args=(1,),
        disabled=index == len(SLIDES) - 1,
        shortcut="Right",
        width="stretch",
    )
    screen.selectbox(
        "Screen",
        list(SCREENS),
        key=SCREEN_STATE,
        label_visibility="collapsed",
        help="Lay the slides out for this projector resolution (16:9)",
    )
    with pack, st.popover("Board pack", icon=":material/description:", width="stretch"):
        board_pack_buttons(footprint)
    with exit_column:
        maturity_ui.link_to("pages/home.py", "Leave", icon=":material/close:")
