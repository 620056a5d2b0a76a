"""The original dense implementation of the effect estimators, kept as the reference the fast
implementation in ``indicators/effects/`` must reproduce (tests only: it builds N × N matrices and
refits everything per left-out area and per permutation)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from indicators.effects.did import Panel


def _codes(*keys: np.ndarray) -> np.ndarray:
    """0..n−1 codes of the distinct rows of the ``keys`` columns, in sorted order."""
    return np.unique(np.column_stack(keys), axis=0, return_inverse=True)[1].ravel()


def fe_design(panel: Panel) -> np.ndarray:
    """Unit dummies and year dummies per stratum (the first year of each stratum dropped)."""
    period, stratum = panel.period, panel.stratum
    first = [period[stratum == s].min() for s in np.unique(stratum)]
    kept = np.setdiff1d(np.unique(period), first)
    units = np.eye(panel.n_units)[panel.unit]
    year_dummies = (period[:, None] == kept[None, :]).astype(float)
    return np.hstack([units, year_dummies])


def identified(panel: Panel) -> np.ndarray:
    """Observations whose unit and year both have untreated observations to impute from."""
    untreated = ~panel.treated
    period = panel.period
    units_ok = np.isin(panel.unit, panel.unit[untreated])
    years_ok = np.isin(period, period[untreated])
    return untreated | (units_ok & years_ok)


@dataclass(frozen=True)
class Imputation:
    """Imputation estimates ``names`` (overall ATT first, then event times 0, 1, …)."""

    panel: Panel
    names: list
    estimate: np.ndarray
    V: np.ndarray
    """N × K: estimate k = V[:, k] @ y."""
    R: np.ndarray
    """N × N: residuals e = R @ y (untreated: y − fitted; treated: effect − the mean of its
    stratum's effects at its event time)."""
    totals: np.ndarray
    """Per estimate: the summed weight of the treated observations it averages."""


def imputation(panel: Panel) -> Imputation:
    treated = panel.treated
    X, w, y = fe_design(panel), panel.weight, panel.y
    X0, X1, w0 = X[~treated], X[treated], w[~treated]
    solve = np.linalg.pinv(X0.T @ (w0[:, None] * X0)) @ (X0.T * w0)  # θ = solve @ y0
    H = X1 @ solve  # imputed untreated outcome of treated obs = H @ y0
    event = panel.event_time[treated]
    times = np.unique(event).astype(int)
    groups = np.column_stack([np.ones(treated.sum()), *(event == k for k in times)]).astype(float)
    omega = groups * w[treated][:, None]
    totals = omega.sum(axis=0)
    omega /= totals[None, :]

    n, n0, n1 = len(y), (~treated).sum(), treated.sum()
    index0, index1 = np.flatnonzero(~treated), np.flatnonzero(treated)
    V = np.zeros((n, omega.shape[1]))
    V[index1] = omega
    V[index0] = -H.T @ omega

    effects = np.zeros((n1, n))  # τ̂ = effects @ y
    effects[:, index1] = np.eye(n1)
    effects[:, index0] = -H
    centring = np.eye(n1) - _group_means(_codes(panel.stratum[treated], event), w[treated])
    R = np.zeros((n, n))
    R[np.ix_(index0, index0)] = np.eye(n0) - X0 @ solve
    R[index1] = centring @ effects
    return Imputation(panel, ["ATT", *times.tolist()], V.T @ y, V, R, totals)


def _group_means(groups: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Matrix M with (M @ x)_i = weighted mean of x over i's group."""
    same = groups[:, None] == groups[None, :]
    M = same * weight[None, :]
    return M / M.sum(axis=1, keepdims=True)


def cluster_scores(estimate: Imputation) -> np.ndarray:
    """G × K: per cluster, Σ_i V_ik e_i."""
    e = estimate.R @ estimate.panel.y
    return _by_cluster(estimate.V * e[:, None], estimate.panel)


def _by_cluster(values: np.ndarray, panel: Panel) -> np.ndarray:
    sums = np.zeros((panel.n_units, values.shape[1]))
    np.add.at(sums, panel.unit, values)
    return sums


def cluster_se(estimate: Imputation) -> np.ndarray:
    G = estimate.panel.n_units
    return np.sqrt(G / (G - 1) * (cluster_scores(estimate) ** 2).sum(axis=0))


@dataclass(frozen=True)
class Regression:
    coef: np.ndarray
    vcov: np.ndarray
    """Cluster-robust (CR1) covariance of ``coef``."""
    df: int
    """G − 1"""


def weighted_ols(X: np.ndarray, y: np.ndarray, w: np.ndarray, cluster: np.ndarray) -> Regression:
    """Weighted least squares with CR1 cluster-robust covariance (as statsmodels 'cluster')."""
    XtWX_inv = np.linalg.pinv(X.T @ (w[:, None] * X))
    coef = XtWX_inv @ (X.T @ (w * y))
    resid = y - X @ coef
    G = int(cluster.max()) + 1
    scores = np.zeros((G, X.shape[1]))
    np.add.at(scores, cluster, X * (w * resid)[:, None])
    n, rank = len(y), np.linalg.matrix_rank(X)
    factor = G / (G - 1) * (n - 1) / (n - rank)
    vcov = factor * XtWX_inv @ (scores.T @ scores) @ XtWX_inv
    return Regression(coef, vcov, G - 1)


def twfe(panel: Panel) -> Regression:
    """Coefficient 0 is the effect of the treatment dummy, with unit and year effects."""
    X = np.hstack([panel.treated[:, None].astype(float), fe_design(panel)])
    return weighted_ols(X, panel.y, panel.weight, panel.unit)


@dataclass(frozen=True)
class Pretrend:
    event_times: list[int]
    """Placebo years before the start, e.g. [−3, −2, −1]."""
    coef: np.ndarray
    se: np.ndarray
    p_value: float
    """Joint F test that every placebo effect is 0 (NaN when not testable)."""
    df: int


def pretrend(panel: Panel, leads: int = 3) -> Pretrend:
    """Placebo effects for the ``leads`` years before the start, on untreated observations."""
    keep = ~panel.treated
    sub = panel.subset(keep)
    event = sub.event_time
    times = [k for k in range(-leads, 0) if np.any(event == k)]
    if not times or sub.n_units < 3:
        return Pretrend([], np.array([]), np.array([]), float("nan"), max(sub.n_units - 1, 0))
    dummies = np.column_stack([(event == k).astype(float) for k in times])
    X = np.hstack([dummies, fe_design(sub)])
    fit = weighted_ols(X, sub.y, sub.weight, sub.unit)
    k = len(times)
    b, V = fit.coef[:k], fit.vcov[:k, :k]
    wald = float(b @ np.linalg.pinv(V) @ b) / k
    p = float(stats.f.sf(wald, k, fit.df))
    return Pretrend(times, b, np.sqrt(np.diag(V)), p, fit.df)


def leave_one_out(panel: Panel, names: list) -> tuple[np.ndarray, np.ndarray]:
    """Per area (rows) the estimates ``names`` re-estimated without it, and their totals.

    Each area is left out in turn and everything re-estimated. An estimate that cannot be
    made without the area is NaN with total 0.
    """
    draws = np.full((panel.n_units, len(names)), np.nan)
    totals = np.zeros((panel.n_units, len(names)))
    for g in range(panel.n_units):
        sub = panel.subset(panel.unit != g)
        sub = sub.subset(identified(sub))
        if not sub.treated.any():
            continue
        estimate = imputation(sub)
        index = {name: k for k, name in enumerate(estimate.names)}
        for j, name in enumerate(names):
            if name in index:
                draws[g, j] = estimate.estimate[index[name]]
                totals[g, j] = estimate.totals[index[name]]
    return draws, totals


def jackknife_scores(draws: np.ndarray) -> np.ndarray:
    """sqrt((n−1)/n)·(draw − mean) per area and estimate, 0 where an area has no draw: the
    squares sum to the jackknife variance."""
    n = np.sum(~np.isnan(draws), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        deviation = draws - np.nanmean(draws, axis=0)
        return np.nan_to_num(np.sqrt((n - 1) / n) * deviation)


def jackknife_se(draws: np.ndarray) -> np.ndarray:
    """Cluster jackknife (CV3) standard errors from the leave-one-area-out estimates.

    With few treated areas this is far less optimistic than the analytic cluster-robust
    variance (MacKinnon, Nielsen and Webb 2023). Areas without an estimate are left out of
    their estimate's sum.
    """
    se = np.sqrt(np.sum(jackknife_scores(draws) ** 2, axis=0))
    return np.where(np.sum(~np.isnan(draws), axis=0) > 0, se, np.nan)


WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def webb_weights(rng: np.random.Generator, reps: int, clusters: int) -> np.ndarray:
    return WEBB[rng.integers(0, 6, size=(reps, clusters))]


def wild_cluster_bootstrap_p(
    estimate: Imputation, k: int, reps: int, rng: np.random.Generator
) -> float:
    """Bootstrap-t p-value (WCR, Webb weights) of estimand ``k`` of ``estimate`` against 0."""
    panel, y = estimate.panel, estimate.panel.y
    G = panel.n_units
    v = estimate.V[:, k]
    members = np.eye(G)[panel.unit]  # N × G cluster indicator
    scores_map = members.T @ (v[:, None] * estimate.R)  # G × N: cluster scores = scores_map @ y
    X, w = fe_design(panel), panel.weight
    fitted = X @ np.linalg.lstsq(np.sqrt(w)[:, None] * X, np.sqrt(w) * y, rcond=None)[0]
    restricted = y - fitted
    # The estimator maps the fitted unit-and-year part to exactly 0, so a replication with
    # cluster weights w_g is linear in the weights: estimate = w @ c, scores = w @ D.T.
    c = members.T @ (v * restricted)
    D = (scores_map * restricted[None, :]) @ members
    weights = webb_weights(rng, reps, G)
    shift = weights @ c
    se_star = np.sqrt(G / (G - 1) * ((weights @ D.T) ** 2).sum(axis=1))
    se = np.sqrt(G / (G - 1) * ((scores_map @ y) ** 2).sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.mean(np.abs(shift / se_star) >= abs(estimate.estimate[k] / se)))


def score_bootstrap_p(
    scores: np.ndarray, estimate: float, reps: int, rng: np.random.Generator
) -> float:
    """Wild bootstrap (Webb weights) p-value of a linear estimate against 0 from its scores.

    A replication flips the given per-cluster scores s_g with the cluster weights: the
    estimate's deviation is Σ_g w_g s_g. The p-value is (1 + k)/(1 + reps), k the
    replications at least as far from 0 as the estimate. Replications are drawn in blocks to
    bound the memory.
    """
    exceed, block = 0, max(1, 2_000_000 // max(len(scores), 1))
    for done in range(0, reps, block):
        weights = webb_weights(rng, min(block, reps - done), len(scores))
        exceed += int(np.sum(np.abs(weights @ scores) >= abs(estimate)))
    return (1 + exceed) / (1 + reps)


def att(panel: Panel) -> float:
    """The imputation ATT alone (for permutations): mean imputed effect of treated obs."""
    treated = panel.treated
    X, w = fe_design(panel), panel.weight
    root = np.sqrt(w[~treated])
    theta = np.linalg.lstsq(root[:, None] * X[~treated], root * panel.y[~treated], rcond=None)[0]
    effects = panel.y[treated] - X[treated] @ theta
    return float(np.average(effects, weights=w[treated]))


def randomization_p(panel: Panel, reps: int, rng: np.random.Generator) -> float:
    """Permute adoption dates across areas; share of |ATT| at least the observed one among the
    assignments that leave a treated cell to impute."""
    observed = abs(att(panel))
    unit_start = np.full(panel.n_units, np.inf)
    unit_start[panel.unit] = panel.start
    exceed = valid = 0
    for _ in range(reps):
        start = rng.permutation(unit_start)[panel.unit]
        permuted = panel.with_start(start)
        permuted = permuted.subset(identified(permuted))
        if not permuted.treated.any():  # no treated cell to impute: not an estimable draw
            continue
        valid += 1
        exceed += abs(att(permuted)) >= observed - 1e-12
    return (1 + exceed) / (1 + valid)


def pretrend_bootstrap_p(panel: Panel, leads: int, reps: int, rng: np.random.Generator) -> float:
    """Wild cluster bootstrap (WCR, Webb) p-value of the joint pre-trend Wald test.

    On the untreated observations, regress the outcome on dummies for the ``leads`` years
    before the start plus unit and year effects; the null (no pre-trend) is imposed by
    refitting without the dummies. With few treated areas the cluster-robust F test of the
    same statistic rejects far too often; the bootstrap does not rely on its distribution.
    """
    sub = panel.subset(~panel.treated)
    event = sub.event_time
    times = [k for k in range(-leads, 0) if np.any(event == k)]
    if not times or sub.n_units < 3:
        return float("nan")
    fe = fe_design(sub)
    X = np.hstack([np.column_stack([(event == k).astype(float) for k in times]), fe])
    w, y, G, k = sub.weight, sub.y, sub.n_units, len(times)
    A = np.linalg.pinv(X.T @ (w[:, None] * X))
    coef_map = (A @ (X.T * w))[:k]  # k × n: lead coefficients = coef_map @ y
    residual_map = np.eye(len(y)) - X @ A @ (X.T * w)
    members = np.eye(G)[sub.unit]
    factor = G / (G - 1) * (len(y) - 1) / (len(y) - np.linalg.matrix_rank(X))

    def wald(coef: np.ndarray, scores: np.ndarray) -> np.ndarray:
        vcov = factor * np.einsum("...gk,...gl->...kl", scores, scores)
        return np.einsum("...k,...k->...", coef, np.linalg.solve(vcov, coef[..., None])[..., 0])

    e = residual_map @ y
    observed = wald(coef_map @ y, members.T @ (coef_map * e[None, :]).T)
    restricted = y - fe @ np.linalg.lstsq(np.sqrt(w)[:, None] * fe, np.sqrt(w) * y, rcond=None)[0]
    by_cluster = (residual_map * restricted[None, :]) @ members  # n × G
    per_cluster = np.einsum("ki,ih,ig->ghk", coef_map, by_cluster, members)  # G × G × k
    weights = webb_weights(rng, reps, G)
    coef_star = weights @ (members.T @ (coef_map * restricted[None, :]).T)  # reps × k
    scores_star = np.einsum("bh,ghk->bgk", weights, per_cluster)
    return float(np.mean(wald(coef_star, scores_star) >= observed - 1e-12))
