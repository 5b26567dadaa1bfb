"""Benchmark of risk stratification and the cohort builder on the default and the largest ICB's synthetic population.

For each ICB (the app's default and the largest on the geography version, unless ``--icb`` names others; each in
its own Python process), prints: the time and peak resident memory to generate the population, to train the three
risk models (and each one, with the training and held-out sample sizes), the time to score 1 million people with
the chosen model, the time to build the cohort index, and the latency of counting a cohort (median and worst of
100 random combinations of criteria, and of 100 random definitions with two OR groups and an exclusion), plus a
Monte Carlo scenario and the evaluation, each with the machine's load average. Run from the project root:

    python bench/bench_risk.py [--geography 2026-04] [--icb E54000068 ...] [--folder DIR] [--filters 100]
                               [--fraction 1] [--cohorts-only]

``--folder`` reuses a population written by ``python -m phm_core.synth --out DIR [--fraction 0.1]`` (one ICB);
otherwise the population is generated (``--fraction`` of it, everyone by default). ``--cohorts-only`` times the
cohort index and counts only, on the interim risk tiers (no model training, scoring, Monte Carlo or evaluation).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bench.common import current_rss_mb, load_bench_icbs, machine_load, peak_rss_mb, reset_peak_rss  # noqa: E402
from phm_core import cohorts, evaluation, risk, scenarios, segmentation  # noqa: E402
from phm_core.cohorts import CohortCriteria, CohortDefinition, CohortIndex  # noqa: E402
from phm_core.settings import DEFAULT_GEOGRAPHY  # noqa: E402
from phm_core.synth import generate_population, load_inputs  # noqa: E402
from phm_core.synth.schema import CONDITION_NAMES  # noqa: E402


def random_criteria(rng: np.random.Generator, index: CohortIndex) -> CohortCriteria:
    """Two to six criteria chosen at random, as a user might combine them."""

    def some(values: list, most: int = 3) -> tuple:
        return tuple(rng.choice(values, size=int(rng.integers(1, most + 1)), replace=False).tolist())

    options = {
        "age_min": lambda: int(rng.integers(0, 85)),
        "age_max": lambda: 120,
        "sexes": lambda: some(["F", "M"], 1),
        "segments": lambda: some(index.categories["segment"]),
        "conditions": lambda: some(list(CONDITION_NAMES), 2),
        "condition_match": lambda: str(rng.choice(["all", "any"])),
        "ltc_min": lambda: int(rng.integers(0, 5)),
        "frailty": lambda: some(["fit", "mild", "moderate", "severe"], 2),
        "medicines_min": lambda: int(rng.integers(0, 12)),
        "falls_min": lambda: int(rng.integers(0, 3)),
        "palliative_care": lambda: bool(rng.random() < 0.5),
        "care_home": lambda: bool(rng.random() < 0.5),
        "risk_tiers": lambda: some(["high", "rising", "low"], 2),
        "imd_quintiles": lambda: tuple(int(q) for q in some([1, 2, 3, 4, 5])),
        "places": lambda: some(index.categories["place"], 3),
        "pcns": lambda: some(index.categories["pcn"], 5),
        "practices": lambda: some(index.categories["practice"], 10),
        "air_quality_worst_share": lambda: float(rng.choice([0.1, 0.2, 0.4])),
        "smoker_in_household": lambda: bool(rng.random() < 0.5),
        "include_opted_out": lambda: bool(rng.random() < 0.2),
    }
    chosen = rng.choice(list(options), size=int(rng.integers(2, 7)), replace=False)
    return CohortCriteria(**{key: options[key]() for key in chosen})


def random_definition(rng: np.random.Generator, index: CohortIndex) -> CohortDefinition:
    """Two OR groups and an exclusion, each of two to six random criteria."""

    def group() -> CohortCriteria:
        criteria = random_criteria(rng, index)
        return CohortCriteria(**{**criteria.to_dict(), "include_opted_out": False})

    return CohortDefinition(groups=(group(), group()), exclusions=(group(),), include_opted_out=rng.random() < 0.2)


def count_latency(index: CohortIndex, cohorts_to_count: list) -> tuple[list[float], list[int]]:
    """Milliseconds to count each cohort, and its count."""
    latencies, counts = [], []
    for cohort in cohorts_to_count:
        started = time.perf_counter()
        count = index.count(cohort)
        latencies.append((time.perf_counter() - started) * 1000)
        counts.append(count)
    return latencies, counts


def time_cohort_counts(index: CohortIndex, filters: int) -> None:
    """Print the latency of counting random criteria and random definitions (two OR groups and an exclusion)."""
    rng = np.random.default_rng(7)
    for label, make in (
        ("random filters", random_criteria),
        ("random definitions (2 OR groups + 1 exclusion)", random_definition),
    ):
        latencies, counts = count_latency(index, [make(rng, index) for _ in range(filters)])
        print(
            f"cohort count over {index.n:,} people, {filters} {label}: median {statistics.median(latencies):.1f} ms, "
            f"95th centile {np.percentile(latencies, 95):.1f} ms, worst {max(latencies):.1f} ms "
            f"(cohorts from {min(counts):,} to {max(counts):,} people); {machine_load()}"
        )


def memory(before: float) -> str:
    """'peak resident memory 2,345 MiB (+1,234 MiB over the 1,111 MiB held before)', since :func:`reset_peak_rss`."""
    peak = peak_rss_mb()
    return f"peak resident memory {peak:,.0f} MiB (+{peak - before:,.0f} MiB over the {before:,.0f} MiB held before)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--geography", default=DEFAULT_GEOGRAPHY, help="geography version (default %(default)s)")
    parser.add_argument("--icb", action="append", help="ICB code(s); default: the default and the largest ICB")
    parser.add_argument("--folder", type=Path, help="a stored population (people.parquet, events.parquet)")
    parser.add_argument("--fraction", type=float, default=1.0, help="share of the ICB to generate (default 1)")
    parser.add_argument("--filters", type=int, default=100, help="random cohorts to count")
    parser.add_argument(
        "--cohorts-only", action="store_true", help="only the cohort index and counts (interim risk tiers)"
    )
    args = parser.parse_args()
    if args.folder:
        run_one(args, icb=args.icb[0] if args.icb else str(args.folder))
        return
    codes = [icb.code for icb in load_bench_icbs(args.geography, codes=args.icb)]
    if len(codes) == 1:
        run_one(args, icb=codes[0])
        return
    options = ["--geography", args.geography, "--fraction", str(args.fraction), "--filters", str(args.filters)]
    options += ["--cohorts-only"] if args.cohorts_only else []
    for code in codes:  # one process per ICB, so each one's peak memory is its own
        subprocess.run([sys.executable, __file__, *options, "--icb", code], check=True, cwd=ROOT)
        print()


def run_one(args: argparse.Namespace, *, icb: str) -> None:
    """Every figure for one ICB, in this process."""
    print(f"== {icb} on geography {args.geography}; {machine_load()}")
    reset_peak_rss()
    before = current_rss_mb()
    started = time.perf_counter()
    if args.folder:
        people_all = pd.read_parquet(args.folder / "people.parquet")
        events = pd.read_parquet(args.folder / "events.parquet")
    else:
        inputs = load_inputs(icb, geography=args.geography)
        print(f"{inputs.icb_name}, fraction {args.fraction:g}, seed 1")
        population = generate_population(inputs, rng=np.random.default_rng(1), fraction=args.fraction)
        people_all, events = population.people, population.events
    print(
        f"population: {len(people_all):,} people, {len(events):,} events ({time.perf_counter() - started:.1f} s); "
        f"{memory(before)}; {machine_load()}"
    )

    reset_peak_rss()
    before = current_rss_mb()
    segmented = segmentation.add_segments_and_risk(people_all)
    if args.cohorts_only:
        started = time.perf_counter()
        index = CohortIndex.from_people(segmented)  # alive at the index date, opted-out people flagged
        print(f"cohort index of {index.n:,} people: {time.perf_counter() - started:.2f} s")
        time_cohort_counts(index, args.filters)
        print(f"segments, cohort index and counts: {memory(before)}")
        return
    reset_peak_rss()
    before = current_rss_mb()
    started = time.perf_counter()
    models = risk.train_risk_models(people_all)
    train_seconds = time.perf_counter() - started
    print(
        f"training: {train_seconds:.1f} s in all on {models.people['training']:,} people "
        f"({', '.join(f'{k} {s:.1f} s' for k, s in models.training_seconds.items())}); "
        f"model card on {models.people['held_out']:,} held-out people; chosen: {models.chosen}"
    )
    print(f"  training {memory(before)}; {machine_load()}")
    card = models.card["discrimination"].set_index("model")
    for kind in risk.MODEL_KINDS:
        row = card.loc[kind]
        calibration = models.card["calibration_summary"][kind]
        top = models.card["top_shares"][kind].set_index("share")
        print(
            f"  {kind:18s} AUROC {row['auroc']:.3f} ({row['auroc_low']:.3f}-{row['auroc_high']:.3f})  "
            f"AP {row['average_precision']:.3f}  Brier {row['brier']:.4f}  "
            f"calibration in the large {calibration['in_the_large'] * 100:+.2f} pts, "
            f"mean abs error {calibration['mean_absolute_error'] * 100:.2f} pts, slope {calibration['slope']:.2f}  "
            f"PPV/sensitivity top 0.5% {top.loc[0.005, 'ppv']:.2f}/{top.loc[0.005, 'sensitivity']:.3f}, "
            f"5% {top.loc[0.05, 'ppv']:.2f}/{top.loc[0.05, 'sensitivity']:.2f}, "
            f"20% {top.loc[0.2, 'ppv']:.2f}/{top.loc[0.2, 'sensitivity']:.2f}"
        )

    million = segmented.sample(n=1_000_000, replace=len(segmented) < 1_000_000, random_state=1)
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        models.model.predict_risk(million)
        timings.append(time.perf_counter() - started)
    print(f"scoring 1,000,000 people (features + calibrated model): best of 3 {min(timings):.2f} s; {machine_load()}")

    scored = risk.score_people(models, segmented)
    started = time.perf_counter()
    index = CohortIndex.from_people(scored)
    print(f"cohort index of {index.n:,} people: {time.perf_counter() - started:.2f} s")
    time_cohort_counts(index, args.filters)
    criteria = CohortCriteria(age_min=65, frailty=("moderate", "severe"))
    started = time.perf_counter()
    mask = index.mask(criteria)
    base = index.mask(CohortCriteria())
    summary = cohorts.cohort_summary(scored, mask, base=base)
    breakdowns = {d: cohorts.cohort_breakdown(index, mask, dimension=d, base=base) for d in cohorts.BREAKDOWNS}
    cohorts.rate_by_lsoa(index, mask, base=base)
    print(
        f"cohort page figures (summary, 5 breakdowns, LSOA rates) for {int(mask.sum()):,} people: "
        f"{(time.perf_counter() - started) * 1000:.0f} ms"
    )
    assert len(summary) and len(breakdowns)

    intervention = scenarios.INTERVENTIONS["proactive_neighbourhood_care"]
    scenario = scenarios.Scenario("bench", intervention, int(mask.sum()), scenarios.cohort_baseline(scored, mask))
    started = time.perf_counter()
    scenarios.summarise(scenarios.simulate(scenario, rng=np.random.default_rng(1), draws=10_000))
    print(f"scenario Monte Carlo, 10,000 draws: {(time.perf_counter() - started) * 1000:.0f} ms")

    started = time.perf_counter()
    people = segmentation.index_population(people_all)
    data = evaluation.evaluation_data(
        people, events, intervention="Proactive neighbourhood team care", rng=np.random.default_rng(1)
    )
    result = evaluation.evaluate(data, events, rng=np.random.default_rng(2))
    print(
        f"evaluation ({result.enrolled:,} enrolled, {result.matched:,} matched, {evaluation.BOOTSTRAP} bootstrap "
        f"resamples): {time.perf_counter() - started:.1f} s; naive {result.naive_change:+.1%} "
        f"({result.naive_interval[0]:+.1%} to {result.naive_interval[1]:+.1%}), matched {result.matched_effect:+.1%} "
        f"({result.matched_interval[0]:+.1%} to {result.matched_interval[1]:+.1%}); true effect -15%"
    )
    print(f"peak resident memory of the process {peak_rss_mb():,.0f} MiB (since training began); {machine_load()}")


if __name__ == "__main__":
    main()
