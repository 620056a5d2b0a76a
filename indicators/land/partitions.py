"""One municipality's current package as typed Parquet partitions of the Land folder.

Each table of the package becomes ``<data>/<table>/ags=<AGS>/data.parquet``, typed from
``datapackage.json`` and read by DuckDB, with the municipality's key ``ags`` as first column
and the package name ``paket``; the manifest becomes one row of table ``manifeste``. A new
package replaces the partition of its municipality and leaves every other one untouched.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb

from indicators.export.files import DATETIME_FORMAT
from indicators.export.package import MANIFEST
from indicators.store.connection import MEMORY_LIMIT, sql_literal

DATAPACKAGE = "datapackage.json"
MANIFEST_TABLE = "manifeste"
PARTITION_FILE = "data.parquet"
STAGING = ".neu"
"""Folder of the data root where partitions are written before they are renamed into place;
outside the pattern ``<table>/*/*.parquet`` the warehouse reads."""
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
    from ``kommune.csv`` for a package written before it.
    """
    manifest = json.loads((package / MANIFEST).read_text(encoding="utf-8"))
    resources = json.loads((package / DATAPACKAGE).read_text(encoding="utf-8"))["resources"]
    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT})
    try:
        ags, name = _municipality(con, package, manifest)
        staging = data_root / STAGING / f"{ags}.{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        rows = {
            resource["name"]: _write_table(
                con, package / resource["path"], resource["schema"]["fields"],
                ags, package.name, staging / resource["name"] / PARTITION_FILE,
            )
            for resource in resources
        }  # fmt: skip
        rows[MANIFEST_TABLE] = _write_manifest(
            con, manifest, ags, name, package.name, staging / MANIFEST_TABLE / PARTITION_FILE
        )
    finally:
        con.close()
    for table in rows:
        _swap_in(staging / table, partition_folder(data_root, table, ags))
    shutil.rmtree(staging)
    return rows


def _municipality(con: duckdb.DuckDBPyConnection, package: Path, manifest: dict) -> tuple[str, str]:
    """AGS and name of the municipality: from the manifest, else from ``kommune.csv``."""
    if "ags" in manifest and "kommune" in manifest:
        return manifest["ags"], manifest["kommune"]
    [(ags, name)] = con.execute(
        "SELECT gebiet_id, gebiet_name FROM read_csv(?, header = true, auto_detect = false, "
        "columns = {'gebiet_id': 'VARCHAR', 'gebiet_name': 'VARCHAR', 'art': 'VARCHAR', "
        "'ebenen': 'VARCHAR', 'analyseebene': 'VARCHAR', 'analyseeinheiten': 'BIGINT', "
        "'erstes_jahr': 'BIGINT', 'letztes_jahr': 'BIGINT'})",
        [str(package / "kommune.csv")],
    ).fetchall()
    return ags, name


def _write_table(
    con: duckdb.DuckDBPyConnection,
    csv: Path,
    fields: list[dict],
    ags: str,
    paket: str,
    target: Path,
) -> int:
    types = ", ".join(f"{sql_literal(f['name'])}: '{FIELD_TYPES[f['type']]}'" for f in fields)
    names = ", ".join(_identifier(f["name"]) for f in fields)
    target.parent.mkdir(parents=True)
    [(rows,)] = con.execute(
        f"COPY (SELECT {sql_literal(ags)} AS ags, {names}, {sql_literal(paket)} AS paket "
        f"FROM read_csv({sql_literal(str(csv))}, header = true, auto_detect = false, "
        "delim = ',', quote = '\"', escape = '\"', nullstr = '', "
        f"dateformat = '%Y-%m-%d', timestampformat = {sql_literal(DATETIME_FORMAT)}, "
        f"columns = {{{types}}})) TO {sql_literal(str(target))} (FORMAT parquet)"
    ).fetchall()
    return rows


def _write_manifest(
    con: duckdb.DuckDBPyConnection, manifest: dict, ags: str, name: str, paket: str, target: Path
) -> int:
    values = {
        **{column: manifest.get(column) for column in MANIFEST_COLUMNS},
        "ags": ags,
        "kommune": name,
        "paket": paket,
    }
    columns = ", ".join(f"CAST(? AS {kind}) AS {column}" for column, kind in MANIFEST_COLUMNS.items())
    con.execute(f"CREATE TEMP TABLE manifest AS SELECT {columns}", list(values.values()))
    target.parent.mkdir(parents=True)
    [(rows,)] = con.execute(
        f"COPY manifest TO {sql_literal(str(target))} (FORMAT parquet)"
    ).fetchall()
    return rows


def _swap_in(new: Path, current: Path) -> None:
    """Rename the partition file in ``new`` over the one in ``current``: a reader sees the old
    partition or the new one, never a part of either."""
    current.mkdir(parents=True, exist_ok=True)
    os.replace(new / PARTITION_FILE, current / PARTITION_FILE)


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
