"""Wilson score intervals against the statsmodels reference implementation."""

from __future__ import annotations

import numpy as np
from statsmodels.stats.proportion import proportion_confint

from indicators.compute.rates import wilson_interval


def test_wilson_matches_statsmodels_including_the_edges():
    trials = np.array([1, 1, 5, 5, 20, 20, 57, 57, 1_603, 26_668, 26_668])
    successes = np.array([0, 1, 0, 5, 3, 19, 11, 56, 298, 7_189, 0])
    low, high = wilson_interval(successes, trials)
    ref_low, ref_high = proportion_confint(successes, trials, alpha=0.05, method="wilson")
    np.testing.assert_allclose(low, ref_low, rtol=0, atol=1e-12)
    np.testing.assert_allclose(high, ref_high, rtol=0, atol=1e-12)
    assert low[0] == 0.0 and high[3] == 1.0


def test_wilson_by_hand_for_a_quarter():
    # 11 of 57: p = 0.192982, z²/n = 3.841459/57 = 0.067394;
    # centre = (p + 0.033697) / 1.067394 = 0.212367;
    # half = 1.959964 / 1.067394 · sqrt(p(1−p)/57 + z²/(4·57²)) = 1.836214 · 0.055026 = 0.101040.
    low, high = wilson_interval(np.array([11]), np.array([57]))
    assert abs(low[0] - 0.111327) < 1e-5 and abs(high[0] - 0.313407) < 1e-5


def test_unknown_or_zero_denominator_gives_no_interval():
    low, high = wilson_interval(np.array([np.nan, 0.0, 3.0]), np.array([10.0, 0.0, np.nan]))
    assert np.isnan(low).all() and np.isnan(high).all()
