"""Wall time and peak memory of `kekiz run` on the bundled sample (target: under 60 s).

Each repetition starts from an empty warehouse, archive and Dagster storage in a temporary
folder, i.e. what `make run` does on a fresh clone once the environment is installed, and then
runs again on that warehouse with nothing changed: the re-run reuses every effect estimate
(``meta.wirkung_cache``); its time is reported as a share of the first run's.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPETITIONS = 3
TARGET_SECONDS = 60.0
KEKIZ = str(Path(sys.executable).parent / "kekiz")


def one_run(folder: Path) -> float:
    env = {
        **os.environ,
        "KEKIZ_WAREHOUSE": str(folder / "kekiz.duckdb"),
        "KEKIZ_ARCHIVE_DIR": str(folder / "archive"),
        "KEKIZ_STATE_DIR": str(folder / "state"),
    }
    start = time.perf_counter()
    subprocess.run([KEKIZ, "run"], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    times, reruns = [], []
    for i in range(REPETITIONS):
        with tempfile.TemporaryDirectory() as tmp:
            seconds = one_run(Path(tmp))
            again = one_run(Path(tmp))
        times.append(seconds)
        reruns.append(again)
        print(f"run {i + 1}: {seconds:.1f} s, unchanged re-run {again:.1f} s", flush=True)
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    median = statistics.median(times)
    print(
        f"kekiz run on the sample: median {median:.1f} s (min {min(times):.1f}, "
        f"max {max(times):.1f}) over {REPETITIONS} runs; peak RSS {peak_mib:.0f} MiB; "
        f"{os.cpu_count()} CPUs; target < {TARGET_SECONDS:.0f} s"
    )
    rerun = statistics.median(reruns)
    print(f"unchanged re-run: median {rerun:.1f} s = {rerun / median:.2f} of a first run")
    return 0 if median < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
