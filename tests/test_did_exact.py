"""The fast effect estimators against the original dense implementation (``reference_did``).

The reference builds the dummy design, N × N residual maps and refits everything per left-out
area and per permutation; the fast code never does. Both must agree to 1e-9 on random
staggered panels: with weights, with strata, unbalanced, with never-treated and with only
not-yet-treated comparisons.
"""

from __future__ import annotations

import numpy as np
import pytest
import reference_did as ref
from did_panels import random_panel

from indicators.effects import did, inference
from indicators.effects.did import Panel, identified

TOL = 1e-9
SHAPES = {
    "plain": {},
    "weights": {"weights": True},
    "strata": {"groups": 3, "weights": True},
    "unbalanced": {"missing": 0.2, "weights": True},
    "not yet treated only": {"never": 0},
    "strata unbalanced, not yet treated only": {"groups": 2, "never": 0, "missing": 0.15},
    "few areas, many gaps": {"units": 8, "never": 2, "missing": 0.3},
}
CASES = [(name, seed) for name in SHAPES for seed in range(3)]


def panel_of(name: str, seed: int, **extra) -> Panel:
    return random_panel(seed, **{**SHAPES[name], **extra})


@pytest.mark.parametrize(("name", "seed"), CASES)
def test_imputation_equals_the_reference(name, seed):
    panel = panel_of(name, seed)
    fast, slow = did.imputation(panel), ref.imputation(panel)
    assert fast.names == slow.names
    np.testing.assert_allclose(fast.estimate, slow.estimate, rtol=0, atol=TOL)
    np.testing.assert_allclose(fast.V, slow.V, rtol=0, atol=TOL)
    np.testing.assert_allclose(fast.R.toarray(), slow.R, rtol=0, atol=TOL)
    np.testing.assert_allclose(fast.totals, slow.totals, rtol=0, atol=TOL)
    np.testing.assert_allclose(fast.V.T @ panel.y, fast.estimate, rtol=0, atol=TOL)
    np.testing.assert_allclose(did.cluster_se(fast), ref.cluster_se(slow), rtol=0, atol=TOL)


@pytest.mark.parametrize(("name", "seed"), CASES)
def test_leave_one_out_equals_refitting_without_each_area(name, seed):
    panel = panel_of(name, seed)
    names = [*did.imputation(panel).names, 99]  # an event time no panel has: NaN throughout
    fast, fast_totals = did.leave_one_out(panel, names)
    slow, slow_totals = ref.leave_one_out(panel, names)
    np.testing.assert_array_equal(np.isnan(fast), np.isnan(slow))
    np.testing.assert_allclose(fast, slow, rtol=0, atol=TOL)
    np.testing.assert_allclose(fast_totals, slow_totals, rtol=0, atol=TOL)
    np.testing.assert_allclose(did.jackknife_se(fast), ref.jackknife_se(slow), rtol=0, atol=TOL)


def test_leave_one_out_when_an_area_is_the_only_comparison_in_a_year():
    """Area 0 (never treated) is the only untreated value in 2019: without it the treated
    values of 2019 lose their comparison and leave the estimate."""
    panel = random_panel(4, units=10, never=3, years=12)
    drop = (panel.year == 2019) & ~panel.treated & (panel.unit != 0)
    panel = panel.subset(~drop)
    panel = panel.subset(identified(panel))
    names = did.imputation(panel).names
    fast, fast_totals = did.leave_one_out(panel, names)
    slow, slow_totals = ref.leave_one_out(panel, names)
    assert fast_totals[0, 0] < did.imputation(panel).totals[0] - panel.weight[0]
    np.testing.assert_allclose(fast, slow, rtol=0, atol=TOL)
    np.testing.assert_allclose(fast_totals, slow_totals, rtol=0, atol=TOL)


def bridged_panel() -> Panel:
    """Area 2 alone links the years 2008–2012 with 2014–2019 among the untreated values: left
    out, the year effects split into two unconnected sets (the refit is singular)."""
    rng = np.random.default_rng(3)
    rows = []
    spans = {0: range(2008, 2013), 1: range(2014, 2020), 2: range(2008, 2020),
             3: range(2008, 2020), 4: range(2008, 2020), 5: range(2008, 2020)}  # fmt: skip
    start_of = {0: np.inf, 1: np.inf, 2: np.inf, 3: 2013, 4: 2013, 5: 2014}
    for unit, years in spans.items():
        rows += [(unit, year, start_of[unit]) for year in years]
    unit, year, start = (np.array(c) for c in zip(*rows, strict=True))
    y = rng.normal(10, 2, 6)[unit] + rng.normal(0, 1, len(unit)) + (year >= start)
    panel = Panel(unit, year, y, np.ones(len(y)), start.astype(float))
    return panel.subset(identified(panel))


def test_leave_one_out_when_leaving_an_area_out_disconnects_the_years():
    panel = bridged_panel()
    names = did.imputation(panel).names
    assert did._Jackknife(panel, names)._downdate(2) is None  # falls back to a refit
    fast, fast_totals = did.leave_one_out(panel, names)
    slow, slow_totals = ref.leave_one_out(panel, names)
    np.testing.assert_allclose(fast, slow, rtol=0, atol=TOL)
    np.testing.assert_allclose(fast_totals, slow_totals, rtol=0, atol=TOL)


def test_leave_one_out_keeps_areas_without_untreated_values():
    """An area treated from its first value on has nothing to impute from: leaving it out
    changes nothing (the reference drops it only inside each refit)."""
    panel = random_panel(2, units=12, never=4)
    extra = Panel(np.full(3, 12), np.arange(2017, 2020), np.ones(3), np.ones(3),
                  np.full(3, 2017.0))  # fmt: skip
    joined = Panel(*(np.concatenate([getattr(panel, f), getattr(extra, f)])
                     for f in ("unit", "year", "y", "weight", "start")))  # fmt: skip
    names = did.imputation(joined.subset(identified(joined))).names
    fast, _ = did.leave_one_out(joined, names)
    slow, _ = ref.leave_one_out(joined, names)
    np.testing.assert_allclose(fast, slow, rtol=0, atol=TOL)


@pytest.mark.parametrize(("name", "seed"), CASES[::3])
def test_twfe_and_pretrend_equal_the_reference(name, seed):
    panel = panel_of(name, seed)
    fast, slow = did.twfe(panel), ref.twfe(panel)
    assert fast.coef[0] == pytest.approx(slow.coef[0], abs=TOL)
    assert fast.vcov[0, 0] == pytest.approx(slow.vcov[0, 0], rel=1e-9)
    fast, slow = did.pretrend(panel), ref.pretrend(panel)
    assert fast.event_times == slow.event_times and fast.df == slow.df
    np.testing.assert_allclose(fast.coef, slow.coef, rtol=0, atol=TOL)
    np.testing.assert_allclose(fast.se, slow.se, rtol=1e-9)
    assert fast.p_value == pytest.approx(slow.p_value, abs=TOL)


def as_new_p(p: float, reps: int) -> float:
    """The reference's share of replications k/B as (1 + k)/(1 + B)."""
    return (1 + round(p * reps)) / (1 + reps)


@pytest.mark.parametrize(("name", "seed"), CASES[::2])
def test_bootstraps_and_permutations_equal_the_reference(name, seed):
    panel = panel_of(name, seed, effect=0.3)  # a weak effect: p-values away from the bounds
    reps = 299
    fast = inference.wild_cluster_bootstrap_p(did.imputation(panel), 0, reps, rng(1))
    slow = ref.wild_cluster_bootstrap_p(ref.imputation(panel), 0, reps, rng(1))
    assert fast == pytest.approx(as_new_p(slow, reps), abs=1e-12)
    fast = inference.pretrend_bootstrap_p(panel, 3, reps, rng(2))
    slow = ref.pretrend_bootstrap_p(panel, 3, reps, rng(2))
    assert fast == pytest.approx(as_new_p(slow, reps), abs=1e-12)
    assert inference.randomization_p(panel, 49, rng(3)) == ref.randomization_p(panel, 49, rng(3))
    assert inference.att(panel) == pytest.approx(ref.att(panel), abs=TOL)


def test_p_values_are_never_zero():
    panel = random_panel(1, effect=25.0)  # every replication less extreme than the estimate
    reps = 199
    assert inference.wild_cluster_bootstrap_p(did.imputation(panel), 0, reps, rng(1)) == 1 / 200
    assert inference.randomization_p(panel, reps, rng(1)) == 1 / 200
    assert inference.pretrend_bootstrap_p(panel, 3, reps, rng(1)) >= 1 / 200


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def few_treated_panel() -> Panel:
    """3 treated areas (starts 2011, 2010, 2011), 8 never treated, 8 years, a fifth of the
    values missing: two leads are collinear with the treated areas' own effects."""
    generator = np.random.default_rng(2)
    G, years = 11, 8
    unit, year = np.repeat(np.arange(G), years), np.tile(np.arange(2008, 2008 + years), G)
    start_of = np.full(G, np.inf)
    start_of[:3] = [2011, 2010, 2011]
    y = generator.normal(size=len(unit)) + generator.normal(size=G)[unit]
    keep = generator.random(len(y)) >= 0.2
    panel = Panel(unit[keep], year[keep], y[keep], np.ones(keep.sum()), start_of[unit][keep])
    return panel.subset(identified(panel))


def test_pretrend_bootstrap_with_three_treated_areas_has_a_p_value():
    panel = few_treated_panel()
    with pytest.raises(np.linalg.LinAlgError):  # the bug of the dense version
        ref.pretrend_bootstrap_p(panel, 3, 99, rng(1))
    p = inference.pretrend_bootstrap_p(panel, 3, 99, rng(1))
    assert 1 / 100 <= p <= 1
    trend = did.pretrend(panel)
    assert 0 <= trend.p_value <= 1


def test_a_lead_the_area_effects_absorb_is_not_tested():
    """Every treated area has one year before its start: the lead −1 is its area effect."""
    generator = np.random.default_rng(5)
    G, years = 12, 8
    unit, year = np.repeat(np.arange(G), years), np.tile(np.arange(years), G)
    start_of = np.full(G, np.inf)
    start_of[:4] = 1
    y = generator.normal(size=len(unit))
    panel = Panel(unit, year, y, np.ones(len(y)), start_of[unit])
    panel = panel.subset(identified(panel))
    assert np.isnan(inference.pretrend_bootstrap_p(panel, 3, 99, rng(1)))
    trend = did.pretrend(panel)
    assert np.isnan(trend.p_value) and np.isnan(trend.coef).all()
