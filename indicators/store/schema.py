"""Creating and upgrading the warehouse: every table, view and comment comes from here.

``ensure_schema`` runs in one transaction, in this order:

1. ``warehouse/sql/tables/*.sql`` (by name): ``CREATE ... IF NOT EXISTS``, so a new warehouse
   gets the newest shape and an existing one keeps its data;
2. the staging and quarantine table of every source, from its pandera model;
3. every migration of ``warehouse/migrations/`` that this warehouse has not had yet, recorded
   in ``meta.schema_migrations``. A migration brings a table of an older warehouse into the
   newest shape and must leave a table already in that shape unchanged (``ADD COLUMN IF NOT
   EXISTS`` and the like): on a new warehouse it runs once too;
4. ``warehouse/sql/views/*.sql`` (by name) and ``mart.quartiersprofil`` from the catalogue;
5. the German comment on every table, view and column (``indicators/store/comments.py``).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from indicators.compute.catalogue import Catalogue
from indicators.store.comments import comment_statements
from indicators.store.connection import transaction
from schemas.fields import field_kind
from schemas.registry import SOURCES
from schemas.source import SUPPRESSED_COLUMN, SourceSchema

WAREHOUSE_DIR = Path(__file__).resolve().parents[2] / "warehouse"
TABLES_DIR = WAREHOUSE_DIR / "sql" / "tables"
VIEWS_DIR = WAREHOUSE_DIR / "sql" / "views"
MIGRATIONS_DIR = WAREHOUSE_DIR / "migrations"
MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
DUCKDB_TYPES = {
    "year": "INTEGER",
    "count": "BIGINT",
    "number": "DOUBLE",
    "date": "DATE",
    "bool": "BOOLEAN",
    "text": "VARCHAR",
}
LINEAGE_COLUMNS = {"delivery_sha256": "VARCHAR NOT NULL", "source_row": "INTEGER NOT NULL"}


def ensure_schema(con: duckdb.DuckDBPyConnection, catalogue: Catalogue) -> list[str]:
    """Create or upgrade every table, view and comment; return the migrations applied now."""
    with transaction(con):
        _run_files(con, TABLES_DIR)
        for source in SOURCES.values():
            con.execute(staging_ddl(source))
            con.execute(quarantine_ddl(source))
        applied = apply_migrations(con)
        _run_files(con, VIEWS_DIR)
        con.execute(quartiersprofil_sql(catalogue))
        for statement in comment_statements(con, catalogue):
            con.execute(statement)
    return applied


def _run_files(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    for path in sorted(folder.glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))


def migrations() -> list[tuple[int, str, Path]]:
    """Every migration file as (version, name, path), in order."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        match = MIGRATION_NAME.match(path.name)
        if match is None:
            raise ValueError(f"Migration {path.name}: Name muss <NNN>_<name>.sql sein")
        found.append((int(match[1]), match[2], path))
    versions = [version for version, _, _ in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"Migrationsnummern doppelt vergeben: {versions}")
    return found


def apply_migrations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply every migration not yet recorded in meta.schema_migrations, in order."""
    done = {v for (v,) in con.execute("SELECT version FROM meta.schema_migrations").fetchall()}
    applied = []
    for version, name, path in migrations():
        if version in done:
            continue
        con.execute(path.read_text(encoding="utf-8"))
        con.execute(
            "INSERT INTO meta.schema_migrations VALUES (?, ?, now()::TIMESTAMP)", [version, name]
        )
        applied.append(path.name)
    return applied


def staging_ddl(source: SourceSchema) -> str:
    columns = [f"{name} {DUCKDB_TYPES[field_kind(col)]}" for name, col in source.columns().items()]
    columns.append(f"{SUPPRESSED_COLUMN} VARCHAR")
    columns += [f"{name} {kind}" for name, kind in LINEAGE_COLUMNS.items()]
    return f"CREATE TABLE IF NOT EXISTS staging.{source.name} ({', '.join(columns)})"


def quarantine_ddl(source: SourceSchema) -> str:
    columns = [f"{name} VARCHAR" for name in source.columns()]
    columns += [f"{name} {kind}" for name, kind in LINEAGE_COLUMNS.items()]
    columns.append("grund VARCHAR NOT NULL")
    return f"CREATE TABLE IF NOT EXISTS quarantine.{source.name} ({', '.join(columns)})"


def quartiersprofil_sql(catalogue: Catalogue) -> str:
    """View with one row per quarter and year and one column per catalogue indicator."""
    pivots = ",\n       ".join(
        f"max(w.wert) FILTER (WHERE w.indikator_id = '{ind.id}') AS {ind.id}"
        for ind in catalogue.indicators
    )
    return "\n".join(
        [
            "CREATE OR REPLACE VIEW mart.quartiersprofil AS",
            "SELECT w.gebiet_id, g.gebiet_name, g.uebergeordnet_id, w.jahr,",
            f"       {pivots},",
            "       any_value(s.statusindex) AS statusindex,",
            "       any_value(s.dynamikindex) AS dynamikindex",
            "FROM core.indikatorwerte w",
            "JOIN core.gebiete g USING (gebiet_id)",
            "LEFT JOIN core.sozialindex s ON s.gebiet_id = w.gebiet_id AND s.jahr = w.jahr",
            "WHERE g.analyseeinheit",
            "GROUP BY w.gebiet_id, g.gebiet_name, g.uebergeordnet_id, w.jahr",
        ]
    )
