"""One suppression decision per published quantity, on the linked system of all counts.

The cells and relations are those of ``linked``: a count shown in several tables or as the
numerator of one indicator and the denominator of another is one cell and is suppressed
everywhere or nowhere.

1. Primary: every count in ``1 … threshold − 1``; for every nested pair whose difference lies
   there while both counts are published, the one of the two that is shown less often (the
   smaller on ties).
2. Structural secondary suppression per quantity and year on the area hierarchy
   (``disclosure.suppress_counts``): no sum equation with a single unknown, and the hidden
   cells of a sum add up to 0 or at least 2 × threshold. This settles most cases cheaply.
3. Secondary suppression on the whole linked system, driven by the attacker's linear
   programs: the min and max of every withheld cell over all tables that fit the published
   numbers (``audit.ranges``) – the attacker subproblems of Fischetti and Salazar-González,
   "Models and algorithms for optimizing cell suppression in tabular data with linear
   constraints" (JASA 95, 2000) – with the audit's protection requirement: a range at least
   2 × threshold wide. Each round suppresses, for every cell still narrower (narrowest first),
   the nearest published count through the relations – preferably one that would not be the
   only unknown of another relation (which would fix it), then one of at least
   2 × threshold, then one of the finest area level, then the one shown least often, then
   the smallest – unless a count suppressed in the same round already shares a relation with
   the cell. A count of the whole municipality (what evaluators compare across
   municipalities) is taken only when the search through the relations finds nothing else.
   Unlike their branch-and-cut, the repair is greedy: it meets the requirement but does not
   minimise the number of suppressed cells.

Suppression only grows, so the loop ends. Its result is what the export contract's audit
checks: no small published count or nested difference, every withheld range at least
2 × threshold wide.
"""

from collections.abc import Callable

import numpy as np
import pandas as pd

from indicators.export.audit import SLACK, ranges, small_published, withheld
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
    graph = _Graph(system)
    depth = _depth(system, parent_of)
    cache: dict = {}
    for round_ in range(1, len(values) + 1):
        known = present & ~hidden & ~np.isnan(values)
        targets = withheld(system, known)
        found = ranges(system, known, targets, 2 * threshold, cache=cache)
        narrow = sorted((r.width, c) for c, r in found.items() if r.width < 2 * threshold - SLACK)
        progress(f"Sekundäre Sperrung, Runde {round_}: {len(targets)} gesperrte Zellen, "
                 f"{len(narrow)} mit zu engem Wertebereich")  # fmt: skip
        served: set[int] = set()
        for _, cell in narrow:
            if cell in served:
                continue
            candidate = graph.nearest_published(cell, known, values, uses, threshold, depth)
            if candidate is not None:
                hidden[candidate], known[candidate] = True, False
                served |= graph.neighbours(candidate)
        if not served:
            break
        _hide_small_differences(system, hidden, uses, threshold)
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
        threshold=threshold, hidden_sum=(0, 2 * threshold - 1),
    )["wert"].to_numpy(dtype=bool)  # fmt: skip
    out = np.zeros(len(cells), dtype=bool)
    out[np.flatnonzero(base)] = more & system.present[base]
    return out


def _created(system: LinkedCells) -> np.ndarray:
    """Cells of a counted quantity no table shows (a missing child area): unknown."""
    derived = np.zeros(len(system.cells), dtype=bool)
    derived[system.pairs[:, 2]] = True
    return ~system.present & ~derived


def _depth(system: LinkedCells, parent_of: dict[str, str]) -> np.ndarray:
    """Per cell, how many levels its area lies below the top of the hierarchy."""

    def depth(area: str) -> int:
        steps = 0
        while not pd.isna(parent_of.get(area)) and steps <= len(parent_of):
            area, steps = parent_of[area], steps + 1
        return steps

    areas = {a: depth(a) for a in system.cells["gebiet_id"].unique()}
    return system.cells["gebiet_id"].map(areas).to_numpy()


class _Graph:
    """The relations as adjacency lists: the cells of each row, the rows of each cell."""

    def __init__(self, system: LinkedCells) -> None:
        rows, columns = system.relations.tocsr(), system.relations.tocsc()
        self.cells_of = [a.tolist() for a in np.split(rows.indices, rows.indptr[1:-1])]
        self.rows_of = [a.tolist() for a in np.split(columns.indices, columns.indptr[1:-1])]

    def neighbours(self, cell: int) -> set[int]:
        """The cells sharing a relation with ``cell``."""
        return {other for row in self.rows_of[cell] for other in self.cells_of[row]}

    def nearest_published(
        self,
        cell: int,
        published: np.ndarray,
        values: np.ndarray,
        uses: np.ndarray,
        threshold: int,
        depth: np.ndarray,
    ) -> int | None:
        """The published count nearest to ``cell`` through the relations (breadth first over
        unknown cells) that is cheapest to suppress: one that would not be pinned, of at
        least 2 × threshold, of a finer area, shown less often, smaller. A count of the top
        area (the whole municipality, which evaluators compare) is taken only when the
        search finds nothing else."""
        seen, frontier, top = {cell}, [cell], []
        while frontier:
            found, following = [], []
            for current in frontier:
                for other in self.neighbours(current) - seen:
                    seen.add(other)
                    if not published[other]:
                        following.append(other)
                    else:
                        (found if depth[other] > 0 else top).append(other)
            if found:
                return min(found, key=lambda c: (
                    self.pinned(c, published), values[c] < 2 * threshold, -depth[c], uses[c],
                    values[c], c,
                ))  # fmt: skip
            frontier = following
        return min(top, key=lambda c: (values[c] < 2 * threshold, uses[c], c), default=None)

    def pinned(self, cell: int, published: np.ndarray) -> bool:
        """Whether ``cell``, once suppressed, would be the only unknown of a relation (and so
        fixed by it: suppressing it alone widens nothing)."""
        return any(
            all(published[other] for other in self.cells_of[row] if other != cell)
            for row in self.rows_of[cell]
        )
