"""Random staggered panels for comparing the fast effect estimators with the reference."""

from __future__ import annotations

import numpy as np

from indicators.effects.did import Panel, identified


def random_panel(
    seed: int,
    units: int = 24,
    years: int = 12,
    never: int = 6,
    weights: bool = False,
    groups: int = 1,
    missing: float = 0.0,
    effect: float = 1.5,
) -> Panel:
    """Staggered adoption with random starts; ``never`` areas per group never treated (0: only
    not-yet-treated comparisons); ``missing``: share of observations dropped (unbalanced);
    ``groups`` strata with their own years (areas nested in strata)."""
    rng = np.random.default_rng(seed)
    parts = []
    for g in range(groups):
        first = 2008 + g  # strata cover different years
        unit = np.repeat(np.arange(units), years)
        year = np.tile(np.arange(first, first + years), units)
        start_of = rng.integers(first + 2, first + years + 1, units).astype(float)
        start_of[:never] = np.inf
        start = start_of[unit]
        tau = np.where(year >= start, effect + 0.3 * rng.normal(size=len(unit)), 0.0)
        y = (
            rng.normal(30, 5, units)[unit]
            + rng.normal(0, 2, years)[year - first]
            + 0.2 * (year - first) * (unit % 3)
            + tau
            + rng.normal(0, 1, len(unit))
        )
        w = rng.integers(20, 90, len(y)).astype(float) if weights else np.ones(len(y))
        keep = rng.random(len(y)) >= missing
        parts.append((unit[keep] + g * units, year[keep], y[keep], w[keep], start[keep],
                      np.full(keep.sum(), g)))  # fmt: skip
    unit, year, y, w, start, group = (np.concatenate(c) for c in zip(*parts, strict=True))
    _, unit = np.unique(unit, return_inverse=True)
    panel = Panel(unit, year, y, w, start, group if groups > 1 else None)
    return panel.subset(identified(panel))
