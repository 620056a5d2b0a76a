"""Inference with few clusters: wild cluster bootstrap (Webb weights) and randomization inference.

The imputation estimate and its cluster scores are linear in the outcome (``did.py``), so
every bootstrap replication is a matrix product: no Python loop per replication.

* p-value: restricted wild cluster bootstrap (WCR, the null of no effect imposed: the outcome
  is refitted with unit and year effects only), bootstrap-t with Webb's six-point weights.
* score bootstrap: a wild bootstrap of given per-cluster scores of a linear estimate (Kline
  and Santos 2012), for estimates whose per-cluster scores are all there is (the pooled
  estimate of several municipalities, ``indicators/land/pooling.py``, passes its
  jackknife-transformed scores).
* randomization inference: adoption dates are permuted across areas and the ATT recomputed;
  the p-value is the share of permutations with an effect at least as large in absolute value.
"""

from __future__ import annotations

import numpy as np

from indicators.effects.did import Imputation, Panel, fe_design, identified

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
    """Permute adoption dates across areas; share of |ATT| at least the observed one."""
    observed = abs(att(panel))
    unit_start = np.full(panel.n_units, np.inf)
    unit_start[panel.unit] = panel.start
    exceed = 0
    for _ in range(reps):
        start = rng.permutation(unit_start)[panel.unit]
        permuted = panel.with_start(start)
        permuted = permuted.subset(identified(permuted))
        exceed += abs(att(permuted)) >= observed - 1e-12
    return (1 + exceed) / (1 + reps)


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
