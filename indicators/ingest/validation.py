"""Typing and validating delivered rows against a source schema, with German findings.

``validate_rows`` turns raw cells into typed columns (German number format, years, dates),
runs the pandera schema lazily (every failure is collected) and returns the valid rows and
one finding per failing cell or row, worded for the statistics office.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from indicators.ingest.numbers import (
    CellError,
    NumberFormat,
    cell_text,
    is_suppressed,
    parse_count,
    parse_date,
    parse_number,
    parse_year,
)
from indicators.ingest.reader import InvalidPart, UncachedFormula
from schemas.fields import explicit_unknown, field_kind
from schemas.source import SUPPRESSED_COLUMN, References, SourceSchema

TRUE_WORDS = {"ja", "j", "x", "1", "wahr", "true", "aktiv"}
FALSE_WORDS = {"nein", "n", "0", "falsch", "false", "inaktiv", ""}
EMPTY_COUNT = "Pflichtfeld ist leer (unbekannte oder gesperrte Werte bitte mit '{}' angeben)"
UNCACHED_FORMULA = (
    "Formel ohne gespeicherten Wert: bitte die Datei in Excel öffnen, neu berechnen lassen und "
    "speichern (oder die Werte statt der Formeln liefern)"
)
_PANDAS_DTYPES = {"year": "Int64", "count": "Int64", "number": "Float64", "bool": "boolean"}


@dataclass(frozen=True)
class Finding:
    """One problem in a delivery: file row, canonical column (None: the whole row), rule."""

    row: int
    column: str | None
    value: str
    rule: str


@dataclass
class ValidatedRows:
    valid: pd.DataFrame
    """Typed rows that passed, indexed by file row, with the SUPPRESSED_COLUMN."""
    findings: list[Finding]

    def failing_rows(self) -> list[int]:
        return sorted({f.row for f in self.findings})


def _parse_bool(value: object) -> bool | None:
    text = cell_text(value).casefold()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return None if text == "" else False
    raise CellError(f"'{cell_text(value)}' ist kein Ja/Nein-Wert (erwartet ja oder nein)")


def _unreadable(cell: UncachedFormula | InvalidPart) -> str:
    return UNCACHED_FORMULA if isinstance(cell, UncachedFormula) else cell.rule


def type_rows(
    raw: pd.DataFrame, source: SourceSchema, fmt: NumberFormat
) -> tuple[pd.DataFrame, list[Finding]]:
    """Typed columns from raw cells; unreadable cells become NULL and a finding."""
    findings: list[Finding] = []
    typed: dict[str, pd.Series] = {}
    suppressed: dict[int, list[str]] = {}
    parsers = {
        "year": parse_year,
        "count": lambda v: parse_count(v, fmt),
        "number": lambda v: parse_number(v, fmt),
        "date": parse_date,
        "bool": _parse_bool,
        "text": lambda v: cell_text(v) or None,
    }
    for name, column in source.columns().items():
        if name not in raw.columns:
            continue
        kind = field_kind(column)
        values = []
        numeric = kind in ("count", "number")
        for row, cell in raw[name].items():
            if isinstance(cell, UncachedFormula | InvalidPart):
                findings.append(Finding(row, name, str(cell), _unreadable(cell)))
                values.append(None)
                continue
            if numeric and is_suppressed(cell, fmt):
                suppressed.setdefault(row, []).append(name)
            elif numeric and explicit_unknown(column) and cell_text(cell) == "":
                findings.append(Finding(row, name, "", EMPTY_COUNT.format(fmt.unknown[0])))
                values.append(None)
                continue
            try:
                values.append(parsers[kind](cell))
            except CellError as exc:
                findings.append(Finding(row, name, cell_text(cell), str(exc)))
                values.append(None)
        dtype = _PANDAS_DTYPES.get(kind, "string")
        if kind == "date":
            typed[name] = pd.to_datetime(pd.Series(values, index=raw.index, dtype="object"))
        else:
            typed[name] = pd.Series(values, index=raw.index, dtype="object").astype(dtype)
    frame = pd.DataFrame(typed, index=raw.index)
    frame[SUPPRESSED_COLUMN] = pd.Series(
        {row: ",".join(names) for row, names in suppressed.items()}, dtype="string"
    ).reindex(raw.index)
    return frame, findings


def validate_rows(
    raw: pd.DataFrame,
    source: SourceSchema,
    fmt: NumberFormat,
    refs: References,
    structural: Mapping[int, list[str]] | None = None,
    titles: Mapping[str, str] | None = None,
) -> ValidatedRows:
    """Type and validate raw rows; every failure becomes a Finding, nothing is dropped."""
    typed, findings = type_rows(raw, source, fmt)
    for row, messages in (structural or {}).items():
        findings.extend(Finding(row, None, "", message) for message in messages)
    unreadable = {(f.row, f.column) for f in findings}
    findings += [
        f
        for f in _schema_findings(typed, source, refs, titles or {})
        if (f.row, f.column) not in unreadable
    ]
    failing = {f.row for f in findings}
    valid = typed.loc[~typed.index.isin(failing)]
    return ValidatedRows(
        valid=valid, findings=sorted(findings, key=lambda f: (f.row, f.column or ""))
    )


def validate_typed(frame: pd.DataFrame, source: SourceSchema, refs: References) -> list[Finding]:
    """Findings for an already typed table (e.g. a staging table read back from DuckDB)."""
    typed = frame.reset_index(drop=True).copy()
    for name, column in source.columns().items():
        if name in typed.columns:
            kind = field_kind(column)
            if kind == "date":
                typed[name] = pd.to_datetime(typed[name])
            else:
                typed[name] = typed[name].astype(_PANDAS_DTYPES.get(kind, "string"))
    if SUPPRESSED_COLUMN in typed.columns:
        typed[SUPPRESSED_COLUMN] = typed[SUPPRESSED_COLUMN].astype("string")
    return _schema_findings(typed, source, refs, {})


def _schema_findings(
    typed: pd.DataFrame, source: SourceSchema, refs: References, titles: Mapping[str, str]
) -> list[Finding]:
    try:
        source.full_schema(refs).validate(typed, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return _translate(exc.failure_cases, source, typed, refs, titles)
    return []


_BUILTIN = [
    (re.compile(r"^not_nullable$"), lambda m: "Pflichtfeld ist leer"),
    (re.compile(r"^greater_than_or_equal_to\(0\)$"), lambda m: "darf nicht negativ sein"),
    (re.compile(r"^greater_than_or_equal_to\((.+)\)$"), lambda m: f"muss mindestens {m[1]} sein"),
    (re.compile(r"^less_than_or_equal_to\((.+)\)$"), lambda m: f"darf höchstens {m[1]} sein"),
    (re.compile(r"^greater_than\((.+)\)$"), lambda m: f"muss größer als {m[1]} sein"),
    (re.compile(r"^isin\((.+)\)$"), lambda m: f"muss einer dieser Werte sein: {m[1]}"),
    (re.compile(r"^str_matches\((.+)\)$"), lambda m: "hat nicht das erwartete Format"),
    (re.compile(r"^str_length\((.+)\)$"), lambda m: "darf nicht leer sein"),
]


def _builtin_rule(check: str, expected_format: str | None = None) -> str:
    if expected_format and check.startswith("str_matches("):
        return f"hat nicht das erwartete Format ({expected_format})"
    for pattern, render in _BUILTIN:
        match = pattern.match(check)
        if match:
            return render(match)
    return check


def _translate(
    cases: pd.DataFrame,
    source: SourceSchema,
    typed: pd.DataFrame,
    refs: References,
    titles: Mapping[str, str],
) -> list[Finding]:
    rules = {rule.name: rule for rule in source.rules}
    formats = {
        name: column.metadata["format"]
        for name, column in source.columns().items()
        if (column.metadata or {}).get("format")
    }
    finest = refs.finest_areas()
    aggregates = refs.aggregate_areas()

    def values(row: int, columns: tuple[str, ...]) -> str:
        return "; ".join(f"{titles.get(c, c)} = {cell_text(typed.at[row, c])}" for c in columns)

    out: list[Finding] = []
    seen: set[tuple[int, str]] = set()
    for case in cases.itertuples(index=False):
        if case.index is None or pd.isna(case.index):
            raise RuntimeError(f"Unerwarteter Schemafehler ohne Zeilenbezug: {case}")
        row, check = int(case.index), str(case.check)
        if check.startswith("rule:") or check == "multiple_fields_uniqueness":
            if (row, check) in seen:
                continue
            seen.add((row, check))
        value = cell_text(case.failure_case)
        if check.startswith("rule:"):
            rule = rules[check.removeprefix("rule:")]
            out.append(
                Finding(
                    row, rule.columns[-1], values(row, rule.columns), f"Regel: {rule.description}"
                )
            )
        elif check == "multiple_fields_uniqueness":
            out.append(Finding(row, None, values(row, source.key), "Schlüssel kommt mehrfach vor"))
        elif check.startswith("ref:"):
            reference = source.references[check.removeprefix("ref:")]
            out.append(Finding(row, case.column, value, reference.rule))
        elif check.startswith("area:"):
            column = source.area_column
            area = cell_text(typed.at[row, column])
            year = cell_text(typed.at[row, "jahr"])
            if area in finest:
                rule = f"Gebiet war im Jahr {year} nicht gültig (siehe Gebietsreferenz)"
            elif area in aggregates:
                rule = (
                    f"Gebiet liegt nicht auf der Ebene {refs.profile.finest}, sondern darüber "
                    "(Summenzeile): bitte nur Zeilen der feinsten Ebene liefern oder die Zeile in "
                    "der Spaltenzuordnung als Summenzeile kennzeichnen"
                )
            else:
                rule = "Gebiet ist in der Gebietsreferenz unbekannt"
            if (row, "area") not in seen:
                seen.add((row, "area"))
                out.append(Finding(row, column, area, rule))
        else:
            out.append(
                Finding(row, case.column, value, _builtin_rule(check, formats.get(case.column)))
            )
    return out


class KeyTracker:
    """Keys of the valid rows of all chunks of one delivery, to find a key in two chunks.

    Each chunk's own duplicates are findings of its schema check already. A key is kept as two
    independent 64-bit hashes (not as text), so memory stays small for millions of rows.
    """

    SALTS = ("kekiz-schluessel", "schluessel-kekiz")

    def __init__(self, key: tuple[str, ...]) -> None:
        self.key = list(key)
        self.first: list[np.ndarray] = []
        self.second: list[np.ndarray] = []
        self.rows: list[np.ndarray] = []

    def add(self, valid: pd.DataFrame) -> None:
        if valid.empty:
            return
        keys = valid[self.key]
        for hashes, salt in zip((self.first, self.second), self.SALTS, strict=True):
            hashes.append(pd.util.hash_pandas_object(keys, index=False, hash_key=salt).to_numpy())
        self.rows.append(valid.index.to_numpy(dtype="int64"))

    def duplicates(self) -> list[int]:
        """Rows whose key stands in more than one valid row, in file order."""
        if len(self.rows) < 2:
            return []
        first = np.concatenate(self.first)
        order = np.argsort(first, kind="stable")
        ordered = first[order]
        same = ordered[1:] == ordered[:-1]
        candidates = np.unique(
            order[np.concatenate([same, [False]]) | np.concatenate([[False], same])]
        )
        if not len(candidates):
            return []
        second = np.concatenate(self.second)[candidates]
        pairs = pd.Series(1, index=pd.MultiIndex.from_arrays([first[candidates], second]))
        repeated = pairs.groupby(level=[0, 1]).transform("size").to_numpy() > 1
        return sorted(np.concatenate(self.rows)[candidates[repeated]].tolist())
