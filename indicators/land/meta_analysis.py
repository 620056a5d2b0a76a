"""Random-effects meta-analysis of the municipalities' effect estimates (pure numpy/scipy).

The Land pools the cities' estimates of one measure type × outcome: each municipality ``i``
gives an estimate ``y_i`` with sampling variance ``v_i``; the model is
``y_i = μ + u_i + e_i`` with ``u_i ~ N(0, τ²)`` (true differences between municipalities) and
``e_i ~ N(0, v_i)``. With ``w_i = 1/(v_i + τ̂²)`` the pooled mean is ``μ̂ = Σ w_i y_i / Σ w_i``.

Between-municipality variance τ² (always truncated at 0):

* ``"reml"`` restricted maximum likelihood, Viechtbauer (2005), by Fisher scoring as metafor's
  ``rma(method="REML")``: ``τ² += (Σw²r² − tr P) / tr(P²)`` with ``P = diag(w) − w wᵀ/Σw``,
  ``r = y − μ̂``. Two safeguards: the restricted likelihood can have several local maxima, so
  each one is found from a scan of the score's sign and the highest is taken (0 included);
  a Fisher step that leaves the bracket of its root, or does not halve, is replaced by
  bisection, since plain Fisher scoring can oscillate for ever. Where the likelihood has one
  maximum and Fisher scoring converges, this is the metafor estimate.
* ``"pm"`` Paule & Mandel (1982): the τ² at which the generalised Q, ``Σ w_i (y_i − μ̂)²``,
  equals ``k − 1`` (0 if it is at most ``k − 1`` already at τ² = 0), by Newton's method from 0
  as in DerSimonian & Kacker (2007), with the same bracketing safeguard.
* ``"dl"`` DerSimonian & Laird (1986): ``(Q − (k − 1)) / (Σv⁻¹ − Σv⁻²/Σv⁻¹)``.

Inference for μ:

* ``se = sqrt(1/Σw)``, the usual random-effects standard error (normal-theory).
* ``se_hksj`` Hartung & Knapp (2001), Sidik & Jonkman (2002):
  ``se_hksj² = Σ w_i (y_i − μ̂)² / ((k − 1) Σ w_i)``, the confidence interval
  ``μ̂ ± t_{k−1, 1−α/2} · se_hksj``. The original, untruncated form is used; the "ad hoc"
  variant of Röver, Knapp & Friede (2015), ``max(se, se_hksj)``, only with
  ``hksj_adhoc=True``. Under PM, ``se_hksj = se`` whenever τ̂² > 0 (generalised Q = k − 1).
* Prediction interval for the true effect in a new municipality, Higgins, Thompson &
  Spiegelhalter (2009), IntHout et al. (2016): ``μ̂ ± t_{k−2, 1−α/2} · sqrt(τ̂² + se_hksj²)``.
  The HKSJ standard error is used (not ``se``) so that the prediction interval is consistent
  with the HKSJ confidence interval it is reported with, as IntHout et al. (2016) recommend.

Heterogeneity: Cochran's ``Q = Σ v_i⁻¹ (y_i − ȳ_FE)²`` with its χ²(k − 1) p-value and
``I² = max(0, (Q − (k − 1)) / Q)``, Higgins & Thompson (2002).

statsmodels' ``combine_effects`` (PM as ``"iterated"``, DL as ``"chi2"``) computes the same
quantities, HKSJ included, except that its DL τ² and its I² are not truncated at 0, and its PM
iteration returns τ² = 0 when rounding makes the estimating equation slightly negative after
convergence (``tests/test_meta_analysis.py`` shows both).

Small k: with one municipality the estimate is returned as it is (its own standard error,
τ², I², Q's p-value and every interval NaN); with two there is no prediction interval.

References
----------
DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Controlled Clinical Trials
7:177–188.
DerSimonian R, Kacker R (2007). Random-effects model for meta-analysis of clinical trials: an
update. Contemporary Clinical Trials 28:105–114.
Hartung J, Knapp G (2001). On tests of the overall treatment effect in meta-analysis with
normally distributed responses. Statistics in Medicine 20:1771–1782.
Higgins JPT, Thompson SG (2002). Quantifying heterogeneity in a meta-analysis. Statistics in
Medicine 21:1539–1558.
Higgins JPT, Thompson SG, Spiegelhalter DJ (2009). A re-evaluation of random-effects
meta-analysis. Journal of the Royal Statistical Society A 172:137–159.
IntHout J, Ioannidis JPA, Rovers MM, Goeman JJ (2016). Plea for routinely presenting prediction
intervals in meta-analysis. BMJ Open 6:e010247.
Paule RC, Mandel J (1982). Consensus values and weighting factors. Journal of Research of the
National Bureau of Standards 87:377–385.
Röver C, Knapp G, Friede T (2015). Hartung-Knapp-Sidik-Jonkman approach and its modification
for random-effects meta-analysis with few studies. BMC Medical Research Methodology 15:99.
Sidik K, Jonkman JN (2002). A simple confidence interval for meta-analysis. Statistics in
Medicine 21:3153–3159.
Viechtbauer W (2005). Bias and efficiency of meta-analytic variance estimators in the
random-effects model. Journal of Educational and Behavioral Statistics 30:261–293.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

METHODS = ("reml", "pm", "dl")
RTOL = 1e-13
"""The iterations for τ² stop when a step is below RTOL · (τ² + min v)."""
MAX_ITER = 1000
GRID_PER_DECADE = 20
"""Points of the scan for local maxima of the REML likelihood."""


@dataclass(frozen=True)
class MetaAnalysis:
    """The pooled estimate of ``k`` municipalities (see the module docstring)."""

    k: int
    mean: float
    se: float
    se_hksj: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float
    tau2: float
    i2: float
    q: float
    q_p: float
    weights: np.ndarray
    """Normalised random-effects weights, one per municipality in input order (sum 1)."""
    fixed_mean: float
    fixed_se: float
    method: str


def random_effects(
    effects, variances, method: str = "reml", alpha: float = 0.05, *, hksj_adhoc: bool = False
) -> MetaAnalysis:
    """Random-effects meta-analysis of ``effects`` with sampling ``variances``.

    ``method`` estimates τ²: ``"reml"``, ``"pm"`` or ``"dl"``; intervals have coverage
    ``1 − alpha``. ``hksj_adhoc`` floors the HKSJ standard error at the usual one (and so
    widens the confidence and prediction intervals that use it).
    """
    y, v = _checked(effects, variances)
    method = str(method).lower()
    if method not in METHODS:
        raise ValueError(f"Unbekannte Methode {method!r}; erlaubt: {', '.join(METHODS)}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha muss zwischen 0 und 1 liegen, nicht {alpha}")

    k = y.size
    w_fe = 1 / v
    fixed_mean = float(w_fe @ y / w_fe.sum())
    fixed_se = float(np.sqrt(1 / w_fe.sum()))
    q = float(w_fe @ (y - fixed_mean) ** 2)
    nan = float("nan")
    if k == 1:
        return MetaAnalysis(
            k=1,
            mean=fixed_mean,
            se=fixed_se,
            se_hksj=nan,
            ci_low=nan,
            ci_high=nan,
            pi_low=nan,
            pi_high=nan,
            tau2=nan,
            i2=nan,
            q=q,
            q_p=nan,
            weights=_frozen(np.ones(1)),
            fixed_mean=fixed_mean,
            fixed_se=fixed_se,
            method=method,
        )

    tau2 = {"reml": _tau2_reml, "pm": _tau2_pm, "dl": _tau2_dl}[method](y, v)
    w = 1 / (v + tau2)
    mean = float(w @ y / w.sum())
    se = float(np.sqrt(1 / w.sum()))
    se_hksj = float(np.sqrt(w @ (y - mean) ** 2 / ((k - 1) * w.sum())))
    if hksj_adhoc:
        se_hksj = max(se, se_hksj)
    half = stats.t.ppf(1 - alpha / 2, k - 1) * se_hksj
    if k >= 3:
        half_pi = stats.t.ppf(1 - alpha / 2, k - 2) * np.sqrt(tau2 + se_hksj**2)
        pi_low, pi_high = mean - half_pi, mean + half_pi
    else:
        pi_low = pi_high = nan
    return MetaAnalysis(
        k=k,
        mean=mean,
        se=se,
        se_hksj=se_hksj,
        ci_low=float(mean - half),
        ci_high=float(mean + half),
        pi_low=float(pi_low),
        pi_high=float(pi_high),
        tau2=float(tau2),
        i2=max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0,
        q=q,
        q_p=float(stats.chi2.sf(q, k - 1)),
        weights=_frozen(w / w.sum()),
        fixed_mean=fixed_mean,
        fixed_se=fixed_se,
        method=method,
    )


def restricted_loglik(tau2: float, y: np.ndarray, v: np.ndarray) -> float:
    """The restricted log-likelihood of τ² (without its constant)."""
    w = 1 / (v + tau2)
    mean = w @ y / w.sum()
    return float(-0.5 * (np.log(v + tau2).sum() + np.log(w.sum()) + w @ (y - mean) ** 2))


def _tau2_dl(y: np.ndarray, v: np.ndarray) -> float:
    w = 1 / v
    q = w @ (y - w @ y / w.sum()) ** 2
    c = w.sum() - (w**2).sum() / w.sum()
    return max(0.0, float((q - (y.size - 1)) / c))


def _tau2_pm(y: np.ndarray, v: np.ndarray) -> float:
    """Newton's method on Σw(y − μ̂)² − (k − 1) from 0, as DerSimonian & Kacker (2007); the
    generalised Q falls with τ², so the root is unique."""

    def excess_and_step(tau2: float) -> tuple[float, float]:
        w = 1 / (v + tau2)
        r2 = (y - w @ y / w.sum()) ** 2
        excess = w @ r2 - (y.size - 1)
        return excess, excess / (w**2 @ r2)

    if excess_and_step(0.0)[0] <= 0:
        return 0.0
    return _falling_root(excess_and_step, 0.0, np.inf, v.min(), "Paule-Mandel")


def _reml_score(tau2: np.ndarray, y: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Twice the REML score, ``y'PPy − tr P``, and twice the expected information,
    ``tr(PP)``, at each τ² of ``tau2`` (``P = diag(w) − w wᵀ/Σw``)."""
    w = 1 / (v[None, :] + tau2[:, None])
    sw, sw2, sw3 = w.sum(axis=1), (w**2).sum(axis=1), (w**3).sum(axis=1)
    r = y[None, :] - ((w @ y) / sw)[:, None]
    score = (w**2 * r**2).sum(axis=1) - (sw - sw2 / sw)
    return score, sw2 - 2 * sw3 / sw + (sw2 / sw) ** 2


def _tau2_reml(y: np.ndarray, v: np.ndarray) -> float:
    """The global maximum of the restricted likelihood on [0, ∞).

    The likelihood can have more than one local maximum (an outlying municipality with a
    small variance is enough), so the score's sign is scanned on 0 and a log grid of τ²
    (``GRID_PER_DECADE`` points a decade, from ``1e-6 · min v`` to a bound above which the
    score is negative); every fall through 0 is refined by Fisher scoring and the highest
    maximum wins, 0 included if the score is ≤ 0 there.
    """

    def score_and_step(tau2: float) -> tuple[float, float]:
        score, information = _reml_score(np.array([tau2]), y, v)
        return float(score[0]), float(score[0] / information[0])

    # Above (k·R² + max v)/(k − 1), R the range of y, the score is negative: with |r| ≤ R and
    # w ≤ 1/τ², y'PPy ≤ R²Σw/τ² and Σw²/Σw ≤ 1/τ², while Σw ≥ k/(τ² + max v).
    top = 2 * (np.ptp(y) ** 2 + v.max())
    low = 1e-6 * v.min()
    grid = np.concatenate(
        [[0.0], np.geomspace(low, top, int(GRID_PER_DECADE * np.log10(top / low)) + 2)]
    )
    score = _reml_score(grid, y, v)[0]
    candidates = [0.0] if score[0] <= 0 else []
    candidates += [
        _falling_root(score_and_step, grid[i], grid[i + 1], v.min(), "REML")
        for i in np.flatnonzero((score[:-1] > 0) & (score[1:] <= 0))
    ]
    return max(candidates, key=lambda tau2: restricted_loglik(tau2, y, v))


def _falling_root(f_and_step, low: float, high: float, scale: float, name: str) -> float:
    """The root of ``f`` in ``(low, high]``, where ``f(low) > 0 ≥ f(high)`` (``high`` may be
    infinite), to ``RTOL · (root + scale)``.

    ``f_and_step(x)`` gives ``f(x)`` and the Newton or Fisher step from ``x``, started at
    ``low``. Each point narrows the bracket; a step that leaves it or is not half the one
    before is replaced by bisection (as Numerical Recipes' ``rtsafe``), so the iteration also
    converges where plain Fisher scoring would oscillate, and otherwise takes its steps.
    """
    x, last = low, np.inf
    for _ in range(MAX_ITER):
        f, step = f_and_step(x)
        if f == 0:
            return float(x)
        if f > 0:
            low = x
        else:
            high = x
        new = x + step
        if new <= low or new >= high or (abs(step) > last / 2 and high < np.inf):
            new = (low + high) / 2
        if abs(new - x) <= RTOL * (new + scale):
            return float(new)
        x, last = new, abs(new - x)
    raise RuntimeError(f"{name}-Schätzung von τ² nach {MAX_ITER} Schritten nicht konvergiert")


def _checked(effects, variances) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(effects, dtype=float)
    v = np.asarray(variances, dtype=float)
    if y.ndim != 1 or v.shape != y.shape:
        raise ValueError(
            f"Effekte und Varianzen müssen gleich lange Vektoren sein (Formen {y.shape} und "
            f"{v.shape})"
        )
    if y.size == 0:
        raise ValueError("Keine Schätzungen zum Zusammenfassen")
    for name, values in (("Effekte", y), ("Varianzen", v)):
        if not np.isfinite(values).all():
            raise ValueError(
                f"{name} müssen endliche Zahlen sein, nicht NaN oder unendlich "
                f"(Positionen {np.flatnonzero(~np.isfinite(values)).tolist()})"
            )
    if (v <= 0).any():
        raise ValueError(
            "Varianzen müssen größer als 0 sein; eine Schätzung ohne Unsicherheit lässt sich "
            f"nicht gewichten (Positionen {np.flatnonzero(v <= 0).tolist()})"
        )
    return y, v


def _frozen(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array
