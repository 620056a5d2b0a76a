"""Disclosure control on the sample warehouse: information loss and the time of the audit.

Per table with counts: the cells (counts and the values computed from them) that the former
method suppresses (per table, indicator and year on the area tree, ``suppress_counts``) and
that the linked method suppresses (one decision per quantity, nested differences, secondary
suppression on the whole linked system). Then the time of the linked suppression and of the
audit of the package tables: exact determination (part of the export contract) and the LP
ranges of every withheld cell (``kekiz audit``), with the narrowest range.
"""

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
from _sample_warehouse import build_warehouse

from indicators.export.audit import audit
from indicators.export.disclosure import suppress_counts
from indicators.export.linked import linked_cells, table_masks
from indicators.export.spec import TABLES, TABLES_BY_NAME
from indicators.export.suppression import suppress_linked
from indicators.export.tables import _mart_views, _read


def old_counts(raw: dict, parent_of: dict, threshold: int) -> dict[str, int]:
    """Counts suppressed by the per-table method (cost table not included: it hid its two
    counts with the reach table's)."""
    out = {}
    for name, group in (("indikatoren", "indikator_id"), ("massnahmen_output", "massnahme_id")):
        counts = TABLES_BY_NAME[name].counts
        mask = suppress_counts(raw[name], counts, area="gebiet_id", group_by=[group, "jahr"],
                               parent_of=parent_of, threshold=threshold)  # fmt: skip
        out[name] = int(mask.to_numpy().sum())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threshold", type=int, default=5)
    parser.add_argument("--warehouse", type=Path, help="a published warehouse (default: build)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        published = args.warehouse or build_warehouse(Path(tmp)).published
        with duckdb.connect(str(published), read_only=True) as con:
            views = _mart_views(con)
            raw = {t.name: _read(con, t, views) for t in TABLES}
    areas = raw["gebiete"]
    parent_of = dict(zip(areas["gebiet_id"], areas["uebergeordnet_id"], strict=True))
    before = old_counts(raw, parent_of, args.threshold)
    start = time.perf_counter()
    system = linked_cells(raw)
    hidden = suppress_linked(system, parent_of, args.threshold)
    suppress_seconds = time.perf_counter() - start
    masks = table_masks(raw, system, hidden)
    print(f"{'table':<20}{'counts':>10}{'old':>10}{'linked':>10}")
    for name, mask in masks.items():
        old = before.get(name)
        shown = "–" if old is None else str(old)
        print(f"{name:<20}{mask.size:>10}{shown:>10}{int(mask.to_numpy().sum()):>10}")
    published = {
        name: frame.assign(**{c: frame[c].where(~masks[name][c]) for c in masks[name].columns})
        if name in masks else frame
        for name, frame in raw.items()
    }  # fmt: skip
    package = linked_cells(published)
    for label, bounds in (("exact determination (contract)", False), ("LP ranges", True)):
        start = time.perf_counter()
        result = audit(package, args.threshold, bounds=bounds)
        print(f"audit, {label}: {time.perf_counter() - start:.1f} s, "
              f"{len(result.cells)} cells, passed {result.success}")  # fmt: skip
    summary = result.summary()
    narrow, narrowest = summary["zellen_schmaler_als_mindestbreite"], summary["engster_bereich"]
    print(f"linked suppression: {suppress_seconds:.1f} s; cells narrower than "
          f"{summary['mindestbreite']}: {narrow}; narrowest: {narrowest}")  # fmt: skip
    print(f"suppressed cells of the linked system: {int(np.sum(hidden))} of {len(hidden)}")


if __name__ == "__main__":
    main()
