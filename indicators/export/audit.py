"""Linear-programming audit of the suppressed counts of a package.

An attacker knows every published count and every linear relation among them (``linked``):
area sums, nested counts, the same quantity in several tables, all counts ≥ 0. For every
cell the package withholds — a suppressed count, or the difference of two nested counts of
which one is suppressed — the audit bounds the cell over everything that fits the published
numbers by linear programming (HiGHS through highspy: one model per connected component of
unknown cells, re-solved with changing objectives from the last basis; see ``ranges``).
A cell is protected when its feasible range is at least ``2 × threshold`` wide (which lower
and upper protection of ``threshold`` each side imply too; a small count can have no lower
protection of the threshold), so no cell is fixed exactly. No published count and no
difference of two published nested counts may lie in ``1 … threshold − 1``.

The audit reads nothing but the package's tables, so it can check any package.
"""

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import highspy
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from indicators.export.linked import LinkedCells, linked_cells
from indicators.export.spec import TABLES

Progress = Callable[[int, int], None]
AUDIT_KEY = "geheimhaltungspruefung"
"""Key of the audit's summary in the contract report (pruefbericht.json)."""
SLACK = 1e-6
"""Two LP values closer than this are equal."""
CAP = 1e9
"""Upper bound of every cell in the LPs; no count comes near it, so a cell above half of
it is unbounded."""
POOL_ROUNDS = 3
POOL_PROGRESS = 0.8
"""The pooled LPs stop once a round leaves more than this share of the cells narrow."""


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


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    exact: bool
    """``low`` and ``high`` are the minimum and maximum; else feasible values of the cell
    at least ``need`` apart (the true range is at least as wide)."""

    @property
    def width(self) -> float:
        return self.high - self.low


CONTRADICTION = Range(np.nan, np.nan, True)


class Polytope:
    """``{x ≥ 0 : block @ x = rhs}`` as a HiGHS model re-solved for changing objectives.

    The cells are capped at ``CAP`` so that every LP has an optimum; a maximum at the cap is
    reported as unbounded."""

    def __init__(self, block: sparse.csr_matrix, rhs: np.ndarray) -> None:
        columns = block.tocsc()
        size = columns.shape[1]
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = size, columns.shape[0]
        lp.col_cost_ = np.zeros(size)
        lp.col_lower_, lp.col_upper_ = np.zeros(size), np.full(size, CAP)
        lp.row_lower_ = lp.row_upper_ = np.asarray(rhs, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = columns.indptr
        lp.a_matrix_.index_ = columns.indices
        lp.a_matrix_.value_ = columns.data.astype(float)
        self.highs = _silent_highs()
        self.highs.passModel(lp)
        self.cost = np.zeros(size)

    def solve(self, cost: np.ndarray) -> np.ndarray | None:
        """A solution minimising ``cost @ x``; None when the relations contradict."""
        changed = np.flatnonzero(cost != self.cost)
        self.highs.changeColsCost(len(changed), changed.astype(np.int32), cost[changed])
        self.cost = cost.copy()
        self.highs.run()
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return np.asarray(self.highs.getSolution().col_value)


def ranges(
    system: LinkedCells,
    known: np.ndarray,
    targets: Iterable[int],
    need: float = np.inf,
    progress: Progress | None = None,
    cache: dict | None = None,
) -> dict[int, Range]:
    """The feasible range of each target cell with the cells ``known`` published.

    Per connected component one HiGHS model is solved with changing objectives, each warm
    started from the last basis. Every solution is a feasible table, so the spread of a cell
    over the solutions seen so far is a range the cell certainly has: first the sum of the
    component's targets is minimised and maximised (and again over the cells still narrower
    than ``need``), then each cell still narrower gets its own min and max LP. With the
    default ``need`` every range is exact. ``cache`` keeps the ranges of each component (by
    its cells, right-hand side and targets) across calls."""
    targets = sorted(set(targets))
    cache = {} if cache is None else cache
    out: dict[int, Range] = {}
    for cells, block, rhs, local in Components.of(system, known).blocks(targets):
        key = (cells.tobytes(), np.round(rhs, 9).tobytes(), tuple(local), need)
        if key not in cache:
            cache[key] = _component_ranges(Polytope(block, rhs), np.array(local), need)
        out.update(zip((int(c) for c in cells[local]), cache[key], strict=True))
        if progress:
            progress(len(out), len(targets))
    return out


@cache
def _banner_swallowed() -> bool:
    """Create the process's first HiGHS instance with file descriptor 1 on /dev/null: its
    constructor prints a banner to the console once per process."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return True


def _silent_highs() -> highspy.Highs:
    _banner_swallowed()
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    return highs


def _component_ranges(polytope: Polytope, local: np.ndarray, need: float) -> list[Range]:
    low = np.full(len(local), np.inf)
    high = np.full(len(local), -np.inf)
    exact = np.zeros((len(local), 2), dtype=bool)
    size = len(polytope.cost)

    def run(cells: np.ndarray, sign: float) -> bool:
        cost = np.zeros(size)
        cost[local[cells]] = sign
        x = polytope.solve(cost)
        if x is None:
            return False
        np.minimum(low, x[local], out=low)
        np.maximum(high, x[local], out=high)
        return True

    def narrow() -> np.ndarray:
        return np.flatnonzero(high - low < need - SLACK)

    everything = np.arange(len(local))
    if not run(everything, 1.0):
        return [CONTRADICTION] * len(local)
    run(everything, -1.0)
    for _ in range(POOL_ROUNDS):
        before = narrow()
        if not len(before):
            break
        run(before, -1.0)
        run(before, 1.0)
        if len(narrow()) > len(before) * POOL_PROGRESS:
            break
    for cell in narrow():
        for side, sign in enumerate((1.0, -1.0)):
            if high[cell] - low[cell] < need - SLACK:
                exact[cell, side] = run(np.array([cell]), sign)
    high[high >= CAP / 2] = np.inf  # only an unbounded cell gets near the cap
    return [
        Range(float(a), float(b), bool(e.all())) for a, b, e in zip(low, high, exact, strict=True)
    ]


def withheld(system: LinkedCells, known: np.ndarray) -> np.ndarray:
    """The cells the audit checks: counts the package holds but does not publish, and
    differences of two nested counts it holds of which at least one is withheld."""
    present = system.present
    hidden = present & ~known
    part, whole, difference = system.pairs.T
    nested = present[part] & present[whole] & (hidden[part] | hidden[whole])
    cells = np.union1d(np.flatnonzero(hidden), difference[nested]).astype(int)
    return cells[~known[cells]]


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


@dataclass(frozen=True)
class AuditResult:
    threshold: int
    cells: pd.DataFrame
    """Per audited cell: ``menge``, ``gebiet_id``, ``jahr``, ``minimum``, ``maximum``,
    ``exakt`` (both are the LP's optimum; else two feasible values at least 2 × threshold
    apart), ``bestimmt`` (minimum = maximum) and ``geschuetzt`` (range at least
    2 × threshold wide)."""
    small: pd.DataFrame
    """Published counts or differences in 1 … threshold − 1."""
    contradictions: int
    """Relations the published numbers contradict: withheld cells whose LP has no
    solution, relations among published counts that do not add up, and counts shown twice
    with different values."""

    @property
    def width(self) -> int:
        return 2 * self.threshold

    @property
    def narrow(self) -> pd.DataFrame:
        """The cells with a range narrower than 2 × threshold, narrowest first."""
        cells = self.cells[~self.cells["geschuetzt"] & self.cells["minimum"].notna()]
        return cells.assign(breite=cells["maximum"] - cells["minimum"]).sort_values("breite")

    @property
    def success(self) -> bool:
        """No small published count or difference, every range at least 2 × threshold wide
        (so no cell fixed exactly), no contradiction."""
        return not (len(self.narrow) or len(self.small) or self.contradictions)

    def summary(self) -> dict:
        """The audit's figures for the contract report (JSON-ready, German keys)."""
        exact = self.cells[self.cells["exakt"] & self.cells["minimum"].notna()]
        widths = exact["maximum"] - exact["minimum"]
        narrowest = exact.loc[widths.idxmin()] if len(exact) else None
        return {
            "schwelle": self.threshold,
            "mindestbreite": self.width,
            "zellen_geprueft": len(self.cells),
            "zellen_bereich_exakt": len(exact),
            "zellen_genau_bestimmt": int(self.cells["bestimmt"].sum()),
            "zellen_schmaler_als_mindestbreite": len(self.narrow),
            "kleine_veroeffentlichte_werte": len(self.small),
            "widersprueche": self.contradictions,
            "zellen_verletzt": len(self.narrow) + len(self.small) + self.contradictions,
            "engster_bereich": None if narrowest is None else {
                "menge": narrowest["menge"],
                "gebiet_id": narrowest["gebiet_id"],
                "jahr": int(narrowest["jahr"]),
                "minimum": _number(narrowest["minimum"]),
                "maximum": _number(narrowest["maximum"]),
            },
            "bestanden": self.success,
        }  # fmt: skip


def audit_failures(result: AuditResult) -> list[str]:
    """One German line per kind of violation (empty when the audit passed)."""
    lines = []
    if fixed := int(result.cells["bestimmt"].sum()):
        lines.append(f"Geheimhaltung: {fixed} gesperrte Zellen lassen sich aus den "
                     "veröffentlichten Zahlen genau berechnen")  # fmt: skip
    if narrow := len(result.narrow) - fixed:
        lines.append(f"Geheimhaltung: {narrow} gesperrte Zellen lassen sich auf weniger als "
                     f"{result.width} mögliche Werte eingrenzen")  # fmt: skip
    if len(result.small):
        lines.append(f"Geheimhaltung: {len(result.small)} veröffentlichte Fallzahlen oder "
                     f"Differenzen verschachtelter Fallzahlen liegen zwischen 1 und "
                     f"{result.threshold - 1}")  # fmt: skip
    if result.contradictions:
        lines.append(f"Geheimhaltung: {result.contradictions} Summen oder mehrfach gezeigte "
                     "Fallzahlen passen nicht zusammen (widersprüchliche Zahlen)")  # fmt: skip
    return lines


def german_range(low: float | None, high: float | None) -> str:
    """``0 bis 12``, ``0 bis unbegrenzt`` (a bound None or infinite is unbounded)."""

    def bound(value: float | None) -> str:
        return "unbegrenzt" if value is None or not np.isfinite(value) else f"{value:g}"

    return f"{bound(low)} bis {bound(high)}"


def _number(value: float) -> float | None:
    return round(float(value), 6) if np.isfinite(value) else None


def audit(
    system: LinkedCells, threshold: int, progress: Progress | None = None, *, exact: bool = False
) -> AuditResult:
    """Audit the cells of ``system`` whose value is missing (withheld by the package): the
    range of each by LP, exact for every cell with ``exact``, else for the cells the pooled
    solutions do not already show to be at least 2 × threshold wide."""
    known = system.present & ~np.isnan(system.values)
    targets = withheld(system, known)
    need = np.inf if exact else 2 * threshold
    found = ranges(system, known, targets, need, progress)
    low = np.array([found[c].low for c in targets])
    high = np.array([found[c].high for c in targets])
    cells = system.cells.iloc[targets][["menge", "gebiet_id", "jahr"]].assign(
        minimum=low,
        maximum=high,
        exakt=[found[c].exact for c in targets],
        bestimmt=high - low <= SLACK,
        geschuetzt=high - low >= 2 * threshold - SLACK,
    )
    small = system.cells.iloc[small_published(system, known, threshold)]
    contradictions = int(np.isnan(low).sum()) + _violated(system, known) + len(system.conflicting)
    return AuditResult(threshold, cells.reset_index(drop=True), small, contradictions)


def _violated(system: LinkedCells, known: np.ndarray) -> int:
    """Relations among published counts only that do not hold."""
    relations = system.relations.tocsr()
    unknown_terms = abs(relations) @ (~known).astype(float)
    residual = relations @ np.where(known, system.values, 0.0)
    return int(np.sum((unknown_terms == 0) & (np.abs(residual) > SLACK)))


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
    folder: Path, threshold: int, progress: Progress | None = None, *, exact: bool = False
) -> AuditResult:
    """The audit of the package in ``folder``, from its CSV files alone."""
    frames = read_package(folder)
    system = linked_cells(frames)
    result = audit(system, threshold, progress, exact=exact)
    stray = _unmodelled_small(frames, system, threshold)
    return replace(result, small=pd.concat([result.small, stray], ignore_index=True))


def _unmodelled_small(
    frames: dict[str, pd.DataFrame], system: LinkedCells, threshold: int
) -> pd.DataFrame:
    """Counts in ``1 … threshold − 1`` that the linked model holds no cell for (a cost year
    without the city's reach row, a target band the register does not know)."""
    shown = {(o.table, o.row, o.column) for cell in system.occurrences for o in cell}
    rows = []
    for table in TABLES:
        frame = frames.get(table.name)
        for column in table.counts if frame is not None else ():
            values = pd.to_numeric(frame[column], errors="coerce")
            for row in np.flatnonzero(values.between(1, threshold - 1)):
                if (table.name, int(row), column) not in shown:
                    area = frame["gebiet_id"].iloc[row] if "gebiet_id" in frame else ""
                    rows.append({"menge": f"{table.name}.{column}", "gebiet_id": str(area),
                                 "jahr": int(frame["jahr"].iloc[row])})  # fmt: skip
    return pd.DataFrame(rows, columns=["menge", "gebiet_id", "jahr"])
