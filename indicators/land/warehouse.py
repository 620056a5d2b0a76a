"""The Land warehouse: views over every municipality's partitions and the comparison marts.

``build_land_warehouse`` writes a new DuckDB file beside the target and renames it over the
target. Its SQL is in ``warehouse/land/``, run in this order: ``schema.sql``, the views of
``pakete.sql`` (one per package table, in the shape of the newest package format whatever the
formats of the packages), ``basis.sql`` and ``landeswerte.sql`` (temporary tables), then
``marts/*.sql`` by name. Only the Wilson interval of the Land values is computed here, by the
function that computes the city's (``indicators/compute/rates.py``), and the pooled effects of
each measure type (``indicators/land/pooled_effects.py``), written after the SQL marts from
the package tables of the current packages; they are empty where the packages hold no measure
types or pooling statistics (package format 1).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

from indicators.compute.rates import wilson_interval
from indicators.display.summary import StepResult, full_listing
from indicators.export.spec import TABLES
from indicators.land.comments import LAND_WAREHOUSE_DIR, SCHEMAS, land_docs
from indicators.land.format import NEWEST_FORMAT, table_schemas
from indicators.land.partitions import (
    FIELD_TYPES,
    MANIFEST_COLUMNS,
    MANIFEST_TABLE,
    PARTITION_FILE,
)
from indicators.land.pooled_effects import INPUT_COLUMNS, TABLE_COLUMNS, pooled_effects
from indicators.land.pooled_grades import BOOTSTRAP_REPS, SEED
from indicators.store.comments import declared_comments
from indicators.store.connection import MEMORY_LIMIT, sql_literal, transaction
from indicators.store.publishing import publish
from schemas.measure_types import load_measure_types

DATA = "data"
"""Folder of the Land folder holding the partitions (``indicators/land/partitions.py``)."""
MARTS_DIR = LAND_WAREHOUSE_DIR / "marts"
CHECK_TABLE = "mart.indikatoren_land"
"""The table read from the published copy to prove it opens."""
MUNICIPALITY_LISTING = """
    SELECT k.ags AS "AGS", k.kommune AS "Kommune", k.art AS "Art",
           k.erstes_jahr || '–' || k.letztes_jahr AS "Jahre", k.paket AS "Paket",
           q.jahre_mit_luecken AS "Lücken"
    FROM mart.kommunen k LEFT JOIN mart.datenqualitaet q USING (ags)
    ORDER BY k.ags
"""
"""What the Dagster UI lists of every municipality after a build."""
POOLED_LISTING = """
    SELECT massnahmentyp_name AS "Maßnahmentyp", indikator_name AS "Indikator",
           verfahren AS "Verfahren", round(effekt_pp, 2) AS "Effekt (pp)",
           round(ki_unten, 2) AS "KI unten", round(ki_oben, 2) AS "KI oben",
           round(p_wert, 4) AS "p", n_kommunen AS "Kommunen", bewertung AS "Bewertung"
    FROM mart.wirkung_gepoolt
    ORDER BY massnahmentyp, indikator_id, verfahren
"""
"""What the Dagster UI lists of the pooled effects after a build."""


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
            pooled = con.execute(POOLED_LISTING).df()
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
            "wirkung_gepoolt": full_listing(pooled),
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
    for table in (*(t.name for t in TABLES), MANIFEST_TABLE):
        con.execute(_package_view(con, view, data, table))
    con.execute(_sql(LAND_WAREHOUSE_DIR / "basis.sql"))
    con.execute(_sql(LAND_WAREHOUSE_DIR / "landeswerte.sql"))
    con.register("intervalle", _intervals(con))
    for path in sorted(MARTS_DIR.glob("*.sql")):
        con.execute(_sql(path))
    con.unregister("intervalle")
    write_pooled_effects(con)
    for statement in declared_comments(con, land_docs(), SCHEMAS):
        con.execute(statement)


def _package_view(con: duckdb.DuckDBPyConnection, view: str, data: Path, table: str) -> str:
    """The statement creating the view of package table ``table`` from the template ``view``:
    every column of the newest format, NULL where no partition has it."""
    if table == MANIFEST_TABLE:
        wanted = MANIFEST_COLUMNS
    else:
        fields = table_schemas(NEWEST_FORMAT)[table].fields
        wanted = {"ags": "VARCHAR", **{n: FIELD_TYPES[k] for n, k in fields}, "paket": "VARCHAR"}
    files = _files(data, table)
    if any(files.parent.parent.glob(f"*/{PARTITION_FILE}")):
        source = (
            f"read_parquet({sql_literal(str(files))}, union_by_name = true, "
            "hive_partitioning = false)"
        )
        present = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    else:
        source, present = "(SELECT 1 WHERE false)", set()
    columns = ", ".join(
        name if name in present else f"CAST(NULL AS {kind}) AS {name}"
        for name, kind in wanted.items()
    )
    return view.format(table=table, columns=columns, source=source)


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


def write_pooled_effects(
    con: duckdb.DuckDBPyConnection, reps: int = BOOTSTRAP_REPS, seed: int = SEED
) -> None:
    """The marts of the pooled effects, from the package tables of the current packages
    (temporary tables ``kommunen`` and ``gleiche_definition`` of ``basis.sql``)."""
    names = dict(con.execute("SELECT ags, kommune FROM kommunen").fetchall())
    common = con.execute("SELECT ags, indikator_id, indikator_name FROM gleiche_definition").df()
    tables = {table: _current(con, table, columns) for table, columns in INPUT_COLUMNS.items()}
    frames = pooled_effects(tables, common, names, measure_type_names(), reps, seed).frames()
    for name, frame in frames.items():
        columns = TABLE_COLUMNS[name]
        con.execute(
            f"CREATE TABLE mart.{name} ("
            + ", ".join(f"{column} {kind}" for column, kind in columns.items())
            + ")"
        )
        if len(frame):
            con.register("neu", frame)
            con.execute(f"INSERT INTO mart.{name} SELECT {', '.join(columns)} FROM neu")
            con.unregister("neu")


def _current(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> pd.DataFrame:
    """``columns`` of package table ``table`` of the current packages (empty where only older
    package formats lack them)."""
    selected = ", ".join(f"t.{c}" for c in columns)
    return con.execute(
        f"SELECT {selected} FROM pakete.{table} t "
        "JOIN pakete.manifeste m ON m.ags = t.ags AND m.paket = t.paket"
    ).df()


def measure_type_names() -> dict[str, str]:
    """Measure type id → German name."""
    return {kind.id: kind.name for kind in load_measure_types()}


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
