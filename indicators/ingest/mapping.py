"""Header mappings: how one office's files map to our canonical field names.

One YAML file per source, ``<data dir>/mappings/<source>.yaml`` beside the deliveries or else
the project default ``raw_data/mappings/<source>.yaml``. Another city's layout is supported by
writing a mapping, not code; ``raw_data/mappings/README.md`` describes every option for the
offices. A mapping is checked when it is loaded: a mistake raises :class:`MappingError`.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import yaml

from indicators.ingest.numbers import EXACT_ZERO, SUPPRESSED, NumberFormat
from schemas.registry import SOURCES

MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "raw_data" / "mappings"
MAX_HEADER_ROWS = 10
YEAR_FIELD = "jahr"
KEYS = ("source", "file", "columns", "total_rows", "symbols", "year", "layout", "long", "sums",
        "rows")  # fmt: skip
FILE_KEYS = ("encoding", "separator", "decimal", "thousands", "sheet", "header_rows")
LAYOUTS = ("wide", "long")


class MappingError(ValueError):
    """A header mapping that cannot be used; ``str(exc)`` is the German message naming the
    mapping file and the key."""


@dataclass(frozen=True)
class RowRule:
    """Rows whose ``column`` (a canonical field or a header title) holds one of ``values``."""

    column: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class YearRule:
    """Where the year comes from when no column holds it: the file name or a fixed value."""

    from_file_name: re.Pattern[str] | None = None
    """Its first group is the year."""
    value: int | None = None


@dataclass(frozen=True)
class LongLayout:
    """One row per area, year and variable: the header titles of the variable and value
    columns."""

    variable_column: tuple[str, ...]
    value_column: tuple[str, ...]


@dataclass(frozen=True)
class SourceMapping:
    source: str
    columns: dict[str, tuple[str, ...]]
    total_rows: RowRule | None = None
    encoding: str = "auto"
    separator: str = "auto"
    number_format: NumberFormat = field(default_factory=NumberFormat)
    sheet: str | int = 0
    header_rows: int = 1
    year: YearRule | None = None
    long: LongLayout | None = None
    """Set for ``layout: long``."""
    sums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Field computed as the sum of delivered columns (long layout: variables) -> their titles."""
    drop_rows: tuple[RowRule, ...] = ()

    def title_of(self, canonical: str) -> str:
        """The office column title shown to the office in messages."""
        return self.titles().get(canonical, canonical)

    def titles(self) -> dict[str, str]:
        """Canonical field -> the first (preferred) office title; a sum's parts joined by '+'."""
        titles = {name: titles[0] for name, titles in self.columns.items()}
        return titles | {name: " + ".join(parts) for name, parts in self.sums.items()}

    def canonical_by_title(self) -> dict[str, str]:
        return {
            normalise_title(title): canonical
            for canonical, titles in self.columns.items()
            for title in titles
        }


def normalise_title(title: object) -> str:
    """Titles are compared ignoring case and runs of whitespace."""
    return " ".join(str("" if title is None else title).split()).casefold()


def mapping_path(source: str, data_dir: Path | None = None) -> Path:
    """The mapping beside the deliveries in ``data_dir``, else the project default."""
    if data_dir is not None and (beside := data_dir / "mappings" / f"{source}.yaml").is_file():
        return beside
    return MAPPINGS_DIR / f"{source}.yaml"


def load_mapping(source: str, data_dir: Path | None = None) -> SourceMapping:
    """The checked mapping of ``source``; raises MappingError for a mapping that is wrong."""
    path = mapping_path(source, data_dir)
    if not path.is_file():
        raise MappingError(f"Keine Spaltenzuordnung für die Quelle '{source}': {path}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise MappingError(
            f"Spaltenzuordnung {path}: die Datei ist kein gültiges YAML in UTF-8 ({exc})."
        ) from exc
    return _Parser(path, source).mapping(raw)


@dataclass(frozen=True)
class _Parser:
    """Reads one mapping file; every mistake is a MappingError naming the file and the key."""

    path: Path
    source: str

    def fail(self, key: str, problem: str) -> NoReturn:
        raise MappingError(f"Spaltenzuordnung {self.path}: '{key}' {problem}.")

    def mapping(self, raw: object) -> SourceMapping:
        raw = self.table(raw, "(Datei)", KEYS)
        if raw.get("source", self.source) != self.source:
            self.fail("source", f"ist '{raw['source']}', die Datei gilt aber für '{self.source}'")
        columns = self.titles_by_field(raw.get("columns", {}), "columns")
        if not columns:
            self.fail("columns", "fehlt oder ist leer (Spaltenüberschriften je Feld)")
        sums = self.titles_by_field(raw.get("sums", {}), "sums")
        if both := sorted(set(sums) & set(columns)):
            self.fail(
                f"sums: {both[0]}",
                "steht auch unter 'columns' – ein Feld wird entweder geliefert oder berechnet",
            )
        file = self.table(raw.get("file", {}), "file", FILE_KEYS)
        year = self.year(raw["year"]) if "year" in raw else None
        self.check_fields([*columns, *sums], year)
        total = raw.get("total_rows")
        return SourceMapping(
            source=self.source,
            columns=columns,
            total_rows=None if total is None else self.rule(total, "total_rows"),
            encoding=self.encoding(file.get("encoding", "auto")),
            separator=self.separator(file.get("separator", "auto")),
            number_format=self.number_format(file, raw.get("symbols", {})),
            sheet=self.sheet(file.get("sheet", 0)),
            header_rows=self.header_rows(file.get("header_rows", 1)),
            year=year,
            long=self.long(raw),
            sums=sums,
            drop_rows=self.drop_rows(raw.get("rows", {})),
        )

    def table(self, value: object, key: str, allowed: Collection[str]) -> dict:
        if not isinstance(value, dict):
            self.fail(key, "muss eine Zuordnung 'Angabe: Wert' sein")
        for name in value:
            if name not in allowed:
                where = f"{key}: {name}" if key != "(Datei)" else str(name)
                self.fail(where, f"ist keine bekannte Angabe (möglich: {', '.join(allowed)})")
        return value

    def text(self, value: object, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(key, f"muss ein nicht leerer Text sein, nicht {value!r}")
        return value

    def texts(self, value: object, key: str) -> tuple[str, ...]:
        """A non-empty list of titles or values (a number counts as its text)."""
        if not isinstance(value, list) or not value:
            self.fail(key, f'muss eine Liste von Texten sein, z. B. ["Titel"], nicht {value!r}')
        return tuple(
            self.text(str(item) if type(item) is int else item, key).strip() for item in value
        )

    def char(self, value: object, key: str) -> str:
        if not isinstance(value, str) or len(value) != 1:
            self.fail(key, f"muss genau ein Zeichen sein, nicht {value!r}")
        return value

    def encoding(self, value: object) -> str:
        value = self.text(value, "file: encoding")
        if value != "auto":
            try:
                codecs.lookup(value)
            except LookupError:
                self.fail(
                    "file: encoding",
                    f"'{value}' ist keine bekannte Zeichenkodierung "
                    "(z. B. auto, utf-8 oder cp1252)",
                )
        return value

    def separator(self, value: object) -> str:
        return value if value == "auto" else self.char(value, "file: separator")

    def titles_by_field(self, value: object, key: str) -> dict[str, tuple[str, ...]]:
        if not isinstance(value, dict):
            self.fail(key, "muss eine Zuordnung 'feld: [\"Titel\", ...]' sein")
        return {str(name): self.texts(titles, f"{key}: {name}") for name, titles in value.items()}

    def check_fields(self, names: list[str], year: YearRule | None) -> None:
        source = SOURCES.get(self.source)
        if source is None:
            return
        fields = source.columns()
        for name in names:
            if name not in fields:
                self.fail(
                    name, f"ist kein Feld der Quelle {self.source} (Felder: {', '.join(fields)})"
                )
        if year is not None and YEAR_FIELD not in fields:
            self.fail("year", f"ist nicht möglich: die Quelle {self.source} hat kein Jahr")

    def number_format(self, file: dict, symbols: object) -> NumberFormat:
        symbols = self.table(symbols, "symbols", ("unknown", "zero"))
        unknown = self.texts(symbols.get("unknown", [SUPPRESSED]), "symbols: unknown")
        zero = self.texts(symbols.get("zero", [EXACT_ZERO]), "symbols: zero")
        if both := sorted(set(unknown) & set(zero)):
            self.fail("symbols", f"'{both[0]}' steht unter 'unknown' und unter 'zero'")
        decimal = self.char(file.get("decimal", ","), "file: decimal")
        thousands = self.char(file.get("thousands", "."), "file: thousands")
        if decimal == thousands:
            self.fail("file: thousands", "muss sich vom Dezimalzeichen unterscheiden")
        return NumberFormat(decimal, thousands, unknown, zero)

    def sheet(self, value: object) -> str | int:
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.fail(
                "file: sheet", f"muss ein Blattname oder eine Nummer ab 0 sein, nicht {value!r}"
            )
        return value

    def header_rows(self, value: object) -> int:
        if type(value) is not int or not 1 <= value <= MAX_HEADER_ROWS:
            self.fail(
                "file: header_rows",
                f"muss eine ganze Zahl von 1 bis {MAX_HEADER_ROWS} sein, nicht {value!r}",
            )
        return value

    def year(self, value: object) -> YearRule:
        value = self.table(value, "year", ("from_file_name", "value"))
        if len(value) != 1:
            self.fail("year", "braucht genau eine Angabe: 'from_file_name' oder 'value'")
        if "value" in value:
            year = value["value"]
            if type(year) is not int or not 1000 <= year <= 9999:
                self.fail("year: value", f"muss eine Jahreszahl sein, nicht {year!r}")
            return YearRule(value=year)
        pattern = self.text(value["from_file_name"], "year: from_file_name")
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            self.fail("year: from_file_name", f"ist kein gültiger regulärer Ausdruck ({exc})")
        if compiled.groups < 1:
            self.fail(
                "year: from_file_name",
                "braucht eine Gruppe in runden Klammern für das Jahr, z. B. '_(\\d{4})'",
            )
        return YearRule(from_file_name=compiled)

    def long(self, raw: dict) -> LongLayout | None:
        layout = raw.get("layout", "wide")
        if layout not in LAYOUTS:
            self.fail("layout", f"muss 'wide' oder 'long' sein, nicht {layout!r}")
        if layout == "wide":
            if "long" in raw:
                self.fail("long", "gilt nur zusammen mit 'layout: long'")
            return None
        if "long" not in raw:
            self.fail("long", "fehlt (nötig für 'layout: long': variable_column, value_column)")
        long = self.table(raw["long"], "long", ("variable_column", "value_column"))
        for key in ("variable_column", "value_column"):
            if key not in long:
                self.fail(f"long: {key}", "fehlt (nötig für 'layout: long')")
        return LongLayout(
            self.texts(long["variable_column"], "long: variable_column"),
            self.texts(long["value_column"], "long: value_column"),
        )

    def rule(self, value: object, key: str) -> RowRule:
        value = self.table(value, key, ("column", "values"))
        if "column" not in value or "values" not in value:
            self.fail(key, "braucht 'column' und 'values'")
        values = self.texts(value["values"], f"{key}: values")
        return RowRule(self.text(value["column"], f"{key}: column"), values)

    def drop_rows(self, value: object) -> tuple[RowRule, ...]:
        rules = self.table(value, "rows", ("drop",)).get("drop", [])
        if not isinstance(rules, list):
            self.fail("rows: drop", "muss eine Liste von Regeln {column: ..., values: [...]} sein")
        return tuple(self.rule(rule, f"rows: drop {n}") for n, rule in enumerate(rules, 1))
