"""Wall time and peak memory of `kekiz run` on each synthetic municipality.

The municipalities of `raw_data/generate_municipalities.py` (a big city with five levels, a
town with two levels and a long-format Sozialstrukturatlas, a Kreis with a two-row XLSX header)
are generated into a temporary folder. Each is loaded by the installed command,
`kekiz run --data-dir <tmp>/<name> --warehouse <tmp>/<name>.duckdb`, into an empty warehouse,
with its archive, landing folders, exports and Dagster storage in the temporary folder as well.
Wall time and peak RSS are measured as in `large_delivery.py`. A municipality whose run fails is
reported with the end of its output, and the others still run.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from large_delivery import measured

from raw_data.generate_municipalities import MUNICIPALITIES, generate

KEKIZ = str(Path(sys.executable).parent / "kekiz")
STATUS = """
import subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stdout.write(done.stdout + done.stderr)
print(f"exit status {done.returncode}")
"""
"""Runs a command and prints its output, then its exit status (as the last line)."""
SHOWN_LINES = 6
"""Lines of output shown for a failed run."""


def environment(folder: Path, name: str) -> dict[str, str]:
    """Every folder a run writes, under ``folder`` and apart for each municipality."""
    return {
        "KEKIZ_STATE_DIR": str(folder / "state" / name),
        "KEKIZ_INCOMING_DIR": str(folder / "incoming" / name),
        "KEKIZ_REJECTED_DIR": str(folder / "rejected" / name),
        "KEKIZ_ARCHIVE_DIR": str(folder / "archive" / name),
        "KEKIZ_EXPORT_DIR": str(folder / "exports" / name),
    }


def run_one(folder: Path, name: str) -> bool:
    """Load one municipality; print its wall time, peak RSS and outcome. True if it loaded."""
    os.environ.update(environment(folder, name))
    data, warehouse = folder / name, folder / f"{name}.duckdb"
    command = [sys.executable, "-c", STATUS, KEKIZ, "run",
               "--data-dir", str(data), "--warehouse", str(warehouse)]  # fmt: skip
    seconds, peak, lines = measured(command)
    status = lines[-1] if lines and lines[-1].startswith("exit status ") else "no exit status"
    succeeded = status == "exit status 0"
    outcome = "loaded" if succeeded else f"FAILED ({status})"
    print(f"{name}: kekiz run {seconds:.1f} s, peak RSS {peak:.0f} MiB – {outcome}", flush=True)
    if not succeeded:
        tail = [line for line in lines[:-1] if line.strip()][-SHOWN_LINES:]
        for line in tail:
            print(f"    {line}", flush=True)
    return succeeded


def main() -> int:
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        generate(folder)
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6
        print(f"generated {len(MUNICIPALITIES)} municipalities ({size:.1f} MB) in "
              f"{time.perf_counter() - start:.1f} s", flush=True)  # fmt: skip
        for name in MUNICIPALITIES:
            try:
                if not run_one(folder, name):
                    failed.append(name)
            except Exception as exc:  # a broken measurement must not hide the others
                print(f"{name}: not measured – {type(exc).__name__}: {exc}", flush=True)
                failed.append(name)
    loaded = len(MUNICIPALITIES) - len(failed)
    print(f"{loaded} of {len(MUNICIPALITIES)} municipalities loaded"
          + (f"; failed: {', '.join(failed)}" if failed else ""))  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
