"""The dimensions of the indicator star schema: areas, years and indicators (``core.*``)."""

from __future__ import annotations

import pandas as pd

from indicators.compute.areas import PATH_COLUMNS, area_paths
from indicators.compute.catalogue import Catalogue
from schemas.gebiete import LEVELS

YEAR_SOURCES = ("sozialstrukturatlas", "schuleingang", "schulwechsel", "kindertagesbetreuung")


def area_dimension(areas: pd.DataFrame) -> pd.DataFrame:
    dimension = area_paths(areas)
    dimension["ebene_rang"] = dimension["ebene"].map({lvl: i for i, lvl in enumerate(LEVELS)})
    columns = ["gebiet_id", "gebiet_name", "ebene", "ebene_rang", "uebergeordnet_id"]
    return dimension[[*columns, *PATH_COLUMNS.values(), "gueltig_ab", "gueltig_bis"]]


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
