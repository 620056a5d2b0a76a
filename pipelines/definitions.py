"""The one place that assembles the Dagster Definitions of kekiz."""

from __future__ import annotations

import dagster as dg

from assets.atlas import sozialatlas
from assets.deliveries import staging_assets
from assets.delivery_checks import delivery_checks
from assets.export import auswertungspaket
from assets.geometries import GEOMETRY_CHECKS, geometry_asset
from assets.indicator_facts import indicator_assets, indicator_checks
from assets.measures import measure_assets
from assets.publishing import published_copy_asset
from assets.resources import AtlasTarget, DeliveryFolders, ExportTarget, Warehouse
from indicators.compute.catalogue import load_catalogue
from pipelines.alerts import fehlermeldung_per_mail
from pipelines.automation import AUTOMATION_SENSOR, YEARLY_EXPORTS, follow_deliveries
from pipelines.run_recovery import verwaiste_laeufe_freigeben
from pipelines.schedules import build_schedules
from pipelines.sensors import delivery_sensors
from pipelines.settings import Settings

ALL_ASSETS_JOB = "alles_materialisieren"


def build_definitions(settings: Settings) -> dg.Definitions:
    catalogue = load_catalogue()
    derived = [*indicator_assets(catalogue), *measure_assets(catalogue)]
    published = published_copy_asset([key for a in derived for key in a.keys])
    deliveries = [*staging_assets(catalogue), geometry_asset(catalogue)]
    assets = follow_deliveries([*deliveries, *derived, published, sozialatlas, auswertungspaket])
    return dg.Definitions(
        assets=assets,
        asset_checks=[
            *delivery_checks(catalogue),
            *GEOMETRY_CHECKS,
            *indicator_checks(catalogue),
        ],
        jobs=[
            dg.define_asset_job(
                ALL_ASSETS_JOB,
                selection=dg.AssetSelection.all() - YEARLY_EXPORTS,
                description=(
                    "Alle Lieferungen einlesen, prüfen und alle Assets berechnen (ohne den "
                    "jährlichen Export)."
                ),
            )
        ],
        schedules=build_schedules(),
        sensors=[
            *delivery_sensors(),
            AUTOMATION_SENSOR,
            verwaiste_laeufe_freigeben,
            fehlermeldung_per_mail,
        ],
        resources={
            "warehouse": Warehouse(
                path=str(settings.warehouse), published_path=str(settings.published)
            ),
            "folders": DeliveryFolders(
                data_dir=str(settings.data_dir),
                archive_dir=str(settings.archive_dir),
                incoming_dir=str(settings.incoming_dir),
                rejected_dir=str(settings.rejected_dir),
            ),
            "exports": ExportTarget(
                export_dir=str(settings.export_dir),
                threshold=settings.suppression_threshold,
                method=settings.export_method,
                cell_key_file=str(settings.cell_key_path),
            ),
            "atlas": AtlasTarget(
                atlas_dir=str(settings.atlas_dir),
                threshold=settings.suppression_threshold,
                method=settings.atlas_method,
                cell_key_file=str(settings.cell_key_path),
            ),
        },
        executor=dg.in_process_executor,
    )


defs = build_definitions(Settings.from_env())
