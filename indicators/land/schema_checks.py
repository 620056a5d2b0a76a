"""Check ``datapackage.json`` of a package against the pinned format, then with Frictionless.

``datapackage.json`` must describe exactly the tables of the package format, each inline and
in its own CSV file, read as the export writes it (plain CSV in UTF-8), with the official
schema of the format: columns in order with their types, keys, and nothing that changes how
values are read. Every table file must have the columns of the format. Frictionless then
validates the tables, data included, against that description; its errors become findings
with a German title.
"""

import csv
import json
from pathlib import Path

from frictionless import Error as FrictionlessError
from frictionless import validate

from indicators.land.findings import Finding, capped
from indicators.land.format import DATETIME_FORMAT, TableSchema, required_columns, table_schemas

DATAPACKAGE = "datapackage.json"
RESOURCE_KEYS = {
    "name", "path", "title", "description", "profile", "format", "mediatype", "encoding",
    "schema", "dialect",
}  # fmt: skip
"""What datapackage.json may say about a table; anything else could change how it is read."""
SCHEMA_KEYS = {"fields", "missingValues", "primaryKey", "foreignKeys"}
FIELD_KEYS = {"name", "type", "title", "description", "unit", "constraints", "format"}
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


def structure(folder: Path, version: int) -> list[Finding]:
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


def frictionless_findings(folder: Path) -> list[Finding]:
    """Frictionless validation of datapackage.json against the table files, data included."""
    report = validate(str(folder / DATAPACKAGE))
    found = [_from_frictionless(error, DATAPACKAGE) for error in report.errors]
    for task in report.tasks:
        found += [_from_frictionless(error, f"{task.name}.csv") for error in task.errors]
    return capped(found)


def _from_frictionless(error: FrictionlessError, file: str) -> Finding:
    title = FRICTIONLESS.get(error.type, "Frictionless meldet einen Fehler")
    return Finding(
        file,
        "datapackage",
        f"{title} (Frictionless: {error.type}; {error.note}).",
        zeile=getattr(error, "row_number", None),
        spalte=getattr(error, "field_name", None),
    )
