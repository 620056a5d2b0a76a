"""One municipality's current package as typed Parquet partitions of the Land folder.

Each table of the package becomes ``<data>/<table>/ags=<AGS>/data.parquet``, typed by the
official schema of its package format (``indicators/land/format.py``, never the package's own
``datapackage.json``) and read by DuckDB, with the municipality's key ``ags`` as first column
and the package name ``paket``; the manifest becomes one row of table ``manifeste``. A new
package replaces the partition of its municipality and leaves every other one untouched; the
partitions of its municipality in the tables it lacks (a package of an older format after one
of a newer format) are removed, so no view shows rows of the package it replaced.
"""

from __future__ import annotations

import json
import os
import shutil
from contextlib import suppress
from pathlib import Path

import duckdb

from indicators.export.manifest import MANIFEST
from indicators.land.format import DATETIME_FORMAT, NEWEST_FORMAT, table_schemas
from indicators.store.connection import MEMORY_LIMIT, sql_literal

FIRST_FORMAT = 1
"""Package format of a package written before the manifest named one."""
MANIFEST_TABLE = "manifeste"
MUNICIPALITY_TABLE = "kommune"
PARTITION_FILE = "data.parquet"
STAGING = ".neu"
"""Folder of the data root where partitions are written before they are renamed into place;
outside the pattern ``<table>/*/*.parquet`` the warehouse reads."""
STALE = ".alt"
"""Folder of a staging folder where partitions the new package lacks are moved before they
are deleted with it."""
FIELD_TYPES = {
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "string": "VARCHAR",
}
"""DuckDB type of each Frictionless field type the export writes."""
MANIFEST_COLUMNS = {
    "ags": "VARCHAR",
    "paket": "VARCHAR",
    "kommune": "VARCHAR",
    "paketformat": "BIGINT",
    "erstellt": "TIMESTAMP",
    "pipeline_version": "VARCHAR",
    "geheimhaltungsschwelle": "BIGINT",
    "manifest_sha256": "VARCHAR",
}


def partition_folder(data_root: Path, table: str, ags: str) -> Path:
    return data_root / table / f"ags={ags}"


def write_partition(package: Path, data_root: Path) -> dict[str, int]:
    """Write every table of ``package`` as the partition of its municipality; rows per table.

    The package is assumed verified. AGS and name come from the manifest (package format 1),
    from ``kommune.csv`` for a package written before it. The partitions of the municipality
    in the tables of the newest format that the package lacks are removed; the partition of
    the manifest is replaced last.
    """
    manifest = json.loads((package / MANIFEST).read_text(encoding="utf-8"))
    schemas = table_schemas(manifest.get("paketformat", FIRST_FORMAT))
    tables = {
        name: _read_csv(package / f"{name}.csv", schema.fields) for name, schema in schemas.items()
    }
    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT})
    try:
        ags, name = _municipality(con, manifest, tables[MUNICIPALITY_TABLE])
        staging = data_root / STAGING / f"{ags}.{os.getpid()}"
        try:
            rows = {
                table: _write(
                    con,
                    f"SELECT {sql_literal(ags)} AS ags, *, {sql_literal(package.name)} AS paket "
                    f"FROM {source}",
                    staging / table / PARTITION_FILE,
                )
                for table, source in tables.items()
            }
            con.execute(_manifest_row(manifest, ags, name, package.name))
            rows[MANIFEST_TABLE] = _write(
                con, "SELECT * FROM manifest", staging / MANIFEST_TABLE / PARTITION_FILE
            )
            for table in tables:
                _swap_in(staging / table, partition_folder(data_root, table, ags))
            for table in table_schemas(NEWEST_FORMAT).keys() - tables.keys():
                _swap_out(partition_folder(data_root, table, ags), staging / STALE / table)
            _swap_in(staging / MANIFEST_TABLE, partition_folder(data_root, MANIFEST_TABLE, ags))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            with suppress(OSError):  # another package is being written beside
                staging.parent.rmdir()
    finally:
        con.close()
    return rows


def _read_csv(csv: Path, fields: tuple[tuple[str, str], ...]) -> str:
    """DuckDB's reading of a package CSV, each column in the official type of its field."""
    types = ", ".join(f"{sql_literal(name)}: '{FIELD_TYPES[kind]}'" for name, kind in fields)
    return (
        f"read_csv({sql_literal(str(csv))}, header = true, auto_detect = false, delim = ',', "
        "quote = '\"', escape = '\"', nullstr = '', dateformat = '%Y-%m-%d', "
        f"timestampformat = {sql_literal(DATETIME_FORMAT)}, columns = {{{types}}})"
    )


def _municipality(con: duckdb.DuckDBPyConnection, manifest: dict, kommune: str) -> tuple[str, str]:
    """AGS and name of the municipality: from the manifest, else from table kommune."""
    if "ags" in manifest and "kommune" in manifest:
        return manifest["ags"], manifest["kommune"]
    [(ags, name)] = con.execute(f"SELECT gebiet_id, gebiet_name FROM {kommune}").fetchall()
    return ags, name


def _write(con: duckdb.DuckDBPyConnection, query: str, target: Path) -> int:
    target.parent.mkdir(parents=True)
    [(rows,)] = con.execute(
        f"COPY ({query}) TO {sql_literal(str(target))} (FORMAT parquet)"
    ).fetchall()
    return rows


def _manifest_row(manifest: dict, ags: str, name: str, paket: str) -> str:
    """The statement creating table ``manifest`` with the one row of the package's manifest."""
    values = {
        **{column: manifest.get(column) for column in MANIFEST_COLUMNS},
        "ags": ags,
        "kommune": name,
        "paket": paket,
    }
    columns = ", ".join(
        f"CAST({'NULL' if value is None else sql_literal(str(value))} "
        f"AS {MANIFEST_COLUMNS[column]}) AS {column}"
        for column, value in values.items()
    )
    return f"CREATE TEMP TABLE manifest AS SELECT {columns}"


def _swap_in(new: Path, current: Path) -> None:
    """Rename the partition file in ``new`` over the one in ``current``: a reader sees the old
    partition or the new one, never a part of either."""
    current.mkdir(parents=True, exist_ok=True)
    os.replace(new / PARTITION_FILE, current / PARTITION_FILE)


def _swap_out(current: Path, retired: Path) -> None:
    """Rename the partition file in ``current`` away to ``retired`` and remove the emptied
    folder: a reader sees the old partition or none, never a part of it."""
    if not (current / PARTITION_FILE).exists():
        return
    retired.mkdir(parents=True)
    os.replace(current / PARTITION_FILE, retired / PARTITION_FILE)
    with suppress(OSError):  # something besides the partition file is left in the folder
        current.rmdir()
