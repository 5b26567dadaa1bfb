"""Plotly figure builders for the pages. Each returns a ``go.Figure`` and never touches Streamlit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from phm_core.palettes import DEPRIVATION_DECILE_COLOURS, NHS_BLUE, NHS_MID_GREY

FONT = "Frutiger, Arial, Helvetica, sans-serif"
SPINE_TOP_MARGIN = 100  # the chart title (16 px), "England" and "< Worse | Better >" (12 px each) one above another
SPINE_BOTTOM_MARGIN = 80  # the legend, wrapped onto up to three rows on a phone


def _layout(figure: go.Figure, *, title: str, y_title: str, x_title: str) -> go.Figure:
    figure.update_layout(
        title={"text": title, "x": 0, "font": {"size": 16}},
        font={"family": FONT, "size": 13},
        barmode="group",
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.22, "xanchor": "left", "x": 0},
        yaxis={"title": y_title, "tickformat": ".0%", "gridcolor": "#E8EDEE", "rangemode": "tozero"},
        xaxis={"title": x_title, "type": "category"},
        plot_bgcolor="white",
        height=380,
    )
    return figure


def age_structure_figure(structure: pd.DataFrame, *, name: str) -> go.Figure:
    """Share of residents in each age band, footprint against England."""
    figure = go.Figure(
        [
            go.Bar(
                x=structure["band"],
                y=structure["share"],
                name=name,
                marker_color=NHS_BLUE,
                customdata=structure["people"],
                hovertemplate="%{x}: %{y:.1%} (%{customdata:,} people)<extra>" + name + "</extra>",
            ),
            go.Bar(
                x=structure["band"],
                y=structure["england_share"],
                name="England",
                marker_color=NHS_MID_GREY,
                hovertemplate="%{x}: %{y:.1%}<extra>England</extra>",
            ),
        ]
    )
    return _layout(figure, title="Age structure (Census 2021)", y_title="Share of residents", x_title="Age band")


def deprivation_profile_figure(profile: pd.DataFrame, *, name: str) -> go.Figure:
    """Share of residents in each national IMD 2025 decile, footprint bars coloured by decile, England as a line."""
    labels = [str(d) for d in profile["decile"]]
    figure = go.Figure(
        [
            go.Bar(
                x=labels,
                y=profile["share"],
                name=name,
                marker_color=list(DEPRIVATION_DECILE_COLOURS),
                marker_line={"color": "#425563", "width": 0.5},
                customdata=profile["people"],
                hovertemplate="Decile %{x}: %{y:.1%} (%{customdata:,} people)<extra>" + name + "</extra>",
            ),
            go.Scatter(
                x=labels,
                y=profile["england_share"],
                name="England",
                mode="lines+markers",
                line={"color": "#212B32", "dash": "dash"},
                hovertemplate="Decile %{x}: %{y:.1%}<extra>England</extra>",
            ),
        ]
    )
    return _layout(
        figure,
        title="People by national deprivation decile (IMD 2025)",
        y_title="Share of residents",
        x_title="National IMD 2025 decile (1 = most deprived 10%)",
    )


def plotly_config(filename: str) -> dict:
    """Chart options: the camera button saves a PNG under a meaningful name; no Plotly logo."""
    return {"displaylogo": False, "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2}}


def life_expectancy_trend_figure(series: pd.DataFrame, *, names: dict[str, str], title: str) -> go.Figure:
    """Life expectancy by place over time (one line per place) with England as a dashed line."""
    from phm_core.profiles import CATEGORICAL

    figure = go.Figure()
    for index, (code, group) in enumerate(series.groupby("ltla24_code")):
        group = group.sort_values("year")
        figure.add_trace(
            go.Scatter(
                x=group["year"],
                y=group["value"],
                name=names.get(code, code),
                mode="lines+markers",
                line={"color": CATEGORICAL[index % len(CATEGORICAL)]},
                hovertemplate="%{x}: %{y:.1f} years<extra>" + names.get(code, code) + "</extra>",
            )
        )
    england = series.drop_duplicates("year").sort_values("year")
    figure.add_trace(
        go.Scatter(
            x=england["year"],
            y=england["england"],
            name="England",
            mode="lines",
            line={"color": "#212B32", "dash": "dash", "width": 3},
            hovertemplate="%{x}: %{y:.1f} years<extra>England</extra>",
        )
    )
    figure.update_layout(
        title={"text": title, "x": 0, "font": {"size": 16}},
        font={"family": FONT, "size": 13},
        yaxis={"title": "Life expectancy at birth (years)", "gridcolor": "#E8EDEE"},
        xaxis={"title": "Year", "dtick": 1},
        legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0},
        plot_bgcolor="white",
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        height=440,
    )
    return figure


def life_expectancy_gap_figure(fifths: dict[str, pd.DataFrame], gaps: dict[str, dict], *, where: str) -> go.Figure:
    """Life expectancy by fifth of practice deprivation, women and men, with 95% limits and the gap marked.

    The bars start at zero years (the differences between fifths are in the legend's gap and the hover)."""
    colours = {"Female": NHS_BLUE, "Male": "#E69F00"}
    labels = {1: "1 most deprived", 2: "2", 3: "3", 4: "4", 5: "5 least deprived"}
    figure = go.Figure()
    for sex, frame in fifths.items():
        if frame.empty:
            continue
        gap = gaps[sex]
        name = f"{sex}: gap {gap['sii']:.1f} years ({gap['lower']:.1f} to {gap['upper']:.1f})"
        figure.add_trace(
            go.Bar(
                x=[labels[int(f)] for f in frame["fifth"]],
                y=frame["life_expectancy"],
                error_y={"type": "data", "array": 1.96 * frame["se"], "visible": True, "color": "#425563"},
                name=name,
                marker_color=colours.get(sex, NHS_MID_GREY),
                customdata=frame[["practices", "list_size"]],
                hovertemplate=(
                    "Fifth %{x}: %{y:.1f} years<br>%{customdata[0]} practices, %{customdata[1]:,} patients"
                    "<extra>" + sex + "</extra>"
                ),
            )
        )
    figure.update_layout(
        title={"text": f"Life expectancy by deprivation of GP practice, {where}", "x": 0, "font": {"size": 16}},
        font={"family": FONT, "size": 13},
        barmode="group",
        yaxis={"title": "Life expectancy at birth (years)", "rangemode": "tozero", "gridcolor": "#E8EDEE"},
        xaxis={"title": "Fifth of registered patients by practice deprivation (IMD 2019)", "type": "category"},
        legend={"orientation": "h", "yanchor": "top", "y": -0.25, "x": 0},
        plot_bgcolor="white",
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        height=440,
    )
    return figure


def life_expectancy_gap_comparison_figure(
    gaps: dict[str, dict], england: dict[str, dict], published: dict, *, where: str
) -> go.Figure:
    """The footprint's life expectancy gap beside England's: by the same practice method (like for like, with 95%
    limits) and ONS's published gap between neighbourhoods (``published``: sex -> ``PublishedGap``).

    Horizontal bars from zero years, women and men; a gap that could not be measured has no bar."""
    sexes = {"Female": "Women", "Male": "Men"}
    period = next(iter(published.values())).period if published else ""
    series = (
        (where, gaps, NHS_BLUE),
        ("England, same practice method", england, NHS_MID_GREY),
    )
    figure = go.Figure()
    for name, values, colour in series:
        sii = [float(values[s]["sii"]) if s in values else float("nan") for s in sexes]
        half = [
            (float(values[s]["upper"]) - float(values[s]["lower"])) / 2 if s in values else float("nan") for s in sexes
        ]
        lower = [float(values[s]["lower"]) if s in values else float("nan") for s in sexes]
        upper = [float(values[s]["upper"]) if s in values else float("nan") for s in sexes]
        figure.add_trace(
            go.Bar(
                x=sii,
                y=list(sexes.values()),
                orientation="h",
                name=name,
                marker_color=colour,
                texttemplate="%{x:.1f}",
                textposition="inside",
                insidetextanchor="start",
                error_x={"type": "data", "array": half, "visible": True, "color": "#425563"},
                customdata=np.column_stack([lower, upper]),
                hovertemplate="%{y}: %{x:.1f} years (95% CI %{customdata[0]:.1f} to %{customdata[1]:.1f})"
                "<extra>" + name + "</extra>",
            )
        )
    name = f"England, ONS published ({period})"
    figure.add_trace(
        go.Bar(
            x=[float(published[s].years) for s in sexes],
            y=list(sexes.values()),
            orientation="h",
            name=name,
            marker_color="#AE2573",
            texttemplate="%{x:.1f}",
            textposition="inside",
            insidetextanchor="start",
            hovertemplate="%{y}: %{x:.1f} years between neighbourhoods<extra>" + name + "</extra>",
        )
    )
    figure.update_layout(
        title={"text": "Gap in life expectancy between most and least deprived", "x": 0, "font": {"size": 16}},
        font={"family": FONT, "size": 13},
        barmode="group",
        xaxis={
            "title": "Gap in life expectancy at birth (years, slope index)",
            "rangemode": "tozero",
            "gridcolor": "#E8EDEE",
        },
        yaxis={"autorange": "reversed"},
        legend={"orientation": "h", "yanchor": "top", "y": -0.25, "x": 0, "traceorder": "normal"},
        plot_bgcolor="white",
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        height=380,
    )
    return figure


def spine_chart_figure(rows: pd.DataFrame, *, title: str) -> go.Figure:
    """A Fingertips-style spine chart: each indicator's range across England, England at the centre, the area.

    ``rows`` has indicator, value, england, england_min, england_max, england_q1, england_q3, polarity and
    benchmark. Values are scaled so England is 0 and better is to the right.
    """
    from phm_core.benchmarking import BENCHMARK_COLOURS

    frame = rows.dropna(subset=["value"]).reset_index(drop=True)
    sign = np.where(frame["polarity"] == "low is good", -1.0, 1.0)
    span = np.maximum(
        (frame["england_max"] - frame["england"]).abs(), (frame["england_min"] - frame["england"]).abs()
    ).replace(0, 1)

    def scaled(column: str) -> np.ndarray:
        return sign * (frame[column] - frame["england"]) / span

    lows = np.minimum(scaled("england_min"), scaled("england_max"))
    highs = np.maximum(scaled("england_min"), scaled("england_max"))
    q_low = np.minimum(scaled("england_q1"), scaled("england_q3"))
    q_high = np.maximum(scaled("england_q1"), scaled("england_q3"))
    y = frame["indicator"]
    figure = go.Figure()
    figure.add_trace(
        go.Bar(
            y=y,
            x=highs - lows,
            base=lows,
            orientation="h",
            marker_color="#E8EDEE",
            name="England range",
            hoverinfo="skip",
        )
    )
    figure.add_trace(
        go.Bar(
            y=y,
            x=q_high - q_low,
            base=q_low,
            orientation="h",
            marker_color="#AEB7BD",
            name="Middle half of England's areas",
            hoverinfo="skip",
        )
    )
    figure.add_trace(
        go.Scatter(
            y=y,
            x=scaled("value"),
            mode="markers",
            marker={
                "size": 13,
                "color": [BENCHMARK_COLOURS.get(b, "#768692") for b in frame["benchmark"]],
                "line": {"color": "#212B32", "width": 1},
            },
            name="This area",
            customdata=np.column_stack([frame["value"], frame["england"], frame["benchmark"]]),
            hovertemplate="%{y}<br>Area: %{customdata[0]:.2f}<br>England: %{customdata[1]:.2f}<br>%{customdata[2]}"
            "<extra></extra>",
        )
    )
    figure.add_vline(x=0, line_color="#212B32", line_width=2)
    # Above the bars: "England" over its line, "< Worse" and "Better >" either side of it (short enough for a
    # narrow plot); the legend at the foot of the figure, in a bottom margin of its own. Placed below the plot
    # instead, plotly's margin growth left the legend over an axis title at the bottom.
    for text, anchor, shift in (("◀ Worse", "right", -6), ("Better ▶", "left", 6)):
        figure.add_annotation(
            text=text,
            x=0,
            xref="x",
            xanchor=anchor,
            xshift=shift,
            y=1,
            yref="paper",
            yanchor="bottom",
            yshift=2,
            showarrow=False,
            font={"size": 12, "color": "#425563"},
        )
    figure.update_layout(
        title={"text": title, "x": 0, "font": {"size": 16}},
        font={"family": FONT, "size": 12},
        barmode="overlay",
        xaxis={
            "range": [-1.05, 1.05],
            "showticklabels": False,
            "side": "top",
            "title": {"text": "England", "standoff": 24},
            "zeroline": False,
        },
        yaxis={"autorange": "reversed"},
        plot_bgcolor="white",
        legend={"orientation": "h", "xref": "container", "x": 0, "yref": "container", "yanchor": "bottom", "y": 0},
        margin={"l": 10, "r": 10, "t": SPINE_TOP_MARGIN, "b": SPINE_BOTTOM_MARGIN},
        height=max(360, 28 * len(frame) + SPINE_TOP_MARGIN + SPINE_BOTTOM_MARGIN + 44),
    )
    return figure


def tartan_rug_figure(table: pd.DataFrame, *, title: str) -> go.Figure:
    """An overview heatmap: indicators down, areas across, each cell coloured by its benchmark and labelled.

    ``table`` is long: indicator, area, value_text, benchmark.
    """
    from phm_core.benchmarking import BENCHMARK_COLOURS

    indicators = list(dict.fromkeys(table["indicator"]))
    areas = list(dict.fromkeys(table["area"]))
    classes = list(BENCHMARK_COLOURS)
    lookup = table.set_index(["indicator", "area"])
    z = [
        [
            classes.index(lookup.loc[(i, a), "benchmark"])
            if (i, a) in lookup.index and lookup.loc[(i, a), "benchmark"] in classes
            else classes.index("not compared")
            for a in areas
        ]
        for i in indicators
    ]
    text = [[lookup.loc[(i, a), "value_text"] if (i, a) in lookup.index else "" for a in areas] for i in indicators]
    hover = [
        [f"{i}<br>{a}: {text[r][c]}<br>{classes[z[r][c]]}" for c, a in enumerate(areas)]
        for r, i in enumerate(indicators)
    ]
    n = len(classes)
    scale = []
    for index, name in enumerate(classes):
        scale += [[index / n, BENCHMARK_COLOURS[name]], [(index + 1) / n, BENCHMARK_COLOURS[name]]]
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=areas,
            y=indicators,
            text=text,
            texttemplate="%{text}",
            customdata=hover,
            hovertemplate="%{customdata}<extra></extra>",
            colorscale=scale,
            zmin=0,
            zmax=n,
            showscale=False,
            xgap=2,
            ygap=2,
        )
    )
    figure.update_layout(
        title={"text": title, "x": 0, "font": {"size": 16}},
        font={"family": FONT, "size": 12},
        xaxis={"side": "top", "tickangle": -30},
        yaxis={"autorange": "reversed"},
        plot_bgcolor="white",
        margin={"l": 10, "r": 10, "t": 110, "b": 10},
        height=max(360, 30 * len(indicators) + 150),
    )
    return figure


def static_map_figure(
    shapes_geojson: dict, codes: list[str], colours: list[str], names: list[str], *, title: str
) -> go.Figure:
    """A static choropleth (no background tiles) for saving the map as a PNG with the camera button."""
    palette = list(dict.fromkeys(colours))
    z = [palette.index(c) for c in colours]
    n = max(len(palette), 1)
    scale = []
    for index, colour in enumerate(palette):
        scale += [[index / n, colour], [(index + 1) / n, colour]]
    if len(scale) == 2:
        scale = [[0, palette[0]], [1, palette[0]]]
    figure = go.Figure(
        go.Choropleth(
            geojson=shapes_geojson,
            locations=codes,
            featureidkey="id",
            z=z,
            zmin=0,
            zmax=n,
            colorscale=scale,
            showscale=False,
            text=names,
            hovertemplate="%{text}<extra></extra>",
            marker_line_color="white",
            marker_line_width=0.3,
        )
    )
    figure.update_geos(fitbounds="locations", visible=False, projection_type="mercator")
    figure.update_layout(
        title={"text": title, "x": 0, "font": {"size": 15}},
        font={"family": FONT, "size": 12},
        margin={"l": 0, "r": 0, "t": 40, "b": 0},
        height=560,
    )
    return figure
