"""Does the evaluation recover a known effect? A simulation study on regenerated synthetic populations.

For each ICB (the app's default and the largest on the geography version, unless ``--icb`` names others) and
each sample (a seed), a fraction of the ICB's population is generated with the simulated pilot
preventing a known share of emergency admissions after enrolment; the evaluation page's method then estimates it
against each comparison pool. Prints, for each true effect and pool: the mean and standard deviation of the
naive before-and-after change and of the matched estimate, how often the matched 95% interval covered the truth,
the mean width of that interval, and the time per evaluation (with the machine's load average). Run from the
project root:

    python bench/bench_evaluation.py [--geography 2026-04] [--icb E54000068 ...] [--samples 24] [--fraction 0.2]
                                     [--effects 0.15 0] [--first-seed 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bench.common import load_bench_icbs, machine_load  # noqa: E402
from phm_core import evaluation, segmentation  # noqa: E402
from phm_core.settings import DEFAULT_GEOGRAPHY  # noqa: E402
from phm_core.synth import generate_population, load_inputs, parameters  # noqa: E402


def study(
    *, icb: str, geography: str, effect: float, samples: int, fraction: float, first_seed: int, bootstrap: int
) -> pd.DataFrame:
    """One row per sample and comparison pool: the estimates, the interval and the time taken."""
    inputs = load_inputs(icb, geography=geography)
    rows = []
    for seed in range(first_seed, first_seed + samples):
        population = generate_population(
            inputs, rng=np.random.default_rng(seed), fraction=fraction, intervention_effect=effect
        )
        people = segmentation.index_population(population.people)
        for pool in evaluation.POOLS:
            started = time.perf_counter()
            data = evaluation.evaluation_data(
                people,
                population.events,
                intervention=parameters.INTERVENTION_NAME,
                pool=pool,
                rng=np.random.default_rng(seed),
            )
            result = evaluation.evaluate(
                data, population.events, rng=np.random.default_rng(seed + 1), bootstrap=bootstrap
            )
            low, high = result.matched_interval
            rows.append(
                {
                    "effect": effect,
                    "seed": seed,
                    "pool": pool,
                    "enrolled": result.enrolled,
                    "matched": result.matched,
                    "naive": result.naive_change,
                    "estimate": result.matched_effect,
                    "low": low,
                    "high": high,
                    "covered": low <= -effect <= high,
                    "seconds": time.perf_counter() - started,
                }
            )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--geography", default=DEFAULT_GEOGRAPHY, help="geography version (default %(default)s)")
    parser.add_argument("--icb", action="append", help="ICB code(s); default: the default and the largest ICB")
    parser.add_argument("--samples", type=int, default=24, help="regenerated populations per effect (default 24)")
    parser.add_argument("--fraction", type=float, default=0.2, help="share of the ICB in each (default 0.2)")
    parser.add_argument("--effects", type=float, nargs="+", default=[parameters.INTERVENTION_EFFECT, 0.0])
    parser.add_argument("--first-seed", type=int, default=10)
    parser.add_argument("--bootstrap", type=int, default=evaluation.BOOTSTRAP)
    args = parser.parse_args()
    for icb in load_bench_icbs(args.geography, codes=args.icb):
        print(
            f"\nevaluation simulation study: {args.samples} samples of {args.fraction:.0%} of {icb.label} per effect "
            f"(geography {args.geography}), seeds {args.first_seed} to {args.first_seed + args.samples - 1}, "
            f"{args.bootstrap} bootstrap resamples; {machine_load()}"
        )
        run_study(args, icb=icb.code)


def run_study(args: argparse.Namespace, *, icb: str) -> None:
    """Print one line per true effect and comparison pool for one ICB."""
    for effect in args.effects:
        table = study(
            icb=icb,
            geography=args.geography,
            effect=effect,
            samples=args.samples,
            fraction=args.fraction,
            first_seed=args.first_seed,
            bootstrap=args.bootstrap,
        )
        for pool, rows in table.groupby("pool", sort=False):
            print(
                f"true effect {-effect or 0.0:+.0%}, comparison {pool}: "
                f"enrolled median {int(rows['enrolled'].median()):,}; "
                f"naive mean {rows['naive'].mean():+.1%} (SD {rows['naive'].std():.3f}); "
                f"matched mean {rows['estimate'].mean():+.1%} (SD {rows['estimate'].std():.3f}, "
                f"range {rows['estimate'].min():+.1%} to {rows['estimate'].max():+.1%}); "
                f"95% interval covered the truth in {int(rows['covered'].sum())}/{len(rows)} "
                f"(mean width {(rows['high'] - rows['low']).mean():.3f}); "
                f"evaluation median {statistics.median(rows['seconds']):.2f} s; {machine_load()}"
            )


if __name__ == "__main__":
    main()
