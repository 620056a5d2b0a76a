"""The installed ``kekiz`` command, run as the office would run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import duckdb
import pytest
from click.testing import CliRunner
from dagster import DagsterInstance, DagsterRunStatus

from assets.deliveries import incoming_run_config
from assets.keys import staging_key
from conftest import ATLAS, kekiz, temporary_settings, write_areas, write_csv
from pipelines.cli import main
from pipelines.definitions import build_definitions
from pipelines.settings import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "raw_data" / "sample"


def test_help_imports_neither_pandas_nor_dagster_nor_duckdb():
    """``kekiz --help`` answers at once: the heavy libraries are imported by the commands."""
    code = (
        "import sys\n"
        "from pipelines.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('pandas', 'dagster', 'duckdb', 'numpy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "[]"
    assert "Befehle:" in done.stdout


COMMANDS = {
    **main.commands,
    **{f"land {name}": command for name, command in main.commands["land"].commands.items()},
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_and_option_has_german_help(command):
    cli_command = COMMANDS[command]
    assert cli_command.help and "\n" not in cli_command.get_short_help_str(limit=60)
    for param in cli_command.params:
        assert isinstance(param, click.Argument) or param.help, f"{command} {param.name}"
    page = CliRunner().invoke(main, [*command.split(), "--help"]).output
    assert page.startswith(f"Aufruf: main {command} [OPTIONEN]")
    assert "Optionen:" in page and "Diese Hilfe zeigen und beenden." in page
    for english in ("Usage:", "Options:", "Show this message", "default:", "required"):
        assert english not in page, (command, english)


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


def test_validate_checks_a_geometry_file_without_loading_it(tmp_path):
    path = SAMPLE / "geometrien" / "sozialquartiere.geojson"
    done = kekiz("validate", "--source", "geometrien", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Objekte gelesen: 27, gültig: 27, in Quarantäne: 0" in done.stdout
    assert "GÜLTIG" in done.stdout
    layer = json.loads(path.read_text(encoding="utf-8"))
    first, second = layer["features"][:2]
    layer["features"] = layer["features"][1:]  # the first area is missing
    second["properties"]["Gebietsschlüssel"] = "9999"  # the second is unknown
    broken = tmp_path / "quartiere.geojson"
    broken.write_text(json.dumps(layer), encoding="utf-8")
    done = kekiz("validate", "--source", "geometrien", str(broken))
    assert done.returncode == 1
    assert "Objekt Nr. 1: Spalte 'Gebietsschlüssel': Gebietsschlüssel 9999" in done.stdout
    assert f"fehlt ein Polygon: {first['properties']['Gebietsschlüssel']}" in done.stdout
    assert list(tmp_path.iterdir()) == [broken]  # nothing archived or written beside it


def test_validate_usage_errors_exit_2(tmp_path):
    assert kekiz("validate", "--source", "unbekannt", str(tmp_path)).returncode == 2
    assert (
        kekiz("validate", "--source", "schulwechsel", str(tmp_path / "fehlt.csv")).returncode == 2
    )


@pytest.mark.parametrize("threshold", ["1", "0", "fünf"])
def test_a_suppression_threshold_that_would_hide_nothing_is_refused(tmp_path, threshold):
    env = {"KEKIZ_SUPPRESSION_THRESHOLD": threshold, "KEKIZ_EXPORT_DIR": str(tmp_path)}
    done = kekiz("export", env=env)
    assert done.returncode == 2
    assert "Geheimhaltungsschwelle" in done.stderr and "ab 2" in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory) -> tuple[dict[str, str], subprocess.CompletedProcess]:
    """``kekiz run`` on the sample, once for the tests of this module that need a warehouse."""
    tmp = tmp_path_factory.mktemp("run")
    env = {
        "KEKIZ_DATA_DIR": str(SAMPLE),
        "KEKIZ_WAREHOUSE": str(tmp / "lager" / "kekiz.duckdb"),
        "KEKIZ_ARCHIVE_DIR": str(tmp / "archiv"),
        "KEKIZ_INCOMING_DIR": str(tmp / "incoming"),
        "KEKIZ_REJECTED_DIR": str(tmp / "rejected"),
        "KEKIZ_STATE_DIR": str(tmp / "state"),
    }
    return env, kekiz("run", env=env)


def test_run_uses_environment_paths_and_records_the_run(sample_run, monkeypatch):
    env, done = sample_run
    assert done.returncode == 0, done.stderr[-3000:]
    assert "erfolgreich" in done.stderr
    # 36 files of the tabular sources and the geometry file
    with duckdb.connect(env["KEKIZ_WAREHOUSE"], read_only=True) as con:
        assert con.sql("SELECT count(*) FROM raw.deliveries").fetchall() == [(37,)]
    assert len(list(Path(env["KEKIZ_ARCHIVE_DIR"]).glob("*/*"))) == 37
    # Dagster's run storage is persistent, in the configured state folder
    state = Path(env["KEKIZ_STATE_DIR"])
    assert (state / "dagster" / "history" / "runs.db").exists()
    monkeypatch.setenv("DAGSTER_HOME", str(PROJECT_ROOT))
    monkeypatch.setenv("KEKIZ_DAGSTER_STORAGE", str(state / "dagster"))
    monkeypatch.setenv("KEKIZ_DAGSTER_LOGS", str(state / "logs"))
    with DagsterInstance.get() as instance:
        [run] = instance.get_runs()
        assert run.job_name == "alles_materialisieren"
        assert run.status == DagsterRunStatus.SUCCESS


def test_status_shows_latest_deliveries_waiting_files_and_runs(sample_run):
    env, _ = sample_run
    waiting = Path(env["KEKIZ_INCOMING_DIR"]) / "schulwechsel" / "uebergaenge_2024.csv"
    waiting.parent.mkdir(parents=True, exist_ok=True)
    waiting.write_text("noch unvollständig")
    done = kekiz("status", "--deliveries", "2", env=env)
    assert done.returncode == 0, done.stderr
    rows = [cells(line) for line in done.stdout.splitlines() if line.startswith("│")]
    atlas = [row for row in rows if row[1].startswith("sozialstrukturatlas_20")]
    assert [row[1] for row in atlas] == [
        "sozialstrukturatlas_2023.csv",
        "sozialstrukturatlas_2022.csv",
    ]
    assert [row[0] for row in atlas] == ["sozialstrukturatlas", ""]
    assert all(row[3:7] == ["27", "27", "0", "geladen"] for row in atlas)
    assert ["schulwechsel", "1", "0"] in rows
    assert "Letzter Lauf" in done.stdout
    [run] = [row for row in rows if row[1] == "alles_materialisieren"]
    assert run[2:4] == ["erfolgreich", "manuell"]


def cells(table_line: str) -> list[str]:
    return [cell.strip() for cell in table_line.split("│")[1:-1]]


def test_status_without_warehouse_says_so(tmp_path):
    env = {"KEKIZ_WAREHOUSE": str(tmp_path / "fehlt.duckdb"), "KEKIZ_STATE_DIR": str(tmp_path)}
    done = kekiz("status", env=env)
    assert done.returncode == 0, done.stderr
    assert "Noch kein Warehouse unter" in done.stdout
    assert "Noch keine Dagster-Läufe." in done.stdout


def test_status_prints_delivered_names_and_messages_as_text(tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    name = "[/red]atlas\x1b[31m.csv"
    with duckdb.connect(str(warehouse)) as con:
        con.execute((PROJECT_ROOT / "warehouse" / "sql" / "tables" / "1_landing.sql").read_text())
        con.execute(
            "INSERT INTO raw.deliveries VALUES ('sozialstrukturatlas', 'abc', ?, 1, now(), "
            "now(), 'archiv', 'utf-8', 1, 0, 1, 0, 'teilweise geladen', ?, 'lauf')",
            [name, "Spalte '[bold]x[/bold]': \x1b]0;titel\x07kaputt"],
        )
    env = {"KEKIZ_WAREHOUSE": str(warehouse), "KEKIZ_STATE_DIR": str(tmp_path)}
    done = kekiz("status", env=env)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout
    text = "".join(done.stdout.split())
    assert "[/red]atlas[31m.csv" in text and "'[bold]x[/bold]'" in text


def test_status_shows_a_partial_delivery_and_why_a_rejecting_run_failed(tmp_path, monkeypatch):
    settings = temporary_settings(tmp_path, tmp_path / "lieferungen")
    write_areas(settings.data_dir)
    atlas = settings.data_dir / "sozialstrukturatlas" / "atlas_2015.csv"
    write_csv(
        atlas, "sozialstrukturatlas", [ATLAS, {**ATLAS, "gebiet_id": "1102", "geburten": "-1"}]
    )
    bad = settings.incoming_dir / "sozialstrukturatlas" / "atlas_2016.csv"
    write_csv(bad, "sozialstrukturatlas", [{**ATLAS, "jahr": "31.12.2016"}])
    bad.write_bytes(bad.read_bytes().replace(b"Stichtag", b"Datum"))
    env = {**settings.env(), "KEKIZ_STATE_DIR": str(tmp_path / "state")}
    monkeypatch.setenv("DAGSTER_HOME", str(PROJECT_ROOT))
    monkeypatch.setenv("KEKIZ_DAGSTER_STORAGE", str(tmp_path / "state" / "dagster"))
    monkeypatch.setenv("KEKIZ_DAGSTER_LOGS", str(tmp_path / "state" / "logs"))
    defs = build_definitions(settings)
    with DagsterInstance.get() as instance:  # the instance of dagster.yaml, as on a server
        loaded = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance,
            asset_selection=[staging_key("gebiete"), staging_key("sozialstrukturatlas")],
        )
        rejected = defs.resolve_job_def("lieferung_sozialstrukturatlas").execute_in_process(
            run_config=incoming_run_config("sozialstrukturatlas", bad.name),
            instance=instance,
            raise_on_error=False,
        )
    assert loaded.success and not rejected.success

    done = kekiz("status", env=env)
    assert done.returncode == 0, done.stderr
    rows = [cells(line) for line in done.stdout.splitlines() if line.startswith("│")]
    [partial] = [i for i, row in enumerate(rows) if row[1] == "atlas_2015.csv"]
    assert rows[partial][3:7] == ["2", "1", "1", "teilweise geladen"]
    assert folded(rows, partial, 7).startswith("1 von 2 Zeilen in Quarantäne – siehe Befunde;")
    [failed] = [i for i, row in enumerate(rows) if row[0] == rejected.run_id[:8]]
    assert rows[failed][1:3] == ["lieferung_sozialstrukturatlas", "fehlgeschlagen"]
    reason = folded(rows, failed, 7)
    assert reason.startswith(
        "Sozialstrukturatlas: 1 Lieferung(en) abgelehnt: - Datei atlas_2016.csv"
    )
    assert "Pflichtspalte(n) fehlen in der Kopfzeile" in reason
    [success] = [row for row in rows if row[0] == loaded.run_id[:8]]
    assert success[2].startswith("erfolgreich (teilweise")


def folded(rows: list[list[str]], index: int, column: int) -> str:
    """The text of a cell that rich folded over the following lines of its row."""
    parts = [rows[index][column]]
    for row in rows[index + 1 :]:
        if row[0] or row[1]:
            break
        parts.append(row[column])
    return " ".join(p for p in parts if p)
