"""Runs whose process died (killed, machine restarted) are failed and release what they hold.

A run in progress holds the one slot of the writers' pool ``duckdb_writer``; if its process is
gone, every later run would wait for that slot. ``release_dead_runs`` finds such runs by the
process id their newest events carry, marks them failed with a German reason and frees their
slots. It runs before ``kekiz run`` and ``kekiz status`` and every 30 seconds as the sensor
``verwaiste_laeufe_freigeben``. Runs are assumed to execute on this machine, as with the
default run launcher.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

IN_PROGRESS = [
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]
NEWEST_EVENTS = 50
SENSOR_NAME = "verwaiste_laeufe_freigeben"
INTERVAL_SECONDS = 30


def release_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Fail every run in progress whose process is gone and free its slots; their ids."""
    released = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=IN_PROGRESS)):
        run = record.dagster_run
        worker = _worker(instance, run.run_id)
        if worker is None or _alive(*worker):
            continue
        pid, _ = worker
        instance.report_run_failed(
            run,
            f"Der Prozess dieses Laufs (PID {pid}) existiert nicht mehr, etwa weil er beendet "
            "oder der Rechner neu gestartet wurde. Der Lauf ist als fehlgeschlagen markiert "
            "und gibt seinen Platz für Schreibzugriffe frei; das Warehouse ist im letzten "
            "vollständig geschriebenen Stand.",
        )
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        released.append(run.run_id)
    return released


def _worker(instance: dg.DagsterInstance, run_id: str) -> tuple[int, float] | None:
    """Process id and time of the newest event of the run that names its process."""
    records = instance.get_records_for_run(run_id, limit=NEWEST_EVENTS, ascending=False).records
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is not None and event.pid is not None:
            return event.pid, record.event_log_entry.timestamp
    return None


def _alive(pid: int, seen_at: float) -> bool:
    """The process exists and is the one that wrote at ``seen_at`` (not a later one that got
    the same id)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, under another user
    started = _started(pid)
    return started is None or started <= seen_at + 1.0


def _started(pid: int) -> float | None:
    """Start time of a process in seconds since the epoch (Linux), None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
    except (OSError, StopIteration):
        return None
    ticks = int(stat.rsplit(")", 1)[1].split()[19])
    return boot + ticks / os.sysconf("SC_CLK_TCK")


@dg.sensor(
    name=SENSOR_NAME,
    minimum_interval_seconds=INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Findet Läufe, deren Prozess nicht mehr existiert (z. B. nach einem Absturz oder "
        "Neustart), markiert sie als fehlgeschlagen und gibt ihren Platz für Schreibzugriffe "
        "frei, damit folgende Läufe nicht warten."
    ),
)
def verwaiste_laeufe_freigeben(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    released = release_dead_runs(context.instance)
    for run_id in released:
        context.log.warning(f"Lauf {run_id} ohne Prozess: als fehlgeschlagen markiert.")
    return dg.SkipReason(f"{len(released)} Läufe ohne Prozess freigegeben.")
