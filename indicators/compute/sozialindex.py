"""Sozialindex per Sozialquartier and year: a status part and a dynamic part.

For year t and the seven component indicators k (all oriented so that a higher share means
more need for support), over the quarters q that know all seven values:

* status:   z[k,q,t] = (x[k,q,t] − mean_q x[k,·,t]) / sd_q x[k,·,t];  status = mean_k z[k,q,t]
* dynamic:  d[k,q,t] = x[k,q,t] − x[k,q,t−3] (percentage points);  the same standardisation
            over the quarters gives dz[k,q,t];  dynamik = mean_k dz[k,q,t]

Means and standard deviations (population sd, ddof 0) are unweighted over quarters, so both
parts average 0 over the city's quarters in every year: the index ranks quarters against each
other and says nothing about the city's level. Positive = more burdened (status) or
deteriorating faster than the city's quarters on average (dynamic).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COMPONENT_COLUMNS = ["gebiet_id", "jahr", "indikator_id", "wert", "z_status", "veraenderung",
                     "z_dynamik"]  # fmt: skip


def standardise_by_year(values: pd.DataFrame) -> pd.DataFrame:
    """z-scores of each column across the quarters of each year; no spread gives 0."""
    by_year = values.groupby(level="jahr")
    sd = by_year.transform("std", ddof=0)
    return (values - by_year.transform("mean")) / sd.where(sd > 0, np.inf)


def sozialindex(
    quarter_values: pd.DataFrame, components: tuple[str, ...], dynamic_years: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Index per quarter and year, and the standardised components behind it.

    ``quarter_values``: quarter rows of the indicator values (gebiet_id, jahr, indikator_id,
    wert); rows of other indicators are ignored.
    """
    wide = quarter_values[quarter_values["indikator_id"].isin(components)].pivot_table(
        index=["jahr", "gebiet_id"], columns="indikator_id", values="wert", dropna=False
    )
    wide = wide.reindex(columns=list(components))
    complete = wide.dropna()
    status_z = standardise_by_year(complete)
    earlier = complete.rename(index=lambda y: y + dynamic_years, level="jahr")
    change = (complete - earlier).dropna()
    dynamic_z = standardise_by_year(change)

    index = pd.DataFrame(
        {
            "statusindex": status_z.mean(axis=1),
            "dynamikindex": dynamic_z.mean(axis=1),
        }
    ).reindex(wide.index)
    index["komponenten_bekannt"] = wide.notna().sum(axis=1)
    index = index.reset_index()
    index["rang_status"] = (
        index.groupby("jahr")["statusindex"].rank(ascending=False, method="min").astype("Int64")
    )
    index["hinweis"] = _notes(index, len(components), dynamic_years)

    parts = pd.concat(
        {
            "wert": wide.stack(future_stack=True),
            "z_status": status_z.stack(future_stack=True),
            "veraenderung": change.stack(future_stack=True),
            "z_dynamik": dynamic_z.stack(future_stack=True),
        },
        axis=1,
    ).reset_index()
    return index, parts[COMPONENT_COLUMNS]


def _notes(index: pd.DataFrame, n_components: int, dynamic_years: int) -> pd.Series:
    notes = pd.Series(None, index=index.index, dtype=object)
    notes[index["dynamikindex"].isna()] = (
        f"Dynamikindex braucht alle Werte auch {dynamic_years} Jahre zuvor"
    )
    incomplete = index["komponenten_bekannt"] < n_components
    notes[incomplete] = (
        "nicht berechenbar: nur "
        + index.loc[incomplete, "komponenten_bekannt"].astype(str)
        + f" von {n_components} Teilindikatoren bekannt"
    )
    return notes
