"""Difference-in-differences for staggered adoption on an area × year panel (numpy, scipy).

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

Nothing here builds an N × N matrix or the dummy design (``fe_design`` stays for tests): the
unit and year effects come from ``fixed_effects.TwoWay``, the weights V from its normal
equations with the treated averaging vectors as right-hand side (the implicit weights of BJS),
R is an operator, the regressions partial the effects out (Frisch–Waugh–Lovell) and the
jackknife downdates the period system per left-out area. ``tests/reference_did.py`` keeps the
dense original; the two agree to 1e-9.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, sparse

from indicators.effects.fixed_effects import TwoWay, components


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
    """Unit dummies and year dummies per stratum (the first year of each stratum dropped): the
    dense design the estimators avoid; for tests and small checks."""
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
    R: Residuals
    """The linear map of the residuals, e = R @ y (untreated: y − fitted; treated: effect −
    the mean of its stratum's effects at its event time); an operator, not an N × N matrix."""
    totals: np.ndarray
    """Per estimate: the summed weight of the treated observations it averages."""


def period_codes(panel: Panel) -> tuple[np.ndarray, np.ndarray]:
    """0..P−1 codes of ``panel.period`` and the reference periods (the first of each stratum,
    whose dummy ``fe_design`` drops)."""
    values, codes = np.unique(panel.period, return_inverse=True)
    _, strata = np.unique(panel.stratum, return_inverse=True)
    first = np.full(int(strata.max()) + 1 if strata.size else 0, len(values))
    np.minimum.at(first, strata, codes)
    reference = np.zeros(len(values), dtype=bool)
    reference[first] = True
    return codes.ravel(), reference


def untreated_fit(panel: Panel) -> tuple[TwoWay, np.ndarray]:
    """The unit and period fit on the untreated observations, and the period codes."""
    period, reference = period_codes(panel)
    untreated = ~panel.treated
    fe = TwoWay(
        panel.unit[untreated], period[untreated], panel.weight[untreated], panel.n_units,
        reference,
    )  # fmt: skip
    return fe, period


class Residuals:
    """The residual map R of an imputation as an operator: ``R @ y`` for a vector or the
    columns of a matrix, in O(N) per column."""

    def __init__(self, panel: Panel, fe: TwoWay, period: np.ndarray) -> None:
        treated = panel.treated
        self.shape = (len(panel.y), len(panel.y))
        self.fe = fe
        self.index0, self.index1 = np.flatnonzero(~treated), np.flatnonzero(treated)
        self.unit1, self.period1 = panel.unit[treated], period[treated]
        event = panel.event_time[treated]
        self.cells = _codes(panel.stratum[treated], event) if treated.any() else event
        w1 = panel.weight[treated]
        n_cells = int(self.cells.max()) + 1 if self.cells.size else 0
        self.cell_weight = np.bincount(self.cells, w1, n_cells)
        self.cell_sums = sparse.csr_matrix(
            (w1, (self.cells, np.arange(len(w1)))), shape=(n_cells, len(w1))
        )

    def __matmul__(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=float)
        out = np.empty_like(y)
        y0 = y[self.index0]
        alpha, lam = self.fe.fit(y0)
        out[self.index0] = y0 - alpha[self.fe.unit] - lam[self.fe.period]
        tau = y[self.index1] - alpha[self.unit1] - lam[self.period1]
        weight = self.cell_weight if y.ndim == 1 else self.cell_weight[:, None]
        means = np.asarray(self.cell_sums @ tau) / weight
        out[self.index1] = tau - means[self.cells]
        return out

    def toarray(self) -> np.ndarray:
        return self @ np.eye(self.shape[0])


def _event_weights(panel: Panel, names: list) -> np.ndarray:
    """Treated observations × estimates ``names``: the observation's weight if it belongs to
    the estimate (the ATT: every treated observation; an event time: those at it), else 0."""
    treated = panel.treated
    event = panel.event_time[treated]
    member = np.column_stack(
        [np.ones(len(event), dtype=bool) if name == "ATT" else event == name for name in names]
    ).reshape(len(event), len(names))
    return member * panel.weight[treated][:, None]


def imputation(panel: Panel) -> Imputation:
    treated = panel.treated
    fe, period = untreated_fit(panel)
    y, w = panel.y, panel.weight
    alpha, lam = fe.fit(y[~treated])
    unit1, period1 = panel.unit[treated], period[treated]
    effects = y[treated] - alpha[unit1] - lam[period1]
    times = np.unique(panel.event_time[treated]).astype(int)
    names = ["ATT", *times.tolist()]
    omega = _event_weights(panel, names)
    totals = omega.sum(axis=0)
    omega /= totals[None, :]

    # Implicit weights (BJS 2024): v_untreated = −W0 X0 (X0'W0X0)⁻¹ X1' ω
    K = len(names)
    zu = np.zeros((panel.n_units, K))
    zt = np.zeros((fe.P, K))
    np.add.at(zu, unit1, omega)
    np.add.at(zt, period1, omega)
    a, b = fe.solve(zu, zt)
    V = np.zeros((len(y), K))
    V[treated] = omega
    V[~treated] = -w[~treated][:, None] * (a[fe.unit] + b[fe.period])
    estimate = omega.T @ effects
    return Imputation(panel, names, estimate, V, Residuals(panel, fe, period), totals)


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
    """``weighted_ols``: every coefficient; ``within_regression``: those of the regressors
    without the unit and year effects."""
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


def within_regression(regressors: np.ndarray, panel: Panel) -> Regression:
    """``weighted_ols`` of y on ``regressors`` plus unit and year effects, clustered by unit,
    for the coefficients of ``regressors`` only: the effects are partialled out
    (Frisch–Waugh–Lovell) instead of entering as dummies; the same coefficients and CR1
    covariance, with the rank of the full design in the small-sample factor."""
    period, reference = period_codes(panel)
    fe = TwoWay(panel.unit, period, panel.weight, panel.n_units, reference)
    X, y, w = fe.residual(regressors), fe.residual(panel.y), panel.weight
    usable = absorbed(regressors, X, w)
    if not usable.all():
        fit = within_regression(regressors[:, usable], panel) if usable.any() else None
        k = regressors.shape[1]
        coef, vcov = np.full(k, np.nan), np.full((k, k), np.nan)
        if fit is not None:
            coef[usable] = fit.coef
            vcov[np.ix_(usable, usable)] = fit.vcov
        return Regression(coef, vcov, panel.n_units - 1)
    XtWX_inv = np.linalg.pinv(X.T @ (w[:, None] * X))
    coef = XtWX_inv @ (X.T @ (w * y))
    resid = y - X @ coef
    G = panel.n_units
    scores = np.zeros((G, X.shape[1]))
    np.add.at(scores, panel.unit, X * (w * resid)[:, None])
    n, rank = len(y), fe.rank + np.linalg.matrix_rank(X)
    factor = G / (G - 1) * (n - 1) / (n - rank)
    vcov = factor * XtWX_inv @ (scores.T @ scores) @ XtWX_inv
    return Regression(coef, vcov, G - 1)


def absorbed(regressors: np.ndarray, within: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per regressor whether it keeps variation once the unit and year effects are partialled
    out (``within``); one that does not (e.g. the only lead of areas with one year before their
    start) has no coefficient."""
    return (w[:, None] * within**2).sum(axis=0) > 1e-10 * (w[:, None] * regressors**2).sum(axis=0)


def twfe(panel: Panel) -> Regression:
    """The effect of the treatment dummy, with unit and year effects (coefficient 0)."""
    return within_regression(panel.treated[:, None].astype(float), panel)


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
    fit = within_regression(dummies, sub)
    b, V = fit.coef, fit.vcov
    ok = np.isfinite(b)
    # Leads that are collinear with the unit effects (every treated area's years before the
    # start all among the leads) leave fewer testable directions than leads: the Wald
    # statistic uses the pseudo-inverse and the F test that many numerator degrees.
    k = int(np.linalg.matrix_rank(V[np.ix_(ok, ok)])) if ok.any() else 0
    if k == 0:
        return Pretrend(times, b, np.sqrt(np.diag(V)), float("nan"), fit.df)
    wald = float(b[ok] @ np.linalg.pinv(V[np.ix_(ok, ok)], hermitian=True) @ b[ok]) / k
    from scipy import stats  # here only: see ``estimation._estimate_effect``

    p = float(stats.f.sf(wald, k, fit.df))
    return Pretrend(times, b, np.sqrt(np.diag(V)), p, fit.df)


def leave_one_out(panel: Panel, names: list) -> tuple[np.ndarray, np.ndarray]:
    """Per area (rows) the estimates ``names`` re-estimated without it, and their totals.

    Each area is left out in turn and everything re-estimated, as if the panel without it
    (and without the treated observations that lose their comparison) were estimated anew. An
    estimate that cannot be made without the area is NaN with total 0.

    Leaving an area out removes its term from the period system of the untreated fit (a
    periods × periods downdate) and its and the dropped observations' terms from the
    estimates' sums, so each area costs O(periods³ + its observations), not a refit.
    """
    draws = np.full((panel.n_units, len(names)), np.nan)
    totals = np.zeros((panel.n_units, len(names)))
    keep = identified(panel)
    if not panel.treated[keep].any():
        return draws, totals
    base = panel.subset(keep)
    present = np.unique(panel.unit[keep])  # original code of each unit of ``base``
    absent = np.setdiff1d(np.arange(panel.n_units), present)
    if absent.size:  # an area without untreated observations contributes nothing
        full_draws, full_totals = _Jackknife(base, names).full()
        draws[absent], totals[absent] = full_draws, full_totals
    draws[present], totals[present] = _Jackknife(base, names).draws()
    return draws, totals


class _Jackknife:
    """Leave-one-area-out imputation estimates of an identified panel by downdating.

    With α_i = (s_i − c_i·λ)/d_i, the numerator of estimate k is a sum over treated rows r
    (unit i, period t) of w_r m_rk (ψ_r + φ_r·λ), with ψ_r = y_r − s_i/d_i and
    φ_r = c_i/d_i − e_t. Leaving area g out changes λ only in g's component of the unit–period
    graph (S − S_g, r − r_g) and removes g's treated rows and those in periods left without
    untreated rows; every other quantity is the full panel's.
    """

    def __init__(self, panel: Panel, names: list) -> None:
        self.panel, self.names = panel, names
        fe, period = untreated_fit(panel)
        self.fe, self.period = fe, period
        treated = panel.treated
        u1, p1 = panel.unit[treated], period[treated]
        self.u1, self.p1 = u1, p1
        member_weight = _event_weights(panel, names)
        self.wm = member_weight
        self.member = (member_weight != 0).astype(float)
        stratum_of_period = np.zeros(fe.P, dtype=int)
        stratum_of_period[period] = np.unique(panel.stratum, return_inverse=True)[1].ravel()
        self.fast = (
            fe.regular
            and np.all(fe.period_component[p1] == fe.unit_component[u1])
            and all(
                len(np.unique(stratum_of_period[fe.period_component == c])) == 1
                for c in range(fe.count)
            )
        )
        if not self.fast:
            return
        y0 = panel.y[~treated]
        self.s, self.q = fe.sums(y0)
        self.alpha, self.lam = fe.fit(y0)
        d, C = fe.d, fe.C
        self.psi = panel.y[treated] - self.s[u1] / d[u1]
        self.phi = C[u1] / d[u1][:, None]
        self.phi[np.arange(len(p1)), p1] -= 1.0
        self.Psi = member_weight.T @ self.psi
        self.Phi = member_weight.T @ self.phi
        self.total = member_weight.sum(axis=0)
        self.count = self.member.sum(axis=0)
        self.r = self.q - C.T @ (self.s / d)
        self.n0 = np.bincount(fe.period, minlength=fe.P)
        self.n0_unit = np.bincount(fe.unit * fe.P + fe.period, minlength=fe.G * fe.P).reshape(
            fe.G, fe.P
        )
        self.rows_of_unit = np.split(
            np.argsort(u1, kind="stable"), np.cumsum(np.bincount(u1, minlength=fe.G))[:-1]
        )
        self.rows_in_period = np.split(
            np.argsort(p1, kind="stable"), np.cumsum(np.bincount(p1, minlength=fe.P))[:-1]
        )
        self.periods_of = [np.flatnonzero(fe.period_component == c) for c in range(fe.count)]
        self.units_of = [np.flatnonzero(fe.unit_component == c) for c in range(fe.count)]
        # units with untreated rows in every period of their component keep it connected
        covers = (self.n0_unit > 0).sum(axis=1) == np.array(
            [len(self.periods_of[c]) for c in fe.unit_component]
        )
        self.covering = np.bincount(fe.unit_component[covers], minlength=fe.count)
        self.covers = covers

    def full(self) -> tuple[np.ndarray, np.ndarray]:
        return self._estimates(self.panel)

    def _estimates(self, panel: Panel) -> tuple[np.ndarray, np.ndarray]:
        draws = np.full(len(self.names), np.nan)
        totals = np.zeros(len(self.names))
        if not panel.treated.any():
            return draws, totals
        estimate = imputation(panel)
        index = {name: k for k, name in enumerate(estimate.names)}
        for j, name in enumerate(self.names):
            if name in index:
                draws[j] = estimate.estimate[index[name]]
                totals[j] = estimate.totals[index[name]]
        return draws, totals

    def _refit(self, g: int) -> tuple[np.ndarray, np.ndarray]:
        sub = self.panel.subset(self.panel.unit != g)
        return self._estimates(sub.subset(identified(sub)))

    def draws(self) -> tuple[np.ndarray, np.ndarray]:
        G = self.panel.n_units
        draws = np.full((G, len(self.names)), np.nan)
        totals = np.zeros((G, len(self.names)))
        for g in range(G):
            result = self._downdate(g) if self.fast else None
            draws[g], totals[g] = result if result is not None else self._refit(g)
        return draws, totals

    def _downdate(self, g: int) -> tuple[np.ndarray, np.ndarray] | None:
        fe = self.fe
        c = fe.unit_component[g]
        periods = self.periods_of[c]
        alive = self.n0[periods] - self.n0_unit[g, periods] > 0
        if not (self.covering[c] - self.covers[g] > 0) and not self._connected(g, c, alive):
            return None  # leaving g out splits its component: the refit is singular
        dead = periods[~alive]
        removed = [self.rows_of_unit[g]]
        for t in dead:
            rows = self.rows_in_period[t]
            removed.append(rows[self.u1[rows] != g])
        removed = np.concatenate(removed)
        lam = self.lam.copy()
        lam[periods] = 0.0
        live = periods[alive]
        if live.size > 1:
            kept = live[1:]  # the first living period is the reference
            cg, dg = fe.C[g, kept], fe.d[g]
            S = fe.S[np.ix_(kept, kept)] - np.diag(cg) + np.outer(cg, cg) / dg
            r = self.r[kept] - (self.q_unit(g)[kept] - cg * self.s[g] / dg)
            try:
                lam[kept] = linalg.solve(S, r, assume_a="pos")
            except linalg.LinAlgError:  # numerically not positive definite: refit instead
                return None
        change = lam[periods] - self.lam[periods]
        wm = self.wm[removed]
        numerator = (
            self.Psi
            + self.Phi @ self.lam
            + self.Phi[:, periods] @ change
            - wm.T @ (self.psi[removed] + self.phi[removed] @ lam)
        )
        total = self.total - wm.sum(axis=0)
        count = self.count - self.member[removed].sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            draw = np.where(count > 0, numerator / total, np.nan)
        return draw, np.where(count > 0, total, 0.0)

    def q_unit(self, g: int) -> np.ndarray:
        """Σ w y of unit g's untreated rows per period."""
        rows = self.fe.unit == g
        return np.bincount(
            self.fe.period[rows],
            self.fe.weight[rows] * self.panel.y[~self.panel.treated][rows],
            self.fe.P,
        )

    def _connected(self, g: int, c: int, alive: np.ndarray) -> bool:
        units = self.units_of[c]
        units = units[units != g]
        periods = self.periods_of[c][alive]
        if units.size == 0:
            return True
        count, _, _ = components(self.fe.C[np.ix_(units, periods)])
        return count == 1


def _rows_by(codes: np.ndarray, n: int) -> list[np.ndarray]:
    """Per code 0..n−1 the positions holding it."""
    return np.split(
        np.argsort(codes, kind="stable"), np.cumsum(np.bincount(codes, minlength=n))[:-1]
    )


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
