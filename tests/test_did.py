"""Effect estimators: exact recovery, parity with reference libraries, honest inference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
import statsmodels.formula.api as smf

from indicators.effects.did import (
    Panel,
    cluster_se,
    fe_design,
    identified,
    imputation,
    jackknife_se,
    leave_one_out,
    pretrend,
    twfe,
)
from indicators.effects.inference import (
    pretrend_bootstrap_p,
    randomization_p,
    webb_weights,
    wild_cluster_bootstrap_p,
)

YEARS = np.arange(2008, 2024)
UNITS = 20


def staggered(effect, noise: float = 0.0, seed: int = 1, weights: bool = False) -> Panel:
    """20 areas × 16 years; areas 0–7 start 2012–2015 (two each), the rest never."""
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(UNITS), len(YEARS))
    year = np.tile(YEARS, UNITS)
    start_of = np.full(UNITS, np.inf)
    start_of[:8] = np.repeat([2012, 2013, 2014, 2015], 2)
    start = start_of[unit]
    treated = year >= start
    tau = np.zeros(len(unit))
    tau[treated] = effect(unit[treated], year[treated] - start[treated])
    y = rng.normal(20, 5, UNITS)[unit] + rng.normal(0, 2, len(YEARS))[year - 2008] + tau
    y = y + rng.normal(0, noise, len(y))
    weight = rng.integers(30, 90, len(y)).astype(float) if weights else np.ones(len(y))
    return Panel(unit, year, y, weight, start)


def constant(units, k):
    return np.full(len(units), 3.0)


def growing(units, k):
    return 1.0 + k + 0.5 * units  # grows with time and differs between areas


def test_noise_free_constant_effect_is_recovered_by_every_estimator():
    panel = staggered(constant)
    estimate = imputation(panel)
    assert estimate.names[0] == "ATT" and estimate.names[1:] == list(range(12))
    np.testing.assert_allclose(estimate.estimate, 3.0, rtol=0, atol=1e-9)
    assert twfe(panel).coef[0] == pytest.approx(3.0, abs=1e-9)
    trend = pretrend(panel)
    np.testing.assert_allclose(trend.coef, 0.0, atol=1e-9)


def test_noise_free_heterogeneous_effects_imputation_exact_twfe_biased():
    panel = staggered(growing)
    truth = (panel.y - staggered(lambda u, k: 0.0 * k).y)[panel.treated]
    estimate = imputation(panel)
    assert estimate.estimate[0] == pytest.approx(truth.mean(), abs=1e-9)
    event = panel.event_time[panel.treated]
    for name, value in zip(estimate.names[1:], estimate.estimate[1:], strict=True):
        assert value == pytest.approx(truth[event == name].mean(), abs=1e-9)
    assert abs(twfe(panel).coef[0] - truth.mean()) > 0.1  # no noise: TWFE is biased


def frame(panel: Panel) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit": panel.unit,
            "year": panel.year,
            "y": panel.y,
            "w": panel.weight,
            "treat": panel.treated.astype(int),
        }
    )


@pytest.mark.parametrize("weights", [False, True])
def test_twfe_equals_statsmodels_and_pyfixest(weights):
    panel = staggered(growing, noise=1.5, seed=3, weights=weights)
    data = frame(panel)
    ours = twfe(panel)
    reference = smf.wls("y ~ treat + C(unit) + C(year)", data, weights=data["w"]).fit(
        cov_type="cluster", cov_kwds={"groups": data["unit"]}
    )
    assert ours.coef[0] == pytest.approx(reference.params["treat"], abs=1e-10)
    assert np.sqrt(ours.vcov[0, 0]) == pytest.approx(reference.bse["treat"], rel=1e-8)
    fixest = pf.feols("y ~ treat | unit + year", data, weights="w" if weights else None)
    assert ours.coef[0] == pytest.approx(fixest.coef()["treat"], abs=1e-10)


@pytest.mark.parametrize("weights", [False, True])
def test_imputation_equals_pyfixest_did2s(weights):
    panel = staggered(growing, noise=1.5, seed=4, weights=weights)
    data = frame(panel).assign(one=1)
    fit = pf.did2s(
        data,
        yname="y",
        # unit and year effects as dummies (and a constant absorbed): the same two-way model,
        # solved exactly instead of by pyfixest's iterative demeaning (tolerance 1e-8)
        first_stage="~ C(unit) + C(year) | one",
        second_stage="~ treat",
        treatment="treat",
        cluster="unit",
        weights="w" if weights else None,
    )
    assert imputation(panel).estimate[0] == pytest.approx(fit.coef()["treat"], abs=1e-8)


def test_estimates_are_the_linear_maps_the_inference_relies_on():
    panel = staggered(growing, noise=1.0, seed=5)
    estimate = imputation(panel)
    np.testing.assert_allclose(estimate.V.T @ panel.y, estimate.estimate, atol=1e-10)
    fitted = fe_design(panel) @ np.linalg.lstsq(fe_design(panel), panel.y, rcond=None)[0]
    np.testing.assert_allclose(estimate.V.T @ fitted, 0.0, atol=1e-9)  # FE-only data → 0
    np.testing.assert_allclose(estimate.R @ fitted, 0.0, atol=1e-9)


def naive_bootstrap_p(panel: Panel, reps: int, seed: int) -> float:
    """The same WCR bootstrap-t, one full re-estimation per replication."""
    rng = np.random.default_rng(seed)
    X = fe_design(panel)
    fitted = X @ np.linalg.lstsq(X, panel.y, rcond=None)[0]
    weights = webb_weights(rng, reps, panel.n_units)
    observed = imputation(panel)
    t_observed = observed.estimate[0] / cluster_se(observed)[0]
    exceed = 0
    for w in weights:
        y_star = fitted + w[panel.unit] * (panel.y - fitted)
        star = imputation(Panel(panel.unit, panel.year, y_star, panel.weight, panel.start))
        exceed += abs(star.estimate[0] / cluster_se(star)[0]) >= abs(t_observed)
    return (1 + exceed) / (1 + reps)


def test_vectorised_bootstrap_equals_a_loop_over_replications():
    panel = staggered(constant, noise=4.0, seed=6)
    vectorised = wild_cluster_bootstrap_p(imputation(panel), 0, 200, np.random.default_rng(9))
    assert vectorised == naive_bootstrap_p(panel, 200, 9)
    assert 1 / 201 <= vectorised <= 0.05  # an effect of 3 with noise 4 over 8 treated areas


def test_randomization_inference():
    no_effect = staggered(lambda u, k: 0.0 * k)  # unit and year effects only: every ATT is 0
    assert randomization_p(no_effect, 99, np.random.default_rng(1)) == 1.0
    strong = staggered(lambda u, k: np.full(len(u), 10.0), noise=1.0)
    assert randomization_p(strong, 99, np.random.default_rng(1)) == pytest.approx(1 / 100)


def test_pretrend_test_detects_anticipation():
    def anticipated(units, k):
        return np.full(len(units), 3.0)

    clean = staggered(anticipated, noise=0.5, seed=7)
    early = Panel(clean.unit, clean.year, clean.y, clean.weight, clean.start + 2)
    # the effect now starts 2 years before the declared start: placebo years −2, −1 show it
    trend = pretrend(early)
    assert trend.event_times == [-3, -2, -1]
    np.testing.assert_allclose(trend.coef[1:], 3.0, atol=0.5)
    assert pretrend_bootstrap_p(early, 3, 999, np.random.default_rng(2)) < 0.01
    assert pretrend_bootstrap_p(clean, 3, 999, np.random.default_rng(2)) > 0.05


def test_jackknife_leaves_out_each_area():
    panel = staggered(growing, noise=2.0, seed=8)
    names = imputation(panel).names
    se = jackknife_se(leave_one_out(panel, names)[0])
    drops = []
    for g in range(panel.n_units):
        sub = panel.subset(panel.unit != g)
        drops.append(imputation(sub.subset(identified(sub))).estimate[0])
    drops = np.array(drops)
    G = panel.n_units
    assert se[0] == pytest.approx(np.sqrt((G - 1) / G * ((drops - drops.mean()) ** 2).sum()))
    assert np.all(se > 0)


def test_untreated_units_or_years_cannot_impute():
    panel = staggered(constant)
    always = Panel(
        panel.unit,
        panel.year,
        panel.y,
        panel.weight,
        np.where(panel.unit == 0, 2000.0, panel.start),
    )
    keep = identified(always)
    assert not keep[always.unit == 0].any() and keep[always.unit != 0].all()
