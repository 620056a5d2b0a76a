"""The one declaration of every warehouse column: German title, description, unit and range.

``warehouse/columns.yaml`` says what a column name means wherever it occurs;
``warehouse/tables.yaml`` describes every table and view and declares the columns that mean
something more specific there. A column of a table resolves to the first declaration found
in the table itself, then along its ``columns_of`` chain, then in columns.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

WAREHOUSE_DIR = Path(__file__).resolve().parents[1] / "warehouse"
COLUMN_KEYS = {"title", "description", "unit", "range"}
TABLE_KEYS = {"description", "columns_of", "columns"}


class DeclarationError(ValueError):
    """A column or table is not declared, or a declaration is malformed."""


@dataclass(frozen=True)
class ColumnDoc:
    description: str
    title: str | None = None
    """Column title in the export; required for exported columns."""
    unit: str | None = None
    range: tuple[float | None, float | None] | None = None
    """Bounds the export contract checks."""


@dataclass(frozen=True)
class TableDoc:
    description: str
    columns: Mapping[str, ColumnDoc] = field(default_factory=dict)
    """Declarations that replace those of the glossary for this table."""
    columns_of: str | None = None
    """Table whose declarations apply to the columns not declared here."""


@dataclass(frozen=True)
class ColumnDocs:
    glossary: Mapping[str, ColumnDoc]
    tables: Mapping[str, TableDoc]

    def table(self, name: str) -> TableDoc:
        if name not in self.tables:
            raise DeclarationError(f"Tabelle {name} ist in warehouse/tables.yaml nicht beschrieben")
        return self.tables[name]

    def column(self, table: str, column: str) -> ColumnDoc:
        """The declaration that applies to ``column`` of ``table``."""
        where = self.declared_in(table, column)
        if where is None:
            raise DeclarationError(
                f"Spalte {table}.{column} ist weder in warehouse/tables.yaml noch in "
                "warehouse/columns.yaml erklärt"
            )
        return self.glossary[column] if where == "" else self.tables[where].columns[column]

    def declared_in(self, table: str, column: str) -> str | None:
        """The table whose declaration applies, "" for the glossary, None if undeclared."""
        name: str | None = table
        while name is not None:
            doc = self.table(name)
            if column in doc.columns:
                return name
            name = doc.columns_of
        return "" if column in self.glossary else None

    def with_tables(self, extra: Mapping[str, TableDoc]) -> ColumnDocs:
        """These declarations plus tables declared by code (e.g. one per delivered source)."""
        return replace(self, tables={**self.tables, **extra})


def load_column_docs(folder: Path = WAREHOUSE_DIR) -> ColumnDocs:
    glossary = _read(folder / "columns.yaml")
    tables = _read(folder / "tables.yaml")
    docs = ColumnDocs(
        glossary={name: _column(name, spec) for name, spec in glossary.items()},
        tables={name: _table(name, spec) for name, spec in tables.items()},
    )
    for name, doc in docs.tables.items():
        if doc.columns_of is not None and doc.columns_of not in docs.tables:
            raise DeclarationError(f"{name}: columns_of {doc.columns_of} ist nicht beschrieben")
    return docs


def _read(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _require(where: str, spec: dict, allowed: set[str]) -> None:
    if set(spec) - allowed or "description" not in spec:
        raise DeclarationError(
            f"{where}: braucht 'description' und kennt nur {sorted(allowed)} "
            f"(gefunden: {sorted(spec)})"
        )


def _column(where: str, spec: dict) -> ColumnDoc:
    _require(where, spec, COLUMN_KEYS)
    bounds = spec.get("range")
    return ColumnDoc(
        description=" ".join(str(spec["description"]).split()),
        title=spec.get("title"),
        unit=spec.get("unit"),
        range=tuple(bounds) if bounds is not None else None,
    )


def _table(name: str, spec: dict) -> TableDoc:
    _require(name, spec, TABLE_KEYS)
    columns = spec.get("columns") or {}
    return TableDoc(
        description=" ".join(str(spec["description"]).split()),
        columns={c: _column(f"{name}.{c}", s) for c, s in columns.items()},
        columns_of=spec.get("columns_of"),
    )
