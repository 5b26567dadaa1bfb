"""Colours: the NHS identity palette and colour-blind-safe scales for maps and charts."""

from __future__ import annotations

NHS_BLUE = "#005EB8"
NHS_DARK_BLUE = "#003087"
NHS_BRIGHT_BLUE = "#0072CE"
NHS_LIGHT_BLUE = "#41B6E6"
NHS_DARK_GREY = "#425563"
NHS_MID_GREY = "#768692"
NHS_PALE_GREY = "#E8EDEE"
NHS_WARM_YELLOW = "#FFB81C"

# ColorBrewer RdYlBu, 10 classes (colour-blind safe): decile 1 (most deprived) dark red ... decile 10 dark blue.
DEPRIVATION_DECILE_COLOURS: tuple[str, ...] = (
    "#a50026",
    "#d73027",
    "#f46d43",
    "#fdae61",
    "#fee090",
    "#e0f3f8",
    "#abd9e9",
    "#74add1",
    "#4575b4",
    "#313695",
)


def hex_to_rgb(colour: str) -> list[int]:
    """'#005EB8' -> [0, 94, 184]."""
    colour = colour.lstrip("#")
    return [int(colour[i : i + 2], 16) for i in (0, 2, 4)]


def decile_rgb(decile: int) -> list[int]:
    """The map colour of a national deprivation decile (1 = most deprived)."""
    return hex_to_rgb(DEPRIVATION_DECILE_COLOURS[int(decile) - 1])
