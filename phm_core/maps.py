"""Pydeck map builders: footprint choropleths with only the columns each layer needs."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from phm_core.palettes import NHS_DARK_GREY, NHS_PALE_GREY, decile_rgb, hex_to_rgb

MAP_STYLE = "light"
TOOLTIP_STYLE = {"backgroundColor": "#FFFFFF", "color": "#212B32", "fontSize": "13px", "border": "1px solid #768692"}


class CompactDeck(pdk.Deck):
    """A Deck whose JSON has no indentation: the map payload Streamlit sends is about a fifth of the size."""

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))


def payload_bytes(deck: pdk.Deck) -> int:
    """The size in bytes of the map specification that is sent to the browser on every rerun."""
    return len(deck.to_json().encode())


def view_for(bounds: tuple[float, float, float, float] | np.ndarray, *, width_px: int = 800) -> pdk.ViewState:
    """A view state that fits the given (min lon, min lat, max lon, max lat) bounds."""
    min_lon, min_lat, max_lon, max_lat = (float(b) for b in bounds)
    span = max(max_lon - min_lon, (max_lat - min_lat) * 1.6, 1e-3)
    zoom = float(np.clip(np.log2(360 * width_px / 512 / span) - 0.7, 5, 13))
    return pdk.ViewState(
        longitude=(min_lon + max_lon) / 2, latitude=(min_lat + max_lat) / 2, zoom=round(zoom, 2), pitch=0
    )


def deprivation_deck(
    lsoas: pd.DataFrame, boundaries: gpd.GeoDataFrame, *, practices: pd.DataFrame | None = None
) -> pdk.Deck:
    """LSOAs of a footprint coloured by national IMD 2025 decile, with GP practices as points."""
    shapes = boundaries.merge(
        lsoas[["lsoa21_code", "lsoa21_name", "imd_decile", "imd_rank", "pop_total"]], on="lsoa21_code", how="inner"
    )
    texts = [
        f"IMD 2025 decile {int(decile)} (rank {int(rank):,} of 33,755); {int(people):,} residents"
        for decile, rank, people in zip(shapes["imd_decile"], shapes["imd_rank"], shapes["pop_total"], strict=True)
    ]
    layers = [
        choropleth_layer(
            shapes,
            names=shapes["lsoa21_name"].tolist(),
            values=texts,
            colours=[decile_rgb(d) for d in shapes["imd_decile"]],
            layer_id="lsoa-deprivation",
        )
    ]
    if practices is not None and len(practices):
        layers.append(practices_layer(practices))
    return profile_deck(layers, bounds=shapes.total_bounds if len(shapes) else (-2, 51, 1, 53))


# Okabe-Ito colours, distinguishable with every common colour-vision deficiency (the pieces of a merged ICB).
PIECE_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")  # no grey: grey is "none"


def pieces_deck(
    lsoas: pd.DataFrame, boundaries: gpd.GeoDataFrame, *, piece_column: str, labels: dict[str, str]
) -> pdk.Deck:
    """A footprint's LSOAs dissolved into pieces (e.g. the predecessor ICB each came from), one colour each.

    ``labels`` names each piece code; the tooltip gives its name, people and LSOAs.
    """
    shapes = boundaries.merge(lsoas[["lsoa21_code", piece_column, "pop_total"]], on="lsoa21_code", how="inner")
    pieces = shapes.dissolve(by=piece_column, aggfunc={"pop_total": "sum", "lsoa21_code": "count"}).reset_index()
    pieces = pieces.sort_values("pop_total", ascending=False, ignore_index=True)
    layer = choropleth_layer(
        pieces,
        names=[labels.get(code, code) for code in pieces[piece_column]],
        values=[
            f"{int(p):,} residents in {int(n):,} LSOAs"
            for p, n in zip(pieces["pop_total"], pieces["lsoa21_code"], strict=True)
        ],
        colours=[hex_to_rgb(PIECE_COLOURS[i % len(PIECE_COLOURS)]) for i in range(len(pieces))],
        layer_id="pieces",
    )
    return profile_deck([layer], bounds=shapes.total_bounds if len(shapes) else (-2, 51, 1, 53))


NEIGHBOURHOOD_LAYER = "neighbourhood-lsoas"


def neighbourhood_deck(
    lsoas: pd.DataFrame, boundaries: gpd.GeoDataFrame, *, assignment: dict[str, str], order: list[str]
) -> pdk.Deck:
    """An ICB's LSOAs coloured by the neighbourhood each is in (grey when in none), to choose LSOAs by clicking.

    ``assignment`` maps LSOA code to neighbourhood name; ``order`` fixes each name's colour. Each feature carries
    its LSOA ``code`` so a selection on the map can be read back.
    """
    shapes = boundaries.merge(lsoas[["lsoa21_code", "lsoa21_name", "pop_total"]], on="lsoa21_code", how="inner")
    colour_of = {name: hex_to_rgb(PIECE_COLOURS[i % len(PIECE_COLOURS)]) for i, name in enumerate(order)}
    features = []
    for geometry, code, name, people in zip(
        shapes.geometry.values, shapes["lsoa21_code"], shapes["lsoa21_name"], shapes["pop_total"], strict=True
    ):
        where = assignment.get(code)
        features.append(
            {
                "type": "Feature",
                "geometry": geometry.__geo_interface__,
                "properties": {
                    "code": code,
                    "name": f"{name} ({code})",
                    "value": f"{where or 'In no neighbourhood'}; {int(people):,} residents",
                    "fill": (colour_of[where] if where in colour_of else hex_to_rgb(NHS_PALE_GREY)) + [190],
                },
            }
        )
    layer = polygon_layer(
        features, layer_id=NEIGHBOURHOOD_LAYER, line_colour=hex_to_rgb(NHS_DARK_GREY) + [90], auto_highlight=True
    )
    return profile_deck([layer], bounds=shapes.total_bounds if len(shapes) else (-2, 51, 1, 53))


def choropleth_layer(
    shapes: gpd.GeoDataFrame, *, names: list[str], values: list[str], colours: list[list[int]], layer_id: str
) -> pdk.Layer:
    """A GeoJSON polygon layer carrying only name, the formatted value and the fill colour of each area."""
    features = [
        {
            "type": "Feature",
            "geometry": geometry.__geo_interface__,
            "properties": {"name": name, "value": value, "fill": colour + [200]},
        }
        for geometry, name, value, colour in zip(shapes.geometry.values, names, values, colours, strict=True)
    ]
    return polygon_layer(features, layer_id=layer_id, line_colour=[255, 255, 255, 170])


def polygon_layer(features: list[dict], *, layer_id: str, line_colour: list[int], **options: object) -> pdk.Layer:
    """A pickable GeoJSON polygon layer filled from each feature's ``properties.fill`` (RGBA), thin outlines."""
    return pdk.Layer(
        "GeoJsonLayer",
        id=layer_id,
        data={"type": "FeatureCollection", "features": features},
        get_fill_color="properties.fill",
        get_line_color=line_colour,
        line_width_min_pixels=0.5,
        pickable=True,
        stroked=True,
        filled=True,
        **options,
    )


def practices_layer(practices: pd.DataFrame) -> pdk.Layer:
    """GP practices as points sized by registered list (area proportional to patients)."""
    points = practices.dropna(subset=["lat", "lon"])
    data = [
        {
            "name": f"{p.practice_name} (GP practice, {p.pcn_name})",
            "value": f"{int(p.list_size):,} registered patients" if pd.notna(p.list_size) else "list size unknown",
            "position": [round(float(p.lon), 5), round(float(p.lat), 5)],
            "radius": float(np.sqrt(p.list_size if pd.notna(p.list_size) else 1000) * 4),
        }
        for p in points.itertuples(index=False)
    ]
    return pdk.Layer(
        "ScatterplotLayer",
        id="gp-practices",
        data=data,
        get_position="position",
        get_radius="radius",
        radius_min_pixels=2,
        radius_max_pixels=30,
        get_fill_color=[0, 48, 135, 200],
        get_line_color=[255, 255, 255],
        stroked=True,
        line_width_min_pixels=1,
        pickable=True,
    )


def profile_deck(layers: list[pdk.Layer], *, bounds: tuple[float, float, float, float] | np.ndarray) -> pdk.Deck:
    """A map of the given layers framed on the footprint; each feature's tooltip is its name and value text."""
    return CompactDeck(
        layers=layers,
        initial_view_state=view_for(bounds),
        map_provider="carto",
        map_style=MAP_STYLE,
        tooltip={"html": "<b>{name}</b><br/>{value}", "style": TOOLTIP_STYLE},
    )


# --- rates per LSOA (synthetic cohorts and segments) ----------------------------------------------------------------

RATE_LIGHT, RATE_DARK = "#DEEBF7", "#08306B"


def sequential_rgb(value: float, low: float, high: float) -> list[int]:
    """A light-to-dark blue for a value between ``low`` and ``high`` (clipped)."""
    start, end = np.array(hex_to_rgb(RATE_LIGHT)), np.array(hex_to_rgb(RATE_DARK))
    t = 0.0 if high <= low else float(np.clip((value - low) / (high - low), 0, 1))
    return [int(round(x)) for x in start + (end - start) * t]


def colour_range(rates: pd.DataFrame) -> tuple[float, float]:
    """The rates (column ``rate_per_100``) at the light and dark ends of the colour scale: 5th and 95th centiles."""
    values = rates["rate_per_100"].astype("float64").dropna()
    if values.empty:
        return 0.0, 1.0
    return float(values.quantile(0.05)), float(values.quantile(0.95))


def rate_deck(
    areas: list[tuple[str, dict, float | None, float | None]],
    *,
    low: float,
    high: float,
    decimals: int,
    layer_id: str,
    tooltip_html: str,
    bounds: tuple[float, float, float, float] | np.ndarray,
) -> pdk.Deck:
    """LSOAs coloured by a rate per 100 residents; suppressed ones (rate missing) grey.

    ``areas`` holds (name, GeoJSON geometry, rate per 100 or None, count or None); a missing count reads
    "fewer than 8". ``tooltip_html`` may use ``{name}``, ``{rate}`` and ``{count}``.
    """
    features = []
    for name, geometry, rate, count in areas:
        shown = rate is not None and pd.notna(rate)
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "name": name,
                    "rate": f"{float(rate):.{decimals}f} per 100 residents" if shown else "suppressed (small number)",
                    "count": f"{int(count):,}" if count is not None and pd.notna(count) else "fewer than 8",
                    "fill": (sequential_rgb(float(rate), low, high) if shown else hex_to_rgb(NHS_PALE_GREY)) + [200],
                },
            }
        )
    layer = polygon_layer(features, layer_id=layer_id, line_colour=hex_to_rgb(NHS_DARK_GREY) + [80])
    return CompactDeck(
        layers=[layer],
        initial_view_state=view_for(bounds),
        map_provider="carto",
        map_style=MAP_STYLE,
        tooltip={"html": tooltip_html, "style": TOOLTIP_STYLE},
    )
