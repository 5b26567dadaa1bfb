"""Population segmentation (Bridges to Health) and the high / rising / low risk framing, on person-level records.

Works on the synthetic population or a real extract in the same schema (phm_core.synth.schema). Every summary
counts the people alive at the index date, with their activity and cost in the previous 12 months (year 1),
excludes opted-out people unless asked, and suppresses small numbers with phm_core.stats.suppress. Figures and
maps label the data SYNTHETIC when it is.

Segments follow Bridges to Health (Lynn et al., Milbank Quarterly 2007) as adapted by NHS PHM programmes: each
person is in exactly one segment, the first of ``SEGMENTS`` whose rule they meet (highest need first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pydeck as pdk

from phm_core.geography import LEVEL_COLUMNS, Footprint
from phm_core.maps import colour_range, rate_deck
from phm_core.palettes import NHS_BLUE, NHS_MID_GREY, NHS_PALE_GREY
from phm_core.stats import suppress
from phm_core.synth.schema import INDEX_DATE, activity_column, cost_column

SYNTHETIC_LABEL = "SYNTHETIC"
FONT = "Frutiger, Arial, Helvetica, sans-serif"


# --- segments: the rules, in priority order ---------------------------------------------------------------------

Rule = Callable[[pd.DataFrame], np.ndarray]


def _has(people: pd.DataFrame, column: str) -> np.ndarray:
    return people[column].to_numpy(dtype=bool)


def _end_of_life(people: pd.DataFrame) -> np.ndarray:
    return _has(people, "palliative_care")


def _frailty_and_dementia(people: pd.DataFrame) -> np.ndarray:
    frail = people["frailty"].isin(["moderate", "severe"]).to_numpy()
    return _has(people, "dementia") | frail | _has(people, "care_home")


def _complex_multimorbidity(people: pd.DataFrame) -> np.ndarray:
    organ_failure = _has(people, "heart_failure") | _has(people, "copd")
    admitted = people[activity_column("emergency_admissions", "y1")].to_numpy() > 0
    return (people["ltc_count"].to_numpy() >= 4) | (organ_failure & admitted)


def _disability(people: pd.DataFrame) -> np.ndarray:
    return _has(people, "learning_disability") | _has(people, "smi")


def _maternal_and_infant(people: pd.DataFrame) -> np.ndarray:
    return (people["age"].to_numpy() == 0) | _has(people, "recent_birth")


def _stable_long_term_condition(people: pd.DataFrame) -> np.ndarray:
    return people["ltc_count"].to_numpy() >= 1


def _acute(people: pd.DataFrame) -> np.ndarray:
    admitted = people[activity_column("emergency_admissions", "y1")].to_numpy() > 0
    attended = people[activity_column("ae_attendances", "y1")].to_numpy() > 0
    return admitted | attended


def _healthy(people: pd.DataFrame) -> np.ndarray:
    return np.ones(len(people), dtype=bool)


@dataclass(frozen=True)
class Segment:
    """One segment: its key, the name users see, the rule in words, the rule in code, and its map colour."""

    key: str
    label: str
    rule_text: str
    rule: Rule
    colour: str


#: The segments in priority order: a person is in the first whose rule they meet.
SEGMENTS: tuple[Segment, ...] = (
    Segment("end_of_life", "End of life", "on the palliative care register", _end_of_life, "#330072"),
    Segment(
        "frailty_dementia",
        "Frailty and dementia",
        "dementia, or moderate or severe frailty (eFI), or living in a care home",
        _frailty_and_dementia,
        "#7C2855",
    ),
    Segment(
        "complex_multimorbidity",
        "Complex multimorbidity",
        "4 or more long-term conditions, or heart failure or COPD with an emergency admission in the last year",
        _complex_multimorbidity,
        "#DA291C",
    ),
    Segment(
        "disability",
        "Disability",
        "learning disability or serious mental illness",
        _disability,
        "#ED8B00",
    ),
    Segment(
        "maternal_infant",
        "Maternal and infant",
        "aged under 1, or gave birth in the last year",
        _maternal_and_infant,
        "#AE2573",
    ),
    Segment(
        "stable_ltc",
        "Stable long-term condition",
        "1 to 3 long-term conditions (none of the above)",
        _stable_long_term_condition,
        "#0072CE",
    ),
    Segment(
        "acute",
        "Acute episode",
        "no long-term condition, but an emergency admission or A&E attendance in the last year",
        _acute,
        "#41B6E6",
    ),
    Segment("healthy", "Healthy", "none of the above", _healthy, "#009639"),
)
SEGMENT_KEYS: tuple[str, ...] = tuple(s.key for s in SEGMENTS)
SEGMENT_LABELS: dict[str, str] = {s.key: s.label for s in SEGMENTS}


def assign_segments(people: pd.DataFrame) -> pd.Categorical:
    """The segment of each person: the first of SEGMENTS (highest need first) whose rule they meet."""
    codes = np.full(len(people), -1, dtype=np.int8)
    for position, segment in enumerate(SEGMENTS):
        codes = np.where((codes < 0) & segment.rule(people), position, codes).astype(np.int8)
    return pd.Categorical.from_codes(codes, categories=list(SEGMENT_KEYS))


# --- risk framing -------------------------------------------------------------------------------------------------

RISK_TIERS: tuple[str, ...] = ("high", "rising", "low")
RISK_TIER_LABELS = {"high": "High risk (top 5%)", "rising": "Rising risk (next 15%)", "low": "Low risk (other 80%)"}
#: The PHM risk pyramid: the top 5% are high risk, the next 15% rising (emerging) risk, the rest low.
RISK_TIER_SHARES = (0.05, 0.15)

#: Points of the interim risk score, from the record at the index date and the previous 12 months. A transparent
#: stand-in until a fitted model (risk stratification) supplies a score; its weights are judgements.
RISK_POINTS = {
    "per_year_over_40": 0.04,
    "per_long_term_condition": 0.5,
    "mild": 0.5,
    "moderate": 1.0,
    "severe": 2.0,
    "per_emergency_admission": 1.0,  # up to 3
    "per_ae_attendance": 0.3,  # up to 5
    "palliative_care": 1.5,
    "care_home": 0.8,
    "per_medicine": 0.1,  # up to 15
}


def interim_risk_score(people: pd.DataFrame) -> np.ndarray:
    """A points score for emergency admission risk from the record at the index date (see RISK_POINTS)."""
    points = RISK_POINTS
    frailty = people["frailty"].astype("string")
    score = points["per_year_over_40"] * np.clip(people["age"].to_numpy() - 40, 0, None)
    score = score + points["per_long_term_condition"] * people["ltc_count"].to_numpy()
    for level in ("mild", "moderate", "severe"):
        score = score + points[level] * (frailty == level).fillna(False).to_numpy(dtype=bool)
    score = score + points["per_emergency_admission"] * np.minimum(
        people[activity_column("emergency_admissions", "y1")].to_numpy(), 3
    )
    score = score + points["per_ae_attendance"] * np.minimum(people[activity_column("ae_attendances", "y1")], 5)
    score = score + points["palliative_care"] * _has(people, "palliative_care")
    score = score + points["care_home"] * _has(people, "care_home")
    score = score + points["per_medicine"] * np.minimum(people["medicines"].to_numpy(), 15)
    return np.asarray(score, dtype=np.float64)


def risk_tiers(score: np.ndarray | pd.Series, *, shares: tuple[float, float] = RISK_TIER_SHARES) -> pd.Categorical:
    """High (top ``shares[0]``), rising (next ``shares[1]``) and low risk, by rank of ``score`` (ties by order)."""
    values = np.asarray(score, dtype=np.float64)
    n = len(values)
    order = np.argsort(-values, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    high = int(round(n * shares[0]))
    rising = int(round(n * (shares[0] + shares[1])))
    codes = np.where(rank < high, 0, np.where(rank < rising, 1, 2)).astype(np.int8)
    return pd.Categorical.from_codes(codes, categories=list(RISK_TIERS))


# --- who is counted ----------------------------------------------------------------------------------------------


def index_population(people: pd.DataFrame, *, include_opted_out: bool = False) -> pd.DataFrame:
    """People alive at the index date, without those who opted out (unless ``include_opted_out``)."""
    alive = (people["death_date"].isna() | (people["death_date"] >= pd.Timestamp(INDEX_DATE))).to_numpy()
    keep = alive if include_opted_out else alive & ~_has(people, "opted_out")
    return people.loc[keep]


def add_segments_and_risk(people: pd.DataFrame) -> pd.DataFrame:
    """A copy of the people alive at the index date (opted-out people kept and flagged) with ``segment``,
    ``risk_score`` and ``risk_tier``. Tiers are ranked among everyone alive at the index date."""
    out = index_population(people, include_opted_out=True).copy()
    out["segment"] = assign_segments(out)
    out["risk_score"] = interim_risk_score(out)
    out["risk_tier"] = risk_tiers(out["risk_score"].to_numpy())
    out["age_band"] = age_band(out["age"])
    return out


def select_people(people: pd.DataFrame, footprint: Footprint, lsoas: pd.DataFrame) -> pd.DataFrame:
    """The people of a footprint: residents of its LSOAs, or for a neighbourhood the PCN's registered patients."""
    if footprint.level == "pcn" and footprint.area_code:
        return people.loc[people["pcn_code"].astype("string").to_numpy() == footprint.area_code]
    if footprint.level == "icb":
        return people
    return people.loc[people["lsoa21_code"].isin(lsoas["lsoa21_code"]).to_numpy()]


AGE_BANDS: tuple[tuple[int, int, str], ...] = (
    (0, 15, "0-15"),
    (16, 24, "16-24"),
    (25, 34, "25-34"),
    (35, 49, "35-49"),
    (50, 64, "50-64"),
    (65, 74, "65-74"),
    (75, 84, "75-84"),
    (85, 200, "85+"),
)


def age_band(age: pd.Series | np.ndarray) -> pd.Categorical:
    """Age bands for summaries: 0-15, 16-24, 25-34, 35-49, 50-64, 65-74, 75-84, 85+."""
    starts = np.array([b[0] for b in AGE_BANDS])
    codes = np.searchsorted(starts, np.asarray(age), side="right") - 1
    return pd.Categorical.from_codes(codes.astype(np.int8), categories=[b[2] for b in AGE_BANDS])


# --- summaries ----------------------------------------------------------------------------------------------------

ACTIVITY_MEASURES: dict[str, str] = {
    "gp_contacts": "GP contacts",
    "ae_attendances": "A&E attendances",
    "emergency_admissions": "Emergency admissions",
    "bed_days": "Bed days",
    "ambulance_conveyances": "Ambulance conveyances",
}
COUNT_COLUMNS: tuple[str, ...] = ("people", *ACTIVITY_MEASURES)
DIMENSIONS: dict[str, str] = {
    "imd_quintile": "Deprivation quintile (1 = most deprived fifth of England)",
    "age_band": "Age band",
    "ltla24_code": "Place",
    "pcn_code": "Neighbourhood (PCN)",
    "risk_tier": "Risk tier",
}


def _totals(people: pd.DataFrame, keys: list[str], *, year: str) -> pd.DataFrame:
    frame = people[keys].copy()
    frame["people"] = 1
    for measure in ACTIVITY_MEASURES:
        frame[measure] = people[activity_column(measure, year)].to_numpy(dtype=np.int64)
    frame["cost"] = people[cost_column("total", year)].to_numpy(dtype=np.float64)
    return frame.groupby(keys, observed=False, as_index=False).sum()


def _add_rates(table: pd.DataFrame, total_people: int, total_cost: float) -> pd.DataFrame:
    people = table["people"].astype("Float64")
    table["share_of_people"] = people / total_people if total_people else np.nan
    table["share_of_cost"] = table["cost"].astype("Float64") / total_cost if total_cost else np.nan
    table["cost_per_person"] = table["cost"].astype("Float64") / people.where(people > 0)
    for measure in ACTIVITY_MEASURES:
        table[f"{measure}_per_1000"] = table[measure].astype("Float64") / people.where(people > 0) * 1000
    return table


def _suppress_counts(
    table: pd.DataFrame,
    *,
    group_by: list[list[str]] | None = None,
    people_linked: tuple[str, ...] = (),
    extra: dict[str, tuple[str, ...]] | None = None,
) -> pd.DataFrame:
    """Suppress people and each activity count separately, blanking only what each count would reveal.

    Shares of people and cost and the cost per person go with the people count; each activity's rate per 1,000
    goes with that activity's count (a small number of admissions does not hide how many people there are).
    """
    linked = ("share_of_people", "share_of_cost", "cost", "cost_per_person", *people_linked)
    table = suppress(table, count_columns="people", group_by=group_by, linked_columns=list(linked))
    measures = {measure: (f"{measure}_per_1000",) for measure in ACTIVITY_MEASURES} | (extra or {})
    for measure, rates in measures.items():
        table = suppress(table, count_columns=measure, group_by=group_by, linked_columns=list(rates))
    return table


def segment_summary(people: pd.DataFrame, *, year: str = "y1") -> pd.DataFrame:
    """People, activity and cost by segment (one row per segment, in priority order), small numbers suppressed.

    ``people`` must have a ``segment`` column (see add_segments_and_risk). Counts 1-7 are hidden, and another
    cell with them so the hidden one cannot be recovered from the total; shares and costs are blanked with a
    hidden people count, and each activity rate with its hidden activity count.
    """
    table = _totals(people, ["segment"], year=year)
    table = _add_rates(table, len(people), float(people[cost_column("total", year)].sum()))
    table = _suppress_counts(table)
    table.insert(1, "label", table["segment"].map(SEGMENT_LABELS))
    return table


def risk_summary(people: pd.DataFrame) -> pd.DataFrame:
    """People, activity and cost by risk tier in the last year, and emergency admissions in the next (year 2)."""
    table = _totals(people, ["risk_tier"], year="y1")
    table = _add_rates(table, len(people), float(people[cost_column("total", "y1")].sum()))
    next_year = people.groupby("risk_tier", observed=False)[activity_column("emergency_admissions", "y2")].sum()
    table["emergency_admissions_next_year"] = table["risk_tier"].map(next_year).astype("int64")
    total_next = int(next_year.sum())
    table["share_of_next_year_admissions"] = (
        table["emergency_admissions_next_year"] / total_next if total_next else np.nan
    )
    table = _suppress_counts(table, extra={"emergency_admissions_next_year": ("share_of_next_year_admissions",)})
    table.insert(1, "label", table["risk_tier"].map(RISK_TIER_LABELS))
    return table


def segment_breakdown(
    people: pd.DataFrame, *, dimension: str, names: dict[str, str] | None = None, year: str = "y1"
) -> pd.DataFrame:
    """People, activity and cost by segment x ``dimension`` (deprivation quintile, age band, place, PCN, risk tier).

    Tidy: one row per segment and group, with each group's share of people in the segment (``share_of_group``).
    Suppression protects the totals of each group and of each segment (a two-way table).
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension '{dimension}'; choose one of {', '.join(DIMENSIONS)}")
    groups = people[dimension].astype("string") if dimension in ("ltla24_code", "pcn_code") else people[dimension]
    frame = people.assign(**{dimension: groups})
    table = _totals(frame, [dimension, "segment"], year=year)
    group_people = table.groupby(dimension, observed=False)["people"].transform("sum")
    table = _add_rates(table, len(people), float(people[cost_column("total", year)].sum()))
    table["share_of_group"] = table["people"] / group_people.where(group_people > 0)
    table = _suppress_counts(table, group_by=[[dimension], ["segment"]], people_linked=("share_of_group",))
    table.insert(2, "label", table["segment"].map(SEGMENT_LABELS))
    table.insert(1, "group", table[dimension].astype("string"))
    if names:
        table["group"] = table["group"].map(lambda code: names.get(code, code))
    return table


def people_table(breakdown: pd.DataFrame) -> pd.DataFrame:
    """A breakdown as a wide table: one row per group, one column of people per segment (suppressed = blank)."""
    wide = breakdown.pivot(index="group", columns="segment", values="people")
    groups = list(dict.fromkeys(breakdown["group"].tolist()))
    wide = wide.reindex(index=groups, columns=list(SEGMENT_KEYS))
    wide.columns = [SEGMENT_LABELS[key] for key in wide.columns]
    wide.index.name = None
    return wide


def risk_headline(risk: pd.DataFrame) -> str | None:
    """One sentence on the high-risk tier's share of cost and of next year's admissions (None if suppressed)."""
    high = risk.loc[risk["risk_tier"] == "high"].iloc[0]
    cost, admissions = high["share_of_cost"], high["share_of_next_year_admissions"]
    if pd.isna(cost) or pd.isna(admissions):
        return None
    return (
        f"The **high-risk 5%** account for **{cost:.0%}** of the last year's cost and went on to have "
        f"**{admissions:.0%}** of the next year's emergency admissions."
    )


def segment_rate_by_lsoa(people: pd.DataFrame, *, segment: str) -> pd.DataFrame:
    """For each LSOA: residents counted, residents in ``segment`` and the rate per 100; small counts suppressed."""
    if segment not in SEGMENT_KEYS:
        raise ValueError(f"unknown segment '{segment}'")
    frame = pd.DataFrame(
        {
            "lsoa21_code": people["lsoa21_code"].astype("string").to_numpy(),
            "in_segment": (people["segment"].astype("string") == segment).to_numpy(dtype=bool),
        }
    )
    table = frame.groupby("lsoa21_code", as_index=False).agg(
        people=("in_segment", "size"), in_segment=("in_segment", "sum")
    )
    table["rate_per_100"] = table["in_segment"] / table["people"] * 100
    return suppress(table, count_columns=["in_segment", "people"], linked_columns=["rate_per_100"])


def area_names(lsoa: pd.DataFrame, practices: pd.DataFrame | None = None) -> dict[str, dict[str, str]]:
    """Readable names for place (LAD) and PCN codes, for summaries."""
    places = dict(zip(*(lsoa[c] for c in LEVEL_COLUMNS["place"]), strict=False))
    pcns: dict[str, str] = {}
    if practices is not None:
        pcn = practices.drop_duplicates("pcn_code")
        pcns = dict(zip(pcn["pcn_code"], pcn["pcn_name"], strict=True))
    pcns.setdefault("U", "Not in a PCN")
    return {"ltla24_code": places, "pcn_code": pcns}


# --- figures and map ----------------------------------------------------------------------------------------------


def _style(figure: go.Figure, *, title: str, height: int = 420) -> go.Figure:
    figure.update_layout(
        title={"text": f"{title} ({SYNTHETIC_LABEL})", "x": 0, "font": {"size": 15}},
        font={"family": FONT, "size": 13},
        margin={"l": 10, "r": 10, "t": 44, "b": 10},
        plot_bgcolor="white",
        height=height,
        legend={"orientation": "h", "yanchor": "top", "y": -0.15, "xanchor": "left", "x": 0},
    )
    return figure


def people_and_cost_figure(summary: pd.DataFrame) -> go.Figure:
    """Each segment's share of the people against its share of the cost (the PHM 'few people, much cost' view)."""
    labels = summary["label"].tolist()[::-1]
    figure = go.Figure(
        [
            go.Bar(
                y=labels,
                x=summary["share_of_people"].astype("float64").tolist()[::-1],
                name="Share of people",
                orientation="h",
                marker_color=NHS_MID_GREY,
                hovertemplate="%{y}: %{x:.1%} of people<extra></extra>",
            ),
            go.Bar(
                y=labels,
                x=summary["share_of_cost"].astype("float64").tolist()[::-1],
                name="Share of cost (last 12 months)",
                orientation="h",
                marker_color=NHS_BLUE,
                hovertemplate="%{y}: %{x:.1%} of cost<extra></extra>",
            ),
        ]
    )
    figure.update_layout(
        barmode="group", xaxis={"tickformat": ".0%", "gridcolor": NHS_PALE_GREY, "rangemode": "tozero"}
    )
    return _style(figure, title="People and cost by segment")


def segment_mix_figure(breakdown: pd.DataFrame, *, dimension_label: str) -> go.Figure:
    """Stacked bars: the segment mix of each group (share of the group's people); suppressed cells left out."""
    groups = list(dict.fromkeys(breakdown["group"].tolist()))
    bars = []
    for segment in SEGMENTS:
        rows = breakdown.loc[breakdown["segment"] == segment.key].set_index("group").reindex(groups)
        share = rows["share_of_group"].astype("float64")
        bars.append(
            go.Bar(
                x=groups,
                y=share.tolist(),
                name=segment.label,
                marker_color=segment.colour,
                customdata=rows["people"].astype("float64").tolist(),
                hovertemplate="%{x}<br>" + segment.label + ": %{y:.1%} (%{customdata:,.0f} people)<extra></extra>",
            )
        )
    shown = breakdown.groupby("group", sort=False)["share_of_group"].sum().reindex(groups).astype("float64")
    hidden = (1 - shown).clip(lower=0).where(lambda x: x > 1e-9, 0.0)
    if hidden.gt(0).any():
        # Suppressed cells together: their total is already implied by the group's other cells, so it is shown.
        bars.append(
            go.Bar(
                x=groups,
                y=hidden.tolist(),
                name="Suppressed (small numbers)",
                marker_color=NHS_PALE_GREY,
                marker_line={"color": NHS_MID_GREY, "width": 0.5},
                hovertemplate="%{x}<br>Suppressed cells together: %{y:.1%}<extra></extra>",
            )
        )
    figure = go.Figure(bars)
    figure.update_layout(
        barmode="stack",
        yaxis={"tickformat": ".0%", "title": "Share of people", "range": [0, 1], "gridcolor": NHS_PALE_GREY},
        xaxis={"title": dimension_label, "type": "category", "automargin": True},
        legend={"orientation": "h", "yanchor": "top", "y": -0.3, "x": 0},
    )
    return _style(figure, title=f"Segments by {dimension_label.split(' (')[0].lower()}", height=480)


#: Width of a character of the figure's text as a share of the font size (Arial digits and lower case, generous).
CHARACTER_WIDTH = 0.6


def risk_pyramid_figure(summary: pd.DataFrame) -> go.Figure:
    """The PHM risk pyramid: high, rising and low risk tiers with their people and share of cost.

    The high and rising tiers' bars are narrow (5% and 15% of the people), so their labels sit to the right of the
    bar; they are not clipped at the plot area, and the right margin holds the longest label, so it is shown whole
    however narrow the column (2,785,358 people in the largest ICB's low tier).
    """
    labels = [RISK_TIER_LABELS[t].replace(" (", "<br>(") for t in RISK_TIERS]  # two lines: more room for the bars
    rows = summary.set_index("risk_tier").reindex(list(RISK_TIERS))
    people = rows["people"].astype("float64").fillna(0)
    share_cost = rows["share_of_cost"].astype("float64")
    lines = [
        [f"{p:,.0f} people", f"{c:.0%} of cost"] if pd.notna(c) else [f"{p:,.0f} people"]
        for p, c in zip(people, share_cost, strict=True)
    ]
    figure = go.Figure(
        go.Funnel(
            y=labels,
            x=people.tolist(),
            text=["<br>".join(line) for line in lines],
            textinfo="text",
            textposition=["outside", "outside", "inside"],
            insidetextanchor="middle",
            cliponaxis=False,
            marker={"color": ["#DA291C", "#FFB81C", "#009639"]},
            connector={"line": {"color": NHS_PALE_GREY}},
            hovertemplate="%{y}: %{x:,.0f} people<extra></extra>",
        )
    )
    figure = _style(figure, title="Risk pyramid", height=340)
    size = figure.layout.font.size
    longest = max(len(text) for line in lines[:2] for text in line)
    figure.update_layout(margin={"r": round(longest * CHARACTER_WIDTH * size) + 12})
    figure.update_yaxes(automargin=True)
    return figure


def segment_deck(rates: pd.DataFrame, lsoas: pd.DataFrame, boundaries: gpd.GeoDataFrame, *, segment: str) -> pdk.Deck:
    """Where a segment lives: LSOAs coloured by the share of residents in it; suppressed LSOAs in grey."""
    shapes = boundaries.merge(lsoas[["lsoa21_code", "lsoa21_name"]], on="lsoa21_code", how="inner")
    shapes = shapes.merge(rates, on="lsoa21_code", how="left")
    low, high = colour_range(shapes)
    areas = [
        (row.lsoa21_name, geometry.__geo_interface__, row.rate_per_100, row.in_segment)
        for row, geometry in zip(shapes.itertuples(index=False), shapes.geometry.values, strict=True)
    ]
    return rate_deck(
        areas,
        low=low,
        high=high,
        decimals=1,
        layer_id="segment-rate",
        tooltip_html=f"<b>{{name}}</b><br/>{SEGMENT_LABELS[segment]} ({SYNTHETIC_LABEL}): {{rate}}<br/>"
        "People in segment: {count}",
        bounds=shapes.total_bounds if len(shapes) else (-2, 51, 1, 53),
    )
