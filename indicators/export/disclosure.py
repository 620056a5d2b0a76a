"""Statistical disclosure control for exported tables: primary and secondary cell suppression.

A count (numerator, denominator, participants) between 1 and ``threshold - 1`` is suppressed
(primary). The areas form a tree (Sozialquartier → Sozialraum → Stadtbezirk → Stadt) and every
parent count is the sum of its children, so per group (e.g. indicator and year) and count field
each parent gives one equation ``parent = Σ children``. A suppressed cell could be recovered
from an equation with exactly one unknown, or narrowed down to a small count when the hidden
cells of an equation add up to less than the threshold. Secondary suppression therefore hides
further cells until every equation has no unknown, or at least two unknowns whose hidden sum
(when the parent is known) is 0 or at least the threshold. Missing values (NULL) count as
unknown: they are never published either.

The pooling statistics of the effect estimates hold no counts but are linear in the quarter
values of their outcome, suppressed ones included: ``withheld_links`` says which measure ×
outcome may not export them.
"""

from collections.abc import Iterable, Mapping

import pandas as pd

from indicators.effects.estimation import LINK, POOLABLE_WEIGHTING
from indicators.export.spec import is_finest
from indicators.export.threshold import DEFAULT_THRESHOLD

WITHHELD_COLUMNS = [*LINK, "grund"]


def primary(values: pd.Series, threshold: int) -> pd.Series:
    """True where a count lies between 1 and ``threshold - 1``."""
    return values.between(1, threshold - 1).fillna(False).astype(bool)


def suppress_counts(
    frame: pd.DataFrame,
    counts: Iterable[str],
    *,
    area: str,
    group_by: list[str],
    parent_of: Mapping[str, str],
    threshold: int = DEFAULT_THRESHOLD,
    hidden_sum: tuple[int, int] | None = None,
) -> pd.DataFrame:
    """Boolean frame (same index, one column per count) of the cells to suppress.

    ``parent_of`` maps each area to its parent area. The frame holds at most one row per
    group and area. ``hidden_sum`` is the range a hidden sum must not lie in, by default
    ``1 … threshold − 1``.
    """
    low, high = hidden_sum or (1, threshold - 1)
    hidden = pd.DataFrame({c: primary(frame[c], threshold) for c in counts}, index=frame.index)
    for column in hidden.columns:
        mask = hidden[column].copy()
        for _, rows in frame.groupby(group_by, sort=True, dropna=False):
            _secondary(rows[area], rows[column], mask, parent_of, (low, high))
        hidden[column] = mask
    return hidden


def _secondary(
    areas: pd.Series,
    values: pd.Series,
    hidden: pd.Series,
    parent_of: Mapping[str, str],
    forbidden: tuple[int, int],
) -> None:
    """Hide further cells of one group in ``hidden`` (updated in place)."""
    index_of = dict(zip(areas, areas.index, strict=True))
    children: dict[str, list[str]] = {}
    for child in sorted(index_of):
        parent = parent_of.get(child)
        if parent in index_of:
            children.setdefault(parent, []).append(child)

    def unknown(a: str) -> bool:
        return bool(hidden[index_of[a]]) or pd.isna(values[index_of[a]])

    changed = True
    while changed:
        changed = False
        for parent, kids in sorted(children.items()):
            members = [parent, *kids]
            open_cells = [a for a in members if unknown(a)]
            if not open_cells:
                continue
            known_kids = [a for a in kids if not unknown(a)]
            if len(open_cells) >= 2 and not _small_hidden_sum(
                parent, known_kids, open_cells, values, index_of, forbidden, unknown
            ):
                continue
            target = _cheapest(known_kids, values, index_of) if known_kids else parent
            if unknown(target):  # parent and all children unknown: nothing left to hide
                continue
            hidden[index_of[target]] = True
            changed = True


def _small_hidden_sum(parent, known_kids, open_cells, values, index_of, forbidden, unknown):
    """True when the parent is known and its hidden children add up to a sum in
    ``forbidden`` (low, high)."""
    if unknown(parent) or any(pd.isna(values[index_of[a]]) for a in open_cells):
        return False
    rest = values[index_of[parent]] - sum(values[index_of[a]] for a in known_kids)
    return forbidden[0] <= rest <= forbidden[1]


def _cheapest(candidates: list[str], values: pd.Series, index_of: dict[str, object]) -> str:
    """The published sibling that costs least to hide: the smallest non-zero count first
    (hiding a zero adds nothing to the hidden sum), ties by area id."""

    def cost(a: str) -> tuple[bool, float, str]:
        value = values[index_of[a]]
        return (value == 0, value, a)

    return min(candidates, key=cost)


def withheld_links(
    totals: pd.DataFrame, effects: pd.DataFrame, values: pd.DataFrame, hidden: pd.DataFrame
) -> pd.DataFrame:
    """The measure × outcome links whose pooling statistics are left out, with the reason.

    ``totals`` are the rows of ``wirkung_summen``, ``effects`` those of ``massnahmen_wirkung``,
    ``values`` those of ``indikatoren`` and ``hidden`` its boolean frame of suppressed cells.

    Why: the estimate, every area's score ψ_g = Σ V_i·e_i and every leave-one-area-out
    estimate are linear in the quarter values y of the outcome, each a fixed combination
    c·y whose coefficients depend only on which quarter-years are treated (public through
    the measure register) and on the weights. A suppressed quarter value enters them like
    any other: with the published values subtracted, every exported number is one linear
    equation in the few suppressed values, and the 2·G + 1 numbers per estimate solve for
    them.
    So a link's statistics are exported only if

    * its weighting is 'gebiete' (every quarter-year weighs 1): with the weighting by
      children the weights are the quarters' denominators, counts of people that are
      themselves suppressed in places, and the weight total is a sum of them; and
    * no value of its outcome on the finest level is suppressed in the package: then the
      statistics are functions of published values only and reveal nothing new.
    """
    links = totals[LINK].drop_duplicates()
    weighting = links.merge(effects[[*LINK, "gewichtung"]], on=LINK, how="left")["gewichtung"]
    finest = values.loc[is_finest(values) & hidden.any(axis=1), "indikator_id"]
    suppressed = finest.value_counts()
    rows = []
    for (measure, outcome), weights in zip(links.itertuples(index=False), weighting, strict=True):
        reasons = []
        if weights != POOLABLE_WEIGHTING:
            reasons.append(
                f"Gewichtung „{weights}“ statt „{POOLABLE_WEIGHTING}“: die Gewichte wären "
                "Kinderzahlen (Nenner der Quartiere)"
            )
        if suppressed.get(outcome, 0):
            reasons.append(
                f"{suppressed[outcome]} gesperrte Werte des Wirkindikators auf der feinsten "
                "Ebene, die sich aus den Statistiken und den veröffentlichten Werten "
                "zurückrechnen ließen"
            )
        if reasons:
            rows.append([measure, outcome, "; ".join(reasons)])
    return pd.DataFrame(rows, columns=WITHHELD_COLUMNS)
