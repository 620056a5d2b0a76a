"""Check the content of the tables of a package: cells, the AGS, the threshold, counts.

No cell of a table or of its copy in ``excel/`` holds a control character. The AGS of the
manifest is that of the municipality in ``kommune.csv`` and of the top rows of ``gebiete.csv``
and ``indikatoren.csv``, and the name matches. The package was exported with at least the
Land's disclosure threshold and with suppression, not the Cell Key Method; no count of people
lies between 1 and the threshold − 1, and a value derived from a suppressed count is
suppressed as well.
"""

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from indicators.export.manifest import MANIFEST, METHOD_KEY
from indicators.land.findings import Finding, capped
from indicators.land.format import (
    SUPPORTED_FORMATS,
    count_columns,
    derived_columns,
    required_columns,
)

COUNTY = "Kreis"
"""``art`` of a municipality with a five-digit key (Kreisschlüssel)."""
WHOLE = re.compile(r"-?[0-9]+")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""C0 control characters other than tab, line feed and carriage return."""
EXCEL_DIALECT = {"encoding": "utf-8-sig", "delimiter": ";"}
"""How the copies in ``excel/`` are written."""
TOP = "0"
"""``ebene_rang`` of the municipality as a whole."""
FIRST_ROW = 2
"""Line of the first data row in a CSV file (the header is line 1), as Frictionless counts."""


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


def control_characters(folder: Path, version: int) -> list[Finding]:
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
        found += capped(cells)
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


def area_key(folder: Path, manifest: dict) -> list[Finding]:
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
    found += capped(
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


def land_threshold(threshold: int, min_threshold: int) -> list[Finding]:
    if threshold >= min_threshold:
        return []
    return [
        Finding(
            MANIFEST,
            "schwelle",
            f"Das Paket wurde mit der Geheimhaltungsschwelle {threshold} exportiert; das Land "
            f"verlangt mindestens {min_threshold}. Bitte mit kekiz export --threshold "
            f"{min_threshold} oder höher neu exportieren.",
            spalte="geheimhaltungsschwelle",
        )
    ]


def land_method(manifest: dict) -> list[Finding]:
    """A package with counts perturbed by the Cell Key Method is refused: the Land pools the
    effect estimates exactly with the pooling statistics, which such a package leaves out
    (they follow from the unperturbed values), and adds and compares counts across
    municipalities, which noise would bias in small areas. A package without the field is
    suppressed (every package before the method existed)."""
    method = manifest.get(METHOD_KEY)
    if method is None:
        return []
    name = method.get("verfahren") if isinstance(method, dict) else method
    return [
        Finding(
            MANIFEST,
            "verfahren",
            f"Das Paket wurde mit dem Geheimhaltungsverfahren {name!r} exportiert (Fallzahlen "
            "überlagert statt gesperrt, ohne Poolingstatistik); das Land poolt Schätzwerte "
            "exakt und nimmt nur Pakete mit Sperrung an. Bitte mit kekiz export --method "
            "sperrung neu exportieren.",
            spalte=METHOD_KEY,
        )
    ]


def small_counts(folder: Path, version: int, threshold: int) -> list[Finding]:
    """Every count of people is a whole number, and none lies between 1 and ``threshold`` − 1:
    such a count must have been suppressed. The copies in ``excel/`` are checked alike."""
    counts = count_columns(version)
    found = []
    for table, file, excel in _tables(folder, version):
        cells = []
        for line, row in _rows(folder / file, excel):
            for column in counts.get(table, ()):
                cells += _count(file, line, column, row.get(column), threshold)
        found += capped(cells)
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


def open_derived(folder: Path, version: int) -> list[Finding]:
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
        found += capped(cells)
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
