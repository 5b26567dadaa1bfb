"""Named neighbourhoods that a PHM lead defines for an ICB, built from PCNs or from LSOAs.

The NHS 10 Year Health Plan organises care around neighbourhoods of about 30,000 to 50,000 people but sets no
boundaries, so each ICB draws its own. A :class:`Neighbourhood` is a name and a set of LSOAs 2021; it remembers
whether it was built from whole PCNs (and which) or from hand-picked LSOAs. Everything here is pure: it takes the
versioned LSOA table (one row per LSOA with ``lsoa21_code``, ``icb_code``, ``pcn_code``, ``pcn_name`` and
``pop_total``) and returns lists, dicts and tables.

The CSV file has one row per LSOA: ``icb_code, geography_version, neighbourhood, lsoa21_code, built_from,
pcn_code``. ``pcn_code`` holds the PCN codes a neighbourhood was built from, separated by ``;``, on each of its
rows (blank when built from LSOAs). Text that a spreadsheet would run as a formula is prefixed with a single
quote on export (as is text already starting with a quote), and the quote is taken off again on import.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, cast

import pandas as pd

from phm_core.geography import PHM_TIERS

BuiltFrom = Literal["pcn", "lsoa"]
NEIGHBOURHOOD_SIZE = cast(tuple[int, int], PHM_TIERS["neighbourhood"])  # (30_000, 50_000) people
MAX_NAME_LENGTH = 100
MAX_NEIGHBOURHOODS = 200
MAX_FILE_ROWS = 50_000
MAX_FILE_BYTES = 5 * 1024 * 1024
CSV_COLUMNS = ("icb_code", "geography_version", "neighbourhood", "lsoa21_code", "built_from", "pcn_code")
REQUIRED_CSV_COLUMNS = ("neighbourhood", "lsoa21_code")
LSOA_CODE_PATTERN = re.compile(r"^E01\d{6}$")
# First characters that make a spreadsheet treat a cell as a formula (with full-width forms of the first four).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_SHOWN = 5  # codes or row numbers named in a message before "and N more"


class NeighbourhoodFileError(ValueError):
    """A neighbourhood file that cannot be imported; ``problems`` lists what is wrong, in plain English."""

    def __init__(self, problems: str | Sequence[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__(" ".join(self.problems))


@dataclass(frozen=True)
class Neighbourhood:
    """A named neighbourhood: its LSOAs 2021 and what it was built from (whole PCNs or chosen LSOAs).

    The name is trimmed and the codes are kept sorted and unique, so two neighbourhoods with the same name and
    the same LSOAs are equal however they were listed.
    """

    name: str
    lsoa_codes: tuple[str, ...]
    built_from: BuiltFrom
    pcn_codes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.built_from not in ("pcn", "lsoa"):
            raise ValueError(f"built_from must be 'pcn' or 'lsoa', not {self.built_from!r}")
        object.__setattr__(self, "name", str(self.name).strip())
        object.__setattr__(self, "lsoa_codes", _sorted_codes(self.lsoa_codes))
        object.__setattr__(self, "pcn_codes", _sorted_codes(self.pcn_codes))


def size_status(population: int) -> str:
    """Where a population sits against the usual neighbourhood size of 30,000 to 50,000 people (inclusive)."""
    low, high = NEIGHBOURHOOD_SIZE
    usual = f"{low:,}-{high:,} people"
    if population < low:
        return f"smaller than the usual {usual}"
    if population > high:
        return f"larger than the usual {usual}"
    return f"within the usual size ({usual})"


def neighbourhood_code(name: str, *, icb_code: str) -> str:
    """A stable code for a neighbourhood name in an ICB: ``NBH-`` and 8 hex characters (same name, same code).

    The name is compared trimmed and in lower case, so renaming 'Ipswich north' to 'Ipswich North' keeps it.
    """
    digest = hashlib.sha1(f"{icb_code.strip().upper()}|{name.strip().lower()}".encode()).hexdigest()
    return f"NBH-{digest[:8].upper()}"


def suggest_from_pcns(lsoa: pd.DataFrame, *, icb_code: str) -> list[Neighbourhood]:
    """The default suggestion: one neighbourhood per PCN in the ICB, named after the PCN, sorted by name.

    PCNs are not merged or split: a PCN far from the usual size keeps its own neighbourhood and
    :func:`size_status` says so, leaving the choice to the PHM lead. A PCN that crosses the ICB boundary gives
    only its LSOAs inside the ICB; LSOAs without a PCN are left out (see :func:`coverage`).
    """
    inside = _icb_rows(lsoa, icb_code).dropna(subset=["pcn_code"])
    suggestions = [
        Neighbourhood(
            name=_tidy_name(rows["pcn_name"].dropna().iloc[0] if rows["pcn_name"].notna().any() else pcn),
            lsoa_codes=tuple(rows["lsoa21_code"]),
            built_from="pcn",
            pcn_codes=(pcn,),
        )
        for pcn, rows in inside.groupby("pcn_code", sort=False)
    ]
    return sorted(suggestions, key=lambda n: (n.name.lower(), n.pcn_codes))


def neighbourhood_from_pcns(lsoa: pd.DataFrame, *, icb_code: str, name: str, pcn_codes: Iterable[str]) -> Neighbourhood:
    """A neighbourhood made of whole PCNs: every LSOA of those PCNs inside the ICB.

    Raises :class:`ValueError` when no PCN is chosen or a code is not a PCN in the ICB.
    """
    codes = _sorted_codes(pcn_codes)
    if not codes:
        raise ValueError("Choose at least one PCN.")
    inside = _icb_rows(lsoa, icb_code)
    unknown = sorted(set(codes) - set(inside["pcn_code"].dropna()))
    if unknown:
        raise ValueError(f"{_count(len(unknown), 'PCN code')} not in ICB {icb_code}: {_some(unknown)}.")
    members = inside.loc[inside["pcn_code"].isin(codes), "lsoa21_code"]
    return Neighbourhood(name=name, lsoa_codes=tuple(members), built_from="pcn", pcn_codes=codes)


def neighbourhood_from_lsoas(
    lsoa: pd.DataFrame, *, icb_code: str, name: str, lsoa_codes: Iterable[str]
) -> Neighbourhood:
    """A neighbourhood made of chosen LSOAs; raises :class:`ValueError` if none is chosen or one is outside the ICB."""
    codes = _sorted_codes(lsoa_codes)
    if not codes:
        raise ValueError("Choose at least one LSOA.")
    outside = sorted(set(codes) - set(_icb_rows(lsoa, icb_code)["lsoa21_code"]))
    if outside:
        raise ValueError(f"{_count(len(outside), 'LSOA code')} not in ICB {icb_code}: {_some(outside)}.")
    return Neighbourhood(name=name, lsoa_codes=codes, built_from="lsoa")


def validate_neighbourhoods(lsoa: pd.DataFrame, *, icb_code: str, neighbourhoods: Sequence[Neighbourhood]) -> list[str]:
    """Problems with a set of neighbourhoods for an ICB, in plain English; an empty list means it is valid.

    Checked: at most 200 neighbourhoods; each has a name (unique ignoring case and spaces at the ends, at most
    100 characters), at least one LSOA, only LSOAs and PCNs of the ICB; no LSOA is in two neighbourhoods.
    The neighbourhoods need not cover the whole ICB (see :func:`coverage`).
    """
    inside = _icb_rows(lsoa, icb_code)
    icb_lsoas, icb_pcns = set(inside["lsoa21_code"]), set(inside["pcn_code"].dropna())
    problems: list[str] = []
    if len(neighbourhoods) > MAX_NEIGHBOURHOODS:
        problems.append(f"There are {len(neighbourhoods):,} neighbourhoods; at most {MAX_NEIGHBOURHOODS} are allowed.")
    unnamed = sum(1 for n in neighbourhoods if not n.name)
    if unnamed:
        problems.append(f"{_plural(unnamed, 'neighbourhood')} {'has' if unnamed == 1 else 'have'} no name.")
    seen: dict[str, list[str]] = defaultdict(list)
    for n in (n for n in neighbourhoods if n.name):
        seen[n.name.lower()].append(n.name)
    for names in seen.values():
        if len(names) > 1:
            problems.append(f"The name '{names[0]}' is used {len(names)} times; each neighbourhood needs its own name.")
    for n in neighbourhoods:
        label = f"'{n.name}'" if n.name else "A neighbourhood without a name"
        if len(n.name) > MAX_NAME_LENGTH:
            problems.append(f"The name '{n.name[:40]}...' is {len(n.name)} characters; at most {MAX_NAME_LENGTH}.")
        if not n.lsoa_codes:
            problems.append(f"{label} has no LSOAs.")
        outside = [c for c in n.lsoa_codes if c not in icb_lsoas]
        if outside:
            problems.append(f"{label} has {_plural(len(outside), 'LSOA')} not in ICB {icb_code}: {_some(outside)}.")
        unknown = [c for c in n.pcn_codes if c not in icb_pcns]
        if unknown:
            problems.append(
                f"{label} is built from {_plural(len(unknown), 'PCN code')} not in ICB {icb_code}: {_some(unknown)}."
            )
    problems.extend(_overlaps(neighbourhoods))
    return problems


def summarise_neighbourhoods(
    lsoa: pd.DataFrame, *, icb_code: str, neighbourhoods: Sequence[Neighbourhood]
) -> pd.DataFrame:
    """One row per neighbourhood: name, code, lsoas, population (residents, Census 2021), size_status, built_from.

    Only LSOAs inside the ICB are counted.
    """
    people = _icb_rows(lsoa, icb_code).set_index("lsoa21_code")["pop_total"]
    members = [people.reindex(list(n.lsoa_codes)).dropna() for n in neighbourhoods]
    table = pd.DataFrame(
        {
            "name": pd.Series([n.name for n in neighbourhoods], dtype="object"),
            "code": pd.Series([neighbourhood_code(n.name, icb_code=icb_code) for n in neighbourhoods], dtype="object"),
            "lsoas": pd.Series([len(m) for m in members], dtype="int64"),
            "population": pd.Series([int(m.sum()) for m in members], dtype="int64"),
        }
    )
    table["size_status"] = table["population"].map(size_status).astype("object")
    table["built_from"] = pd.Series([n.built_from for n in neighbourhoods], dtype="object")
    return table


def coverage(lsoa: pd.DataFrame, *, icb_code: str, neighbourhoods: Sequence[Neighbourhood]) -> dict[str, float]:
    """How much of the ICB the neighbourhoods cover: LSOAs and people covered and not covered, and the share.

    Keys: ``lsoas``, ``lsoas_covered``, ``lsoas_not_covered``, ``people``, ``people_covered``,
    ``people_not_covered`` and ``share_people_covered`` (0 to 1). An LSOA in two neighbourhoods counts once.
    """
    inside = _icb_rows(lsoa, icb_code)
    chosen = {c for n in neighbourhoods for c in n.lsoa_codes}
    covered = inside["lsoa21_code"].isin(chosen)
    people, people_covered = int(inside["pop_total"].sum()), int(inside.loc[covered, "pop_total"].sum())
    return {
        "lsoas": len(inside),
        "lsoas_covered": int(covered.sum()),
        "lsoas_not_covered": int((~covered).sum()),
        "people": people,
        "people_covered": people_covered,
        "people_not_covered": people - people_covered,
        "share_people_covered": people_covered / people if people else 0.0,
    }


def assign_neighbourhood_columns(
    lsoa: pd.DataFrame, neighbourhoods: Sequence[Neighbourhood], *, icb_code: str
) -> pd.DataFrame:
    """A copy of the LSOA table with ``neighbourhood_code`` and ``neighbourhood_name`` (NA outside them all).

    Only LSOAs of the ICB are given a neighbourhood. Should two neighbourhoods share an LSOA (which
    :func:`validate_neighbourhoods` reports), the first in the list keeps it.
    """
    names: dict[str, str] = {}
    for n in neighbourhoods:
        for code in n.lsoa_codes:
            names.setdefault(code, n.name)
    out = lsoa.copy()
    in_icb = out["icb_code"] == icb_code
    name = out["lsoa21_code"].map(names).where(in_icb)
    out["neighbourhood_name"] = name.astype("string")
    codes = {n.name: neighbourhood_code(n.name, icb_code=icb_code) for n in neighbourhoods}
    out["neighbourhood_code"] = name.map(codes).astype("string")
    return out


def neighbourhoods_to_csv(neighbourhoods: Sequence[Neighbourhood], *, icb_code: str, geography_version: str) -> bytes:
    """The neighbourhoods as a UTF-8 CSV (with a byte order mark, for Excel), one row per LSOA; see the module note."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for n in neighbourhoods:
        pcns = ";".join(n.pcn_codes)
        for code in n.lsoa_codes:
            row = (icb_code, geography_version, n.name, code, n.built_from, pcns)
            writer.writerow([_neutralise(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def neighbourhoods_from_csv(
    data: bytes, *, lsoa: pd.DataFrame, icb_code: str, geography_version: str
) -> list[Neighbourhood]:
    """Read neighbourhoods from a CSV file, in the order they first appear; raises :class:`NeighbourhoodFileError`.

    Accepts the exported format or just the two columns ``neighbourhood`` and ``lsoa21_code`` (then every
    neighbourhood is built from LSOAs). Header names are matched ignoring case and spaces; a byte order mark is
    allowed. Row numbers in messages count the header as row 1, as a spreadsheet does. The neighbourhoods read
    are then checked with :func:`validate_neighbourhoods`.
    """
    rows = _read_rows(data)
    problems: list[str] = []
    for column, label, chosen in (("icb_code", "ICB", icb_code), ("geography_version", "geography", geography_version)):
        found = sorted({r[column] for r in rows.values() if r.get(column) and r[column].upper() != chosen.upper()})
        if found:
            problems.append(f"The file is for {label} {_some(found)}, not {chosen}.")
    unnamed = [number for number, r in rows.items() if not r["neighbourhood"]]
    if unnamed:
        problems.append(f"{_rows(unnamed)} no neighbourhood name.")
    bad_codes = [number for number, r in rows.items() if not LSOA_CODE_PATTERN.match(r["lsoa21_code"])]
    if bad_codes:
        problems.append(f"{_rows(bad_codes)} an LSOA code that is not E01 followed by six digits.")
    bad_built = [number for number, r in rows.items() if r.get("built_from", "").lower() not in ("", "pcn", "lsoa")]
    if bad_built:
        problems.append(f"{_rows(bad_built)} a built_from other than 'pcn' or 'lsoa'.")
    grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows.values():
        grouped[r["neighbourhood"]].append(r)
    built = {name: {r.get("built_from", "").lower() or "lsoa" for r in group} for name, group in grouped.items()}
    mixed = [f"'{name}'" for name, kinds in built.items() if len(kinds) > 1]
    if mixed:
        problems.append(f"Some rows of {_some(mixed)} say built from 'pcn' and others 'lsoa'.")
    if problems:
        raise NeighbourhoodFileError(problems)
    neighbourhoods = [
        Neighbourhood(
            name=name,
            lsoa_codes=tuple(r["lsoa21_code"] for r in group),
            built_from=built[name].pop(),  # type: ignore[arg-type]
            pcn_codes=tuple(c for r in group for c in r.get("pcn_code", "").split(";")),
        )
        for name, group in grouped.items()
    ]
    problems = validate_neighbourhoods(lsoa, icb_code=icb_code, neighbourhoods=neighbourhoods)
    if problems:
        raise NeighbourhoodFileError(problems)
    return neighbourhoods


# --- helpers ---------------------------------------------------------------------------------------------------


def _icb_rows(lsoa: pd.DataFrame, icb_code: str) -> pd.DataFrame:
    return lsoa.loc[lsoa["icb_code"] == icb_code]


def _sorted_codes(codes: Iterable[str]) -> tuple[str, ...]:
    if isinstance(codes, str):
        codes = [codes]
    return tuple(sorted({str(c).strip() for c in codes if str(c).strip()}))


def _tidy_name(name: str) -> str:
    return re.sub(r"\s+", " ", str(name)).strip()


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _count(n: int, noun: str) -> str:
    return f"{_plural(n, noun)} {'is' if n == 1 else 'are'}"


def _some(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_SHOWN])
    return shown if len(items) <= _SHOWN else f"{shown} and {len(items) - _SHOWN:,} more"


def _rows(numbers: Sequence[int]) -> str:
    return (
        f"Row {numbers[0]} has"
        if len(numbers) == 1
        else f"{len(numbers):,} rows ({_some([str(n) for n in numbers])}) have"
    )


def _overlaps(neighbourhoods: Sequence[Neighbourhood]) -> list[str]:
    holders: dict[str, list[int]] = defaultdict(list)
    for index, n in enumerate(neighbourhoods):
        for code in n.lsoa_codes:
            holders[code].append(index)
    shared: dict[tuple[int, int], list[str]] = defaultdict(list)
    for code, indices in holders.items():
        for a, i in enumerate(indices):
            for j in indices[a + 1 :]:
                shared[(i, j)].append(code)
    return [
        f"'{neighbourhoods[i].name}' and '{neighbourhoods[j].name}' share {_plural(len(codes), 'LSOA')} "
        f"({_some(sorted(codes))})."
        for (i, j), codes in sorted(shared.items())
    ]


def _needs_quote(value: str) -> bool:
    """Whether a spreadsheet would read ``value`` as a formula (or it starts with a quote, so that it survives)."""
    return bool(value) and (value[0] in (*FORMULA_TRIGGERS, "'") or value.lstrip(" ")[:1] in FORMULA_TRIGGERS)


def _neutralise(value: str) -> str:
    return "'" + value if _needs_quote(value) else value


def _unneutralise(value: str) -> str:
    return value[1:] if value.startswith("'") and _needs_quote(value[1:]) else value


def _read_rows(data: bytes) -> dict[int, dict[str, str]]:
    """The data rows of a CSV file by spreadsheet row number, as {column: trimmed, un-neutralised text}."""
    if len(data) > MAX_FILE_BYTES:
        raise NeighbourhoodFileError(f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise NeighbourhoodFileError("The file is not a CSV: it is not UTF-8 text.") from error
    if not text.strip():
        raise NeighbourhoodFileError("The file is empty.")
    if "\x00" in text:
        raise NeighbourhoodFileError("The file is not a CSV: it contains binary data.")
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as error:
        raise NeighbourhoodFileError(f"The file is not a CSV that can be read: {error}.") from error
    header = [cell.strip().lower() for cell in records[0]]
    missing = [f"'{c}'" for c in REQUIRED_CSV_COLUMNS if c not in header]
    if missing:
        found = ", ".join(f"'{c}'" for c in header if c) or "none"
        raise NeighbourhoodFileError(
            f"The file has no {' or '.join(missing)} column; it needs at least 'neighbourhood' and 'lsoa21_code' "
            f"(columns found: {found})."
        )
    rows = {
        number: {column: _unneutralise(cell.strip()) for column, cell in zip(header, record, strict=False) if column}
        for number, record in enumerate(records[1:], start=2)
        if any(cell.strip() for cell in record)
    }
    if not rows:
        raise NeighbourhoodFileError("The file is empty: it has a header but no rows.")
    if len(rows) > MAX_FILE_ROWS:
        raise NeighbourhoodFileError(f"The file has {len(rows):,} rows; at most {MAX_FILE_ROWS:,} are allowed.")
    for row in rows.values():
        row.setdefault("lsoa21_code", "")
        row.setdefault("neighbourhood", "")
        row["lsoa21_code"] = row["lsoa21_code"].upper()
    return rows
