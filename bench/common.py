"""What the benchmarks share: the ICBs they measure (the default and the largest), machine load, peak memory.

The default and the largest ICB come from data (``phm_core.settings`` and the versioned LSOA table), so a new NHS
configuration needs no change here; scripts take ``--geography`` and ``--icb`` to measure another version or ICB.
The load average is printed next to timings (other work on the shared machine slows them down).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pandas as pd

from phm_core import geography, geoversions
from phm_core.settings import DEFAULT_GEOGRAPHY, DEFAULT_ICB


@dataclass(frozen=True)
class BenchICB:
    """One ICB to measure: its code, short name, people (Census 2021) and LSOAs on a geography version."""

    code: str
    name: str
    people: int
    lsoas: int
    role: str  # "default", "largest", "default and largest" or "chosen"

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code}, {self.role}; {self.people:,} people, {self.lsoas:,} LSOAs)"


def bench_icbs(lsoa: pd.DataFrame, *, codes: list[str] | None = None) -> list[BenchICB]:
    """The ICBs to measure on a versioned LSOA table: ``codes`` if given, else the default and the largest."""
    table = geography.icb_options(lsoa).set_index("code")
    lsoa_counts = lsoa.groupby("icb_code", observed=True).size()
    largest = str(table["population"].idxmax())
    if codes:
        unknown = [c for c in codes if c not in table.index]
        if unknown:
            raise SystemExit(f"not an ICB on this geography version: {', '.join(unknown)}")
        roles = {c: "largest" if c == largest else ("default" if c == DEFAULT_ICB else "chosen") for c in codes}
    elif DEFAULT_ICB == largest or DEFAULT_ICB not in table.index:
        roles = {largest: "largest"}
    else:
        roles = {DEFAULT_ICB: "default", largest: "largest"}
    return [
        BenchICB(
            code=code,
            name=str(table.loc[code, "label"]),
            people=int(table.loc[code, "population"]),
            lsoas=int(lsoa_counts[code]),
            role=role,
        )
        for code, role in roles.items()
    ]


def load_bench_icbs(key: str = DEFAULT_GEOGRAPHY, *, codes: list[str] | None = None) -> list[BenchICB]:
    """:func:`bench_icbs` on a shipped geography version."""
    return bench_icbs(geoversions.load_versioned_lsoa(key), codes=codes)


def machine_load() -> str:
    """The load average now, for printing next to a figure: other work on the machine slows it down."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def current_rss_mb() -> float:
    """This process's resident memory now, in MiB (Linux)."""
    return _status_kb("VmRSS") / 1024


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started or since :func:`reset_peak_rss`, in MiB (Linux)."""
    return _status_kb("VmHWM") / 1024


def reset_peak_rss() -> None:
    """Start measuring the peak resident memory again from now (Linux: write 5 to /proc/self/clear_refs).

    ``getrusage`` and ``/usr/bin/time -v`` read the same peak, so after a reset they too report the peak since it.
    """
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")


def _status_kb(field: str) -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return float(line.split()[1])
    raise OSError(f"{field} not in /proc/self/status")
