"""Reference table of spatial units, on the levels of the municipality's profile (for the sample
Stadt → Stadtbezirk → Sozialraum → Sozialquartier)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.fields import Rule, area_id, text
from schemas.profile import DEFAULT_PROFILE, OFFICIAL_KEY, Profile
from schemas.source import SourceSchema


class Gebiete(pa.DataFrameModel):
    gebiet_id: Series[pd.StringDtype] = area_id()
    gebiet_name: Series[pd.StringDtype] = text(nullable=False)
    ebene: Series[pd.StringDtype] = text(nullable=False)
    uebergeordnet_id: Series[pd.StringDtype] = text()
    gueltig_ab: Series[pa.DateTime] = pa.Field(nullable=False)
    gueltig_bis: Series[pa.DateTime] = pa.Field(nullable=True)
    datenherkunft: Series[pd.StringDtype] = text(required=False)


@dataclass(frozen=True)
class ForProfile(Rule):
    """A rule about the levels of the municipality's profile."""

    profile: Profile = DEFAULT_PROFILE

    def given(self, profile: Profile) -> Rule:
        return replace(self, profile=profile)


@dataclass(frozen=True)
class LevelKnown(ForProfile):
    def holds(self, df: pd.DataFrame) -> pd.Series:
        return (df["ebene"].isna() | df["ebene"].isin(self.profile.levels)).astype(bool)


@dataclass(frozen=True)
class ParentIsNextLevelUp(ForProfile):
    def holds(self, df: pd.DataFrame) -> pd.Series:
        rank = {level: i for i, level in enumerate(self.profile.levels)}
        own = df["ebene"].map(rank)
        parent_rank = df["uebergeordnet_id"].map(dict(zip(df["gebiet_id"], own, strict=False)))
        top = own == 0
        ok = (top & df["uebergeordnet_id"].isna()) | (~top & (parent_rank == own - 1))
        return (own.isna() | ok.fillna(False)).astype(bool)  # an unknown level is its own finding


@dataclass(frozen=True)
class TopKeyIsOfficial(ForProfile):
    """The key of the top area is the one the state uses for it (it names export folders)."""

    def holds(self, df: pd.DataFrame) -> pd.Series:
        top = (df["ebene"] == self.profile.levels[0]).fillna(False)
        key = df["gebiet_id"].astype("string")
        official = key.str.fullmatch(OFFICIAL_KEY).fillna(False)
        if self.profile.ags is not None:
            official = official & (key == self.profile.ags).fillna(False)
        return (~top | official).astype(bool)


class ValidityOrdered(Rule):
    def holds(self, df: pd.DataFrame) -> pd.Series:
        return (df["gueltig_bis"].isna() | (df["gueltig_ab"] <= df["gueltig_bis"])).astype(bool)


GEBIETE = SourceSchema(
    name="gebiete",
    title="Gebietsreferenz",
    description=(
        "Referenztabelle der Gebiete auf den Ebenen der Kommune (im Beispiel Stadt, "
        "Stadtbezirke, Sozialräume, Sozialquartiere) mit Gültigkeitszeitraum."
    ),
    model=Gebiete,
    key=("gebiet_id",),
    area_column=None,
    whole_file=True,
    rules=(
        LevelKnown(
            "ebene_bekannt",
            ("ebene",),
            "die Ebene muss eine der Ebenen der Kommune sein (kommune.yaml, 'ebenen'; ohne diese "
            "Datei: Stadt, Stadtbezirk, Sozialraum, Sozialquartier)",
        ),
        ParentIsNextLevelUp(
            "uebergeordnet_passend",
            ("uebergeordnet_id", "ebene"),
            "das übergeordnete Gebiet muss existieren und genau eine Ebene höher liegen "
            "(die Stadt hat kein übergeordnetes Gebiet)",
        ),
        TopKeyIsOfficial(
            "amtlicher_schluessel",
            ("ebene", "gebiet_id"),
            "der Schlüssel der Kommune (oberste Ebene) muss ihr Amtlicher Gemeindeschlüssel "
            "(8 Ziffern) oder Kreisschlüssel (5 Ziffern) sein, wie in kommune.yaml unter 'ags'",
        ),
        ValidityOrdered(
            "gueltigkeit_geordnet",
            ("gueltig_ab", "gueltig_bis"),
            "'Gültig ab' muss vor 'Gültig bis' liegen",
        ),
    ),
)
