"""Benchmark of phm_core.stats against a plain per-group Python loop of the same formulas.

Prints one line per figure: the vectorised time, the loop time (run on a subset and scaled up linearly,
as stated on each line) and their ratio. Run with ``python -m bench.bench_stats`` or
``python bench/bench_stats.py`` from the project root.
"""

from __future__ import annotations

import math
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import gammaincinv, ndtri

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import phm_core.stats as st  # noqa: E402

Z95 = float(ndtri(0.975))


def timed(function: Callable[[], object], repeat: int = 1) -> float:
    """Best wall-clock time of ``repeat`` runs, in seconds."""
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


# --- plain loops of the same formulas ------------------------------------------------------------------


def wilson_loop(numerators: list[int], denominators: list[int]) -> list[tuple[float, float, float]]:
    out = []
    for x, n in zip(numerators, denominators, strict=True):
        q = 1 - x / n
        spread = Z95 * math.sqrt(Z95 * Z95 + 4 * x * q)
        scale = 2 * (n + Z95 * Z95)
        out.append((x / n, (2 * x + Z95 * Z95 - spread) / scale, (2 * x + Z95 * Z95 + spread) / scale))
    return out


def byars_loop(counts: list[int], populations: list[int]) -> list[tuple[float, float, float]]:
    out = []
    for x, n in zip(counts, populations, strict=True):
        if x < 10:
            low = float(gammaincinv(x, 0.025)) if x > 0 else 0.0
            high = float(gammaincinv(x + 1, 0.975))
        else:
            low = x * (1 - 1 / (9 * x) - Z95 / (3 * math.sqrt(x))) ** 3
            high = (x + 1) * (1 - 1 / (9 * (x + 1)) + Z95 / (3 * math.sqrt(x + 1))) ** 3
        out.append((x / n * 1e5, low / n * 1e5, high / n * 1e5))
    return out


BANDS = [0, 1, *range(5, 95, 5)]


def life_expectancy_loop(deaths: list[list[float]], populations: list[list[float]]) -> list[tuple[float, float]]:
    """Chiang II life expectancy at birth with Silcocks' final-band variance, one area at a time."""
    out = []
    for d, p in zip(deaths, populations, strict=True):
        k = len(BANDS)
        alive, q, widths, fractions = [100_000.0], [], [], []
        for i in range(k - 1):
            width = BANDS[i + 1] - BANDS[i]
            fraction = 0.1 if BANDS[i] == 0 else 0.5
            m = d[i] / p[i]
            qi = width * m / (1 + width * (1 - fraction) * m)
            q.append(qi)
            widths.append(width)
            fractions.append(fraction)
            alive.append(alive[-1] * (1 - qi))
        years = [widths[i] * (alive[i + 1] + fractions[i] * (alive[i] - alive[i + 1])) for i in range(k - 1)]
        years.append(alive[-1] / (d[-1] / p[-1]))
        total = [0.0] * k
        running = 0.0
        for i in range(k - 1, -1, -1):
            running += years[i]
            total[i] = running
        expectancy = [total[i] / alive[i] for i in range(k)]
        variance_sum = alive[-1] ** 2 / (d[-1] / p[-1]) ** 4 * d[-1] / p[-1] ** 2
        for i in range(k - 2, -1, -1):
            qv = q[i] ** 2 * (1 - q[i]) / d[i] if d[i] > 0 else 0.0
            variance_sum += alive[i] ** 2 * ((1 - fractions[i]) * widths[i] + expectancy[i + 1]) ** 2 * qv
        out.append((expectancy[0], math.sqrt(variance_sum) / alive[0]))
    return out


def sii_loop(values: list[list[float]], ses: list[list[float]], pops: list[list[float]], repetitions: int,
             seed: int) -> list[tuple[float, float, float]]:  # fmt: skip
    """Population-weighted regression SII with simulated 95% limits, one area and one repetition at a time."""
    rng = random.Random(seed)
    out = []
    for y, s, p in zip(values, ses, pops, strict=True):
        total = sum(p)
        share = [v / total for v in p]
        rank, cumulative = [], 0.0
        for a in share:
            rank.append(cumulative + a / 2)
            cumulative += a
        mean_rank = sum(a * r for a, r in zip(share, rank, strict=True))
        denominator = sum(a * (r - mean_rank) ** 2 for a, r in zip(share, rank, strict=True))

        def slope(series: list[float], share: list[float] = share, rank: list[float] = rank,
                  mean_rank: float = mean_rank, denominator: float = denominator) -> float:  # fmt: skip
            mean_y = sum(a * v for a, v in zip(share, series, strict=True))
            return sum(a * (r - mean_rank) * (v - mean_y) for a, r, v in zip(share, rank, series, strict=True)) / (
                denominator
            )

        sims = sorted(slope([v + e * rng.gauss(0, 1) for v, e in zip(y, s, strict=True)]) for _ in range(repetitions))
        out.append((slope(y), sims[int(0.025 * repetitions)], sims[int(0.975 * repetitions)]))
    return out


# --- data ----------------------------------------------------------------------------------------------


def make_le_frame(areas: int, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    base_rates = np.array([0.004, 0.0002, 0.0001, 0.0001, 0.0003, 0.0004, 0.0005, 0.0007, 0.001, 0.0015,
                           0.0025, 0.004, 0.006, 0.009, 0.014, 0.023, 0.04, 0.07, 0.12, 0.22])  # fmt: skip
    pops = rng.integers(2_000, 8_000, size=(areas, 20)).astype(float)
    deaths = rng.poisson(pops * base_rates * rng.uniform(0.8, 1.2, size=(areas, 1))).astype(float)
    deaths[:, -1] = np.maximum(deaths[:, -1], 1)
    frame = pd.DataFrame({"area": np.repeat(np.arange(areas), 20), "age": np.tile(BANDS, areas),
                          "pop": pops.ravel(), "deaths": deaths.ravel()})  # fmt: skip
    return frame, deaths, pops


def main() -> None:
    rng = np.random.default_rng(2024)
    print("phm_core.stats benchmark (2 cores; best of 3 for the vectorised runs, one run for the loops)")
    print(f"{'figure':<58}{'vectorised':>12}{'plain loop':>14}{'ratio':>9}  loop scaled from")
    rows: list[tuple[str, float, float, str]] = []

    # Wilson for 1,000,000 groups
    n = 1_000_000
    denominators = rng.integers(50, 50_000, size=n)
    numerators = rng.binomial(denominators, 0.3)
    df = pd.DataFrame({"x": numerators, "n": denominators})
    vector = timed(lambda: st.proportion(df, numerator="x", denominator="n"), repeat=3)
    subset = 50_000
    loop = timed(lambda: wilson_loop(numerators[:subset].tolist(), denominators[:subset].tolist())) * n / subset
    rows.append(("Wilson proportions, 1,000,000 groups", vector, loop, f"{subset:,} groups"))

    # Byars (exact below 10) for 1,000,000 groups
    populations = rng.integers(1_000, 200_000, size=n)
    counts = rng.poisson(populations * 2e-4)
    df = pd.DataFrame({"x": counts, "n": populations})
    vector = timed(lambda: st.rate(df, count="x", population="n"), repeat=3)
    loop = timed(lambda: byars_loop(counts[:subset].tolist(), populations[:subset].tolist())) * n / subset
    rows.append(("Byars/exact rates, 1,000,000 groups", vector, loop, f"{subset:,} groups"))

    # Grouped: 2,000,000 rows summed into 1,000,000 groups first
    grouped = pd.DataFrame({"g": np.repeat(np.arange(n), 2), "x": np.repeat(counts, 2), "n": np.repeat(populations, 2)})
    vector = timed(lambda: st.rate(grouped, count="x", population="n", group_by="g"), repeat=3)
    rows.append(("Byars rates, 2,000,000 rows into 1,000,000 groups", vector, math.nan, "(no loop)"))

    # Life expectancy for 10,000 areas
    areas = 10_000
    frame, deaths, pops = make_le_frame(areas, rng)
    vector = timed(lambda: st.life_expectancy(frame, deaths="deaths", population="pop", age="age",
                                              group_by="area"), repeat=3)  # fmt: skip
    le_subset = 1_000
    loop = timed(lambda: life_expectancy_loop(deaths[:le_subset].tolist(), pops[:le_subset].tolist())) * (
        areas / le_subset
    )
    rows.append(("Life expectancy at birth with limits, 10,000 areas", vector, loop, f"{le_subset:,} areas"))

    # SII with 10,000 simulations for 100 areas
    areas = 100
    reps = 10_000
    life = 70 + np.cumsum(rng.uniform(0.5, 2.0, size=(areas, 10)), axis=1)
    se = rng.uniform(0.5, 1.5, size=(areas, 10))
    pop = rng.integers(5_000, 30_000, size=(areas, 10)).astype(float)
    sii_frame = pd.DataFrame({"area": np.repeat(np.arange(areas), 10), "decile": np.tile(np.arange(1, 11), areas),
                              "pop": pop.ravel(), "le": life.ravel(), "se": se.ravel()})  # fmt: skip
    vector = timed(lambda: st.sii(sii_frame, quantile="decile", population="pop", value="le", se="se",
                                  group_by="area", repetitions=reps), repeat=3)  # fmt: skip
    sii_subset = 2
    loop = timed(lambda: sii_loop(life[:sii_subset].tolist(), se[:sii_subset].tolist(), pop[:sii_subset].tolist(),
                                  reps, 1)) * (areas / sii_subset)  # fmt: skip
    rows.append(("SII, 10,000 simulations, 100 areas x 10 deciles", vector, loop, f"{sii_subset} areas"))

    for label, vector, loop, note in rows:
        ratio = f"{loop / vector:,.0f}x" if math.isfinite(loop) else "-"
        loop_text = f"{loop:,.2f} s" if math.isfinite(loop) else "-"
        print(f"{label:<58}{vector:>10.3f} s{loop_text:>14}{ratio:>9}  {note}")

    # Sanity: the loops compute the same numbers as the package.
    check = st.proportion(pd.DataFrame({"x": numerators[:5], "n": denominators[:5]}), numerator="x", denominator="n")
    assert np.allclose(check["lowercl"], [row[1] for row in wilson_loop(numerators[:5].tolist(),
                                                                         denominators[:5].tolist())])  # fmt: skip
    le_check = st.life_expectancy(frame[frame["area"] < 3], deaths="deaths", population="pop", age="age",
                                  group_by="area")  # fmt: skip
    loop_le = life_expectancy_loop(deaths[:3].tolist(), pops[:3].tolist())
    assert np.allclose(le_check["value"], [row[0] for row in loop_le])
    print("check: loops and vectorised functions agree on Wilson limits and life expectancy")


if __name__ == "__main__":
    main()
