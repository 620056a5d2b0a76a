"""Checks on the staging table of each source.

* ``schema_gueltig`` (blocking): the whole staging table passes the pandera schema, the key
  is unique across deliveries and every area and measure reference resolves. Downstream
  assets do not run on a failure.
* ``lieferungen_ohne_befund`` (warning): the deliveries loaded in this run had no rejected
  file and no quarantined row; otherwise every finding is listed with file, row, column and
  rule.
* ``summen_abgeglichen`` (warning, sources per area): every total row a delivery of this run
  carried (a district, the municipality) equals the sum of its finest areas in that delivery;
  otherwise every difference is listed per field and year.
* ``daten_aktuell`` (warning, on the Sozialstrukturatlas and the Schuleingangsuntersuchung):
  the newest reference date is at most 15 months old.
"""

import datetime as dt
from collections.abc import Callable

import dagster as dg

from assets.keys import POOL, staging_key
from assets.metadata import check_result
from indicators.compute.catalogue import Catalogue
from indicators.compute.freshness import MAX_AGE_MONTHS
from indicators.store.delivery_checks import (
    data_current,
    run_differences,
    run_findings,
    staging_findings,
)
from schemas.registry import SOURCES
from schemas.source import SourceSchema

FRESHNESS_CHECK = "daten_aktuell"
WATCHED_SOURCES = ("sozialstrukturatlas", "schuleingang")
WARN = dg.AssetCheckSeverity.WARN


def schema_checks(source: SourceSchema, catalogue: Catalogue) -> list[dg.AssetChecksDefinition]:
    @dg.asset_check(
        asset=staging_key(source.name),
        name="schema_gueltig",
        blocking=True,
        pool=POOL,
        required_resource_keys={"warehouse"},
        description=(
            f"Prüft alle Zeilen von staging.{source.name} mit dem pandera-Schema: Typen, "
            "nicht-negative Anzahlen, Teilmengen höchstens so groß wie ihre Grundgesamtheit, "
            "Summenregeln, eindeutiger Schlüssel, Gebiet bekannt und gültig. Blockierend."
        ),
    )
    def _schema_valid(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        with context.resources.warehouse.connect() as con:
            return check_result(staging_findings(con, source, catalogue.by_id()))

    @dg.asset_check(
        asset=staging_key(source.name),
        name="lieferungen_ohne_befund",
        blocking=False,
        pool=POOL,
        required_resource_keys={"warehouse"},
        description=(
            "Warnt, wenn in diesem Lauf eine Datei abgelehnt oder Zeilen in die Quarantäne "
            "verschoben wurden, und listet jeden Befund mit Datei, Zeile, Spalte und Regel."
        ),
    )
    def _deliveries_clean(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        with context.resources.warehouse.connect() as con:
            return check_result(run_findings(con, source.name, context.run.run_id), WARN)

    if source.area_column is None:
        return [_schema_valid, _deliveries_clean]

    @dg.asset_check(
        asset=staging_key(source.name),
        name="summen_abgeglichen",
        blocking=False,
        pool=POOL,
        required_resource_keys={"warehouse"},
        description=(
            "Warnt, wenn eine in diesem Lauf gelieferte Summenzeile (ein Bezirk, die Kommune) "
            "nicht die Summe ihrer Gebiete der feinsten Ebene in derselben Lieferung ist, und "
            "listet jede Abweichung je Spalte und Jahr. Es wird nichts angepasst."
        ),
    )
    def _totals_reconciled(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        with context.resources.warehouse.connect() as con:
            return check_result(run_differences(con, source.name, context.run.run_id), WARN)

    return [_schema_valid, _deliveries_clean, _totals_reconciled]


def freshness_check(
    source: SourceSchema, today: Callable[[], dt.date] = dt.date.today
) -> dg.AssetChecksDefinition:
    """A warning check on the staging table of ``source``; ``today`` is injectable for tests."""
    month, day = source.reference_day

    @dg.asset_check(
        asset=staging_key(source.name),
        name=FRESHNESS_CHECK,
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
            return check_result(data_current(con, source, today()), WARN)

    return _fresh


FRESHNESS_CHECKS = [freshness_check(SOURCES[name]) for name in WATCHED_SOURCES]


def delivery_checks(catalogue: Catalogue) -> list[dg.AssetChecksDefinition]:
    return [
        *(check for source in SOURCES.values() for check in schema_checks(source, catalogue)),
        *FRESHNESS_CHECKS,
    ]
