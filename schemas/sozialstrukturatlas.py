"""Sozialstrukturatlas: counts per Sozialquartier on 31 December."""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.fields import area_id, at_most, count, sums_to, text, year
from schemas.source import SourceSchema

AGE_BANDS = (
    "einwohner_0_2",
    "einwohner_3_5",
    "einwohner_6_9",
    "einwohner_10_14",
    "einwohner_15_17",
    "einwohner_18_64",
    "einwohner_65_plus",
)

UNDER_15 = AGE_BANDS[:4]
UNDER_65 = AGE_BANDS[:6]


class Sozialstrukturatlas(pa.DataFrameModel):
    gebiet_id: Series[pd.StringDtype] = area_id()
    gebiet_name: Series[pd.StringDtype] = text(required=False)
    jahr: Series[pd.Int64Dtype] = year()
    flaeche_km2: Series[pd.Float64Dtype] = pa.Field(gt=0, nullable=True, required=False)
    einwohner: Series[pd.Int64Dtype] = count()
    einwohner_0_2: Series[pd.Int64Dtype] = count()
    einwohner_3_5: Series[pd.Int64Dtype] = count()
    einwohner_6_9: Series[pd.Int64Dtype] = count()
    einwohner_10_14: Series[pd.Int64Dtype] = count()
    einwohner_15_17: Series[pd.Int64Dtype] = count()
    einwohner_18_64: Series[pd.Int64Dtype] = count()
    einwohner_65_plus: Series[pd.Int64Dtype] = count()
    geburten: Series[pd.Int64Dtype] = count()
    zuzuege: Series[pd.Int64Dtype] = count()
    fortzuege: Series[pd.Int64Dtype] = count()
    nichtdeutsche: Series[pd.Int64Dtype] = count()
    migrationshintergrund: Series[pd.Int64Dtype] = count()
    haushalte: Series[pd.Int64Dtype] = count()
    haushalte_mit_kindern: Series[pd.Int64Dtype] = count()
    haushalte_alleinerziehend: Series[pd.Int64Dtype] = count()
    haushalte_3_kinder: Series[pd.Int64Dtype] = count()
    sgb2_leistungsberechtigte: Series[pd.Int64Dtype] = count()
    sgb2_kinder_u15: Series[pd.Int64Dtype] = count()
    sgb2_kinder_u15_ohne_anspruch: Series[pd.Int64Dtype] = count(required=False)
    arbeitslose: Series[pd.Int64Dtype] = count()
    arbeitslose_u25: Series[pd.Int64Dtype] = count()
    grundsicherung_alter: Series[pd.Int64Dtype] = count()


SOZIALSTRUKTURATLAS = SourceSchema(
    name="sozialstrukturatlas",
    title="Sozialstrukturatlas",
    description=(
        "Sozialstrukturdaten je Sozialquartier zum Stichtag 31.12. (Bevölkerung nach "
        "Altersgruppen, Haushalte, SGB II, Arbeitslosigkeit)."
    ),
    model=Sozialstrukturatlas,
    key=("gebiet_id", "jahr"),
    rules=(
        sums_to(
            AGE_BANDS, "einwohner", "die Altersgruppen müssen zusammen die Einwohnerzahl ergeben"
        ),
        at_most(
            ("sgb2_kinder_u15", "sgb2_kinder_u15_ohne_anspruch"),
            UNDER_15,
            "Kinder unter 15 in SGB-II-Bedarfsgemeinschaften können nicht mehr sein als alle "
            "Kinder unter 15",
        ),
        at_most(
            "sgb2_kinder_u15",
            UNDER_15,
            "Kinder unter 15 mit SGB-II-Anspruch können nicht mehr sein als alle Kinder unter 15",
        ),
        at_most("nichtdeutsche", "einwohner", "mehr Nichtdeutsche als Einwohner"),
        at_most(
            "migrationshintergrund",
            "einwohner",
            "mehr Personen mit Migrationshintergrund als Einwohner",
        ),
        at_most(
            "arbeitslose_u25",
            "arbeitslose",
            "Arbeitslose unter 25 sind eine Teilmenge aller Arbeitslosen",
        ),
        at_most("haushalte_mit_kindern", "haushalte", "mehr Haushalte mit Kindern als Haushalte"),
        at_most(
            "haushalte_alleinerziehend",
            "haushalte_mit_kindern",
            "Alleinerziehende Haushalte sind eine Teilmenge der Haushalte mit Kindern",
        ),
        at_most(
            "haushalte_3_kinder",
            "haushalte_mit_kindern",
            "Haushalte mit 3 und mehr Kindern sind eine Teilmenge der Haushalte mit Kindern",
        ),
        at_most(
            "grundsicherung_alter",
            "einwohner_65_plus",
            "Grundsicherung im Alter erhalten nur Einwohner ab 65 Jahren",
        ),
        at_most(
            "arbeitslose",
            ("einwohner_15_17", "einwohner_18_64"),
            "Arbeitslose können nicht mehr sein als die Einwohner von 15 bis unter 65 Jahren",
        ),
        at_most(
            "sgb2_leistungsberechtigte",
            UNDER_65,
            "SGB-II-Leistungsberechtigte können nicht mehr sein als die Einwohner unter 65 Jahren",
        ),
    ),
)
