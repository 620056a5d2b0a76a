"""The ``kekiz`` command line: run the pipeline, check a delivery, export, start the UI."""

from __future__ import annotations

import os
import sys
import threading
import uuid
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from indicators.export.threshold import MIN_THRESHOLD
from pipelines.settings import (
    PROJECT_ROOT,
    Settings,
    apply_dagster_environment,
    dagster_environment,
)
from pipelines.terminal import printable, shown

console = Console(stderr=True)
PIPED_WIDTH = 200
"""Columns of rich tables written to a file or pipe, where no terminal width is known."""
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def settings_from_env(**overrides: Path | int | None) -> Settings:
    """The settings, or exit 2 with the German message when a setting is invalid."""
    try:
        return Settings.from_env(**overrides)
    except ValueError as exc:
        console.print(f"[red]Ungültige Einstellung:[/red] {shown(exc)}")
        sys.exit(2)


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder with one sub-folder per source (default: $KEKIZ_DATA_DIR or the sample).",
)
warehouse_option = click.option(
    "--warehouse",
    type=click.Path(dir_okay=False, path_type=Path),
    help="DuckDB file to write (default: $KEKIZ_WAREHOUSE or warehouse/kekiz.duckdb).",
)


@click.group()
def main() -> None:
    """kekiz: monitoring pipeline for municipal prevention chains."""


@main.command()
@data_dir_option
@warehouse_option
def run(data_dir: Path | None, warehouse: Path | None) -> None:
    """Materialise every asset on the deliveries in the data folder."""
    settings = settings_from_env(data_dir=data_dir, warehouse=warehouse)
    if not settings.data_dir.is_dir():
        console.print(f"[red]Lieferordner nicht gefunden:[/red] {shown(settings.data_dir)}")
        sys.exit(2)
    settings.export_env()
    apply_dagster_environment()
    success = _run_with_progress(settings)
    sys.exit(0 if success else 1)


def _run_with_progress(settings: Settings) -> bool:
    from dagster import AssetCheckSeverity, DagsterEventType, DagsterInstance

    from pipelines.definitions import ALL_ASSETS_JOB, build_definitions
    from pipelines.run_recovery import release_dead_runs

    defs = build_definitions(settings)
    job = defs.resolve_job_def(ALL_ASSETS_JOB)
    run_id = str(uuid.uuid4())
    console.print(
        f"Lieferungen: {shown(settings.data_dir)}\nWarehouse:   {shown(settings.warehouse)}"
    )
    done_types = {DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
    with DagsterInstance.get() as instance:
        for dead in release_dead_runs(instance):
            console.print(
                f"[yellow]Lauf {dead[:8]} ohne Prozess als fehlgeschlagen markiert[/yellow] "
                "– sein Platz für Schreibzugriffe ist frei."
            )
        outcome: dict[str, object] = {}

        def execute() -> None:
            try:
                outcome["result"] = job.execute_in_process(
                    run_config=QUIET_LOGS, instance=instance, run_id=run_id, raise_on_error=False
                )
            except BaseException as exc:  # reported below, after the progress bar closes
                outcome["error"] = exc

        worker = threading.Thread(target=execute, daemon=True)
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("Schritte", total=len(job.nodes))
            worker.start()
            while worker.is_alive():
                worker.join(0.25)
                records = instance.all_logs(run_id, of_type=done_types)
                last = records[-1].step_key if records else None
                progress.update(task, completed=len(records), description=f"{last or 'Start'}")
        if "error" in outcome:
            raise outcome["error"]  # type: ignore[misc]
        result = outcome["result"]
        failed = [
            e.step_key for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE
        ]
        checks = [
            e.event_specific_data
            for e in result.all_events
            if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
        ]
    for check in (c for c in checks if not c.passed):
        label = (
            "[yellow]Warnung (Lauf geht weiter):[/yellow]"
            if check.severity == AssetCheckSeverity.WARN
            else "[red]Prüfung nicht bestanden:[/red]"
        )
        console.print(f"{label} {check.asset_check_key.to_user_string()}")
    if failed:
        console.print(f"[red]Lauf {run_id[:8]} mit Fehlern:[/red] {', '.join(failed)}")
        return False
    console.print(f"[green]Lauf {run_id[:8]} erfolgreich[/green] – {shown(settings.warehouse)}")
    console.print(f"Analysekopie (nur lesend öffnen): {shown(settings.published)}")
    return True


@main.command()
@click.option(
    "--source", "source_name", required=True, help="Source name, e.g. sozialstrukturatlas."
)
@data_dir_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def validate(source_name: str, data_dir: Path | None, file: Path) -> None:
    """Check one delivery without loading it; exit 0 valid, 1 invalid, 2 usage error."""
    from indicators.compute.catalogue import load_catalogue
    from indicators.ingest.delivery import check_delivery, references_from_files, report
    from schemas.profile import ProfileError, load_profile
    from schemas.registry import SOURCES

    if source_name not in SOURCES:
        raise click.UsageError(f"Unbekannte Quelle '{source_name}'. Möglich: {', '.join(SOURCES)}")
    if not file.exists():
        raise click.UsageError(f"Datei nicht gefunden: {file}")
    settings = settings_from_env(data_dir=data_dir)
    try:
        profile = load_profile(settings.data_dir, SOURCES)
    except ProfileError as exc:
        raise click.UsageError(str(exc)) from exc
    refs = references_from_files(settings.data_dir, load_catalogue().by_id(), profile)
    check = check_delivery(file, source_name, refs, keep_rows=False, data_dir=settings.data_dir)
    click.echo(printable(report(check)))
    sys.exit(0 if check.rejection is None and not check.findings else 1)


@main.command()
@click.option("--source", "source_name", help="Only this source, e.g. sozialstrukturatlas.")
@click.option("--markdown", is_flag=True, help="Print one Markdown page (raw_data/FELDER.md).")
def fields(source_name: str | None, markdown: bool) -> None:
    """List every field of a source: column title, kind, whether required, indicators using it."""
    from rich.table import Table

    from indicators.compute.catalogue import load_catalogue
    from pipelines.fields import COLUMNS, field_list, field_page
    from schemas.registry import SOURCES

    if source_name is not None and source_name not in SOURCES:
        raise click.UsageError(f"Unbekannte Quelle '{source_name}'. Möglich: {', '.join(SOURCES)}")
    sources = [SOURCES[source_name]] if source_name else list(SOURCES.values())
    catalogue = load_catalogue()
    if markdown:
        click.echo(field_page(sources, catalogue), nl=False)
        return
    out = Console(width=None if sys.stdout.isatty() else PIPED_WIDTH)
    for source in sources:
        table = Table(*COLUMNS, title=f"{source.title} ({source.name})", title_justify="left")
        for row in field_list(source, catalogue).itertuples(index=False):
            table.add_row(*(printable(str(value)) for value in row))
        out.print(table)


@main.command()
@warehouse_option
@click.option(
    "--deliveries", "per_source", default=3, show_default=True, help="Deliveries per source."
)
@click.option("--runs", "run_count", default=10, show_default=True, help="Latest runs shown.")
def status(warehouse: Path | None, per_source: int, run_count: int) -> None:
    """Show the latest deliveries per source, waiting and rejected files, and the last runs."""
    from dagster import DagsterInstance

    from pipelines.run_recovery import release_dead_runs
    from pipelines.status import show_deliveries, show_landing, show_runs

    settings = settings_from_env(warehouse=warehouse)
    apply_dagster_environment()
    out = Console(width=None if sys.stdout.isatty() else PIPED_WIDTH)
    show_deliveries(out, settings.warehouse, per_source)
    show_landing(out, settings)
    with DagsterInstance.get() as instance:
        release_dead_runs(instance)
        show_runs(out, instance, run_count)


@main.command()
@click.option(
    "--published",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Published warehouse copy to export (default: $KEKIZ_PUBLISHED).",
)
@click.option(
    "--export-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for export packages (default: $KEKIZ_EXPORT_DIR or exports/).",
)
@click.option(
    "--threshold",
    type=click.IntRange(min=MIN_THRESHOLD),
    help="Counts from 1 to threshold - 1 are suppressed (default: 5).",
)
def export(published: Path | None, export_dir: Path | None, threshold: int | None) -> None:
    """Write the evaluation export package; exit 1 if the export contract fails."""
    from datetime import datetime

    from indicators.export.errors import ExportRefused
    from indicators.export.package import STEPS, export_package, pipeline_version

    settings = settings_from_env(
        published=published, export_dir=export_dir, suppression_threshold=threshold
    )
    if not settings.published.is_file():
        console.print(
            f"[red]Keine veröffentlichte Kopie gefunden:[/red] {shown(settings.published)} – "
            "zuerst `kekiz run` ausführen."
        )
        sys.exit(2)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("Export", total=len(STEPS))

        def step(name: str) -> None:
            progress.update(task, completed=STEPS.index(name), description=name)

        try:
            result = export_package(
                settings.published,
                settings.export_dir,
                str(uuid.uuid4()),
                threshold=settings.suppression_threshold,
                version=pipeline_version(),
                created=datetime.now(),
                progress=step,
            )
        except ExportRefused as exc:
            progress.stop()
            console.print(f"[red]Export abgebrochen.[/red] {shown(exc)}")
            sys.exit(1)
        progress.update(task, completed=len(STEPS), description="fertig")
    console.print(
        f"[green]Auswertungspaket geschrieben:[/green] {shown(result.folder)}\n"
        f"{sum(result.tables.values())} Zeilen in {len(result.tables)} Tabellen, "
        f"{result.suppressed_cells} Zellen gesperrt (Schwelle {settings.suppression_threshold})."
    )


@main.command()
@click.option("--port", default=3000, show_default=True, help="Port of the web UI.")
def dev(port: int) -> None:
    """Start the Dagster UI (webserver and daemon) on 127.0.0.1."""
    env = {**os.environ, **dagster_environment(), **settings_from_env().env()}
    # The Dagster commands lie beside this interpreter, also when its folder is not on PATH.
    scripts = Path(sys.executable).parent
    env["PATH"] = os.pathsep.join([str(scripts), env.get("PATH", "")])
    dagster = scripts / "dagster"
    command = [str(dagster), "dev", "-h", "127.0.0.1", "-p", str(port)]
    os.chdir(PROJECT_ROOT)
    os.execve(dagster, [*command, "-m", "pipelines.definitions"], env)
