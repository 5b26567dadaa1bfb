"""Deprivation and air quality page: bivariate map, the 3x3 tables and the worst-of-both list."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.app


def test_bivariate_map_tables_and_cohort(open_page) -> None:
    at = open_page("deprivation_air.py")
    assert not at.exception
    layer = json.loads(at.get("deck_gl_json_chart")[0].proto.json)["layers"][0]
    assert len(layer["data"]["features"]) == 1001  # NHS Norfolk and Suffolk, the default ICB
    people = at.dataframe[0].value
    assert int(people.to_numpy().sum()) == 1_676_800
    worst = at.dataframe[2].value
    assert int(people.iloc[2, 2]) == int(worst["pop_total"].sum())
    assert f"{int(worst['pop_0_15'].sum()):,} children" in at.markdown[0].value


def test_another_icb_changes_the_figures(open_page) -> None:
    at = open_page("deprivation_air.py", icb="E54000066")  # NHS Essex
    assert not at.exception
    assert int(at.dataframe[0].value.to_numpy().sum()) == 1_860_224
