"""Read the exported tables from the aggregate ``mart`` views and apply disclosure control."""

from dataclasses import dataclass

import duckdb
import pandas as pd

from indicators.effects.estimation import LINK
from indicators.effects.reach import SOCIAL_REACH_INDICATOR
from indicators.export.cell_key import CellKeyMethod
from indicators.export.cell_key_tables import perturb_tables
from indicators.export.disclosure import withheld_links
from indicators.export.linked import linked_cells, table_masks
from indicators.export.spec import (
    POOLING_TABLES,
    SUPPRESSED_FLAG,
    TABLES,
    Table,
    export_docs,
)
from indicators.export.suppression import suppress_linked
from schemas.columns import ColumnDoc, load_column_docs

INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}


class NotAggregateError(RuntimeError):
    """An export table would read something other than an aggregate ``mart`` view."""


@dataclass(frozen=True)
class ExportTables:
    frames: dict[str, pd.DataFrame]
    """Every exported table, suppressed cells empty, rows in the order of ``Table.sort_key``."""
    suppressed: dict[str, pd.DataFrame]
    """Per table with disclosure control: boolean frame of the suppressed cells."""
    docs: dict[tuple[str, str], ColumnDoc]
    """Title, description, unit and range of each exported (table, column)."""
    dates: frozenset[tuple[str, str]]
    """(table, column) of every date column (also when all its cells are empty)."""
    withheld: pd.DataFrame
    """Measure × outcome links whose pooling statistics are left out, with the reason
    (``disclosure.withheld_links``)."""
    cell_key: CellKeyMethod | None = None
    """The Cell Key Method the counts are perturbed with; None: cells are suppressed."""


def read_tables(
    con: duckdb.DuckDBPyConnection, threshold: int, cell_key: CellKeyMethod | None = None
) -> ExportTables:
    """The exported tables: cells suppressed, or with ``cell_key`` perturbed counts and
    nothing suppressed (``indicators/export/cell_key_tables.py``)."""
    views = _mart_views(con)
    raw = {t.name: _read(con, t, views) for t in TABLES}
    raw["massnahmen"]["wirkindikatoren"] = raw["massnahmen"]["wirkindikatoren"].map(", ".join)
    if cell_key is None:
        masks, withheld = _suppression(raw, threshold)
    else:
        raw, masks, withheld = perturb_tables(raw, cell_key)
    for name in POOLING_TABLES:
        rows = raw[name]
        raw[name] = rows[~_matching(rows, withheld, LINK)].reset_index(drop=True)
    frames, suppressed = {}, {}
    for table in TABLES:
        frame = raw[table.name]
        if table.suppressed:
            cells = _with_derived(table, masks[table.name])
            if table.name == "massnahmen_output":
                cells["sgb2_anteil_zielgruppe"] = _hidden_in_indicator(
                    frame, raw["indikatoren"], masks["indikatoren"], SOCIAL_REACH_INDICATOR
                )
            frame = frame.mask(cells.reindex(columns=frame.columns, fill_value=False))
            frame[SUPPRESSED_FLAG] = cells.any(axis=1)
            suppressed[table.name] = cells
        frames[table.name] = frame
    columns = con.sql(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE schema_name = 'mart'"
    ).fetchall()
    types = {(f"mart.{t}", c): kind for t, c, kind in columns}
    dates = frozenset(
        (t.name, c) for t in TABLES for c in t.columns if types.get((t.view, c)) == "DATE"
    )
    docs = export_docs(load_column_docs())
    return ExportTables(frames, suppressed, docs, dates, withheld, cell_key)


def _suppression(
    raw: dict[str, pd.DataFrame], threshold: int
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The suppressed cells of each table with counts, and the pooling links left out."""
    areas = raw["gebiete"]
    parent_of = dict(zip(areas["gebiet_id"], areas["uebergeordnet_id"], strict=True))
    system = linked_cells(raw)
    masks = table_masks(raw, system, suppress_linked(system, parent_of, threshold))
    withheld = withheld_links(
        raw["wirkung_summen"], raw["massnahmen_wirkung"], raw["indikatoren"], masks["indikatoren"]
    )
    return masks, withheld


def _mart_views(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.sql("SELECT view_name FROM duckdb_views() WHERE schema_name = 'mart'").fetchall()
    return {f"mart.{name}" for (name,) in rows}


def _read(con: duckdb.DuckDBPyConnection, table: Table, views: set[str]) -> pd.DataFrame:
    if table.view not in views:
        raise NotAggregateError(
            f"Tabelle {table.name}: {table.view} ist keine aggregierte Sicht im Schema mart."
        )
    columns, keys = ", ".join(table.columns), ", ".join(table.sort_key)
    relation = con.sql(f"SELECT {columns} FROM {table.view} ORDER BY {keys}")
    frame = relation.df()
    for column, kind in zip(relation.columns, map(str, relation.types), strict=True):
        if kind in INTEGER_TYPES:
            frame[column] = frame[column].astype("Int64")
        elif kind == "BOOLEAN":
            frame[column] = frame[column].astype("boolean")
        elif kind == "DATE":
            dates = frame[column].dt.date.astype(object)
            frame[column] = dates.where(frame[column].notna(), None)
    return frame


def _hidden_in_indicator(
    frame: pd.DataFrame, values: pd.DataFrame, value_mask: pd.DataFrame, indicator: str
) -> pd.Series:
    """True for the rows of ``frame`` whose area and year hide ``indicator``'s value, i.e.
    one of its counts (``value_mask``)."""
    hidden = values.loc[value_mask.any(axis=1) & (values["indikator_id"] == indicator)]
    return _matching(frame, hidden, ["gebiet_id", "jahr"])


def _matching(frame: pd.DataFrame, other: pd.DataFrame, keys: list[str]) -> pd.Series:
    """True for the rows of ``frame`` whose ``keys`` occur in ``other``."""
    found = pd.MultiIndex.from_frame(frame[keys]).isin(pd.MultiIndex.from_frame(other[keys]))
    return pd.Series(found, index=frame.index)


def _with_derived(table: Table, counts: pd.DataFrame) -> pd.DataFrame:
    cells = counts.copy()
    for column, sources in table.derived.items():
        cells[column] = counts[list(sources)].any(axis=1)
    return cells
