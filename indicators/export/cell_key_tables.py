"""The export's tables under the Cell Key Method instead of cell suppression.

Every count of people (``Table.counts``) is perturbed with ``indicators/export/cell_key.py``
and every value computed from counts is computed anew from the perturbed counts (rates and
Wilson intervals, reach, SGB-II shares, costs per participant and per child). Nothing is
suppressed. A quantity names what is counted, so the same count gets the same noise in every
table and indicator:

* indicator counts: source and field list (``quelle:zaehler_definition``), so e.g. the
  children examined, denominator of several school-entry indicators, are one quantity;
* reach: the field and the measure; the participants of the cost table are the city's
  participants of the reach table (the same cell), its children of the target band the sum
  over the quarters with the measure, keyed with the sum mod 1 of their keys.

The counts are published as perturbed, so a numerator can exceed its denominator after the
noise; a share is computed from the smaller of the two (at most 100 %). Capping the published
numerator instead would give one quantity two values (the children examined are the
numerator of the coverage and the denominator of nine indicators).

The pooling statistics (``wirkung_summen``, ``wirkung_gebiete``) are left out: they are exact
linear functions of the unperturbed quarter values of the outcome, the Land's exact pooling
needs them exact, and beside perturbed values they would give back what the noise hides.
The effect estimates, the avoided cases and what follows from them stay as computed (one
statistic each over many quarter-years, as in a package with suppression).
"""

import numpy as np
import pandas as pd

from indicators.compute.rates import wilson_interval
from indicators.effects.estimation import LINK
from indicators.effects.reach import SOCIAL_REACH_INDICATOR
from indicators.export.cell_key import CellKeyMethod, cell_keys, perturb, uniform_key
from indicators.export.disclosure import WITHHELD_COLUMNS
from indicators.export.spec import TABLES_BY_NAME, is_finest, is_top

PERTURBED_TABLES = ("indikatoren", "massnahmen_output", "massnahmen_kosten")
WITHHELD_REASON = (
    "Cell-Key-Verfahren: die Poolingstatistik folgt exakt aus den unverrauschten "
    "Quartierswerten und würde neben den verrauschten Werten die Überlagerung aufheben"
)


def perturb_tables(
    raw: dict[str, pd.DataFrame], method: CellKeyMethod
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame], pd.DataFrame]:
    """The tables with perturbed counts, the (empty) suppression masks and the withheld
    pooling links."""
    areas = raw["gebiete"].dropna(subset=["uebergeordnet_id"])
    parent_of = dict(zip(areas["gebiet_id"], areas["uebergeordnet_id"], strict=True))
    frames = dict(raw)
    frames["indikatoren"] = _indicators(
        raw["indikatoren"], raw["indikatorkatalog"], parent_of, method
    )
    frames["massnahmen_output"], frames["massnahmen_kosten"] = _measures(
        raw["massnahmen_output"], raw["massnahmen_kosten"], frames["indikatoren"], parent_of,
        method,
    )  # fmt: skip
    masks = {
        name: pd.DataFrame(False, index=frames[name].index, columns=TABLES_BY_NAME[name].counts)
        for name in PERTURBED_TABLES
    }
    links = raw["wirkung_summen"][LINK].drop_duplicates()
    withheld = links.assign(grund=WITHHELD_REASON)[WITHHELD_COLUMNS].reset_index(drop=True)
    return frames, masks, withheld


def _cells(frame: pd.DataFrame, column: str, quantity: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"area": frame["gebiet_id"], "year": frame["jahr"],
                         "quantity": quantity, "count": frame[column]})  # fmt: skip


def _perturbed(cells: pd.DataFrame, keys: pd.Series, method: CellKeyMethod) -> pd.Series:
    return perturb(cells["count"], keys, method.ptable)


def _indicators(
    values: pd.DataFrame, catalogue: pd.DataFrame, parent_of: dict, method: CellKeyMethod
) -> pd.DataFrame:
    info = catalogue.set_index("indikator_id")
    source = values["indikator_id"].map(info["quelle"]) + ":"
    parts = [
        _cells(values, column, source + values["indikator_id"].map(info[definition]))
        for column, definition in (("zaehler", "zaehler_definition"),
                                   ("nenner", "nenner_definition"))
    ]  # fmt: skip
    cells = pd.concat(parts, ignore_index=True)
    noisy = _perturbed(cells, cell_keys(cells, parent_of, method.secret), method).to_numpy()
    out = values.copy()
    size = len(values)
    out["zaehler"] = _counts(noisy[:size]).set_axis(out.index)
    out["nenner"] = _counts(noisy[size:]).set_axis(out.index)
    factor = values["indikator_id"].map(info["faktor"]).astype(float).to_numpy()
    n = _floats(out["nenner"])
    z = np.minimum(_floats(out["zaehler"]), n)
    low, high = wilson_interval(z, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["wert"] = np.where(n > 0, z / n, np.nan) * factor
    out["ki_unten"], out["ki_oben"] = low * factor, high * factor
    return out


def _counts(noisy: np.ndarray) -> pd.Series:
    return pd.Series(noisy, dtype="Int64")


def _floats(counts: pd.Series) -> np.ndarray:
    return counts.to_numpy(float, na_value=np.nan)


def _measures(
    output: pd.DataFrame,
    costs: pd.DataFrame,
    values: pd.DataFrame,
    parent_of: dict,
    method: CellKeyMethod,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reach table and the cost table, perturbed together (shared cells)."""
    fields = ("teilnehmende", "teilnehmende_sgb2", "zielgruppe")
    parts = [_cells(output, f, f + ":" + output["massnahme_id"]) for f in fields]
    city = output.loc[is_top(output), "gebiet_id"]
    paid = pd.DataFrame({"gebiet_id": city.iloc[0] if len(city) else None, "jahr": costs["jahr"],
                         "teilnehmende": costs["teilnehmende"]})  # fmt: skip
    parts.append(_cells(paid, "teilnehmende", "teilnehmende:" + costs["massnahme_id"]))
    cells = pd.concat(parts, ignore_index=True)
    keys = cell_keys(cells, parent_of, method.secret)
    noisy = _perturbed(cells, keys, method).to_numpy()
    n = len(output)
    out = output.copy()
    for at, field in enumerate(fields):
        out[field] = _counts(noisy[at * n : (at + 1) * n]).set_axis(out.index)
    t, g = _floats(out["teilnehmende"]), _floats(out["zielgruppe"])
    s = np.minimum(_floats(out["teilnehmende_sgb2"]), t)
    low, high = wilson_interval(t, g)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["reichweite"] = np.where(g > 0, 100 * t / g, np.nan)
        out["sgb2_anteil_teilnehmende"] = np.where(t > 0, 100 * s / t, np.nan)
    within = t <= g
    out["ki_unten"] = np.where(within, 100 * low, np.nan)
    out["ki_oben"] = np.where(within, 100 * high, np.nan)
    poverty = values.loc[values["indikator_id"] == SOCIAL_REACH_INDICATOR,
                         ["gebiet_id", "jahr", "wert"]]  # fmt: skip
    out["sgb2_anteil_zielgruppe"] = (
        out[["gebiet_id", "jahr"]]
        .merge(poverty, on=["gebiet_id", "jahr"], how="left")["wert"]
        .to_numpy()
    )
    return out, _costs(costs, output, keys.iloc[2 * n : 3 * n], noisy[3 * n :], method)


def _costs(
    costs: pd.DataFrame,
    output: pd.DataFrame,
    target_keys: pd.Series,
    participants: np.ndarray,
    method: CellKeyMethod,
) -> pd.DataFrame:
    """The cost table with the perturbed participants (those of the city in the reach table)
    and children of the target band (key: sum mod 1 of the active quarters' keys)."""
    active = is_finest(output) & output["aktiv"].fillna(False).astype(bool)
    quarters = output.loc[active, ["massnahme_id", "jahr"]].assign(
        key=target_keys.to_numpy()[active.to_numpy()]
    )
    summed = quarters.groupby(["massnahme_id", "jahr"])["key"].sum() % 1.0
    keys = [
        summed.get((m, y), uniform_key(method.secret, "", y, f"kinder_zielgruppe:{m}"))
        for m, y in zip(costs["massnahme_id"], costs["jahr"], strict=True)
    ]
    out = costs.copy()
    out["teilnehmende"] = _counts(participants).set_axis(costs.index)
    out["kinder_zielgruppe"] = perturb(
        costs["kinder_zielgruppe"], pd.Series(keys, index=costs.index), method.ptable
    )
    spent = out["kosten_eur"].astype(float)
    for column, count in (("kosten_je_teilnehmende", "teilnehmende"),
                          ("kosten_je_erreichtem_kind", "kinder_zielgruppe")):  # fmt: skip
        by = out[count].astype(float)
        out[column] = (spent / by).where(by > 0)
    return out
