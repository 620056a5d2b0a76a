"""The dimensions of the indicator star schema: areas, years and indicators (``core.*``)."""

from __future__ import annotations

import pandas as pd

from indicators.compute.areas import ranks
from indicators.compute.catalogue import Catalogue

YEAR_SOURCES = ("sozialstrukturatlas", "schuleingang", "schulwechsel", "kindertagesbetreuung")


def area_dimension(areas: pd.DataFrame) -> pd.DataFrame:
    """Every area that belongs to the municipality, with its level rank and whether it is on
    the finest level (an analysis unit)."""
    dimension = areas.assign(ebene_rang=ranks(areas)).dropna(subset=["ebene_rang"])
    dimension["analyseeinheit"] = dimension["ebene_rang"] == dimension["ebene_rang"].max()
    columns = ["gebiet_id", "gebiet_name", "ebene", "ebene_rang", "analyseeinheit"]
    return dimension[[*columns, "uebergeordnet_id", "gueltig_ab", "gueltig_bis"]]


def year_dimension(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    delivered = {s: set(tables[s]["jahr"].astype(int)) for s in YEAR_SOURCES if s in tables}
    years = set().union(*delivered.values())
    if not years:
        return pd.DataFrame(columns=["jahr"])
    frame = pd.DataFrame({"jahr": range(min(years), max(years) + 1)})
    for source in YEAR_SOURCES:
        frame[f"{source}_geliefert"] = frame["jahr"].isin(delivered.get(source, set()))
    return frame


def indicator_dimension(catalogue: Catalogue) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "indikator_id": ind.id,
                "indikator_name": ind.label,
                "beschreibung": ind.description,
                "zaehler_felder": list(ind.numerator),
                "nenner_felder": list(ind.denominator),
                "faktor": ind.factor,
                "einheit": ind.unit,
                "hoeher_ist_besser": ind.higher_is_better,
                "lebensphase": ind.life_phase,
                "quelle": ind.source,
                "periode": ind.period,
                "im_sozialindex": ind.id in catalogue.sozialindex_components,
            }
            for ind in catalogue.indicators
        ]
    )
