"""Read the exported tables from the aggregate ``mart`` views and apply disclosure control."""

from dataclasses import dataclass

import duckdb
import pandas as pd

from indicators.compute.aggregation import (
    NOTE_SEPARATOR,
    PARTIAL_NOTE,
    SMALL_DENOMINATOR_NOTE,
    ZERO_DENOMINATOR_NOTE,
)
from indicators.compute.catalogue import load_catalogue
from indicators.effects.estimation import LINK
from indicators.effects.reach import SOCIAL_REACH_INDICATOR
from indicators.export.cell_key import CellKeyMethod
from indicators.export.cell_key_tables import perturb_tables
from indicators.export.disclosure import withheld_links
from indicators.export.linked import field_quantity, linked_cells, table_masks
from indicators.export.spec import (
    POOLING_TABLES,
    SUPPRESSED_FLAG,
    TABLES,
    Table,
    export_docs,
)
from indicators.export.suppression import Progress, suppress_linked
from schemas.columns import ColumnDoc, load_column_docs

ANNOTATION_SOURCES = {
    "indikatoren": {"kleiner_nenner": "nenner"},
    "massnahmen_kosten": {"kosten_je_vermiedenem_fall": "vermiedene_faelle",
                          "netto_nutzen_je_euro": "vermiedene_faelle"},
}  # fmt: skip
"""Columns withheld with another withheld cell of their row: the small-denominator flag
with the denominator, and what gives the avoided cases back with the costs. Not part of the
package format's derived columns: the flag is published for an unknown denominator too."""
ANNOTATIONS = ("teilerhebung", "vermiedene_faelle", *ANNOTATION_SOURCES["massnahmen_kosten"])
"""Columns withheld for what they tell about counts of other rows: they leave the row's
``gesperrt`` flag alone, which says that a count of the row itself (or a value computed
from it) is suppressed."""
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
    con: duckdb.DuckDBPyConnection,
    threshold: int,
    cell_key: CellKeyMethod | None = None,
    progress: Progress = lambda line: None,
) -> ExportTables:
    """The exported tables: cells suppressed (each round of the secondary suppression
    reported to ``progress``), or with ``cell_key`` perturbed counts and nothing suppressed
    (``indicators/export/cell_key_tables.py``)."""
    views = _mart_views(con)
    raw = {t.name: _read(con, t, views) for t in TABLES}
    raw["massnahmen"]["wirkindikatoren"] = raw["massnahmen"]["wirkindikatoren"].map(", ".join)
    if cell_key is None:
        masks, withheld = _suppression(raw, threshold, progress)
    else:
        raw, masks, withheld = perturb_tables(raw, cell_key)
    masks["indikatoren"]["teilerhebung"] = _coverage_hidden(raw, masks["indikatoren"])
    masks["massnahmen_kosten"]["vermiedene_faelle"] = (
        _avoided_cases_hidden(raw, masks["indikatoren"])
        if cell_key is None
        else raw["massnahmen_kosten"]["fall_indikator_id"].notna()
    )
    for name in POOLING_TABLES:
        rows = raw[name]
        raw[name] = rows[~_matching(rows, withheld, LINK)].reset_index(drop=True)
    frames, suppressed = {}, {}
    for table in TABLES:
        frame = raw[table.name]
        if table.suppressed:
            cells = _with_derived(table, masks[table.name])
            for column, sources in ANNOTATION_SOURCES.get(table.name, {}).items():
                cells[column] = cells.get(column, False) | cells[sources]
            if table.name == "massnahmen_output":
                cells["sgb2_anteil_zielgruppe"] = _hidden_in_indicator(
                    frame, raw["indikatoren"], masks["indikatoren"], SOCIAL_REACH_INDICATOR
                )
            frame = frame.mask(cells.reindex(columns=frame.columns, fill_value=False))
            if table.name == "indikatoren":
                frame["hinweis"] = _without_count_notes(frame["hinweis"], cells)
            frame[SUPPRESSED_FLAG] = cells.drop(columns=list(ANNOTATIONS), errors="ignore").any(
                axis=1
            )
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
    raw: dict[str, pd.DataFrame], threshold: int, progress: Progress
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The suppressed cells of each table with counts, and the pooling links left out."""
    areas = raw["gebiete"]
    parent_of = dict(zip(areas["gebiet_id"], areas["uebergeordnet_id"], strict=True))
    system = linked_cells(raw)
    masks = table_masks(raw, system, suppress_linked(system, parent_of, threshold, progress))
    withheld = withheld_links(
        raw["wirkung_summen"], raw["massnahmen_wirkung"], raw["indikatoren"], masks["indikatoren"]
    )
    return masks, withheld


def _coverage_hidden(raw: dict[str, pd.DataFrame], hidden: pd.DataFrame) -> pd.Series:
    """True for the indicator rows whose source's coverage counts (e.g. children examined
    and the cohort) are suppressed in their area and year: the partial-survey flag and note
    would tell their ratio."""
    catalogue = raw["indikatorkatalog"]
    values = raw["indikatoren"]
    source = values["indikator_id"].map(
        dict(zip(catalogue["indikator_id"], catalogue["quelle"], strict=True))
    )
    out = pd.Series(False, index=values.index)
    for name, coverage in load_catalogue().coverage.items():
        fields = {
            field_quantity(name, "+".join(f)) for f in (coverage.covered, coverage.population)
        }
        definitions = {
            (row.indikator_id, column)
            for row in catalogue[catalogue["quelle"] == name].itertuples(index=False)
            for column, definition in (("zaehler", row.zaehler_definition),
                                       ("nenner", row.nenner_definition))
            if field_quantity(name, definition) in fields
        }  # fmt: skip
        hidden_where = pd.Series(False, index=values.index)
        for indicator, column in definitions:
            hidden_where |= (values["indikator_id"] == indicator) & hidden[column]
        keys = values.loc[hidden_where, ["gebiet_id", "jahr"]]
        out |= (source == name) & _matching(values, keys, ["gebiet_id", "jahr"])
    return out


def _avoided_cases_hidden(raw: dict[str, pd.DataFrame], hidden: pd.DataFrame) -> pd.Series:
    """True for the cost rows whose avoided cases must not be published.

    They are the effect times the sum of the outcome's denominators over the quarters where
    the measure has begun, an exact sum of counts: withheld when one of those denominators
    is suppressed (counted over every finest area active in the year or before, a superset
    of the quarters summed). A perturbed package withholds them everywhere (an exact sum of
    perturbed counts)."""
    costs, values = raw["massnahmen_kosten"], raw["indikatoren"]
    output = raw["massnahmen_output"]
    active = output[output["analyseeinheit"].fillna(False) & output["aktiv"].fillna(False)]
    begun = active.groupby(["massnahme_id", "gebiet_id"], as_index=False)["jahr"].min()
    finest = values.assign(gesperrt_nenner=hidden["nenner"])
    out = []
    for row in costs.itertuples(index=False):
        if pd.isna(row.fall_indikator_id):
            out.append(False)
            continue
        started = (begun["massnahme_id"] == row.massnahme_id) & (begun["jahr"] <= row.jahr)
        summed = finest[
            (finest["indikator_id"] == row.fall_indikator_id)
            & (finest["jahr"] == row.jahr)
            & finest["gebiet_id"].isin(begun.loc[started, "gebiet_id"])
        ]
        out.append(bool(summed["gesperrt_nenner"].any()))
    return pd.Series(out, index=costs.index, dtype=bool)


def _without_count_notes(notes: pd.Series, cells: pd.DataFrame) -> pd.Series:
    """``hinweis`` without the notes that tell something about a suppressed count: small or
    zero denominator where the denominator is suppressed, the partial-survey share where the
    coverage counts are."""
    drop = {
        SMALL_DENOMINATOR_NOTE: cells["nenner"],
        ZERO_DENOMINATOR_NOTE: cells["nenner"],
        PARTIAL_NOTE: cells["teilerhebung"],
    }

    def kept(row: int, text: object) -> object:
        if not isinstance(text, str):
            return text
        parts = [
            part
            for part in text.split(NOTE_SEPARATOR)
            if not any(part.startswith(k) and rows.iloc[row] for k, rows in drop.items())
        ]
        return NOTE_SEPARATOR.join(parts) or None

    return pd.Series([kept(i, t) for i, t in enumerate(notes)], index=notes.index, dtype=object)


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
