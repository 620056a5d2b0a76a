"""Childcare attendance per Sozialquartier, reference date 1 March."""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.fields import area_id, at_most, count, text, year
from schemas.source import SourceSchema


class Kindertagesbetreuung(pa.DataFrameModel):
    gebiet_id: Series[pd.StringDtype] = area_id()
    gebiet_name: Series[pd.StringDtype] = text(required=False)
    jahr: Series[pd.Int64Dtype] = year()
    kinder_u3: Series[pd.Int64Dtype] = count()
    betreut_u3: Series[pd.Int64Dtype] = count()
    kinder_3_5: Series[pd.Int64Dtype] = count()
    betreut_3_5: Series[pd.Int64Dtype] = count()


KINDERTAGESBETREUUNG = SourceSchema(
    name="kindertagesbetreuung",
    title="Kindertagesbetreuung",
    description="Betreute Kinder unter 3 und von 3 bis unter 6 Jahren je Sozialquartier (1.3.).",
    model=Kindertagesbetreuung,
    key=("gebiet_id", "jahr"),
    reference_day=(3, 1),
    rules=(
        at_most("betreut_u3", "kinder_u3", "mehr betreute Kinder unter 3 als Kinder unter 3"),
        at_most(
            "betreut_3_5", "kinder_3_5", "mehr betreute Kinder von 3 bis 5 als Kinder dieses Alters"
        ),
    ),
)
