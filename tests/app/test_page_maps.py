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


def test_layer_and_level_are_kept_in_the_url_beside_the_footprint(open_page) -> None:
    at = open_page("maps.py")
    assert at.query_params["map_level"] == "lsoa" and at.query_params["layer"] == "imd_decile"
    at.selectbox(key="map_level").set_value("place").run()
    at.selectbox(key="map_measure").set_value("share_65_plus").run()
    assert not at.exception
    assert at.query_params["map_level"] == "place" and at.query_params["layer"] == "share_65_plus"
    assert at.query_params["icb"] == "E54000068"  # the footprint's own parameters are untouched


def test_a_shared_map_link_opens_the_same_map(open_page) -> None:
    at = open_page("maps.py", icb="E54000066", level="place", area="E07000071", map_level="msoa", layer="share_65_plus")
    assert not at.exception
    assert at.selectbox(key="map_level").value == "msoa"
    assert at.selectbox(key="map_measure").value == "share_65_plus"
    features = _layers(at)[0]["data"]["features"]
    assert len(features) == len(at.dataframe[0].value) > 1
    assert all(f["properties"]["value"].startswith("Share aged 65 and over: ") for f in features)
    assert "Colchester" in at.markdown[0].value  # the footprint from the same link: Colchester, in NHS Essex
    assert {k: at.query_params[k] for k in ("icb", "level", "area", "map_level", "layer")} == {
        "icb": "E54000066",
        "level": "place",
        "area": "E07000071",
        "map_level": "msoa",
        "layer": "share_65_plus",
    }


def test_a_link_with_a_layer_the_level_does_not_have_falls_back_without_an_error(open_page) -> None:
    at = open_page("maps.py", map_level="sub_icb", layer="imd_decile")  # deciles exist for LSOAs only
    assert not at.exception
    assert at.selectbox(key="map_level").value == "sub_icb"
    assert at.query_params["layer"] == at.selectbox(key="map_measure").value != "imd_decile"
    at = open_page("maps.py", map_level="county", layer="no_such_layer")
    assert not at.exception
    assert at.selectbox(key="map_level").value == "lsoa" and at.query_params["map_level"] == "lsoa"


def test_sub_icb_locations_have_readable_names(open_page) -> None:
    at = open_page("maps.py", map_level="sub_icb")
    names = sorted(f["properties"]["name"] for f in _layers(at)[0]["data"]["features"])
    assert names == [
        "Ipswich, East Suffolk, Mid Suffolk and Babergh (06L)",
        "Norfolk and Waveney (26A)",
        "West Suffolk, Babergh and Mid Suffolk (07K)",
    ]
    assert sorted(at.dataframe[0].value["name"]) == names


def test_three_areas_get_two_colour_classes_and_the_legend_states_the_range(open_page) -> None:
    at = open_page("maps.py", map_level="sub_icb", layer="imd_score")
    fills = {tuple(f["properties"]["fill"]) for f in _layers(at)[0]["data"]["features"]}
    assert len(fills) == 2
    legend = next(m.value for m in at.markdown if "background:" in m.value)
    assert legend.count("background:") == 2
    table = at.dataframe[0].value
    low, high = table["imd_score"].min(), table["imd_score"].max()
    assert f"From {low:,.1f} to {high:,.1f} across the 3 sub-ICB locations;" in legend


def test_the_caption_under_the_legend_reads_as_sentences(open_page) -> None:
    at = open_page("maps.py", map_level="place", layer="share_65_plus")
    assert at.caption[0].value == "Share aged 65 and over. Dots: GP practices, sized by registered list."
