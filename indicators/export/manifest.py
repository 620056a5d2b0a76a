"""The manifest of an evaluation package: what it holds, who wrote it, and its checksums.

``manifest.json`` names the package format, the municipality, the run, the threshold, the
deliveries and the sha256 of every other file of the package, and at the end
``manifest_sha256``, the sha256 of the manifest without that key (``manifest_hash``). A
package whose counts are perturbed by the Cell Key Method instead of suppressed also names
the method, its parameters and the sha256 of its ptable (``geheimhaltungsverfahren``; never
the secret); a package without that field is suppressed, as every package before it. The
checksums detect damage on the way (a truncated copy, an edited file); they are no signature:
whoever changes a file can compute the checksums anew.
"""

import hashlib
import json
from pathlib import Path

import pandas as pd

from indicators.export.cell_key import CellKeyMethod
from indicators.export.files import csv_frame
from indicators.ingest.archive import sha256_of

PACKAGE_FORMAT = 3
"""Version of the package layout: tables, columns and manifest fields. A change of any of them
raises it, so the Land knows what a package holds."""
MANIFEST = "manifest.json"
HASH_KEY = "manifest_sha256"
METHOD_KEY = "geheimhaltungsverfahren"
DELIVERY_FIELDS = ("quelle", "datei", "sha256", "eingang", "status")
"""What the manifest lists of each delivery (the rows of the table datenqualitaet)."""


def manifest_hash(manifest: dict) -> str:
    """The sha256 (hex) of ``manifest`` without its ``manifest_sha256``, serialised with sorted
    keys and no whitespace."""
    content = {key: value for key, value in manifest.items() if key != HASH_KEY}
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build_manifest(
    folder: Path,
    city: pd.Series,
    deliveries: pd.DataFrame,
    *,
    run_id: str,
    created: str,
    version: str,
    threshold: int,
    cell_key: CellKeyMethod | None = None,
) -> dict:
    """The manifest of the package written into ``folder`` (every file there is listed):
    ``city`` is the row of the table kommune, ``deliveries`` the table datenqualitaet."""
    manifest = {
        "paketformat": PACKAGE_FORMAT,
        "ags": str(city["gebiet_id"]),
        "kommune": str(city["gebiet_name"]),
        "run_id": run_id,
        "erstellt": created,
        "pipeline_version": version,
        "geheimhaltungsschwelle": int(threshold),
        "lieferungen": csv_frame(deliveries)
        .sort_values(["quelle", "datei", "sha256"])[list(DELIVERY_FIELDS)]
        .to_dict("records"),
        "dateien": {p.relative_to(folder).as_posix(): sha256_of(p) for p in files_of(folder)},
    }
    if cell_key is not None:
        manifest[METHOD_KEY] = cell_key.description()
    # as read back from the file, so the hash is that of what a reader sees
    manifest = json.loads(json.dumps(manifest, ensure_ascii=False, default=str))
    return {**manifest, HASH_KEY: manifest_hash(manifest)}


def files_of(folder: Path) -> list[Path]:
    """Every file in ``folder`` and its sub-folders, sorted by path."""
    return sorted(p for p in folder.rglob("*") if p.is_file())


def stated_threshold(folder: Path) -> int:
    """The disclosure threshold the package in ``folder`` states in its manifest."""
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return int(manifest["geheimhaltungsschwelle"])
