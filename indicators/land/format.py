"""What a package of each supported format holds: files, manifest fields, tables, columns.

A format is written down here once and never changed afterwards: a municipality may still
send a package of an older format when the city pipeline has moved on. The current export
must match the format it declares (``indicators/export/manifest.py: PACKAGE_FORMAT``); a
test compares the two, so a change of the export tables without a new format fails.
"""

from dataclasses import dataclass, replace

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
"""Format of every ``datetime`` field of a package."""


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str
    reference: tuple[str, ...]


@dataclass(frozen=True)
class TableSchema:
    """The official table schema: what ``datapackage.json`` must declare for the table."""

    fields: tuple[tuple[str, str], ...]
    """(column, Frictionless type) in the order of the CSV file."""
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.fields)


@dataclass(frozen=True)
class PackageFormat:
    tables: dict[str, TableSchema]
    """The official schema of every table (one CSV file per table)."""
    counts: dict[str, tuple[str, ...]]
    """Counts of people under disclosure control, per table."""
    derived: dict[str, dict[str, tuple[str, ...]]]
    """Values computed from counts, per table: each is suppressed with any of its counts."""
    documents: tuple[str, ...]
    """Files besides the table CSVs and the manifest."""
    copies: str
    """Folder with a copy of every table CSV."""
    manifest: dict[str, type | tuple[type, ...]]
    """Fields of the manifest and their JSON types."""


def _table(fields: str, key: str, *references: str) -> TableSchema:
    """A schema from ``column:type`` pairs, the primary key and references written as
    ``columns>table.columns`` (columns separated by commas)."""
    pairs = tuple((name, kind) for name, kind in (pair.split(":") for pair in fields.split()))
    return TableSchema(pairs, tuple(key.split(",")), tuple(map(_reference, references)))


def _reference(text: str) -> ForeignKey:
    own, target = text.split(">")
    table, columns = target.split(".")
    return ForeignKey(tuple(own.split(",")), table, tuple(columns.split(",")))


def _with_field(table: TableSchema, field: str, after: str) -> TableSchema:
    """``table`` with the ``column:type`` pair ``field`` inserted after column ``after``."""
    name, kind = field.split(":")
    at = table.columns.index(after) + 1
    return replace(table, fields=(*table.fields[:at], (name, kind), *table.fields[at:]))


RATE = ("wert", "ki_unten", "ki_oben")
COSTS = (
    "kosten_eur",
    "kosten_je_teilnehmende",
    "kosten_je_vermiedenem_fall",
    "netto_nutzen_je_euro",
)

VERSION_1 = PackageFormat(
    tables={
        "kommune": _table(
            "gebiet_id:string gebiet_name:string art:string ebenen:string analyseebene:string "
            "analyseeinheiten:integer erstes_jahr:integer letztes_jahr:integer",
            "gebiet_id",
            "gebiet_id>gebiete.gebiet_id",
        ),
        "gebiete": _table(
            "gebiet_id:string gebiet_name:string ebene:string ebene_rang:integer "
            "analyseeinheit:boolean uebergeordnet_id:string uebergeordnet_name:string "
            "pfad:string gueltig_ab:date gueltig_bis:date",
            "gebiet_id",
            "uebergeordnet_id>gebiete.gebiet_id",
        ),
        "indikatorkatalog": _table(
            "indikator_id:string indikator_name:string beschreibung:string einheit:string "
            "hoeher_ist_besser:boolean lebensphase:string quelle:string periode:string "
            "zaehler_definition:string nenner_definition:string faktor:number "
            "im_sozialindex:boolean",
            "indikator_id",
        ),
        "indikatoren": _table(
            "gebiet_id:string gebiet_name:string ebene:string ebene_rang:integer "
            "analyseeinheit:boolean jahr:integer indikator_id:string indikator_name:string "
            "zaehler:integer nenner:integer wert:number ki_unten:number ki_oben:number "
            "einheit:string kleiner_nenner:boolean teilerhebung:boolean hinweis:string "
            "gesperrt:boolean",
            "gebiet_id,jahr,indikator_id",
            "gebiet_id>gebiete.gebiet_id",
            "indikator_id>indikatorkatalog.indikator_id",
        ),
        "massnahmen": _table(
            "massnahme_id:string titel:string traeger:string lebensphase:string "
            "zielgruppe_alter:string beschreibung:string wirkindikatoren:string",
            "massnahme_id",
        ),
        "massnahmen_output": _table(
            "massnahme_id:string gebiet_id:string gebiet_name:string ebene:string "
            "ebene_rang:integer analyseeinheit:boolean jahr:integer aktiv:boolean "
            "teilnehmende:integer teilnehmende_sgb2:integer zielgruppe:integer "
            "reichweite:number ki_unten:number ki_oben:number sgb2_anteil_teilnehmende:number "
            "sgb2_anteil_zielgruppe:number quartiere_abgedeckt:integer hinweis:string "
            "gesperrt:boolean",
            "massnahme_id,gebiet_id,jahr",
            "massnahme_id>massnahmen.massnahme_id",
            "gebiet_id>gebiete.gebiet_id",
        ),
        "massnahmen_wirkung": _table(
            "massnahme_id:string indikator_id:string schaetzer:string effekt_pp:number "
            "se:number ki_unten:number ki_oben:number p_wert:number p_methode:string "
            "n_behandelt:integer n_vergleich:integer pretrend_p:number bewertung:string "
            "begruendung:string schaetzgroesse:string gewichtung:string ki_methode:string "
            "p_bootstrap:number p_randomisierung:number p_cluster:number "
            "twfe_effekt_pp:number twfe_se:number n_beobachtungen:integer "
            "erwartete_richtung:string verzoegerung_jahre:integer",
            "massnahme_id,indikator_id",
            "massnahme_id>massnahmen.massnahme_id",
            "indikator_id>indikatorkatalog.indikator_id",
        ),
        "massnahmen_wirkung_verlauf": _table(
            "massnahme_id:string indikator_id:string jahre_seit_start:integer "
            "effekt_pp:number ki_unten:number ki_oben:number art:string",
            "massnahme_id,indikator_id,jahre_seit_start",
            "massnahme_id,indikator_id>massnahmen_wirkung.massnahme_id,indikator_id",
        ),
        "massnahmen_kosten": _table(
            "massnahme_id:string jahr:integer kosten_eur:number teilnehmende:integer "
            "kosten_je_teilnehmende:number kinder_zielgruppe:integer "
            "kosten_je_erreichtem_kind:number kosten_je_vermiedenem_fall:number "
            "fall_indikator_id:string vermiedene_faelle:number netto_nutzen_je_euro:number "
            "quartiere:integer preisbasis:string gesperrt:boolean",
            "massnahme_id,jahr",
            "massnahme_id>massnahmen.massnahme_id",
        ),
        "datenqualitaet": _table(
            "sha256:string quelle:string datei:string eingang:datetime geladen:datetime "
            "status:string zeilen_gelesen:integer zeilen_uebernommen:integer "
            "zeilen_quarantaene:integer pruefungen_fehlgeschlagen:integer meldung:string",
            "sha256",
        ),
    },
    counts={
        "indikatoren": ("zaehler", "nenner"),
        "massnahmen_output": ("teilnehmende", "zielgruppe", "teilnehmende_sgb2"),
        "massnahmen_kosten": ("teilnehmende", "kinder_zielgruppe"),
    },
    derived={
        "indikatoren": dict.fromkeys(RATE, ("zaehler", "nenner")),
        "massnahmen_output": {
            "reichweite": ("teilnehmende", "zielgruppe"),
            "ki_unten": ("teilnehmende", "zielgruppe"),
            "ki_oben": ("teilnehmende", "zielgruppe"),
            "sgb2_anteil_teilnehmende": ("teilnehmende", "teilnehmende_sgb2"),
        },
        "massnahmen_kosten": {
            **dict.fromkeys(COSTS, ("teilnehmende",)),
            "kosten_je_erreichtem_kind": ("teilnehmende", "kinder_zielgruppe"),
        },
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

VERSION_2 = replace(
    VERSION_1,
    tables={
        **VERSION_1.tables,
        "massnahmen": _with_field(
            VERSION_1.tables["massnahmen"], "massnahmentyp:string", after="titel"
        ),
        "wirkung_summen": _table(
            "massnahme_id:string indikator_id:string effekt:string effekt_pp:number "
            "gewichte_summe:number n_gebiete:integer",
            "massnahme_id,indikator_id,effekt",
            "massnahme_id,indikator_id>massnahmen_wirkung.massnahme_id,indikator_id",
        ),
        "wirkung_gebiete": _table(
            "massnahme_id:string indikator_id:string effekt:string gebiet_id:string "
            "einfluss:number behandelte_zellen:number effekt_ohne_gebiet:number "
            "gewichte_ohne_gebiet:number",
            "massnahme_id,indikator_id,effekt,gebiet_id",
            "gebiet_id>gebiete.gebiet_id",
            "massnahme_id,indikator_id,effekt>wirkung_summen.massnahme_id,indikator_id,effekt",
        ),
    },
)
"""Format 1 with the type of each measure (``indicators/massnahmentypen.yaml``) and the
pooling statistics of the effects (``wirkung_summen``, ``wirkung_gebiete``): what the Land
needs to pool the municipalities' effect estimates exactly."""

VERSION_3 = replace(
    VERSION_2,
    tables={
        **VERSION_2.tables,
        "massnahmen_wirkung": _with_field(
            _with_field(
                VERSION_2.tables["massnahmen_wirkung"], "pretrend_steigung:number",
                after="verzoegerung_jahre",
            ),
            "pretrend_p_steigung:number", after="pretrend_steigung",
        ),
        "massnahmen_wirkung_verlauf": _with_field(
            VERSION_2.tables["massnahmen_wirkung_verlauf"], "n_behandelt:integer", after="art"
        ),
    },
)  # fmt: skip
"""Format 2 with the linear pre-trend test of each effect (``pretrend_steigung``,
``pretrend_p_steigung``, what the grade "belastbar" rests on) and, per event time, how many
treated areas identify it (``n_behandelt``; below 2 the interval stays empty)."""

SUPPORTED_FORMATS: dict[int, PackageFormat] = {1: VERSION_1, 2: VERSION_2, 3: VERSION_3}
NEWEST_FORMAT = max(SUPPORTED_FORMATS)
"""The format the Land reads every package as: what an older package lacks stays empty."""


def required_columns(version: int) -> dict[str, tuple[str, ...]]:
    """The tables of a package of format ``version`` and the columns each must have."""
    return {name: table.columns for name, table in SUPPORTED_FORMATS[version].tables.items()}


def table_schemas(version: int) -> dict[str, TableSchema]:
    """The official schema of every table of a package of format ``version``."""
    return SUPPORTED_FORMATS[version].tables


def derived_columns(version: int) -> dict[str, dict[str, tuple[str, ...]]]:
    """Per table, each value computed from counts and the counts it comes from."""
    return SUPPORTED_FORMATS[version].derived


def count_columns(version: int) -> dict[str, tuple[str, ...]]:
    """The columns of counts of people under disclosure control, per table."""
    return SUPPORTED_FORMATS[version].counts


def package_files(version: int) -> set[str]:
    """Every file a package of format ``version`` holds besides its manifest (relative paths,
    ``/`` as separator)."""
    spec = SUPPORTED_FORMATS[version]
    tables = {f"{name}.csv" for name in spec.tables}
    return tables | {f"{spec.copies}/{name}" for name in tables} | set(spec.documents)
