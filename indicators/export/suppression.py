"""One suppression decision per published quantity, on the linked system of all counts.

The cells and relations are those of ``linked``: a count shown in several tables or as the
numerator of one indicator and the denominator of another is one cell and is suppressed
everywhere or nowhere.

1. Primary: every count in ``1 … threshold − 1``; for every nested pair whose difference lies
   there while both counts are published, the one of the two that is shown less often (the
   smaller on ties).
2. Structural secondary suppression per quantity and year on the area hierarchy
   (``disclosure.suppress_counts``: no sum equation with a single unknown or a small hidden
   sum), which settles most cases cheaply.
3. Secondary suppression on the whole linked system by Gaussian elimination, the idea of
   Statistics Norway's R package GaussSuppression (Langsrud, "Secondary cell suppression by
   Gaussian elimination", 2024): a withheld cell is disclosed when the published equations fix
   it, i.e. when the null space of its connected component's relations is zero in its
   coordinate (``audit.determined``; cells that non-negativity forces to 0, found by one LP
   per component, enter as equations, so a part as large as its whole is caught too). For each
   such cell the nearest published count through the relations is suppressed — the one shown
   least often, preferably at least 2 × threshold, else the largest — and the changed
   components are checked again until no withheld cell is fixed. Unlike GaussSuppression, the
   candidates are not ordered once for the whole table but chosen per disclosed cell.

Suppression only grows, so the loop ends. It guarantees no exact recovery and no small
published count or nested difference; it does not guarantee a range of 2 × threshold for every
withheld cell (``kekiz audit`` reports how many are narrower).
"""

from collections.abc import Callable

import numpy as np
import pandas as pd

from indicators.export.audit import determined, small_published, withheld
from indicators.export.disclosure import suppress_counts
from indicators.export.linked import LinkedCells

Progress = Callable[[str], None]


def suppress_linked(
    system: LinkedCells,
    parent_of: dict[str, str],
    threshold: int,
    progress: Progress = lambda line: None,
) -> np.ndarray:
    """Boolean array over the cells of ``system``: True where suppressed."""
    values, present = system.values, system.present
    hidden = present & (values >= 1) & (values <= threshold - 1)
    uses = np.array([len(o) for o in system.occurrences])
    _hide_small_differences(system, hidden, uses, threshold)
    hidden |= _structural(system, hidden, parent_of, threshold)
    _hide_small_differences(system, hidden, uses, threshold)
    fixed: dict[tuple, np.ndarray] = {}
    exact: dict[tuple, np.ndarray] = {}
    cells_of_row = system.relations.tocsr()
    rows_of_cell = system.relations.tocsc()
    for round_ in range(1, len(values) + 1):
        known = present & ~hidden & ~np.isnan(values)
        targets = withheld(system, known)
        failing = sorted(determined(system, known, targets, fixed, inequalities=False))
        if not failing:
            failing = sorted(determined(system, known, targets, exact))
        progress(f"Runde {round_}: {len(targets)} Zellen geprüft, {len(failing)} genau bestimmt")
        if not failing:
            break
        added = False
        for cell in failing:
            candidate = _boundary_candidate(cell, known & ~hidden, cells_of_row, rows_of_cell,
                                            values, uses, threshold)  # fmt: skip
            if candidate is not None and not hidden[candidate]:
                hidden[candidate] = True
                known[candidate] = False
                added = True
        _hide_small_differences(system, hidden, uses, threshold)
        if not added:
            break
    return hidden


def _hide_small_differences(
    system: LinkedCells, hidden: np.ndarray, uses: np.ndarray, threshold: int
) -> None:
    """Suppress one count of each published nested pair with a difference in 1 … t − 1."""
    values = system.values
    while True:
        known = system.present & ~hidden & ~np.isnan(values)
        small = set(small_published(system, known, threshold).tolist())
        part, whole, difference = system.pairs.T
        pairs = [
            (p, w)
            for p, w, d in zip(part, whole, difference, strict=True)
            if d in small and known[p] and known[w]
        ]
        if not pairs:
            return
        for p, w in pairs:
            if known[p] and known[w] and not (hidden[p] or hidden[w]):
                hidden[min((p, w), key=lambda c: (uses[c], values[c], c))] = True


def _structural(
    system: LinkedCells, hidden: np.ndarray, parent_of: dict[str, str], threshold: int
) -> np.ndarray:
    """The hierarchy step of ``disclosure.suppress_counts`` per quantity and year, starting
    from the cells already hidden."""
    cells = system.cells
    base = system.present | _created(system)
    frame = cells.loc[base, ["menge", "gebiet_id", "jahr"]].copy()
    # a cell already hidden enters as 1, i.e. primary; only published values are summed
    frame["wert"] = pd.array(np.where(hidden[base], 1, system.values[base]), dtype="Float64")
    more = suppress_counts(
        frame, ["wert"], area="gebiet_id", group_by=["menge", "jahr"], parent_of=parent_of,
        threshold=threshold, hidden_sum=(0, threshold - 1),
    )["wert"].to_numpy(dtype=bool)  # fmt: skip
    out = np.zeros(len(cells), dtype=bool)
    out[np.flatnonzero(base)] = more & system.present[base]
    return out


def _created(system: LinkedCells) -> np.ndarray:
    """Cells of a counted quantity no table shows (a missing child area): unknown."""
    derived = np.zeros(len(system.cells), dtype=bool)
    derived[system.pairs[:, 2]] = True
    return ~system.present & ~derived


def _boundary_candidate(
    cell: int,
    published: np.ndarray,
    cells_of_row,
    rows_of_cell,
    values: np.ndarray,
    uses: np.ndarray,
    threshold: int,
) -> int | None:
    """The published count nearest to ``cell`` through the relations (breadth first over
    unknown cells) that is cheapest to suppress."""
    seen, frontier = {cell}, [cell]
    while frontier:
        found, following = set(), []
        for current in frontier:
            for row in rows_of_cell[:, current].indices:
                for other in cells_of_row[row].indices:
                    if other in seen:
                        continue
                    seen.add(other)
                    if published[other]:
                        found.add(int(other))
                    else:
                        following.append(int(other))
        if found:
            return min(found, key=lambda c: (values[c] < 2 * threshold, uses[c], values[c], c))
        frontier = following
    return None
