"""Shared fixtures: tiny deliveries written the way offices write them."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import dagster as dg
import pytest

from indicators.compute.catalogue import load_catalogue
from indicators.ingest.delivery import check_delivery
from indicators.ingest.mapping import load_mapping
from pipelines.definitions import ALL_ASSETS_JOB, build_definitions
from pipelines.settings import PROJECT_ROOT, Settings
from schemas.source import CATALOGUE_KEYS, References

SAMPLE = PROJECT_ROOT / "raw_data" / "sample"
CATALOGUE = load_catalogue()

AREAS = [
    ("05119000", "Teststadt", "Stadt", "", "01.01.2000", ""),
    ("1", "Nord", "Stadtbezirk", "05119000", "01.01.2000", ""),
    ("11", "Nord-Mitte", "Sozialraum", "1", "01.01.2000", ""),
    ("1101", "Altstadt", "Sozialquartier", "11", "01.01.2000", ""),
    ("1102", "Hafen", "Sozialquartier", "11", "01.01.2000", ""),
    ("1103", "Alter Zuschnitt", "Sozialquartier", "11", "01.01.2000", "31.12.2012"),
]

ATLAS = {
    "gebiet_id": "1101",
    "gebiet_name": "Altstadt",
    "jahr": "31.12.2015",
    "flaeche_km2": "2,75",
    "einwohner": "7.000",
    "einwohner_0_2": "300",
    "einwohner_3_5": "300",
    "einwohner_6_9": "400",
    "einwohner_10_14": "500",
    "einwohner_15_17": "300",
    "einwohner_18_64": "4.200",
    "einwohner_65_plus": "1.000",
    "geburten": "70",
    "zuzuege": "500",
    "fortzuege": "480",
    "nichtdeutsche": "900",
    "migrationshintergrund": "1.500",
    "haushalte": "3.500",
    "haushalte_mit_kindern": "800",
    "haushalte_alleinerziehend": "200",
    "haushalte_3_kinder": "100",
    "sgb2_leistungsberechtigte": "900",
    "sgb2_kinder_u15": "350",
    "sgb2_kinder_u15_ohne_anspruch": "20",
    "arbeitslose": "400",
    "arbeitslose_u25": "40",
    "grundsicherung_alter": "60",
}


def titles(source: str) -> dict[str, str]:
    return {name: t[0] for name, t in load_mapping(source).columns.items()}


def write_csv(
    path: Path,
    source: str,
    rows: list[dict[str, str]],
    encoding: str = "utf-8",
    sep: str = ";",
    columns: list[str] | None = None,
    total: bool = False,
) -> Path:
    """Write rows (canonical name -> cell text) under the office titles of the source."""
    names = columns or list(rows[0])
    head = titles(source)
    lines = [sep.join(head.get(n, n) for n in names)]
    lines += [sep.join(row.get(n, "") for n in names) for row in rows]
    if total:
        lines.append(sep.join("Stadt insgesamt" if n == "gebiet_name" else "" for n in names))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def write_areas(data_dir: Path) -> Path:
    rows = [
        dict(
            zip(
                [
                    "gebiet_id",
                    "gebiet_name",
                    "ebene",
                    "uebergeordnet_id",
                    "gueltig_ab",
                    "gueltig_bis",
                ],
                area,
                strict=True,
            )
        )
        for area in AREAS
    ]
    return write_csv(data_dir / "gebiete" / "gebiete.csv", "gebiete", rows)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A delivery folder holding only the reference areas."""
    folder = tmp_path / "lieferungen"
    write_areas(folder)
    return folder


@pytest.fixture
def refs(data_dir: Path) -> References:
    areas = check_delivery(data_dir / "gebiete" / "gebiete.csv", "gebiete", References())
    assert areas.rows is not None and not areas.findings
    indicators = frozenset(CATALOGUE.by_id())
    keys = {"massnahmen": frozenset({"M01"}), CATALOGUE_KEYS: indicators}
    return References(areas=areas.rows.valid, keys=keys)


def temporary_settings(tmp: Path, data_dir: Path) -> Settings:
    """Warehouse, archive, published copy, landing and export folders inside ``tmp``,
    deliveries from ``data_dir``."""
    return Settings(
        data_dir=data_dir,
        warehouse=tmp / "wh.duckdb",
        archive_dir=tmp / "archiv",
        published=tmp / "published" / "wh.duckdb",
        incoming_dir=tmp / "incoming",
        rejected_dir=tmp / "rejected",
        export_dir=tmp / "exports",
    )


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> tuple[dg.ExecuteInProcessResult, Settings]:
    """The main job once on the bundled sample, shared by every test that reads its results."""
    settings = temporary_settings(tmp_path_factory.mktemp("sample"), SAMPLE)
    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success
    return result, settings


@pytest.fixture(scope="session")
def sample_export(sample_run) -> tuple[dg.ExecuteInProcessResult, Path, Settings]:
    """The yearly export job once on the published sample copy: (run result, package folder,
    settings)."""
    _, settings = sample_run
    job = build_definitions(settings).resolve_job_def("jaehrlicher_export")
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral())
    assert result.success
    [folder] = settings.export_dir.iterdir()
    return result, folder, settings


def job_targets(defs: dg.Definitions, job_name: str) -> dict[str, list[str]]:
    """The asset keys and check keys a job of ``defs`` executes, as sorted strings."""
    layer = defs.resolve_job_def(job_name).asset_layer
    return {
        "assets": sorted(k.to_user_string() for k in layer.selected_asset_keys),
        "checks": sorted(k.to_user_string() for k in layer.asset_graph.asset_check_keys),
    }


def describe(defs: dg.Definitions) -> dict:
    """The graph of ``defs`` as plain data: assets, checks, jobs, schedules and sensors."""
    repo = defs.get_repository_def()
    graph = repo.asset_graph

    def sensor_target(sensor: dg.SensorDefinition) -> str:
        if sensor.asset_selection is not None:  # an automation condition sensor
            return f"assets {sensor.asset_selection}"
        return f"job {sensor.job_name}" if sensor.has_jobs else "no run"

    return {
        "assets": {
            node.key.to_user_string(): {
                "group": node.group_name,
                "deps": sorted(k.to_user_string() for k in node.parent_keys),
                "automation": node.automation_condition and node.automation_condition.get_label(),
            }
            for node in graph.asset_nodes
        },
        "checks": sorted(k.to_user_string() for k in graph.asset_check_keys),
        "jobs": {
            job.name: job_targets(defs, job.name)
            for job in repo.get_all_jobs()
            if not job.name.startswith("__")
        },
        "schedules": {
            s.name: {
                "cron": s.cron_schedule,
                "timezone": s.execution_timezone,
                "job": s.job_name,
                "default_status": s.default_status.value,
            }
            for s in repo.schedule_defs
        },
        "sensors": {
            s.name: {
                "target": sensor_target(s),
                "interval_seconds": s.minimum_interval_seconds,
                "default_status": s.default_status.value,
            }
            for s in repo.sensor_defs
        },
    }


KEKIZ = str(Path(sys.executable).parent / "kekiz")


def kekiz(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run ``kekiz``; its output goes through files, not pipes: a log-forwarding ``tail`` that
    Dagster leaves behind for a moment must not keep the test waiting for the pipe's end."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        done = subprocess.run(
            [KEKIZ, *args], stdout=out, stderr=err, text=True,
            env={**os.environ, **(env or {})}, timeout=timeout,
        )  # fmt: skip
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(done.args, done.returncode, out.read(), err.read())


LAND_COUNT = 4
"""Packages of the small Land sample: one municipality of each shape, all three kinds."""


@pytest.fixture(scope="session")
def land_packages(tmp_path_factory) -> list[Path]:
    """Real evaluation packages of the first municipalities of ``raw_data/generate_land.py``
    (city pipeline and export on each), in the order of its plan; shared by the Land tests."""
    from raw_data.generate_land import generate_packages

    return generate_packages(tmp_path_factory.mktemp("land"), LAND_COUNT)
