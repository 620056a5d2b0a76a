"""The assets of the state-level evaluation: one partition per municipality, then the
comparison marts and the Land report, each calling one library function."""

from datetime import datetime
from pathlib import Path

import dagster as dg

from assets.keys import (
    LAND,
    LAND_COMPARISON_KEY,
    LAND_REPORT_KEY,
    MUNICIPALITIES,
    MUNICIPALITY_PACKAGES_KEY,
)
from assets.metadata import as_metadata
from indicators.land.layout import LandLayout
from indicators.land.partitions import write_partition
from indicators.land.report import write_land_report
from indicators.land.store import LandStore
from indicators.land.warehouse import (
    LandWarehouseError,
    build_land_warehouse,
    publish_land_warehouse,
)
from indicators.land.workbook import write_land_workbook

LAND_POOL = "land_duckdb_writer"
"""The Land DuckDB file has one writer at a time; the partitions need none."""


class LandFolders(dg.ConfigurableResource):
    """The Land folder of the state-level evaluation and the Land's disclosure threshold."""

    land_dir: str
    min_threshold: int

    @property
    def layout(self) -> LandLayout:
        return LandLayout(Path(self.land_dir))

    def store(self) -> LandStore:
        return self.layout.store


@dg.asset(
    key=MUNICIPALITY_PACKAGES_KEY,
    group_name=LAND,
    partitions_def=MUNICIPALITIES,
    kinds={"parquet"},
    description=(
        "Die Tabellen des aktuellen Auswertungspakets einer Kommune als eigene "
        "Parquet-Partition `data/<Tabelle>/ags=<AGS>/`. Jede Kommune ist eine Partition, die "
        "die Paketannahme anlegt; Partitionen werden unabhängig und parallel geladen."
    ),
)
def kommunenpakete(context: dg.AssetExecutionContext, land: LandFolders) -> dg.MaterializeResult:
    ags = context.partition_key
    package = land.store().current(ags)
    if package is None:
        raise dg.Failure(
            f"Für {ags} liegt kein angenommenes Auswertungspaket vor; zuerst das Paket mit "
            "`kekiz land import` oder über den Eingangsordner annehmen."
        )
    rows = write_partition(package, land.layout.data)
    return dg.MaterializeResult(
        metadata={
            "paket": package.name,
            "partition": dg.MetadataValue.path(str(land.layout.data)),
            "zeilen": dg.MetadataValue.json(rows),
            "zeilen_gesamt": sum(rows.values()),
        }
    )


@dg.asset(
    key=LAND_COMPARISON_KEY,
    group_name=LAND,
    deps=[MUNICIPALITY_PACKAGES_KEY],
    pool=LAND_POOL,
    kinds={"duckdb"},
    automation_condition=dg.AutomationCondition.eager(),
    description=(
        "Die Land-DuckDB-Datei: Sichten über die Parquet-Partitionen aller Kommunen und die "
        "Vergleichs-Marts (Kommunen, Indikatoren je Kommune mit Rang und Medianen, "
        "Landeswerte nur aus ungesperrten Stadtwerten, Datenqualität, Abdeckung, "
        "Maßnahmenregister) und die Wirkung je Maßnahmentyp und Wirkindikator über alle "
        "Kommunen: föderiert gepoolt (wie eine gemeinsame Schätzung auf allen Quartieren, "
        "Cluster-Jackknife, Wild-Cluster-Bootstrap mit 9 999 Wiederholungen) und als "
        "Meta-Analyse (REML, Hartung-Knapp-Sidik-Jonkman, I², Vorhersageintervall), mit "
        "Bewertung. Neu gebaut nach jeder geänderten Partition und als nur lesbare Kopie "
        "veröffentlicht."
    ),
)
def landesvergleich(context: dg.AssetExecutionContext, land: LandFolders) -> dg.MaterializeResult:
    layout = land.layout
    try:
        built = build_land_warehouse(layout.root, land.store().history(), layout.database)
    except LandWarehouseError as exc:
        raise dg.Failure(str(exc)) from exc
    published = publish_land_warehouse(layout.database, layout.published)
    return dg.MaterializeResult(
        metadata={
            **as_metadata(built.summary),
            "veroeffentlicht": dg.MetadataValue.path(str(published)),
        }
    )


@dg.asset(
    key=LAND_REPORT_KEY,
    group_name=LAND,
    deps=[LAND_COMPARISON_KEY],
    kinds={"html", "xlsx"},
    automation_condition=dg.AutomationCondition.eager(),
    description=(
        "Der Landesbericht `berichte/bericht_land.html` (offline lesbar: Kleine Vielfache je "
        "Indikator mit Intervallen und Landeswert, ein Profil je Kommune, die "
        "Abdeckungsmatrix, Forest-Plot und Ereignisstudie der gepoolten Wirkung je "
        "Maßnahmentyp und Wirkindikator) und die Arbeitsmappe "
        "`berichte/landesauswertung.xlsx` für die Koordinierungsstelle."
    ),
)
def landesbericht(context: dg.AssetExecutionContext, land: LandFolders) -> dg.MaterializeResult:
    layout = land.layout
    layout.reports.mkdir(parents=True, exist_ok=True)
    summary = write_land_report(layout.published, layout.reports, datetime.now(), layout.outlines)
    write_land_workbook(layout.published, layout.workbook)
    return dg.MaterializeResult(
        metadata={
            **{k: v for k, v in summary.items() if k != "pfad"},
            "bericht": dg.MetadataValue.path(str(layout.report)),
            "arbeitsmappe": dg.MetadataValue.path(str(layout.workbook)),
        }
    )
