"""Delivered totals against the sum of their finest areas: where a delivery carries rows for a
district or the municipality, each count is compared with the sum of the same count over the
finest areas below it in the same delivery. Nothing is changed; differences are reported."""

from __future__ import annotations

import pandas as pd

from indicators.compute.areas import ancestry

KEY = ["gebiet_id", "jahr"]
COLUMNS = ["gebiet_id", "jahr", "feld", "geliefert", "summe_teilgebiete", "differenz"]


def upward_links(areas: pd.DataFrame) -> pd.DataFrame:
    """Each area with every area above it (``gebiet_id``, ``vorfahr_id``)."""
    return ancestry(areas).query("abstand > 0")[["gebiet_id", "vorfahr_id"]]


def area_sums(rows: pd.DataFrame, links: pd.DataFrame, fields: list[str]) -> pd.DataFrame:
    """Per area above the finest level and year: the sum of each field over the finest areas
    in ``rows`` and, per field, how many of them were unknown (``<field>__unbekannt``).
    ``links`` are the :func:`upward_links` of the areas."""
    present = [f for f in fields if f in rows.columns]
    if rows.empty or not set(KEY) <= set(rows.columns):
        return pd.DataFrame()
    linked = rows[[*KEY, *present]].merge(links, on="gebiet_id")
    counts = linked[present].astype("Float64")
    unknown = counts.isna().astype(int).add_suffix("__unbekannt")
    frame = pd.concat([linked[["vorfahr_id", "jahr"]], counts.fillna(0), unknown], axis=1)
    return frame.groupby(["vorfahr_id", "jahr"], as_index=False).sum()


def differences(
    totals: pd.DataFrame, sums: list[pd.DataFrame], fields: list[str]
) -> tuple[pd.DataFrame, int]:
    """Every delivered total that differs from the sum of its finest areas (both known), and
    the number of totals compared. ``sums`` are :func:`area_sums` of the parts of a delivery."""
    present = [f for f in fields if f in totals.columns]
    sums = [s for s in sums if not s.empty]
    if totals.empty or not present or not sums or not set(KEY) <= set(totals.columns):
        return pd.DataFrame(columns=COLUMNS), 0
    summed = pd.concat(sums, ignore_index=True).groupby(["vorfahr_id", "jahr"]).sum()
    out, compared = [], 0
    for field in (f for f in present if f in summed.columns):
        delivered = totals.set_index(KEY)[field].astype("Float64").dropna()
        known = summed.loc[summed.get(f"{field}__unbekannt", 0) == 0, field]
        known.index = known.index.set_names(KEY)
        both = pd.concat([delivered.rename("geliefert"), known.rename("summe_teilgebiete")],
                         axis=1, join="inner")  # fmt: skip
        compared += len(both)
        both = both[both["geliefert"] != both["summe_teilgebiete"]].reset_index()
        out.append(both.assign(feld=field))
    found = pd.concat(out, ignore_index=True)
    found["differenz"] = found["geliefert"] - found["summe_teilgebiete"]
    return found[COLUMNS].sort_values(["gebiet_id", "jahr", "feld"], ignore_index=True), compared


def difference_notes(
    found: pd.DataFrame, areas: pd.DataFrame, titles: dict[str, str], limit: int = 20
) -> list[str]:
    """One German line per difference (the first ``limit``), for the delivery report."""
    names = areas.set_index("gebiet_id")
    notes = []
    for row in found.head(limit).itertuples():
        area = names.loc[row.gebiet_id] if row.gebiet_id in names.index else None
        where = row.gebiet_id if area is None else (
            f"{area['ebene']} {area['gebiet_name']} ({row.gebiet_id})"
        )  # fmt: skip
        more = "mehr" if row.differenz > 0 else "weniger"
        notes.append(
            f"Summenabgleich {row.jahr}, {where}: {_german(abs(row.differenz))} "
            f"'{titles.get(row.feld, row.feld)}' {more} als in seinen Teilgebieten "
            f"({_german(row.geliefert)} geliefert, Summe der Teilgebiete "
            f"{_german(row.summe_teilgebiete)})"
        )
    if len(found) > limit:
        notes.append(f"Summenabgleich: {len(found) - limit} weitere Abweichungen")
    return notes


def _german(number: float) -> str:
    return (
        f"{number:,.0f}".replace(",", ".")
        if float(number).is_integer()
        else (f"{number:,.2f}".replace(",", "_").replace(".", ",").replace("_", "."))
    )
