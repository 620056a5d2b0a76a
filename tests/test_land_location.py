"""The Dagster code location of the state-level evaluation: its graph, the intake sensor, the
partitions loaded side by side and the ``kekiz land`` commands, on real export packages."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from assets.keys import MUNICIPALITIES
from conftest import kekiz
from indicators.land.layout import LandLayout
from indicators.land.store import ACCEPTED, LandStore
from pipelines.land import COMPARISON_JOB, build_land_definitions
from pipelines.land_intake import PARTITION_JOB, SENSOR_NAME
from pipelines.land_runs import compare, load_partitions
from pipelines.settings import PROJECT_ROOT, LandSettings, dagster_environment


@pytest.fixture
def land_env(tmp_path, monkeypatch) -> LandSettings:
    """A Land folder and a Dagster instance (dagster.yaml's) inside ``tmp_path``."""
    monkeypatch.setenv("DAGSTER_HOME", str(PROJECT_ROOT))
    monkeypatch.setenv("KEKIZ_STATE_DIR", str(tmp_path / "state"))
    for name in dagster_environment():
        if name.startswith("KEKIZ_DAGSTER"):
            monkeypatch.delenv(name, raising=False)
    settings = LandSettings(land_dir=tmp_path / "land")
    for name, value in settings.env().items():
        monkeypatch.setenv(name, value)
    return settings


def tamper(package: Path, target: Path) -> Path:
    """A copy of ``package`` with one changed byte in its indicator table."""
    shutil.copytree(package, target)
    table = target / "indikatoren.csv"
    table.chmod(0o644)
    text = table.read_text(encoding="utf-8")
    table.write_text(text.replace("1", "2", 1), encoding="utf-8")
    return target


def marts(database: Path) -> dict[str, pd.DataFrame]:
    """Every table of the ``mart`` schema, rows sorted."""
    with duckdb.connect(str(database), read_only=True) as con:
        names = [
            n
            for (n,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'mart' ORDER BY 1"
            ).fetchall()
        ]
        frames = {n: con.execute(f"SELECT * FROM mart.{n}").df() for n in names}
    return {n: f.sort_values(list(f.columns)).reset_index(drop=True) for n, f in frames.items()}


def test_the_land_location_has_its_own_graph():
    defs = build_land_definitions(LandSettings(land_dir=Path("/tmp/land")))
    graph = defs.get_repository_def().asset_graph
    keys = {node.key.to_user_string(): node for node in graph.asset_nodes}
    assert set(keys) == {"kommunenpakete", "landesvergleich", "landesbericht"}
    assert keys["kommunenpakete"].partitions_def == MUNICIPALITIES
    assert keys["landesvergleich"].partitions_def is None
    assert {k.to_user_string() for k in keys["landesbericht"].parent_keys} == {"landesvergleich"}
    repo = defs.get_repository_def()
    assert {s.name for s in repo.sensor_defs} >= {SENSOR_NAME, "landesvergleich_nachziehen"}
    assert {j.name for j in repo.get_all_jobs()} >= {PARTITION_JOB.name, COMPARISON_JOB}
    assert [s.name for s in repo.schedule_defs] == ["landesvergleich_monatlich"]


def test_dagster_loads_the_land_location_as_a_code_location():
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate",
         "-m", "pipelines.land"],
        capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_sensor_takes_complete_packages_and_rejects_a_tampered_one(
    land_packages, land_env, tmp_path
):
    layout = LandLayout(land_env.land_dir)
    layout.store.incoming.mkdir(parents=True)
    good = land_packages[:2]
    for package in good:
        shutil.copytree(package, layout.store.incoming / package.name)
    bad = tamper(land_packages[2], layout.store.incoming / f"{land_packages[2].name}_x")
    defs = build_land_definitions(land_env)
    sensor = defs.resolve_sensor_def(SENSOR_NAME)
    with dg.instance_for_test() as instance:

        def tick(cursor):
            """One evaluation as the daemon makes it, partitions loaded from the instance."""
            context = dg.build_sensor_context(
                instance=instance,
                instance_ref=instance.get_ref(),
                cursor=cursor,
                definitions=defs,
                resources=defs.resources,
            )
            with dg.partition_loading_context(dynamic_partitions_store=instance):
                return sensor.evaluate_tick(context)

        first = tick(None)
        assert not first.run_requests  # not yet seen unchanged twice
        second = tick(first.cursor)
        keys = sorted(r.partition_key for r in second.run_requests)
        assert keys == sorted(p.name.split("_")[0] for p in good)
        [added] = second.dynamic_partitions_requests
        assert sorted(added.partition_keys) == keys
        assert not bad.exists() and (layout.store.rejected / bad.name).is_dir()
        [report_file] = layout.store.rejected.glob(f"{bad.name}*.txt")
        report = report_file.read_text(encoding="utf-8")
        assert "indikatoren.csv" in report
        assert list(layout.store.incoming.iterdir()) == []
        assert layout.store.municipalities() == keys

        instance.add_dynamic_partitions(MUNICIPALITIES.name, keys)
        job = defs.resolve_job_def(PARTITION_JOB.name)
        for request in second.run_requests:
            assert job.execute_in_process(instance=instance, partition_key=request.partition_key)
        assert defs.resolve_job_def(COMPARISON_JOB).execute_in_process(instance=instance)
    with duckdb.connect(str(layout.published), read_only=True) as con:
        found = [a for (a,) in con.execute("SELECT ags FROM mart.kommunen ORDER BY 1").fetchall()]
    assert found == keys


def test_partitions_loaded_side_by_side_give_the_marts_of_one_by_one(
    land_packages, land_env, tmp_path, monkeypatch
):
    results = {}
    for workers in (2, 1):
        settings = LandSettings(land_dir=tmp_path / f"land{workers}", workers=workers)
        for name, value in settings.env().items():
            monkeypatch.setenv(name, value)
        store = LandStore(settings.land_dir)
        for package in land_packages:
            intake = store.intake(package, settings.min_threshold, move_rejected=False)
            assert intake.status == ACCEPTED
        runs = load_partitions(store.municipalities(), workers)
        assert all(run.success for run in runs), [run.message for run in runs]
        assert compare(settings).success
        results[workers] = (runs, marts(LandLayout(settings.land_dir).published))
    parallel, serial = results[2], results[1]
    overlapping = [
        (a.ags, b.ags)
        for a in parallel[0]
        for b in parallel[0]
        if a.ags < b.ags and a.started < b.finished and b.started < a.finished
    ]
    assert overlapping, "no two partitions were loaded at the same time"
    assert parallel[1].keys() == serial[1].keys()
    for name in serial[1]:
        pd.testing.assert_frame_equal(parallel[1][name], serial[1][name], check_like=True)


def test_kekiz_land_import_status_and_a_rejected_package(land_packages, land_env, tmp_path):
    bad = tamper(land_packages[1], tmp_path / "beschaedigt")
    done = kekiz("land", "import", str(land_packages[0]), str(bad), timeout=600)
    assert done.returncode == 1, done.stderr
    assert "abgelehnt" in done.stderr and "indikatoren.csv" in done.stderr
    assert "1 Kommunen geladen" in done.stderr
    layout = LandLayout(land_env.land_dir)
    assert (layout.reports / "bericht_land.html").exists()
    assert not list(layout.store.rejected.glob("*"))  # a named path is reported, never moved
    status = kekiz("land", "status")
    assert status.returncode == 0, status.stderr
    ags = land_packages[0].name.split("_")[0]
    assert ags in status.stdout and "geladen" in status.stdout
