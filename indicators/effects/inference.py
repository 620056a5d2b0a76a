"""Inference with few clusters: wild cluster bootstrap (Webb weights) and randomization inference.

The imputation estimate and its cluster scores are linear in the outcome (``did.py``), so
every bootstrap replication is a matrix product: no Python loop per replication.

* p-value: restricted wild cluster bootstrap (WCR, the null of no effect imposed: the outcome
  is refitted with unit and year effects only), bootstrap-t with Webb's six-point weights;
  (1 + k)/(1 + B) with k of B replications at least as extreme, so never 0.
* score bootstrap: a wild bootstrap of given per-cluster scores of a linear estimate (Kline
  and Santos 2012), for estimates whose per-cluster scores are all there is (the pooled
  estimate of several municipalities, ``indicators/land/pooling.py``, passes its
  jackknife-transformed scores).
* randomization inference: adoption dates are permuted across areas and the ATT recomputed;
  the p-value is (1 + k)/(1 + B), k of the B permutations with an effect at least as large in
  absolute value. Each permutation refits only the unit and year effects (``fixed_effects.py``).

No function builds an N × N matrix: the bootstrap needs the G × G map from the cluster weights
to the cluster scores, computed by applying the residual operator to one block of clusters at
a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from indicators.effects.did import Imputation, Panel, absorbed, period_codes, untreated_fit
from indicators.effects.fixed_effects import TwoWay

WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
BLOCK_VALUES = 4_000_000
"""Floats per block of intermediate results (bounds the memory of the bootstraps)."""


def webb_weights(rng: np.random.Generator, reps: int, clusters: int) -> np.ndarray:
    return WEBB[rng.integers(0, 6, size=(reps, clusters))]


def _members(unit: np.ndarray, G: int) -> sparse.csr_matrix:
    """G × N: sums observations by cluster."""
    return sparse.csr_matrix(
        (np.ones(len(unit)), (unit, np.arange(len(unit)))), shape=(G, len(unit))
    )


def _cluster_blocks(unit: np.ndarray, G: int, values: np.ndarray):
    """Blocks of clusters h0..h1 with the N × (h1 − h0) matrix holding ``values`` in the rows of
    each cluster's column (the outcome restricted to one cluster at a time)."""
    step = max(1, BLOCK_VALUES // max(len(unit), 1))
    rows = np.arange(len(unit))
    for h0 in range(0, G, step):
        h1 = min(G, h0 + step)
        inside = (unit >= h0) & (unit < h1)
        Y = np.zeros((len(unit), h1 - h0))
        Y[rows[inside], unit[inside] - h0] = values[inside]
        yield h0, h1, Y


def _replication_blocks(weights: np.ndarray):
    step = max(1, BLOCK_VALUES // max(weights.shape[1], 1))
    for b0 in range(0, len(weights), step):
        yield weights[b0 : b0 + step]


def restricted_residual(panel: Panel) -> np.ndarray:
    """The outcome minus its weighted fit on unit and year effects alone (the null imposed)."""
    period, reference = period_codes(panel)
    fe = TwoWay(panel.unit, period, panel.weight, panel.n_units, reference)
    return fe.residual(panel.y)


def wild_cluster_bootstrap_p(
    estimate: Imputation, k: int, reps: int, rng: np.random.Generator
) -> float:
    """Bootstrap-t p-value (WCR, Webb weights) of estimand ``k`` of ``estimate`` against 0."""
    panel, y = estimate.panel, estimate.panel.y
    G = panel.n_units
    v = estimate.V[:, k]
    members = _members(panel.unit, G)
    se = np.sqrt(G / (G - 1) * ((members @ (v * (estimate.R @ y))) ** 2).sum())
    restricted = restricted_residual(panel)
    # The estimator maps the fitted unit-and-year part to exactly 0, so a replication with
    # cluster weights w_g is linear in the weights: estimate = w @ c, scores = w @ D.T, where
    # column h of D holds the cluster scores of the restricted residual of cluster h alone.
    c = members @ (v * restricted)
    D = np.empty((G, G))
    for h0, h1, Y in _cluster_blocks(panel.unit, G, restricted):
        D[:, h0:h1] = members @ (v[:, None] * (estimate.R @ Y))
    weights = webb_weights(rng, reps, G)
    observed = abs(estimate.estimate[k] / se)
    exceed = 0
    for block in _replication_blocks(weights):
        shift = block @ c
        se_star = np.sqrt(G / (G - 1) * ((block @ D.T) ** 2).sum(axis=1))
        with np.errstate(divide="ignore", invalid="ignore"):
            exceed += int(np.sum(np.abs(shift / se_star) >= observed))
    return (1 + exceed) / (1 + reps)


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
    fe, period = untreated_fit(panel)
    alpha, lam = fe.fit(panel.y[~treated])
    effects = panel.y[treated] - alpha[panel.unit[treated]] - lam[period[treated]]
    return float(np.average(effects, weights=panel.weight[treated]))


def _statistics(
    unit: np.ndarray,
    period: np.ndarray,
    first_of_stratum: np.ndarray,
    weight: np.ndarray,
    columns: np.ndarray,
    treated: np.ndarray,
    years_to_start: np.ndarray,
) -> np.ndarray:
    """For the rows given by codes (``first_of_stratum``: per period code of the full panel,
    whether it starts a new stratum) and an assignment ``treated``: the ATT of each of
    ``columns[:, :-1]`` and the pre-trend slope of the last column, i.e. its coefficient on
    ``years_to_start`` (0 for areas never treated) beside unit and year effects on the
    untreated rows. One fit of the unit and year effects serves all of them."""
    out = np.full(columns.shape[1], np.nan)
    if not treated.any():
        return out
    _, unit = np.unique(unit, return_inverse=True)
    present, period = np.unique(period, return_inverse=True)
    starts = np.cumsum(first_of_stratum)[present]
    reference = np.r_[True, np.diff(starts) != 0]
    untreated = ~treated
    fe = TwoWay(unit[untreated], period[untreated], weight[untreated], int(unit.max()) + 1,
                reference)  # fmt: skip
    fitted = np.column_stack([columns[untreated], years_to_start[untreated]])
    alpha, lam = fe.fit(fitted)
    effects = columns[treated, :-1] - alpha[unit[treated], :-2] - lam[period[treated], :-2]
    out[:-1] = np.average(effects, axis=0, weights=weight[treated])
    within = fitted[:, -2:] - alpha[unit[untreated], -2:] - lam[period[untreated], -2:]
    w = weight[untreated]
    if absorbed(fitted[:, -1:], within[:, 1:], w)[0]:  # else no year before any start varies
        out[-1] = np.sum(w * within[:, 1] * within[:, 0]) / np.sum(w * within[:, 1] ** 2)
    return out


@dataclass(frozen=True)
class Permutations:
    """Randomization inference: the ATT and the pre-trend slope under adoption dates permuted
    across areas.

    Under the sharp null of a constant effect τ the outcome without the measure is
    y − τ·D (D: the actual treated cells), and the ATT is linear in the outcome, so for every τ
    the observed statistic is ``observed − τ`` and a permutation's is ``att − τ · shift``:
    two ATTs per permutation give the whole family of tests and their inversion.

    The pre-trend slope (how much faster the treated areas moved than the others in the years
    before their start, from every such year) is computed on y − ATT·D, the outcome with the
    estimated effect taken out, so that a permuted assignment's "years before the start" do
    not pick up the real effect; its randomization distribution is exact when adoption is as
    good as random.
    """

    observed: float
    att: np.ndarray
    """Per permutation: the ATT of the outcome."""
    shift: np.ndarray
    """Per permutation: the ATT of D, the actual treated cells."""
    slope: float
    """The observed pre-trend slope (pp per year)."""
    slopes: np.ndarray
    """Per permutation: the pre-trend slope."""

    def p_value(self, tau: np.ndarray | float = 0.0) -> np.ndarray | float:
        """(1 + k)/(1 + B), k of the B permutations with an ATT (an assignment that leaves a
        treated cell to impute) whose |ATT| is at least the observed one under the null of a
        constant effect ``tau``: the test is conditional on an estimable assignment."""
        tau = np.asarray(tau, dtype=float)
        valid = np.isfinite(self.att)
        att, shift = self.att[valid], self.shift[valid]
        observed = np.abs(self.observed - tau)
        permuted = np.abs(att[:, None] - np.multiply.outer(shift, tau.ravel()))
        exceed = (permuted >= observed.ravel()[None, :] - 1e-12).sum(axis=0)
        p = (1 + exceed) / (1 + len(att))
        return float(p[0]) if tau.ndim == 0 else p.reshape(tau.shape)

    def interval(self, level: float = 0.95) -> tuple[float, float] | None:
        """The constant effects the test does not reject at 1 − ``level`` (test inversion),
        as their hull; None when that set is unbounded (too few distinct assignments)."""
        alpha = 1 - level
        a, c = self.att[np.isfinite(self.att)], self.shift[np.isfinite(self.att)]
        # a permutation's indicator changes where (a − τc)² = (A − τ)²
        quadratic, linear = c**2 - 1, -2 * (a * c - self.observed)
        constant = a**2 - self.observed**2
        flat = np.abs(quadratic) < 1e-12
        with np.errstate(divide="ignore", invalid="ignore"):
            root = np.sqrt(linear**2 - 4 * quadratic * constant)
            roots = np.concatenate([
                ((-linear - root) / (2 * quadratic))[~flat],
                ((-linear + root) / (2 * quadratic))[~flat],
                (-constant / linear)[flat],
            ])  # fmt: skip
        roots = np.unique(roots[np.isfinite(roots)])
        if not roots.size:
            return None
        outside = np.array([roots[0] - 1 - abs(roots[0]), roots[-1] + 1 + abs(roots[-1])])
        if np.any(self.p_value(outside) > alpha):
            return None
        accepted = roots[self.p_value(roots) > alpha]
        return float(accepted.min()), float(accepted.max())

    def slope_p(self, toward: float) -> float:
        """One-sided p-value of a pre-trend with the sign of ``toward`` (the effect): the share
        of permutations with a slope at least as far in that direction, (1 + k)/(1 + B), B
        the permutations with a slope."""
        if np.isnan(self.slope) or toward == 0 or np.isnan(toward):
            return float("nan")
        sign = np.sign(toward)
        slopes = self.slopes[np.isfinite(self.slopes)]  # assignments with a slope only
        exceed = np.sum(sign * slopes >= sign * self.slope - 1e-12)
        return float((1 + exceed) / (1 + len(slopes)))


def permutations(panel: Panel, reps: int, rng: np.random.Generator) -> Permutations:
    """Permute adoption dates across areas ``reps`` times (``Permutations``)."""
    observed = att(panel)
    unit_start = np.full(panel.n_units, np.inf)
    unit_start[panel.unit] = panel.start
    period, reference = period_codes(panel)
    G, P = panel.n_units, len(reference)
    unit, year, weight = panel.unit, panel.year, panel.weight
    D = panel.treated.astype(float)
    columns = np.column_stack([panel.y, D, panel.y - observed * D])

    def statistics(start: np.ndarray) -> np.ndarray:
        treated = year >= start
        untreated = ~treated
        unit_ok = np.bincount(unit[untreated], minlength=G) > 0
        period_ok = np.bincount(period[untreated], minlength=P) > 0
        keep = untreated | (unit_ok[unit] & period_ok[period])
        with np.errstate(invalid="ignore"):
            years_to_start = np.where(np.isfinite(start), year - start, 0.0)
        return _statistics(unit[keep], period[keep], reference, weight[keep], columns[keep],
                           treated[keep], years_to_start[keep])  # fmt: skip

    draws = np.array([statistics(rng.permutation(unit_start)[unit]) for _ in range(reps)])
    draws = draws.reshape(reps, 3)
    slope = statistics(panel.start)[2]
    return Permutations(observed, draws[:, 0], draws[:, 1], float(slope), draws[:, 2])


def randomization_p(panel: Panel, reps: int, rng: np.random.Generator) -> float:
    """Permute adoption dates across areas; share of |ATT| at least the observed one
    (``Permutations.p_value``)."""
    return permutations(panel, reps, rng).p_value()


def wald_statistics(coef: np.ndarray, vcov: np.ndarray) -> np.ndarray:
    """b' V⁺ b for stacks of coefficients and covariances, with the pseudo-inverse: a singular
    covariance (few treated areas leave some lead without spread) tests the directions it has."""
    inverse = np.linalg.pinv(vcov, rcond=1e-10, hermitian=True)
    return np.einsum("...k,...kl,...l->...", coef, inverse, coef)


def pretrend_bootstrap_p(panel: Panel, leads: int, reps: int, rng: np.random.Generator) -> float:
    """Wild cluster bootstrap (WCR, Webb) p-value of the joint pre-trend Wald test.

    On the untreated observations, regress the outcome on dummies for the ``leads`` years
    before the start plus unit and year effects; the null (no pre-trend) is imposed by
    refitting without the dummies. With few treated areas the cluster-robust F test of the
    same statistic rejects far too often; the bootstrap does not rely on its distribution.
    The lead coefficients come from the dummies with the unit and year effects partialled out
    (Frisch–Waugh–Lovell), so no dummy design is built. The p-value is (1 + k)/(1 + reps).
    """
    sub = panel.subset(~panel.treated)
    event = sub.event_time
    times = [k for k in range(-leads, 0) if np.any(event == k)]
    if not times or sub.n_units < 3:
        return float("nan")
    period, reference = period_codes(sub)
    w, y, G, n = sub.weight, sub.y, sub.n_units, len(sub.y)
    fe = TwoWay(sub.unit, period, w, G, reference)
    dummies = np.column_stack([(event == k).astype(float) for k in times])
    leads_within = fe.residual(dummies)
    usable = absorbed(dummies, leads_within, w)  # a lead the unit effects absorb is dropped
    if not usable.any():
        return float("nan")
    leads_within = leads_within[:, usable]
    inverse = np.linalg.pinv(
        leads_within.T @ (w[:, None] * leads_within), rcond=1e-10, hermitian=True
    )
    coef_map = inverse @ (leads_within * w[:, None]).T  # k × n: lead coefficients = coef_map @ y
    rank = fe.rank + int(np.linalg.matrix_rank(leads_within))
    factor = G / (G - 1) * (n - 1) / (n - rank)
    members = _members(sub.unit, G)

    def wald(coef: np.ndarray, scores: np.ndarray) -> np.ndarray:
        return wald_statistics(coef, factor * np.einsum("...gk,...gl->...kl", scores, scores))

    restricted = fe.residual(y)
    coef = coef_map @ y
    e = restricted - leads_within @ coef
    observed = wald(coef, members @ (coef_map * e[None, :]).T)
    K = int(usable.sum())
    per_cluster = np.empty((K, G, G))  # [k, g, h]: score of g when only cluster h moves
    for h0, h1, Y in _cluster_blocks(sub.unit, G, restricted):
        E = fe.residual(Y) - leads_within @ (coef_map @ Y)
        for k in range(K):
            per_cluster[k, :, h0:h1] = members @ (coef_map[k][:, None] * E)
    weights = webb_weights(rng, reps, G)
    by_cluster = members @ (coef_map * restricted[None, :]).T  # G × k
    exceed = 0
    for block in _replication_blocks(weights):
        coef_star = block @ by_cluster
        scores_star = np.stack([block @ per_cluster[k].T for k in range(K)], axis=-1)
        exceed += int(np.sum(wald(coef_star, scores_star) >= observed - 1e-12))
    return (1 + exceed) / (1 + reps)
