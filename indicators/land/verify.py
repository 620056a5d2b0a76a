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
from datetime import datetime, timedelta
from pathlib import Path

import frictionless

from indicators.export.manifest import HASH_KEY, MANIFEST, manifest_hash
from indicators.ingest.archive import sha256_of
from indicators.land.format import (
    DATETIME_FORMAT,
    SUPPORTED_FORMATS,
    TableSchema,
    count_columns,
    derived_columns,
    package_files,
    required_columns,
    table_schemas,
)
from schemas.profile import OFFICIAL_KEY

DATAPACKAGE = "datapackage.json"
AREA_KEY = re.compile(OFFICIAL_KEY)
COUNTY = "Kreis"
"""``art`` of a municipality with a five-digit key (Kreisschlüssel)."""
CREATED = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([+-][0-9]{2}:[0-9]{2})?"
)
LEEWAY = timedelta(days=1)
"""How far ``erstellt`` may lie after the intake (clocks of the offices differ)."""
WHOLE = re.compile(r"-?[0-9]+")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""C0 control characters other than tab, line feed and carriage return."""
EXCEL_DIALECT = {"encoding": "utf-8-sig", "delimiter": ";"}
"""How the copies in ``excel/`` are written."""
RESOURCE_KEYS = {
    "name", "path", "title", "description", "profile", "format", "mediatype", "encoding",
    "schema", "dialect",
}  # fmt: skip
"""What datapackage.json may say about a table; anything else could change how it is read."""
SCHEMA_KEYS = {"fields", "missingValues", "primaryKey", "foreignKeys"}
FIELD_KEYS = {"name", "type", "title", "description", "unit", "constraints", "format"}
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


def verify_package(folder: Path, min_threshold: int, now: datetime | None = None) -> Verification:
    """Check the package in ``folder``; ``min_threshold`` is the Land's least disclosure
    threshold, ``now`` the time of the intake (default: the clock). A package the checks
    cannot read to the end is refused as well."""
    try:
        return _verify(folder, min_threshold, now or datetime.now())
    except Exception as error:  # whatever a package holds, it is refused, never a crash
        return Verification(None, [unreadable(error)])


def unreadable(error: Exception) -> Finding:
    """The finding for a package whose checking stopped with ``error``."""
    return Finding(
        None,
        "unlesbar",
        f"Das Paket ließ sich nicht vollständig prüfen ({type(error).__name__}: {error}); "
        "ein Paket, das nicht geprüft werden kann, wird abgelehnt.",
    )


def _verify(folder: Path, min_threshold: int, now: datetime) -> Verification:
    manifest, findings = _read_manifest(folder)
    if manifest is None or findings:
        return Verification(manifest, findings)
    findings = _manifest_fields(manifest, now)
    if findings:
        return Verification(manifest, findings)
    version = manifest["paketformat"]
    findings = _manifest_checksum(manifest) + _files(folder, manifest, version)
    if findings:
        return Verification(manifest, findings)
    findings = _structure(folder, version) + _control_characters(folder, version)
    if not any(f.regel in ("datapackage", "tabelle_fehlt", "schema") for f in findings):
        findings += _frictionless(folder)
    if not any(f.regel == "tabelle_fehlt" for f in findings):
        findings += _area_key(folder, manifest)
        findings += _threshold(manifest["geheimhaltungsschwelle"], min_threshold)
        least = max(manifest["geheimhaltungsschwelle"], min_threshold)
        findings += _small_counts(folder, version, least)
        findings += _open_derived(folder, version)
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


def _manifest_fields(manifest: dict, now: datetime) -> list[Finding]:
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
    return found + _created(manifest["erstellt"], now)


def _created(text: str, now: datetime) -> list[Finding]:
    """``erstellt`` is a time ``YYYY-MM-DDTHH:MM:SS`` (with an optional UTC offset) and not
    later than the intake plus ``LEEWAY``."""
    problem = None
    try:
        created = datetime.fromisoformat(text) if CREATED.fullmatch(text) else None
        if created is None:
            problem = "ist kein Zeitpunkt der Form JJJJ-MM-TTTHH:MM:SS (mit oder ohne UTC-Versatz)"
        elif _later(created, now + LEEWAY):
            problem = (
                f"liegt nach dem Eingang ({now:%d.%m.%Y %H:%M}); ein Paket kann nicht in der "
                "Zukunft erstellt worden sein. Bitte die Uhr des Rechners prüfen und neu "
                "exportieren"
            )
    except (ValueError, OverflowError):
        problem = "ist kein gültiger Zeitpunkt"
    if problem is None:
        return []
    return [Finding(MANIFEST, "erstellt", f"Der Wert {text!r} {problem}.", spalte="erstellt")]


def _later(created: datetime, limit: datetime) -> bool:
    if created.tzinfo is None:
        return created > limit
    return created > limit.astimezone()


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
    named = {r["name"]: r for r in resources if isinstance(r.get("name"), str)}
    for resource in resources:
        name = resource.get("name")
        if not isinstance(name, str) or name not in tables:
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
        else:
            found += _resource_form(resource, name) + _schema(
                resource, table_schemas(version)[name]
            )
    if len(named) != sum(isinstance(r.get("name"), str) for r in resources):
        found.append(Finding(DATAPACKAGE, "datapackage", "Eine Tabelle ist mehrfach beschrieben."))
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


def _resource_form(resource: dict, name: str) -> list[Finding]:
    """The table is read as the export writes it: plain CSV in UTF-8, nothing that changes
    how it is read (dialect, compression, other keys)."""
    problems = []
    if extra := sorted(set(resource) - RESOURCE_KEYS):
        problems.append(f"die Angaben {', '.join(extra)} sind nicht zulässig")
    if resource.get("dialect", {}) != {}:
        problems.append("ein eigener CSV-Dialekt (dialect) ist nicht zulässig")
    if resource.get("format") != "csv":
        problems.append("das Format (format) muss csv sein")
    if resource.get("encoding") != "utf-8":
        problems.append("die Kodierung (encoding) muss utf-8 sein")
    return [
        Finding(
            DATAPACKAGE,
            "datapackage",
            f"Die Beschreibung der Tabelle {name} weicht vom Paketformat ab: {problem}.",
        )
        for problem in problems
    ]


def _schema(resource: dict, official: TableSchema) -> list[Finding]:
    """The table's schema is the official one of the format: columns in order with their
    types, keys, and nothing that changes how values are read."""
    schema = resource["schema"]
    fields = schema.get("fields")
    if not isinstance(fields, list) or not all(isinstance(f, dict) for f in fields):
        return [_schema_finding(resource["name"], "Die Spalten (fields) fehlen.")]
    problems = []
    declared = [(f.get("name"), f.get("type")) for f in fields]
    if declared != list(official.fields):
        problems.append(_columns_differ(declared, official))
    if extra := sorted(set(schema) - SCHEMA_KEYS):
        problems.append(f"Die Angaben {', '.join(extra)} sind im Schema nicht zulässig.")
    if schema.get("missingValues", [""]) != [""]:
        problems.append("Fehlende Werte (missingValues) sind nur als leere Zelle zulässig.")
    if _key(schema.get("primaryKey")) != official.primary_key:
        problems.append(f"Der Primärschlüssel muss {', '.join(official.primary_key)} sein.")
    if _references(schema.get("foreignKeys", [])) != _official_references(official):
        problems.append("Die Fremdschlüssel (foreignKeys) weichen vom Paketformat ab.")
    problems += [
        f"Die Spalte {f.get('name')} hat Angaben, die das Paketformat nicht vorsieht."
        for f in fields
        if not _plain_field(f, official)
    ]
    return [_schema_finding(resource["name"], problem) for problem in problems]


def _columns_differ(declared: list[tuple], official: TableSchema) -> str:
    expected = list(official.fields)
    first = next(
        i for i, pair in enumerate([*declared, None]) if i >= len(expected) or pair != expected[i]
    )
    said = f"{declared[first][0]} ({declared[first][1]})" if first < len(declared) else "nichts"
    wanted = f"{expected[first][0]} ({expected[first][1]})" if first < len(expected) else "nichts"
    return (
        f"Die Spalten oder ihre Datentypen weichen vom Paketformat ab: an Stelle {first + 1} "
        f"steht {said}, verlangt ist {wanted}."
    )


def _key(value: object) -> tuple | None:
    if isinstance(value, str):
        return (value,)
    return tuple(value) if isinstance(value, list) else None


def _references(value: object) -> list | None:
    if not isinstance(value, list) or not all(isinstance(k, dict) for k in value):
        return None
    return [
        (
            _key(k.get("fields")),
            k.get("reference", {}).get("resource")
            if isinstance(k.get("reference"), dict)
            else None,
            _key(k["reference"].get("fields")) if isinstance(k.get("reference"), dict) else None,
        )
        for k in value
    ]


def _official_references(official: TableSchema) -> list:
    return [(k.fields, k.resource, k.reference) for k in official.foreign_keys]


def _plain_field(field: dict, official: TableSchema) -> bool:
    """Only descriptive keys, ``required`` on the primary key and the export's datetime
    format: no pattern, no other constraint, no other value format."""
    required = {"required": True} if field.get("name") in official.primary_key else None
    expected_format = DATETIME_FORMAT if field.get("type") == "datetime" else None
    return (
        set(field) <= FIELD_KEYS
        and field.get("constraints") == required
        and field.get("format", expected_format) in (expected_format, "default")
    )


def _schema_finding(name: str, problem: str) -> Finding:
    return Finding(DATAPACKAGE, "schema", f"Tabelle {name}: {problem}")


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


def _rows(path: Path, excel: bool = False) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) of every data row of a CSV table of the package, or of its copy in
    ``excel/`` with ``excel``."""
    dialect = EXCEL_DIALECT if excel else {"encoding": "utf-8", "delimiter": ","}
    with path.open(encoding=dialect["encoding"], errors="replace", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=dialect["delimiter"])
        yield from enumerate(reader, FIRST_ROW)


def _tables(folder: Path, version: int) -> Iterator[tuple[str, str, bool]]:
    """(table, file, is the Excel copy) of every table CSV of the package and its copy."""
    copies = SUPPORTED_FORMATS[version].copies
    for table in required_columns(version):
        yield table, f"{table}.csv", False
        yield table, f"{copies}/{table}.csv", True


def _control_characters(folder: Path, version: int) -> list[Finding]:
    """No CSV cell holds a control character (other than tab and line breaks)."""
    found = []
    for _, file, excel in _tables(folder, version):
        dialect = EXCEL_DIALECT if excel else {"encoding": "utf-8", "delimiter": ","}
        path = folder / file
        with path.open(encoding=dialect["encoding"], errors="replace", newline="") as handle:
            reader = csv.reader(handle, delimiter=dialect["delimiter"])
            header: list[str] = []
            cells = []
            for line, row in enumerate(reader, FIRST_ROW - 1):
                header = header or row
                cells += [
                    _control(file, line, header, index, cell)
                    for index, cell in enumerate(row)
                    if CONTROL.search(cell)
                ]
        found += _capped(cells)
    return found


def _control(file: str, line: int, header: list[str], index: int, cell: str) -> Finding:
    character = CONTROL.search(cell).group()  # type: ignore[union-attr]
    return Finding(
        file,
        "steuerzeichen",
        f"Die Zelle enthält das Steuerzeichen U+{ord(character):04X}; Steuerzeichen (außer "
        "Tabulator und Zeilenumbruch) sind in einer Tabelle nicht zulässig.",
        zeile=line,
        spalte=header[index] if index < len(header) else f"Nr. {index + 1}",
    )


def _area_key(folder: Path, manifest: dict) -> list[Finding]:
    """The AGS of the manifest is that of the table kommune and of the top rows; the name is
    that of the table kommune, and a five-digit key is that of a Kreis."""
    ags = manifest["ags"]
    found = []
    cities = list(_rows(folder / "kommune.csv"))
    for line, row in cities:
        found += _city(line, row, manifest)
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


def _city(line: int, row: dict[str, str], manifest: dict) -> list[Finding]:
    found = []
    county = len(manifest["ags"]) == 5
    if county != (row.get("art") == COUNTY):
        expected = f"»{COUNTY}«" if county else f"nicht »{COUNTY}«"
        found.append(
            Finding(
                "kommune.csv",
                "ags",
                f"Die Art {row.get('art')!r} passt nicht zum Schlüssel {manifest['ags']}: ein "
                f"Schlüssel mit {len(manifest['ags'])} Ziffern verlangt die Art {expected}.",
                zeile=line,
                spalte="art",
            )
        )
    if row.get("gebiet_name") != manifest["kommune"]:
        found.append(
            Finding(
                "kommune.csv",
                "kommune",
                f"Der Name {row.get('gebiet_name')!r} stimmt nicht mit dem Namen "
                f"{manifest['kommune']!r} im Manifest (Feld kommune) überein.",
                zeile=line,
                spalte="gebiet_name",
            )
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
    """Every count of people is a whole number, and none lies between 1 and ``threshold`` − 1:
    such a count must have been suppressed. The copies in ``excel/`` are checked alike."""
    counts = count_columns(version)
    found = []
    for table, file, excel in _tables(folder, version):
        cells = []
        for line, row in _rows(folder / file, excel):
            for column in counts.get(table, ()):
                cells += _count(file, line, column, row.get(column), threshold)
        found += _capped(cells)
    return found


def _count(file: str, line: int, column: str, cell: str | None, threshold: int) -> list[Finding]:
    if not cell:
        return []
    if not WHOLE.fullmatch(cell):
        message = f"Die Anzahl {cell!r} ist keine ganze Zahl; Fallzahlen sind ganze Zahlen."
        return [Finding(file, "anzahl", message, zeile=line, spalte=column)]
    if 1 <= int(cell) < threshold:
        message = (
            f"Die Anzahl {cell} liegt zwischen 1 und {threshold - 1}; Fallzahlen unter der "
            f"Geheimhaltungsschwelle {threshold} müssen gesperrt (leer) sein."
        )
        return [Finding(file, "kleine_zahl", message, zeile=line, spalte=column)]
    return []


def _open_derived(folder: Path, version: int) -> list[Finding]:
    """A value computed from counts is empty where one of its counts is suppressed (empty):
    otherwise it gives the suppressed count back."""
    derived = derived_columns(version)
    found = []
    for table, file, excel in _tables(folder, version):
        cells = []
        for line, row in _rows(folder / file, excel):
            for column, counts in derived.get(table, {}).items():
                empty = [count for count in counts if not row.get(count)]
                if row.get(column) and empty:
                    cells.append(_derived(file, line, column, empty))
        found += _capped(cells)
    return found


def _derived(file: str, line: int, column: str, empty: list[str]) -> Finding:
    return Finding(
        file,
        "abgeleitet_offen",
        f"Der Wert ist aus der gesperrten (leeren) Fallzahl {', '.join(empty)} abgeleitet und "
        "muss deshalb ebenfalls gesperrt (leer) sein; sonst lässt sich die gesperrte Zahl "
        "zurückrechnen.",
        zeile=line,
        spalte=column,
    )


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
