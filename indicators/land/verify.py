"""Check an evaluation package before the Land takes it: manifest, checksums, tables, rules.

The checks run in three steps. The manifest must be readable and of a known format; the
files must be exactly those the manifest lists, each with its checksum; only an intact
package has its content checked (Frictionless, the AGS, the threshold, small counts). Every
finding names the file, where it applies the row and the column, and the rule (``regel``),
in German for the office that sent the package and the state evaluator.
"""

import csv
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import frictionless

from indicators.export.manifest import HASH_KEY, MANIFEST, manifest_hash
from indicators.ingest.archive import sha256_of
from indicators.land.format import (
    SUPPORTED_FORMATS,
    count_columns,
    package_files,
    required_columns,
)
from schemas.profile import OFFICIAL_KEY

DATAPACKAGE = "datapackage.json"
AREA_KEY = re.compile(OFFICIAL_KEY)
RUN_ID = re.compile(r"[0-9a-f]{8}[0-9a-f-]*")
SHA256 = re.compile(r"[0-9a-f]{64}")
TOP = "0"
"""``ebene_rang`` of the municipality as a whole."""
FIRST_ROW = 2
"""Line of the first data row in a CSV file (the header is line 1), as Frictionless counts."""
MAX_PER_FILE = 20
"""Findings of one rule in one file listed one by one; the rest are counted."""
PACKAGE_PROFILES = {"tabular-data-package", "data-package"}
RESOURCE_PROFILES = {"tabular-data-resource", "data-resource"}
FRICTIONLESS = {
    "type-error": "Der Wert passt nicht zum Datentyp der Spalte",
    "constraint-error": "Der Wert verletzt eine Bedingung der Spalte",
    "primary-key": "Der Primärschlüssel ist doppelt oder leer",
    "foreign-key": "Der Schlüssel hat keine Entsprechung in der verknüpften Tabelle",
    "unique-error": "Der Wert kommt doppelt vor, muss aber eindeutig sein",
    "missing-cell": "Der Zeile fehlt eine Zelle",
    "extra-cell": "Die Zeile hat eine Zelle zu viel",
    "blank-row": "Die Zeile ist leer",
    "incorrect-label": "Die Spaltenüberschrift weicht von datapackage.json ab",
    "missing-label": "Eine Spaltenüberschrift fehlt",
    "extra-label": "Eine Spaltenüberschrift ist nicht in datapackage.json beschrieben",
    "duplicate-label": "Eine Spaltenüberschrift kommt doppelt vor",
    "blank-label": "Eine Spaltenüberschrift ist leer",
    "encoding-error": "Die Datei ist nicht UTF-8-kodiert",
    "format-error": "Die Datei ist keine lesbare CSV-Datei",
    "source-error": "Die Datei ist nicht lesbar",
    "scheme-error": "Die Datei ist nicht lesbar",
    "package-error": "datapackage.json ist fehlerhaft",
    "resource-error": "Die Beschreibung der Tabelle in datapackage.json ist fehlerhaft",
    "schema-error": "Das Schema der Tabelle in datapackage.json ist fehlerhaft",
    "field-error": "Die Beschreibung einer Spalte in datapackage.json ist fehlerhaft",
}


@dataclass(frozen=True)
class Finding:
    """One reason to refuse a package (German ``meldung``, rule id ``regel``)."""

    datei: str | None
    regel: str
    meldung: str
    zeile: int | None = None
    spalte: str | None = None

    def text(self) -> str:
        """The finding in one German line: where, which rule, what."""
        where = [f"Datei {self.datei}"] if self.datei else ["Paket"]
        if self.zeile is not None:
            where.append(f"Zeile {self.zeile}")
        if self.spalte is not None:
            kind = "Feld" if (self.datei or "").endswith(".json") else "Spalte"
            where.append(f"{kind} {self.spalte}")
        return f"{', '.join(where)} (Regel {self.regel}): {self.meldung}"


@dataclass(frozen=True)
class Verification:
    manifest: dict | None
    """The manifest as read, or None where it is missing or no JSON object."""
    findings: list[Finding]

    @property
    def passed(self) -> bool:
        return not self.findings


def verify_package(folder: Path, min_threshold: int) -> Verification:
    """Check the package in ``folder``; ``min_threshold`` is the Land's least disclosure
    threshold."""
    manifest, findings = _read_manifest(folder)
    if manifest is None or findings:
        return Verification(manifest, findings)
    findings = _manifest_fields(manifest)
    if findings:
        return Verification(manifest, findings)
    version = manifest["paketformat"]
    findings = _manifest_checksum(manifest) + _files(folder, manifest, version)
    if findings:
        return Verification(manifest, findings)
    findings = _structure(folder, version)
    if not any(f.regel in ("datapackage", "tabelle_fehlt") for f in findings):
        findings += _frictionless(folder)
    if not any(f.regel == "tabelle_fehlt" for f in findings):
        findings += _area_key(folder, manifest["ags"])
        findings += _threshold(manifest["geheimhaltungsschwelle"], min_threshold)
        least = max(manifest["geheimhaltungsschwelle"], min_threshold)
        findings += _small_counts(folder, version, least)
    return Verification(manifest, findings)


def report_text(name: str, findings: list[Finding]) -> str:
    """The German report on the package ``name``: the result and every finding."""
    lines = [f"Prüfbericht zum Auswertungspaket {name}", ""]
    if not findings:
        lines.append("Ergebnis: Das Paket hat alle Prüfungen bestanden.")
        return "\n".join(lines) + "\n"
    count = "1 Befund" if len(findings) == 1 else f"{len(findings)} Befunde"
    lines += [
        f"Ergebnis: Das Paket wird abgelehnt ({count}). Nichts davon wurde übernommen.",
        "Bitte beheben Sie die Ursache in der Kommune und exportieren Sie das Paket neu "
        "(kekiz export); ein Paket darf nach dem Export nicht verändert werden.",
        "",
    ]
    lines += [f"{i}. {finding.text()}" for i, finding in enumerate(findings, 1)]
    return "\n".join(lines) + "\n"


# --- the manifest ------------------------------------------------------------------------


def _read_manifest(folder: Path) -> tuple[dict | None, list[Finding]]:
    path = folder / MANIFEST
    if not path.is_file():
        return None, [
            Finding(
                MANIFEST,
                "manifest_fehlt",
                "Das Paket enthält keine manifest.json; ohne sie lässt sich nicht prüfen, ob "
                "es vollständig und unverändert ist.",
            )
        ]
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return None, [Finding(MANIFEST, "manifest_lesbar", "Die Datei ist nicht UTF-8-kodiert.")]
    except json.JSONDecodeError as error:
        return None, [
            Finding(
                MANIFEST,
                "manifest_lesbar",
                f"Die Datei ist kein gültiges JSON ({error.msg}, Spalte {error.colno}).",
                zeile=error.lineno,
            )
        ]
    if not isinstance(manifest, dict):
        return None, [Finding(MANIFEST, "manifest_lesbar", "Die Datei enthält kein JSON-Objekt.")]
    return manifest, []


def _is(value: object, kind: type | tuple[type, ...]) -> bool:
    return isinstance(value, kind) and not isinstance(value, bool)


def _manifest_fields(manifest: dict) -> list[Finding]:
    version = manifest.get("paketformat")
    if not _is(version, int):
        return [
            Finding(
                MANIFEST,
                "manifest_felder",
                "Das Feld paketformat fehlt oder ist keine ganze Zahl; das Paket stammt wohl "
                "von einer älteren kekiz-Version, bitte mit der aktuellen neu exportieren.",
                spalte="paketformat",
            )
        ]
    if version not in SUPPORTED_FORMATS:
        known = ", ".join(str(v) for v in sorted(SUPPORTED_FORMATS))
        return [
            Finding(
                MANIFEST,
                "paketformat",
                f"Das Paketformat {version} ist unbekannt; das Land nimmt die Formate {known} "
                "an. Bitte mit einer passenden kekiz-Version exportieren.",
                spalte="paketformat",
            )
        ]
    found = []
    for field, kind in SUPPORTED_FORMATS[version].manifest.items():
        if field not in manifest:
            found.append(Finding(MANIFEST, "manifest_felder", "Das Feld fehlt.", spalte=field))
        elif not _is(manifest[field], kind):
            found.append(
                Finding(
                    MANIFEST,
                    "manifest_felder",
                    f"Der Wert {manifest[field]!r} hat nicht den erwarteten Typ.",
                    spalte=field,
                )
            )
    if found:
        return found
    checks = (
        ("ags", "ags", AREA_KEY.fullmatch(manifest["ags"]),
         "ist kein Amtlicher Gemeindeschlüssel (8 Ziffern) und kein Kreisschlüssel (5 Ziffern)"),
        ("run_id", "manifest_felder", RUN_ID.fullmatch(manifest["run_id"]),
         "ist keine Laufkennung"),
        ("erstellt", "manifest_felder", _datetime(manifest["erstellt"]),
         "ist kein Zeitpunkt nach ISO 8601"),
        (HASH_KEY, "manifest_felder", SHA256.fullmatch(manifest[HASH_KEY]), "ist kein SHA-256"),
    )  # fmt: skip
    for field, rule, ok, problem in checks:
        if not ok:
            found.append(
                Finding(MANIFEST, rule, f"Der Wert {manifest[field]!r} {problem}.", spalte=field)
            )
    found += [
        Finding(
            MANIFEST,
            "manifest_felder",
            f"Die Prüfsumme {checksum!r} der Datei {name} ist kein SHA-256.",
            spalte="dateien",
        )
        for name, checksum in manifest["dateien"].items()
        if not (isinstance(checksum, str) and SHA256.fullmatch(checksum))
    ]
    return found


def _datetime(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _manifest_checksum(manifest: dict) -> list[Finding]:
    if manifest_hash(manifest) == manifest[HASH_KEY]:
        return []
    return [
        Finding(
            MANIFEST,
            "manifest_pruefsumme",
            "Die Prüfsumme des Manifests (manifest_sha256) passt nicht zu seinem Inhalt: die "
            "Datei wurde nach dem Export verändert oder beschädigt.",
            spalte=HASH_KEY,
        )
    ]


# --- the files ---------------------------------------------------------------------------


def _files(folder: Path, manifest: dict, version: int) -> list[Finding]:
    listed: dict[str, str] = manifest["dateien"]
    expected = package_files(version)
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {
        MANIFEST
    }
    found = []
    for name in sorted(expected - set(listed)):
        found.append(
            Finding(
                name,
                "datei_fehlt",
                f"Die Datei gehört zu Paketformat {version}, fehlt aber im Manifest.",
            )
        )
    for name in sorted(listed):
        if name not in expected:
            found.append(
                Finding(
                    name,
                    "datei_unbekannt",
                    f"Das Manifest nennt eine Datei, die nicht zu Paketformat {version} gehört.",
                )
            )
        elif name not in present:
            found.append(
                Finding(name, "datei_fehlt", "Die Datei steht im Manifest, fehlt aber im Paket.")
            )
        elif sha256_of(folder / name) != listed[name]:
            found.append(
                Finding(
                    name,
                    "pruefsumme",
                    "Die Prüfsumme der Datei passt nicht zum Manifest: sie wurde nach dem Export "
                    "verändert oder beim Übertragen beschädigt.",
                )
            )
    for name in sorted(present - set(listed)):
        found.append(
            Finding(
                name,
                "datei_unbekannt",
                "Die Datei steht nicht im Manifest; ein Paket enthält nur die Dateien, die der "
                "Export geschrieben hat.",
            )
        )
    return found


# --- the tables --------------------------------------------------------------------------


def _structure(folder: Path, version: int) -> list[Finding]:
    """datapackage.json describes exactly the tables of the format, each in its own file and
    nowhere else; every table has its columns."""
    try:
        package = json.loads((folder / DATAPACKAGE).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return [Finding(DATAPACKAGE, "datapackage", f"Die Datei ist kein gültiges JSON ({error}).")]
    resources = package.get("resources") if isinstance(package, dict) else None
    if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
        return [Finding(DATAPACKAGE, "datapackage", "Die Datei beschreibt keine Tabellen.")]
    found = []
    if package.get("profile", "tabular-data-package") not in PACKAGE_PROFILES or (
        "$schema" in package
    ):
        found.append(
            Finding(DATAPACKAGE, "datapackage", "Das Profil des Data Package ist nicht zulässig.")
        )
    tables = required_columns(version)
    named = {r.get("name"): r for r in resources}
    for resource in resources:
        name = resource.get("name")
        if name not in tables:
            found.append(
                Finding(
                    DATAPACKAGE,
                    "datapackage",
                    f"Die Tabelle {name!r} gehört nicht zu Paketformat {version}.",
                )
            )
        elif not _local(resource, name):
            found.append(
                Finding(
                    DATAPACKAGE,
                    "datapackage",
                    f"Die Tabelle {name} muss in der Datei {name}.csv des Pakets liegen und ihr "
                    "Schema in datapackage.json stehen; Verweise auf andere Orte sind nicht "
                    "zulässig.",
                )
            )
    for name, columns in tables.items():
        if name not in named:
            found.append(
                Finding(
                    DATAPACKAGE,
                    "tabelle_fehlt",
                    f"Die Tabelle {name} fehlt; Paketformat {version} verlangt sie.",
                )
            )
            continue
        header = _header(folder / f"{name}.csv")
        found += [
            Finding(
                f"{name}.csv",
                "spalte_fehlt",
                f"Die Spalte fehlt; Paketformat {version} verlangt sie in der Tabelle {name}.",
                zeile=1,
                spalte=column,
            )
            for column in columns
            if column not in header
        ]
    return found


def _local(resource: dict, name: str) -> bool:
    """The resource lies in its own CSV file of the package and describes itself inline."""
    return (
        resource.get("path") == f"{name}.csv"
        and isinstance(resource.get("schema"), dict)
        and isinstance(resource.get("dialect", {}), dict)
        and resource.get("profile", "tabular-data-resource") in RESOURCE_PROFILES
        and "data" not in resource
        and "$schema" not in resource
    )


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        return next(csv.reader(handle), [])


def _frictionless(folder: Path) -> list[Finding]:
    """Frictionless validation of datapackage.json against the table files, data included."""
    report = frictionless.validate(str(folder / DATAPACKAGE))
    found = [_from_frictionless(error, DATAPACKAGE) for error in report.errors]
    for task in report.tasks:
        found += [_from_frictionless(error, f"{task.name}.csv") for error in task.errors]
    return _capped(found)


def _from_frictionless(error: frictionless.Error, file: str) -> Finding:
    title = FRICTIONLESS.get(error.type, "Frictionless meldet einen Fehler")
    return Finding(
        file,
        "datapackage",
        f"{title} (Frictionless: {error.type}; {error.note}).",
        zeile=getattr(error, "row_number", None),
        spalte=getattr(error, "field_name", None),
    )


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) of every data row of a CSV table of the package."""
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        yield from enumerate(csv.DictReader(handle), FIRST_ROW)


def _area_key(folder: Path, ags: str) -> list[Finding]:
    """The AGS of the manifest is that of the table kommune and of the top rows."""
    found = []
    cities = list(_rows(folder / "kommune.csv"))
    if len(cities) != 1:
        found.append(
            Finding(
                "kommune.csv",
                "ags",
                f"Die Tabelle hat {len(cities)} Zeilen statt genau einer für die Kommune.",
            )
        )
    for line, row in cities:
        if row.get("gebiet_id") != ags:
            found.append(_other_key("kommune.csv", line, row.get("gebiet_id"), ags))
    tops = [
        (line, row) for line, row in _rows(folder / "gebiete.csv") if row.get("ebene_rang") == TOP
    ]
    if len(tops) != 1:
        found.append(
            Finding(
                "gebiete.csv",
                "ags",
                f"Die Tabelle hat {len(tops)} Gebiete mit ebene_rang 0 statt genau eines, der "
                "Kommune als Ganzes.",
                spalte="ebene_rang",
            )
        )
    found += [
        _other_key("gebiete.csv", line, row.get("gebiet_id"), ags)
        for line, row in tops
        if row.get("gebiet_id") != ags
    ]
    found += _capped(
        [
            _other_key("indikatoren.csv", line, row.get("gebiet_id"), ags)
            for line, row in _rows(folder / "indikatoren.csv")
            if row.get("ebene_rang") == TOP and row.get("gebiet_id") != ags
        ]
    )
    return found


def _other_key(file: str, line: int, key: str | None, ags: str) -> Finding:
    return Finding(
        file,
        "ags",
        f"Der Gebietsschlüssel {key!r} der Kommune stimmt nicht mit dem AGS {ags} des Manifests "
        "überein.",
        zeile=line,
        spalte="gebiet_id",
    )


def _threshold(threshold: int, min_threshold: int) -> list[Finding]:
    if threshold >= min_threshold:
        return []
    return [
        Finding(
            MANIFEST,
            "schwelle",
            f"Das Paket wurde mit der Geheimhaltungsschwelle {threshold} exportiert; das Land "
            f"verlangt mindestens {min_threshold}. Bitte mit kekiz export --schwelle "
            f"{min_threshold} oder höher neu exportieren.",
            spalte="geheimhaltungsschwelle",
        )
    ]


def _small_counts(folder: Path, version: int, threshold: int) -> list[Finding]:
    """Every count of people between 1 and ``threshold`` − 1: it must have been suppressed."""
    found = []
    for table, columns in count_columns(version).items():
        cells = []
        for line, row in _rows(folder / f"{table}.csv"):
            for column in columns:
                value = _number(row.get(column))
                if value is not None and 1 <= value < threshold:
                    cells.append(
                        Finding(
                            f"{table}.csv",
                            "kleine_zahl",
                            f"Die Anzahl {row[column]} liegt zwischen 1 und {threshold - 1}; "
                            f"Fallzahlen unter der Geheimhaltungsschwelle {threshold} müssen "
                            "gesperrt (leer) sein.",
                            zeile=line,
                            spalte=column,
                        )
                    )
        found += _capped(cells)
    return found


def _number(cell: str | None) -> float | None:
    try:
        return float(cell) if cell else None
    except ValueError:
        return None


def _capped(findings: list[Finding]) -> list[Finding]:
    """At most ``MAX_PER_FILE`` findings of one rule in one file, then one that counts the
    rest."""
    kept: list[Finding] = []
    rest: Counter[tuple[str | None, str]] = Counter()
    shown: Counter[tuple[str | None, str]] = Counter()
    for finding in findings:
        key = (finding.datei, finding.regel)
        if shown[key] < MAX_PER_FILE:
            shown[key] += 1
            kept.append(finding)
        else:
            rest[key] += 1
    kept += [
        Finding(file, rule, f"… und {count} weitere Befunde dieser Regel in dieser Datei.")
        for (file, rule), count in rest.items()
    ]
    return kept
