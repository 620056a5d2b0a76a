"""Freshness checks: warn when the newest delivered year of a source is too old."""

import datetime as dt
from collections.abc import Callable

import dagster as dg

from assets.ingestion import POOL, staging_key
from indicators.compute.freshness import MAX_AGE_MONTHS, freshness, german_date, newest_year
from schemas.registry import SOURCES
from schemas.source import SourceSchema

CHECK_NAME = "daten_aktuell"
WATCHED_SOURCES = ("sozialstrukturatlas", "schuleingang")


def freshness_check(
    source: SourceSchema, today: Callable[[], dt.date] = dt.date.today
) -> dg.AssetChecksDefinition:
    """A warning check on the staging table of ``source``; ``today`` is injectable for tests."""
    month, day = source.reference_day

    @dg.asset_check(
        asset=staging_key(source.name),
        name=CHECK_NAME,
        blocking=False,
        pool=POOL,
        required_resource_keys={"warehouse"},
        description=(
            f"Warnt, wenn der neueste Stichtag in staging.{source.name} (der "
            f"{day:02d}.{month:02d}. des neuesten Jahres) älter als {MAX_AGE_MONTHS} Monate ist."
        ),
    )
    def _fresh(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        with context.resources.warehouse.connect() as con:
            year = newest_year(con, source.name)
        state = freshness(year, source.reference_day, today())
        return dg.AssetCheckResult(
            passed=not state.stale,
            severity=dg.AssetCheckSeverity.WARN,
            description=state.message(),
            metadata={
                "neuester_stichtag": german_date(state.newest),
                "aktuell_bis": german_date(state.stale_after),
            },
        )

    return _fresh


FRESHNESS_CHECKS = [freshness_check(SOURCES[name]) for name in WATCHED_SOURCES]
