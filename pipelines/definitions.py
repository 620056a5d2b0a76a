"""The one place that assembles the Dagster Definitions of kekiz."""

from __future__ import annotations

import dagster as dg

from assets.export import evaluation_export
from assets.freshness import FRESHNESS_CHECKS
from assets.indicators import INDICATOR_ASSETS, INDICATOR_CHECKS
from assets.ingestion import INGESTION_ASSETS, POOL, staging_key
from assets.measures import MEASURE_ASSETS
from assets.publishing import published_copy_asset
from pipelines.automation import AUTOMATION_SENSOR, YEARLY_EXPORTS, follow_deliveries
from pipelines.resources import DeliveryFolders, ExportTarget, Warehouse
from pipelines.schedules import build_schedules
from pipelines.sensors import DELIVERY_SENSORS
from pipelines.settings import Settings
from schemas.checks import schema_checks
from schemas.registry import SOURCES

ALL_ASSETS_JOB = "alles_materialisieren"


def build_definitions(settings: Settings) -> dg.Definitions:
    checks = [
        check
        for source in SOURCES.values()
        for check in schema_checks(source, staging_key(source.name), POOL)
    ]
    derived = [*INDICATOR_ASSETS, *MEASURE_ASSETS]
    published = published_copy_asset([key for a in derived for key in a.keys])
    assets = follow_deliveries([*INGESTION_ASSETS, *derived, published, evaluation_export])
    return dg.Definitions(
        assets=assets,
        asset_checks=[*checks, *INDICATOR_CHECKS, *FRESHNESS_CHECKS],
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
        sensors=[*DELIVERY_SENSORS, AUTOMATION_SENSOR],
        resources={
            "warehouse": Warehouse(
                path=str(settings.warehouse), published_path=str(settings.published)
            ),
            "folders": DeliveryFolders.from_settings(settings),
            "exports": ExportTarget.from_settings(settings),
        },
        executor=dg.in_process_executor,
    )


defs = build_definitions(Settings.from_env())
