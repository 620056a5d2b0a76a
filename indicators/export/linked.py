"""Every count a package publishes as one cell of a linked system of linear relations.

A cell is (quantity, area, year). A quantity is what is counted, independent of the table
and indicator that shows it:

* a sum of canonical fields of one source (``schuleingang:untersuchte``), read from the
  catalogue's numerator and denominator definitions: children examined are one quantity,
  however many indicators divide by them; the target group of a measure is the atlas field
  of its age band;
* the participants of a measure and those among them from SGB II families, and the children
  of the target band in the quarters where the measure runs (cost table);
* a difference of nested quantities, e.g. overweight − obese or cohort − examined.

Nested pairs (part ⊂ whole, same source, area and year): a field set inside another, the
numerator of a share (unit "%") inside its denominator, the SGB II participants inside the
participants, and every pair these imply. Their difference is a count of people too; it is
the field-set quantity of the remaining fields where there is one (so the same count has one
cell however it is reached), else a cell of its own.

Relations (each a row of ``relations``, ``relations @ x = 0``): every parent area is the sum
of its child areas per quantity and year (missing children of a catalogue quantity are
unknown cells; a measure's areas without a row are inactive, i.e. 0), whole = part +
difference, and the cost table's children = the sum of the band over the active quarters.

Quantity names: ``source:field+field`` for field sets, ``M01 teilnehmende`` for a measure's
counts, ``whole − part`` for a difference that is no field set.

The model is built from the package's tables (``frames``), so it works on the raw tables
before suppression and on the CSV files of any package alike.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from indicators.effects.reach import TARGET_POPULATION
from indicators.export.spec import TABLES

ATLAS = "sozialstrukturatlas"
SHARE_UNIT = "%"
CONFLICT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Occurrence:
    table: str
    row: int
    """Position of the row in the table."""
    column: str


@dataclass(frozen=True)
class LinkedCells:
    cells: pd.DataFrame
    """One row per cell: ``menge`` (quantity), ``gebiet_id``, ``jahr``, ``wert`` (NaN where
    not known), ``vorhanden`` (a count column of the package holds it) and ``teil`` /
    ``ganzes`` (for a difference: the cell numbers of its part and whole, else -1)."""
    relations: sparse.csr_matrix
    """Linear relations ``relations @ x = 0`` over the cells."""
    occurrences: list[list[Occurrence]]
    """Per cell, where the package shows it."""
    pairs: np.ndarray
    """One row (part, whole, difference) of cell numbers per nested pair and area-year."""
    conflicting: np.ndarray
    """Cells shown with two different values."""

    @property
    def values(self) -> np.ndarray:
        return self.cells["wert"].to_numpy(dtype=float)

    @property
    def present(self) -> np.ndarray:
        return self.cells["vorhanden"].to_numpy(dtype=bool)


def field_quantity(source: str, definition: str) -> str:
    """``source:field+field`` for a definition like ``a + b`` (fields sorted)."""
    fields = sorted(f.strip() for f in definition.split("+"))
    return f"{source}:{'+'.join(fields)}"


def _fields(quantity: str) -> tuple[str, frozenset[str]] | None:
    if quantity.count(":") != 1 or " " in quantity:
        return None
    source, fields = quantity.split(":")
    return source, frozenset(fields.split("+"))


class _Builder:
    def __init__(self) -> None:
        self.index: dict[tuple[str, str, int], int] = {}
        self.rows: list[dict] = []
        self.occurrences: list[list[Occurrence]] = []
        self.relations: list[dict[int, float]] = []
        self.pairs: list[tuple[int, int, int]] = []
        self.conflicting: set[int] = set()

    def cell(self, quantity: str, area: str, year: int) -> int:
        key = (quantity, str(area), int(year))
        if key not in self.index:
            self.index[key] = len(self.rows)
            self.rows.append(
                {"menge": quantity, "gebiet_id": key[1], "jahr": key[2], "wert": np.nan,
                 "vorhanden": False}
            )  # fmt: skip
            self.occurrences.append([])
        return self.index[key]

    def show(self, cell: int, value: object, where: Occurrence) -> None:
        row = self.rows[cell]
        row["vorhanden"] = True
        if not pd.isna(value) and np.isnan(row["wert"]):
            row["wert"] = float(value)
        elif not pd.isna(value) and abs(row["wert"] - float(value)) > CONFLICT_TOLERANCE:
            self.conflicting.add(cell)
        self.occurrences[cell].append(where)

    def relation(self, terms: dict[int, float]) -> None:
        self.relations.append(terms)


def linked_cells(frames: Mapping[str, pd.DataFrame]) -> LinkedCells:
    """The linked system of the counts in ``frames`` (tables by name, as in the package)."""
    build = _Builder()
    areas = frames["gebiete"]
    children: dict[str, list[str]] = {}
    for area, parent in zip(areas["gebiet_id"], areas["uebergeordnet_id"], strict=True):
        if not pd.isna(parent):
            children.setdefault(str(parent), []).append(str(area))
    catalogue = frames["indikatorkatalog"]
    quantities = {}
    parts: set[tuple[str, str]] = set()
    for row in catalogue.itertuples(index=False):
        numerator = field_quantity(row.quelle, row.zaehler_definition)
        denominator = field_quantity(row.quelle, row.nenner_definition)
        quantities[row.indikator_id] = {"zaehler": numerator, "nenner": denominator}
        if row.einheit == SHARE_UNIT:
            parts.add((numerator, denominator))
    _show_indicators(build, frames["indikatoren"], quantities)
    band = _measure_bands(frames["massnahmen"])
    _show_measures(build, frames["massnahmen_output"], frames["massnahmen_kosten"], band, children)
    field_quantities = {q for q, _, _ in build.index if _fields(q)}
    _area_sums(build, children, field_quantities)
    for measure in band:
        parts.add((f"{measure} teilnehmende_sgb2", f"{measure} teilnehmende"))
    _differences(build, _closure(parts | _field_subsets(field_quantities)))
    return _finish(build)


def _show_indicators(build: _Builder, values: pd.DataFrame, quantities: dict) -> None:
    columns = ["gebiet_id", "jahr", "indikator_id", "zaehler", "nenner"]
    for row, (area, year, indicator, *counts) in enumerate(values[columns].itertuples(False)):
        for column, value in zip(("zaehler", "nenner"), counts, strict=True):
            cell = build.cell(quantities[indicator][column], area, year)
            build.show(cell, value, Occurrence("indikatoren", row, column))


def _measure_bands(register: pd.DataFrame) -> dict[str, str]:
    """The atlas quantity of each measure's target band."""
    return {
        m: f"{ATLAS}:{TARGET_POPULATION[band]}"
        for m, band in zip(register["massnahme_id"], register["zielgruppe_alter"], strict=True)
        if band in TARGET_POPULATION
    }


def _show_measures(
    build: _Builder,
    output: pd.DataFrame,
    costs: pd.DataFrame,
    band: dict[str, str],
    children: dict[str, list[str]],
) -> None:
    top: dict[int, str] = {}
    listed: dict[tuple[str, int], set[str]] = {}
    active: dict[tuple[str, int], list[str]] = {}
    for row, r in enumerate(output.itertuples(index=False)):
        measure, area, year = r.massnahme_id, str(r.gebiet_id), int(r.jahr)
        listed.setdefault((measure, year), set()).add(area)
        if r.ebene_rang == 0:
            top[year] = area
        if bool(r.analyseeinheit) and bool(r.aktiv):
            active.setdefault((measure, year), []).append(area)
        for column in ("teilnehmende", "teilnehmende_sgb2"):
            cell = build.cell(f"{measure} {column}", area, year)
            build.show(cell, getattr(r, column), Occurrence("massnahmen_output", row, column))
        if measure in band:
            cell = build.cell(band[measure], area, year)
            build.show(cell, r.zielgruppe, Occurrence("massnahmen_output", row, "zielgruppe"))
    for (measure, year), shown in listed.items():  # inactive areas have no row: 0
        for column in ("teilnehmende", "teilnehmende_sgb2"):
            for parent in shown:
                kids = [k for k in children.get(parent, []) if k in shown]
                if kids:
                    _sum(build, f"{measure} {column}", year, parent, kids)
    for row, r in enumerate(costs.itertuples(index=False)):
        measure, year = r.massnahme_id, int(r.jahr)
        if year not in top:
            continue
        cell = build.cell(f"{measure} teilnehmende", top[year], year)
        build.show(cell, r.teilnehmende, Occurrence("massnahmen_kosten", row, "teilnehmende"))
        if measure not in band:
            continue
        total = build.cell(f"{measure} kinder_zielgruppe", top[year], year)
        build.show(total, r.kinder_zielgruppe,
                   Occurrence("massnahmen_kosten", row, "kinder_zielgruppe"))  # fmt: skip
        quarters = active.get((measure, year), [])
        build.relation({total: 1.0} | {build.cell(band[measure], q, year): -1.0 for q in quarters})


def _sum(build: _Builder, quantity: str, year: int, parent: str, kids: list[str]) -> None:
    terms = {build.cell(quantity, parent, year): 1.0}
    terms |= {build.cell(quantity, kid, year): -1.0 for kid in kids}
    build.relation(terms)


def _area_sums(build: _Builder, children: dict[str, list[str]], quantities: set[str]) -> None:
    """parent = Σ children for every catalogue quantity, year and parent area with a cell."""
    for quantity, area, year in list(build.index):
        if quantity in quantities and children.get(area):
            _sum(build, quantity, year, area, children[area])


def _field_subsets(quantities: set[str]) -> set[tuple[str, str]]:
    """(part, whole) of every field set inside another of the same source."""
    split = {q: _fields(q) for q in quantities}
    return {
        (p, w)
        for p, (ps, pf) in split.items()
        for w, (ws, wf) in split.items()
        if ps == ws and pf < wf
    }


def _closure(pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Every (part, whole) the nested pairs imply: a part of a part is a part."""
    out = set(pairs)
    while True:
        more = {(p, w) for p, m in out for m2, w in out if m == m2} - out
        if not more:
            return out
        out |= more


def difference_quantity(part: str, whole: str) -> str:
    """The field set of the remaining fields, or ``whole − part``."""
    p, w = _fields(part), _fields(whole)
    if p and w and p[0] == w[0] and p[1] < w[1]:
        return f"{w[0]}:{'+'.join(sorted(w[1] - p[1]))}"
    return f"{whole} − {part}"


def _differences(build: _Builder, pairs: set[tuple[str, str]]) -> None:
    """A difference cell and whole = part + difference wherever both cells exist."""
    by_quantity: dict[str, list[tuple[str, int]]] = {}
    for quantity, area, year in build.index:
        by_quantity.setdefault(quantity, []).append((area, year))
    for part, whole in sorted(pairs):
        name = difference_quantity(part, whole)
        for area, year in by_quantity.get(part, []):
            w = build.index.get((whole, area, year))
            if w is None:
                continue
            p = build.index[(part, area, year)]
            d = build.cell(name, area, year)
            build.pairs.append((p, w, d))
            build.relation({w: 1.0, p: -1.0, d: -1.0})


def _finish(build: _Builder) -> LinkedCells:
    rows, cols, data = [], [], []
    for i, terms in enumerate(build.relations):
        for cell, coefficient in terms.items():
            rows.append(i)
            cols.append(cell)
            data.append(coefficient)
    shape = (len(build.relations), len(build.rows))
    matrix = sparse.csr_matrix((data, (rows, cols)), shape=shape)
    cells = pd.DataFrame(build.rows, columns=["menge", "gebiet_id", "jahr", "wert", "vorhanden"])
    pairs = np.array(build.pairs, dtype=int).reshape(-1, 3)
    conflicting = np.array(sorted(build.conflicting), dtype=int)
    return LinkedCells(cells, matrix, build.occurrences, pairs, conflicting)


def table_masks(
    frames: Mapping[str, pd.DataFrame], system: LinkedCells, hidden: np.ndarray
) -> dict[str, pd.DataFrame]:
    """Per table with counts: boolean frame (one column per count) of the suppressed cells."""
    masks = {
        name: pd.DataFrame(False, index=frames[name].index, columns=list(columns))
        for name, columns in ((t.name, t.counts) for t in TABLES if t.counts)
    }
    for cell in np.flatnonzero(hidden):
        for where in system.occurrences[cell]:
            mask = masks[where.table]
            mask.iloc[where.row, mask.columns.get_loc(where.column)] = True
    return masks
