"""Reference table of spatial units: Stadt → Stadtbezirk → Sozialraum → Sozialquartier."""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.fields import Rule, area_id, text
from schemas.source import SourceSchema

LEVELS = ("Stadt", "Stadtbezirk", "Sozialraum", "Sozialquartier")
OFFICIAL_KEY = r"\d{8}|\d{5}"
"""Amtlicher Gemeindeschlüssel (8 digits) or Kreisschlüssel (5 digits)."""


class Gebiete(pa.DataFrameModel):
    gebiet_id: Series[pd.StringDtype] = area_id()
    gebiet_name: Series[pd.StringDtype] = text(nullable=False)
    ebene: Series[pd.StringDtype] = pa.Field(isin=LEVELS)
    uebergeordnet_id: Series[pd.StringDtype] = text()
    gueltig_ab: Series[pa.DateTime] = pa.Field(nullable=False)
    gueltig_bis: Series[pa.DateTime] = pa.Field(nullable=True)
    datenherkunft: Series[pd.StringDtype] = text(required=False)


class ParentIsNextLevelUp(Rule):
    def holds(self, df: pd.DataFrame) -> pd.Series:
        level_of = dict(zip(df["gebiet_id"], df["ebene"], strict=False))
        rank = {level: i for i, level in enumerate(LEVELS)}

        def ok(row) -> bool:
            if pd.isna(row["ebene"]) or row["ebene"] not in rank:
                return True  # an unknown level is its own finding
            if row["ebene"] == LEVELS[0]:
                return pd.isna(row["uebergeordnet_id"])
            parent_level = level_of.get(row["uebergeordnet_id"])
            return parent_level is not None and rank.get(parent_level) == rank[row["ebene"]] - 1

        return df.apply(ok, axis=1).astype(bool)


class TopKeyIsOfficial(Rule):
    """The key of the top area is the one the state uses for it (it names export folders)."""

    def holds(self, df: pd.DataFrame) -> pd.Series:
        top = (df["ebene"] == LEVELS[0]).fillna(False)
        official = df["gebiet_id"].astype("string").str.fullmatch(OFFICIAL_KEY).fillna(False)
        return (~top | official).astype(bool)


class ValidityOrdered(Rule):
    def holds(self, df: pd.DataFrame) -> pd.Series:
        return (df["gueltig_bis"].isna() | (df["gueltig_ab"] <= df["gueltig_bis"])).astype(bool)


GEBIETE = SourceSchema(
    name="gebiete",
    title="Gebietsreferenz",
    description=(
        "Referenztabelle der Gebiete (Stadt, Stadtbezirke, Sozialräume, Sozialquartiere) "
        "mit Gültigkeitszeitraum."
    ),
    model=Gebiete,
    key=("gebiet_id",),
    area_column=None,
    whole_file=True,
    rules=(
        ParentIsNextLevelUp(
            "uebergeordnet_passend",
            ("uebergeordnet_id", "ebene"),
            "das übergeordnete Gebiet muss existieren und genau eine Ebene höher liegen "
            "(die Stadt hat kein übergeordnetes Gebiet)",
        ),
        TopKeyIsOfficial(
            "amtlicher_schluessel",
            ("ebene", "gebiet_id"),
            "der Schlüssel der Stadt muss ihr Amtlicher Gemeindeschlüssel (8 Ziffern) oder ein "
            "Kreisschlüssel (5 Ziffern) sein",
        ),
        ValidityOrdered(
            "gueltigkeit_geordnet",
            ("gueltig_ab", "gueltig_bis"),
            "'Gültig ab' muss vor 'Gültig bis' liegen",
        ),
    ),
)
