"""Running the state-level evaluation from the command line: intake of packages, the
municipalities' partitions side by side in worker processes, then the comparison.

Each partition is its own Dagster run in the instance of ``dagster.yaml`` (the UI shows them
as on a server); ``workers`` runs go at once, each in its own process, as the run launcher
does on a server. Nothing here is imported by ``kekiz --help``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import dagster as dg

from indicators.land.store import Intake, LandStore
from pipelines.alerts import failure_reasons
from pipelines.german_cli import QUIET_LOGS
from pipelines.land import COMPARISON_JOB, build_land_definitions
from pipelines.land_intake import PARTITION_JOB
from pipelines.settings import LandSettings


@dataclass(frozen=True)
class PartitionRun:
    ags: str
    success: bool
    run_id: str
    started: float
    finished: float
    message: str = ""


Done = Callable[[object], None]


def intake_all(
    paths: Iterable[Path],
    settings: LandSettings,
    workers: int,
    done: Done = lambda _: None,
    *,
    move: bool = False,
) -> list[Intake]:
    """Verify and store every package, ``workers`` at once; in the order of ``paths``.

    With ``move`` (packages from the incoming folder) a rejected package goes to
    ``abgelehnt/`` with its report."""
    paths = list(paths)
    with _pool(workers) as pool:
        futures = {
            pool.submit(_intake, path, settings.land_dir, settings.min_threshold, move): i
            for i, path in enumerate(paths)
        }
        results: dict[int, Intake] = {}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            done(results[futures[future]])
    return [results[i] for i in range(len(paths))]


def load_partitions(
    keys: Iterable[str], workers: int, done: Done = lambda _: None
) -> list[PartitionRun]:
    """Materialise the partition of every municipality in ``keys``, ``workers`` at once."""
    keys = sorted(set(keys))
    with dg.DagsterInstance.get() as instance:
        instance.add_dynamic_partitions(
            PARTITION_JOB.partitions_def.name,  # type: ignore[union-attr]
            [k for k in keys if not instance.has_dynamic_partition("kommunen", k)],
        )
    runs = []
    with _pool(workers) as pool:
        for future in as_completed([pool.submit(_load, key) for key in keys]):
            runs.append(future.result())
            done(runs[-1])
    return sorted(runs, key=lambda run: run.ags)


def compare(settings: LandSettings) -> dg.ExecuteInProcessResult:
    """Rebuild the comparison marts and the Land report in this process."""
    job = build_land_definitions(settings).resolve_job_def(COMPARISON_JOB)
    with dg.DagsterInstance.get() as instance:
        return job.execute_in_process(
            instance=instance, run_config=QUIET_LOGS, raise_on_error=False
        )


def _pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))


def _intake(path: Path, land_dir: Path, min_threshold: int, move_rejected: bool) -> Intake:
    return LandStore(land_dir).intake(path, min_threshold, move_rejected=move_rejected)


_jobs: dict[str, dg.JobDefinition] = {}
"""The partition job of this worker process, built once."""


def _load(ags: str) -> PartitionRun:
    if not _jobs:
        definitions = build_land_definitions(LandSettings.from_env())
        _jobs["job"] = definitions.resolve_job_def(PARTITION_JOB.name)
    started = time.time()
    with dg.DagsterInstance.get() as instance:
        result = _jobs["job"].execute_in_process(
            instance=instance, partition_key=ags, run_config=QUIET_LOGS, raise_on_error=False
        )
        reasons = [] if result.success else failure_reasons(instance, result.run_id)
    return PartitionRun(ags, result.success, result.run_id, started, time.time(), " ".join(reasons))
