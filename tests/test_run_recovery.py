"""A killed run never blocks the next one: its process is gone, so it is failed and its slot
in the writers' pool is freed; what publishing and export left behind is removed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from dagster import (
    DagsterEvent,
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    build_sensor_context,
)
from dagster._core.events import EngineEventData

from conftest import KEKIZ, SAMPLE, kekiz, temporary_settings
from pipelines.run_recovery import verwaiste_laeufe_freigeben
from pipelines.settings import PROJECT_ROOT

STARTED_STEPS = 4
"""Kill the first run once this many steps have started (inside the ingestion)."""


@pytest.fixture
def environment(tmp_path: Path, monkeypatch) -> dict[str, str]:
    """Settings and Dagster instance of both runs; this process sees the same instance."""
    settings = temporary_settings(tmp_path, SAMPLE)
    env = {
        **settings.env(),
        "DAGSTER_HOME": str(PROJECT_ROOT),
        "KEKIZ_DAGSTER_STORAGE": str(tmp_path / "dagster"),
        "KEKIZ_DAGSTER_LOGS": str(tmp_path / "logs"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def started_steps(instance: DagsterInstance) -> int:
    runs = instance.get_run_records()
    if not runs:
        return 0
    return len(instance.all_logs(runs[0].dagster_run.run_id, of_type=DagsterEventType.STEP_START))


def started_run(instance: DagsterInstance) -> DagsterRun:
    """A run in progress whose worker, this process, has reported itself."""
    run = instance.add_run(
        DagsterRun(job_name="alles_materialisieren", status=DagsterRunStatus.STARTED)
    )
    event = DagsterEvent(
        DagsterEventType.ENGINE_EVENT.value, run.job_name, message="Lauf gestartet",
        event_specific_data=EngineEventData(), pid=os.getpid(),
    )  # fmt: skip
    instance.report_dagster_event(event, run.run_id)
    return run


def killed_run(environment: dict[str, str], steps: int) -> str:
    """Start ``kekiz run``, kill it (SIGKILL) once ``steps`` steps have started; its run id."""
    first = subprocess.Popen(
        [KEKIZ, "run"], env={**os.environ, **environment}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    with DagsterInstance.get() as instance:
        deadline = time.monotonic() + 120
        while started_steps(instance) < steps:
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        [dead] = instance.get_run_records()
        assert dead.dagster_run.status == DagsterRunStatus.STARTED  # the run does not know
    return dead.dagster_run.run_id


def test_a_run_killed_while_it_writes_does_not_block_the_next_run(environment):
    dead = killed_run(environment, STARTED_STEPS)
    start = time.monotonic()
    second = kekiz("run", env=environment, timeout=240)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "ohne Prozess als fehlgeschlagen markiert" in second.stderr
    assert time.monotonic() - start < 200
    with DagsterInstance.get() as instance:
        killed = instance.get_run_by_id(dead)
        assert killed.status == DagsterRunStatus.FAILURE
    with duckdb.connect(environment["KEKIZ_PUBLISHED"], read_only=True) as con:
        [(runs,)] = con.sql("SELECT count(DISTINCT run_id) FROM core.indikatorwerte").fetchall()
    assert runs == 1


def test_status_shows_a_killed_run_as_failed(environment):
    killed_run(environment, 1)
    done = subprocess.run(
        [KEKIZ, "status"], env={**os.environ, **environment}, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "fehlgeschlagen" in done.stdout and "läuft" not in done.stdout


def test_publishing_removes_the_copy_a_killed_publication_left(environment, tmp_path):
    from indicators.store.publishing import publish

    live = tmp_path / "live.duckdb"
    target = tmp_path / "published" / "live.duckdb"
    target.parent.mkdir()
    stale = target.with_name(f".{target.name}.4242.tmp")
    stale.write_bytes(b"halb geschrieben")
    with duckdb.connect(str(live)) as con:
        con.execute("CREATE SCHEMA core; CREATE TABLE core.indikatorwerte (x INTEGER)")
        publish(con, target)
    assert sorted(p.name for p in target.parent.iterdir()) == ["live.duckdb"]


def test_the_sensor_fails_a_run_whose_process_is_gone_and_leaves_a_live_one(environment):
    script = (
        "import sys\n"
        "sys.path.insert(0, 'tests')\n"
        "from test_run_recovery import started_run\n"
        "from dagster import DagsterInstance\n"
        "print(started_run(DagsterInstance.get()).run_id)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env={**os.environ, **environment}, capture_output=True,
        text=True, check=True, cwd=PROJECT_ROOT,
    )  # fmt: skip
    gone = done.stdout.split()[-1]  # its process has ended
    with DagsterInstance.get() as instance:
        here = started_run(instance)
        verwaiste_laeufe_freigeben(build_sensor_context(instance=instance))
        assert instance.get_run_by_id(gone).status == DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(here.run_id).status == DagsterRunStatus.STARTED
