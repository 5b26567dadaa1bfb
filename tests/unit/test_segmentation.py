"""Segments on hand-made people, risk tiers, who is counted, suppression of small numbers, figures and map."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from phm_core import segmentation
from phm_core.geography import Footprint
from phm_core.synth import schema

pytestmark = pytest.mark.unit


def person(**values) -> dict:
    """A healthy 40-year-old woman with no activity, changed by ``values``."""
    record: dict = {f.name: False for f in schema.PERSON_FIELDS if f.dtype == "bool"}
    record |= {f.name: 0 for f in schema.PERSON_FIELDS if f.dtype.startswith(("int", "float"))}
    record |= {
        "person_id": "p",
        "age": 40,
        "sex": "F",
        "lsoa21_code": "E01000001",
        "practice_code": "A00001",
        "pcn_code": "U00001",
        "frailty": None,
        "smoking_status": "never",
        "death_date": pd.NaT,
        "intervention": None,
        "intervention_date": pd.NaT,
    }
    for key in ("ltc_count", "multimorbidity_score", "efi"):
        record.pop(key)
    return record | values


def people(*records: dict) -> pd.DataFrame:
    frame = pd.DataFrame([r | {"person_id": f"p{i}"} for i, r in enumerate(records)])
    frame = schema.finish_people(frame.drop(columns=[c for c in frame if c.startswith("cost_")]))
    frame["imd_quintile"] = 3
    frame["ltla24_code"] = "E06000001"
    return frame


CASES = {
    "healthy": person(),
    "acute: an A&E attendance, no condition": person(ae_attendances_y1=1),
    "maternal_infant: a baby": person(age=0),
    "maternal_infant: a recent birth": person(age=29, recent_birth=True, asthma=True),
    "stable_ltc: three conditions": person(hypertension=True, asthma=True, depression=True, ae_attendances_y1=2),
    "stable_ltc: heart failure, no admission": person(age=70, heart_failure=True, frailty="mild"),
    "disability: learning disability": person(learning_disability=True, epilepsy=True),
    "disability: serious mental illness": person(smi=True),
    "complex_multimorbidity: four conditions": person(age=60, **dict.fromkeys(("diabetes", "chd", "ckd", "pad"), True)),
    "complex_multimorbidity: COPD and an admission": person(
        age=60, copd=True, emergency_admissions_y1=1, bed_days_y1=3
    ),
    "frailty_dementia: dementia": person(age=80, dementia=True, frailty="fit"),
    "frailty_dementia: moderate frailty beats four conditions": person(
        age=80, frailty="moderate", **dict.fromkeys(("diabetes", "chd", "ckd", "pad"), True)
    ),
    "frailty_dementia: a care home": person(age=90, care_home=True, frailty="mild"),
    "end_of_life: palliative care beats dementia": person(age=88, palliative_care=True, dementia=True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_person_is_in_the_first_segment_whose_rule_they_meet(case: str) -> None:
    expected = case.split(":")[0]
    assert segmentation.assign_segments(people(CASES[case]))[0] == expected


def test_the_rules_cover_everyone_once_in_priority_order() -> None:
    frame = people(*CASES.values())
    segments = segmentation.assign_segments(frame)
    assert list(segments.categories) == list(segmentation.SEGMENT_KEYS)
    assert not pd.isna(segments).any()
    assert segmentation.SEGMENT_KEYS[0] == "end_of_life" and segmentation.SEGMENT_KEYS[-1] == "healthy"


def test_risk_tiers_are_the_top_5_next_15_and_other_80_percent() -> None:
    score = np.random.default_rng(0).random(1000)
    tiers = pd.Series(segmentation.risk_tiers(score))
    assert tiers.value_counts().to_dict() == {"low": 800, "rising": 150, "high": 50}
    assert score[tiers == "high"].min() > score[tiers == "rising"].max() > score[tiers == "low"].max()


def test_the_interim_risk_score_rises_with_need() -> None:
    frame = people(person(), person(age=80, frailty="severe", emergency_admissions_y1=2), person(age=80))
    score = segmentation.interim_risk_score(frame)
    assert score[1] > score[2] > score[0]


def test_counted_people_are_alive_at_the_index_date_and_not_opted_out() -> None:
    frame = people(
        person(),
        person(opted_out=True),
        person(death_date=pd.Timestamp("2023-09-01")),
        person(death_date=pd.Timestamp("2024-09-01")),
    )
    assert segmentation.index_population(frame)["person_id"].tolist() == ["p0", "p3"]
    assert len(segmentation.index_population(frame, include_opted_out=True)) == 3


def _crowd() -> pd.DataFrame:
    """100 healthy people, 30 stable, 3 at the end of life (a small number) in two quintiles."""
    records = [person()] * 100 + [person(hypertension=True, gp_contacts_y1=4)] * 30
    records += [person(age=85, palliative_care=True, emergency_admissions_y1=1, bed_days_y1=5)] * 3
    frame = segmentation.add_segments_and_risk(people(*records))
    frame["imd_quintile"] = np.where(np.arange(len(frame)) % 2 == 0, 1, 5)
    return frame


def test_small_numbers_are_suppressed_with_the_cost_and_rates_that_reveal_them() -> None:
    summary = segmentation.segment_summary(_crowd()).set_index("segment")
    assert pd.isna(summary.loc["end_of_life", "people"]) and summary.loc["end_of_life", "people_suppressed"]
    assert pd.isna(summary.loc["end_of_life", "share_of_cost"])
    assert pd.isna(summary.loc["end_of_life", "emergency_admissions"])
    # Secondary suppression: another cell goes too, so the total cannot give the hidden one away.
    assert summary["people_suppressed"].sum() >= 2
    assert summary.loc["healthy", "people"] == 100
    assert summary.loc["frailty_dementia", "people"] == 0  # zeros are shown


def test_breakdowns_protect_both_margins_of_the_table() -> None:
    table = segmentation.segment_breakdown(_crowd(), dimension="imd_quintile")
    hidden = table.loc[table["people_suppressed"]]
    assert set(hidden["segment"]) >= {"end_of_life"}
    for _, group in table.groupby("group"):
        assert group["people_suppressed"].sum() != 1
    for _, group in table.groupby("segment", observed=True):
        assert group["people_suppressed"].sum() != 1
    with pytest.raises(ValueError, match="unknown dimension"):
        segmentation.segment_breakdown(_crowd(), dimension="shoe_size")


def test_people_table_is_wide_with_a_column_per_segment() -> None:
    table = segmentation.people_table(segmentation.segment_breakdown(_crowd(), dimension="imd_quintile"))
    assert list(table.columns) == [s.label for s in segmentation.SEGMENTS]
    assert list(table.index) == ["1", "5"]


def test_a_footprint_selects_residents_or_a_pcns_patients() -> None:
    frame = people(
        person(lsoa21_code="E01000001", pcn_code="U1"),
        person(lsoa21_code="E01000002", pcn_code="U2"),
        person(lsoa21_code="E01000003", pcn_code="U1"),
    )
    lsoas = pd.DataFrame({"lsoa21_code": ["E01000001", "E01000002"]})
    place = segmentation.select_people(frame, Footprint("E54000023", "place", "E07000071"), lsoas)
    assert place["person_id"].tolist() == ["p0", "p1"]
    pcn = segmentation.select_people(frame, Footprint("E54000023", "pcn", "U1"), lsoas)
    assert pcn["person_id"].tolist() == ["p0", "p2"]
    assert len(segmentation.select_people(frame, Footprint("E54000023"), lsoas)) == 3


def test_the_lsoa_rates_and_map_suppress_small_counts_and_say_synthetic() -> None:
    frame = _crowd()
    row = np.arange(len(frame))
    frame["lsoa21_code"] = np.select([row < 115, row < 125], ["E01000001", "E01000002"], "E01000003")
    rates = segmentation.segment_rate_by_lsoa(frame, segment="stable_ltc").set_index("lsoa21_code")
    assert rates.loc["E01000001", "in_segment"] == 15
    assert rates.loc["E01000001", "rate_per_100"] == pytest.approx(15 / 115 * 100)
    # 5 in the third LSOA are hidden, and the 10 in the second too, or the total would give the 5 away.
    assert pd.isna(rates.loc["E01000003", "rate_per_100"]) and pd.isna(rates.loc["E01000002", "rate_per_100"])
    rates = rates.drop(index="E01000003")
    square = shapely.box(0.0, 52.0, 0.01, 52.01)
    boundaries = gpd.GeoDataFrame({"lsoa21_code": ["E01000001", "E01000002"]}, geometry=[square, square])
    lsoas = pd.DataFrame({"lsoa21_code": ["E01000001", "E01000002"], "lsoa21_name": ["A 001A", "A 001B"]})
    deck = segmentation.segment_deck(rates.reset_index(), lsoas, boundaries, segment="stable_ltc")
    features = json.loads(deck.to_json())["layers"][0]["data"]["features"]
    assert len(features) == 2 and "SYNTHETIC" in deck._tooltip["html"]
    assert features[1]["properties"]["rate"] == "suppressed (small number)"


def test_figures_are_labelled_synthetic() -> None:
    frame = _crowd()
    figures = [
        segmentation.people_and_cost_figure(segmentation.segment_summary(frame)),
        segmentation.risk_pyramid_figure(segmentation.risk_summary(frame)),
        segmentation.segment_mix_figure(
            segmentation.segment_breakdown(frame, dimension="age_band"), dimension_label="Age band"
        ),
    ]
    for figure in figures:
        assert "SYNTHETIC" in figure.layout.title.text
    names = [trace.name for trace in figures[2].data]
    assert names[: len(segmentation.SEGMENTS)] == [s.label for s in segmentation.SEGMENTS]
    # The small end-of-life cells are hidden; together they fill the bars to 100% as "Suppressed".
    assert names[-1] == "Suppressed (small numbers)"
    stacked = np.nansum([np.asarray(trace.y, dtype=float) for trace in figures[2].data], axis=0)
    np.testing.assert_allclose(stacked, 1.0)


def test_a_small_activity_count_hides_its_rate_but_not_the_people() -> None:
    records = (
        [person()] * 100
        + [person(hypertension=True)] * 28
        + [person(hypertension=True, ambulance_conveyances_y1=1)] * 2
    )
    summary = segmentation.segment_summary(segmentation.add_segments_and_risk(people(*records))).set_index("segment")
    stable = summary.loc["stable_ltc"]
    assert stable["people"] == 30 and stable["share_of_people"] == pytest.approx(30 / 130)
    assert pd.isna(stable["ambulance_conveyances"]) and pd.isna(stable["ambulance_conveyances_per_1000"])
    assert stable["gp_contacts_per_1000"] == 0


def test_the_pyramids_labels_beside_narrow_bars_are_not_clipped_and_have_room() -> None:
    tiers = pd.DataFrame(
        {
            "risk_tier": ["high", "rising", "low"],
            "people": [174_085, 522_254, 2_785_358],
            "share_of_cost": [0.4, 0.3, 0.3],
        }
    )
    figure = segmentation.risk_pyramid_figure(tiers)
    funnel = figure.data[0]
    assert funnel.cliponaxis is False and list(funnel.textposition) == ["outside", "outside", "inside"]
    assert funnel.text[1] == "522,254 people<br>30% of cost"
    # the right margin holds "522,254 people" (14 characters) at the figure's font size
    assert figure.layout.margin.r >= 14 * segmentation.CHARACTER_WIDTH * figure.layout.font.size
