"""Vectorised confidence-interval primitives: Wilson, exact Poisson, Byars, Student's t.

Every function takes numpy arrays (any shape, broadcast together) and a two-sided z (or level) and returns
arrays. They are the building blocks of the public functions and are also used by the benchmark script.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaincinv, stdtrit

BYARS_THRESHOLD = 10


def wilson_limits(numerator: np.ndarray, denominator: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score limits of a proportion (Wilson 1927; Newcombe & Altman 2000)."""
    x = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = 1 - x / n
        centre = 2 * x + z * z
        spread = z * np.sqrt(z * z + 4 * x * q)
        scale = 2 * (n + z * z)
        lower = (centre - spread) / scale
        upper = (centre + spread) / scale
    return np.clip(lower, 0.0, 1.0), np.clip(upper, 0.0, 1.0)


def exact_poisson_limits(count: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact Poisson limits of a count from the gamma (chi-square) quantiles (Armitage & Berry 2002).

    Lower = chi2(alpha/2; 2x)/2, upper = chi2(1-alpha/2; 2x+2)/2, written with the gamma quantile.
    """
    x = np.asarray(count, dtype=float)
    alpha = 1 - level
    with np.errstate(invalid="ignore"):
        lower = np.where(x > 0, gammaincinv(np.where(x > 0, x, 1.0), alpha / 2), 0.0)
        upper = gammaincinv(x + 1, 1 - alpha / 2)
    lower = np.where(np.isnan(x), np.nan, lower)
    return lower, upper


def byars_limits(count: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Byars' approximation to the Poisson limits of a count (Breslow & Day 1987)."""
    x = np.asarray(count, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = x * (1 - 1 / (9 * x) - z / (3 * np.sqrt(x))) ** 3
        x1 = x + 1
        upper = x1 * (1 - 1 / (9 * x1) + z / (3 * np.sqrt(x1))) ** 3
    return np.where(x == 0, 0.0, lower), upper


def poisson_limits(count: np.ndarray, level: float, z: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Poisson limits as the PHE methods use them: exact below 10 events, Byars from 10.

    Returns (lower, upper, used_exact). The exact (gamma) quantiles are only computed where needed.
    """
    x = np.asarray(count, dtype=float)
    lower, upper = byars_limits(x, z)
    exact = x < BYARS_THRESHOLD
    if exact.any():
        exact_lower, exact_upper = exact_poisson_limits(x[exact], level)
        lower[exact] = exact_lower
        upper[exact] = exact_upper
    return lower, upper, exact


def student_t_quantile(level: float, degrees_of_freedom: np.ndarray) -> np.ndarray:
    """Two-sided Student's t quantile for each number of degrees of freedom."""
    dof = np.asarray(degrees_of_freedom, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(dof > 0, stdtrit(np.where(dof > 0, dof, 1.0), (1 + level) / 2), np.nan)
