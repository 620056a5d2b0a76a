"""The ``kekiz`` command line: run the pipeline, check a delivery, export, start the UI.

``kekiz --help`` must answer at once: this module imports no pandas, DuckDB or Dagster at
module level (a test checks it); every command imports what it needs.
"""

from __future__ import annotations

import os
import sys
import threading
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console

from indicators.export.threshold import (
    CELL_KEY,
    DEFAULT_THRESHOLD,
    METHODS,
    MIN_THRESHOLD,
    SUPPRESSION,
)
from pipelines.german_cli import (
    PIPED_WIDTH,
    QUIET_LOGS,
    GermanGroup,
    console,
    exec_dagster_dev,
    option,
)
from pipelines.land_cli import land
from pipelines.settings import (
    PROJECT_ROOT,
    Settings,
    apply_dagster_environment,
    dagster_environment,
    dagster_home,
)
from pipelines.terminal import printable, shown

if TYPE_CHECKING:
    from dagster import DagsterInstance, EventLogEntry, ExecuteInProcessResult, JobDefinition


def settings_from_env(**overrides: Path | int | None) -> Settings:
    """The settings, or exit 2 with the German message when a setting is invalid."""
    try:
        return Settings.from_env(**overrides)
    except ValueError as exc:
        console.print(f"[red]Ungültige Einstellung:[/red] {shown(exc)}")
        sys.exit(2)


data_dir_option = option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="ORDNER",
    help="Lieferordner mit einem Unterordner je Quelle (Standard: $KEKIZ_DATA_DIR oder die "
    "Beispieldaten).",
)
warehouse_option = option(
    "--warehouse",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="DATEI",
    help="DuckDB-Datei des Warehouse (Standard: $KEKIZ_WAREHOUSE oder warehouse/kekiz.duckdb).",
)


@click.group(cls=GermanGroup, subcommand_metavar="BEFEHL [ARGUMENTE]...")
def main() -> None:
    """kekiz: Monitoring der kommunalen Präventionsketten (Kein Kind zurücklassen).

    Lieferungen einlesen und prüfen, Indikatoren und Wirkungen berechnen, das Auswertungspaket
    exportieren und die Dagster-Oberfläche starten.
    """


@main.command()
@data_dir_option
@warehouse_option
def run(data_dir: Path | None, warehouse: Path | None) -> None:
    """Alle Assets auf den Lieferungen berechnen.

    Liest die Lieferungen im Lieferordner, prüft sie und berechnet alle Assets, mit
    Fortschrittsbalken. Exit-Code 0 bei Erfolg, 1 wenn ein Schritt fehlschlägt, 2 ohne
    Lieferordner.
    """
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

    from pipelines.alerts import failure_reasons
    from pipelines.definitions import ALL_ASSETS_JOB, build_definitions
    from pipelines.run_recovery import release_dead_runs

    job = build_definitions(settings).resolve_job_def(ALL_ASSETS_JOB)
    console.print(
        f"Lieferungen: {shown(settings.data_dir)}\nWarehouse:   {shown(settings.warehouse)}"
    )
    done_types = {DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}

    def steps_done(records: Sequence[EventLogEntry]) -> tuple[int, str]:
        done = [r for r in records if r.dagster_event_type in done_types]
        return len(done), (done[-1].step_key if done else None) or "Start"

    with DagsterInstance.get() as instance:
        for dead in release_dead_runs(instance):
            console.print(
                f"[yellow]Lauf {dead[:8]} ohne Prozess als fehlgeschlagen markiert[/yellow] "
                "– sein Platz für Schreibzugriffe ist frei."
            )
        result = _execute_with_progress(job, instance, "Schritte", len(job.nodes), steps_done)
        failed = [e.step_key for e in result.all_events if e.is_step_failure]
        reasons = failure_reasons(instance, result.run_id) if failed else []
    run_id = result.run_id
    for check in (c for c in result.get_asset_check_evaluations() if not c.passed):
        label = (
            "[yellow]Warnung (Lauf geht weiter):[/yellow]"
            if check.severity == AssetCheckSeverity.WARN
            else "[red]Prüfung nicht bestanden:[/red]"
        )
        console.print(f"{label} {check.asset_check_key.to_user_string()}")
    if failed:
        console.print(f"[red]Lauf {run_id[:8]} mit Fehlern:[/red] {', '.join(failed)}")
        for reason in reasons:
            console.print(shown(reason))
        return False
    console.print(f"[green]Lauf {run_id[:8]} erfolgreich[/green] – {shown(settings.warehouse)}")
    console.print(f"Analysekopie (nur lesend öffnen): {shown(settings.published)}")
    return True


def _execute_with_progress(
    job: JobDefinition,
    instance: DagsterInstance,
    title: str,
    total: int,
    progress_of: Callable[[Sequence[EventLogEntry]], tuple[int, str]],
) -> ExecuteInProcessResult:
    """Execute ``job`` in this process as a run of ``instance``, with a progress bar.

    ``progress_of`` turns the run's events so far into (steps done, what is going on).
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    run_id = str(uuid.uuid4())
    outcome: dict[str, object] = {}

    def execute() -> None:
        try:
            outcome["result"] = job.execute_in_process(
                run_config=QUIET_LOGS, instance=instance, run_id=run_id, raise_on_error=False
            )
        except BaseException as exc:  # reported below, after the progress bar closes
            outcome["error"] = exc

    worker = threading.Thread(target=execute, daemon=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task(title, total=total)
        worker.start()
        while worker.is_alive():
            worker.join(0.25)
            completed, description = progress_of(instance.all_logs(run_id))
            progress.update(task, completed=completed, description=description)
        if "result" in outcome and outcome["result"].success:  # type: ignore[union-attr]
            progress.update(task, completed=total, description="fertig")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["result"]  # type: ignore[return-value]


@main.command()
@option(
    "--source",
    "source_name",
    required=True,
    metavar="QUELLE",
    help="Name der Quelle, z. B. sozialstrukturatlas.",
)
@data_dir_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), metavar="DATEI")
def validate(source_name: str, data_dir: Path | None, file: Path) -> None:
    """Eine Lieferung prüfen, ohne sie zu laden.

    Gibt einen Prüfbericht aus. Exit-Code 0 gültig, 1 ungültig, 2 bei falschem Aufruf (auch
    bei unbrauchbarer kommune.yaml).
    """
    from indicators.compute.catalogue import load_catalogue
    from indicators.ingest.delivery import check_delivery, references_from_files, report
    from indicators.ingest.geometries import SOURCE as GEOMETRY_SOURCE
    from indicators.store.geometries import check_geometry_file
    from schemas.profile import ProfileError, load_profile
    from schemas.registry import SOURCES

    known = [*SOURCES, GEOMETRY_SOURCE]
    if source_name not in known:
        raise click.UsageError(f"Unbekannte Quelle '{source_name}'. Möglich: {', '.join(known)}")
    if not file.exists():
        raise click.UsageError(f"Datei nicht gefunden: {file}")
    settings = settings_from_env(data_dir=data_dir)
    try:
        profile = load_profile(settings.data_dir, SOURCES)
    except ProfileError as exc:
        raise click.UsageError(str(exc)) from exc
    if source_name == GEOMETRY_SOURCE:
        valid, text = check_geometry_file(file, settings.data_dir, load_catalogue(), profile)
        click.echo(printable(text))
        sys.exit(0 if valid else 1)
    refs = references_from_files(settings.data_dir, load_catalogue().by_id(), profile)
    check = check_delivery(file, source_name, refs, keep_rows=False, data_dir=settings.data_dir)
    click.echo(printable(report(check)))
    sys.exit(0 if check.rejection is None and not check.findings else 1)


@main.command()
@option(
    "--source",
    "source_name",
    metavar="QUELLE",
    help="Nur diese Quelle, z. B. sozialstrukturatlas.",
)
@option("--markdown", is_flag=True, help="Eine Markdown-Seite ausgeben (raw_data/FELDER.md).")
def fields(source_name: str | None, markdown: bool) -> None:
    """Die Felder der Quellen auflisten.

    Je Feld: Spaltentitel, Art, ob Pflichtfeld, und die Indikatoren, die es verwenden.
    """
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
@option(
    "--deliveries",
    "per_source",
    default=3,
    metavar="ANZAHL",
    help="Lieferungen je Quelle (Standard: 3).",
)
@option("--runs", "run_count", default=10, metavar="ANZAHL", help="Letzte Läufe (Standard: 10).")
def status(warehouse: Path | None, per_source: int, run_count: int) -> None:
    """Letzte Lieferungen, wartende Dateien und Läufe zeigen.

    Die letzten Lieferungen je Quelle mit gelesenen, geladenen und zurückgestellten Zeilen,
    Dateien in incoming/ und rejected/ und die letzten Dagster-Läufe.
    """
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


published_option = option(
    "--published",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="DATEI",
    help="Veröffentlichte Kopie des Warehouse, aus der gelesen wird (Standard: $KEKIZ_PUBLISHED "
    "oder warehouse/published/kekiz.duckdb).",
)
threshold_option = option(
    "--threshold",
    type=click.IntRange(min=MIN_THRESHOLD),
    metavar="ZAHL",
    help="Geheimhaltungsschwelle: Fallzahlen von 1 bis Schwelle − 1 werden gesperrt "
    f"(Standard: $KEKIZ_SUPPRESSION_THRESHOLD oder {DEFAULT_THRESHOLD}).",
)


def method_option(variable: str, default: str) -> Callable:
    return option(
        "--method",
        type=click.Choice(METHODS),
        help=f"Geheimhaltungsverfahren: {SUPPRESSION} (Fallzahlen unter der Schwelle sperren) "
        f"oder {CELL_KEY} (alle Fallzahlen mit dem Cell-Key-Verfahren überlagern, keine unter "
        f"der Schwelle; Schlüssel in $KEKIZ_CELL_KEY_FILE) (Standard: ${variable} oder "
        f"{default}).",
    )


@main.command()
@published_option
@option(
    "--export-dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="ORDNER",
    help="Ordner für die Auswertungspakete (Standard: $KEKIZ_EXPORT_DIR oder exports/).",
)
@threshold_option
@method_option("KEKIZ_EXPORT_METHOD", SUPPRESSION)
def export(
    published: Path | None, export_dir: Path | None, threshold: int | None, method: str | None
) -> None:
    """Das Auswertungspaket schreiben (als Dagster-Lauf).

    Liest die veröffentlichte Kopie und materialisiert das Asset auswertungspaket, mit
    Fortschrittsbalken; die Dagster-Oberfläche zeigt jedes Paket. Exit-Code 1, wenn der
    Exportvertrag verletzt ist oder das Paket nicht geschrieben werden kann (dann wird nichts
    geschrieben), 2 ohne veröffentlichte Kopie oder bei ungültiger Einstellung.
    """
    settings = settings_from_env(
        published=published, export_dir=export_dir, suppression_threshold=threshold,
        export_method=method,
    )  # fmt: skip
    require_published(settings)
    sys.exit(0 if _export_with_progress(settings) else 1)


@main.command()
@click.argument("package", type=click.Path(exists=True, path_type=Path), metavar="PAKET")
@option(
    "--genau",
    "exact",
    is_flag=True,
    help="Für jede gesperrte Zelle den genauen kleinsten und größten Wert berechnen (sonst "
    "nur, wo die Lösungen der gebündelten Optimierung nicht schon einen ausreichend breiten "
    "Bereich zeigen; langsamer).",
)
@option(
    "--schwelle",
    "threshold",
    type=click.IntRange(min=MIN_THRESHOLD),
    default=None,
    help="Mindestens gegen diese Geheimhaltungsschwelle prüfen (sonst die des Manifests, "
    "mindestens 2).",
)
def audit(package: Path, exact: bool, threshold: int | None) -> None:
    """Die Geheimhaltung eines Auswertungspakets prüfen (Ordner oder ZIP-Datei).

    Grenzt jede gesperrte Fallzahl und jede nicht veröffentlichte Differenz verschachtelter
    Fallzahlen mit allen veröffentlichten Zahlen ein (lineare Optimierung): der Bereich muss
    mindestens 2 × Schwelle breit sein. Prüft außerdem, dass keine veröffentlichte Fallzahl oder
    Differenz zwischen 1 und Schwelle − 1 liegt und sich die Zahlen nicht widersprechen. Liest
    nur die Dateien des Pakets. Exit-Code 0, wenn alles eingehalten ist, sonst 1.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from indicators.export.audit import audit_failures, audit_package, german_range
    from indicators.export.manifest import stated_threshold
    from indicators.land.packages import PackageRefused, open_package

    try:
        with (
            open_package(package) as folder,
            Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
            ) as bar,
        ):
            task = bar.add_task("Zellen prüfen", total=None)
            result = audit_package(
                folder,
                max(stated_threshold(folder), threshold or MIN_THRESHOLD),
                lambda done, total: bar.update(task, completed=done, total=total),
                exact=exact,
            )
    except (PackageRefused, OSError, KeyError, ValueError, AttributeError, TypeError) as exc:
        console.print(f"Das Paket lässt sich nicht prüfen: {printable(str(exc))}")
        sys.exit(1)
    summary = result.summary()
    console.print(f"Geheimhaltungsschwelle {summary['schwelle']}; geprüfte Zellen: "
                  f"{summary['zellen_geprueft']}, Bereich genau berechnet: "
                  f"{summary['zellen_bereich_exakt']}; alle übrigen sind nachweislich "
                  f"mindestens {summary['mindestbreite']} breit.")  # fmt: skip
    narrowest = summary["engster_bereich"]
    if narrowest:
        console.print(f"Engster genau berechneter Bereich: {printable(narrowest['menge'])}, "
                      f"Gebiet {narrowest['gebiet_id']}, {narrowest['jahr']}: "
                      f"{german_range(narrowest['minimum'], narrowest['maximum'])}.")  # fmt: skip
    for row in result.narrow.head(20).itertuples(index=False):
        console.print(f"- zu eng eingrenzbar: {printable(row.menge)}, Gebiet {row.gebiet_id}, "
                      f"{row.jahr}: {german_range(row.minimum, row.maximum)}")  # fmt: skip
    for row in result.small.head(20).itertuples(index=False):
        console.print(f"- veröffentlicht unter der Schwelle: {printable(row.menge)}, Gebiet "
                      f"{row.gebiet_id}, {row.jahr}")  # fmt: skip
    for line in audit_failures(result):
        console.print(line)
    console.print("Geheimhaltung eingehalten." if result.success
                  else "Geheimhaltung NICHT eingehalten.")  # fmt: skip
    sys.exit(0 if result.success else 1)


def require_published(settings: Settings) -> None:
    """Exit 2 with a German message when there is no published copy to read."""
    if not settings.published.is_file():
        console.print(
            f"[red]Keine veröffentlichte Kopie gefunden:[/red] {shown(settings.published)} – "
            "zuerst `kekiz run` ausführen."
        )
        sys.exit(2)


def _export_with_progress(settings: Settings) -> bool:
    """Materialise the asset auswertungspaket; print where the package is or why it is not."""
    from dagster import DagsterInstance

    from indicators.export.package import STEPS
    from pipelines.definitions import build_definitions
    from pipelines.schedules import YEARLY_EXPORT_JOB

    job = build_definitions(settings).resolve_job_def(YEARLY_EXPORT_JOB)

    def steps_done(records: Sequence[EventLogEntry]) -> tuple[int, str]:
        done = [r.user_message for r in records if r.user_message in STEPS]
        return (STEPS.index(done[-1]), done[-1]) if done else (0, "Export")

    with DagsterInstance.from_config(str(dagster_home())) as instance:
        result = _execute_with_progress(job, instance, "Export", len(STEPS), steps_done)
    failures = [e.step_failure_data for e in result.all_events if e.is_step_failure]
    if failures:
        reasons = [f.user_failure_data.description if f.user_failure_data else f.error.message
                   for f in failures]  # fmt: skip
        console.print(f"[red]Export abgebrochen.[/red] {shown(' '.join(reasons))}")
        return False
    [package] = result.get_asset_materialization_events()
    metadata = package.materialization.metadata
    rows = metadata["zeilen"].value
    control = (
        f"{metadata['gesperrte_zellen'].value} Zellen gesperrt"
        if settings.export_method == SUPPRESSION
        else "Fallzahlen mit dem Cell-Key-Verfahren überlagert"
    )
    console.print(
        f"[green]Auswertungspaket geschrieben:[/green] {shown(metadata['ordner'].value)}\n"
        f"{sum(rows.values())} Zeilen in {len(rows)} Tabellen, {control} "
        f"(Schwelle {settings.suppression_threshold}); Lauf {result.run_id[:8]}."
    )
    return True


@main.command()
@published_option
@option(
    "--atlas-dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="ORDNER",
    help="Ordner für den Sozialatlas (Standard: $KEKIZ_ATLAS_DIR oder atlas/ neben dem Warehouse).",
)
@threshold_option
@method_option("KEKIZ_ATLAS_METHOD", CELL_KEY)
def atlas(
    published: Path | None, atlas_dir: Path | None, threshold: int | None, method: str | None
) -> None:
    """Den Sozialatlas schreiben: statische Webseiten ohne Netzzugriff.

    Liest die veröffentlichte Kopie und schreibt atlas/<AGS>_<Datum>/ mit Startseite
    index.html, einer Seite mit Karte, Verlauf und Tabelle je Indikator und einem Steckbrief
    je Gebiet der feinsten Ebene. Gezeigt werden die Werte eines Auswertungspakets mit dem
    gewählten Verfahren: standardmäßig aus Fallzahlen, die mit dem Cell-Key-Verfahren
    überlagert sind, mit --method sperrung die gesperrten Werte des Pakets. Ein Atlas
    desselben Tages wird ersetzt. Exit-Code 1,
    wenn der Atlas nicht geschrieben werden kann, 2 ohne veröffentlichte Kopie oder bei
    ungültiger Einstellung.
    """
    settings = settings_from_env(
        published=published, atlas_dir=atlas_dir, suppression_threshold=threshold,
        atlas_method=method,
    )  # fmt: skip
    require_published(settings)
    sys.exit(0 if _atlas_with_progress(settings) else 1)


def _atlas_with_progress(settings: Settings) -> bool:
    """Write the atlas with a progress bar; print where it is, its pages, size and time."""
    from datetime import datetime

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from indicators.atlas.site import build_atlas
    from indicators.display.german import decimal
    from indicators.export.cell_key import chosen_method
    from indicators.export.errors import ExportRefused

    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("Sozialatlas", total=None)

            def report(step: str, done: int, total: int) -> None:
                progress.update(task, description=step, completed=done, total=total)

            result = build_atlas(
                settings.published,
                settings.atlas_dir,
                threshold=settings.suppression_threshold,
                created=datetime.now(),
                progress=report,
                cell_key=chosen_method(
                    settings.atlas_method, settings.cell_key_path, settings.suppression_threshold
                ),
            )
    except (ExportRefused, OSError) as exc:
        console.print(f"[red]Sozialatlas nicht geschrieben:[/red] {shown(exc)}")
        return False
    maps = "" if result.has_map else " Ohne Karten: es sind keine Gebietsgrenzen geliefert."
    console.print(
        f"[green]Sozialatlas geschrieben:[/green] {shown(result.folder / 'index.html')}\n"
        f"{result.pages} Seiten ({result.indicator_pages} Indikatoren, {result.area_pages} "
        f"Gebietssteckbriefe), {decimal(result.bytes / 1e6)} MB in "
        f"{decimal(result.seconds)} s.{maps}"
    )
    return True


@main.command()
@option("--port", default=3000, metavar="PORT", help="Port der Weboberfläche (Standard: 3000).")
def dev(port: int) -> None:
    """Die Dagster-Oberfläche auf 127.0.0.1 starten.

    Startet Webserver und Daemon mit der Instanz aus dagster.yaml.
    """
    env = {**os.environ, **dagster_environment(), **settings_from_env().env()}
    exec_dagster_dev("pipelines.definitions", port, env, PROJECT_ROOT)


main.add_command(land)
