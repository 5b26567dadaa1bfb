"""Command line: generate the synthetic population of an ICB and write it as Parquet.

    python -m phm_core.synth --icb CODE --seed 1 --out DIR [--fraction 0.1] [--geography VERSION]

Writes DIR/people.parquet, DIR/events.parquet, DIR/metadata.json and DIR/calibration_prevalence.csv, and prints
what it wrote. Unknown ICB codes and unwritable folders are reported and the exit status is 2 or 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from phm_core.geoversions import load_shipped_versions
from phm_core.settings import DEFAULT_GEOGRAPHY, DEFAULT_ICB
from phm_core.synth import calibration
from phm_core.synth.generator import generate_population
from phm_core.synth.inputs import UnknownICBError, load_inputs
from phm_core.synth.io import PopulationWriteError, check_writable, write_population


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text} must be more than 0 and at most 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m phm_core.synth",
        description="Generate a SYNTHETIC linked population for one ICB (no real person's data) as Parquet.",
    )
    parser.add_argument(
        "--icb", required=True, help=f"ONS ICB code of the geography version, e.g. {DEFAULT_ICB} (the app's default)"
    )
    parser.add_argument(
        "--geography",
        default=DEFAULT_GEOGRAPHY,
        choices=sorted(load_shipped_versions()),
        help=f"NHS geography version the ICB code belongs to (default {DEFAULT_GEOGRAPHY})",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same people")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the Parquet files into")
    parser.add_argument("--fraction", type=_fraction, default=1.0, help="proportional sample, e.g. 0.1 (default 1)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        inputs = load_inputs(args.icb, geography=args.geography)
    except UnknownICBError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        check_writable(args.out)
    except PopulationWriteError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    started = time.perf_counter()
    population = generate_population(inputs, rng=np.random.default_rng(args.seed), fraction=args.fraction)
    elapsed = time.perf_counter() - started
    population.metadata["seed"] = str(args.seed)
    try:
        paths = write_population(population, args.out)
        report = calibration.prevalence_report(population.people, inputs.prevalence)
        report_path = args.out / "calibration_prevalence.csv"
        report.to_csv(report_path, index=False)
    except (PopulationWriteError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    people, events = population.people, population.events
    print(f"SYNTHETIC population of {inputs.icb_name} ({args.icb}), seed {args.seed}, fraction {args.fraction:g}")
    print(
        f"generated {len(people):,} people and {len(events):,} events in {elapsed:.1f} s "
        f"({len(people) / elapsed:,.0f} people a second)"
    )
    for label, path in (*paths.items(), ("calibration", report_path)):
        print(f"wrote {path}  ({path.stat().st_size / 1e6:.1f} MB, {label})")
    worst = report.loc[report["error_points"].abs().idxmax()]
    print(
        f"prevalence: {len(report)} register x place figures, largest error {worst['error_points']:+.3f} "
        f"percentage points ({worst['register_code']} in {worst['ltla24_name']})"
    )
    print(f"opted out: {people['opted_out'].mean():.1%}; deaths: {people['death_date'].notna().sum():,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
