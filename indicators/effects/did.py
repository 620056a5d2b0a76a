"""Difference-in-differences for staggered adoption on an area × year panel (pure numpy).

* ``imputation``: the imputation estimator of Borusyak, Jaravel and Spiess (2024), the same
  point estimate as Gardner's two-stage did2s. Unit and year effects are fitted on the
  untreated observations only (never treated and not yet treated); the effect of each treated
  observation is its outcome minus the imputed untreated outcome; the ATT and the event-study
  effects are weighted means of these. Every estimate is linear in the outcome, ``V.T @ y``,
  which makes cluster-robust and wild-bootstrap inference exact matrix algebra.
* ``twfe``: the two-way fixed-effects regression on a treatment dummy, kept as a diagnostic
  (biased under staggered adoption with effects that change over time).
* ``pretrend``: placebo effects for the years before the start and their joint test, fitted
  on the untreated observations (the BJS pre-trend test).

Panels of several municipalities can be stacked: ``Panel.group`` gives each observation its
stratum, which has its own year effects and its own event-time means of the treated residuals.
The fit then splits into one block per stratum, so the stacked estimates are weighted means of
the strata's own (``indicators/effects/sufficient.py``).

Cluster-robust variances are by area with the small-sample factor G/(G−1) (and (N−1)/(N−k)
for the regressions, as statsmodels and Stata do); tests use t or F with G−1 degrees of freedom.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Panel:
    """One outcome observed per area (``unit``, coded 0..G−1) and year."""

    unit: np.ndarray
    year: np.ndarray
    y: np.ndarray
    weight: np.ndarray
    start: np.ndarray
    """Per observation: the first year the effect can show (adoption + lag); inf if never."""
    group: np.ndarray | None = None
    """Per observation: the stratum with its own year effects (a municipality in a stack of
    panels); ``None`` for one stratum."""

    @property
    def stratum(self) -> np.ndarray:
        return np.zeros(len(self.y), dtype=int) if self.group is None else self.group

    @property
    def period(self) -> np.ndarray:
        """Codes of (stratum, year): the observations sharing a year effect."""
        if self.group is None:
            return self.year
        return _codes(self.group, self.year)

    @property
    def n_units(self) -> int:
        return int(self.unit.max()) + 1 if self.unit.size else 0

    @property
    def treated(self) -> np.ndarray:
        return self.year >= self.start

    @property
    def event_time(self) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.where(np.isfinite(self.start), self.year - self.start, np.nan)

    def subset(self, keep: np.ndarray) -> Panel:
        _, unit = np.unique(self.unit[keep], return_inverse=True)
        group = None if self.group is None else self.group[keep]
        return Panel(
            unit, self.year[keep], self.y[keep], self.weight[keep], self.start[keep], group
        )

    def with_start(self, start: np.ndarray) -> Panel:
        return Panel(self.unit, self.year, self.y, self.weight, start, self.group)

    def with_outcome(self, y: np.ndarray) -> Panel:
        return Panel(self.unit, self.year, y, self.weight, self.start, self.group)


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
