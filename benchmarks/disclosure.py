"""Disclosure control on the sample warehouse: information loss and the time of the audit.

Per table with counts: the counts that the former method suppresses (per table, indicator
and year on the area tree, ``suppress_counts``) and that the linked method suppresses (one
decision per quantity, nested differences, secondary suppression on the whole linked system
until every withheld range is at least 2 × threshold wide). Then the time of the linked
suppression and of the LP audit of the package tables, as in the export contract (exact
ranges where the pooled solutions do not already show 2 × threshold) and with every range
exact (``kekiz audit --genau``); the former method's package audited alike. Target: the
audit of the sample package in under 60 s.
"""

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from _sample_warehouse import build_warehouse

from indicators.export.audit import audit
from indicators.export.disclosure import suppress_counts
from indicators.export.linked import linked_cells, table_masks
from indicators.export.spec import TABLES, TABLES_BY_NAME
from indicators.export.suppression import suppress_linked
from indicators.export.tables import _mart_views, _read


def former_masks(raw: dict, parent_of: dict, threshold: int) -> dict[str, pd.DataFrame]:
    """Counts suppressed by the per-table method (cost table not included: it hid its two
    counts with the reach table's)."""
    return {
        name: suppress_counts(
            raw[name],
            list(TABLES_BY_NAME[name].counts),
            area="gebiet_id",
            group_by=[group, "jahr"],
            parent_of=parent_of,
            threshold=threshold,
        )
        for name, group in (("indikatoren", "indikator_id"), ("massnahmen_output", "massnahme_id"))
    }


def hide(raw: dict, masks: dict[str, pd.DataFrame]) -> dict:
    """The tables with the cells of ``masks`` left empty."""
    return {
        name: frame.assign(**{c: frame[c].where(~masks[name][c]) for c in masks[name].columns})
        if name in masks else frame
        for name, frame in raw.items()
    }  # fmt: skip


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
    former = former_masks(raw, parent_of, args.threshold)
    start = time.perf_counter()
    system = linked_cells(raw)
    hidden = suppress_linked(system, parent_of, args.threshold)
    suppress_seconds = time.perf_counter() - start
    masks = table_masks(raw, system, hidden)
    print(f"{'table':<20}{'counts':>10}{'old':>10}{'linked':>10}")
    for name, mask in masks.items():
        shown = str(int(former[name].to_numpy().sum())) if name in former else "–"
        print(f"{name:<20}{mask.size:>10}{shown:>10}{int(mask.to_numpy().sum()):>10}")
    for label, frames in (("linked", hide(raw, masks)), ("former", hide(raw, former))):
        package = linked_cells(frames)
        for exact in (False, True):
            start = time.perf_counter()
            result = audit(package, args.threshold, exact=exact)
            summary = result.summary()
            print(f"audit of the {label} package{', every range exact' if exact else ''}: "
                  f"{time.perf_counter() - start:.1f} s, {summary['zellen_geprueft']} cells, "
                  f"{summary['zellen_bereich_exakt']} ranges exact, narrower than "
                  f"{summary['mindestbreite']}: {summary['zellen_schmaler_als_mindestbreite']}, "
                  f"small published: {summary['kleine_veroeffentlichte_werte']}, narrowest "
                  f"exact: {summary['engster_bereich']}, passed {result.success}")  # fmt: skip
    print(f"linked suppression: {suppress_seconds:.1f} s; suppressed cells of the linked "
          f"system: {int(np.sum(hidden))} of {len(hidden)}")  # fmt: skip


if __name__ == "__main__":
    main()
