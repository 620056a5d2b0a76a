"""The sample warehouse, built once in a temporary folder for the benchmarks that need one."""

from pathlib import Path

import dagster as dg

from pipelines.definitions import ALL_ASSETS_JOB, build_definitions
from pipelines.settings import PROJECT_ROOT, Settings


def build_warehouse(folder: Path) -> Settings:
    """Run every asset on the bundled sample with its files under ``folder``."""
    settings = Settings(
        data_dir=PROJECT_ROOT / "raw_data" / "sample",
        warehouse=folder / "kekiz.duckdb",
        archive_dir=folder / "archive",
        published=folder / "published" / "kekiz.duckdb",
    )
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success
    return settings
