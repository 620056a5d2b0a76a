"""Assets that run one library step on the live warehouse and show what it reports."""

from collections.abc import Callable, Sequence

import dagster as dg
import duckdb

from assets.keys import POOL
from assets.metadata import materialized
from assets.resources import Warehouse
from indicators.display.summary import StepResult

Step = Callable[[duckdb.DuckDBPyConnection, str], StepResult]
"""A library step: (connection to the live warehouse, run id) -> what it reports."""


def warehouse_asset(
    key: dg.AssetKey,
    group: str,
    deps: Sequence[dg.AssetKey],
    description: str,
    step: Step,
) -> dg.AssetsDefinition:
    """An asset in the writers' pool whose materialisation is ``step``."""

    @dg.asset(
        key=key,
        group_name=group,
        kinds={"duckdb", "pandas"},
        deps=deps,
        pool=POOL,
        description=description,
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            result = step(con, context.run.run_id)
        return materialized(context, result)

    return _asset
