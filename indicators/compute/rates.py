"""Rates and their uncertainty: Wilson score intervals for single proportions."""

from __future__ import annotations

import numpy as np

Z_95 = 1.959963984540054
"""Two-sided 95 % quantile of the standard normal distribution."""


def wilson_interval(
    successes: np.ndarray, trials: np.ndarray, z: float = Z_95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for ``successes / trials``; NaN where trials is 0 or unknown."""
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        valid = n > 0
        n_safe = np.where(valid, n, np.nan)
        p = x / n_safe
        z2n = z * z / n_safe
        centre = (p + z2n / 2) / (1 + z2n)
        half = z / (1 + z2n) * np.sqrt(p * (1 - p) / n_safe + z2n / (4 * n_safe))
    # Exactly 0 at p = 0 and 1 at p = 1, and always containing p (rounding aside).
    low = np.where(x == 0, 0.0, np.clip(np.minimum(centre - half, p), 0.0, 1.0))
    high = np.where(x == n, 1.0, np.clip(np.maximum(centre + half, p), 0.0, 1.0))
    return np.where(valid, low, np.nan), np.where(valid, high, np.nan)
