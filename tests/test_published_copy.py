"""The published read-only copy: readable during a run, replaced atomically, kept on failure."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

import indicators.store.indicator_facts as indicator_facts
from conftest import SAMPLE, temporary_settings
from pipelines.definitions import ALL_ASSETS_JOB, build_definitions
from pipelines.settings import Settings

OLDEST_CLIENT = "1.1.3"
"""The oldest DuckDB the analyst guide promises to open the copy with."""

READER = """
import json, sys, time
from pathlib import Path
import duckdb

published, stop = sys.argv[1], Path(sys.argv[2])
while not stop.exists():
    with duckdb.connect(published, read_only=True) as con:
        facts, runs, run_id = con.sql(
            "SELECT count(*), count(DISTINCT run_id), min(run_id) FROM core.indikatorwerte"
        ).fetchall()[0]
        mart = con.sql("SELECT count(*) FROM mart.indikatoren").fetchall()[0][0]
        index = con.sql("SELECT count(*) FROM mart.sozialindex").fetchall()[0][0]
    print(json.dumps([facts, runs, run_id, mart, index]), flush=True)
    time.sleep(0.05)
"""


@pytest.fixture
def settings(sample_run, tmp_path: Path) -> Settings:
    """A copy of the sample warehouse and its published copy, to run the job on again."""
    _, loaded = sample_run
    copied = temporary_settings(tmp_path, SAMPLE)
    shutil.copy(loaded.warehouse, copied.warehouse)
    copied.published.parent.mkdir(parents=True)
    shutil.copy(loaded.published, copied.published)
    return copied


def run_job(settings: Settings) -> dg.ExecuteInProcessResult:
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    return job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)


def test_analysts_read_the_copy_without_error_while_a_run_writes(settings, sample_run, tmp_path):
    first_run = sample_run[0].run_id
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(settings.published), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        result = run_job(settings)
        assert result.success
        time.sleep(1.0)  # let the reader query the new copy a few times
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    seen = [json.loads(line) for line in out.splitlines()]
    assert len(seen) >= 10
    facts = {row[0] for row in seen}
    assert len(facts) == 1 and facts.pop() > 15_000  # always the complete table
    assert all(row[1] == 1 and row[3] == row[0] and row[4] > 0 for row in seen)
    run_ids = [row[2] for row in seen]
    assert run_ids[0] == first_run and run_ids[-1] == result.run_id  # swapped during the run
    assert run_ids == sorted(run_ids, key=[first_run, result.run_id].index)  # never back


def test_a_failing_blocking_check_keeps_the_last_good_copy(settings, monkeypatch):
    before = hashlib.sha256(settings.published.read_bytes()).hexdigest()
    compute = indicator_facts.indicator_values

    def broken(*args) -> pd.DataFrame:
        values = compute(*args)
        values.loc[values.index[0], "wert"] = 250.0  # a share above 100 %
        return values

    monkeypatch.setattr(indicator_facts, "indicator_values", broken)
    result = run_job(settings)

    assert not result.success
    failed = {
        e.check_name
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    }
    assert failed == {"werte_im_bereich", "intervalle_geordnet"}  # 250 % is outside its CI
    materialized = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}
    assert "veroeffentlichte_kopie" not in materialized
    assert hashlib.sha256(settings.published.read_bytes()).hexdigest() == before


OLD_READER = """
import json, sys
import duckdb

with duckdb.connect(sys.argv[1], read_only=True) as con:
    views = [v for (v,) in con.sql(
        "SELECT view_name FROM duckdb_views() WHERE schema_name = 'mart' ORDER BY 1"
    ).fetchall()]
    rows = {v: con.sql(f"SELECT count(*) FROM mart.{v}").fetchall()[0][0] for v in views}
    city = con.sql(
        "SELECT round(wert, 1) FROM mart.indikatoren WHERE ebene_rang = 0 AND jahr = 2019 "
        "AND indikator_id = 'seu_sprache'"
    ).fetchall()[0][0]
    [(comment,)] = con.sql(
        "SELECT comment FROM duckdb_views() WHERE view_name = 'indikatoren'"
    ).fetchall()
print(json.dumps([duckdb.__version__, city, comment, rows]))
"""


@pytest.fixture(scope="session")
def oldest_client(tmp_path_factory) -> Path:
    """Python of a separate virtual environment with the oldest supported DuckDB."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv ist nicht installiert: keine zweite Umgebung mit älterem DuckDB")
    venv = tmp_path_factory.mktemp("duckdb_alt") / "venv"
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    install = [uv, "pip", "install", "-q", "--python", str(python), f"duckdb=={OLDEST_CLIENT}"]
    steps = ([uv, "venv", "-q", str(venv)], install)
    for step in steps:
        done = subprocess.run(step, env=env, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            pytest.skip(f"duckdb=={OLDEST_CLIENT} nicht installierbar: {done.stderr[-300:]}")
    return python


def test_the_oldest_supported_duckdb_opens_the_copy_read_only(sample_run, oldest_client):
    _, settings = sample_run
    done = subprocess.run(
        [str(oldest_client), "-c", OLD_READER, str(settings.published)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    version, city, comment, rows = json.loads(done.stdout)
    assert version == OLDEST_CLIENT and city > 0 and comment.startswith("Jeder Indikator")
    with duckdb.connect(str(settings.published), read_only=True) as con:
        views = con.sql(
            "SELECT view_name FROM duckdb_views() WHERE schema_name = 'mart' ORDER BY 1"
        ).fetchall()
        expected = {v: con.sql(f"SELECT count(*) FROM mart.{v}").fetchall()[0][0] for (v,) in views}
    assert rows == expected  # every mart view, with the same rows


def test_the_copy_is_a_read_only_file(sample_run):
    _, settings = sample_run
    mode = settings.published.stat().st_mode
    assert not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert list(settings.published.parent.glob(".*.tmp*")) == []


def test_the_copy_holds_the_pipelines_working_tables_empty(sample_run):
    _, settings = sample_run
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        [(live,)] = con.execute("SELECT count(*) FROM meta.wirkung_cache").fetchall()
    with duckdb.connect(str(settings.published), read_only=True) as con:
        [(copied,)] = con.execute("SELECT count(*) FROM meta.wirkung_cache").fetchall()
    assert live > 0 and copied == 0
