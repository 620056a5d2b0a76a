"""The Land warehouse: views over every municipality's partitions and the comparison marts.

``build_land_warehouse`` writes a new DuckDB file beside the target and renames it over the
target. Its SQL is in ``warehouse/land/``, run in this order: ``schema.sql``, the views of
``pakete.sql`` (one per package table), ``basis.sql`` and ``landeswerte.sql`` (temporary
tables), then ``marts/*.sql`` by name. Only the Wilson interval of the Land values is computed
here, by the function that computes the city's (``indicators/compute/rates.py``), and the
pooled effects of each measure type (``indicators/land/pooled_effects.py``), written after the
SQL marts from the package tables of the current packages; they are empty where the packages
hold no measure types or pooling statistics (package format 1).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from indicators.compute.rates import wilson_interval
from indicators.display.summary import StepResult, full_listing
from indicators.export.spec import TABLES
from indicators.land.comments import LAND_WAREHOUSE_DIR, SCHEMAS, land_docs
from indicators.land.partitions import MANIFEST_TABLE, PARTITION_FILE
from indicators.land.pooled_effects import (
    BOOTSTRAP_REPS,
    INPUT_COLUMNS,
    SEED,
    TABLE_COLUMNS,
    pooled_effects,
)
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
POOLED_LISTING = """
    SELECT massnahmentyp_name AS "Maßnahmenart", indikator_name AS "Indikator",
           verfahren AS "Verfahren", round(effekt_pp, 2) AS "Effekt (pp)",
           round(ki_unten, 2) AS "KI unten", round(ki_oben, 2) AS "KI oben",
           round(p_wert, 4) AS "p", n_kommunen AS "Kommunen", bewertung AS "Bewertung"
    FROM mart.wirkung_gepoolt
    ORDER BY massnahmentyp, indikator_id, verfahren
"""
"""What the Dagster UI lists of the pooled effects after a build."""
MEASURE_TYPES = Path(__file__).resolve().parents[1] / "massnahmentypen.yaml"
"""The vocabulary of measure types: their German names."""


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
        con.execute(view.format(table=table, files=sql_literal(str(_files(data, table)))))
    con.execute(_sql(LAND_WAREHOUSE_DIR / "basis.sql"))
    con.execute(_sql(LAND_WAREHOUSE_DIR / "landeswerte.sql"))
    con.register("intervalle", _intervals(con))
    for path in sorted(MARTS_DIR.glob("*.sql")):
        con.execute(_sql(path))
    con.unregister("intervalle")
    write_pooled_effects(con)
    for statement in declared_comments(con, land_docs(), SCHEMAS):
        con.execute(statement)


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


def _current(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> pd.DataFrame | None:
    """``columns`` of package table ``table`` of the current packages; ``None`` where no
    package has the table, a missing ``massnahmentyp`` empty (package format 1)."""
    present = {
        name
        for (name,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'pakete' "
            "AND table_name = ?",
            [table],
        ).fetchall()
    }
    if not present:
        return None
    optional = {"massnahmentyp"}
    if set(columns) - optional - present:
        return None
    selected = ", ".join(f"t.{c}" if c in present else f"NULL::VARCHAR AS {c}" for c in columns)
    return con.execute(
        f"SELECT {selected} FROM pakete.{table} t "
        "JOIN pakete.manifeste m ON m.ags = t.ags AND m.paket = t.paket"
    ).df()


def measure_type_names() -> dict[str, str]:
    """Measure type id → German name; empty where the vocabulary is missing."""
    if not MEASURE_TYPES.exists():
        return {}
    entries = yaml.safe_load(MEASURE_TYPES.read_text(encoding="utf-8")) or []
    return {entry["id"]: entry["name"] for entry in entries}


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
