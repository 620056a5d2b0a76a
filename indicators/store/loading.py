"""Writing checked deliveries into the DuckDB warehouse, one transaction per source."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from indicators.ingest.archive import archive_file, sha256_of
from indicators.ingest.delivery import STATUS_REJECTED, DeliveryCheck, check_delivery
from indicators.ingest.mapping import load_mapping
from indicators.ingest.numbers import cell_text
from indicators.ingest.validation import SUPPRESSED_COLUMN, References, parse_kind
from indicators.store.connection import insert_frame, sql_literal, transaction
from schemas.registry import SOURCES
from schemas.source import SourceSchema

SQL_DIR = Path(__file__).resolve().parents[2] / "warehouse" / "sql"
DUCKDB_TYPES = {
    "year": "INTEGER",
    "count": "BIGINT",
    "number": "DOUBLE",
    "date": "DATE",
    "bool": "BOOLEAN",
    "text": "VARCHAR",
}
LINEAGE_COLUMNS = {"delivery_sha256": "VARCHAR NOT NULL", "source_row": "INTEGER NOT NULL"}
FIXED_COMMENTS = {
    SUPPRESSED_COLUMN: "Felder, die in der Lieferung gesperrt oder unbekannt ('.') waren.",
    "delivery_sha256": "SHA-256 der Lieferung, aus der die Zeile stammt (siehe raw.deliveries).",
    "source_row": "Zeilennummer in der gelieferten Datei (bei XLSX: Excel-Zeile).",
    "grund": "Warum die Zeile nicht übernommen wurde: verletzte Regeln mit Spalte und Wert.",
}


@dataclass
class LoadedDelivery:
    """What happened to one file in one run."""

    file_name: str
    sha256: str
    check: DeliveryCheck | None
    """None when the same content was loaded before and is skipped."""
    duplicate_of: str | None = None
    """For a skipped file: the name under which its content was delivered first."""

    @property
    def skipped(self) -> bool:
        return self.check is None


def ensure_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    con.execute((SQL_DIR / "ingest.sql").read_text(encoding="utf-8"))
    for source in SOURCES.values():
        con.execute(staging_ddl(source))
        con.execute(quarantine_ddl(source))
        con.execute(";\n".join(source_comments(source)))


def source_comments(source: SourceSchema) -> list[str]:
    """German comments on the staging and quarantine table of a source and their columns."""
    titles = load_mapping(source.name).titles()
    staged = f"Gültige Zeilen aller Lieferungen: {source.description}"
    rejected = f"Abgelehnte Zeilen der Quelle {source.title}, Zellen als gelieferter Text."
    statements = [
        f"COMMENT ON TABLE staging.{source.name} IS {sql_literal(staged)}",
        f"COMMENT ON TABLE quarantine.{source.name} IS {sql_literal(rejected)}",
    ]
    layouts = {
        "staging": [*source.columns(), SUPPRESSED_COLUMN, *LINEAGE_COLUMNS],
        "quarantine": [*source.columns(), *LINEAGE_COLUMNS, "grund"],
    }
    for table, columns in layouts.items():
        for column in columns:
            text = FIXED_COMMENTS.get(column) or f"Lieferspalte '{titles.get(column, column)}'."
            statements.append(
                f"COMMENT ON COLUMN {table}.{source.name}.{column} IS {sql_literal(text)}"
            )
    return statements


def staging_ddl(source: SourceSchema) -> str:
    columns = [f"{name} {DUCKDB_TYPES[parse_kind(col)]}" for name, col in source.columns().items()]
    columns.append(f"{SUPPRESSED_COLUMN} VARCHAR")
    columns += [f"{name} {kind}" for name, kind in LINEAGE_COLUMNS.items()]
    return f"CREATE TABLE IF NOT EXISTS staging.{source.name} ({', '.join(columns)})"


def quarantine_ddl(source: SourceSchema) -> str:
    columns = [f"{name} VARCHAR" for name in source.columns()]
    columns += [f"{name} {kind}" for name, kind in LINEAGE_COLUMNS.items()]
    columns.append("grund VARCHAR NOT NULL")
    return f"CREATE TABLE IF NOT EXISTS quarantine.{source.name} ({', '.join(columns)})"


def known_deliveries(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, str]:
    """The sha256 of every recorded delivery of a source, with its file name."""
    rows = con.execute(
        "SELECT sha256, file_name FROM raw.deliveries WHERE source = ?", [source]
    ).fetchall()
    return dict(rows)


def warehouse_references(con: duckdb.DuckDBPyConnection) -> References:
    areas = con.sql("SELECT gebiet_id, gueltig_ab, gueltig_bis FROM staging.gebiete").df()
    for column in ("gueltig_ab", "gueltig_bis"):
        areas[column] = pd.to_datetime(areas[column])
    measures = con.sql("SELECT massnahme_id FROM staging.massnahmen").fetchall()
    return References(areas=areas, keys={"massnahmen": frozenset(m for (m,) in measures)})


def ingest_source(
    con: duckdb.DuckDBPyConnection,
    source_name: str,
    files: list[Path],
    archive_dir: Path,
    run_id: str | None = None,
) -> list[LoadedDelivery]:
    """Archive, check and stage every new file of one source in a single transaction.

    Files whose content (sha256) is already recorded are skipped. A later file replaces the
    staged rows with the same key. On any error nothing is written.
    """
    ensure_warehouse(con)
    refs = warehouse_references(con)
    seen = known_deliveries(con, source_name)
    results: list[LoadedDelivery] = []
    with transaction(con):
        for path in files:
            sha = sha256_of(path)
            if sha in seen:
                results.append(LoadedDelivery(path.name, sha, None, duplicate_of=seen[sha]))
                continue
            seen[sha] = path.name
            archived = archive_file(path, sha, source_name, archive_dir)
            check = check_delivery(path, source_name, refs)
            _write_delivery(con, check, sha, archived, run_id)
            results.append(LoadedDelivery(path.name, sha, check))
    return results


def _write_delivery(
    con: duckdb.DuckDBPyConnection,
    check: DeliveryCheck,
    sha: str,
    archived: Path,
    run_id: str | None,
) -> None:
    source = check.source
    path = check.path
    received = dt.datetime.fromtimestamp(path.stat().st_mtime)
    message = check.rejection or ("; ".join(check.warnings) or None)
    con.execute(
        "INSERT INTO raw.deliveries VALUES "
        "(?, ?, ?, ?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            source.name,
            sha,
            path.name,
            path.stat().st_size,
            received,
            str(archived),
            check.table.encoding if check.table else None,
            check.rows_read,
            check.rows_staged,
            check.rows_quarantined,
            check.table.total_rows_dropped if check.table else 0,
            check.status,
            message,
            run_id,
        ],
    )
    findings = pd.DataFrame(
        {
            "source": source.name,
            "delivery_sha256": sha,
            "file_name": path.name,
            "source_row": [f.row for f in check.findings],
            "column_name": [f.column for f in check.findings],
            "column_title": [check.column_title(f.column) for f in check.findings],
            "value": [f.value for f in check.findings],
            "rule": [f.rule for f in check.findings],
        }
    )
    if check.status == STATUS_REJECTED:
        findings = pd.DataFrame(
            [[source.name, sha, path.name, None, None, None, None, check.rejection]],
            columns=findings.columns,
        )
    insert_frame(con, "quarantine.findings", findings)
    if check.rows is None:
        return
    _stage(con, source, check, sha)
    _quarantine(con, source, check, sha)


def _stage(con: duckdb.DuckDBPyConnection, source: SourceSchema, check: DeliveryCheck, sha: str):
    assert check.rows is not None
    valid = check.rows.valid.copy()
    if valid.empty:
        return
    valid["delivery_sha256"] = sha
    valid["source_row"] = valid.index.astype("int64")
    con.register("_new_rows", valid)
    try:
        key_match = " AND ".join(f"s.{k} = n.{k}" for k in source.key)
        con.execute(
            f"DELETE FROM staging.{source.name} s WHERE EXISTS "
            f"(SELECT 1 FROM _new_rows n WHERE {key_match})"
        )
        con.execute(f"INSERT INTO staging.{source.name} BY NAME SELECT * FROM _new_rows")
    finally:
        con.unregister("_new_rows")


def _quarantine(
    con: duckdb.DuckDBPyConnection, source: SourceSchema, check: DeliveryCheck, sha: str
):
    assert check.table is not None
    reasons = check.reasons_by_row()
    if not reasons:
        return
    raw = check.table.frame.loc[sorted(reasons)]
    rows = raw.map(lambda v: cell_text(v) or None).astype("string")
    rows["delivery_sha256"] = sha
    rows["source_row"] = raw.index.astype("int64")
    rows["grund"] = [reasons[r] for r in raw.index]
    insert_frame(con, f"quarantine.{source.name}", rows)
