"""Cohort builder: every criterion on hand-made people, OR groups and exclusions, the fast index against a plain
pandas reference (criteria and combined definitions), suppressed summaries, breakdowns and map rates, the
pseudonymised list, and the saved cohorts (old and new formats) and export audit rows."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from cohort_fixtures import scored_people
from sqlmodel import Session, SQLModel

from cohort_store import db as cohort_db
from cohort_store import exports, repository
from cohort_store.models import COHORT_METADATA, TABLE_PREFIX, ExportAudit
from phm_core import cohorts
from phm_core.cohorts import CohortCriteria, CohortDefinition, CohortIndex
from phm_core.synth.schema import CONDITION_NAMES

pytestmark = pytest.mark.unit

# --- hand-made people -------------------------------------------------------------------------------------------

PEOPLE = [
    # id, age, sex, segment, conditions, frailty, medicines, falls, palliative, care home, tier, quintile, place,
    # pcn, practice, lsoa, air quality, smoker at home, opted out
    ("a", 82, "F", "frailty_dementia", ("dementia", "hypertension"), "severe", 12, 2, False, True, "high", 1, "P1", "N1", "G1", "L1", 1.4, False, False),  # noqa: E501
    ("b", 77, "M", "complex_multimorbidity", ("copd", "heart_failure", "diabetes", "ckd"), "moderate", 9, 0, False, False, "high", 2, "P1", "N1", "G2", "L2", 1.1, True, False),  # noqa: E501
    ("c", 70, "F", "stable_ltc", ("hypertension",), "fit", 3, 0, False, False, "rising", 3, "P2", "N2", "G3", "L3", 0.8, False, False),  # noqa: E501
    ("d", 90, "M", "end_of_life", ("cancer", "copd"), "severe", 6, 1, True, False, "high", 1, "P2", "N2", "G3", "L3", 0.8, False, False),  # noqa: E501
    ("e", 8, "M", "stable_ltc", ("asthma",), None, 1, 0, False, False, "low", 1, "P1", "N1", "G1", "L1", 1.4, True, False),  # noqa: E501
    ("f", 12, "F", "stable_ltc", ("asthma",), None, 2, 0, False, False, "rising", 5, "P2", "N2", "G4", "L4", 0.6, True, False),  # noqa: E501
    ("g", 45, "F", "healthy", (), None, 0, 0, False, False, "low", 4, "P2", "N2", "G4", "L4", 0.6, False, False),
    ("h", 68, "M", "stable_ltc", ("diabetes", "hypertension"), "mild", 8, 3, False, False, "rising", 2, "P1", "N1", "G2", "L2", 1.1, False, True),  # noqa: E501
    ("i", 30, "M", "disability", ("smi",), None, 4, 0, False, False, "low", 1, "P1", "N1", "G1", "L1", 1.4, True, False),  # noqa: E501
    ("j", 101, "F", "frailty_dementia", ("dementia",), "moderate", 10, 1, False, True, "high", 3, "P2", "N2", "G3", "L3", 0.8, False, False),  # noqa: E501
]  # fmt: skip


def _hand_made() -> pd.DataFrame:
    rows = []
    for (pid, age, sex, segment, conditions, frailty, medicines, falls, palliative, care_home, tier, quintile,
         place, pcn, practice, lsoa, aq, smoker, opted_out) in PEOPLE:  # fmt: skip
        row = {
            "person_id": pid,
            "age": age,
            "sex": sex,
            "segment": segment,
            "frailty": frailty,
            "medicines": medicines,
            "falls_y1": falls,
            "palliative_care": palliative,
            "care_home": care_home,
            "risk_tier": tier,
            "imd_quintile": quintile,
            "ltla24_code": place,
            "pcn_code": pcn,
            "practice_code": practice,
            "lsoa21_code": lsoa,
            "aq_indicator": aq,
            "smoker_in_household": smoker,
            "opted_out": opted_out,
            "risk_probability": {"high": 0.5, "rising": 0.2, "low": 0.05}[tier],
        }
        for name in CONDITION_NAMES:
            row[name] = name in conditions
        row["ltc_count"] = sum(name in conditions for name in CONDITION_NAMES if name != "obesity")
        rows.append(row)
    people = pd.DataFrame(rows)
    for column in ("sex", "segment", "frailty", "risk_tier", "ltla24_code", "pcn_code", "practice_code", "lsoa21_code"):
        people[column] = people[column].astype("category")
    return people


@pytest.fixture(scope="module")
def hand_made() -> tuple[pd.DataFrame, CohortIndex]:
    people = _hand_made()
    return people, CohortIndex.from_people(people)


def _ids(hand_made, **criteria) -> set[str]:
    people, index = hand_made
    return set(people.loc[index.mask(CohortCriteria(**criteria)), "person_id"])


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({}, set("abcdefgij")),  # h opted out
        ({"include_opted_out": True}, set("abcdefghij")),
        ({"age_min": 65}, set("abcdj")),
        ({"age_min": 65, "age_max": 80}, {"b", "c"}),
        ({"age_max": 15}, {"e", "f"}),
        ({"sexes": ("M",)}, {"b", "d", "e", "i"}),
        ({"segments": ("frailty_dementia", "end_of_life")}, {"a", "d", "j"}),
        ({"conditions": ("copd", "heart_failure")}, {"b"}),
        ({"conditions": ("copd", "heart_failure"), "condition_match": "any"}, {"b", "d"}),
        ({"conditions": ("asthma",), "age_max": 15}, {"e", "f"}),
        ({"ltc_min": 2}, {"a", "b", "d"}),
        ({"ltc_min": 1, "ltc_max": 1}, {"c", "e", "f", "i", "j"}),
        ({"ltc_max": 0}, {"g"}),
        ({"frailty": ("moderate", "severe")}, {"a", "b", "d", "j"}),
        ({"medicines_min": 10}, {"a", "j"}),
        ({"falls_min": 1}, {"a", "d", "j"}),
        ({"palliative_care": True}, {"d"}),
        ({"palliative_care": False, "age_min": 85}, {"j"}),
        ({"care_home": True}, {"a", "j"}),
        ({"risk_tiers": ("high",)}, {"a", "b", "d", "j"}),
        ({"risk_tiers": ("rising",), "include_opted_out": True}, {"c", "f", "h"}),
        ({"imd_quintiles": (1, 2)}, {"a", "b", "d", "e", "i"}),
        ({"places": ("P1",)}, {"a", "b", "e", "i"}),
        ({"pcns": ("N2",)}, {"c", "d", "f", "g", "j"}),
        ({"practices": ("G3",)}, {"c", "d", "j"}),
        ({"smoker_in_household": True}, {"b", "e", "f", "i"}),
        ({"smoker_in_household": False, "age_max": 17}, set()),
        ({"air_quality_worst_share": 0.3}, {"a", "e", "i"}),  # L1: the 3 of 10 residents with the worst air
        ({"air_quality_worst_share": 0.5}, {"a", "b", "e", "i"}),  # L1 and L2 (h opted out)
        # Childhood asthma in deprived, polluted places: the scenario's cohort.
        ({"conditions": ("asthma",), "age_max": 15, "imd_quintiles": (1, 2), "air_quality_worst_share": 0.5}, {"e"}),
    ],
)
def test_each_criterion_on_hand_made_people(hand_made, criteria: dict, expected: set[str]) -> None:
    assert _ids(hand_made, **criteria) == expected


def test_a_footprint_narrows_the_cohort(hand_made) -> None:
    people, index = hand_made
    in_place = (people["ltla24_code"] == "P2").to_numpy()
    mask = index.mask(CohortCriteria(age_min=65), within=in_place)
    assert set(people.loc[mask, "person_id"]) == {"c", "d", "j"}
    assert index.count(CohortCriteria(age_min=65), within=in_place) == 3


def test_criteria_are_validated_and_round_trip_through_json() -> None:
    with pytest.raises(ValueError, match="ages"):
        CohortCriteria(age_min=70, age_max=60)
    with pytest.raises(ValueError, match="conditions: unknown value"):
        CohortCriteria(conditions=("gout",))
    with pytest.raises(ValueError, match="air_quality"):
        CohortCriteria(air_quality_worst_share=1.5)
    with pytest.raises(ValueError, match="unknown cohort criteria: colour"):
        CohortCriteria.from_dict({"colour": "red"})
    criteria = CohortCriteria(age_min=65, conditions=("copd", "asthma"), condition_match="any", imd_quintiles=(1, 2))
    assert CohortCriteria.from_dict(json.loads(json.dumps(criteria.to_dict()))) == criteria
    assert CohortCriteria().is_empty() and CohortCriteria(include_opted_out=True).is_empty()
    assert not criteria.is_empty()


def test_criteria_are_described_in_words() -> None:
    criteria = CohortCriteria(
        age_min=65, frailty=("moderate", "severe"), medicines_min=10, palliative_care=False, practices=("G3",)
    )
    lines = cohorts.describe_criteria(criteria, names={"practice": {"G3": "Riverside Surgery"}})
    assert lines == [
        "Aged 65 or over",
        "Frailty (eFI): Moderate, Severe",
        "10 or more regular medicines",
        "Not on the palliative care register",
        "Practice: Riverside Surgery",
        "Opted-out people excluded",
    ]


# --- OR groups and exclusions ---------------------------------------------------------------------------------------

OLDER = CohortCriteria(age_min=65)
FELL = CohortCriteria(age_min=65, falls_min=1)
SEVERE = CohortCriteria(frailty=("severe",))
FRAIL = CohortCriteria(frailty=("moderate", "severe"))
CARE_HOME = CohortCriteria(care_home=True)
PALLIATIVE = CohortCriteria(palliative_care=True)
EMPTY = CohortCriteria()


def _definition_ids(hand_made, definition: CohortDefinition) -> set[str]:
    people, index = hand_made
    return set(people.loc[index.mask(definition), "person_id"])


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        # aged 65+ and (fell in the last year or severe frailty): a fell and is severe (counted once), j fell
        (CohortDefinition(groups=(FELL, replace(SEVERE, age_min=65))), {"a", "d", "j"}),
        (CohortDefinition(groups=(FELL, replace(SEVERE, age_min=65)), include_opted_out=True), {"a", "d", "h", "j"}),
        # frail older people except those in a care home (a, j) or on the palliative care register (d)
        (CohortDefinition(groups=(FRAIL,), exclusions=(CARE_HOME, PALLIATIVE)), {"b"}),
        (CohortDefinition(groups=(FRAIL,), exclusions=(CARE_HOME,)), {"b", "d"}),
        # an exclusion group needs all its criteria: care home and palliative care together is nobody here
        (
            CohortDefinition(groups=(FRAIL,), exclusions=(CohortCriteria(care_home=True, palliative_care=True),)),
            {"a", "b", "d", "j"},
        ),
        # three groups: children, smokers at home in P2, people on the palliative care register
        (
            CohortDefinition(
                groups=(
                    CohortCriteria(age_max=15),
                    CohortCriteria(smoker_in_household=True, places=("P2",)),
                    PALLIATIVE,
                )
            ),
            {"d", "e", "f"},
        ),
        # only an exclusion: everyone but care home residents
        (CohortDefinition(exclusions=(CARE_HOME,)), set("bcdefgi")),
        # an empty group adds nobody, an empty exclusion removes nobody
        (CohortDefinition(groups=(OLDER, EMPTY)), {"a", "b", "c", "d", "j"}),
        (CohortDefinition(groups=(EMPTY, OLDER, EMPTY)), {"a", "b", "c", "d", "j"}),
        (CohortDefinition(groups=(OLDER,), exclusions=(EMPTY,)), {"a", "b", "c", "d", "j"}),
        # no criterion anywhere: everyone (opted-out people as set), as the builder starts
        (CohortDefinition(groups=(EMPTY, EMPTY)), set("abcdefgij")),
        (CohortDefinition(groups=(EMPTY,), include_opted_out=True), set("abcdefghij")),
        # the exclusion wins over every group
        (
            CohortDefinition(groups=(OLDER, CohortCriteria(age_max=15)), exclusions=(CohortCriteria(sexes=("F",)),)),
            {"b", "d", "e"},
        ),
    ],
)
def test_or_groups_and_exclusions_on_hand_made_people(hand_made, definition, expected: set[str]) -> None:
    assert _definition_ids(hand_made, definition) == expected
    people, index = hand_made
    assert index.count(definition) == len(expected)


def test_a_definition_of_one_group_is_the_same_as_its_criteria(hand_made) -> None:
    people, index = hand_made
    for criteria in (OLDER, FRAIL, replace(OLDER, include_opted_out=True), EMPTY):
        definition = CohortDefinition.of(criteria)
        assert definition.groups == (replace(criteria, include_opted_out=False),)
        assert definition.include_opted_out == criteria.include_opted_out
        assert np.array_equal(index.mask(definition), index.mask(criteria))
        assert cohorts.describe_criteria(definition) == cohorts.describe_criteria(criteria)
        assert definition.to_dict() == criteria.to_dict()  # saved exactly as before
    assert CohortDefinition.of(definition) is definition


def test_a_footprint_narrows_a_combined_cohort(hand_made) -> None:
    people, index = hand_made
    in_place = (people["ltla24_code"] == "P1").to_numpy()
    definition = CohortDefinition(groups=(FRAIL, CohortCriteria(age_max=15)), exclusions=(CARE_HOME,))
    assert set(people.loc[index.mask(definition, within=in_place), "person_id"]) == {"b", "e"}
    assert index.count(definition, within=in_place) == 2
    assert in_place.sum() == 5  # ``within`` is not changed


def test_definitions_are_validated() -> None:
    with pytest.raises(ValueError, match="1 to 3 groups"):
        CohortDefinition(groups=(OLDER, FRAIL, SEVERE, CARE_HOME))
    with pytest.raises(ValueError, match="1 to 3 groups"):
        CohortDefinition(groups=())
    with pytest.raises(ValueError, match="at most 2 exclusion"):
        CohortDefinition(exclusions=(CARE_HOME, PALLIATIVE, OLDER))
    with pytest.raises(ValueError, match="whole cohort, not in a group"):
        CohortDefinition(groups=(CohortCriteria(age_min=65, include_opted_out=True),))
    with pytest.raises(ValueError, match="whole cohort, not in a group"):
        CohortDefinition(exclusions=(CohortCriteria(care_home=True, include_opted_out=True),))
    with pytest.raises(ValueError, match="must be CohortCriteria"):
        CohortDefinition(groups=({"age_min": 65},))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown cohort definition keys: colour"):
        CohortDefinition.from_dict({"groups": [{}], "colour": "red"})
    with pytest.raises(ValueError, match="unknown cohort criteria: colour"):
        CohortDefinition.from_dict({"groups": [{"colour": "red"}]})
    with pytest.raises(ValueError, match="cannot itself hold groups"):
        CohortDefinition.from_dict({"groups": [{"groups": [{}]}]})
    with pytest.raises(TypeError):
        CohortIndex.from_people(_hand_made()).mask({"age_min": 65})  # type: ignore[arg-type]


def test_definitions_round_trip_through_json() -> None:
    definition = CohortDefinition(
        groups=(CohortCriteria(age_min=65, frailty=("moderate", "severe"), imd_quintiles=(1, 2)), FELL, EMPTY),
        exclusions=(CARE_HOME, CohortCriteria(conditions=("cancer", "copd"), condition_match="any")),
        include_opted_out=True,
    )
    saved = json.loads(json.dumps(definition.to_dict()))
    assert saved == {
        "groups": [
            {"age_min": 65, "frailty": ["moderate", "severe"], "imd_quintiles": [1, 2]},
            {"age_min": 65, "falls_min": 1},
            {},
        ],
        "exclusions": [{"care_home": True}, {"conditions": ["cancer", "copd"], "condition_match": "any"}],
        "include_opted_out": True,
    }
    assert CohortDefinition.from_dict(saved) == definition
    simplified = definition.simplified()
    assert simplified.groups == definition.groups[:2] and simplified.exclusions == definition.exclusions
    assert CohortDefinition.from_dict(json.loads(json.dumps(simplified.to_dict()))) == simplified
    with pytest.raises(ValueError, match="unknown cohort criteria"):  # plain criteria cannot hold groups
        CohortCriteria.from_dict(saved)
    # One group and no exclusion is saved as plain criteria (older code reads it); empty groups do not count.
    assert CohortDefinition(groups=(OLDER, EMPTY)).simplified().to_dict() == OLDER.to_dict()
    assert CohortDefinition(groups=(OLDER, EMPTY)).as_criteria() == OLDER
    assert CohortDefinition(groups=(OLDER,), exclusions=(CARE_HOME,)).as_criteria() is None
    assert CohortDefinition(groups=(EMPTY, EMPTY)).is_empty()
    assert not CohortDefinition(exclusions=(CARE_HOME,)).is_empty()


#: A cohort as saved before groups existed (CohortCriteria.to_dict of age 65+, moderate or severe frailty).
OLD_SAVED = {
    "age_min": 65, "age_max": 120, "sexes": [], "segments": [], "conditions": [], "condition_match": "all",
    "ltc_min": 0, "ltc_max": None, "frailty": ["moderate", "severe"], "medicines_min": 0, "falls_min": 0,
    "palliative_care": None, "care_home": None, "risk_tiers": [], "imd_quintiles": [], "places": [], "pcns": [],
    "practices": [], "air_quality_worst_share": None, "smoker_in_household": None, "include_opted_out": True,
}  # fmt: skip


def test_cohorts_saved_in_the_old_format_open_as_one_group(hand_made) -> None:
    people, index = hand_made
    opened = CohortDefinition.from_dict(OLD_SAVED)
    assert opened == CohortDefinition(
        groups=(CohortCriteria(age_min=65, frailty=("moderate", "severe")),), include_opted_out=True
    )
    assert _definition_ids(hand_made, opened) == {"a", "b", "d", "j"}
    assert opened.to_dict() == OLD_SAVED  # saved again, it is unchanged
    partial = CohortDefinition.from_dict({"age_max": 15, "conditions": ["asthma"]})  # older rows may miss keys
    assert partial.groups == (CohortCriteria(age_max=15, conditions=("asthma",)),)
    assert not partial.include_opted_out and _definition_ids(hand_made, partial) == {"e", "f"}


def test_combined_cohorts_read_as_a_sentence() -> None:
    names = {"practice": {"G3": "Riverside Surgery"}, "pcn": {"N1": "Orwell PCN"}}
    definition = CohortDefinition(
        groups=(
            CohortCriteria(age_min=65, frailty=("severe",)),
            EMPTY,  # left out of the words as of the count
            CohortCriteria(age_min=65, falls_min=1, practices=("G3",)),
        ),
        exclusions=(CARE_HOME, PALLIATIVE),
    )
    assert cohorts.describe_criteria(definition, names=names) == [
        "People aged 65 or over and with severe frailty (eFI)",
        "or people aged 65 or over, who fell in the last 12 months and registered with Riverside Surgery",
        "except people living in a care home or on the palliative care register",
        "opted-out people excluded",
    ]
    assert cohorts.describe_cohort(definition, names=names) == (
        "People aged 65 or over and with severe frailty (eFI); or people aged 65 or over, who fell in the last 12 "
        "months and registered with Riverside Surgery; except people living in a care home or on the palliative "
        "care register; opted-out people excluded."
    )
    women = CohortDefinition(
        groups=(
            CohortCriteria(sexes=("F",), age_min=50, age_max=70, conditions=("copd", "heart_failure")),
            CohortCriteria(sexes=("M",), age_max=15, pcns=("N1", "U"), condition_match="any"),
        ),
        exclusions=(CohortCriteria(care_home=False, ltc_max=0),),
        include_opted_out=True,
    )
    assert cohorts.describe_criteria(women, names=names) == [
        "Women aged 50 to 70 and with COPD and heart failure",
        "or boys aged 0 to 15 and in Orwell PCN or not in a PCN",
        "except people with no long-term condition and not living in a care home",
        "opted-out people included",
    ]
    only_exclusion = CohortDefinition(exclusions=(CARE_HOME,))
    assert cohorts.describe_cohort(only_exclusion) == (
        "Everyone; except people living in a care home; opted-out people excluded."
    )


# --- the index against a plain pandas reference --------------------------------------------------------------------


def _reference(people: pd.DataFrame, c: CohortCriteria) -> np.ndarray:
    keep = pd.Series(True, index=people.index)
    if not c.include_opted_out:
        keep &= ~people["opted_out"]
    keep &= people["age"].between(c.age_min, c.age_max)
    for values, column in (
        (c.sexes, "sex"),
        (c.segments, "segment"),
        (c.frailty, "frailty"),
        (c.risk_tiers, "risk_tier"),
        (c.imd_quintiles, "imd_quintile"),
        (c.places, "ltla24_code"),
        (c.pcns, "pcn_code"),
        (c.practices, "practice_code"),
    ):
        if values:
            keep &= people[column].isin(values)
    if c.conditions:
        held = people[list(c.conditions)]
        keep &= held.all(axis=1) if c.condition_match == "all" else held.any(axis=1)
    keep &= people["ltc_count"] >= c.ltc_min
    if c.ltc_max is not None:
        keep &= people["ltc_count"] <= c.ltc_max
    keep &= (people["medicines"] >= c.medicines_min) & (people["falls_y1"] >= c.falls_min)
    for flag, column in (
        (c.palliative_care, "palliative_care"),
        (c.care_home, "care_home"),
        (c.smoker_in_household, "smoker_in_household"),
    ):
        if flag is not None:
            keep &= people[column] == flag
    if c.air_quality_worst_share is not None:
        worse_air = 1 - people["aq_indicator"].rank(method="max", pct=True)  # share of residents in worse air
        keep &= worse_air < c.air_quality_worst_share - 1e-9
    return keep.to_numpy()


def _random_criteria(rng: np.random.Generator, people: pd.DataFrame) -> CohortCriteria:
    def some(values, most=3):
        values = list(values)
        return tuple(rng.choice(values, size=rng.integers(1, most + 1), replace=False).tolist())

    options: dict[str, object] = {
        "age_min": int(rng.integers(0, 80)),
        "sexes": some(["F", "M"], 1),
        "segments": some(people["segment"].cat.categories),
        "conditions": some(CONDITION_NAMES, 2),
        "condition_match": str(rng.choice(["all", "any"])),
        "ltc_min": int(rng.integers(0, 4)),
        "frailty": some(["fit", "mild", "moderate", "severe"], 2),
        "medicines_min": int(rng.integers(0, 10)),
        "falls_min": int(rng.integers(0, 2)),
        "palliative_care": bool(rng.random() < 0.5),
        "risk_tiers": some(["high", "rising", "low"], 2),
        "imd_quintiles": tuple(int(q) for q in some([1, 2, 3, 4, 5])),
        "places": some(people["ltla24_code"].cat.categories, 2),
        "smoker_in_household": bool(rng.random() < 0.5),
        "air_quality_worst_share": float(rng.choice([0.1, 0.2, 0.4])),
        "include_opted_out": bool(rng.random() < 0.3),
    }
    chosen = rng.choice(list(options), size=int(rng.integers(1, 5)), replace=False)
    values = {key: options[key] for key in chosen}
    if "condition_match" in values and "conditions" not in values:
        values.pop("condition_match")
    return CohortCriteria(**values)


def test_the_index_agrees_with_a_plain_pandas_filter_on_many_random_cohorts() -> None:
    people = scored_people()
    index = CohortIndex.from_people(people)
    rng = np.random.default_rng(11)
    non_empty = 0
    for _ in range(60):
        criteria = _random_criteria(rng, people)
        mask = index.mask(criteria)
        assert np.array_equal(mask, _reference(people, criteria)), criteria
        non_empty += mask.any()
    assert non_empty > 20


def _reference_definition(people: pd.DataFrame, d: CohortDefinition) -> np.ndarray:
    """The definition with plain pandas: any non-empty group (everyone if none), less any non-empty exclusion."""

    def match(c: CohortCriteria) -> np.ndarray:
        return _reference(people, replace(c, include_opted_out=True))

    groups = [g for g in d.groups if g != CohortCriteria()]
    exclusions = [g for g in d.exclusions if g != CohortCriteria()]
    keep = np.ones(len(people), dtype=bool) if d.include_opted_out else ~people["opted_out"].to_numpy()
    if groups:
        keep &= np.logical_or.reduce([match(g) for g in groups])
    for exclusion in exclusions:
        keep &= ~match(exclusion)
    return keep


def _random_group(rng: np.random.Generator, people: pd.DataFrame) -> CohortCriteria:
    if rng.random() < 0.15:
        return CohortCriteria()  # an empty group now and then: it must add or remove nobody
    return replace(_random_criteria(rng, people), include_opted_out=False)


def test_the_index_agrees_with_a_plain_pandas_filter_on_many_random_definitions() -> None:
    people = scored_people()
    index = CohortIndex.from_people(people)
    rng = np.random.default_rng(12)
    widened = narrowed = non_empty = 0
    for _ in range(60):
        definition = CohortDefinition(
            groups=tuple(_random_group(rng, people) for _ in range(int(rng.integers(1, 4)))),
            exclusions=tuple(_random_group(rng, people) for _ in range(int(rng.integers(0, 3)))),
            include_opted_out=bool(rng.random() < 0.3),
        )
        mask = index.mask(definition)
        assert np.array_equal(mask, _reference_definition(people, definition)), definition
        assert index.count(definition) == mask.sum()
        non_empty += mask.any()
        first = CohortDefinition(groups=definition.groups[:1], include_opted_out=definition.include_opted_out)
        without_exclusions = replace(definition, exclusions=())
        widened += index.count(without_exclusions) > index.count(first) and bool(definition.active_groups()[:1])
        narrowed += index.count(definition) < index.count(without_exclusions)
    assert non_empty > 30 and widened > 10 and narrowed > 10  # the OR and the exclusions were really exercised


# --- suppressed aggregates -------------------------------------------------------------------------------------------


def test_a_small_cohort_shows_no_number_that_would_reveal_its_size() -> None:
    people = scored_people()
    index = CohortIndex.from_people(people)
    base = index.mask(CohortCriteria())
    age = next(a for a in range(95, 120) if 1 <= index.count(CohortCriteria(age_min=a)) <= 7)
    small = index.mask(CohortCriteria(age_min=age))
    assert cohorts.format_count(int(small.sum())) == "fewer than 8"
    assert cohorts.format_count(0) == "0" and cohorts.format_count(1234) == "1,234"
    summary = cohorts.cohort_summary(people, small, base=base)
    assert summary["cohort"].isna().all() and summary["share"].isna().all()
    assert summary["base"].notna().all()
    breakdown = cohorts.cohort_breakdown(index, small, dimension="sex", base=base)
    assert breakdown["in_cohort"].isna().all() or (breakdown["in_cohort"].fillna(0) == 0).all()
    assert breakdown["people"].notna().all()


def test_a_small_combined_cohort_is_suppressed_too() -> None:
    people = scored_people()
    index = CohortIndex.from_people(people)
    base = index.mask(CohortCriteria())
    # Very old people or children with cancer, except women: a handful, each group itself maybe not small.
    definition = next(
        d
        for age in range(95, 120)
        for d in [
            CohortDefinition(
                groups=(CohortCriteria(age_min=age), CohortCriteria(age_max=15, conditions=("cancer",))),
                exclusions=(CohortCriteria(sexes=("F",)),),
            )
        ]
        if 1 <= index.count(d) <= 7
    )
    small = index.mask(definition)
    assert cohorts.format_count(int(small.sum())) == "fewer than 8"
    summary = cohorts.cohort_summary(people, small, base=base)
    assert summary["cohort"].isna().all() and summary["share"].isna().all()
    breakdowns = {d: cohorts.cohort_breakdown(index, small, dimension=d, base=base) for d in cohorts.BREAKDOWNS}
    table = cohorts.aggregate_export(breakdowns, summary)
    assert not pd.to_numeric(table["in_cohort"], errors="coerce").dropna().between(1, 7).any()
    rates = cohorts.rate_by_lsoa(index, small, base=base)
    assert not rates["in_cohort"].dropna().between(1, 7).any()


def test_breakdowns_add_up_and_hide_small_groups_with_a_second_cell() -> None:
    people = scored_people()
    index = CohortIndex.from_people(people)
    base = index.mask(CohortCriteria())
    frail = index.mask(CohortCriteria(frailty=("severe",)))
    by_age = cohorts.cohort_breakdown(index, frail, dimension="age_band", base=base)
    assert by_age["group"].tolist() == ["0-15", "16-24", "25-34", "35-49", "50-64", "65-74", "75-84", "85+"]
    assert (by_age["in_cohort"].iloc[:5].fillna(0) == 0).all()  # nobody under 65 has an eFI
    hidden = by_age["in_cohort_suppressed"]
    assert hidden.sum() != 1  # never a single hidden cell that the total would reveal
    shown = by_age.loc[~hidden]
    assert np.allclose(shown["rate_per_100"], shown["in_cohort"] / shown["people"] * 100)
    by_practice = cohorts.cohort_breakdown(index, frail, dimension="practice", base=base, names={"x": "y"})
    assert by_practice["in_cohort_suppressed"].any()
    assert by_practice.loc[by_practice["in_cohort_suppressed"], "rate_per_100"].isna().all()
    total = cohorts.cohort_breakdown(index, frail, dimension="imd_quintile", base=base)
    assert total["in_cohort"].sum() == frail.sum()


def test_map_rates_per_lsoa_are_suppressed_and_grey() -> None:
    people = scored_people()
    index = CohortIndex.from_people(people)
    base = index.mask(CohortCriteria())
    mask = index.mask(CohortCriteria(age_min=65, frailty=("moderate", "severe")))
    rates = cohorts.rate_by_lsoa(index, mask, base=base)
    assert len(rates) == 583
    assert rates["rate_per_100"].isna().any() and rates["rate_per_100"].notna().any()
    shapes = [
        {"code": code, "name": code, "geometry": {"type": "Point", "coordinates": [0, 52]}}
        for code in rates["lsoa21_code"][:3]
    ]
    deck = json.loads(cohorts.cohort_deck(rates, shapes, bounds=(0, 51, 1, 53)).to_json())
    features = deck["layers"][0]["data"]["features"]
    for feature, (_, row) in zip(features, rates.head(3).iterrows(), strict=True):
        suppressed = pd.isna(row["rate_per_100"])
        assert (feature["properties"]["rate"] == "suppressed (small number)") == suppressed


def test_aggregate_export_holds_only_suppressed_figures() -> None:
    people = scored_people()
    index = CohortIndex.from_people(people)
    base = index.mask(CohortCriteria())
    mask = index.mask(CohortCriteria(conditions=("asthma",), age_max=15, imd_quintiles=(1, 2)))
    breakdowns = {d: cohorts.cohort_breakdown(index, mask, dimension=d, base=base) for d in cohorts.BREAKDOWNS}
    table = cohorts.aggregate_export(breakdowns, cohorts.cohort_summary(people, mask, base=base))
    counts = pd.to_numeric(table["in_cohort"], errors="coerce").dropna()
    assert not counts.between(1, 7).any()
    assert (table["data"] == "SYNTHETIC").all()
    assert set(table["table"]) == {"summary", *cohorts.BREAKDOWNS}


# --- the pseudonymised list -----------------------------------------------------------------------------------------


def test_the_pseudonymised_list_has_no_direct_identifiers(hand_made) -> None:
    people, index = hand_made
    mask = index.mask(CohortCriteria(age_min=65))
    table = cohorts.pseudonymised_list(people, mask)
    assert list(table.columns) == list(cohorts.PSEUDONYMISED_COLUMNS)
    assert not set(table.columns) & set(cohorts.DIRECT_IDENTIFIERS)
    assert table["person_id"].tolist() == ["a", "b", "d", "j", "c"]  # by practice G1, G2, G3 (highest risk first)
    assert table["age_band"].tolist() == ["75-84", "75-84", "85+", "85+", "65-74"]
    assert table["risk_percent"].tolist() == [50, 50, 50, 50, 20]


def test_the_list_never_shows_a_risk_of_0_or_100_percent_and_says_how(hand_made) -> None:
    people, index = hand_made
    certain = people.assign(risk_probability=np.linspace(1.0, 0.0, len(people)))  # e.g. a model stored before
    table = cohorts.pseudonymised_list(certain, index.mask(CohortCriteria(include_opted_out=True)))
    percent = table["risk_percent"].astype(int)
    assert percent.min() == 1 and percent.max() == 99
    assert sorted(percent.tolist(), reverse=True)[:2] == [99, 89]  # 100% shown as 99, 88.9% as 89
    assert set(cohorts.PSEUDONYMISED_COLUMN_NOTES) == set(cohorts.PSEUDONYMISED_COLUMNS)
    note = cohorts.PSEUDONYMISED_COLUMN_NOTES["risk_percent"]
    assert "1 to 99" in note and "emergency admission in the next 12 months" in note


def test_csv_export_neutralises_spreadsheet_formulas() -> None:
    content = cohorts.to_csv_bytes(pd.DataFrame({"group": ["=HYPERLINK(1)", "Colchester"], "n": [10, 12]}))
    assert content.decode().splitlines() == ["group,n", "'=HYPERLINK(1),10", "Colchester,12"]


# --- saved cohorts and the export audit ----------------------------------------------------------------------------


@pytest.fixture
def engine(tmp_path):
    engine = cohort_db.make_engine(f"sqlite:///{tmp_path / 'cohorts.sqlite'}")
    yield engine
    engine.dispose()


def test_migrations_have_their_own_version_table_and_match_the_models(engine) -> None:
    assert cohort_db.current_revision(engine) == "0004"
    tables = set(sa.inspect(engine).get_table_names())
    assert {"cohort_saved", "cohort_export_audit", "cohort_alembic_version"} <= tables
    assert not any(t.startswith("maturity_") for t in tables)  # the cohort migrations made only their own tables
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "version_table": cohort_db.VERSION_TABLE,
                "compare_type": True,
                "include_name": lambda name, type_, _: type_ != "table" or name.startswith(TABLE_PREFIX),
            },
        )
        assert compare_metadata(context, COHORT_METADATA) == []
    assert not any(name.startswith(TABLE_PREFIX) for name in SQLModel.metadata.tables)
    cohort_db.upgrade_to_head(engine)  # running again changes nothing
    assert cohort_db.current_revision(engine) == "0004"


def test_cohorts_are_saved_reopened_updated_by_name_and_deleted(engine) -> None:
    criteria = CohortCriteria(age_min=65, frailty=("moderate", "severe"))
    with Session(engine) as s:
        first = repository.save_cohort(s, name="  Frail   65+ ", icb_code="E54000023", criteria=criteria.to_dict())
        repository.save_cohort(s, name="Children with asthma", icb_code="E54000023", criteria={"age_max": 15})
        repository.save_cohort(s, name="Frail 65+", icb_code="E54000022", criteria={})
        again = repository.save_cohort(
            s, name="Frail 65+", icb_code="E54000023", criteria=CohortCriteria(age_min=75).to_dict()
        )
        assert again.id == first.id and again.name == "Frail 65+"
        names = [c.name for c in repository.list_cohorts(s, icb_code="E54000023")]
        assert names == ["Frail 65+", "Children with asthma"]  # most recently saved first
        reopened = repository.get_cohort(s, first.id)
        assert CohortCriteria.from_dict(reopened.criteria) == CohortCriteria(age_min=75)
        with pytest.raises(ValueError, match="name"):
            repository.save_cohort(s, name="   ", icb_code="E54000023", criteria={})
        combined = CohortDefinition(groups=(FRAIL, FELL), exclusions=(CARE_HOME,))
        saved = repository.save_cohort(s, name="Frail or fell", icb_code="E54000023", criteria=combined.to_dict())
        assert CohortDefinition.from_dict(repository.get_cohort(s, saved.id).criteria) == combined
        assert repository.delete_cohort(s, saved.id)
        assert repository.delete_cohort(s, first.id) and not repository.delete_cohort(s, first.id)
        assert [c.name for c in repository.list_cohorts(s, icb_code="E54000023")] == ["Children with asthma"]


def test_every_export_writes_one_audit_row_with_its_reason_and_checksum(engine, hand_made) -> None:
    people, index = hand_made
    criteria = CohortCriteria(age_min=65)
    mask = index.mask(criteria)
    common = {"icb_code": "E54000023", "footprint": "Test ICB", "criteria": criteria.to_dict()}
    with Session(engine) as s:
        with pytest.raises(ValueError, match="reason"):
            exports.export_pseudonymised_list(s, people=people, mask=mask, reason="  too short ", **common)
        assert s.exec(sa.select(sa.func.count()).select_from(ExportAudit)).one()[0] == 0  # no row, no file
        content, row = exports.export_pseudonymised_list(
            s, people=people, mask=mask, reason="Frailty MDT case finding", exported_by="ann@nhs.net", **common
        )
        assert row.kind == "pseudonymised_list" and row.rows == 5 and row.exported_by == "ann@nhs.net"
        assert row.sha256 == cohorts.sha256(content) and row.reason == "Frailty MDT case finding"
        assert row.file_name.startswith("SYNTHETIC-cohort-pseudonymised-list-E54000023-")
        assert content.decode().splitlines()[0] == ",".join(cohorts.PSEUDONYMISED_COLUMNS)
        listed = [line.split(",")[0] for line in content.decode().splitlines()[1:]]
        assert listed == ["a", "b", "d", "j", "c"]  # h is 68 but opted out: not in the list
        assert content.decode().splitlines()[1] == "a,G1,75-84,F,Frailty and dementia,high,50"
        table = pd.DataFrame({"group": ["a"], "in_cohort": [12.0], "in_cohort_suppressed": [False]})
        content, row = exports.export_aggregates(s, table=table, reason="Falls service business case", **common)
        assert "suppressed" not in content.decode() and row.kind == "aggregates"
        rows = repository.list_exports(s, icb_code="E54000023")
        assert [r.kind for r in rows] == ["aggregates", "pseudonymised_list"]
        assert repository.list_exports(s, icb_code="E54000022") == []


def test_a_combined_cohort_is_exported_with_its_definition(engine, hand_made) -> None:
    people, index = hand_made
    definition = CohortDefinition(
        groups=(FRAIL, CohortCriteria(falls_min=3)), exclusions=(PALLIATIVE,), include_opted_out=True
    )
    mask = index.mask(definition)
    common = {"icb_code": "E54000023", "footprint": "Test ICB", "criteria": definition.to_dict()}
    with Session(engine) as s:
        content, row = exports.export_pseudonymised_list(
            s, people=people, mask=mask, reason="Frailty MDT case finding", **common
        )
    listed = [line.split(",")[0] for line in content.decode().splitlines()[1:]]
    assert sorted(listed) == ["a", "b", "h", "j"]  # frail or 3+ falls (h, opted out but included), not d
    assert row.rows == 4 and row.include_opted_out
    assert CohortDefinition.from_dict(row.criteria) == definition


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("the saved cohort 'COPD 65+ in Ipswich (MDT)'", "The saved cohort 'COPD 65+ in Ipswich (MDT)': A; B"),
        ("children in the ICB's most polluted 40%", "Children in the ICB's most polluted 40%: A; B"),
    ],
)
def test_a_cohort_sentence_changes_only_its_first_letter(label: str, expected: str) -> None:
    assert cohorts.cohort_sentence(label, ["A", "B"]) == expected
