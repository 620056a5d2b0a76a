"""More evaluation packages for the load tests of the Land (40 and 396 municipalities).

Exporting hundreds of municipalities through the city pipeline takes hours, so the load tests
take the real packages of ``raw_data/generate_land.py`` and add COPIES of them under other
keys and names. A copy is not a real export: its numbers are those of the package it was copied
from, and only the municipality's own key and name change (``kommune.gebiet_id`` and
``gebiet_name``; in every table ``gebiet_id``/``gebiet_name`` of the top area, ``ebene_rang =
0``, ``uebergeordnet_id``/``uebergeordnet_name`` pointing to it and the head of ``pfad``; the same
in the Excel copies under ``excel/``; the name and title of ``datapackage.json``). Workbook,
report and check report keep the key and name of the original. ``manifest.json`` gets the sha256
of every file anew, the fields ``ags`` and ``kommune`` and, where the manifest carries one, a
new ``manifest_sha256``, so a copy passes the integrity checks of the intake.

Keys of the copies are fictional and well-formed, apart from those of the generator: Kreise
``05R00`` … ``05R79``, cities ``05RKK2NN`` and up (Gemeinde numbers from 200).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

from indicators.export.files import write_json
from indicators.export.manifest import manifest_hash
from indicators.ingest.archive import sha256_of
from raw_data.generate_land import NAME_ENDINGS, NAME_STEMS, REAL_PLACES, REGIERUNGSBEZIRKE

TOP_COLUMNS = (("gebiet_id", "gebiet_name"), ("uebergeordnet_id", "uebergeordnet_name"))
"""Key and name columns: a row's name is renamed where its key is the municipality's."""
PATH_SEPARATOR = " › "
DIALECTS = {".": ("utf-8", ",", "\n"), "excel": ("utf-8-sig", ";", "\r\n")}
"""Encoding, delimiter and line end of the package's CSV files and of its Excel copies."""
CITY_ENDINGS = tuple(dict.fromkeys(NAME_ENDINGS["zweiebenen"] + NAME_ENDINGS["grossstadt"]))


def rekey_rows(rows: list[list[str]], old: tuple[str, str], new: tuple[str, str]) -> None:
    """Replace the municipality's key and name in place (header in the first row)."""
    header = rows[0]
    pairs = [(header.index(k), header.index(n) if n in header else None)
             for k, n in TOP_COLUMNS if k in header]  # fmt: skip
    path = header.index("pfad") if "pfad" in header else None
    for row in rows[1:]:
        for key, name in pairs:
            if row[key] == old[0]:
                row[key] = new[0]
                if name is not None and row[name] == old[1]:
                    row[name] = new[1]
        if path is not None and (row[path] + PATH_SEPARATOR).startswith(old[1] + PATH_SEPARATOR):
            row[path] = new[1] + row[path][len(old[1]) :]


def rekey_csv(path: Path, dialect: tuple[str, str, str], old, new) -> None:
    encoding, delimiter, newline = dialect
    rows = list(csv.reader(io.StringIO(path.read_text(encoding=encoding), newline=""),
                           delimiter=delimiter))  # fmt: skip
    rekey_rows(rows, old, new)
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))


def identity(package: Path) -> tuple[str, str, str]:
    """Key, name and kind (``art``) of the municipality of a package, from kommune.csv."""
    with (package / "kommune.csv").open(encoding="utf-8", newline="") as fh:
        [row] = csv.DictReader(fh)
    return row["gebiet_id"], row["gebiet_name"], row["art"]


def copy_package(package: Path, target: Path, ags: str, name: str) -> Path:
    """A copy of ``package`` in ``target`` under key ``ags`` and name ``name`` (see above)."""
    old_ags, old_name, _ = identity(package)
    folder = target / (ags + package.name[len(old_ags) :])
    shutil.copytree(package, folder)
    for subfolder, dialect in DIALECTS.items():
        for path in sorted((folder / subfolder).glob("*.csv")):
            rekey_csv(path, dialect, (old_ags, old_name), (ags, name))
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["name"] = descriptor["name"].replace(old_ags, ags)
    descriptor["title"] = descriptor["title"].replace(old_name, name)
    write_json(descriptor, folder / "datapackage.json")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    write_json(rekeyed_manifest(manifest, folder, ags, name), folder / "manifest.json")
    return folder


def rekeyed_manifest(manifest: dict, folder: Path, ags: str, name: str) -> dict:
    """The manifest with new ``ags``, ``kommune``, file hashes and (if any) own hash."""
    head = {k: manifest[k] for k in ("paketformat",) if k in manifest}
    skipped = {*head, "ags", "kommune", "manifest_sha256"}
    body = {k: v for k, v in manifest.items() if k not in skipped}
    body["dateien"] = {rel: sha256_of(folder / rel) for rel in manifest["dateien"]}
    out = {**head, "ags": ags, "kommune": name, **body}
    if "manifest_sha256" in manifest:
        out["manifest_sha256"] = manifest_hash(out)
    return out


def copy_keys(kreis: bool) -> Iterator[str]:
    """Keys no generated package has: Kreise 05R00…05R79, cities with Gemeinde numbers ≥ 200."""
    if kreis:
        for number in range(80):
            for region in REGIERUNGSBEZIRKE:
                yield f"05{region}{number:02d}"
        return
    for gemeinde, number, region in itertools.product(range(200, 1000), range(100),
                                                      REGIERUNGSBEZIRKE):  # fmt: skip
        yield f"05{region}{number:02d}{gemeinde:03d}"


def copy_names(kreis: bool, taken: set[str]) -> Iterator[str]:
    endings = NAME_ENDINGS["kreis"] if kreis else CITY_ENDINGS
    for prefix, stem, ending in itertools.product(("", "Bad "), NAME_STEMS, endings):
        name = ("Kreis " if kreis else "") + prefix + stem + ending
        if name not in taken and stem + ending not in REAL_PLACES and stem.lower() != ending:
            yield name


def land_packages(packages: list[Path], target: Path, count: int) -> list[Path]:
    """``count`` packages in ``target``: copies of ``packages`` (the real ones first, then
    copies of them in turn under new keys and names)."""
    target.mkdir(parents=True, exist_ok=True)
    found = [identity(p) for p in packages]
    taken = {name for _, name, _ in found}
    keys = {kreis: copy_keys(kreis) for kreis in (True, False)}
    names = {kreis: copy_names(kreis, taken) for kreis in (True, False)}
    out = []
    for package in packages[:count]:
        out.append(target / package.name)
        shutil.copytree(package, out[-1])
    sources = itertools.cycle(zip(packages, found, strict=True))
    while len(out) < count:
        source, (_, _, art) = next(sources)
        kreis = art == "Kreis"
        out.append(copy_package(source, target, next(keys[kreis]), next(names[kreis])))
    return out
