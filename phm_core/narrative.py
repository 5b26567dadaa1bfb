"""Plain-English sentences generated from the figures, for boards. Every number comes from the data passed in."""

from __future__ import annotations

import pandas as pd

from phm_core.geography import deprivation_profile
from phm_core.profiles import MEASURES

#: How each map measure reads as the subject of a sentence, by its label (see ``Measure.sentence_subject``).
SUBJECTS: dict[str, str] = {m.label: m.sentence_subject for m in MEASURES.values()}


def format_people(count: int) -> str:
    """'985,317' for most counts; '1.2 million' from 950,000 up, as a board would say it."""
    if count >= 950_000:
        return f"{count / 1e6:.1f} million"
    return f"{count:,}"


def one_in(share: float) -> str:
    """A share as '1 in N' (or a percentage when it is a half or more), e.g. 0.083 -> '1 in 12'."""
    if share <= 0:
        return "nobody"
    if share >= 0.5:
        return f"{share:.0%}"
    return f"1 in {round(1 / share)}"


def ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


def home_narrative(lsoas: pd.DataFrame, england: pd.DataFrame, *, name: str) -> list[str]:
    """Three or four sentences describing the footprint's people and deprivation against England."""
    if lsoas.empty:
        return [f"No neighbourhoods (LSOAs) are recorded for {name}."]
    people = int(lsoas["pop_total"].sum())
    areas = plural(len(lsoas), "small area (LSOA)", "small areas (LSOAs)")
    sentences = [f"{format_people(people)} people live in {name} (Census 2021), in {areas}."]
    older = lsoas["pop_65_plus"].sum() / people if people else 0.0
    england_older = england["pop_65_plus"].sum() / england["pop_total"].sum()
    comparison = _compare(older, england_older)
    sentences.append(f"{older:.0%} are aged 65 or over, {comparison} England ({england_older:.0%}).")

    profile = deprivation_profile(lsoas, england)
    fifth = float(profile.loc[profile["decile"] <= 2, "share"].sum())
    england_fifth = float(profile.loc[profile["decile"] <= 2, "england_share"].sum())
    if fifth > 0:
        sentences.append(
            f"{one_in(fifth)} live in the most deprived fifth of England "
            f"({fifth:.0%} of residents, against {england_fifth:.0%} nationally)."
        )
    else:
        sentences.append("Nobody lives in the most deprived fifth of England's neighbourhoods.")
    worst = lsoas.sort_values("imd_rank").iloc[0]
    sentences.append(
        f"The most deprived neighbourhood is {worst['lsoa21_name']} ({worst['lsoa21_code']}), "
        f"ranked {ordinal(int(worst['imd_rank']))} most deprived of {len(england):,} in England."
    )
    return sentences


def _compare(value: float, reference: float, *, tolerance: float = 0.01) -> str:
    if abs(value - reference) < tolerance:
        return "about the same as"
    return "more than" if value > reference else "less than"


def map_narrative(
    table: pd.DataFrame, *, measure_label: str, fmt: str, noun: str, name: str, kind: str = "sequential"
) -> list[str]:
    """One or two sentences on where a measure is highest and lowest across the footprint's areas.

    ``table`` has ``name`` and ``value`` per area. Deciles and ranks (1 = most deprived) are described by the
    areas at the deprived end rather than by highest and lowest.
    """
    values = table.dropna(subset=["value"])
    if values.empty:
        return [f"No figures for {measure_label} are available for {name}."]
    topic = measure_label.split(":")[0]
    topic = f"the {topic}" if topic.endswith(" domain") else topic  # "on the Income domain", "on IMD 2025"
    subject = SUBJECTS.get(measure_label) or (
        measure_label if measure_label[:3].isupper() else measure_label[0].lower() + measure_label[1:]
    )
    if len(values) == 1 and kind != "decile":
        only = values.iloc[0]
        one = f"{name} has one {singular(noun)}, {only['name']}"
        if kind == "rank":
            return [f"{one}, so there is no ranking on {topic} within it."]
        if kind == "categorical":
            return [f"{one}, classed '{only['value']}' ({measure_label})."]
        return [f"{one}: the {subject} there is {fmt.format(only['value'])}."]
    if kind == "decile":
        first = values.loc[values["value"] == 1]
        share = len(first) / len(values)
        where = f"England's most deprived tenth on {topic}"
        if first.empty:
            return [f"None of the {len(values):,} {noun} of {name} are in {where}."]
        verb = "is" if len(first) == 1 else "are"
        return [
            f"{len(first):,} of the {len(values):,} {noun} of {name} ({share:.0%}) {verb} in {where}, for example "
            f"{first['name'].iloc[0]}."
        ]
    if kind == "rank":
        most = values.loc[values["value"].idxmin()]
        least = values.loc[values["value"].idxmax()]
        return [
            f"Within {name}, the most deprived of its {len(values):,} {noun} on {topic} is "
            f"{most['name']}, and the least deprived is {least['name']}."
        ]
    if kind == "categorical":
        counts = values["value"].value_counts()
        verb = "is" if counts.iloc[0] == 1 else "are"
        return [
            f"Most of the {len(values):,} {noun} of {name} ({counts.iloc[0]:,}) {verb} classed "
            f"'{counts.index[0]}' ({measure_label})."
        ]
    high = values.loc[values["value"].idxmax()]
    low = values.loc[values["value"].idxmin()]
    return [
        f"Across the {len(values):,} {noun} of {name}, the {subject} "
        f"is highest in {high['name']} ({fmt.format(high['value'])}) and lowest in {low['name']} "
        f"({fmt.format(low['value'])})."
    ]


def air_quality_narrative(table: pd.DataFrame, worst: pd.DataFrame, *, name: str) -> list[str]:
    """Sentences on people living where deprivation and air pollution are both in England's worst third."""
    total = int(table.to_numpy().sum())
    both = int(table.iloc[2, 2])
    if total == 0:
        return [f"No residents are recorded for {name}."]
    sentences = [
        f"{both:,} of {name}'s {total:,} residents ({both / total:.0%}) live in neighbourhoods that are in both "
        "England's most deprived third and its most polluted third."
    ]
    if len(worst):
        children = plural(int(worst["pop_0_15"].sum()), "child", "children")
        top = worst.iloc[0]
        which = "it is" if len(worst) == 1 else "the most deprived of these is"
        sentences.append(
            f"They include {children} aged 15 and under in {plural(len(worst), 'neighbourhood')}, the starting "
            f"cohort for a childhood asthma programme; {which} {top['lsoa21_name']}."
        )
    else:
        sentences.append("No neighbourhood here is in the worst third of England for both.")
    return sentences


def life_expectancy_place_narrative(latest: pd.DataFrame, *, names: dict[str, str], year: int) -> str:
    """Which place has the lowest life expectancy, against England, saying that it is not tested."""
    if latest.empty:
        return "No life expectancy figures are published for these places."
    lowest = latest.loc[latest["value"].idxmin()]
    england = float(lowest["england"])
    place = names.get(lowest["ltla24_code"], lowest["ltla24_code"])
    if len(latest) > 1:
        highest = latest.loc[latest["value"].idxmax()]
        return (
            f"{place} has the lowest life expectancy of the places here ({lowest['value']:.1f} years in {year}) and "
            f"{names.get(highest['ltla24_code'], highest['ltla24_code'])} the highest ({highest['value']:.1f}), "
            f"against {england:.1f} for England. The ONS Health Index publishes these without confidence "
            "intervals, so the differences are described, not tested for significance."
        )
    relation = "below" if lowest["value"] < england else "above"
    return (
        f"Life expectancy in {place} is {lowest['value']:.1f} years ({year}), {relation} England's {england:.1f}; "
        "published without confidence intervals, so the difference is not tested for significance."
    )


def benchmark_narrative(rows: pd.DataFrame, *, place: str) -> list[str]:
    """What stands out for a place: significant differences first, then rankings among England's authorities.

    Modelled prevalence is crude (not age-standardised), so a significant difference is followed by a sentence
    naming age as a likely cause; when ``rows`` has ``share_65_plus`` and ``england_share_65_plus`` it compares
    the place's share of residents aged 65+ with England's (see :func:`age_sentence`).
    """
    sentences = []
    tested = rows.loc[rows["source"].str.startswith("Modelled QOF")]
    highest = tested.loc[tested["benchmark"] == "highest", "indicator"].tolist()
    lowest = tested.loc[tested["benchmark"] == "lowest", "indicator"].tolist()
    if highest:
        sentences.append(
            f"Crude modelled prevalence in {place} is significantly higher than England (99.8% confidence) for "
            f"{join_list(highest)}."
        )
    if lowest:
        sentences.append(f"It is significantly lower than England (99.8%) for {join_list(lowest)}.")
    if highest or lowest:
        shares = {}
        for column in ("share_65_plus", "england_share_65_plus"):
            values = tested[column].dropna() if column in tested else pd.Series(dtype=float)
            shares[column] = float(values.iloc[0]) if len(values) else None
        sentences.append(
            age_sentence(
                place=place,
                higher=bool(highest),
                lower=bool(lowest),
                share_65_plus=shares["share_65_plus"],
                england_share_65_plus=shares["england_share_65_plus"],
            )
        )
    ranked = rows.loc[~rows["source"].str.startswith("Modelled QOF")]
    worst = ranked.loc[ranked["benchmark"] == "worst fifth", "indicator"].str.replace(r" \(.*\)$", "", regex=True)
    if len(worst):
        sentences.append(
            f"{place} is in the worst fifth of England's local authorities {_worst_of(worst.tolist(), len(ranked))}"
        )
    if not sentences:
        sentences.append(f"Nothing in {place} differs significantly from England on the indicators shown.")
    return sentences


AGE_TOLERANCE = 0.01  # shares aged 65+ within one percentage point of England's count as the same


def age_sentence(
    *,
    place: str,
    higher: bool,
    lower: bool,
    share_65_plus: float | None = None,
    england_share_65_plus: float | None = None,
) -> str:
    """Why crude prevalence may differ from England's: age, with the place's share aged 65+ against England's.

    ``higher`` / ``lower``: whether some prevalence is significantly higher / lower than England's. Most long-term
    conditions are commoner with age, so an older population raises crude prevalence and a younger one lowers it.
    """
    crude = "These prevalences are crude, not age-standardised, and an older population raises them"
    separate = " Only age-standardised rates can separate age from other causes."
    if share_65_plus is None or england_share_65_plus is None:
        return f"{crude}: a different age structure from England's is a likely cause of the differences.{separate}"
    shares = f"{share_65_plus:.0%} of residents aged 65+, against {england_share_65_plus:.0%} in England"
    difference = share_65_plus - england_share_65_plus
    if abs(difference) < AGE_TOLERANCE:
        return (
            f"{crude}. {place} has about as many older residents as England ({shares}), so age is a less likely "
            f"cause of the differences.{separate}"
        )
    older = difference > 0
    matching = higher if older else lower  # the differences that an older (younger) population would produce
    if matching:
        reading = f"so age is a likely cause of the {'higher' if older else 'lower'} figures"
    else:
        reading = f"which on its own would make them {'higher' if older else 'lower'}"
    return f"{crude}. {place} is {'older' if older else 'younger'} than England ({shares}), {reading}.{separate}"


#: At most this many indicators are named in a sentence; more are summarised with "including".
NAMED_AT_MOST = 4


def _worst_of(worst: list[str], ranked: int) -> str:
    """'on 1 of 23 ranked indicators: A.', 'on 6 of 23 ranked indicators, including A, B, C and D.'"""
    if ranked == 1:
        return f"on its only ranked indicator, {worst[0]}."
    counted = f"on {len(worst)} of {ranked} ranked indicators"
    if len(worst) <= NAMED_AT_MOST:
        return f"{counted}: {join_list(worst)}."
    return f"{counted}, including {join_list(worst[:NAMED_AT_MOST])}."


def join_list(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c' (nothing for no items); 'a, b, and c and d' when an item has its own "and"."""
    if len(items) <= 1:
        return "".join(items)
    serial = "," if len(items) > 2 and any(" and " in item for item in items) else ""
    return ", ".join(items[:-1]) + f"{serial} and " + items[-1]


def plural(count: int, singular_form: str, plural_form: str | None = None) -> str:
    """'1 neighbourhood', '2 neighbourhoods', '1,500 children' (``plural_form`` when adding "s" is wrong)."""
    return f"{count:,} {singular_form if count == 1 else plural_form or singular_form + 's'}"


def singular(noun: str) -> str:
    """The singular of a plural area noun: 'LSOAs' -> 'LSOA', 'sub-ICB locations' -> 'sub-ICB location'."""
    return noun[:-1] if noun.endswith("s") else noun
