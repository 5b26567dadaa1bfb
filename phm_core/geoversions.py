"""Geography versions: which sub-ICB location, ICB and NHS England region each LSOA 2021 was in at a date.

The NHS map changes (42 ICBs in April 2024, 36 in April 2026, more mergers expected). A *geography version* is
data, not code: a key (``"2026-04"``), a label ("ICBs as at April 2026") and a lookup with one row per LSOA 2021
in England giving its sub-ICB location, ICB and region. The app ships two versions (``geodata/data/
geography_lookup.parquet`` and ``geography_versions.json``); a user can load ONS's official lookup, which is
stored in the data directory and replaces a shipped version of the same key or adds a new one.

Everything here is pure: it takes tables and returns tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from phm_core.settings import DEFAULT_GEOGRAPHY, GEODATA_DIR
from phm_core.validation import DataValidationError, Problem

VERSIONS_FILE = "geography_versions.json"
LOOKUP_FILE = "geography_lookup.parquet"
# The columns of a version's lookup (strings), one row per LSOA 2021 in England.
LOOKUP_COLUMNS: tuple[str, ...] = (
    "lsoa21_code",
    "sub_icb_code",
    "sub_icb_code_nhs",
    "sub_icb_name",
    "icb_code",
    "icb_code_nhs",
    "icb_name",
    "region_code",
    "region_code_nhs",
    "region_name",
    "basis",
)
# Hierarchy columns of the base LSOA table (April 2024) that a version replaces.
BASE_HIERARCHY_COLUMNS: tuple[str, ...] = (
    "sicbl24_code",
    "sicbl24_code_nhs",
    "sicbl24_name",
    "icb24_code",
    "icb24_code_nhs",
    "icb24_name",
    "pcn_code",
    "pcn_name",
)
PCN_UNALLOCATED = "U"


@dataclass(frozen=True)
class GeographyVersion:
    """One NHS geography: its key, a label for people, when it took effect, where it came from."""

    key: str
    label: str
    effective_from: str
    status: str  # "published" (an official file), "reconstruction" (rebuilt from published rules), "official"
    source: str
    default_icb: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def short_label(self) -> str:
        """'April 2026' from 'ICBs as at April 2026'."""
        return self.label.removeprefix("ICBs as at ").strip()

    @property
    def is_reconstruction(self) -> bool:
        return self.status == "reconstruction"


def version_from_dict(raw: dict) -> GeographyVersion:
    """A version from its JSON metadata (shipped or stored by a user's upload)."""
    return GeographyVersion(
        key=str(raw["key"]),
        label=str(raw.get("label") or f"ICBs as at {raw['key']}"),
        effective_from=str(raw.get("effective_from") or f"{raw['key']}-01"),
        status=str(raw.get("status") or "official"),
        source=str(raw.get("source") or ""),
        default_icb=raw.get("default_icb"),
        notes=tuple(raw.get("notes") or ()),
    )


def load_shipped_versions(geodata_dir: Path = GEODATA_DIR) -> dict[str, GeographyVersion]:
    """The geography versions shipped with the app, newest first."""
    path = geodata_dir / VERSIONS_FILE
    if not path.exists():
        raise DataValidationError(str(path), [Problem("file not found; rebuild the shipped data with `make data`")])
    raw = json.loads(path.read_text())
    versions = [version_from_dict(item) for item in raw["versions"]]
    return {v.key: v for v in sorted(versions, key=lambda v: v.effective_from, reverse=True)}


def load_shipped_lookup(key: str, geodata_dir: Path = GEODATA_DIR) -> pd.DataFrame:
    """One shipped version's LSOA lookup, validated."""
    path = geodata_dir / LOOKUP_FILE
    table = pd.read_parquet(path, filters=[("version", "==", key)])
    if table.empty:
        raise DataValidationError(path.name, [Problem(f"no rows for geography version '{key}'")])
    return check_lookup(table.drop(columns="version"), source=f"{path.name} ({key})", allow_split_sub_icbs=True)


def check_lookup(table: pd.DataFrame, *, source: str, allow_split_sub_icbs: bool = False) -> pd.DataFrame:
    """Check a version's lookup: its columns, one row per LSOA, one ICB per sub-ICB, one region per ICB.

    A reconstruction that keeps old sub-ICB codes may have a sub-ICB split between ICBs (Frimley's, in April
    2026); ``allow_split_sub_icbs`` accepts that, and the app then labels each piece '(part)'.
    """
    missing = [c for c in LOOKUP_COLUMNS if c not in table.columns]
    if missing:
        raise DataValidationError(source, [Problem(f"missing columns {', '.join(missing)}")])
    problems: list[Problem] = []
    duplicated = table["lsoa21_code"].duplicated()
    if duplicated.any():
        problems.append(Problem("an LSOA appears more than once", "lsoa21_code", row_count=int(duplicated.sum())))
    pairs = [("icb_code", "region_code")] + ([] if allow_split_sub_icbs else [("sub_icb_code", "icb_code")])
    for child, parent in pairs:
        parents = table.groupby(child, observed=True)[parent].nunique()
        if (parents > 1).any():
            problems.append(Problem(f"{(parents > 1).sum()} {child} codes are in more than one {parent}", child))
    if problems:
        raise DataValidationError(source, problems)
    out = table.loc[:, [c for c in table.columns]].copy()
    for column in out.columns:
        if out[column].dtype == "category":
            out[column] = out[column].astype(str)
    return out.reset_index(drop=True)


def sub_icb_labels(base: pd.DataFrame, lookup: pd.DataFrame) -> pd.Series:
    """A readable name for each sub-ICB location, indexed by its code: 'Ipswich, Babergh and Mid Suffolk (06L)'.

    Official sub-ICB names are '<ICB> ICB - 06L', which say nothing about the place. A sub-ICB location that is
    exactly one April 2024 ICB takes that ICB's short name ('Norfolk and Waveney (26A)'); otherwise it is named
    by the local authorities holding at least 5% of its people (largest first; past four, three and 'and N more').
    """
    frame = base[["lsoa21_code", "ltla24_code", "ltla24_name", "icb24_code", "icb24_name", "pop_total"]].merge(
        lookup[["lsoa21_code", "sub_icb_code", "sub_icb_code_nhs"]], on="lsoa21_code", how="inner"
    )
    icb_sets = frame.groupby("icb24_code")["lsoa21_code"].agg(frozenset)
    icb_names = frame.drop_duplicates("icb24_code").set_index("icb24_code")["icb24_name"]
    whole_icb = {lsoas: short_icb_name(icb_names[code]).removeprefix("NHS ") for code, lsoas in icb_sets.items()}
    labels: dict[str, str] = {}
    for code, rows in frame.groupby("sub_icb_code"):
        nhs = str(rows["sub_icb_code_nhs"].iloc[0])
        suffix = f" ({nhs})" if nhs and nhs != "nan" else f" ({code})"
        name = whole_icb.get(frozenset(rows["lsoa21_code"]))
        if name is None:
            people = rows.groupby("ltla24_name")["pop_total"].sum().sort_values(ascending=False)
            people = people[people >= 0.05 * people.sum()] if len(people) > 1 else people
            places = list(people.index)
            if len(places) > 4:
                name = ", ".join(places[:3]) + f" and {len(places) - 3} more"
            else:
                name = places[0] if len(places) == 1 else ", ".join(places[:-1]) + " and " + places[-1]
        labels[code] = name + suffix
    return pd.Series(labels, name="sub_icb_label")


def short_icb_name(name: str) -> str:
    """Drop the 'Integrated Care Board' suffix that every ICB name carries."""
    return str(name).removesuffix(" Integrated Care Board").strip()


def practices_for_version(practices: pd.DataFrame, base: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    """GP practices with the version's ``icb_code``: through their sub-ICB, or where it was split, their location.

    A practice belongs to the ICB that commissions it. Its April 2024 sub-ICB location is known; when all of that
    sub-ICB's LSOAs are in one ICB of the version, that is the practice's ICB. Where a sub-ICB was split (e.g.
    Frimley's), the practice goes with the LSOA it stands in if that LSOA is in one of the successors, otherwise
    with the successor holding most of the sub-ICB's people.
    """
    pairs = base[["lsoa21_code", "sicbl24_code", "pop_total"]].merge(
        lookup[["lsoa21_code", "icb_code"]], on="lsoa21_code", how="inner"
    )
    people = pairs.groupby(["sicbl24_code", "icb_code"], as_index=False)["pop_total"].sum()
    main = people.sort_values("pop_total", ascending=False).drop_duplicates("sicbl24_code")
    main_icb = main.set_index("sicbl24_code")["icb_code"]
    candidates = people.groupby("sicbl24_code")["icb_code"].agg(frozenset)
    located = practices["lsoa21_code"].map(lookup.set_index("lsoa21_code")["icb_code"])
    icb = practices["sicbl24_code"].map(main_icb)
    allowed = [
        loc if isinstance(loc, str) and loc in candidates.get(sub, frozenset()) else fallback
        for loc, sub, fallback in zip(located, practices["sicbl24_code"], icb, strict=True)
    ]
    out = practices.copy()
    out["icb_code"] = pd.Series(allowed, index=practices.index, dtype="object")
    return out


def assign_pcns(lsoa: pd.DataFrame, practices: pd.DataFrame, *, icb_column: str = "icb_code") -> pd.DataFrame:
    """Give each LSOA the PCN of its nearest GP practice in the same ICB (an approximate neighbourhood).

    PCNs are lists of registered patients, not areas; without the registrations-by-LSOA file, the nearest
    practice is the published proxy most PHM teams use for mapping a PCN footprint. ``lsoa`` needs ``lon`` and
    ``lat``; ``practices`` needs ``lon``, ``lat``, ``pcn_code``, ``pcn_name`` and the ICB column.
    """
    located = practices.dropna(subset=["lat", "lon"]).loc[lambda p: p["pcn_code"] != PCN_UNALLOCATED]
    pcn_code = np.empty(len(lsoa), dtype=object)
    lon_lat = lsoa[["lon", "lat"]].to_numpy()
    for icb, rows in lsoa.groupby(icb_column).indices.items():
        candidates = located.loc[located[icb_column] == icb]
        if candidates.empty:
            continue
        tree = cKDTree(_to_metres(candidates[["lon", "lat"]].to_numpy()))
        _, nearest = tree.query(_to_metres(lon_lat[rows]))
        pcn_code[rows] = candidates["pcn_code"].to_numpy()[nearest]
    names = practices.drop_duplicates("pcn_code").set_index("pcn_code")["pcn_name"]
    out = lsoa.copy()
    out["pcn_code"] = pcn_code
    out["pcn_name"] = out["pcn_code"].map(names)
    return out


def _to_metres(lon_lat: np.ndarray) -> np.ndarray:
    """An equirectangular projection good enough for nearest-neighbour search within England."""
    lon, lat = lon_lat[:, 0], lon_lat[:, 1]
    return np.column_stack([lon * 111_320 * np.cos(np.radians(52.5)), lat * 110_540])


def versioned_lsoa(base: pd.DataFrame, lookup: pd.DataFrame, practices: pd.DataFrame) -> pd.DataFrame:
    """The LSOA table on one geography version.

    The base table's April 2024 hierarchy is replaced by the version's ``sub_icb_code``, ``sub_icb_label``,
    ``icb_code``, ``icb_name``, ``region_code``, ``region_name`` (and their NHS codes), and each LSOA's PCN is
    the nearest practice's within the version's ICB (taken from the lookup when it carries ``pcn_code``).
    """
    keep = [c for c in base.columns if c not in BASE_HIERARCHY_COLUMNS]
    table = base[keep].merge(lookup, on="lsoa21_code", how="left", validate="one_to_one")
    missing = table["icb_code"].isna()
    if missing.any():
        raise DataValidationError(
            "geography lookup", [Problem("LSOAs without an ICB", "lsoa21_code", row_count=int(missing.sum()))]
        )
    table["sub_icb_label"] = table["sub_icb_code"].map(sub_icb_labels(base, lookup))
    if "pcn_code" not in lookup.columns:
        table = assign_pcns(table, practices_for_version(practices, base, lookup))
    return table


def icb_table(lsoa: pd.DataFrame) -> pd.DataFrame:
    """One row per ICB of a versioned LSOA table: code, NHS code, name, short label, region, people, LSOAs."""
    icbs = lsoa.groupby(
        ["icb_code", "icb_code_nhs", "icb_name", "region_code", "region_name"], as_index=False, observed=True
    ).agg(population=("pop_total", "sum"), lsoas=("lsoa21_code", "count"))
    icbs["label"] = icbs["icb_name"].map(short_icb_name)
    return icbs.sort_values(["region_name", "label"], ignore_index=True)


def changes_between(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """How LSOAs moved between two versions' ICBs: one row per (old ICB, new ICB) pair with LSOAs and people.

    ``old`` and ``new`` are versioned LSOA tables. ``basis`` is the new version's reason where it has one (e.g.
    'Frimley split inferred from county').
    """
    pairs = old[["lsoa21_code", "icb_code", "icb_name", "pop_total"]].merge(
        new[["lsoa21_code", "icb_code", "icb_name", "basis"]],
        on="lsoa21_code",
        suffixes=("_old", "_new"),
    )
    out = pairs.groupby(["icb_code_old", "icb_name_old", "icb_code_new", "icb_name_new"], as_index=False).agg(
        lsoas=("lsoa21_code", "count"),
        people=("pop_total", "sum"),
        basis=("basis", lambda b: "; ".join(sorted(set(map(str, b))))),
    )
    return out.sort_values(["icb_code_old", "people"], ascending=[True, False], ignore_index=True)


def successors(changes: pd.DataFrame, icb_code: str) -> pd.DataFrame:
    """Where an old ICB's LSOAs went (largest share first)."""
    return changes.loc[changes["icb_code_old"] == icb_code].reset_index(drop=True)


def predecessors(changes: pd.DataFrame, icb_code: str) -> pd.DataFrame:
    """Where a new ICB's LSOAs came from (largest share first)."""
    rows = changes.loc[changes["icb_code_new"] == icb_code]
    return rows.sort_values("people", ascending=False, ignore_index=True)


def changed_lsoa_count(old: pd.DataFrame, new: pd.DataFrame) -> int:
    """How many LSOAs have a different ICB code in ``new`` than in ``old``."""
    merged = old[["lsoa21_code", "icb_code"]].merge(new[["lsoa21_code", "icb_code"]], on="lsoa21_code")
    return int((merged["icb_code_x"] != merged["icb_code_y"]).sum())


def moved_places(old: pd.DataFrame, new: pd.DataFrame, *, icb_code: str) -> dict[str, str]:
    """For an old ICB, the places (local authorities) each successor took: {successor code: 'Colchester and Tendring'}.

    A place split between successors is named in each, as '(part)'.
    """
    rows = old.loc[old["icb_code"] == icb_code, ["lsoa21_code", "ltla24_name", "pop_total"]].merge(
        new[["lsoa21_code", "icb_code"]], on="lsoa21_code"
    )
    out: dict[str, str] = {}
    split = rows.groupby("ltla24_name")["icb_code"].nunique()
    for successor, part in rows.groupby("icb_code"):
        people = part.groupby("ltla24_name")["pop_total"].sum().sort_values(ascending=False)
        names = [f"{n} (part)" if split[n] > 1 else n for n in people.index]
        if len(names) > 4:
            names = [*names[:3], f"{len(names) - 3} more places"]
        out[successor] = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return out


def abolition_message(
    icb_name: str,
    icb_code: str,
    successors_table: pd.DataFrame,
    *,
    version: GeographyVersion,
    parts: dict[str, str],
) -> str:
    """Plain English for a link to an ICB that no longer exists in ``version``.

    ``successors_table`` comes from :func:`successors`; ``parts`` names the piece of the old ICB each successor
    took (successor code -> 'Colchester and Tendring'), from :func:`moved_places`.
    """
    name = short_icb_name(icb_name)
    date = long_date(version.effective_from)
    if len(successors_table) == 1:
        row = successors_table.iloc[0]
        if short_icb_name(row["icb_name_new"]) == name:
            return f"{name} took a new ONS code on {date}: {icb_code} became {row['icb_code_new']}."
        return f"{name} was abolished on {date}; all of its area is now in {short_icb_name(row['icb_name_new'])}."
    pieces = []
    for row in successors_table.itertuples():
        part = parts.get(row.icb_code_new)
        successor = short_icb_name(row.icb_name_new)
        pieces.append(f"{successor} ({part})" if part else successor)
    where = ", ".join(pieces[:-1]) + " and " + pieces[-1]
    return f"{name} was abolished on {date}; its area is now in {where}."


def formation_message(
    icb_name: str, predecessors_table: pd.DataFrame, *, formed: GeographyVersion, shown: GeographyVersion
) -> str:
    """Plain English for a link to an ICB that did not yet exist in the (older) version ``shown``."""
    names = [short_icb_name(n) for n in predecessors_table["icb_name_new"]]
    where = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return (
        f"{short_icb_name(icb_name)} did not exist in {shown.short_label}: it was formed on "
        f"{long_date(formed.effective_from)}. In {shown.short_label} its area was in {where}."
    )


def long_date(iso: str) -> str:
    """'1 April 2026' from '2026-04-01'."""
    try:
        stamp = pd.Timestamp(iso)
    except ValueError:
        return iso
    return f"{stamp.day} {stamp:%B %Y}"


def load_versioned_lsoa(key: str = DEFAULT_GEOGRAPHY, geodata_dir: Path = GEODATA_DIR) -> pd.DataFrame:
    """The shipped LSOA table on a shipped geography version (for scripts, benchmarks and tests)."""
    from phm_core import loaders

    base = loaders.load_lsoa(geodata_dir / "lsoa.parquet")
    practices = loaders.load_practices(geodata_dir / "gp_practices.parquet")
    return versioned_lsoa(base, load_shipped_lookup(key, geodata_dir), practices)


def load_versioned_practices(key: str = DEFAULT_GEOGRAPHY, geodata_dir: Path = GEODATA_DIR) -> pd.DataFrame:
    """The shipped GP practices with ``icb_code`` on a shipped geography version."""
    from phm_core import loaders

    base = loaders.load_lsoa(geodata_dir / "lsoa.parquet")
    practices = loaders.load_practices(geodata_dir / "gp_practices.parquet")
    return practices_for_version(practices, base, load_shipped_lookup(key, geodata_dir))


def default_version_key(versions: dict[str, GeographyVersion]) -> str:
    """The app's default geography version, or the newest if that is missing."""
    return DEFAULT_GEOGRAPHY if DEFAULT_GEOGRAPHY in versions else next(iter(versions))
