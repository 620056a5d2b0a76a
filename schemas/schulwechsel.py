"""Transitions from primary to secondary school by school type."""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.fields import area_id, count, sums_to, text, year
from schemas.source import SourceSchema

SCHOOL_TYPES = (
    "gymnasium",
    "gesamtschule",
    "realschule",
    "hauptschule",
    "sekundarschule",
    "foerderschule",
    "sonstige",
)


class Schulwechsel(pa.DataFrameModel):
    gebiet_id: Series[pd.StringDtype] = area_id()
    gebiet_name: Series[pd.StringDtype] = text(required=False)
    jahr: Series[pd.Int64Dtype] = year()
    uebergaenge: Series[pd.Int64Dtype] = count()
    gymnasium: Series[pd.Int64Dtype] = count()
    gesamtschule: Series[pd.Int64Dtype] = count()
    realschule: Series[pd.Int64Dtype] = count()
    hauptschule: Series[pd.Int64Dtype] = count()
    sekundarschule: Series[pd.Int64Dtype] = count()
    foerderschule: Series[pd.Int64Dtype] = count()
    sonstige: Series[pd.Int64Dtype] = count()


SCHULWECHSEL = SourceSchema(
    name="schulwechsel",
    title="Übergänge in weiterführende Schulen",
    description=(
        "Übergänge von der Grundschule in weiterführende Schulen nach Schulform, je "
        "Sozialquartier und Schuljahr (Jahr = erstes Kalenderjahr des Schuljahres)."
    ),
    model=Schulwechsel,
    key=("gebiet_id", "jahr"),
    reference_day=(8, 1),
    rules=(
        sums_to(
            SCHOOL_TYPES, "uebergaenge", "die Schulformen müssen zusammen alle Übergänge ergeben"
        ),
    ),
)
