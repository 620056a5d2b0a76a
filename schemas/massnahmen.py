"""Register of prevention measures, their linked outcome indicators and their implementation."""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.fields import area_id, at_most, count, measure_id, text, year
from schemas.source import CATALOGUE_KEYS, MEASURE_TYPE_KEYS, Reference, SourceSchema

LIFE_PHASES = (
    "Frühe Hilfen (0–3)",
    "Kita (3–6)",
    "Grundschule (6–10)",
    "Weiterführende Schule (10–16)",
    "Übergang Schule–Beruf",
)
TARGET_AGE_BANDS = ("0-2", "3-5", "6-9", "10-14", "15-17")
DIRECTIONS = ("steigt", "sinkt")
MEASURE_REGISTER = Reference("massnahmen", "unbekannt im massnahmen-Register")


class Massnahmen(pa.DataFrameModel):
    massnahme_id: Series[pd.StringDtype] = measure_id()
    titel: Series[pd.StringDtype] = text(nullable=False)
    massnahmentyp: Series[pd.StringDtype] = text(required=False)
    """Id of the measure type (``indicators/massnahmentypen.yaml``); empty where not named."""
    traeger: Series[pd.StringDtype] = text(nullable=False)
    lebensphase: Series[pd.StringDtype] = pa.Field(isin=LIFE_PHASES)
    zielgruppe_alter: Series[pd.StringDtype] = pa.Field(isin=TARGET_AGE_BANDS)
    beschreibung: Series[pd.StringDtype] = text(required=False)


class MassnahmenWirkindikatoren(pa.DataFrameModel):
    massnahme_id: Series[pd.StringDtype] = measure_id()
    indikator_id: Series[pd.StringDtype] = pa.Field(str_matches=r"^[a-z][a-z0-9_]*$")
    richtung: Series[pd.StringDtype] = pa.Field(isin=DIRECTIONS)
    verzoegerung_jahre: Series[pd.Int64Dtype] = pa.Field(ge=0, le=20, nullable=False)


class MassnahmenUmsetzung(pa.DataFrameModel):
    massnahme_id: Series[pd.StringDtype] = measure_id()
    gebiet_id: Series[pd.StringDtype] = area_id()
    gebiet_name: Series[pd.StringDtype] = text(required=False)
    jahr: Series[pd.Int64Dtype] = year()
    aktiv: Series[pd.BooleanDtype] = pa.Field(nullable=False)
    teilnehmende: Series[pd.Int64Dtype] = count()
    teilnehmende_sgb2: Series[pd.Int64Dtype] = count()
    kosten_eur: Series[pd.Float64Dtype] = pa.Field(ge=0, nullable=True)


MASSNAHMEN = SourceSchema(
    name="massnahmen",
    title="Maßnahmenregister",
    description=(
        "Register der Präventionsmaßnahmen (Titel, Maßnahmentyp, Träger, Lebensphase, Zielgruppe)."
    ),
    model=Massnahmen,
    key=("massnahme_id",),
    area_column=None,
    references={
        "massnahmentyp": Reference(
            MEASURE_TYPE_KEYS,
            "Regel: der Maßnahmentyp muss eine Kennung aus der Liste der Maßnahmentypen sein "
            "(indicators/massnahmentypen.yaml, z. B. 'elternbildung'); passt keiner, "
            "'sonstige' eintragen oder die Zelle leer lassen",
        ),
    },
)

MASSNAHMEN_WIRKINDIKATOREN = SourceSchema(
    name="massnahmen_wirkindikatoren",
    title="Wirkindikatoren der Maßnahmen",
    description=(
        "Verknüpfte Wirkindikatoren je Maßnahme mit erwarteter Richtung und Verzögerung in Jahren."
    ),
    model=MassnahmenWirkindikatoren,
    key=("massnahme_id", "indikator_id"),
    area_column=None,
    references={
        "massnahme_id": MEASURE_REGISTER,
        "indikator_id": Reference(
            CATALOGUE_KEYS,
            "Regel: der Wirkindikator muss im Indikatorenkatalog stehen "
            "(indicators/catalogue.yaml)",
        ),
    },
)

MASSNAHMEN_UMSETZUNG = SourceSchema(
    name="massnahmen_umsetzung",
    title="Umsetzung der Maßnahmen",
    description=(
        "Umsetzung je Maßnahme, Sozialquartier und Jahr: aktiv, Teilnehmende, davon aus "
        "SGB-II-Familien, Kosten in EUR (nominal)."
    ),
    model=MassnahmenUmsetzung,
    key=("massnahme_id", "gebiet_id", "jahr"),
    references={"massnahme_id": MEASURE_REGISTER},
    rules=(
        at_most(
            "teilnehmende_sgb2",
            "teilnehmende",
            "Teilnehmende aus SGB-II-Familien sind eine Teilmenge aller Teilnehmenden",
        ),
    ),
)
