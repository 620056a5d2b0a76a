"""Weighted least squares on area and period dummies without building the dummies.

The normal equations of y ~ α_unit + λ_period with weights w are

    d_i α_i + Σ_t C_it λ_t = Σ_{rows of i} w y          (d_i: weight of unit i's rows)
    Σ_i C_it α_i + D_t λ_t = Σ_{rows in t} w y          (C_it: weight of unit i's rows in t)

Eliminating the unit effects leaves the period system S λ = r with the Schur complement
S = diag(D) − C' diag(1/d) C (periods × periods), a sum of one term per unit. One period per
connected component of the unit–period graph is the reference (λ = 0), exactly as
``did.fe_design`` drops the first year of each stratum; S is then positive definite and solved
by Cholesky. This is the same solution as the pseudo-inverse of the dense dummy design, in
O(rows + units · periods²) time and without any rows × rows or rows × dummies matrix.

When the graph is not "regular" (a unit or period without rows, or the components do not match
the reference periods one to one), the system is singular and the dense normal matrix
(units + periods square, never rows) is pseudo-inverted instead, which gives the minimum-norm
solution ``numpy.linalg.lstsq``/``pinv`` give on the dummy design.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg, sparse
from scipy.sparse.csgraph import connected_components


def components(C: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """Connected components of the unit–period graph with edges where C > 0: their number and
    the label of each unit and of each period."""
    G, P = C.shape
    units, periods = np.nonzero(C > 0)
    graph = sparse.coo_matrix(
        (np.ones(len(units)), (units, G + periods)), shape=(G + P, G + P)
    ).tocsr()
    count, labels = connected_components(graph, directed=False)
    return count, labels[:G], labels[G:]


class TwoWay:
    """Fit of unit and period effects on the given rows (codes 0..G−1 and 0..P−1)."""

    def __init__(
        self,
        unit: np.ndarray,
        period: np.ndarray,
        weight: np.ndarray,
        n_units: int,
        reference: np.ndarray,
    ) -> None:
        G, P = n_units, len(reference)
        self.unit, self.period, self.weight = unit, period, weight
        self.G, self.P = G, P
        self.reference = reference
        self.d = np.bincount(unit, weight, G)
        self.D = np.bincount(period, weight, P)
        self.C = np.bincount(unit * P + period, weight, G * P).reshape(G, P)
        self.count, self.unit_component, self.period_component = self._components(reference)
        refs = np.bincount(self.period_component[reference], minlength=self.count)
        self.regular = bool(np.all(self.d > 0) and np.all(self.D > 0) and np.all(refs == 1))
        self.kept = ~reference
        if self.regular:
            self.S = np.diag(self.D) - (self.C.T / self.d) @ self.C
            self._factor = linalg.cho_factor(self.S[np.ix_(self.kept, self.kept)])
        else:
            Ck = self.C[:, self.kept]
            M = np.block([[np.diag(self.d), Ck], [Ck.T, np.diag(self.D[self.kept])]])
            self._inverse = np.linalg.pinv(M)
            self._rank = int(np.linalg.matrix_rank(M))
        self._aggregators = None

    def _components(self, reference: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
        """``components`` of C; without the graph search when every unit has rows in one
        stratum (the periods from one reference period to the next) and every stratum has a
        unit with rows in all its periods: the components are then the strata."""
        starts = np.flatnonzero(reference)
        if starts.size and starts[0] == 0 and self.G:
            seen = np.add.reduceat(self.C > 0, starts, axis=1)  # units × strata
            size = np.diff(np.r_[starts, self.P])
            single = (seen > 0).sum(axis=1) == 1
            covered = (seen == size[None, :]).any(axis=0)
            if single.all() and covered.all():
                return len(starts), np.argmax(seen > 0, axis=1), np.cumsum(reference) - 1
        return components(self.C)

    @property
    def rank(self) -> int:
        """Rank of the dummy design (units + periods without the references if regular)."""
        return self.G + int(self.kept.sum()) if self.regular else self._rank

    def sums(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Right-hand sides Σ w y per unit and per period (y: rows, or rows × columns)."""
        if y.ndim == 1:
            wy = self.weight * y
            return np.bincount(self.unit, wy, self.G), np.bincount(self.period, wy, self.P)
        if self._aggregators is None:
            n, rows = len(self.unit), np.arange(len(self.unit))
            self._aggregators = (
                sparse.csr_matrix((self.weight, (self.unit, rows)), shape=(self.G, n)),
                sparse.csr_matrix((self.weight, (self.period, rows)), shape=(self.P, n)),
            )
        by_unit, by_period = self._aggregators
        return np.asarray(by_unit @ y), np.asarray(by_period @ y)

    def solve(self, zu: np.ndarray, zt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unit and period effects (α, λ) for the right-hand sides of the normal equations."""
        lam = np.zeros((self.P, *zt.shape[1:]))
        if self.regular:
            d = self.d if zu.ndim == 1 else self.d[:, None]
            rhs = zt - self.C.T @ (zu / d)
            lam[self.kept] = linalg.cho_solve(self._factor, rhs[self.kept])
            return (zu - self.C @ lam) / d, lam
        theta = self._inverse @ np.concatenate([zu, zt[self.kept]])
        lam[self.kept] = theta[self.G :]
        return theta[: self.G], lam

    def fit(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unit and period effects of the weighted least-squares fit of y on the rows."""
        return self.solve(*self.sums(y))

    def residual(self, y: np.ndarray) -> np.ndarray:
        alpha, lam = self.fit(y)
        return y - alpha[self.unit] - lam[self.period]
