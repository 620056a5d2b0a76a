"""``kekiz land status``: every municipality with its current package and partition, the
packages waiting or rejected, the Land file and the last runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
from dagster import DagsterInstance
from rich.console import Console
from rich.table import Table

from indicators.land.landing import package_entries
from indicators.land.layout import LandLayout
from indicators.land.partitions import MANIFEST_TABLE, PARTITION_FILE, partition_folder
from indicators.land.store import REJECTED, LandStore
from pipelines.run_recovery import release_dead_runs
from pipelines.settings import LandSettings
from pipelines.status import show_runs
from pipelines.terminal import shown

RUNS_SHOWN = 10


def show_land(out: Console, settings: LandSettings) -> None:
    layout = LandLayout(settings.land_dir)
    store = layout.store
    show_municipalities(out, layout, store)
    show_folders(out, layout)
    with DagsterInstance.get() as instance:
        release_dead_runs(instance)
        show_runs(out, instance, RUNS_SHOWN)


def show_municipalities(out: Console, layout: LandLayout, store: LandStore) -> None:
    history = store.history()
    keys = store.municipalities()
    if not keys:
        out.print(f"Noch kein Paket angenommen (Ordner {shown(layout.root)}).")
        return
    table = Table(title=f"{len(keys)} Kommunen")
    for column in ("AGS", "Kommune", "aktuelles Paket", "erstellt", "Pakete", "Partition"):
        table.add_column(column)
    for ags in keys:
        current = store.current(ags)
        assert current is not None
        own = [line for line in history if line.get("ags") == ags]
        accepted = [line for line in own if line.get("status") != REJECTED]
        latest = next((line for line in reversed(own) if line.get("paket") == current.name), {})
        partition = partition_folder(layout.data, MANIFEST_TABLE, ags) / PARTITION_FILE
        table.add_row(
            ags,
            shown(latest.get("kommune", "")),
            shown(current.name),
            shown(latest.get("erstellt", "")),
            str(len({line.get("paket") for line in accepted})),
            _partition_state(partition, current.name),
        )
    out.print(table)


def _partition_state(partition: Path, current: str) -> str:
    """Whether the municipality's partition holds its current package."""
    if not partition.exists():
        return "[yellow]nicht geladen[/yellow]"
    [(loaded,)] = duckdb.execute("SELECT paket FROM read_parquet(?)", [str(partition)]).fetchall()
    if loaded != current:
        return f"[yellow]älteres Paket geladen ({shown(loaded)})[/yellow]"
    return "[green]geladen[/green]"


def show_folders(out: Console, layout: LandLayout) -> None:
    waiting = package_entries(layout.store.incoming)
    rejected = package_entries(layout.store.rejected)
    out.print(
        f"Eingangsordner {shown(layout.store.incoming)}: {len(waiting)} Paket(e) warten"
        + "".join(f"\n  {shown(p.name)}" for p in waiting)
    )
    out.print(
        f"Abgelehnt {shown(layout.store.rejected)}: {len(rejected)} Paket(e) mit Prüfbericht"
        + "".join(f"\n  {shown(p.name)}" for p in rejected)
    )
    if layout.published.exists():
        built = dt.datetime.fromtimestamp(layout.published.stat().st_mtime)
        out.print(
            f"Land-DuckDB (nur lesend): {shown(layout.published)}, gebaut {built:%d.%m.%Y %H:%M}"
        )
    else:
        out.print("[yellow]Noch keine Land-DuckDB gebaut[/yellow] – `kekiz land run` ausführen.")
