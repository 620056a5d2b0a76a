"""``kekiz land``: the state-level evaluation on the command line.

Like ``pipelines/cli.py`` this module imports no pandas, DuckDB or Dagster at module level;
every command imports what it needs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from pipelines.german_cli import PIPED_WIDTH, GermanGroup, console, exec_dagster_dev, option
from pipelines.settings import (
    PROJECT_ROOT,
    LandSettings,
    apply_dagster_environment,
    dagster_environment,
)
from pipelines.terminal import shown

land_dir_option = option(
    "--land-dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="ORDNER",
    help="Ordner der Landesauswertung (Standard: $KEKIZ_LAND_DIR oder land/).",
)
workers_option = option(
    "--workers",
    type=click.IntRange(min=1),
    metavar="ANZAHL",
    help="So viele Kommunen werden gleichzeitig geladen (Standard: $KEKIZ_LAND_WORKERS oder 2).",
)


def land_settings(**overrides: Path | int | None) -> LandSettings:
    """The Land settings, exported for the worker processes; exit 2 when one is invalid."""
    try:
        settings = LandSettings.from_env(**overrides)
    except ValueError as exc:
        console.print(f"[red]Ungültige Einstellung:[/red] {shown(exc)}")
        sys.exit(2)
    settings.export_env()
    apply_dagster_environment()
    return settings


@click.group(cls=GermanGroup, subcommand_metavar="BEFEHL [ARGUMENTE]...")
def land() -> None:
    """Landesauswertung: Auswertungspakete der Kommunen annehmen, prüfen und vergleichen."""


@land.command("import")
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path),
    metavar="PAKET...",
)  # fmt: skip
@land_dir_option
@workers_option
def import_packages(paths: tuple[Path, ...], land_dir: Path | None, workers: int | None) -> None:
    """Auswertungspakete (Ordner oder .zip) prüfen, annehmen und vergleichen.

    Jedes Paket wird vor der Ablage vollständig geprüft; ein abgelehntes Paket wird mit
    Prüfbericht gemeldet und nicht abgelegt. Danach werden die Partitionen der angenommenen
    Kommunen geladen und Vergleich und Landesbericht neu gebaut. Exit-Code 0, wenn alle Pakete
    angenommen wurden, 1 wenn eines abgelehnt wurde oder ein Schritt fehlschlug.
    """
    from indicators.land.store import ACCEPTED, REJECTED

    settings = land_settings(land_dir=land_dir, workers=workers)
    intakes = _intake_with_progress(list(paths), settings)
    rejected = [i for i in intakes if i.status == REJECTED]
    keys = sorted({i.ags for i in intakes if i.status == ACCEPTED})
    success = _load_and_compare(keys, settings)
    sys.exit(0 if success and not rejected else 1)


@land.command()
@land_dir_option
@workers_option
def run(land_dir: Path | None, workers: int | None) -> None:
    """Eingangsordner annehmen, alle Kommunen laden und den Vergleich neu bauen.

    Nimmt jedes Paket in eingang/ an (abgelehnte gehen mit Prüfbericht nach abgelehnt/),
    lädt die Partition jeder Kommune mit aktuellem Paket und baut Vergleichs-Marts und
    Landesbericht neu. Exit-Code 0 bei Erfolg, 1 wenn ein Paket abgelehnt wurde oder ein
    Schritt fehlschlug.
    """
    from indicators.land.landing import package_entries, take_out
    from indicators.land.store import REJECTED, LandStore

    settings = land_settings(land_dir=land_dir, workers=workers)
    store = LandStore(settings.land_dir)
    waiting = package_entries(store.incoming)
    intakes = _intake_with_progress(waiting, settings, move=True)
    for path in waiting:
        take_out(path)
    rejected = [i for i in intakes if i.status == REJECTED]
    keys = store.municipalities()
    success = _load_and_compare(keys, settings)
    sys.exit(0 if success and not rejected else 1)


def _intake_with_progress(paths: list[Path], settings: LandSettings, move: bool = False):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from indicators.land.store import PRESENT, REJECTED
    from pipelines.land_runs import intake_all

    if not paths:
        console.print("Keine Pakete angenommen: der Eingangsordner ist leer.")
        return []
    columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress("Pakete prüfen", *columns, console=console) as progress:
        task = progress.add_task("", total=len(paths))
        intakes = intake_all(
            paths, settings, settings.workers, lambda _: progress.advance(task), move=move
        )
    for path, intake in zip(paths, intakes, strict=True):
        colour = {REJECTED: "red", PRESENT: "yellow"}.get(intake.status, "green")
        console.print(f"[{colour}]{intake.status}[/{colour}] {shown(path.name)}")
        if intake.status == REJECTED:
            console.print(shown(intake.report))
    return intakes


def _load_and_compare(keys: list[str], settings: LandSettings) -> bool:
    """Load the partitions of ``keys`` side by side, then rebuild the comparison."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from indicators.land.layout import LandLayout
    from pipelines.land_runs import compare, load_partitions

    if not keys:
        console.print("Keine Kommune neu zu laden.")
        return True
    columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress("Kommunen laden", *columns, console=console) as progress:
        task = progress.add_task("", total=len(keys))
        runs = load_partitions(keys, settings.workers, lambda _: progress.advance(task))
    failed = [run for run in runs if not run.success]
    for run in failed:
        console.print(f"[red]Partition {run.ags} fehlgeschlagen:[/red] {shown(run.message)}")
    with console.status("Vergleich und Landesbericht bauen …"):
        result = compare(settings)
    layout = LandLayout(settings.land_dir)
    if not result.success:
        console.print(f"[red]Vergleich fehlgeschlagen[/red] (Lauf {result.run_id[:8]}).")
        return False
    console.print(
        f"[green]{len(runs) - len(failed)} Kommunen geladen, Vergleich gebaut.[/green]\n"
        f"Land-DuckDB (nur lesend öffnen): {shown(layout.published)}\n"
        f"Landesbericht: {shown(layout.report)}\n"
        f"Arbeitsmappe:  {shown(layout.workbook)}"
    )
    return not failed


@land.command()
@land_dir_option
def status(land_dir: Path | None) -> None:
    """Kommunen, ihre Pakete und Partitionen, wartende und abgelehnte Pakete zeigen."""
    from rich.console import Console

    from pipelines.land_status import show_land

    settings = land_settings(land_dir=land_dir)
    out = Console(width=None if sys.stdout.isatty() else PIPED_WIDTH)
    show_land(out, settings)


@land.command()
@option("--port", default=3001, metavar="PORT", help="Port der Weboberfläche (Standard: 3001).")
def dev(port: int) -> None:
    """Die Dagster-Oberfläche der Landesauswertung auf 127.0.0.1 starten."""
    settings = land_settings()
    env = {**os.environ, **dagster_environment(), **settings.env()}
    exec_dagster_dev("pipelines.land", port, env, PROJECT_ROOT)
