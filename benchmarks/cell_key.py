"""Time and noise of the Cell Key Method on the sample warehouse.

The warehouse is built once in a temporary folder. Then: the time to build the ptable, and
the time of ``read_tables`` with suppression and with the Cell Key Method (median of
``--repetitions`` runs each, same process, so imports are not counted), and per table and
count column of the perturbed tables: cells, cells changed, mean and largest absolute
deviation, true counts 1 … js and how many of them are published as 0.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
from _sample_warehouse import build_warehouse

from indicators.export.cell_key import CellKeyMethod, build_ptable
from indicators.export.spec import TABLES_BY_NAME
from indicators.export.tables import read_tables
from indicators.export.threshold import DEFAULT_THRESHOLD

TABLES = ("indikatoren", "massnahmen_output", "massnahmen_kosten")
SECRET = b"benchmark"


def timed(action, repetitions: int) -> tuple[float, object]:
    seconds, result = [], None
    for _ in range(repetitions):
        start = time.perf_counter()
        result = action()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    method = CellKeyMethod.for_threshold(SECRET, DEFAULT_THRESHOLD)
    js = method.params.js
    ptable_s, _ = timed(lambda: build_ptable(method.params), args.repetitions)
    print(f"ptable D={method.params.D} V={method.params.V:g} js={js}: {ptable_s * 1000:.0f} ms")
    with tempfile.TemporaryDirectory() as folder:
        settings = build_warehouse(Path(folder))
        with duckdb.connect(str(settings.published), read_only=True) as con:
            plain_s, _ = timed(lambda: read_tables(con, DEFAULT_THRESHOLD), args.repetitions)
            ckm_s, tables = timed(
                lambda: read_tables(con, DEFAULT_THRESHOLD, method), args.repetitions
            )
            print(
                f"read_tables: suppression {plain_s:.2f} s, Cell Key Method {ckm_s:.2f} s "
                f"(median of {args.repetitions})"
            )
            print(f"{'table.column':40} {'cells':>6} {'changed':>8} {'mean|d|':>8} "
                  f"{'max|d|':>6} {'1..js':>6} {'→0':>5}")  # fmt: skip
            for name in TABLES:
                counts = TABLES_BY_NAME[name].counts
                true = con.sql(
                    f"SELECT {', '.join(counts)} FROM {TABLES_BY_NAME[name].view} "
                    f"ORDER BY {', '.join(TABLES_BY_NAME[name].sort_key)}"
                ).df()
                shown = tables.frames[name]
                for column in counts:
                    t, p = true[column].astype("Int64"), shown[column].reset_index(drop=True)
                    known = t.notna()
                    d = (p - t)[known].abs()
                    small = t.between(1, js).fillna(False)
                    print(
                        f"{name + '.' + column:40} {int(known.sum()):6} {int((d > 0).sum()):8} "
                        f"{d.mean():8.2f} {int(d.max()):6} {int(small.sum()):6} "
                        f"{int((p[small] == 0).sum()):5}"
                    )


if __name__ == "__main__":
    main()
