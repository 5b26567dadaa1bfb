"""Benchmark of the synthetic population generator: time and peak memory for the default and the largest ICB.

Each ICB runs in a fresh Python process, so its peak resident memory (``getrusage`` max RSS) is its own. Prints
people a second for generation alone and with writing the Parquet files, and the load average of the machine
with each figure (other work slows it down). The ICBs are the app's default and the largest on the geography
version, unless ``--icb`` names others. Run from the project root:

    python bench/bench_synth.py [--geography 2026-04] [--icb E54000071 ...] [--fraction 1] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import load_bench_icbs, machine_load  # noqa: E402
from phm_core.settings import DEFAULT_GEOGRAPHY  # noqa: E402


def run_one(icb: str, *, geography: str, fraction: float) -> dict:
    """Generate and write one ICB in this process; return timings and the peak memory."""
    import numpy as np

    from phm_core.synth import generate_population, load_inputs
    from phm_core.synth.io import write_population

    started = time.perf_counter()
    inputs = load_inputs(icb, geography=geography)
    loaded = time.perf_counter()
    population = generate_population(inputs, rng=np.random.default_rng(1), fraction=fraction)
    generated = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        paths = write_population(population, Path(folder))
        written = time.perf_counter()
        megabytes = sum(p.stat().st_size for p in paths.values()) / 1e6
    return {
        "icb": icb,
        "name": inputs.icb_name,
        "people": len(population.people),
        "events": len(population.events),
        "load_seconds": loaded - started,
        "generate_seconds": generated - loaded,
        "write_seconds": written - generated,
        "parquet_mb": megabytes,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load": machine_load(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--geography", default=DEFAULT_GEOGRAPHY, help="geography version (default %(default)s)")
    parser.add_argument("--icb", action="append", help="ICB code(s); default: the default and the largest ICB")
    parser.add_argument("--fraction", type=float, default=1.0, help="share of each ICB to generate (default 1)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per ICB (the fastest is reported)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one ICB and print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, geography=args.geography, fraction=args.fraction)))
        return
    icbs = load_bench_icbs(args.geography, codes=args.icb)
    print(f"geography {args.geography}, fraction {args.fraction:g}, seed 1; {machine_load()} before the runs")
    for icb in icbs:
        runs = []
        for _ in range(args.repeat):
            command = [sys.executable, __file__, "--one", icb.code, "--geography", args.geography]
            out = subprocess.run(
                [*command, "--fraction", str(args.fraction)], capture_output=True, text=True, check=True, cwd=ROOT
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        best = min(runs, key=lambda r: r["generate_seconds"])
        per_second = best["people"] / best["generate_seconds"]
        with_write = best["people"] / (best["generate_seconds"] + best["write_seconds"])
        print(f"{icb.label}: {best['people']:,} people, {best['events']:,} events")
        print(f"  generate {best['generate_seconds']:.1f} s = {per_second:,.0f} people a second")
        print(f"  + Parquet {best['write_seconds']:.1f} s ({best['parquet_mb']:.0f} MB): {with_write:,.0f} a second")
        print(
            f"  load shipped inputs {best['load_seconds']:.1f} s; peak resident memory {best['peak_rss_mb']:,.0f} MiB"
        )
        print(f"  {best['load']} at the end of the run")


if __name__ == "__main__":
    main()
