"""Random-effects meta-analysis: parity with statsmodels, published values, independent REML.

statsmodels' ``combine_effects`` (0.15) is the reference for PM and DL; where its definitions
differ from ours the tests show the difference rather than hide it:

* its DL τ² is not truncated at 0 and its I² = 1 − (k − 1)/Q not at 0 (both negative when
  Q < k − 1); ours are, so on such data ours equals its fixed-effect results;
* its PM iteration sets τ² to 0 when the estimating equation comes out below 0 at any step, also
  from rounding once Newton's method has converged; with its default tolerance (1e-5 on
  Q − (k − 1)) that happens rarely but τ² is then only good to about 1e-6, so the parity tests
  ask for 1e-10 and tell the resets apart;
* its HKSJ variance, ``var_hksj_re = Σ w_rel (y − μ)² / (k − 1)``, is the untruncated one, the
  same as ours; ``conf_int(use_t=True)[3]`` is the HKSJ interval with t(k − 1).

statsmodels has no REML; REML is checked against a bounded maximisation of the restricted
likelihood with scipy and against metafor's published values for the BCG trials.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, stats
from statsmodels.stats.meta_analysis import combine_effects

from indicators.land.meta_analysis import MetaAnalysis, random_effects, restricted_loglik

BCG = np.array(
    # tpos, tneg, cpos, cneg of the 13 BCG vaccine trials (metafor's dat.bcg)
    [
        [4, 119, 11, 128],
        [6, 300, 29, 274],
        [3, 228, 11, 209],
        [62, 13536, 248, 12619],
        [33, 5036, 47, 5761],
        [180, 1361, 372, 1079],
        [8, 2537, 10, 619],
        [505, 87886, 499, 87892],
        [29, 7470, 45, 7232],
        [17, 1699, 65, 1600],
        [186, 50448, 141, 27197],
        [5, 2493, 3, 2338],
        [27, 16886, 29, 17825],
    ],
    dtype=float,
)
TOL = 1e-8
SM_PM = {"atol": 1e-10, "maxiter": 500}
"""statsmodels' PM tolerance on Q − (k − 1): its default 1e-5 leaves τ² off by ~1e-6."""


def bcg() -> tuple[np.ndarray, np.ndarray]:
    """Log risk ratios and their variances, as metafor's escalc(measure="RR")."""
    a, b, c, d = BCG.T
    y = np.log(a / (a + b)) - np.log(c / (c + d))
    v = 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)
    return y, v


def draw(seed: int, k: int, tau2: float) -> tuple[np.ndarray, np.ndarray]:
    """k municipalities' estimates (pp) with sampling variances 0.05–2 and true spread tau2."""
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.05, 2.0, k)
    return rng.normal(1.5, np.sqrt(v + tau2)), v


HETEROGENEOUS = {
    "bcg": bcg(),
    "k5": draw(2, 5, 3.0),
    "k12": draw(2, 12, 1.0),
    "k30": draw(2, 30, 0.5),
    "k80": draw(4, 80, 2.0),
}
"""Data with Q > k − 1, on which statsmodels' PM also converges without its reset to 0 (draws
where it resets are accounted for in the test on random draws)."""


def statsmodels_fit(y, v, method):
    kwds = SM_PM if method == "pm" else {}
    return combine_effects(y, v, method_re={"pm": "iterated", "dl": "chi2"}[method], **kwds)


def differences(ours: MetaAnalysis, sm) -> dict[str, float]:
    """|ours − statsmodels| for every quantity both compute (its I² truncated at 0)."""
    hksj = sm.conf_int(alpha=0.05, use_t=True)[3]
    pairs = {
        "mean": (ours.mean, sm.mean_effect_re),
        "se": (ours.se, sm.sd_eff_w_re),
        "tau2": (ours.tau2, sm.tau2),
        "q": (ours.q, sm.q),
        "q_p": (ours.q_p, sm.test_homogeneity().pvalue),
        "i2": (ours.i2, max(0.0, sm.i2)),  # statsmodels' I² is not truncated at 0
        "se_hksj": (ours.se_hksj, sm.sd_eff_w_re_hksj),
        "ci_low": (ours.ci_low, hksj[0]),
        "ci_high": (ours.ci_high, hksj[1]),
        "fixed_mean": (ours.fixed_mean, sm.mean_effect_fe),
        "fixed_se": (ours.fixed_se, sm.sd_eff_w_fe),
        "weights": (ours.weights, sm.weights_rel_re),
    }
    return {name: float(np.max(np.abs(np.subtract(a, b)))) for name, (a, b) in pairs.items()}


def generalised_q(tau2: float, y: np.ndarray, v: np.ndarray) -> float:
    w = 1 / (v + tau2)
    return float(w @ (y - w @ y / w.sum()) ** 2)


# --- parity with statsmodels -----------------------------------------------------------------


@pytest.mark.parametrize("method", ["pm", "dl"])
@pytest.mark.parametrize("name", HETEROGENEOUS)
def test_matches_statsmodels_on_heterogeneous_data(name, method):
    y, v = HETEROGENEOUS[name]
    ours, sm = random_effects(y, v, method), statsmodels_fit(y, v, method)
    assert sm.tau2 > 0 and ours.tau2 > 0  # no truncation, no reset: the definitions agree
    diff = differences(ours, sm)
    assert max(diff.values()) < TOL, diff


def test_pm_matches_statsmodels_on_random_draws_except_its_resets():
    """200 draws: each one either agrees to 1e-8 or is a statsmodels reset to τ² = 0 while
    its own estimating equation is positive at 0 and ours is solved."""
    compared = resets = 0
    for seed in range(200):
        rng = np.random.default_rng(1000 + seed)
        y, v = draw(seed, int(rng.integers(3, 40)), float(rng.uniform(0, 3)))
        ours, sm = random_effects(y, v, "pm"), statsmodels_fit(y, v, "pm")
        if sm.tau2 == 0 and ours.tau2 > 0:
            resets += 1
            k = y.size
            assert generalised_q(0.0, y, v) > k - 1
            assert generalised_q(ours.tau2, y, v) == pytest.approx(k - 1, rel=1e-10)
            continue
        compared += 1
        diff = differences(ours, sm)
        assert max(diff.values()) < TOL, (seed, diff)
    assert compared >= 150, (compared, resets)


@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")
def test_dl_matches_statsmodels_on_random_draws_up_to_truncation():
    """Where statsmodels' DL τ² is negative, its weights can be too and its random-effects
    standard error NaN; ours is truncated at 0."""
    for seed in range(200):
        rng = np.random.default_rng(2000 + seed)
        y, v = draw(seed, int(rng.integers(2, 40)), float(rng.uniform(0, 3)))
        ours, sm = random_effects(y, v, "dl"), statsmodels_fit(y, v, "dl")
        if sm.tau2 >= 0:
            diff = differences(ours, sm)
            assert max(diff.values()) < TOL, (seed, diff)
        else:
            assert_fixed_effect_of_statsmodels(ours, sm)


def assert_fixed_effect_of_statsmodels(ours: MetaAnalysis, sm) -> None:
    """τ² truncated to 0: ours is statsmodels' fixed-effect result, with its HKSJ scale."""
    assert ours.tau2 == 0 and sm.tau2 < 0
    assert ours.i2 == 0 and sm.i2 < 0
    crit = stats.t.ppf(0.975, ours.k - 1)
    pairs = [
        (ours.mean, sm.mean_effect_fe),
        (ours.se, sm.sd_eff_w_fe),
        (ours.se_hksj, math.sqrt(sm.var_hksj_fe)),
        (ours.ci_low, sm.mean_effect_fe - crit * math.sqrt(sm.var_hksj_fe)),
        (ours.q, sm.q),
    ]
    for a, b in pairs:
        assert a == pytest.approx(b, abs=TOL)
    np.testing.assert_allclose(ours.weights, sm.weights_rel_fe, atol=TOL, rtol=0)


@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")
def test_homogeneous_data_truncates_tau2_where_statsmodels_goes_negative():
    rng = np.random.default_rng(7)
    v = rng.uniform(0.5, 2.0, 15)
    y = 2.0 + 0.2 * rng.standard_normal(15) * np.sqrt(v)  # far less spread than v says
    assert generalised_q(0.0, y, v) < 14
    for method in ("dl", "pm", "reml"):
        assert random_effects(y, v, method).tau2 == 0.0
    assert_fixed_effect_of_statsmodels(random_effects(y, v, "dl"), statsmodels_fit(y, v, "dl"))
    # statsmodels' PM truncates: its first step already sees Q − (k − 1) < 0
    assert statsmodels_fit(y, v, "pm").tau2 == 0


# --- published values (metafor, dat.bcg) ---------------------------------------------------


def test_bcg_published_values():
    """metafor's rma() on dat.bcg: REML τ² 0.3132, DL τ² 0.3088 with mean −0.7141 and
    I² 92.1173 % (metafor's tests against Stata's metan), PM τ² 0.3181; Q = 152.2330."""
    y, v = bcg()
    reml, pm, dl = (random_effects(y, v, m) for m in ("reml", "pm", "dl"))
    assert reml.tau2 == pytest.approx(0.3132, abs=1e-4)
    assert pm.tau2 == pytest.approx(0.3181, abs=1e-4)
    assert dl.tau2 == pytest.approx(0.3088, abs=1e-4)
    assert dl.mean == pytest.approx(-0.7141, abs=1e-4)
    assert dl.i2 == pytest.approx(0.921173, abs=1e-6)
    assert dl.q == pytest.approx(152.2330, abs=1e-4)
    assert dl.fixed_mean == pytest.approx(-0.4303, abs=1e-4)
    assert reml.mean == pytest.approx(-0.7145, abs=1e-4)
    assert reml.se == pytest.approx(0.1798, abs=1e-4)


def test_bcg_restricted_likelihood_is_metafors():
    """metafor's REML fit of dat.bcg has AIC 28.40474 (two parameters, μ and τ²); the
    restricted log-likelihood here lacks only its constants, −(k − 1)/2 · log 2π and
    +1/2 · log |XᵀX| = 1/2 · log k (metafor keeps Harville's full form)."""
    y, v = bcg()
    fit = random_effects(y, v, "reml")
    k = y.size
    loglik = restricted_loglik(fit.tau2, y, v) - (k - 1) / 2 * math.log(2 * math.pi)
    loglik += 0.5 * math.log(k)
    assert -2 * loglik + 2 * 2 == pytest.approx(28.40474, abs=1e-4)


# --- REML against an independent maximisation --------------------------------------------


def independent_reml(y: np.ndarray, v: np.ndarray) -> float:
    """Maximise the restricted likelihood, written out here, with bounded Brent."""

    def minus_loglik(tau2: float) -> float:
        w = 1 / (v + tau2)
        mean = np.sum(w * y) / np.sum(w)
        return 0.5 * (np.sum(np.log(v + tau2)) + np.log(np.sum(w)) + np.sum(w * (y - mean) ** 2))

    upper = 4 * (np.ptp(y) ** 2 + v.max())
    found = optimize.minimize_scalar(
        minus_loglik, bounds=(0.0, upper), method="bounded", options={"xatol": 1e-13}
    )
    return float(found.x)


REML_DATA = {**HETEROGENEOUS, "k3": draw(5, 3, 1.0), "k8_small_tau": draw(6, 8, 0.1)}


@pytest.mark.parametrize("name", REML_DATA)
def test_reml_tau2_maximises_the_restricted_likelihood(name):
    y, v = REML_DATA[name]
    fit = random_effects(y, v, "reml")
    assert fit.tau2 == pytest.approx(independent_reml(y, v), abs=1e-7)


@pytest.mark.parametrize("name", REML_DATA)
def test_reml_mean_and_intervals_given_tau2(name):
    y, v = REML_DATA[name]
    fit = random_effects(y, v, "reml")
    k, w = y.size, 1 / (v + fit.tau2)
    mean = np.sum(w * y) / np.sum(w)
    se_hksj = math.sqrt(np.sum(w * (y - mean) ** 2) / ((k - 1) * np.sum(w)))
    t1, t2 = stats.t.ppf(0.975, k - 1), stats.t.ppf(0.975, k - 2)
    expected = {
        "mean": mean,
        "se": math.sqrt(1 / np.sum(w)),
        "se_hksj": se_hksj,
        "ci_low": mean - t1 * se_hksj,
        "ci_high": mean + t1 * se_hksj,
        "pi_low": mean - t2 * math.sqrt(fit.tau2 + se_hksj**2),
        "pi_high": mean + t2 * math.sqrt(fit.tau2 + se_hksj**2),
    }
    for field, value in expected.items():
        assert getattr(fit, field) == pytest.approx(value, abs=1e-12), field
    np.testing.assert_allclose(fit.weights, w / np.sum(w), atol=1e-15)
    assert fit.weights.sum() == pytest.approx(1.0, abs=1e-14)


def test_reml_finds_the_higher_of_two_local_maxima():
    """One outlying municipality with a small variance gives the restricted likelihood a
    local maximum at 0 and a higher one far out; Fisher scoring from the DL estimate alone
    would stop at 0."""
    rng = np.random.default_rng(11)
    v = np.exp(rng.uniform(-6, 3, 25))
    y = rng.normal(0, np.sqrt(v))
    y[0] = -54.0
    fit = random_effects(y, v, "reml")
    grid = np.geomspace(1e-6, 1e4, 2001)
    best = grid[np.argmax([restricted_loglik(t, y, v) for t in grid])]
    found = optimize.minimize_scalar(
        lambda t: -restricted_loglik(t, y, v),
        bounds=(best / 1.1, best * 1.1),
        method="bounded",
        options={"xatol": 1e-12},
    )
    assert restricted_loglik(0.0, y, v) < -found.fun
    assert fit.tau2 == pytest.approx(found.x, rel=1e-7)
    assert restricted_loglik(fit.tau2, y, v) >= -found.fun - 1e-9


def test_reml_converges_where_plain_fisher_scoring_oscillates():
    """On these eight estimates plain Fisher scoring from the DL start (0) jumps between about
    0.0006 and 0.021 and is still far off after metafor's default 100 steps."""
    y = np.array([-0.019, 0.72, 0.228, 0.353, 0.304, 3.83, 0.293, 0.03])
    v = np.array([0.0189, 0.3958, 0.1076, 0.0474, 0.462, 5.6588, 0.2548, 0.1887])
    tau2 = 0.0
    steps = []
    for _ in range(100):
        w = 1 / (v + tau2)
        sw, sw2, sw3 = w.sum(), np.sum(w**2), np.sum(w**3)
        r = y - np.sum(w * y) / sw
        score = np.sum(w**2 * r**2) - (sw - sw2 / sw)
        new = max(0.0, tau2 + score / (sw2 - 2 * sw3 / sw + (sw2 / sw) ** 2))
        steps.append(new - tau2)
        tau2 = new
    assert abs(steps[-1]) > 1e-4 and steps[-1] * steps[-2] < 0
    fit = random_effects(y, v, "reml")
    assert fit.tau2 == pytest.approx(independent_reml(y, v), abs=1e-7)


def test_reml_reaches_the_highest_restricted_likelihood_on_hard_draws():
    """Variances over four orders of magnitude, some outliers: never below a dense grid."""
    rng = np.random.default_rng(0)
    for _ in range(300):
        k = int(rng.integers(2, 40))
        v = np.exp(rng.uniform(-6, 3, k))
        y = rng.normal(0, np.sqrt(v + np.exp(rng.uniform(-6, 3)) * rng.integers(0, 2)))
        if rng.random() < 0.1:
            y[0] += 100 * rng.standard_normal()
        fit = random_effects(y, v, "reml")
        grid = np.concatenate([[0.0], np.geomspace(1e-8, 10 * (np.ptp(y) ** 2 + v.max()), 600)])
        best = max(restricted_loglik(t, y, v) for t in grid)
        assert restricted_loglik(fit.tau2, y, v) >= best - 1e-9


# --- small k, options, invalid input -------------------------------------------------------


def test_one_municipality_is_its_own_estimate():
    fit = random_effects([2.5], [0.36])
    assert (fit.k, fit.mean, fit.fixed_mean) == (1, 2.5, 2.5)
    assert fit.se == pytest.approx(0.6) and fit.fixed_se == pytest.approx(0.6)
    assert fit.weights.tolist() == [1.0]
    nans = ["se_hksj", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "i2", "q_p"]
    assert all(math.isnan(getattr(fit, name)) for name in nans)


@pytest.mark.parametrize("method", ["reml", "pm", "dl"])
def test_two_municipalities_have_an_interval_but_no_prediction_interval(method):
    y, v = np.array([1.0, 4.0]), np.array([0.5, 0.8])
    fit = random_effects(y, v, method)
    w = 1 / (v + fit.tau2)
    mean = np.sum(w * y) / np.sum(w)
    se_hksj = math.sqrt(np.sum(w * (y - mean) ** 2) / np.sum(w))
    assert fit.ci_high - fit.mean == pytest.approx(stats.t.ppf(0.975, 1) * se_hksj)
    assert math.isnan(fit.pi_low) and math.isnan(fit.pi_high)
    if method == "reml":
        assert fit.tau2 == pytest.approx(independent_reml(y, v), abs=1e-7)


def test_identical_effects_give_tau2_zero_and_no_heterogeneity():
    fit = random_effects([1.2, 1.2, 1.2, 1.2], [0.1, 0.4, 0.2, 0.3])
    assert (fit.tau2, fit.i2) == (0.0, 0.0)
    assert fit.q == pytest.approx(0.0, abs=1e-12)
    assert fit.se_hksj == pytest.approx(0.0, abs=1e-12)
    assert fit.mean == pytest.approx(1.2)
    assert fit.se == pytest.approx(fit.fixed_se)


def test_hksj_adhoc_floors_the_standard_error():
    y, v = HETEROGENEOUS["k12"]
    plain = random_effects(y, v, "dl")
    adhoc = random_effects(y, v, "dl", hksj_adhoc=True)
    assert adhoc.se_hksj == max(plain.se, plain.se_hksj)
    small = random_effects([1.0, 1.1, 0.9, 1.05], [1.0, 1.0, 1.0, 1.0], hksj_adhoc=True)
    assert small.se_hksj == pytest.approx(small.se)  # the untruncated one is far below


def test_alpha_sets_the_coverage():
    y, v = HETEROGENEOUS["k12"]
    fit90 = random_effects(y, v, alpha=0.10)
    assert fit90.ci_high - fit90.mean == pytest.approx(stats.t.ppf(0.95, 11) * fit90.se_hksj)
    sm = combine_effects(y, v, method_re="chi2")
    dl90 = random_effects(y, v, "dl", alpha=0.10)
    assert dl90.ci_low == pytest.approx(sm.conf_int(alpha=0.10, use_t=True)[3][0], abs=TOL)


def test_method_name_and_weights_are_fixed():
    fit = random_effects(*HETEROGENEOUS["k5"], method="PM")
    assert fit.method == "pm"
    with pytest.raises(ValueError):
        fit.weights[0] = 1.0


@pytest.mark.parametrize(
    ("effects", "variances", "message"),
    [
        ([1.0, 2.0], [0.5, 0.0], "größer als 0"),
        ([1.0, 2.0], [0.5, -1.0], "größer als 0"),
        ([1.0, float("nan")], [0.5, 0.5], "Effekte müssen endliche"),
        ([1.0, 2.0], [float("nan"), 0.5], "Varianzen müssen endliche"),
        ([1.0, float("inf")], [0.5, 0.5], "Effekte müssen endliche"),
        ([1.0, 2.0], [0.5], "gleich lange"),
        ([[1.0, 2.0]], [[0.5, 0.5]], "gleich lange"),
        ([], [], "Keine Schätzungen"),
    ],
)
def test_invalid_input_is_refused(effects, variances, message):
    with pytest.raises(ValueError, match=message):
        random_effects(effects, variances)


def test_invalid_options_are_refused():
    with pytest.raises(ValueError, match="Unbekannte Methode"):
        random_effects([1.0, 2.0], [0.5, 0.5], method="ml")
    with pytest.raises(ValueError, match="alpha"):
        random_effects([1.0, 2.0], [0.5, 0.5], alpha=1.5)
