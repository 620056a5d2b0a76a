"""The German comment on every table, view and column, generated from the declarations.

Static tables and views are declared in ``warehouse/columns.yaml`` and ``warehouse/tables.yaml``
(``schemas/columns.py``); the staging and quarantine table of each source and the indicator
columns of ``mart.quartiersprofil`` are declared here, from the source schemas, their header
mappings and the catalogue.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    """COMMENT ON every relation of the warehouse's schemas and on each of its columns whose
    comment differs from its declaration (none on a warehouse that is up to date)."""
    return declared_comments(con, warehouse_docs(catalogue), SCHEMAS)


def declared_comments(
    con: duckdb.DuckDBPyConnection, docs: ColumnDocs, schemas: Sequence[str]
) -> list[str]:
    """COMMENT ON every relation in ``schemas`` and each of its columns as ``docs`` declare
    them, where the comment in the database differs."""
    names = ", ".join(map(sql_literal, schemas))
    relations = con.sql(
        "SELECT schema_name || '.' || table_name, 'TABLE', comment FROM duckdb_tables() "
        f"WHERE schema_name IN ({names}) UNION ALL "
        "SELECT schema_name || '.' || view_name, 'VIEW', comment FROM duckdb_views() "
        f"WHERE schema_name IN ({names})"
    ).fetchall()
    columns = con.sql(
        "SELECT schema_name || '.' || table_name, column_name, comment FROM duckdb_columns() "
        f"WHERE schema_name IN ({names})"
    ).fetchall()
    statements = [
        f"COMMENT ON {kind} {relation} IS {sql_literal(text)}"
        for relation, kind, comment in relations
        if comment != (text := docs.table(relation).description)
    ]
    statements += [
        f"COMMENT ON COLUMN {relation}.{column} IS {sql_literal(text)}"
        for relation, column, comment in columns
        if comment != (text := docs.column(relation, column).description)
    ]
    return statements
