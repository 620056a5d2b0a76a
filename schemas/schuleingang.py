"""Schuleingangsuntersuchung: aggregates per Sozialquartier and enrolment year."""

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.fields import area_id, at_most, count, text, year
from schemas.source import SourceSchema

SOPESS_DOMAINS = {
    "visuomotorik": "Visuomotorik",
    "aufmerksamkeit": "Selektive Aufmerksamkeit",
    "zahlen": "Zahlen- und Mengenvorwissen",
    "wahrnehmen": "Visuelles Wahrnehmen und Schlussfolgern",
    "sprache": "Sprechen und Sprache",
    "koordination": "Körperkoordination",
}
GERMAN_LEVELS = (
    "deutsch_keine",
    "deutsch_radebrechend",
    "deutsch_fehlerhaft",
    "deutsch_fehlerfrei",
)


class Schuleingang(pa.DataFrameModel):
    gebiet_id: Series[pd.StringDtype] = area_id()
    gebiet_name: Series[pd.StringDtype] = text(required=False)
    jahr: Series[pd.Int64Dtype] = year()
    jahrgang: Series[pd.Int64Dtype] = count(required=False)
    untersuchte: Series[pd.Int64Dtype] = count()
    visuomotorik_auffaellig: Series[pd.Int64Dtype] = count()
    visuomotorik_grenzwertig: Series[pd.Int64Dtype] = count()
    aufmerksamkeit_auffaellig: Series[pd.Int64Dtype] = count()
    aufmerksamkeit_grenzwertig: Series[pd.Int64Dtype] = count()
    zahlen_auffaellig: Series[pd.Int64Dtype] = count()
    zahlen_grenzwertig: Series[pd.Int64Dtype] = count()
    wahrnehmen_auffaellig: Series[pd.Int64Dtype] = count()
    wahrnehmen_grenzwertig: Series[pd.Int64Dtype] = count()
    sprache_auffaellig: Series[pd.Int64Dtype] = count()
    sprache_grenzwertig: Series[pd.Int64Dtype] = count()
    koordination_auffaellig: Series[pd.Int64Dtype] = count()
    koordination_grenzwertig: Series[pd.Int64Dtype] = count()
    deutsch_keine: Series[pd.Int64Dtype] = count()
    deutsch_radebrechend: Series[pd.Int64Dtype] = count()
    deutsch_fehlerhaft: Series[pd.Int64Dtype] = count()
    deutsch_fehlerfrei: Series[pd.Int64Dtype] = count()
    uebergewicht: Series[pd.Int64Dtype] = count()
    adipositas: Series[pd.Int64Dtype] = count()
    uheft_vorgelegt: Series[pd.Int64Dtype] = count()
    u8: Series[pd.Int64Dtype] = count()
    u9: Series[pd.Int64Dtype] = count()
    impfpass_vorgelegt: Series[pd.Int64Dtype] = count()
    masern_2x: Series[pd.Int64Dtype] = count()
    kita_2jahre: Series[pd.Int64Dtype] = count()


_EXAMINED = "Untersuchte Kinder"

SCHULEINGANG = SourceSchema(
    name="schuleingang",
    title="Schuleingangsuntersuchung",
    description=(
        "Ergebnisse der Schuleingangsuntersuchung (SOPESS-Screening, Sprachkenntnisse, "
        "Körpergewicht, Früherkennung, Impfungen, Kita-Besuch) je Sozialquartier und "
        "Einschulungsjahr."
    ),
    model=Schuleingang,
    key=("gebiet_id", "jahr"),
    reference_day=(8, 1),
    rules=(
        at_most(
            "untersuchte",
            "jahrgang",
            "es können nicht mehr Kinder untersucht werden, als der Einschulungsjahrgang hat",
        ),
        *(
            at_most(
                (f"{key}_auffaellig", f"{key}_grenzwertig"),
                "untersuchte",
                f"{label}: auffällige und grenzwertige Befunde zusammen höchstens {_EXAMINED}",
            )
            for key, label in SOPESS_DOMAINS.items()
        ),
        at_most(GERMAN_LEVELS, "untersuchte", f"Deutschkenntnisse zusammen höchstens {_EXAMINED}"),
        at_most(
            ("uebergewicht", "adipositas"),
            "untersuchte",
            f"Übergewicht und Adipositas zusammen höchstens {_EXAMINED}",
        ),
        at_most("uheft_vorgelegt", "untersuchte", f"vorgelegte U-Hefte höchstens {_EXAMINED}"),
        at_most("u8", "uheft_vorgelegt", "U8 kann nur bei vorgelegtem U-Heft gezählt werden"),
        at_most("u9", "uheft_vorgelegt", "U9 kann nur bei vorgelegtem U-Heft gezählt werden"),
        at_most("impfpass_vorgelegt", "untersuchte", f"vorgelegte Impfpässe höchstens {_EXAMINED}"),
        at_most(
            "masern_2x",
            "impfpass_vorgelegt",
            "Masernimpfungen können nur bei vorgelegtem Impfpass gezählt werden",
        ),
        at_most("kita_2jahre", "untersuchte", f"Kita-Besuch ≥ 2 Jahre höchstens {_EXAMINED}"),
    ),
)
