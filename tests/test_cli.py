"""The installed ``kekiz`` command, run as the office would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
from dagster import DagsterInstance, DagsterRunStatus

from conftest import ATLAS, write_csv
from pipelines.settings import PROJECT_ROOT

KEKIZ = str(Path(sys.executable).parent / "kekiz")
SAMPLE = PROJECT_ROOT / "raw_data" / "sample"


def kekiz(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [KEKIZ, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def test_validate_valid_file_exits_0():
    path = SAMPLE / "sozialstrukturatlas" / "sozialstrukturatlas_2015.csv"
    done = kekiz("validate", "--source", "sozialstrukturatlas", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "GÜLTIG" in done.stdout and "Zeilen gelesen: 27" in done.stdout


def test_validate_invalid_file_exits_1_with_row_column_and_rule(tmp_path):
    path = write_csv(
        tmp_path / "atlas.csv",
        "sozialstrukturatlas",
        [{**ATLAS, "gebiet_id": "1101", "geburten": "-3"}],
    )
    done = kekiz(
        "validate", "--source", "sozialstrukturatlas", "--data-dir", str(SAMPLE), str(path)
    )
    assert done.returncode == 1
    assert "Zeile 2, Spalte 'Lebendgeborene': darf nicht negativ sein – Wert: -3" in done.stdout


def test_validate_rejected_file_exits_1(tmp_path):
    path = tmp_path / "leer.csv"
    path.write_bytes(b"")
    done = kekiz("validate", "--source", "schulwechsel", str(path))
    assert done.returncode == 1 and "ABGELEHNT" in done.stdout


def test_validate_usage_errors_exit_2(tmp_path):
    assert kekiz("validate", "--source", "unbekannt", str(tmp_path)).returncode == 2
    assert (
        kekiz("validate", "--source", "schulwechsel", str(tmp_path / "fehlt.csv")).returncode == 2
    )


def test_run_uses_environment_paths_and_records_the_run(tmp_path, monkeypatch):
    env = {
        "KEKIZ_DATA_DIR": str(SAMPLE),
        "KEKIZ_WAREHOUSE": str(tmp_path / "lager" / "kekiz.duckdb"),
        "KEKIZ_ARCHIVE_DIR": str(tmp_path / "archiv"),
        "KEKIZ_STATE_DIR": str(tmp_path / "state"),
    }
    done = kekiz("run", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "erfolgreich" in done.stderr
    with duckdb.connect(env["KEKIZ_WAREHOUSE"], read_only=True) as con:
        assert con.sql("SELECT count(*) FROM raw.deliveries").fetchall() == [(36,)]
    assert len(list((tmp_path / "archiv").glob("*/*"))) == 36
    # Dagster's run storage is persistent, in the configured state folder
    assert (tmp_path / "state" / "dagster" / "history" / "runs.db").exists()
    monkeypatch.setenv("DAGSTER_HOME", str(PROJECT_ROOT))
    monkeypatch.setenv("KEKIZ_DAGSTER_STORAGE", str(tmp_path / "state" / "dagster"))
    monkeypatch.setenv("KEKIZ_DAGSTER_LOGS", str(tmp_path / "state" / "logs"))
    with DagsterInstance.get() as instance:
        [run] = instance.get_runs()
        assert run.job_name == "alles_materialisieren"
        assert run.status == DagsterRunStatus.SUCCESS
