"""The one place that assembles the Dagster Definitions of kekiz."""

from __future__ import annotations

import dagster as dg

from assets.indicators import INDICATOR_ASSETS, INDICATOR_CHECKS
from assets.ingestion import INGESTION_ASSETS, POOL, staging_key
from assets.publishing import published_copy_asset
from pipelines.resources import DeliveryFolders, Warehouse
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
    derived = INDICATOR_ASSETS
    published = published_copy_asset([key for a in derived for key in a.keys])
    return dg.Definitions(
        assets=[*INGESTION_ASSETS, *derived, published],
        asset_checks=[*checks, *INDICATOR_CHECKS],
        jobs=[
            dg.define_asset_job(
                ALL_ASSETS_JOB,
                selection=dg.AssetSelection.all(),
                description="Alle Lieferungen einlesen, prüfen und alle Assets berechnen.",
            )
        ],
        resources={
            "warehouse": Warehouse(
                path=str(settings.warehouse), published_path=str(settings.published)
            ),
            "folders": DeliveryFolders(
                data_dir=str(settings.data_dir), archive_dir=str(settings.archive_dir)
            ),
        },
        executor=dg.in_process_executor,
    )


defs = build_definitions(Settings.from_env())
