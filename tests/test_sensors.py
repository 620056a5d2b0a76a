"""The delivery sensors, ticked with build_sensor_context, and the runs they request."""

import hashlib
import os
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.deliveries import incoming_run_config
from assets.keys import DELIVERY_TAG, staging_key
from conftest import ATLAS, job_targets, temporary_settings, write_csv
from pipelines.definitions import build_definitions
from pipelines.sensors import FILE_TAG, SHA_TAG, SOURCE_TAG, sensor_name
from pipelines.settings import Settings

ATLAS_KEY = staging_key("sozialstrukturatlas")
ATLAS_SENSOR = sensor_name("sozialstrukturatlas")


@pytest.fixture
def settings(tmp_path: Path, data_dir: Path) -> Settings:
    return temporary_settings(tmp_path, data_dir)


@pytest.fixture
def defs(settings: Settings) -> dg.Definitions:
    return build_definitions(settings)


@pytest.fixture
def instance():
    """A temporary instance that retries failed runs, as dagster.yaml configures."""
    with dg.instance_for_test(overrides={"run_retries": {"enabled": True}}) as instance:
        yield instance


@pytest.fixture
def areas_loaded(defs, instance) -> None:
    """The reference areas, loaded the bulk way from the data folder."""
    job = defs.resolve_implicit_global_asset_job_def()
    assert job.execute_in_process(instance=instance, asset_selection=[staging_key("gebiete")])


class Ticker:
    """Ticks one sensor repeatedly, carrying its cursor like the daemon does."""

    def __init__(self, defs: dg.Definitions, instance: dg.DagsterInstance, name: str):
        self.defs, self.instance = defs, instance
        self.sensor = defs.resolve_sensor_def(name)
        self.cursor: str | None = None

    def tick(self) -> dg.SensorResult:
        context = dg.build_sensor_context(
            instance=self.instance,
            cursor=self.cursor,
            definitions=self.defs,
            resources=self.defs.resources,
        )
        data = self.sensor.evaluate_tick(context)
        self.cursor = data.cursor
        return data

    def run(self, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
        """Execute a requested run as the daemon would: the sensor's job, config and tags."""
        job = self.defs.resolve_job_def(self.sensor.job_name)
        return job.execute_in_process(
            run_config=request.run_config,
            tags=request.tags,
            instance=self.instance,
            raise_on_error=False,
        )

    def create(self, request: dg.RunRequest) -> dg.DagsterRun:
        """Record a requested run that has not started yet, as the daemon does first."""
        return self.instance.create_run_for_job(
            self.defs.resolve_job_def(self.sensor.job_name),
            run_config=request.run_config,
            tags=request.tags,
            status=dg.DagsterRunStatus.NOT_STARTED,
        )


@pytest.fixture
def atlas(defs, instance) -> Ticker:
    return Ticker(defs, instance, ATLAS_SENSOR)


def incoming(settings: Settings, name: str, rows=(ATLAS,)) -> Path:
    return write_csv(
        settings.incoming_dir / "sozialstrukturatlas" / name, "sozialstrukturatlas", list(rows)
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_complete_file_gives_one_run_request(settings, atlas):
    path = incoming(settings, "atlas_2015.csv")
    assert atlas.tick().run_requests == []  # first look: size and time not yet confirmed

    [request] = atlas.tick().run_requests
    assert request.run_key == sha256(path)
    assert request.asset_selection is None
    assert job_targets(atlas.defs, atlas.sensor.job_name) == {
        "assets": ["staging/sozialstrukturatlas"],
        "checks": [
            "staging/sozialstrukturatlas:daten_aktuell",
            "staging/sozialstrukturatlas:lieferungen_ohne_befund",
            "staging/sozialstrukturatlas:schema_gueltig",
            "staging/sozialstrukturatlas:summen_abgeglichen",
        ],
    }
    expected_tags = {
        SOURCE_TAG: "sozialstrukturatlas",
        SHA_TAG: sha256(path),
        FILE_TAG: "atlas_2015.csv",
    }
    assert request.tags.items() >= expected_tags.items()
    op_config = request.run_config["ops"]["staging__sozialstrukturatlas"]["config"]
    assert op_config == {"eingangsdateien": ["atlas_2015.csv"]}


def test_file_still_being_written_gives_no_run(settings, atlas):
    path = incoming(settings, "atlas_2015.csv")
    atlas.tick()
    with path.open("ab") as handle:  # the transfer goes on
        handle.write(b"1102;Hafen")
    assert atlas.tick().run_requests == []
    # unchanged size but a new modification time: still not complete
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert atlas.tick().run_requests == []
    assert len(atlas.tick().run_requests) == 1


def test_ready_marker_makes_a_file_complete_at_once(settings, atlas):
    path = incoming(settings, "atlas_2015.csv")
    path.with_name("atlas_2015.csv.ready").touch()
    [request] = atlas.tick().run_requests
    assert request.run_key == sha256(path)


def test_loaded_file_leaves_incoming_and_is_archived(settings, atlas, areas_loaded):
    path = incoming(settings, "atlas_2015.csv", [ATLAS, {**ATLAS, "gebiet_id": "1102"}])
    sha = sha256(path)
    path.with_name("atlas_2015.csv.ready").touch()
    [request] = atlas.tick().run_requests

    result = atlas.run(request)
    assert result.success
    checks = {e.check_name for e in result.get_asset_check_evaluations()}
    assert {"schema_gueltig", "lieferungen_ohne_befund", "daten_aktuell"} <= checks
    assert list((settings.incoming_dir / "sozialstrukturatlas").iterdir()) == []
    assert (settings.archive_dir / "sozialstrukturatlas" / f"{sha}.csv").exists()
    assert query(settings, "SELECT gebiet_id FROM staging.sozialstrukturatlas ORDER BY 1") == [
        ("1101",),
        ("1102",),
    ]
    assert query(
        settings,
        "SELECT file_name, status, run_id FROM raw.deliveries WHERE source = 'sozialstrukturatlas'",
    ) == [("atlas_2015.csv", "geladen", result.run_id)]
    assert not (settings.rejected_dir / "sozialstrukturatlas").exists()

    again = atlas.run(request)  # e.g. re-executed in the UI: the file is gone
    assert not again.success
    [failure] = [e for e in again.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "Nicht (mehr) im Eingangsordner" in failure.step_failure_data.error.message
    assert "atlas_2015.csv" in failure.step_failure_data.error.message


def test_same_content_twice_loads_once(settings, atlas, areas_loaded):
    first = incoming(settings, "atlas_2015.csv")
    second = incoming(settings, "atlas_2015_nochmal.csv")
    content = second.read_bytes()
    assert first.read_bytes() == content
    assert atlas.tick().run_requests == []
    [request] = atlas.tick().run_requests
    assert request.tags[FILE_TAG] == "atlas_2015.csv"

    assert atlas.run(request).success
    assert not first.exists() and second.exists()
    assert atlas.tick().run_requests == []  # the copy: same content, already loaded
    assert not second.exists()
    moved = settings.rejected_dir / "sozialstrukturatlas" / "atlas_2015_nochmal.csv"
    assert moved.read_bytes() == content
    note = moved.with_name("atlas_2015_nochmal.csv.fehler.txt").read_text(encoding="utf-8-sig")
    assert "NICHT GELADEN" in note and "'atlas_2015.csv'" in note
    assert query(
        settings, "SELECT count(*) FROM raw.deliveries WHERE source = 'sozialstrukturatlas'"
    ) == [(1,)]
    assert len(atlas.instance.get_runs(filters=dg.RunsFilter(tags={SHA_TAG: request.run_key}))) == 1


def test_content_loaded_in_bulk_before_is_not_loaded_again(settings, atlas, areas_loaded):
    write_csv(
        settings.data_dir / "sozialstrukturatlas" / "atlas_2015.csv", "sozialstrukturatlas", [ATLAS]
    )
    job = atlas.defs.resolve_implicit_global_asset_job_def()
    job.execute_in_process(instance=atlas.instance, asset_selection=[ATLAS_KEY])
    path = incoming(settings, "atlas_2015_erneut.csv")
    path.with_name("atlas_2015_erneut.csv.ready").touch()
    [request] = atlas.tick().run_requests  # no sensor run has loaded this content

    assert atlas.run(request).success
    note = settings.rejected_dir / "sozialstrukturatlas" / "atlas_2015_erneut.csv.fehler.txt"
    assert "'atlas_2015.csv'" in note.read_text(encoding="utf-8-sig")
    assert list((settings.incoming_dir / "sozialstrukturatlas").iterdir()) == []
    assert query(
        settings, "SELECT file_name FROM raw.deliveries WHERE source = 'sozialstrukturatlas'"
    ) == [("atlas_2015.csv",)]


def test_rejected_file_lands_in_rejected_with_its_report(settings, atlas, areas_loaded):
    path = incoming(settings, "atlas_2016.csv")
    path.write_bytes(path.read_bytes().replace(b"Stichtag", b"Datum"))  # the year's column
    path.with_name("atlas_2016.csv.ready").touch()
    [request] = atlas.tick().run_requests

    result = atlas.run(request)
    assert not result.success  # the run fails with the reason, after recording the delivery
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    description = failure.step_failure_data.user_failure_data.description
    assert "atlas_2016.csv" in description and "Pflichtspalte(n) fehlen" in description
    assert "rejected/sozialstrukturatlas/" in description
    run = atlas.instance.get_run_by_id(result.run_id)
    assert run.tags[DELIVERY_TAG] == "abgelehnt"
    assert run.tags["dagster/will_retry"] == "false"  # running again would not mend it
    folder = settings.rejected_dir / "sozialstrukturatlas"
    assert sorted(p.name for p in folder.iterdir()) == [
        "atlas_2016.csv",
        "atlas_2016.csv.fehler.txt",
    ]
    assert list((settings.incoming_dir / "sozialstrukturatlas").iterdir()) == []
    report = (folder / "atlas_2016.csv.fehler.txt").read_text(encoding="utf-8-sig")
    assert "ABGELEHNT" in report
    assert "Pflichtspalte(n) fehlen" in report and "'Stichtag'" in report
    assert "korrigierte Datei" in report
    assert query(
        settings,
        "SELECT file_name, status FROM raw.deliveries WHERE source = 'sozialstrukturatlas'",
    ) == [("atlas_2016.csv", "abgelehnt")]
    assert atlas.tick().run_requests == []

    again = incoming(settings, "atlas_2016_nochmal.csv")  # the same content once more
    again.write_bytes((folder / "atlas_2016.csv").read_bytes())
    again.with_name("atlas_2016_nochmal.csv.ready").touch()
    assert atlas.tick().run_requests == []
    assert (folder / "atlas_2016_nochmal.csv.fehler.txt").exists() and not again.exists()


def test_no_second_request_while_the_run_is_pending(settings, atlas):
    path = incoming(settings, "atlas_2015.csv")
    path.with_name("atlas_2015.csv.ready").touch()
    [request] = atlas.tick().run_requests
    atlas.create(request)
    result = atlas.tick()
    assert result.run_requests == [] and path.exists()


def test_failed_run_is_not_requested_again(settings, atlas, areas_loaded):
    path = incoming(settings, "atlas_2015.csv")
    path.with_name("atlas_2015.csv.ready").touch()
    [request] = atlas.tick().run_requests
    settings.warehouse.unlink()
    settings.warehouse.mkdir()  # the warehouse cannot be opened: the run fails
    assert not atlas.run(request).success

    assert atlas.tick().run_requests == []
    assert path.exists()  # stays in incoming/ until the run is executed again


def test_waits_while_reference_areas_are_incoming(settings, atlas):
    incoming(settings, "atlas_2015.csv").with_name("atlas_2015.csv.ready").touch()
    write_csv(settings.incoming_dir / "gebiete" / "gebiete.csv", "gebiete", [{"gebiet_id": "1"}])
    result = atlas.tick()
    assert result.run_requests == [] and "gebiete" in result.skip_message


def test_corrected_redelivery_of_an_old_year_replaces_that_year(settings, atlas, areas_loaded):
    def deliver(name: str, rows: list[dict[str, str]]) -> None:
        incoming(settings, name, rows).with_name(name + ".ready").touch()
        [request] = atlas.tick().run_requests
        assert atlas.run(request).success

    year_2016 = {**ATLAS, "jahr": "31.12.2016", "einwohner": "7.050", "einwohner_18_64": "4.250"}
    deliver("atlas_2015.csv", [ATLAS, {**ATLAS, "gebiet_id": "1102"}])
    deliver("atlas_2016.csv", [year_2016, {**year_2016, "gebiet_id": "1102"}])
    corrected = {"einwohner": "7.100", "einwohner_18_64": "4.300"}
    deliver(
        "atlas_2015_korrigiert.csv",
        [{**ATLAS, **corrected}, {**ATLAS, "gebiet_id": "1102", **corrected}],
    )

    rows = query(
        settings,
        "SELECT jahr, gebiet_id, einwohner FROM staging.sozialstrukturatlas ORDER BY 1, 2",
    )
    assert rows == [
        (2015, "1101", 7100),
        (2015, "1102", 7100),
        (2016, "1101", 7050),
        (2016, "1102", 7050),
    ]
    history = query(
        settings,
        "SELECT file_name FROM raw.deliveries WHERE source = 'sozialstrukturatlas' "
        "ORDER BY loaded_at",
    )
    assert history == [("atlas_2015.csv",), ("atlas_2016.csv",), ("atlas_2015_korrigiert.csv",)]


@pytest.mark.parametrize("kind", ["relative", "absolute", "link"])
def test_a_run_config_file_outside_incoming_is_refused_and_left_alone(
    settings, atlas, areas_loaded, tmp_path, kind
):
    victim = write_csv(tmp_path / "opfer.csv", "sozialstrukturatlas", [ATLAS])
    before = victim.read_bytes()
    folder = settings.incoming_dir / "sozialstrukturatlas"
    folder.mkdir(parents=True, exist_ok=True)
    name = {"relative": "../../opfer.csv", "absolute": str(victim), "link": "opfer.csv"}[kind]
    if kind == "link":
        (folder / name).symlink_to(victim)
    request = dg.RunRequest(run_config=incoming_run_config("sozialstrukturatlas", name))
    result = atlas.run(request)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "kein Dateiname im Eingangsordner" in failure.step_failure_data.error.message
    assert victim.read_bytes() == before
    assert not (settings.archive_dir / "sozialstrukturatlas").exists()
    assert not (settings.rejected_dir / "sozialstrukturatlas").exists()
    assert query(
        settings, "SELECT count(*) FROM raw.deliveries WHERE source = 'sozialstrukturatlas'"
    ) == [(0,)]
