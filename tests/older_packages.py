"""Packages of an older format, made from a real export, for the Land that must still take them.

Package format 1 is format 2 without the column ``massnahmentyp`` of the table ``massnahmen``
and without the tables of the pooling statistics (``indicators/land/format.py``).
``as_format_1`` copies a package of format 2, removes that column from the table, its Excel
copy and ``datapackage.json``, the two tables and their copies, sets ``paketformat`` to 1 and
computes the checksums of the manifest anew, as a municipality still on an older version of
kekiz would have sent it. The workbook and the report keep the column: the Land reads neither.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

from indicators.export.manifest import HASH_KEY, MANIFEST, manifest_hash
from indicators.ingest.archive import sha256_of

ADDED_IN_2 = ("massnahmen", "massnahmentyp")
"""(table, column) that format 2 added."""
TABLES_ADDED_IN_2 = ("wirkung_summen", "wirkung_gebiete")
DIALECTS = {"": ("utf-8", ",", "\n"), "excel/": ("utf-8-sig", ";", "\r\n")}
"""Encoding, delimiter and line end of the package's CSV files and of its Excel copies."""


def as_format_1(package: Path, target: Path) -> Path:
    """A copy of the format-2 ``package`` at ``target`` in package format 1."""
    shutil.copytree(package, target)
    for path in (target, *target.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)
    table, column = ADDED_IN_2
    for folder, dialect in DIALECTS.items():
        _drop_column(target / f"{folder}{table}.csv", column, *dialect)
    for name in TABLES_ADDED_IN_2:
        for folder in DIALECTS:
            (target / f"{folder}{name}.csv").unlink()
    descriptor_path = target / "datapackage.json"
    descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    descriptor["resources"] = [
        r for r in descriptor["resources"] if r["name"] not in TABLES_ADDED_IN_2
    ]
    [resource] = [r for r in descriptor["resources"] if r["name"] == table]
    fields = resource["schema"]["fields"]
    resource["schema"]["fields"] = [f for f in fields if f["name"] != column]
    descriptor_path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), "utf-8")
    manifest_path = target / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert manifest["paketformat"] == 2, "made from a package of format 2"
    manifest["paketformat"] = 1
    manifest["dateien"] = {
        name: sha256_of(target / name) for name in manifest["dateien"] if (target / name).exists()
    }
    manifest[HASH_KEY] = manifest_hash(manifest)
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
    return target


def _drop_column(path: Path, column: str, encoding: str, delimiter: str, newline: str) -> None:
    text = path.read_text(encoding=encoding)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    at = rows[0].index(column)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerows(row[:at] + row[at + 1 :] for row in rows)
    path.write_bytes(out.getvalue().encode(encoding))
