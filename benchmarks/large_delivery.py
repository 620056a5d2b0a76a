"""Wall time and peak memory of checking and loading a large delivery.

Targets: a 20 MB delivery is checked (`kekiz validate`) in under a minute and a 200 MB
delivery in under 2 GB of memory. The deliveries are childcare counts
(`kindertagesbetreuung`, seven columns, about 31 bytes a row, so 20 MB are about 650,000 rows)
for as many Sozialquartiere as needed, 26 years each, every row valid; the areas reference is
generated to match. Each size is checked by `kekiz validate` and loaded into an empty
warehouse by the loader, each in its own process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES_MB = [int(s) for s in os.environ.get("KEKIZ_BENCH_SIZES_MB", "20,200").split(",")]
YEARS = range(2000, 2026)
PER_SOCIAL_AREA = 100
BYTES_PER_ROW = 31
"""About the length of one generated row."""
TARGET_SECONDS = 60.0
TARGET_MIB = 2048.0
KEKIZ = str(Path(sys.executable).parent / "kekiz")
LOAD = """
import sys
from pathlib import Path
from indicators.compute.catalogue import load_catalogue
from indicators.store.connection import connect_waiting
from indicators.store.loading import load_deliveries
from indicators.store.schema import ensure_schema
data, warehouse = Path(sys.argv[1]), Path(sys.argv[2])
catalogue = load_catalogue()
with connect_waiting(warehouse) as con:
    for source in ("gebiete", "kindertagesbetreuung"):
        files = sorted((data / source).iterdir())
        load_deliveries(con, source, files, warehouse.parent / "archiv", catalogue)
    for row in con.sql("SELECT source, status, rows_staged, rows_quarantined, message "
                       "FROM raw.deliveries ORDER BY source").fetchall():
        print(*row)
"""
PEAK = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stdout.write(done.stdout + done.stderr)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""
"""Runs a command and prints its output, then the command's own peak RSS in KiB."""


def write_delivery(folder: Path, megabytes: int) -> tuple[Path, int]:
    """Areas and a childcare delivery of about ``megabytes`` MB; the file and its rows."""
    rows_wanted = megabytes * 1_000_000 // BYTES_PER_ROW
    quarters = -(-rows_wanted // len(YEARS))
    areas = folder / "gebiete" / "gebiete.csv"
    areas.parent.mkdir(parents=True)
    with areas.open("w", encoding="utf-8") as out:
        out.write("Gebietsschlüssel;Gebietsname;Ebene;Übergeordnetes Gebiet;Gültig ab;Gültig bis\n")
        out.write("05119000;Großstadt;Stadt;;01.01.1990;\n")
        for district in range(1, 11):
            out.write(f"B{district};Bezirk {district};Stadtbezirk;05119000;01.01.1990;\n")
        for area in range(-(-quarters // PER_SOCIAL_AREA)):
            out.write(f"R{area};Raum {area};Sozialraum;B{area % 10 + 1};01.01.1990;\n")
        for quarter in range(quarters):
            parent = f"R{quarter // PER_SOCIAL_AREA}"
            out.write(f"Q{quarter};Quartier {quarter};Sozialquartier;{parent};01.01.1990;\n")
    delivery = folder / "kindertagesbetreuung" / f"kita_{megabytes}mb.csv"
    delivery.parent.mkdir()
    rows = 0
    with delivery.open("w", encoding="utf-8") as out:
        out.write(
            "Sozialquartier-Nr.;Sozialquartier;Jahr;Kinder unter 3 Jahren;Betreute Kinder unter 3 "
            "Jahren;Kinder 3 bis unter 6 Jahren;Betreute Kinder 3 bis unter 6 Jahren\n"
        )
        for quarter in range(quarters):
            for year in YEARS:
                small = 100 + (quarter * 7 + year) % 300
                out.write(f"Q{quarter};Q {quarter};{year};{small};{small // 3};{small + 5};"
                          f"{small - 20}\n")  # fmt: skip
                rows += 1
    return delivery, rows


def measured(command: list[str]) -> tuple[float, float, list[str]]:
    """Wall seconds, peak RSS in MiB and output lines of a command in its own process."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PEAK, *command], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    *lines, peak = done.stdout.splitlines()
    return seconds, int(peak) / 1024, lines


def main() -> int:
    failed = False
    for megabytes in SIZES_MB:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            delivery, rows = write_delivery(folder / "lieferungen", megabytes)
            size = delivery.stat().st_size / 1e6
            check = [KEKIZ, "validate", "--source", "kindertagesbetreuung",
                     "--data-dir", str(folder / "lieferungen"), str(delivery)]  # fmt: skip
            seconds, peak, lines = measured(check)
            verdict = lines[2] if len(lines) > 2 else " ".join(lines)[-300:]
            print(f"{size:.0f} MB, {rows:,} rows: kekiz validate {seconds:.1f} s, peak RSS "
                  f"{peak:.0f} MiB ({verdict})", flush=True)  # fmt: skip
            load = [sys.executable, "-c", LOAD, str(folder / "lieferungen"),
                    str(folder / "wh" / "kekiz.duckdb")]  # fmt: skip
            (folder / "wh").mkdir()
            load_seconds, load_peak, loaded = measured(load)
            print(f"{size:.0f} MB: loading (areas and delivery) {load_seconds:.1f} s, peak RSS "
                  f"{load_peak:.0f} MiB ({' / '.join(loaded)})", flush=True)  # fmt: skip
            failed |= peak > TARGET_MIB or load_peak > TARGET_MIB
            failed |= megabytes <= 20 and seconds > TARGET_SECONDS
    print(
        f"targets: 20 MB checked in < {TARGET_SECONDS:.0f} s, every size in < {TARGET_MIB:.0f} MiB"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
