"""Indicator values at every level: add numerators and denominators up the hierarchy, then divide.

Rates are never averaged. A quarter whose numerator or denominator is unknown (a ``.`` cell,
a missing row, a year without delivery) makes every area above it unknown too, with the reason
in ``hinweis``: a partial sum would look like a real value.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from indicators.compute.areas import is_quarter, quarter_ancestors, valid_on
from indicators.compute.catalogue import Catalogue, Coverage, Indicator
from indicators.compute.rates import wilson_interval
from schemas.profile import DEFAULT_PROFILE, Profile
from schemas.registry import SOURCES
from schemas.source import SUPPRESSED_COLUMN, SourceSchema

KEY = ["gebiet_id", "jahr", "indikator_id"]
NOT_DELIVERED = "nicht geliefert: "
"""Start of the note of a value whose fields the municipality does not deliver."""
VALUE_COLUMNS = [
    *KEY,
    "zaehler",
    "nenner",
    "wert",
    "ki_unten",
    "ki_oben",
    "kleiner_nenner",
    "teilerhebung",
    "hinweis",
    "quartiere",
    "quartiere_ohne_angabe",
    "lieferungen",
]


def indicator_values(
    tables: dict[str, pd.DataFrame],
    areas: pd.DataFrame,
    catalogue: Catalogue,
    profile: Profile = DEFAULT_PROFILE,
) -> pd.DataFrame:
    """Every catalogue indicator for every year and area, from the staged quarter rows.

    ``tables`` maps a source name to its staging rows (with ``delivery_sha256``); years run
    from the first to the last delivered year of each source, so gaps appear as unknown.
    """
    finest = is_quarter(areas)
    ancestors = quarter_ancestors(areas).merge(
        areas[["gebiet_id"]].assign(quartier=finest), on="gebiet_id"
    )
    frames = [
        _source_values(SOURCES[name], tables[name], areas[finest], ancestors, catalogue, profile)
        for name in catalogue.sources
        if not tables[name].empty
    ]
    if not frames:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    return pd.concat(frames, ignore_index=True).sort_values(KEY, ignore_index=True)


def quarter_cells(
    source: SourceSchema,
    rows: pd.DataFrame,
    quarters: pd.DataFrame,
    profile: Profile = DEFAULT_PROFILE,
) -> pd.DataFrame:
    """One row per quarter (of ``quarters``, the areas on the finest level) valid at the
    source's reference date and year from first to last delivered year, with the staged counts
    where delivered (``zeile_vorhanden``)."""
    delivered = set(rows["jahr"].astype(int))
    month, day = profile.reference_day(source.name, source.reference_day)
    grid = pd.concat(
        [
            pd.DataFrame({"quarter_id": quarters.loc[valid, "gebiet_id"], "jahr": y})
            for y in range(min(delivered), max(delivered) + 1)
            if (valid := valid_on(quarters, dt.date(y, month, day))).any()
        ],
        ignore_index=True,
    )
    staged = rows.rename(columns={"gebiet_id": "quarter_id"}).assign(zeile_vorhanden=True)
    cells = grid.merge(staged, on=["quarter_id", "jahr"], how="left")
    cells["zeile_vorhanden"] = cells["zeile_vorhanden"].eq(True)
    cells["geliefert"] = cells["jahr"].isin(delivered)
    return cells


def _source_values(
    source: SourceSchema,
    rows: pd.DataFrame,
    quarters: pd.DataFrame,
    ancestors: pd.DataFrame,
    catalogue: Catalogue,
    profile: Profile,
) -> pd.DataFrame:
    cells = quarter_cells(source, rows, quarters, profile)
    coverage = catalogue.coverage.get(source.name)
    long = pd.concat(
        [_quarter_counts(cells, ind, coverage) for ind in catalogue.for_source(source.name)],
        ignore_index=True,
    )
    linked = long.merge(ancestors, on="quarter_id")
    linked["unbekannt"] = linked["luecke"].notna()
    missing = linked["luecke"].fillna("").str.startswith(NOT_DELIVERED)
    linked["luecke_nicht_geliefert"] = linked["luecke"].where(missing)
    grouped = linked.groupby(KEY, sort=False)
    values = grouped.agg(
        zaehler=("zaehler", "sum"),
        nenner=("nenner", "sum"),
        abgedeckt=("abgedeckt", "sum"),
        grundgesamtheit=("grundgesamtheit", "sum"),
        quartiere=("quarter_id", "size"),
        quartiere_ohne_angabe=("unbekannt", "sum"),
        geliefert=("geliefert", "any"),
        luecke=("luecke", "first"),
        luecke_nicht_geliefert=("luecke_nicht_geliefert", "first"),
        quartier=("quartier", "first"),
    ).reset_index()
    unknown = values["quartiere_ohne_angabe"] > 0
    values.loc[unknown, ["zaehler", "nenner"]] = np.nan
    values = _derive(values, catalogue, coverage)
    values = values.merge(_lineage(cells, ancestors), on=["gebiet_id", "jahr"], how="left")
    return values[VALUE_COLUMNS]


def _quarter_counts(cells: pd.DataFrame, ind: Indicator, coverage: Coverage | None) -> pd.DataFrame:
    fields = list(dict.fromkeys([*ind.numerator, *ind.denominator]))
    counts = cells[fields].astype(float)
    marked = cells[SUPPRESSED_COLUMN].fillna("").map(lambda text: set(text.split(",")))
    suppressed, missing = [], []
    for f in fields:
        unknown = counts[f].isna()
        is_marked = marked.map(lambda names, f=f: f in names)
        suppressed.append(pd.Series(f, index=cells.index).where(unknown & is_marked))
        missing.append(pd.Series(f, index=cells.index).where(unknown & ~is_marked))
    gap = join_notes(
        [
            "in der Lieferung gesperrt oder unbekannt ('.'): " + join_notes(suppressed, ", "),
            NOT_DELIVERED + join_notes(missing, ", "),
        ]
    )
    gap[~cells["zeile_vorhanden"]] = "Gebiet fehlt in der Lieferung"
    gap[~cells["geliefert"]] = "keine Lieferung für dieses Jahr"
    frame = pd.DataFrame(
        {
            "quarter_id": cells["quarter_id"],
            "jahr": cells["jahr"],
            "indikator_id": ind.id,
            "zaehler": counts[list(ind.numerator)].sum(axis=1, skipna=False),
            "nenner": counts[list(ind.denominator)].sum(axis=1, skipna=False),
            "geliefert": cells["geliefert"],
            "luecke": gap,
        }
    )
    if coverage is not None:
        frame["abgedeckt"] = cells[list(coverage.covered)].astype(float).sum(axis=1)
        frame["grundgesamtheit"] = cells[list(coverage.population)].astype(float).sum(axis=1)
    else:
        frame["abgedeckt"] = frame["grundgesamtheit"] = np.nan
    return frame


def _derive(values: pd.DataFrame, catalogue: Catalogue, coverage: Coverage | None) -> pd.DataFrame:
    factor = values["indikator_id"].map({i.id: i.factor for i in catalogue.indicators})
    z, n = values["zaehler"].to_numpy(float), values["nenner"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(n > 0, z / n, np.nan)
    low, high = wilson_interval(z, n)
    values["wert"] = share * factor
    values["ki_unten"] = low * factor
    values["ki_oben"] = high * factor
    values["kleiner_nenner"] = n < catalogue.small_denominator
    with np.errstate(divide="ignore", invalid="ignore"):
        covered = values["abgedeckt"] / values["grundgesamtheit"]
    partial = covered < coverage.minimum if coverage else pd.Series(False, index=values.index)
    values["teilerhebung"] = partial.fillna(False).astype(bool)
    values["hinweis"] = _notes(values, covered, catalogue.small_denominator)
    for column in ("zaehler", "nenner"):
        values[column] = values[column].astype("Int64")
    return values


SMALL_DENOMINATOR_NOTE = "kleiner Nenner"
ZERO_DENOMINATOR_NOTE = "Nenner ist 0"
PARTIAL_NOTE = "Teilerhebung"
"""The openings of the notes in ``hinweis`` that tell something about the counts."""
NOTE_SEPARATOR = "; "


def _notes(values: pd.DataFrame, covered: pd.Series, small: int) -> pd.Series:
    quarter = values["quartier"]
    unknown = values["quartiere_ohne_angabe"] > 0
    small_note = f"{SMALL_DENOMINATOR_NOTE} (unter {small} Fällen): Wert unsicher"
    notes = [
        values["luecke"].where(quarter & unknown),
        pd.Series("keine Lieferung für dieses Jahr", index=values.index).where(
            ~quarter & ~values["geliefert"]
        ),
        values["luecke_nicht_geliefert"].where(~quarter & values["geliefert"]),
        (
            "unbekannt: für "
            + values["quartiere_ohne_angabe"].astype(str)
            + " von "
            + values["quartiere"].astype(str)
            + " Gebieten der feinsten Ebene fehlen Angaben oder sind gesperrt"
        ).where(~quarter & unknown & values["geliefert"] & values["luecke_nicht_geliefert"].isna()),
        pd.Series(f"{ZERO_DENOMINATOR_NOTE}: Quote nicht definiert", index=values.index).where(
            values["nenner"] == 0
        ),
        pd.Series(small_note, index=values.index).where(
            values["kleiner_nenner"] & (values["nenner"] > 0)
        ),
        (
            f"{PARTIAL_NOTE}: nur "
            + (covered * 100).round().astype("Int64").astype(str)
            + " % erfasst, mit anderen Jahren nicht vergleichbar"
        ).where(values["teilerhebung"]),
    ]
    return join_notes(notes)


def join_notes(notes: list[pd.Series], separator: str = NOTE_SEPARATOR) -> pd.Series:
    """Join the non-missing notes of each row; None where a row has none."""
    joined = pd.Series("", index=notes[0].index, dtype=object)
    for note in notes:
        present = note.notna()
        glue = np.where(joined != "", separator, "")
        joined = joined.where(~present, joined + glue + note.fillna("").astype(str))
    return joined.where(joined != "", None)


def _lineage(cells: pd.DataFrame, ancestors: pd.DataFrame) -> pd.DataFrame:
    """The delivery hashes each area-year is computed from."""
    linked = cells[["quarter_id", "jahr", "delivery_sha256"]].merge(
        ancestors[["quarter_id", "gebiet_id"]], on="quarter_id"
    )
    return (
        linked.dropna(subset=["delivery_sha256"])
        .groupby(["gebiet_id", "jahr"])["delivery_sha256"]
        .agg(lambda hashes: sorted(set(hashes)))
        .rename("lieferungen")
        .reset_index()
    )
