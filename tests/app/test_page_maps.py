"""Map page: the deck has one feature per area of the chosen level with the chosen measure; the table matches."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.app


def _layers(at) -> list[dict]:
    return json.loads(at.get("deck_gl_json_chart")[0].proto.json)["layers"]


def test_default_map_is_lsoa_deprivation_with_practices(open_page) -> None:
    at = open_page("maps.py")
    assert not at.exception
    polygons, points = _layers(at)
    assert polygons["@@type"] == "GeoJsonLayer" and points["@@type"] == "ScatterplotLayer"
    features = polygons["data"]["features"]
    assert len(features) == 1001  # NHS Norfolk and Suffolk, the default ICB
    yarmouth = next(f for f in features if f["properties"]["name"] == "Great Yarmouth 005A")
    assert yarmouth["properties"]["value"] == "IMD 2025 national decile: 1"
    assert "54 of the 1,001 LSOAs" in at.markdown[0].value


@pytest.mark.parametrize(("level", "count"), [("msoa", 203), ("place", 12), ("sub_icb", 3)])
def test_switching_level_keeps_the_view_and_changes_the_areas(open_page, level: str, count: int) -> None:
    at = open_page("maps.py")
    view = json.loads(at.get("deck_gl_json_chart")[0].proto.json)["initialViewState"]
    at.selectbox(key="map_level").set_value(level).run()
    assert not at.exception
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    assert len(spec["layers"][0]["data"]["features"]) == count
    assert spec["initialViewState"] == view
    assert len(at.dataframe[0].value) == count


def test_air_quality_layer_is_labelled_as_a_ratio_and_values_match(open_page) -> None:
    at = open_page("maps.py")
    at.selectbox(key="map_level").set_value("place").run()
    at.selectbox(key="map_measure").set_value("aq_no2").run()
    at.toggle(key="map_practices").set_value(False).run()
    assert not at.exception
    layers = _layers(at)
    assert len(layers) == 1
    table = at.dataframe[0].value.set_index("name")
    norwich = next(f for f in layers[0]["data"]["features"] if f["properties"]["name"] == "Norwich")
    assert norwich["properties"]["value"] == f"Nitrogen dioxide (ratio to limit): {table.loc['Norwich', 'aq_no2']:.3f}"
    assert "ratio" in at.caption[0].value


def test_static_map_for_png_export(open_page) -> None:
    at = open_page("maps.py")
    assert len(at.get("plotly_chart")) == 0  # drawn only when asked for
    at.toggle(key="map_image").set_value(True).run()
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert figure["data"][0]["type"] == "choropleth"
    assert len(figure["data"][0]["locations"]) == 1001
