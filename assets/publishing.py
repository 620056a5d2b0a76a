"""The read-only copy of the warehouse that analysts open, published after every run."""

from pathlib import Path

import dagster as dg

from assets.ingestion import POOL
from indicators.store.publishing import publish
from pipelines.resources import Warehouse

PUBLISHED_KEY = dg.AssetKey(["veroeffentlichte_kopie"])


def published_copy_asset(deps: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """Publishing runs after every asset in ``deps``, so a failed step leaves the old copy."""

    @dg.asset(
        key=PUBLISHED_KEY,
        group_name="veroeffentlichung",
        kinds={"duckdb"},
        deps=deps,
        pool=POOL,
        description=(
            "Kopie des Warehouse für Analysen (nur lesend öffnen): nach jedem erfolgreichen "
            "Lauf vollständig geschrieben und dann in einem Schritt ausgetauscht. Wer die alte "
            "Kopie geöffnet hat, liest sie ungestört weiter. Anleitung: warehouse/README.md."
        ),
    )
    def _publish(warehouse: Warehouse) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            target = publish(con, Path(warehouse.path), Path(warehouse.published_path))
        return dg.MaterializeResult(
            metadata={
                "pfad": dg.MetadataValue.path(str(target)),
                "groesse_mib": round(target.stat().st_size / 2**20, 1),
            }
        )

    return _publish
