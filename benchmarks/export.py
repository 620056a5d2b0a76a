"""Wall time and peak memory of `kekiz export` on the sample warehouse.

The warehouse is built once in a temporary folder; each repetition runs the installed
command (imports, reading and suppressing the tables, files, Great Expectations contract,
report, manifest) into a fresh export folder. It also reports how many counts disclosure
control hides per table, primary (1 … threshold − 1) and in all.
"""

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from _sample_warehouse import build_warehouse

from indicators.export.disclosure import DEFAULT_THRESHOLD, primary
from indicators.export.spec import TABLES_BY_NAME
from indicators.export.tables import read_tables

REPETITIONS = 3
KEKIZ = str(Path(sys.executable).parent / "kekiz")


def suppression_counts(published: Path) -> None:
    with duckdb.connect(str(published), read_only=True) as con:
        tables = read_tables(con, DEFAULT_THRESHOLD)
        for name, hidden in tables.suppressed.items():
            counts = TABLES_BY_NAME[name].counts
            raw = con.sql(f"SELECT {', '.join(counts)} FROM {TABLES_BY_NAME[name].view}").df()
            first = sum(int(primary(raw[c], DEFAULT_THRESHOLD).sum()) for c in counts)
            print(
                f"{name}: {len(hidden)} rows, counts hidden {int(hidden[list(counts)].sum().sum())}"
                f" (primary {first}), cells hidden {int(hidden.to_numpy().sum())}"
            )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = build_warehouse(Path(tmp))
        suppression_counts(settings.published)
        env = {**os.environ, "KEKIZ_PUBLISHED": str(settings.published)}
        times = []
        for run in range(REPETITIONS):
            exports = Path(tmp) / f"exports-{run}"
            start = time.perf_counter()
            subprocess.run(
                [KEKIZ, "export", "--export-dir", str(exports)],
                env=env,
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - start)
            size = sum(f.stat().st_size for f in exports.rglob("*") if f.is_file())
            print(f"run {run + 1}: {times[-1]:.1f} s, package {size / 2**20:.1f} MiB", flush=True)
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"kekiz export on the sample: median {statistics.median(times):.1f} s (min "
        f"{min(times):.1f}, max {max(times):.1f}) over {REPETITIONS} runs; peak RSS "
        f"{peak_mib:.0f} MiB; {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
