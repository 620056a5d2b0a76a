"""Factory turning a source schema into Dagster asset checks on its staging table.

* ``schema_gueltig`` (blocking): the whole staging table passes the pandera schema, the key
  is unique across deliveries and every area and measure reference resolves. Downstream
  assets do not run on a failure.
* ``lieferungen_ohne_befund`` (warning): the deliveries loaded in this run had no rejected
  file and no quarantined row; otherwise every finding is listed with file, row, column and
  rule.
"""

import dagster as dg
import pandas as pd

from assets.metadata import markdown_table
from indicators.ingest.validation import validate_typed
from indicators.store.loading import LINEAGE_COLUMNS, warehouse_references
from schemas.source import SourceSchema

MAX_LISTED = 200


def schema_checks(
    source: SourceSchema, asset_key: dg.AssetKey, pool: str
) -> list[dg.AssetChecksDefinition]:
    @dg.asset_check(
        asset=asset_key,
        name="schema_gueltig",
        blocking=True,
        pool=pool,
        required_resource_keys={"warehouse"},
        description=(
            f"Prüft alle Zeilen von staging.{source.name} mit dem pandera-Schema: Typen, "
            "nicht-negative Anzahlen, Teilmengen höchstens so groß wie ihre Grundgesamtheit, "
            "Summenregeln, eindeutiger Schlüssel, Gebiet bekannt und gültig. Blockierend."
        ),
    )
    def _schema_valid(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        with context.resources.warehouse.connect() as con:
            frame = con.sql(f"SELECT * FROM staging.{source.name}").df()
            refs = warehouse_references(con)
        lineage = frame[list(LINEAGE_COLUMNS)]
        findings = validate_typed(frame.drop(columns=list(LINEAGE_COLUMNS)), source, refs)
        listed = pd.DataFrame(
            [
                {
                    "Lieferung": lineage.at[f.row, "delivery_sha256"][:12],
                    "Zeile": lineage.at[f.row, "source_row"],
                    "Spalte": f.column or "(ganze Zeile)",
                    "Wert": f.value,
                    "Regel": f.rule,
                }
                for f in findings[:MAX_LISTED]
            ]
        )
        return dg.AssetCheckResult(
            passed=not findings,
            metadata={
                "zeilen_geprueft": len(frame),
                "befunde": len(findings),
                "befundliste": markdown_table(listed, limit=MAX_LISTED),
            },
        )

    @dg.asset_check(
        asset=asset_key,
        name="lieferungen_ohne_befund",
        blocking=False,
        pool=pool,
        required_resource_keys={"warehouse"},
        description=(
            "Warnt, wenn in diesem Lauf eine Datei abgelehnt oder Zeilen in die Quarantäne "
            "verschoben wurden, und listet jeden Befund mit Datei, Zeile, Spalte und Regel."
        ),
    )
    def _deliveries_clean(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        with context.resources.warehouse.connect() as con:
            findings = con.execute(
                """
                SELECT f.file_name AS Datei, f.source_row AS Zeile, f.column_title AS Spalte,
                       f.value AS Wert, f.rule AS Regel
                FROM quarantine.findings f
                JOIN raw.deliveries d ON d.source = f.source AND d.sha256 = f.delivery_sha256
                WHERE d.source = ? AND d.run_id = ?
                ORDER BY f.file_name, f.source_row
                """,
                [source.name, context.run.run_id],
            ).df()
            status = con.execute(
                "SELECT status, count(*) FROM raw.deliveries WHERE source = ? AND run_id = ? "
                "GROUP BY status ORDER BY status",
                [source.name, context.run.run_id],
            ).fetchall()
        return dg.AssetCheckResult(
            passed=findings.empty,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "lieferungen_nach_status": {s: int(n) for s, n in status},
                "befunde": len(findings),
                "befundliste": markdown_table(findings, limit=MAX_LISTED),
            },
        )

    return [_schema_valid, _deliveries_clean]
