"""Packages of an older format, made from a real export, for the Land that must still take them.

Package format 2 is format 3 without the linear pre-trend test of the effects and the treated
areas per event time; format 1 is format 2 without the column ``massnahmentyp`` of the table
``massnahmen`` and without the tables of the pooling statistics (``indicators/land/format.py``).
``as_older_format`` copies a package of the current format and steps it down format by format:
it removes those columns from the tables, their Excel copies and ``datapackage.json``, the
tables and their copies, sets ``paketformat`` and computes the checksums of the manifest anew,
as a municipality still on an older version of kekiz would have sent it. The workbook and the
report keep the columns: the Land reads neither.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

from indicators.export.manifest import HASH_KEY, MANIFEST, PACKAGE_FORMAT, manifest_hash
from indicators.ingest.archive import sha256_of

COLUMNS_ADDED = {
    2: (("massnahmen", "massnahmentyp"),),
    3: (
        ("massnahmen_wirkung", "pretrend_steigung"),
        ("massnahmen_wirkung", "pretrend_p_steigung"),
        ("massnahmen_wirkung_verlauf", "n_behandelt"),
    ),
}
"""(table, column) that each format added."""
TABLES_ADDED = {2: ("wirkung_summen", "wirkung_gebiete"), 3: ()}
TABLES_ADDED_IN_2 = TABLES_ADDED[2]
DIALECTS = {"": ("utf-8", ",", "\n"), "excel/": ("utf-8-sig", ";", "\r\n")}
"""Encoding, delimiter and line end of the package's CSV files and of its Excel copies."""


def as_older_format(package: Path, target: Path, version: int) -> Path:
    """A copy of the ``package`` of the current format at ``target`` in format ``version``."""
    shutil.copytree(package, target)
    for path in (target, *target.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)
    manifest_path = target / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert manifest["paketformat"] == PACKAGE_FORMAT, "made from a package of the current format"
    for newer in range(PACKAGE_FORMAT, version, -1):
        _step_down(target, COLUMNS_ADDED[newer], TABLES_ADDED[newer])
    manifest["paketformat"] = version
    manifest["dateien"] = {
        name: sha256_of(target / name) for name in manifest["dateien"] if (target / name).exists()
    }
    manifest[HASH_KEY] = manifest_hash(manifest)
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
    return target


def _step_down(target: Path, columns: tuple[tuple[str, str], ...], tables: tuple[str, ...]):
    """Remove what one format added: ``columns`` and ``tables``, in the CSVs, their copies and
    ``datapackage.json``."""
    for table, column in columns:
        for folder, dialect in DIALECTS.items():
            _drop_column(target / f"{folder}{table}.csv", column, *dialect)
    for name in tables:
        for folder in DIALECTS:
            (target / f"{folder}{name}.csv").unlink()
    descriptor_path = target / "datapackage.json"
    descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    descriptor["resources"] = [r for r in descriptor["resources"] if r["name"] not in tables]
    dropped = set(columns)
    for resource in descriptor["resources"]:
        fields = resource["schema"]["fields"]
        resource["schema"]["fields"] = [
            f for f in fields if (resource["name"], f["name"]) not in dropped
        ]
    descriptor_path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), "utf-8")


def _drop_column(path: Path, column: str, encoding: str, delimiter: str, newline: str) -> None:
    text = path.read_text(encoding=encoding)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    at = rows[0].index(column)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerows(row[:at] + row[at + 1 :] for row in rows)
    path.write_bytes(out.getvalue().encode(encoding))
