"""Intake plus comparison marts of the state-level evaluation for 40 municipalities and the
stress case of 396 (every NRW municipality), against a plain DuckDB load of the same CSVs.

Packages: 18 real export packages from ``raw_data/generate_land.py`` (the city pipeline and
the export run on each synthetic municipality; kept under ``var/bench/land/`` between runs and
made again when the package format changed),
copied under new keys and names to N municipalities by ``_land_packages.py`` (copies, not
exports: see there). For each N the installed
command ``kekiz land import`` takes the N packages into an empty Land folder with its own
Dagster state: verification, storage, one partition run per municipality (two at once) and
the comparison marts with the Land report. Its wall time and peak memory (the summed RSS of
the command and its worker processes, sampled every 0.1 s) are compared in the same run with
a plain DuckDB ``read_csv`` + ``INSERT`` of every table CSV of the same packages into one
database file. The exponent b of time ≈ a·N^b is fitted over the sizes.
``KEKIZ_BENCH_LAND_SIZES=40`` runs one size.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from _land_packages import land_packages

from indicators.export.manifest import MANIFEST, PACKAGE_FORMAT
from raw_data.generate_land import generate_packages

KEKIZ = str(Path(sys.executable).parent / "kekiz")
BASE = Path(__file__).resolve().parents[1] / "var" / "bench" / "land"
BASE_COUNT = 18
SIZES = [int(n) for n in os.environ.get("KEKIZ_BENCH_LAND_SIZES", "40,132,396").split(",")]
TARGET_SECONDS = {40: 120, 396: 900}
TARGET_MIB = 2048
BASELINE = """
import sys
from pathlib import Path
import duckdb
con = duckdb.connect(sys.argv[1])
for package in sys.argv[2:]:
    for csv in sorted(Path(package).glob("*.csv")):
        name = csv.stem
        source = f"read_csv('{csv}', header = true, all_varchar = false)"
        exists = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]
        ).fetchall()[0][0]
        if exists:
            con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM {source}")
        else:
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM {source}")
con.close()
"""


def measured(command: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Wall seconds, peak summed RSS (MiB) of the process tree, exit status, output tail."""
    peak = 0
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        root = psutil.Process(process.pid)
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                try:
                    tree = [root, *root.children(recursive=True)]
                    peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
                except psutil.Error:
                    pass
                stop.wait(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        status = process.wait()
        seconds = time.perf_counter() - start
        stop.set()
        sampler.join()
        out.seek(0)
        tail = out.read()[-600:]
    return seconds, peak / 2**20, status, tail


def fitted_exponent(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of log(seconds) over log(N)."""
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(s) for _, s in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


def _format(package: Path) -> int | None:
    """The package format a kept package was exported in."""
    return json.loads((package / MANIFEST).read_text(encoding="utf-8")).get("paketformat")


def main() -> int:
    started = time.perf_counter()
    base = sorted(p for p in BASE.glob("*/") if (p / MANIFEST).exists())
    if len(base) < BASE_COUNT or any(_format(p) != PACKAGE_FORMAT for p in base):
        shutil.rmtree(BASE, ignore_errors=True)
        base = generate_packages(BASE, count=BASE_COUNT, workers=2)
    print(f"{len(base)} real packages ready in {time.perf_counter() - started:.0f} s", flush=True)
    failed = False
    points = []
    for n in SIZES:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            packages = land_packages(base, folder / "pakete", n)
            env = {
                **os.environ,
                "KEKIZ_LAND_DIR": str(folder / "land"),
                "KEKIZ_STATE_DIR": str(folder / "state"),
                "KEKIZ_LAND_WORKERS": "2",
            }
            seconds, peak, status, tail = measured(
                [KEKIZ, "land", "import", *map(str, packages)], env
            )
            plain, plain_peak, plain_status, plain_tail = measured(
                [sys.executable, "-c", BASELINE, str(folder / "plain.duckdb"), *map(str, packages)],
                env,
            )
            size = sum(f.stat().st_size for p in packages for f in p.glob("*.csv")) / 2**20
            print(
                f"{n} municipalities ({size:.0f} MiB of CSV): kekiz land import {seconds:.1f} s, "
                f"peak {peak:.0f} MiB, exit {status}; plain read_csv + INSERT {plain:.1f} s, "
                f"peak {plain_peak:.0f} MiB (exit {plain_status}); ratio {seconds / plain:.1f}",
                flush=True,
            )
            if status != 0 or plain_status != 0:
                print(tail if status else plain_tail)
                failed = True
            points.append((n, seconds))
            failed |= peak > TARGET_MIB or seconds > TARGET_SECONDS.get(n, math.inf)
    if len(points) > 1:
        print(f"fitted exponent b (time ≈ a·N^b): {fitted_exponent(points):.2f}")
    print("targets: 40 in < 120 s, 396 in < 900 s, peak < 2048 MiB, b ≤ 1")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
