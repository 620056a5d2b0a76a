"""Checks on the staged deliveries of one source: the whole staging table against its schema,
the findings of the files loaded in one run, and whether the newest delivered year is recent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import duckdb
import pandas as pd

from indicators.compute.freshness import freshness, german_date
from indicators.display.summary import CheckResult, Listing
from indicators.ingest.validation import validate_typed
from indicators.store.loading import warehouse_references
from indicators.store.profile import stored_profile
from indicators.store.schema import LINEAGE_COLUMNS
from schemas.source import SourceSchema

MAX_LISTED = 200
RUN_FINDINGS = """
    SELECT f.file_name AS Datei, f.source_row AS Zeile, f.column_title AS Spalte,
           f.value AS Wert, f.rule AS Regel
    FROM quarantine.findings f
    JOIN raw.deliveries d ON d.source = f.source AND d.sha256 = f.delivery_sha256
    WHERE d.source = ? AND d.run_id = ?
    ORDER BY f.file_name, f.source_row
"""
RUN_DIFFERENCES = """
    SELECT d.file_name AS Datei, a.jahr AS Jahr, coalesce(g.ebene, '') AS Ebene,
           coalesce(g.gebiet_name, a.gebiet_id) AS Gebiet, a.spalte AS Spalte,
           a.geliefert AS Geliefert, a.summe_teilgebiete AS "Summe der Teilgebiete",
           a.differenz AS Differenz
    FROM quarantine.abgleich a
    JOIN raw.deliveries d ON d.sha256 = a.delivery_sha256
    LEFT JOIN staging.gebiete g ON g.gebiet_id = a.gebiet_id
    WHERE d.source = ? AND d.run_id = ?
    ORDER BY d.file_name, a.jahr, g.ebene, Gebiet, a.spalte
"""
RUN_STATUS = """
    SELECT status, count(*) FROM raw.deliveries WHERE source = ? AND run_id = ?
    GROUP BY status ORDER BY status
"""


def staging_findings(
    con: duckdb.DuckDBPyConnection, source: SourceSchema, indicator_ids: Iterable[str]
) -> CheckResult:
    """Every row of ``staging.<source>`` against the source schema, its key across deliveries
    and its references; each finding with delivery, row, column, value and rule."""
    frame = con.sql(f"SELECT * FROM staging.{source.name}").df()
    refs = warehouse_references(con, indicator_ids)
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
    return CheckResult(
        passed=not findings,
        summary={
            "zeilen_geprueft": len(frame),
            "befunde": len(findings),
            "befundliste": Listing(listed, MAX_LISTED),
        },
    )


def run_findings(con: duckdb.DuckDBPyConnection, source: str, run_id: str) -> CheckResult:
    """Passed when the files of ``source`` loaded in run ``run_id`` had no finding."""
    findings = con.execute(RUN_FINDINGS, [source, run_id]).df()
    status = con.execute(RUN_STATUS, [source, run_id]).fetchall()
    return CheckResult(
        passed=findings.empty,
        summary={
            "lieferungen_nach_status": {s: int(n) for s, n in status},
            "befunde": len(findings),
            "befundliste": Listing(findings, MAX_LISTED),
        },
    )


def run_differences(con: duckdb.DuckDBPyConnection, source: str, run_id: str) -> CheckResult:
    """Passed when every total delivered in run ``run_id`` equals the sum of its finest areas."""
    found = con.execute(RUN_DIFFERENCES, [source, run_id]).df()
    return CheckResult(
        passed=found.empty,
        summary={"abweichungen": len(found), "abweichungsliste": Listing(found, MAX_LISTED)},
    )


def newest_year(con: duckdb.DuckDBPyConnection, source: str) -> int | None:
    """The newest ``jahr`` staged for a source (None when nothing is staged yet)."""
    try:
        [(year,)] = con.execute(f"SELECT max(jahr) FROM staging.{source}").fetchall()
    except duckdb.CatalogException:
        return None
    return year


def data_current(
    con: duckdb.DuckDBPyConnection, source: SourceSchema, today: dt.date
) -> CheckResult:
    """Passed when the newest reference date of ``source`` is recent enough."""
    reference_day = stored_profile(con).reference_day(source.name, source.reference_day)
    state = freshness(newest_year(con, source.name), reference_day, today)
    return CheckResult(
        passed=not state.stale,
        summary={
            "neuester_stichtag": german_date(state.newest),
            "aktuell_bis": german_date(state.stale_after),
        },
        description=state.message(),
    )
