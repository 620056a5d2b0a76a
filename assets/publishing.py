"""The read-only copy of the warehouse that analysts open, published after every run."""

from pathlib import Path

import dagster as dg

from assets.keys import POOL, PUBLISHED_KEY, PUBLISHING
from assets.metadata import materialized
from assets.resources import Warehouse
from indicators.store.publishing import publish_copy


def published_copy_asset(deps: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """Publishing runs after every asset in ``deps``, so a failed step leaves the old copy."""

    @dg.asset(
        key=PUBLISHED_KEY,
        group_name=PUBLISHING,
        kinds={"duckdb"},
        deps=deps,
        pool=POOL,
        description=(
            "Kopie des Warehouse für Analysen (nur lesend öffnen): nach jedem erfolgreichen "
            "Lauf vollständig geschrieben und dann in einem Schritt ausgetauscht. Wer die alte "
            "Kopie geöffnet hat, liest sie ungestört weiter. Anleitung: warehouse/README.md."
        ),
    )
    def veroeffentlichte_kopie(
        context: dg.AssetExecutionContext, warehouse: Warehouse
    ) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            result = publish_copy(con, Path(warehouse.published_path))
        return materialized(context, result)

    return veroeffentlichte_kopie
