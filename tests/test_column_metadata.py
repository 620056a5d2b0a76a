"""Every column is declared once (warehouse/columns.yaml, warehouse/tables.yaml, or the code
that creates it), and the warehouse comments and the export are generated from that."""

from __future__ import annotations

from dataclasses import replace

import duckdb
import pytest

from conftest import CATALOGUE
from indicators.export.spec import TABLES, export_docs
from indicators.store.comments import SCHEMAS, warehouse_docs
from indicators.store.schema import TABLES_DIR, VIEWS_DIR
from schemas.columns import ColumnDocs, DeclarationError, TableDoc, load_column_docs

DOCS = warehouse_docs(CATALOGUE)


@pytest.fixture(scope="module")
def columns(sample_run) -> list[tuple[str, str, str | None]]:
    """(relation, column, comment) of every column of the warehouse's own schemas."""
    _, settings = sample_run
    schemas = ", ".join(f"'{s}'" for s in SCHEMAS)
    with duckdb.connect(str(settings.published), read_only=True) as con:
        return con.sql(
            "SELECT schema_name || '.' || table_name, column_name, comment FROM duckdb_columns() "
            f"WHERE schema_name IN ({schemas})"
        ).fetchall()


@pytest.fixture(scope="module")
def relations(sample_run) -> dict[str, str | None]:
    _, settings = sample_run
    schemas = ", ".join(f"'{s}'" for s in SCHEMAS)
    with duckdb.connect(str(settings.published), read_only=True) as con:
        return dict(
            con.sql(
                f"SELECT schema_name || '.' || table_name, comment FROM duckdb_tables() "
                f"WHERE schema_name IN ({schemas}) UNION ALL "
                f"SELECT schema_name || '.' || view_name, comment FROM duckdb_views() "
                f"WHERE schema_name IN ({schemas})"
            ).fetchall()
        )


def shadowed(docs: ColumnDocs, table: str, column: str):
    """The declaration a table's own declaration of ``column`` replaces (None: nothing)."""
    own = docs.table(table)
    without = replace(own, columns={c: d for c, d in own.columns.items() if c != column})
    stripped = docs.with_tables({table: without})
    if stripped.declared_in(table, column) is None:
        return None
    return stripped.column(table, column)


def test_every_mart_column_has_exactly_one_declaration(columns):
    mart = [(t, c) for t, c, _ in columns if t.startswith("mart.")]
    assert len(mart) > 150
    undeclared = [f"{t}.{c}" for t, c in mart if DOCS.declared_in(t, c) is None]
    assert undeclared == []
    repeated = [
        f"{t}.{c}"
        for t, doc in DOCS.tables.items()
        for c, own in doc.columns.items()
        if shadowed(DOCS, t, c) == own
    ]
    assert repeated == []  # a table's declaration never repeats the one it replaces


def test_generated_comments_equal_the_declarations(columns, relations):
    wrong = [
        (t, c, comment) for t, c, comment in columns if comment != DOCS.column(t, c).description
    ]
    assert wrong == []
    assert {t: DOCS.table(t).description for t in relations} == relations


def test_every_declaration_is_used(columns, relations):
    used = {(t, c) for t, c, _ in columns}
    exported = set(export_docs(load_column_docs()))
    names = {c for _, c in used} | {c for _, c in exported}
    assert sorted(set(DOCS.glossary) - names) == []
    assert sorted(set(DOCS.tables) - set(relations)) == []
    assert [
        f"{t}.{c}" for t, doc in DOCS.tables.items() for c in doc.columns if (t, c) not in used
    ] == []


def test_every_exported_column_has_a_title_and_a_description():
    docs = export_docs(load_column_docs())
    assert {t.name for t in TABLES} == {name for name, _ in docs}
    assert [key for key, doc in docs.items() if not doc.title or not doc.description] == []


def test_the_drifted_method_descriptions_name_the_cluster_jackknife():
    for table in ("core.massnahmen_wirkung", "mart.massnahmen_wirkung"):
        assert "Cluster-Jackknife" in DOCS.column(table, "se").description
        assert "Cluster-Jackknife" in DOCS.column(table, "p_cluster").description
        assert "G/(G−1)" not in DOCS.column(table, "se").description


def test_sql_files_hold_no_comments_of_their_own():
    sql = [p for folder in (TABLES_DIR, VIEWS_DIR) for p in folder.glob("*.sql")]
    assert sql and [p.name for p in sql if "COMMENT ON" in p.read_text(encoding="utf-8")] == []


def test_an_undeclared_column_is_refused_with_its_name():
    docs = ColumnDocs(glossary={}, tables={"mart.x": TableDoc("X")})
    with pytest.raises(DeclarationError, match=r"mart\.x\.neu"):
        docs.column("mart.x", "neu")
