"""The committed sample is exactly what the seeded generator writes."""

import filecmp
import subprocess
import sys
from pathlib import Path

from pipelines.settings import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "raw_data" / "sample"


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_generator_reproduces_the_committed_sample_byte_for_byte(tmp_path):
    # a fresh process: openpyxl chooses its XML writer once, when it is first imported
    subprocess.run(
        [sys.executable, "-m", "raw_data.generate_sample", "--out", str(tmp_path)],
        cwd=PROJECT_ROOT,
        check=True,
    )
    assert files(tmp_path) == files(SAMPLE)
    _, mismatch, errors = filecmp.cmpfiles(tmp_path, SAMPLE, files(SAMPLE), shallow=False)
    assert mismatch == [] and errors == []


def test_sample_uses_both_encodings_and_xlsx():
    atlas = SAMPLE / "sozialstrukturatlas"
    (atlas / "sozialstrukturatlas_2010.csv").read_bytes().decode("cp1252")
    raw_2010 = (atlas / "sozialstrukturatlas_2010.csv").read_bytes()
    raw_2020 = (atlas / "sozialstrukturatlas_2020.csv").read_bytes()
    assert "ä".encode("cp1252") in raw_2010 and "ä".encode() not in raw_2010
    assert "ä".encode() in raw_2020
    assert len(list((SAMPLE / "schuleingang").glob("*.xlsx"))) == 14
