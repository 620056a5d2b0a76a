"""``kekiz status``: the latest deliveries per source, the landing folders and the last runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
from dagster import DagsterInstance, DagsterRun, DagsterRunStatus, RunRecord
from rich.console import Console
from rich.table import Table

from assets.keys import DELIVERY_TAG
from indicators.ingest.delivery import DELIVERY_SUFFIXES, delivered_files
from indicators.ingest.geometries import GEOMETRY_SUFFIXES, SOURCE
from indicators.ingest.landing import REPORT_SUFFIX
from indicators.store.delivery_log import latest_deliveries
from pipelines.alerts import failure_reasons
from pipelines.sensors import FILE_TAG
from pipelines.settings import Settings
from pipelines.terminal import shown
from schemas.profile import UNTABULATED_SOURCES
from schemas.registry import SOURCES

RUN_STATUS = {
    DagsterRunStatus.QUEUED: "in Warteschlange",
    DagsterRunStatus.NOT_STARTED: "nicht gestartet",
    DagsterRunStatus.STARTING: "startet",
    DagsterRunStatus.STARTED: "läuft",
    DagsterRunStatus.SUCCESS: "[green]erfolgreich[/green]",
    DagsterRunStatus.FAILURE: "[red]fehlgeschlagen[/red]",
    DagsterRunStatus.CANCELING: "wird abgebrochen",
    DagsterRunStatus.CANCELED: "[yellow]abgebrochen[/yellow]",
    DagsterRunStatus.MANAGED: "extern",
}
ASSET_SELECTION = "Asset-Auswahl"
"""Shown for runs of Dagster's implicit job (``__ASSET_JOB``): assets materialised without a job."""
DELIVERY_STATUS_STYLE = {"geladen": "green", "teilweise geladen": "yellow", "abgelehnt": "red"}


def show_deliveries(out: Console, warehouse: Path, per_source: int) -> None:
    if not warehouse.exists():
        out.print(
            f"[yellow]Noch kein Warehouse unter {shown(warehouse)}[/yellow] – es wurde noch "
            "keine Lieferung geladen."
        )
        return
    try:
        deliveries = latest_deliveries(warehouse, per_source)
    except duckdb.CatalogException:
        out.print(
            f"[yellow]Das Warehouse {shown(warehouse)} enthält noch keine Lieferungen.[/yellow]"
        )
        return
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise
        out.print(
            "[yellow]Das Warehouse wird gerade von einem Lauf beschrieben; bitte gleich noch "
            "einmal versuchen.[/yellow]"
        )
        return
    table = Table(title=f"Letzte Lieferungen je Quelle ({shown(warehouse)})")
    for column in ("Quelle", "Datei", "geladen am"):
        table.add_column(column)
    for column in ("gelesen", "übernommen", "Quarantäne"):
        table.add_column(column, justify="right")
    table.add_column("Status")
    table.add_column("Meldung", overflow="fold")
    optional = [source for source in UNTABULATED_SOURCES if source in deliveries]
    for source in [*SOURCES, *optional]:
        if source not in deliveries:
            table.add_row(source, "[dim]noch keine Lieferung[/dim]", *[""] * 6)
            continue
        for index, row in enumerate(deliveries[source]):
            file_name, loaded_at, read, staged, quarantined, status, message = row
            style = DELIVERY_STATUS_STYLE.get(status, "default")
            table.add_row(
                "" if index else source,
                shown(file_name),
                f"{loaded_at:%d.%m.%Y %H:%M}",
                str(read),
                str(staged),
                str(quarantined),
                f"[{style}]{shown(status)}[/{style}]",
                shown(message or ""),
            )
    out.print(table)


def show_landing(out: Console, settings: Settings) -> None:
    """Files waiting in ``incoming/`` and rejected files, per source (only if there are any)."""
    suffixes = dict.fromkeys(SOURCES, DELIVERY_SUFFIXES) | {SOURCE: GEOMETRY_SUFFIXES}
    counts = {
        source: (
            len(delivered_files(settings.incoming_dir / source, kinds)),
            len(list((settings.rejected_dir / source).glob(f"*{REPORT_SUFFIX}"))),
        )
        for source, kinds in suffixes.items()
    }
    if not any(waiting or rejected for waiting, rejected in counts.values()):
        out.print(
            f"Keine Dateien in {shown(settings.incoming_dir)} und {shown(settings.rejected_dir)}."
        )
        return
    table = Table(title="Eingangs- und Ablehnungsordner")
    table.add_column("Quelle")
    table.add_column(f"wartend in {shown(settings.incoming_dir)}", justify="right")
    table.add_column(f"abgelehnt in {shown(settings.rejected_dir)}", justify="right")
    for source, (waiting, rejected) in counts.items():
        if waiting or rejected:
            table.add_row(source, str(waiting), str(rejected))
    out.print(table)


def trigger(tags: dict[str, str]) -> str:
    if "dagster/sensor_name" in tags:
        return f"Sensor {tags['dagster/sensor_name']}"
    if "dagster/schedule_name" in tags:
        return f"Zeitplan {tags['dagster/schedule_name']}"
    return "manuell"


def local_time(timestamp: float | None) -> str:
    return "" if timestamp is None else f"{dt.datetime.fromtimestamp(timestamp):%d.%m.%Y %H:%M}"


def duration(record: RunRecord) -> str:
    if record.start_time is None or record.end_time is None:
        return ""
    return str(dt.timedelta(seconds=round(record.end_time - record.start_time)))


def show_runs(out: Console, instance: DagsterInstance, limit: int) -> None:
    records = instance.get_run_records(limit=limit)
    if not records:
        out.print("Noch keine Dagster-Läufe.")
        return
    table = Table(title="Letzter Lauf" if len(records) == 1 else f"Letzte {len(records)} Läufe")
    for column in ("Lauf", "Auftrag", "Status", "Auslöser", "Datei", "Start", "Dauer"):
        table.add_column(column)
    table.add_column("Grund", overflow="fold")
    for record in records:
        run = record.dagster_run
        table.add_row(
            run.run_id[:8],
            ASSET_SELECTION if run.job_name.startswith("__ASSET_JOB") else run.job_name,
            run_status(run),
            shown(trigger(run.tags)),
            shown(run.tags.get(FILE_TAG, "")),
            local_time(record.start_time or record.create_timestamp.timestamp()),
            duration(record),
            shown(reason(instance, run)),
        )
    out.print(table)


def run_status(run: DagsterRun) -> str:
    """The run's status; a successful run with a partly loaded delivery says so."""
    status = RUN_STATUS.get(run.status, run.status.value)
    if run.status == DagsterRunStatus.SUCCESS and run.tags.get(DELIVERY_TAG):
        return f"{status} [yellow]({shown(run.tags[DELIVERY_TAG])})[/yellow]"
    return status


def reason(instance: DagsterInstance, run: DagsterRun) -> str:
    """Why a failed run failed (empty for every other run)."""
    if run.status != DagsterRunStatus.FAILURE:
        return ""
    return " | ".join(" ".join(r.split()) for r in failure_reasons(instance, run.run_id))
