"""Time and size of the Sozialatlas (`kekiz atlas`) on the sample and on the largest generated
municipality.

The sample warehouse is built once in a temporary folder; `kekiz atlas` (the installed
command: imports, reading and suppressing the tables through the export's code, maps, pages)
writes its site REPETITIONS times into fresh folders, each in a process of its own (wall time
and peak memory as in `large_delivery.py`). Then the Großstadt of
`raw_data/generate_municipalities.py` (five levels, the most areas) is generated and run
through the main job (with fewer effect resamples, as `raw_data/generate_land.py` does), and
the atlas of its published copy is timed the same way. Where a municipality's copy has no
geometries, a second site is built with a grid of synthetic squares for its areas (as in the
tests), so the size with maps is measured too. Targets: the sample's site in under 30 s and
under 20 MB.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

import dagster as dg
import duckdb
from _sample_warehouse import build_warehouse
from large_delivery import measured

from pipelines.definitions import ALL_ASSETS_JOB, build_definitions
from pipelines.settings import PROJECT_ROOT, Settings
from raw_data.generate_land import FAST_EFFECTS, QUIET
from raw_data.generate_municipalities import generate

sys.path.insert(0, str(PROJECT_ROOT / "tests"))
from atlas_geometries import with_geometries

REPETITIONS = 3
LARGEST = "grossstadt"
KEKIZ = str(Path(sys.executable).parent / "kekiz")
TARGET_SECONDS, TARGET_MB = 30, 20


def site_size(folder: Path) -> tuple[float, int]:
    """MB and pages of the one site under ``folder``."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6, sum(p.suffix == ".html" for p in files)


def geometries(published: Path) -> int:
    with duckdb.connect(str(published), read_only=True) as con:
        return con.execute("SELECT count(*) FROM mart.gebiet_geometrie").fetchall()[0][0]


def time_atlas(label: str, published: Path, work: Path, repetitions: int) -> tuple[float, float]:
    """Median seconds and MB of ``kekiz atlas`` on ``published``; prints the figures."""
    seconds, peaks, size, pages = [], [], 0.0, 0
    for number in range(repetitions):
        out = work / f"{label}-{number}"
        command = [KEKIZ, "atlas", "--published", str(published), "--atlas-dir", str(out)]
        wall, peak, lines = measured(command)
        if not any(out.glob("*/index.html")):
            print(f"{label}: FAILED", *lines[-5:], sep="\n    ", flush=True)
            return float("inf"), float("inf")
        seconds.append(wall)
        peaks.append(peak)
        size, pages = site_size(out)
    print(
        f"{label}: {pages} pages, {size:.1f} MB, kekiz atlas median "
        f"{statistics.median(seconds):.1f} s "
        f"({min(seconds):.1f}–{max(seconds):.1f} s over {len(seconds)}), peak {max(peaks):.0f} MiB",
        flush=True,
    )
    return statistics.median(seconds), size


def largest(work: Path) -> Path:
    """The published copy of the largest generated municipality."""
    [data] = generate(work / "kommunen", LARGEST)
    settings = Settings(
        data_dir=data,
        warehouse=work / LARGEST / "kekiz.duckdb",
        archive_dir=work / LARGEST / "archiv",
        published=work / LARGEST / "published" / "kekiz.duckdb",
        incoming_dir=work / LARGEST / "incoming",
        rejected_dir=work / LARGEST / "rejected",
        export_dir=work / LARGEST / "exports",
    )
    config = {**QUIET, "ops": {"core__massnahmen_wirkung": {"config": FAST_EFFECTS}}}
    result = (
        build_definitions(settings)
        .resolve_job_def(ALL_ASSETS_JOB)
        .execute_in_process(run_config=config, instance=dg.DagsterInstance.ephemeral())
    )
    assert result.success
    return settings.published


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sample = build_warehouse(work / "sample").published
        print(f"sample: {geometries(sample)} geometries in the published copy", flush=True)
        seconds, size = time_atlas("sample", sample, work, REPETITIONS)
        big = largest(work)
        count = geometries(big)
        print(f"{LARGEST}: {count} geometries in the published copy", flush=True)
        time_atlas(LARGEST, big, work, 1)
        if not count:
            grid = with_geometries(big, work / "grid.duckdb")
            time_atlas(f"{LARGEST} with grid geometries", grid, work, 1)
    ok = seconds < TARGET_SECONDS and size < TARGET_MB
    print(
        f"target (sample under {TARGET_SECONDS} s and {TARGET_MB} MB): {'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
