"""Plotly figure builders for the pages. Each returns a ``go.Figure`` and never touches Streamlit."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from phm_core.palettes import DEPRIVATION_DECILE_COLOURS, NHS_BLUE, NHS_MID_GREY

FONT = "Frutiger, Arial, Helvetica, sans-serif"


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
