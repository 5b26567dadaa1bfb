"""Charts of maturity results: Plotly figures for the pages and small inline SVG charts for the printable report.

Every function is pure: it takes scored results (:class:`~maturity.scoring.AssessmentResult`) or the long tables of
:func:`maturity.repository.history` / :func:`maturity.repository.compare` and returns a ``go.Figure`` or an SVG
string. Nothing here touches Streamlit or the database.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from maturity.framework import Framework
from maturity.scoring import AssessmentResult, gap_analysis
from phm_core.palettes import (
    NHS_BLUE,
    NHS_BRIGHT_BLUE,
    NHS_DARK_BLUE,
    NHS_DARK_GREY,
    NHS_LIGHT_BLUE,
    NHS_MID_GREY,
    NHS_PALE_GREY,
    NHS_WARM_YELLOW,
)

FONT = "Frutiger, Arial, Helvetica, sans-serif"
NHS_GREEN = "#007F3B"  # NHS identity green: the target marks (as in the printable report)
NHS_TEXT = "#212B32"
CURRENT_COLOUR = NHS_DARK_BLUE
TARGET_COLOUR = NHS_GREEN
#: Capability line colours in the trend chart (the overall score is drawn in black).
CAPABILITY_COLOURS: tuple[str, ...] = (NHS_BLUE, NHS_LIGHT_BLUE, NHS_WARM_YELLOW, NHS_MID_GREY, NHS_DARK_GREY)
#: Respondents choosing a stage: white (none) to NHS blue (everyone).
COUNT_SCALE = [[0.0, "#FFFFFF"], [1.0, NHS_BLUE]]
#: A score on the 1-4 scale: pale (Emerging) to dark blue (Thriving).
STAGE_SCALE = [[0.0, NHS_PALE_GREY], [1 / 3, NHS_LIGHT_BLUE], [2 / 3, NHS_BRIGHT_BLUE], [1.0, NHS_DARK_BLUE]]


def _layout(figure: go.Figure, *, title: str, height: int, **layout: object) -> go.Figure:
    figure.update_layout(
        title={"text": title, "x": 0, "font": {"size": 16}},
        font={"family": FONT, "size": 13, "color": NHS_TEXT},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        plot_bgcolor="white",
        height=height,
        **layout,
    )
    return figure


def _stage_axis(framework: Framework, *, with_zero: bool = False, pad: float = 0.3) -> dict:
    """An axis on the 1-4 scale labelled with the stage names."""
    low = 0 if with_zero else framework.min_score - pad
    return {
        "range": [low, framework.max_score + pad],
        "tickvals": [s.score for s in framework.stages],
        "ticktext": [f"{s.label} ({s.score})" for s in framework.stages],
        "gridcolor": NHS_PALE_GREY,
        "zeroline": False,
    }


def _wrap(text: str, width: int = 60) -> str:
    return "<br>".join(textwrap.wrap(html.escape(text), width=width))


def _number(value: float | None) -> str:
    return "-" if value is None or pd.isna(value) else f"{value:.2f}".rstrip("0").rstrip(".")


def matrix_figure(result: AssessmentResult) -> go.Figure:
    """The maturity matrix as a coloured grid: components down, stages across.

    Cell colour and the small number in each cell are how many respondents chose that stage as current. A dark
    circle marks the median current stage and a green diamond the median target stage (a median between two
    stages sits on the line between them). Hovering over a cell shows the stage descriptor.
    """
    framework = result.framework
    stages = framework.stages
    rows = list(result.components)
    y = list(range(len(rows)))
    labels = [r.label for r in rows]
    counts = [list(r.counts) for r in rows]
    descriptors = [[_wrap(framework.component(r.component_id).descriptors[s.score]) for s in stages] for r in rows]
    top = max(result.n_respondents, max((max(c) for c in counts), default=0), 1)
    figure = go.Figure()
    figure.add_trace(
        go.Heatmap(
            x=[s.score for s in stages],
            y=y,
            z=counts,
            zmin=0,
            zmax=top,
            colorscale=COUNT_SCALE,
            xgap=2,
            ygap=2,
            customdata=descriptors,
            name="Respondents",
            showscale=False,
            hovertemplate="%{z} respondent(s) chose this stage<br><br>%{customdata}<extra></extra>",
        )
    )
    annotations = []
    for row, r in zip(y, rows, strict=True):
        for stage, count in zip(stages, r.counts, strict=True):
            if count:
                annotations.append(
                    {
                        "x": stage.score + 0.45,
                        "y": row - 0.42,
                        "text": str(count),
                        "showarrow": False,
                        "xanchor": "right",
                        "yanchor": "top",
                        "font": {"size": 11, "color": "#FFFFFF" if count / top > 0.55 else NHS_DARK_GREY},
                    }
                )
    current = [(row, r) for row, r in zip(y, rows, strict=True) if r.current is not None]
    figure.add_trace(
        go.Scatter(
            x=[r.current for _, r in current],
            y=[row for row, _ in current],
            mode="markers",
            name="Current (median)",
            marker={"symbol": "circle", "size": 14, "color": CURRENT_COLOUR, "line": {"color": "#FFFFFF", "width": 2}},
            customdata=[[r.label, r.current_label, r.agreement.value, r.n] for _, r in current],
            hovertemplate="%{customdata[0]}: current %{x} (%{customdata[1]}), %{customdata[3]} rating(s), "
            "%{customdata[2]}<extra></extra>",
        )
    )
    target = [(row, r) for row, r in zip(y, rows, strict=True) if r.target is not None]
    figure.add_trace(
        go.Scatter(
            x=[r.target for _, r in target],
            y=[row for row, _ in target],
            mode="markers",
            name="Target (median)",
            marker={"symbol": "diamond-open", "size": 22, "color": TARGET_COLOUR, "line": {"width": 3}},
            customdata=[
                [r.label, r.target_label, r.target_by.isoformat() if r.target_by else "no date"] for _, r in target
            ],
            hovertemplate="%{customdata[0]}: target %{x} (%{customdata[1]}) by %{customdata[2]}<extra></extra>",
        )
    )
    # Capability bands: a line between capabilities and the capability's name on the right.
    start = 0
    for capability in framework.capabilities:
        size = len(capability.components)
        if start:
            figure.add_hline(y=start - 0.5, line={"color": NHS_DARK_GREY, "width": 2})
        annotations.append(
            {
                "x": 1.0,
                "xref": "paper",
                "xanchor": "left",
                "xshift": 6,
                "y": start + (size - 1) / 2,
                "text": f"<b>{html.escape(capability.label)}</b>",
                "showarrow": False,
                "textangle": 90,
                "font": {"color": NHS_DARK_BLUE},
            }
        )
        start += size
    _layout(
        figure,
        title="The maturity matrix",
        height=120 + 46 * len(rows),
        xaxis={**_stage_axis(framework, pad=0.5), "side": "top", "showgrid": False, "fixedrange": True},
        yaxis={
            "tickvals": y,
            "ticktext": labels,
            "autorange": "reversed",
            "showgrid": False,
            "zeroline": False,
            "fixedrange": True,
        },
        annotations=annotations,
    )
    figure.update_layout(
        margin={"l": 10, "r": 40, "t": 90, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.07, "xanchor": "left", "x": 0},
        title={"y": 0.99, "yanchor": "top"},
    )
    return figure


def capability_figure(result: AssessmentResult, capability_id: str) -> go.Figure:
    """One capability's components: median current stage as bars (with the interquartile range) and the target."""
    capability = result.framework.capability(capability_id)
    rows = [result.component(c.id) for c in capability.components]
    labels = ["<br>".join(textwrap.wrap(r.label, width=26)) for r in rows]
    figure = go.Figure(
        [
            go.Bar(
                y=labels,
                x=[r.current for r in rows],
                orientation="h",
                name="Current (median)",
                marker_color=NHS_BLUE,
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [None if r.q3 is None else r.q3 - r.current for r in rows],
                    "arrayminus": [None if r.q1 is None else r.current - r.q1 for r in rows],
                    "color": NHS_DARK_GREY,
                    "thickness": 1.5,
                },
                customdata=[[r.current_label or "not rated", r.n, r.agreement.value] for r in rows],
                hovertemplate="%{y}: %{x} (%{customdata[0]}), %{customdata[1]} rating(s), %{customdata[2]}"
                "<extra>Current</extra>",
            ),
            go.Scatter(
                y=labels,
                x=[r.target for r in rows],
                mode="markers",
                name="Target (median)",
                marker={
                    "symbol": "diamond",
                    "size": 14,
                    "color": TARGET_COLOUR,
                    "line": {"color": "#FFFFFF", "width": 1},
                },
                hovertemplate="%{y}: target %{x}<extra>Target</extra>",
            ),
        ]
    )
    return _layout(
        figure,
        title=capability.label,
        height=130 + 48 * len(rows),
        xaxis=_stage_axis(result.framework, with_zero=True),
        yaxis={"autorange": "reversed", "automargin": True},
        bargap=0.35,
    )


def radar_figure(result: AssessmentResult) -> go.Figure:
    """Every component on one radar: median current stage against median target stage."""
    framework = result.framework
    rows = list(result.components)
    theta = ["<br>".join(textwrap.wrap(r.label, width=18)) for r in rows]

    def closed(values: list) -> list:
        return [*values, values[0]] if values else values

    figure = go.Figure(
        [
            go.Scatterpolar(
                r=closed([r.target for r in rows]),
                theta=closed(theta),
                name="Target (median)",
                line={"color": TARGET_COLOUR, "dash": "dash"},
                hovertemplate="%{theta}: target %{r}<extra></extra>",
            ),
            go.Scatterpolar(
                r=closed([r.current for r in rows]),
                theta=closed(theta),
                name="Current (median)",
                fill="toself",
                fillcolor="rgba(0, 94, 184, 0.25)",
                line={"color": NHS_BLUE},
                hovertemplate="%{theta}: current %{r}<extra></extra>",
            ),
        ]
    )
    _layout(figure, title="All components", height=520)
    figure.update_layout(
        polar={
            "radialaxis": {
                "range": [0, framework.max_score],
                "tickvals": [s.score for s in framework.stages],
                "ticktext": [str(s.score) for s in framework.stages],
                "tickfont": {"size": 10, "color": NHS_MID_GREY},
                "angle": 90 - 180 / max(len(rows), 1),
                "tickangle": 90 - 180 / max(len(rows), 1),
                "gridcolor": NHS_PALE_GREY,
            },
            "angularaxis": {
                "tickfont": {"size": 11},
                "gridcolor": NHS_PALE_GREY,
                "direction": "clockwise",
                "rotation": 90,
            },
        },
        margin={"l": 90, "r": 90, "t": 90, "b": 40},
    )
    return figure


def gap_figure(result: AssessmentResult) -> go.Figure:
    """Components with a gap (median target above median current stage), largest gap at the top."""
    rows = gap_analysis(result)
    figure = go.Figure(
        go.Bar(
            y=[r.label for r in rows],
            x=[r.gap for r in rows],
            orientation="h",
            marker_color=[NHS_WARM_YELLOW if r.agreement.value == "uncertain" else NHS_BLUE for r in rows],
            customdata=[[r.current_label, r.target_label, r.agreement.value] for r in rows],
            hovertemplate="%{y}: gap %{x} stage(s), %{customdata[0]} to %{customdata[1]} (%{customdata[2]})"
            "<extra></extra>",
            name="Gap",
        )
    )
    return _layout(
        figure,
        title="Gap to target (stages)",
        height=max(200, 110 + 36 * len(rows)),
        xaxis={"title": "Median target minus median current stage", "gridcolor": NHS_PALE_GREY, "rangemode": "tozero"},
        yaxis={"autorange": "reversed", "automargin": True},
        showlegend=False,
    )


def history_figure(history: pd.DataFrame, framework: Framework) -> go.Figure:
    """Overall and capability scores of one organisation's assessments over time (from ``repository.history``)."""
    figure = go.Figure()
    if history.empty:
        return _layout(figure, title="Scores over time", height=380, yaxis=_stage_axis(framework))
    rows = history.loc[history["level"].isin(["overall", "capability"])].sort_values(
        ["assessment_date", "assessment_id"]
    )
    capability_ids = list(dict.fromkeys(rows.loc[rows["level"] == "capability", "capability_id"]))
    series = [("overall", None, "Overall", NHS_TEXT, 3.5)]
    for index, capability_id in enumerate(capability_ids):
        label = rows.loc[rows["capability_id"] == capability_id, "label"].iloc[-1]
        series.append(("capability", capability_id, label, CAPABILITY_COLOURS[index % len(CAPABILITY_COLOURS)], 2.0))
    for level, capability_id, label, colour, width in series:
        part = rows.loc[rows["level"] == level]
        if capability_id is not None:
            part = part.loc[part["capability_id"] == capability_id]
        figure.add_trace(
            go.Scatter(
                x=[pd.Timestamp(d) for d in part["assessment_date"]],
                y=[None if pd.isna(v) else float(v) for v in part["current"]],
                mode="lines+markers",
                name=label,
                line={"color": colour, "width": width},
                marker={"size": 9},
                customdata=list(zip(part["title"], part["n_respondents"], strict=True)),
                hovertemplate=f"{html.escape(label)}: %{{y:.2f}}<br>%{{customdata[0]}} (%{{x|%d %b %Y}}), "
                "%{customdata[1]} respondent(s)<extra></extra>",
            )
        )
    overall = rows.loc[rows["level"] == "overall"]
    if overall["target"].notna().any():
        figure.add_trace(
            go.Scatter(
                x=[pd.Timestamp(d) for d in overall["assessment_date"]],
                y=[None if pd.isna(v) else float(v) for v in overall["target"]],
                mode="lines+markers",
                name="Overall target",
                line={"color": TARGET_COLOUR, "dash": "dash", "width": 2},
                marker={"symbol": "diamond", "size": 9},
                hovertemplate="Overall target: %{y:.2f} (%{x|%d %b %Y})<extra></extra>",
            )
        )
    days = sorted({pd.Timestamp(d) for d in rows["assessment_date"]})
    ticks = {"tickvals": days, "ticktext": [f"{d:%d %b %Y}" for d in days]} if len(days) <= 8 else {}
    return _layout(
        figure,
        title="Scores over time (median current stage, mean per capability)",
        height=400,
        yaxis=_stage_axis(framework),
        xaxis={"title": "Assessment date", "gridcolor": NHS_PALE_GREY, "tickformat": "%d %b %Y", **ticks},
    )


def comparison_figure(comparison: pd.DataFrame, framework: Framework) -> go.Figure:
    """Organisations side by side (from ``repository.compare``): median current stage of every component.

    Rows are the components in framework order followed by the capability and overall scores; columns are the
    organisations (each at its latest assessment). Blank cells were not rated.
    """
    figure = go.Figure()
    if comparison.empty:
        return _layout(figure, title="Comparison between organisations", height=300)
    frame = comparison.copy()
    frame["column"] = [
        f"{organisation}<br>{pd.Timestamp(day):%d %b %Y}"
        for organisation, day in zip(frame["organisation"], frame["assessment_date"], strict=True)
    ]
    columns = list(dict.fromkeys(frame["column"]))
    components = frame.loc[frame["level"] == "component"].drop_duplicates("component_id").sort_values("order")
    capabilities = frame.loc[frame["level"] == "capability"].drop_duplicates("capability_id").sort_values("order")
    row_keys: list[tuple[str, str | None]] = [("component", cid) for cid in components["component_id"]]
    row_labels = list(components["label"])
    row_keys += [("capability", cid) for cid in capabilities["capability_id"]]
    row_labels += [f"<b>{html.escape(label)}</b>" for label in capabilities["label"]]
    row_keys.append(("overall", None))
    row_labels.append("<b>Overall</b>")
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    for level, key in row_keys:
        part = frame.loc[frame["level"] == level]
        if level == "component":
            part = part.loc[part["component_id"] == key]
        elif level == "capability":
            part = part.loc[part["capability_id"] == key]
        values = dict(zip(part["column"], part["current"], strict=True))
        row = [None if pd.isna(values.get(c)) else float(values[c]) for c in columns]
        z.append(row)
        text.append([_number(v) if v is not None else "" for v in row])
    figure.add_trace(
        go.Heatmap(
            x=columns,
            y=row_labels,
            z=z,
            text=text,
            texttemplate="%{text}",
            zmin=framework.min_score,
            zmax=framework.max_score,
            colorscale=STAGE_SCALE,
            xgap=2,
            ygap=2,
            colorbar={
                "title": {"text": "Current<br>stage", "side": "top"},
                "tickvals": [s.score for s in framework.stages],
                "ticktext": [s.label for s in framework.stages],
                "thickness": 12,
            },
            hovertemplate="%{y}<br>%{x}: %{z:.2f}<extra></extra>",
        )
    )
    _layout(
        figure,
        title="Comparison between organisations (latest assessment of each)",
        height=170 + 32 * len(row_labels),
        xaxis={"side": "top", "fixedrange": True},
        yaxis={"autorange": "reversed", "fixedrange": True, "automargin": True},
    )
    figure.update_layout(margin={"l": 10, "r": 10, "t": 110, "b": 10}, title={"y": 0.99, "yanchor": "top"})
    return figure


# --- inline SVG for the printable report -------------------------------------------------------------------------


def scores_svg(
    rows: Sequence[tuple[str, float | None, float | None]],
    framework: Framework,
    *,
    title: str,
    width: int = 900,
) -> str:
    """A horizontal bar chart as inline SVG: one bar per (label, current, target) row, the target as a diamond.

    Self-contained (no scripts, no fonts to fetch), so the downloaded report prints the same offline.
    """
    e = html.escape
    label_width, right, row_height, top = 330, 20, 28, 46
    plot_width = width - label_width - right
    height = top + row_height * len(rows) + 30
    top_score = framework.max_score

    def x_of(value: float) -> float:
        return label_width + plot_width * value / top_score

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Arial, sans-serif" font-size="12">',
        f"<title>{e(title)}</title>",
        f'<text x="0" y="16" font-size="14" font-weight="bold" fill="{NHS_DARK_BLUE}">{e(title)}</text>',
    ]
    for stage in framework.stages:
        x = x_of(stage.score)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{top + row_height * len(rows)}" '
            f'stroke="{NHS_PALE_GREY}" stroke-width="1"/>'
            f'<text x="{x:.1f}" y="{top - 10}" text-anchor="end" fill="{NHS_DARK_GREY}">{e(stage.label)}</text>'
        )
    for index, (label, current, target) in enumerate(rows):
        y = top + row_height * index
        parts.append(
            f'<text x="{label_width - 8}" y="{y + row_height / 2 + 4:.1f}" text-anchor="end" fill="{NHS_TEXT}">'
            f"{e(label)}</text>"
        )
        if current is not None and not pd.isna(current):
            parts.append(
                f'<rect x="{label_width}" y="{y + 6}" width="{x_of(current) - label_width:.1f}" '
                f'height="{row_height - 12}" fill="{NHS_BLUE}"><title>{e(label)}: current {_number(current)}</title>'
                "</rect>"
            )
        if target is not None and not pd.isna(target):
            cx, cy = x_of(target), y + row_height / 2
            points = f"{cx:.1f},{cy - 8:.1f} {cx + 8:.1f},{cy:.1f} {cx:.1f},{cy + 8:.1f} {cx - 8:.1f},{cy:.1f}"
            parts.append(
                f'<polygon points="{points}" '
                f'fill="{TARGET_COLOUR}" stroke="#FFFFFF"><title>{e(label)}: target {_number(target)}</title></polygon>'
            )
    legend_y = top + row_height * len(rows) + 20
    parts.append(
        f'<rect x="{label_width}" y="{legend_y - 10}" width="14" height="10" fill="{NHS_BLUE}"/>'
        f'<text x="{label_width + 20}" y="{legend_y}" fill="{NHS_TEXT}">Current (median)</text>'
        f'<polygon points="{label_width + 146},{legend_y - 11} {label_width + 152},{legend_y - 5} '
        f'{label_width + 146},{legend_y + 1} {label_width + 140},{legend_y - 5}" fill="{TARGET_COLOUR}"/>'
        f'<text x="{label_width + 160}" y="{legend_y}" fill="{NHS_TEXT}">Target (median)</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def report_charts_html(result: AssessmentResult) -> str:
    """The charts section of the printable report: capability scores and every component, as inline SVG."""
    capability_rows = [(c.label, c.current, c.target) for c in result.capabilities]
    capability_rows.append(("Overall", result.overall.current, result.overall.target))
    component_rows = [(r.label, r.current, r.target) for r in result.components]
    return (
        '<section class="charts"><h2>Charts</h2>'
        + scores_svg(capability_rows, result.framework, title="Capabilities: current and target")
        + "<br>"
        + scores_svg(component_rows, result.framework, title="Components: current and target")
        + "</section>"
    )
