"""The German comment on every table, view and column of the Land warehouse.

The marts, the manifests and the intake log are declared in ``warehouse/land/tables.yaml`` and
``warehouse/land/columns.yaml``, on top of the city's glossary (``warehouse/columns.yaml``);
the view of each package table shares the declarations of the export's columns.
"""

from __future__ import annotations

from indicators.export.spec import TABLES, export_docs
from schemas.columns import WAREHOUSE_DIR, ColumnDocs, TableDoc, load_column_docs

LAND_WAREHOUSE_DIR = WAREHOUSE_DIR / "land"
SCHEMAS = ("meta", "pakete", "mart")
"""The Land warehouse's schemas: every relation in them is commented."""


def land_docs() -> ColumnDocs:
    """Every declaration of the Land warehouse."""
    city = load_column_docs()
    land = load_column_docs(LAND_WAREHOUSE_DIR)
    exported = export_docs(city)
    packages = {
        f"pakete.{table.name}": TableDoc(
            f"Tabelle {table.name} aller Kommunen, je Kommune aus ihrem aktuellen Paket. "
            f"{table.description}",
            {column: doc for (name, column), doc in exported.items() if name == table.name},
        )
        for table in TABLES
    }
    return ColumnDocs({**city.glossary, **land.glossary}, {**land.tables, **packages})
