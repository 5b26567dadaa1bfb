"""Plain-English sentences generated from the figures, for boards. Every number comes from the data passed in."""

from __future__ import annotations

import pandas as pd

from phm_core.geography import deprivation_profile


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
    sentences = [f"{format_people(people)} people live in {name} (Census 2021), in {len(lsoas):,} small areas (LSOAs)."]
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
