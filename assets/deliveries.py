"""One asset per delivered source: archive, check and stage new deliveries into DuckDB."""

from collections.abc import Callable, Collection
from functools import partial
from pathlib import Path

import dagster as dg
from pydantic import Field

from assets.keys import DELIVERIES, DELIVERY_TAG, POOL, staging_key
from assets.metadata import materialized
from assets.resources import DeliveryFolders, Warehouse
from indicators.compute.catalogue import Catalogue
from indicators.display.summary import StepResult
from indicators.ingest.delivery import DELIVERY_SUFFIXES, STATUS_REJECTED, delivered_files
from indicators.ingest.landing import OutsideFolder, incoming_file
from indicators.ingest.mapping import MappingError
from indicators.store.loading import DeliveryMissing, load_deliveries
from schemas.profile import ProfileError, load_profile
from schemas.registry import SOURCES
from schemas.source import SourceSchema


class IngestionConfig(dg.Config):
    """Which files a run loads: by default every file in the delivery folder of the source."""

    eingangsdateien: list[str] = Field(
        default=[],
        description=(
            "Dateinamen im Eingangsordner der Quelle (vom Eingangs-Sensor gesetzt). Diese "
            "Dateien werden geladen und verlassen danach den Eingangsordner. Leer: alle "
            "Dateien des Lieferordners werden gelesen."
        ),
    )


def incoming_run_config(source: str, file_name: str) -> dg.RunConfig:
    """Run configuration that loads one file from the incoming folder of a source."""
    op_name = staging_key(source).to_python_identifier()
    return dg.RunConfig(ops={op_name: IngestionConfig(eingangsdateien=[file_name])})


def staging_asset(source: SourceSchema, catalogue: Catalogue) -> dg.AssetsDefinition:
    @dg.asset(
        key=staging_key(source.name),
        description=(
            f"{source.description}\n\nLiest neue Dateien – die vom Sensor gemeldete Datei im "
            f"Eingangsordner `incoming/{source.name}/` oder sonst alle Dateien im Lieferordner "
            f"`{source.name}/` –, archiviert sie unveränderlich (SHA-256), prüft sie und "
            f"übernimmt gültige Zeilen nach `staging.{source.name}`; ungültige Zeilen gehen "
            f"mit Begründung nach `quarantine.{source.name}`. Eine abgelehnte Datei kommt mit "
            f"Prüfbericht nach `rejected/{source.name}/`.\n\nWird eine Datei abgelehnt, schlägt "
            "der Lauf fehl und nennt Datei und Grund; festgehalten ist sie trotzdem. Eine "
            "teilweise geladene Lieferung (Zeilen in Quarantäne) steht als `hinweis` in den "
            f"Metadaten und als Lauf-Tag `{DELIVERY_TAG}: teilweise geladen`."
        ),
        group_name=DELIVERIES,
        kinds={"duckdb", "pandas"},
        deps=[staging_key(d) for d in source.depends_on],
        pool=POOL,
    )
    def _staging(
        context: dg.AssetExecutionContext,
        config: IngestionConfig,
        warehouse: Warehouse,
        folders: DeliveryFolders,
    ) -> dg.MaterializeResult:
        load = partial(load_deliveries, source_name=source.name)
        return load_source(context, config, warehouse, folders, source.name, load, catalogue)

    return _staging


def load_source(
    context: dg.AssetExecutionContext,
    config: IngestionConfig,
    warehouse: Warehouse,
    folders: DeliveryFolders,
    source: str,
    load: Callable[..., StepResult],
    catalogue: Catalogue,
    suffixes: Collection[str] = DELIVERY_SUFFIXES,
) -> dg.MaterializeResult:
    """Load the files the run names in ``incoming/<source>/`` (or else every file of the
    delivery folder) with ``load``; a missing file, a name outside the folder, an unusable
    profile or mapping fails the run with its German message."""
    try:
        incoming = [incoming_file(folders.incoming(source), n) for n in config.eingangsdateien]
        files = incoming or delivered_files(folders.source_dir(source), suffixes)
        profile = load_profile(Path(folders.data_dir), SOURCES)
        with warehouse.connect() as con:
            result = load(
                con,
                files=files,
                archive_dir=folders.archive_path(),
                catalogue=catalogue,
                run_id=context.run.run_id,
                rejected_dir=folders.rejected(source) if incoming else None,
                profile=profile,
                data_dir=Path(folders.data_dir),
            )
    except (OutsideFolder, DeliveryMissing, ProfileError, MappingError) as exc:
        raise dg.Failure(str(exc)) from exc
    if result.status is not None:
        flag_run(context, result.status)
    return materialized(context, result)


def flag_run(context: dg.AssetExecutionContext, status: str) -> None:
    """Tag the run with the worst delivery status of its sources (``abgelehnt`` wins)."""
    run = context.instance.get_run_by_id(context.run.run_id)
    tags = run.tags if run is not None else {}
    if tags.get(DELIVERY_TAG) != STATUS_REJECTED:
        context.instance.add_run_tags(context.run.run_id, {DELIVERY_TAG: status})


def staging_assets(catalogue: Catalogue) -> list[dg.AssetsDefinition]:
    return [staging_asset(source, catalogue) for source in SOURCES.values()]
