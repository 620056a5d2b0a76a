"""The German comment on every table, view and column, generated from the declarations.

Static tables and views are declared in ``warehouse/columns.yaml`` and ``warehouse/tables.yaml``
(``schemas/columns.py``); the staging and quarantine table of each source and the indicator
columns of ``mart.quartiersprofil`` are declared here, from the source schemas, their header
mappings and the catalogue.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb

from indicators.compute.catalogue import Catalogue
from indicators.ingest.mapping import load_mapping
from indicators.store.connection import sql_literal
from schemas.columns import ColumnDoc, ColumnDocs, TableDoc, load_column_docs
from schemas.registry import SOURCES

SCHEMAS = ("meta", "raw", "staging", "quarantine", "core", "mart")
"""The warehouse's own schemas: every relation in them is commented."""
PROFILE = "mart.quartiersprofil"


def warehouse_docs(catalogue: Catalogue) -> ColumnDocs:
    """Every declaration, static and generated."""
    docs = load_column_docs()
    generated: dict[str, TableDoc] = {}
    for source in SOURCES.values():
        titles = load_mapping(source.name).titles()
        delivered = {
            column: ColumnDoc(f"Lieferspalte '{titles.get(column, column)}'.")
            for column in source.columns()
        }
        generated[f"staging.{source.name}"] = TableDoc(
            f"Gültige Zeilen aller Lieferungen: {source.description}", delivered
        )
        generated[f"quarantine.{source.name}"] = TableDoc(
            f"Abgelehnte Zeilen der Quelle {source.title}, Zellen als gelieferter Text.", delivered
        )
    profile = docs.table(PROFILE)
    indicators = {
        ind.id: ColumnDoc(f"{ind.label} ({ind.unit}).", title=ind.label, unit=ind.unit)
        for ind in catalogue.indicators
    }
    generated[PROFILE] = replace(profile, columns={**profile.columns, **indicators})
    return docs.with_tables(generated)


def comment_statements(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> list[str]:
    """COMMENT ON every relation of the warehouse's schemas and on each of its columns."""
    docs = warehouse_docs(catalogue)
    schemas = ", ".join(map(sql_literal, SCHEMAS))
    views = {
        f"{s}.{v}"
        for s, v in con.sql(
            f"SELECT schema_name, view_name FROM duckdb_views() WHERE schema_name IN ({schemas})"
        ).fetchall()
    }
    columns = con.sql(
        "SELECT schema_name || '.' || table_name, column_name FROM duckdb_columns() "
        f"WHERE schema_name IN ({schemas}) ORDER BY schema_name, table_name, column_index"
    ).fetchall()
    statements = []
    for relation in dict.fromkeys(name for name, _ in columns):
        kind = "VIEW" if relation in views else "TABLE"
        text = sql_literal(docs.table(relation).description)
        statements.append(f"COMMENT ON {kind} {relation} IS {text}")
    statements += [
        f"COMMENT ON COLUMN {relation}.{column} IS "
        + sql_literal(docs.column(relation, column).description)
        for relation, column in columns
    ]
    return statements
