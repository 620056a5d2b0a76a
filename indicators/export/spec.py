"""What the evaluation export contains: tables, their keys and their disclosure control.

Column titles, descriptions, units and value ranges are not repeated here: every exported
column is declared once, for the warehouse and the export alike (``schemas/columns.py``).
"""

from dataclasses import dataclass, field

import pandas as pd

from schemas.columns import ColumnDoc, ColumnDocs

SUPPRESSED_FLAG = "gesperrt"
"""Boolean column of every table with suppressed cells."""


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    table: str
    reference: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    view: str
    """The aggregate ``mart`` view the rows come from."""
    columns: tuple[str, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    counts: tuple[str, ...] = ()
    """Counts of people under disclosure control."""
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Values computed from counts: suppressed with any of the counts they come from."""
    order: tuple[str, ...] = ()
    """Row order when not the primary key's: leading columns, the primary key breaks ties."""

    @property
    def suppressed(self) -> bool:
        return bool(self.counts)

    @property
    def sort_key(self) -> tuple[str, ...]:
        return (*self.order, *self.primary_key)


def is_top(frame: pd.DataFrame) -> pd.Series:
    """Rows of the municipality as a whole."""
    return frame["ebene_rang"] == 0


def is_finest(frame: pd.DataFrame) -> pd.Series:
    """Rows of the finest areas (the analysis units)."""
    return frame["analyseeinheit"].fillna(False).astype(bool)


def _fk(fields: str, table: str, reference: str | None = None) -> ForeignKey:
    names = tuple(fields.split(","))
    return ForeignKey(names, table, tuple(reference.split(",")) if reference else names)


AREA = _fk("gebiet_id", "gebiete")
MEASURE = _fk("massnahme_id", "massnahmen")
INDICATOR = _fk("indikator_id", "indikatorkatalog")
POOLING_KEY = ("massnahme_id", "indikator_id", "effekt")
POOLING_TABLES = ("wirkung_summen", "wirkung_gebiete")
"""The statistics the Land pools effects with: exported only where ``withheld_links`` of
``indicators/export/disclosure.py`` allows."""
RATE = ("wert", "ki_unten", "ki_oben")
COST_COLUMNS = (
    "kosten_eur",
    "kosten_je_teilnehmende",
    "kosten_je_erreichtem_kind",
    "kosten_je_vermiedenem_fall",
    "netto_nutzen_je_euro",
)

TABLES: tuple[Table, ...] = (
    Table(
        "kommune",
        "Kommune",
        "Die berichtende Kommune mit Gebietsgliederung und abgedecktem Zeitraum.",
        "mart.kommune",
        (
            "gebiet_id",
            "gebiet_name",
            "art",
            "ebenen",
            "analyseebene",
            "analyseeinheiten",
            "erstes_jahr",
            "letztes_jahr",
        ),
        ("gebiet_id",),
        (AREA,),
    ),
    Table(
        "gebiete",
        "Gebiete",
        "Gebietsgliederung der Kommune auf ihren Ebenen, von der Kommune bis zur feinsten Ebene.",
        "mart.gebiete",
        (
            "gebiet_id",
            "gebiet_name",
            "ebene",
            "ebene_rang",
            "analyseeinheit",
            "uebergeordnet_id",
            "uebergeordnet_name",
            "pfad",
            "gueltig_ab",
            "gueltig_bis",
        ),
        ("gebiet_id",),
        (_fk("uebergeordnet_id", "gebiete", "gebiet_id"),),
    ),
    Table(
        "indikatorkatalog",
        "Indikatorkatalog",
        "Definition jedes Indikators: Zähler, Nenner, Faktor, Einheit und Richtung.",
        "mart.indikatorkatalog",
        (
            "indikator_id",
            "indikator_name",
            "beschreibung",
            "einheit",
            "hoeher_ist_besser",
            "lebensphase",
            "quelle",
            "periode",
            "zaehler_definition",
            "nenner_definition",
            "faktor",
            "im_sozialindex",
        ),
        ("indikator_id",),
    ),
    Table(
        "indikatoren",
        "Indikatoren",
        "Jeder Indikator für jedes Gebiet (alle Ebenen) und jedes Jahr, mit 95-%-Intervall.",
        "mart.indikatoren",
        (
            "gebiet_id",
            "gebiet_name",
            "ebene",
            "ebene_rang",
            "analyseeinheit",
            "jahr",
            "indikator_id",
            "indikator_name",
            "zaehler",
            "nenner",
            "wert",
            "ki_unten",
            "ki_oben",
            "einheit",
            "kleiner_nenner",
            "teilerhebung",
            "hinweis",
        ),
        ("gebiet_id", "jahr", "indikator_id"),
        (AREA, INDICATOR),
        counts=("zaehler", "nenner"),
        derived={c: ("zaehler", "nenner") for c in RATE},
    ),
    Table(
        "massnahmen",
        "Maßnahmen",
        "Register der Präventionsmaßnahmen mit verknüpften Wirkindikatoren.",
        "mart.massnahmen",
        (
            "massnahme_id",
            "titel",
            "massnahmentyp",
            "traeger",
            "lebensphase",
            "zielgruppe_alter",
            "beschreibung",
            "wirkindikatoren",
        ),
        ("massnahme_id",),
    ),
    Table(
        "massnahmen_output",
        "Maßnahmen: Reichweite",
        "Teilnehmende, Zielgruppe und Reichweite je Maßnahme, Gebiet (alle Ebenen) und Jahr.",
        "mart.massnahmen_output",
        (
            "massnahme_id",
            "gebiet_id",
            "gebiet_name",
            "ebene",
            "ebene_rang",
            "analyseeinheit",
            "jahr",
            "aktiv",
            "teilnehmende",
            "teilnehmende_sgb2",
            "zielgruppe",
            "reichweite",
            "ki_unten",
            "ki_oben",
            "sgb2_anteil_teilnehmende",
            "sgb2_anteil_zielgruppe",
            "quartiere_abgedeckt",
            "hinweis",
        ),
        ("massnahme_id", "gebiet_id", "jahr"),
        (MEASURE, AREA),
        counts=("teilnehmende", "zielgruppe", "teilnehmende_sgb2"),
        derived={
            "reichweite": ("teilnehmende", "zielgruppe"),
            "ki_unten": ("teilnehmende", "zielgruppe"),
            "ki_oben": ("teilnehmende", "zielgruppe"),
            "sgb2_anteil_teilnehmende": ("teilnehmende", "teilnehmende_sgb2"),
        },
    ),
    Table(
        "massnahmen_wirkung",
        "Maßnahmen: Wirkung",
        "Geschätzter Effekt je Maßnahme und Wirkindikator (Differenz-von-Differenzen).",
        "mart.massnahmen_wirkung",
        (
            "massnahme_id",
            "indikator_id",
            "schaetzer",
            "effekt_pp",
            "se",
            "ki_unten",
            "ki_oben",
            "p_wert",
            "p_methode",
            "n_behandelt",
            "n_vergleich",
            "pretrend_p",
            "bewertung",
            "begruendung",
            "schaetzgroesse",
            "gewichtung",
            "ki_methode",
            "p_bootstrap",
            "p_randomisierung",
            "p_cluster",
            "twfe_effekt_pp",
            "twfe_se",
            "n_beobachtungen",
            "erwartete_richtung",
            "verzoegerung_jahre",
            "pretrend_steigung",
            "pretrend_p_steigung",
        ),
        ("massnahme_id", "indikator_id"),
        (MEASURE, INDICATOR),
    ),
    Table(
        "massnahmen_wirkung_verlauf",
        "Maßnahmen: Wirkungsverlauf",
        "Ereignisstudie: Effekt je Jahr seit Beginn, Placebo-Effekte für die Jahre davor.",
        "mart.massnahmen_wirkung_verlauf",
        (
            "massnahme_id",
            "indikator_id",
            "jahre_seit_start",
            "effekt_pp",
            "ki_unten",
            "ki_oben",
            "art",
            "n_behandelt",
        ),
        ("massnahme_id", "indikator_id", "jahre_seit_start"),
        (_fk("massnahme_id,indikator_id", "massnahmen_wirkung"),),
    ),
    Table(
        "wirkung_summen",
        "Maßnahmen: Poolingstatistik je Schätzwert",
        "Je Maßnahme, Wirkindikator und Schätzwert (gesamt, je Jahr seit Beginn): Schätzwert, "
        "Summe der Gewichte und Zahl der Gebiete, mit denen das Land die Schätzwerte der "
        "Kommunen exakt poolt; nur bei Gewichtung „jedes Sozialquartier gleich“ und ohne "
        "gesperrten Quartierswert des Wirkindikators.",
        "mart.massnahmen_wirkung_summen",
        (
            "massnahme_id",
            "indikator_id",
            "effekt",
            "effekt_pp",
            "gewichte_summe",
            "n_gebiete",
        ),
        POOLING_KEY,
        (_fk("massnahme_id,indikator_id", "massnahmen_wirkung"),),
    ),
    Table(
        "wirkung_gebiete",
        "Maßnahmen: Poolingstatistik je Gebiet",
        "Je Maßnahme, Wirkindikator, Schätzwert und Gebiet der feinsten Ebene: Einfluss des "
        "Gebiets, Gewicht seiner behandelten Quartiersjahre, Schätzwert und Gewichte ohne das "
        "Gebiet (für den gepoolten Standardfehler und das Jackknife des Landes).",
        "mart.massnahmen_wirkung_gebiete",
        (
            "massnahme_id",
            "indikator_id",
            "effekt",
            "gebiet_id",
            "einfluss",
            "behandelte_zellen",
            "effekt_ohne_gebiet",
            "gewichte_ohne_gebiet",
        ),
        (*POOLING_KEY, "gebiet_id"),
        (AREA, _fk(",".join(POOLING_KEY), "wirkung_summen")),
    ),
    Table(
        "massnahmen_kosten",
        "Maßnahmen: Kosten",
        "Kosten je Maßnahme und Jahr (nominal), je Teilnehmenden, je Kind und je vermiedenem Fall.",
        "mart.massnahmen_kosten",
        (
            "massnahme_id",
            "jahr",
            "kosten_eur",
            "teilnehmende",
            "kosten_je_teilnehmende",
            "kinder_zielgruppe",
            "kosten_je_erreichtem_kind",
            "kosten_je_vermiedenem_fall",
            "fall_indikator_id",
            "vermiedene_faelle",
            "netto_nutzen_je_euro",
            "quartiere",
            "preisbasis",
        ),
        ("massnahme_id", "jahr"),
        (MEASURE,),
        counts=("teilnehmende", "kinder_zielgruppe"),
        derived={
            # the cost total narrows hidden participants down (by the cost per participant
            # of other years) and every cost column gives the total back: all go with them
            **dict.fromkeys(COST_COLUMNS, ("teilnehmende",)),
            "kosten_je_erreichtem_kind": ("teilnehmende", "kinder_zielgruppe"),
        },
    ),
    Table(
        "datenqualitaet",
        "Datenqualität",
        "Jede gelieferte Datei: gelesene, übernommene und in Quarantäne verschobene Zeilen, "
        "Befunde der Prüfung und Status.",
        "mart.lieferungen",
        (
            "sha256",
            "quelle",
            "datei",
            "eingang",
            "geladen",
            "status",
            "zeilen_gelesen",
            "zeilen_uebernommen",
            "zeilen_quarantaene",
            "pruefungen_fehlgeschlagen",
            "meldung",
        ),
        ("sha256",),
        order=("quelle", "datei", "eingang"),
    ),
)
TABLES_BY_NAME = {t.name: t for t in TABLES}


def export_docs(docs: ColumnDocs) -> dict[tuple[str, str], ColumnDoc]:
    """The declaration of every exported (table, column), the suppression flag included."""
    return {
        (table.name, column): docs.column(table.view, column)
        for table in TABLES
        for column in (*table.columns, *((SUPPRESSED_FLAG,) if table.suppressed else ()))
    }
