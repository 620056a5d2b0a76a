"""The Land warehouse: views over every municipality's partitions and the comparison marts.

``build_land_warehouse`` writes a new DuckDB file beside the target and renames it over the
target. Its SQL is in ``warehouse/land/``, run in this order: ``schema.sql``, the views of
``pakete.sql`` (one per package table), ``basis.sql`` and ``landeswerte.sql`` (temporary
tables), then ``marts/*.sql`` by name. Only the Wilson interval of the Land values is computed
here, by the function that computes the city's (``indicators/compute/rates.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

from indicators.compute.rates import wilson_interval
from indicators.display.summary import StepResult, full_listing
from indicators.export.manifest import PACKAGE_FORMAT
from indicators.export.spec import TABLES
from indicators.land.comments import LAND_WAREHOUSE_DIR, SCHEMAS, land_docs
from indicators.land.format import TableSchema, table_schemas
from indicators.land.partitions import FIELD_TYPES, MANIFEST_TABLE, PARTITION_FILE
from indicators.store.comments import declared_comments
from indicators.store.connection import MEMORY_LIMIT, sql_literal, transaction
from indicators.store.publishing import publish

DATA = "data"
"""Folder of the Land folder holding the partitions (``indicators/land/partitions.py``)."""
MARTS_DIR = LAND_WAREHOUSE_DIR / "marts"
CHECK_TABLE = "mart.indikatoren_land"
MUNICIPALITY_LISTING = """
    SELECT k.ags AS "AGS", k.kommune AS "Kommune", k.art AS "Art",
           k.erstes_jahr || '–' || k.letztes_jahr AS "Jahre", k.paket AS "Paket",
           q.jahre_mit_luecken AS "Lücken"
    FROM mart.kommunen k LEFT JOIN mart.datenqualitaet q USING (ags)
    ORDER BY k.ags
"""
"""What the Dagster UI lists of every municipality after a build."""
"""The table read from the published copy to prove it opens."""


class LandWarehouseError(RuntimeError):
    """The Land warehouse cannot be built (German message)."""


def build_land_warehouse(land_dir: Path, history: list[dict], target: Path) -> StepResult:
    """Write the Land warehouse for the partitions under ``<land_dir>/data`` to ``target``.

    ``history`` is the intake log (one dict per line of ``eingaenge.jsonl``).
    """
    data = land_dir / DATA
    if not any((data / MANIFEST_TABLE).glob(f"*/{PARTITION_FILE}")):
        raise LandWarehouseError(f"Unter {data} liegt noch kein Paket einer Kommune.")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    log = temporary.with_name(f"{temporary.name}.wal")
    temporary.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(temporary), config={"memory_limit": MEMORY_LIMIT})
        try:
            with transaction(con):
                _build(con, data, history)
            rows = {
                table: con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
                for table in _marts(con)
            }
            municipalities = con.execute(MUNICIPALITY_LISTING).df()
        finally:
            con.close()
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
        log.unlink(missing_ok=True)
    return StepResult(
        {
            "pfad": target,
            "kommunen": rows["mart.kommunen"],
            "zeilen": rows,
            "kommunen_und_pakete": full_listing(municipalities),
        }
    )


def publish_land_warehouse(database: Path, published: Path) -> Path:
    """Publish the read-only copy of the Land warehouse ``database`` at ``published``."""
    con = duckdb.connect(str(database))
    try:
        return publish(con, published, CHECK_TABLE)
    finally:
        con.close()


def _build(con: duckdb.DuckDBPyConnection, data: Path, history: list[dict]) -> None:
    con.execute(_sql(LAND_WAREHOUSE_DIR / "schema.sql"))
    _insert_history(con, history)
    view = _sql(LAND_WAREHOUSE_DIR / "pakete.sql")
    schemas = table_schemas(PACKAGE_FORMAT)
    for table in (*(t.name for t in TABLES), MANIFEST_TABLE):
        files = _files(data, table)
        if table != MANIFEST_TABLE and not any(files.parent.parent.glob(f"*/{PARTITION_FILE}")):
            con.execute(_empty_view(table, schemas[table]))  # only packages of older formats
        else:
            con.execute(view.format(table=table, files=sql_literal(str(files))))
    con.execute(_sql(LAND_WAREHOUSE_DIR / "basis.sql"))
    con.execute(_sql(LAND_WAREHOUSE_DIR / "landeswerte.sql"))
    con.register("intervalle", _intervals(con))
    for path in sorted(MARTS_DIR.glob("*.sql")):
        con.execute(_sql(path))
    con.unregister("intervalle")
    for statement in declared_comments(con, land_docs(), SCHEMAS):
        con.execute(statement)


def _empty_view(table: str, schema: TableSchema) -> str:
    """The view of a table no package holds yet (every package is of an older format):
    no rows, the columns of the partitions (``ags``, the table's official fields, ``paket``)
    in their types, so every query on it runs."""
    fields = [("ags", "string"), *schema.fields, ("paket", "string")]
    columns = ", ".join(f"CAST(NULL AS {FIELD_TYPES[kind]}) AS {name}" for name, kind in fields)
    return f"CREATE VIEW pakete.{table} AS SELECT {columns} WHERE false"


def _intervals(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The Wilson interval of every Land value, scaled by the indicator's factor."""
    frame = con.execute(
        "SELECT jahr, indikator_id, zaehler::DOUBLE AS zaehler, nenner::DOUBLE AS nenner, faktor "
        "FROM landeswerte"
    ).df()
    low, high = wilson_interval(frame["zaehler"], frame["nenner"])
    return pd.DataFrame(
        {
            "jahr": frame["jahr"],
            "indikator_id": frame["indikator_id"],
            "ki_unten": low * frame["faktor"],
            "ki_oben": high * frame["faktor"],
        }
    )


def _insert_history(con: duckdb.DuckDBPyConnection, history: list[dict]) -> None:
    if not history:
        return
    columns = [
        name
        for (name,) in con.execute(
            "SELECT column_name FROM duckdb_columns() "
            "WHERE schema_name = 'meta' AND table_name = 'eingaenge' ORDER BY column_index"
        ).fetchall()
    ]
    con.executemany(
        f"INSERT INTO meta.eingaenge VALUES ({', '.join('?' * len(columns))})",
        [[line.get(column) for column in columns] for line in history],
    )


def _marts(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        f"mart.{name}"
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'mart' ORDER BY table_name"
        ).fetchall()
    ]


def _files(data: Path, table: str) -> Path:
    return data.resolve() / table / "*" / PARTITION_FILE


def _sql(path: Path) -> str:
    return path.read_text(encoding="utf-8")
