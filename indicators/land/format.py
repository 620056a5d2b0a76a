"""What a package of each supported format holds: files, manifest fields, tables, columns.

A format is written down here once and never changed afterwards: a municipality may still
send a package of an older format when the city pipeline has moved on. The current export
must match the format it declares (``indicators/export/manifest.py: PACKAGE_FORMAT``); a
test compares the two, so a change of the export tables without a new format fails.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class PackageFormat:
    tables: dict[str, tuple[str, ...]]
    """Required columns of every table (one CSV file per table)."""
    counts: dict[str, tuple[str, ...]]
    """Counts of people under disclosure control, per table."""
    documents: tuple[str, ...]
    """Files besides the table CSVs and the manifest."""
    copies: str
    """Folder with a copy of every table CSV."""
    manifest: dict[str, type | tuple[type, ...]]
    """Fields of the manifest and their JSON types."""


def _columns(text: str) -> tuple[str, ...]:
    return tuple(text.split())


VERSION_1 = PackageFormat(
    tables={
        "kommune": _columns(
            "gebiet_id gebiet_name art ebenen analyseebene analyseeinheiten erstes_jahr "
            "letztes_jahr"
        ),
        "gebiete": _columns(
            "gebiet_id gebiet_name ebene ebene_rang analyseeinheit uebergeordnet_id "
            "uebergeordnet_name pfad gueltig_ab gueltig_bis"
        ),
        "indikatorkatalog": _columns(
            "indikator_id indikator_name beschreibung einheit hoeher_ist_besser lebensphase "
            "quelle periode zaehler_definition nenner_definition faktor im_sozialindex"
        ),
        "indikatoren": _columns(
            "gebiet_id gebiet_name ebene ebene_rang analyseeinheit jahr indikator_id "
            "indikator_name zaehler nenner wert ki_unten ki_oben einheit kleiner_nenner "
            "teilerhebung hinweis gesperrt"
        ),
        "massnahmen": _columns(
            "massnahme_id titel traeger lebensphase zielgruppe_alter beschreibung wirkindikatoren"
        ),
        "massnahmen_output": _columns(
            "massnahme_id gebiet_id gebiet_name ebene ebene_rang analyseeinheit jahr aktiv "
            "teilnehmende teilnehmende_sgb2 zielgruppe reichweite ki_unten ki_oben "
            "sgb2_anteil_teilnehmende sgb2_anteil_zielgruppe quartiere_abgedeckt hinweis gesperrt"
        ),
        "massnahmen_wirkung": _columns(
            "massnahme_id indikator_id schaetzer effekt_pp se ki_unten ki_oben p_wert p_methode "
            "n_behandelt n_vergleich pretrend_p bewertung begruendung schaetzgroesse gewichtung "
            "ki_methode p_bootstrap p_randomisierung p_cluster twfe_effekt_pp twfe_se "
            "n_beobachtungen erwartete_richtung verzoegerung_jahre"
        ),
        "massnahmen_wirkung_verlauf": _columns(
            "massnahme_id indikator_id jahre_seit_start effekt_pp ki_unten ki_oben art"
        ),
        "massnahmen_kosten": _columns(
            "massnahme_id jahr kosten_eur teilnehmende kosten_je_teilnehmende kinder_zielgruppe "
            "kosten_je_erreichtem_kind kosten_je_vermiedenem_fall fall_indikator_id "
            "vermiedene_faelle netto_nutzen_je_euro quartiere preisbasis gesperrt"
        ),
        "datenqualitaet": _columns(
            "sha256 quelle datei eingang geladen status zeilen_gelesen zeilen_uebernommen "
            "zeilen_quarantaene pruefungen_fehlgeschlagen meldung"
        ),
    },
    counts={
        "indikatoren": ("zaehler", "nenner"),
        "massnahmen_output": ("teilnehmende", "zielgruppe", "teilnehmende_sgb2"),
        "massnahmen_kosten": ("teilnehmende", "kinder_zielgruppe"),
    },
    documents=(
        "datapackage.json",
        "auswertung.xlsx",
        "bericht.html",
        "pruefbericht.json",
        "pruefbericht.html",
    ),
    copies="excel",
    manifest={
        "paketformat": int,
        "ags": str,
        "kommune": str,
        "run_id": str,
        "erstellt": str,
        "pipeline_version": str,
        "geheimhaltungsschwelle": int,
        "lieferungen": list,
        "dateien": dict,
        "manifest_sha256": str,
    },
)

SUPPORTED_FORMATS: dict[int, PackageFormat] = {1: VERSION_1}


def required_columns(version: int) -> dict[str, tuple[str, ...]]:
    """The tables of a package of format ``version`` and the columns each must have."""
    return SUPPORTED_FORMATS[version].tables


def count_columns(version: int) -> dict[str, tuple[str, ...]]:
    """The columns of counts of people under disclosure control, per table."""
    return SUPPORTED_FORMATS[version].counts


def package_files(version: int) -> set[str]:
    """Every file a package of format ``version`` holds besides its manifest (relative paths,
    ``/`` as separator)."""
    spec = SUPPORTED_FORMATS[version]
    tables = {f"{name}.csv" for name in spec.tables}
    return tables | {f"{spec.copies}/{name}" for name in tables} | set(spec.documents)
