"""Charts and the QR code of the live workshop: pure functions, no Streamlit, no database."""

from __future__ import annotations

import io
import re

import plotly.graph_objects as go

from maturity.figures import CURRENT_COLOUR, FONT, NHS_TEXT, TARGET_COLOUR
from maturity.framework import Framework
from maturity.scoring import ComponentResult
from phm_core.palettes import NHS_BLUE, NHS_PALE_GREY, NHS_WARM_YELLOW


def stage_distribution_figure(
    component: ComponentResult, framework: Framework, *, agreed_stage: int | None = None, height: int = 420
) -> go.Figure:
    """How many people chose each stage for one component, with the room's median now and median target.

    Large type, for a projector. The median current stage is a dark triangle and the median target a green diamond
    above the bars (a median between two stages sits between their bars), each labelled on the side towards the
    middle of the chart so the label fits; the stage the room agreed on, once recorded, is outlined in yellow.
    """
    stages = framework.stages
    labels = [f"{s.score} {s.label}" for s in stages]
    counts = list(component.counts)
    figure = go.Figure(
        go.Bar(
            x=[s.score for s in stages],
            y=counts,
            text=[str(c) if c else "" for c in counts],
            textposition="outside",
            textfont={"size": 22},
            marker_color=NHS_BLUE,
            marker_line={
                "color": [NHS_WARM_YELLOW if s.score == agreed_stage else NHS_BLUE for s in stages],
                "width": [6 if s.score == agreed_stage else 0 for s in stages],
            },
            hovertemplate="%{customdata}: %{y} people<extra></extra>",
            customdata=labels,
            name="People",
        )
    )
    top = max(max(counts, default=0), 1)
    for value, colour, symbol, text, level in (
        (component.current, CURRENT_COLOUR, "triangle-down", "Median now", 1.18),
        (component.target, TARGET_COLOUR, "diamond", "Median target", 1.34),
    ):
        if value is not None:
            figure.add_trace(
                go.Scatter(
                    x=[value],
                    y=[top * level],
                    mode="markers+text",
                    marker={"symbol": symbol, "size": 22, "color": colour},
                    text=[f"{text} {value:g}"],
                    textposition=median_label_position(value, framework),
                    textfont={"size": 17, "color": colour},
                    hoverinfo="skip",
                    cliponaxis=False,
                )
            )
    figure.update_layout(
        font={"family": FONT, "size": 18, "color": NHS_TEXT},
        margin={"l": 10, "r": 10, "t": 20, "b": 10},
        plot_bgcolor="white",
        height=height,
        showlegend=False,
        bargap=0.25,
        xaxis={
            "tickvals": [s.score for s in stages],
            "ticktext": labels,
            "range": [framework.min_score - 0.6, framework.max_score + 0.6],
        },
        yaxis={
            "title": "People",
            "range": [0, top * 1.45],
            "dtick": max(1, round(top / 5)),
            "gridcolor": NHS_PALE_GREY,
        },
    )
    return figure


def median_label_position(value: float, framework: Framework) -> str:
    """Where a median's label goes beside its marker: towards the middle of the chart, so it is never cut off.

    A median in the upper half of the stages is labelled on its left, one in the lower half on its right.
    """
    middle = (framework.min_score + framework.max_score) / 2
    return "middle left" if value > middle else "middle right"


def qr_code_svg(url: str, *, size_px: int = 240) -> str | None:
    """A QR code of ``url`` as inline SVG markup (black on white), or None when the ``qrcode`` package is absent."""
    try:
        import qrcode
        import qrcode.image.svg
    except ImportError:
        return None
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode("utf-8")
    svg = re.sub(r"^<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r'width="[^"]*" height="[^"]*"', f'width="{size_px}" height="{size_px}"', svg, count=1)
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code of the join link" style="background:#fff" ', 1)
