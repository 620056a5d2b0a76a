"""Linear-programming audit of the suppressed counts of a package.

An attacker knows every published count and every linear relation among them (``linked``):
area sums, nested counts, the same quantity in several tables, all counts ≥ 0. For every
cell the package withholds — a suppressed count, or the difference of two nested counts of
which one is suppressed — the audit solves min and max of the cell over everything that fits
the published numbers (scipy's HiGHS, one LP pair per cell on the cell's connected component
of unknowns, so each LP is small). A cell is protected when its feasible range is at least
``2 × threshold`` wide (which lower and upper protection of ``threshold`` each side imply
too; a small count can have no lower protection of the threshold). No published count and no
difference of two published nested counts may lie in ``1 … threshold − 1``.

The audit reads nothing but the package's tables, so it can check any package.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.linalg import null_space
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from indicators.export.linked import LinkedCells, linked_cells

Progress = Callable[[int, int], None]
AUDIT_KEY = "geheimhaltungspruefung"
"""Key of the audit's summary in the contract report (pruefbericht.json)."""
INFEASIBLE = 2
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Components:
    """The unknown cells' relations with the published cells moved to the right-hand side,
    split into connected components (independent systems)."""

    unknown: np.ndarray
    """Cell numbers of the unknown cells."""
    matrix: sparse.csr_matrix
    """Relations (with at least one unknown) over the unknown cells."""
    rhs: np.ndarray
    label: np.ndarray
    """Component of each unknown cell."""

    @classmethod
    def of(cls, system: LinkedCells, known: np.ndarray) -> "Components":
        unknown = np.flatnonzero(~known)
        rhs = -(system.relations @ np.where(known, system.values, 0.0))
        inner = system.relations[:, unknown].tocsr()
        touched = np.flatnonzero(np.diff(inner.indptr) > 0)
        inner = inner[touched]
        _, label = connected_components((inner.T @ inner) != 0, directed=False)
        return cls(unknown, inner, rhs[touched], label)

    def blocks(self, targets: Iterable[int]) -> Iterator[tuple[np.ndarray, sparse.csr_matrix,
                                                              np.ndarray, list[int]]]:  # fmt: skip
        """Per component holding targets: its cells, relations, right-hand side and the
        positions of its targets among its cells."""
        position = {cell: i for i, cell in enumerate(self.unknown)}
        by_component: dict[int, list[int]] = {}
        for cell in sorted(set(targets)):
            by_component.setdefault(int(self.label[position[cell]]), []).append(cell)
        columns = self.matrix.tocsc()
        for component, cells in by_component.items():
            members = np.flatnonzero(self.label == component)
            rows = np.unique(columns[:, members].indices)
            local = [int(np.searchsorted(members, position[c])) for c in cells]
            yield self.unknown[members], self.matrix[rows][:, members], self.rhs[rows], local


def ranges(
    system: LinkedCells,
    known: np.ndarray,
    targets: Iterable[int],
    progress: Progress | None = None,
) -> dict[int, tuple[float, float]]:
    """(min, max) of each target cell with the cells ``known`` published; (nan, nan) where
    the published numbers contradict each other."""
    targets = sorted(set(targets))
    out: dict[int, tuple[float, float]] = {}
    for cells, block, rhs, local in Components.of(system, known).blocks(targets):
        for index in local:
            out[int(cells[index])] = _sum_range(block, rhs, index) or _range(block, rhs, index)
            if progress:
                progress(len(out), len(targets))
    return out


def determined(
    system: LinkedCells,
    known: np.ndarray,
    targets: Iterable[int],
    cache: dict[tuple, np.ndarray] | None = None,
    *,
    inequalities: bool = True,
) -> set[int]:
    """The target cells the published equations fix exactly, by Gaussian elimination: a
    combination of cells is fixed when it is zero on the null space of the relations.

    Non-negativity can fix cells too (hidden children of a sum of 0, a part as large as its
    whole): the cells every solution sets to 0 are added as equations first, so the null
    space is that of the smallest affine space holding all solutions.

    A difference that is in no other relation than whole = part + difference adds nothing
    to the system: it is left out and checked as whole − part. ``cache`` keeps the null
    space of each component (by its cells) across calls; without ``inequalities`` the
    equations alone count (faster, and enough while many cells are still fixed by them)."""
    cache = {} if cache is None else cache
    targets = set(targets)
    matrix = system.relations.tocsc()
    difference = system.pairs[:, 2]
    single = np.diff(matrix.indptr) == 1
    leaf = np.zeros(len(known), dtype=bool)
    leaf[difference] = ~system.present[difference] & single[difference]
    operands = {int(d): (int(p), int(w)) for p, w, d in system.pairs if leaf[d] and not known[d]}
    checked = {c for c in targets if not leaf[c]}
    checked |= {o for d in targets & operands.keys() for o in operands[d] if not known[o]}
    free: dict[int, tuple[int, np.ndarray]] = {}
    for cells, block, rhs, _ in Components.of(system, known).blocks(checked):
        key = (tuple(cells), tuple(np.round(rhs, 9)))
        if key not in cache:
            cache[key] = _null_space(block.toarray(), rhs, leaf[cells], inequalities)
        inner = cells[~leaf[cells]]
        for index, cell in enumerate(inner):
            free[int(cell)] = (id(cache[key]), cache[key][index])
    out = {c for c in checked & targets if np.abs(free[c][1]).max(initial=0.0) <= TOLERANCE}
    for d in targets & operands.keys():
        p, w = operands[d]
        parts = [
            (free[c][0], sign * free[c][1]) for c, sign in ((w, 1.0), (p, -1.0)) if not known[c]
        ]
        if len(parts) == 2 and parts[0][0] == parts[1][0]:
            parts = [(parts[0][0], parts[0][1] + parts[1][1])]
        if all(np.abs(v).max(initial=0.0) <= TOLERANCE for _, v in parts):
            out.add(d)
    return out


def _null_space(
    block: np.ndarray, rhs: np.ndarray, leaf: np.ndarray, inequalities: bool
) -> np.ndarray:
    """Null space (over the cells that are not leaves) of the smallest affine space holding
    every non-negative solution: relations through a leaf are left out unless the leaf is
    forced to 0, and every cell forced to 0 adds an equation."""
    zero = _forced_zero(block, rhs) if inequalities else np.zeros(len(leaf), dtype=bool)
    through_leaf = (block[:, leaf] != 0).any(axis=1)
    forced_leaf = (block[:, leaf & zero] != 0).any(axis=1)
    rows = block[~through_leaf | forced_leaf][:, ~leaf]
    fixed = np.eye(int((~leaf).sum()))[zero[~leaf]]
    return null_space(np.vstack([rows, fixed]))


def _forced_zero(block: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Boolean per cell: 0 in every non-negative solution of ``block @ x = rhs``.

    Repeatedly maximise Σ t over the open cells with 0 ≤ t_i ≤ min(x_i, 1): a cell with
    t_i > 0 can be positive; when none can, the open cells are all forced to 0."""
    size = block.shape[1]
    if block.shape[0] == 1:  # one sum: with mixed signs every cell can grow, else total 0
        signs = set(np.sign(block[0][block[0] != 0]))
        return np.full(size, len(signs) == 1 and abs(rhs[0]) <= TOLERANCE)
    open_ = np.ones(size, dtype=bool)
    while open_.any():
        t = np.flatnonzero(open_)
        cost = np.concatenate([np.zeros(size), -np.ones(len(t))])
        pick = np.zeros((len(t), size))
        pick[np.arange(len(t)), t] = -1.0
        upper = np.hstack([pick, np.eye(len(t))])  # t_i − x_i ≤ 0
        equal = np.hstack([block, np.zeros((block.shape[0], len(t)))])
        bounds = [(0, None)] * size + [(0, 1)] * len(t)
        result = linprog(cost, A_ub=upper, b_ub=np.zeros(len(t)), A_eq=equal, b_eq=rhs,
                         bounds=bounds, method="highs")  # fmt: skip
        if result.status != 0:
            return np.zeros(size, dtype=bool)  # contradiction: reported by the ranges
        positive = t[result.x[size:] > TOLERANCE**0.5]
        if not len(positive):
            return open_
        open_[positive] = False
    return open_


def _sum_range(block: sparse.csr_matrix, rhs: np.ndarray, index: int) -> tuple | None:
    """The range without an LP when the component is one sum of at least two cells with
    coefficients of one sign: each cell lies in [0, total / coefficient]."""
    coefficients = block.toarray()[0] if block.shape[0] == 1 else None
    if coefficients is None or len(coefficients) < 2:
        return None
    sign = np.sign(coefficients)
    if not (np.all(sign == sign[0]) and rhs[0] * sign[0] >= 0):
        return None
    return (0.0, float(rhs[0] / coefficients[index]))


def _range(block: sparse.csr_matrix, rhs: np.ndarray, index: int) -> tuple[float, float]:
    objective = np.zeros(block.shape[1])
    objective[index] = 1.0
    bounds = []
    for sign in (1.0, -1.0):
        result = linprog(sign * objective, A_eq=block, b_eq=rhs, bounds=(0, None), method="highs")
        if result.status == INFEASIBLE:
            return (np.nan, np.nan)
        bounds.append(sign * result.fun if result.status == 0 else np.inf)  # max unbounded
    return bounds[0], bounds[1]


def withheld(system: LinkedCells, known: np.ndarray) -> np.ndarray:
    """The cells the audit checks: counts the package holds but does not publish, and
    differences of two nested counts it holds of which at least one is withheld."""
    present = system.present
    hidden = present & ~known
    part, whole, difference = system.pairs.T
    nested = present[part] & present[whole] & (hidden[part] | hidden[whole])
    cells = np.union1d(np.flatnonzero(hidden), difference[nested]).astype(int)
    return cells[~known[cells]]


def with_differences(
    system: LinkedCells,
    known: np.ndarray,
    targets: np.ndarray,
    progress: Progress | None = None,
) -> dict[int, tuple[float, float]]:
    """Ranges of ``targets``: by LP, except a difference with one published count, whose
    range is the other count's shifted by the published one."""
    values = system.values
    shifted: dict[int, tuple[int, int]] = {}
    for p, w, d in system.pairs:
        if d in shifted or known[d] or known[p] == known[w]:
            continue
        shifted[int(d)] = (int(p), int(w))
    targets = set(targets.tolist())
    solve = (targets - set(shifted)) | {c for pw in shifted.values() for c in pw if not known[c]}
    found = ranges(system, known, solve, progress)
    out = {}
    for cell in targets:
        if cell in found:
            out[cell] = found[cell]
            continue
        p, w = shifted[cell]
        if known[p]:
            low, high = found[w]
            out[cell] = (low - values[p], high - values[p])
        else:
            low, high = found[p]
            out[cell] = (values[w] - high, values[w] - low)
    return out


def small_published(system: LinkedCells, known: np.ndarray, threshold: int) -> np.ndarray:
    """Cells published as a count or as the difference of two published nested counts that
    lie in ``1 … threshold − 1``."""
    values = system.values
    part, whole, difference = system.pairs.T
    both = known[part] & known[whole]
    gaps = np.full(len(values), np.nan)
    gaps[difference[both]] = values[whole[both]] - values[part[both]]
    shown = np.where(known, values, gaps)
    return np.flatnonzero((shown >= 1) & (shown <= threshold - 1))


def protected(low: float, high: float, threshold: int) -> bool:
    return bool(high - low >= 2 * threshold)


@dataclass(frozen=True)
class AuditResult:
    threshold: int
    cells: pd.DataFrame
    """Per audited cell: ``menge``, ``gebiet_id``, ``jahr``, ``bestimmt`` (fixed exactly by
    the published equations) and, with the LP, ``minimum``, ``maximum`` and ``geschuetzt``
    (range at least 2 × threshold wide)."""
    small: pd.DataFrame
    """Published counts or differences in 1 … threshold − 1."""
    contradictions: int
    """Cells whose LP has no solution (the published numbers contradict each other)."""

    @property
    def success(self) -> bool:
        """No small published count or difference, no cell fixed exactly, no contradiction."""
        return not (self.cells["bestimmt"].any() or len(self.small) or self.contradictions)

    def summary(self) -> dict:
        """The audit's figures for the contract report (JSON-ready, German keys)."""
        out = {
            "schwelle": self.threshold,
            "zellen_geprueft": len(self.cells),
            "zellen_genau_bestimmt": int(self.cells["bestimmt"].sum()),
            "kleine_veroeffentlichte_werte": len(self.small),
            "bestanden": self.success,
        }
        if "minimum" not in self.cells.columns:
            return out
        widths = self.cells["maximum"] - self.cells["minimum"]
        narrowest = self.cells.loc[widths.idxmin()] if widths.notna().any() else None
        out |= {
            "mindestbreite": 2 * self.threshold,
            "zellen_schmaler_als_mindestbreite": int((~self.cells["geschuetzt"]).sum()),
            "widersprueche": self.contradictions,
            "engster_bereich": None
            if narrowest is None
            else {
                "menge": narrowest["menge"],
                "gebiet_id": narrowest["gebiet_id"],
                "jahr": int(narrowest["jahr"]),
                "minimum": _number(narrowest["minimum"]),
                "maximum": _number(narrowest["maximum"]),
            },
        }
        return out


def audit_failures(result: AuditResult) -> list[str]:
    """One German line per kind of violation (empty when the audit passed)."""
    lines = []
    if fixed := int(result.cells["bestimmt"].sum()):
        lines.append(f"Geheimhaltung: {fixed} gesperrte Zellen lassen sich aus den "
                     "veröffentlichten Zahlen genau berechnen")  # fmt: skip
    if len(result.small):
        lines.append(f"Geheimhaltung: {len(result.small)} veröffentlichte Fallzahlen oder "
                     f"Differenzen verschachtelter Fallzahlen liegen zwischen 1 und "
                     f"{result.threshold - 1}")  # fmt: skip
    if result.contradictions:
        lines.append(f"Geheimhaltung: {result.contradictions} Zellen mit widersprüchlichen Zahlen")
    return lines


def _number(value: float) -> float | None:
    return round(float(value), 6) if np.isfinite(value) else None


def audit(
    system: LinkedCells,
    threshold: int,
    progress: Progress | None = None,
    *,
    bounds: bool = True,
) -> AuditResult:
    """Audit the cells of ``system`` whose value is missing (withheld by the package): which
    are fixed exactly (Gaussian elimination) and, with ``bounds``, their ranges (LP)."""
    known = system.present & ~np.isnan(system.values)
    targets = withheld(system, known)
    fixed = determined(system, known, targets)
    cells = system.cells.iloc[targets][["menge", "gebiet_id", "jahr"]].assign(
        bestimmt=[int(c) in fixed for c in targets]
    )
    contradictions = 0
    if bounds:
        found = with_differences(system, known, targets, progress)
        low = np.array([found[c][0] for c in targets])
        high = np.array([found[c][1] for c in targets])
        cells = cells.assign(minimum=low, maximum=high)
        cells["geschuetzt"] = [protected(a, b, threshold) for a, b in zip(low, high, strict=True)]
        cells["bestimmt"] |= high - low <= TOLERANCE
        contradictions = int(np.isnan(low).sum())
    small = system.cells.iloc[small_published(system, known, threshold)]
    return AuditResult(threshold, cells.reset_index(drop=True), small, contradictions)


PACKAGE_TABLES = ("gebiete", "indikatorkatalog", "indikatoren", "massnahmen",
                  "massnahmen_output", "massnahmen_kosten")  # fmt: skip
TEXT_COLUMNS = ("gebiet_id", "uebergeordnet_id", "massnahme_id", "indikator_id")
FLAG_COLUMNS = ("analyseeinheit", "aktiv")


def read_package(folder: Path) -> dict[str, pd.DataFrame]:
    """The tables the audit needs, from the CSV files of a package."""
    frames = {}
    for name in PACKAGE_TABLES:
        frame = pd.read_csv(folder / f"{name}.csv", dtype=dict.fromkeys(TEXT_COLUMNS, str))
        for column in FLAG_COLUMNS:
            if column in frame.columns:
                frame[column] = frame[column].astype(str).str.lower().eq("true")
        frames[name] = frame
    return frames


def audit_package(
    folder: Path, threshold: int, progress: Progress | None = None, *, bounds: bool = True
) -> AuditResult:
    """The audit of the package in ``folder``, from its CSV files alone."""
    return audit(linked_cells(read_package(folder)), threshold, progress, bounds=bounds)
