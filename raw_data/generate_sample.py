"""Seeded synthetic-data generator for the kekiz sample deliveries.

Writes SYNTHETIC example deliveries for an Oberhausen-like city (27 Sozialquartiere) into
``raw_data/sample``: area reference, Sozialstrukturatlas, Schuleingangsuntersuchung (XLSX),
school transitions, childcare, measure register, measure-outcome links, implementation
records and ``planted_effects.csv`` (the planted truth that effect estimators are tested
against). Everything is drawn from one numpy ``default_rng(SEED)``, so repeated runs write
byte-identical files (XLSX timestamps and zip entry times are fixed).

Outcome model for every share indicator (quarter i, year t), in share units:
    p_it = base_i + year_t + tau_it + eps_it,   count ~ Binomial(denominator, p_it)
base_i = share_at_0 + (share_at_1 - share_at_0) * poverty_i + small quarter noise, year_t is
common to all quarters (parallel trends hold on shares), tau_it is the planted measure effect
from the quarter's start year (lag 0), eps_it is independent noise (sd 0.5-0.75 pp).

Run: ``uv run python -m raw_data.generate_sample [--out DIR]``.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from raw_data.geometry_sample import geojson_text, tessellate

# openpyxl writes different (equally valid) XML when lxml is installed; the stdlib writer keeps
# the sample byte-identical on every machine. Must be set before openpyxl is imported.
os.environ["OPENPYXL_LXML"] = "False"
from openpyxl import Workbook

from indicators.export.xlsx import save_xlsx

SEED = 20121016
GEOMETRY_SEED = 20260611
"""The polygons draw from a generator of their own, so that they leave every other file as is."""
CITY_CENTRE_25832 = (350_000.0, 5_707_000.0)
"""Where the synthetic city lies in ETRS89 / UTM 32N (EPSG:25832), about Oberhausen."""
DEFAULT_OUT = Path(__file__).resolve().parent / "sample"

YEARS = list(range(2008, 2024))  # delivered years
SIM_START = 2007  # 2007 is simulated only as "previous 31.12." for 2008 deliveries
SIM_YEARS = list(range(SIM_START, 2024))
SEU_YEARS = [y for y in YEARS if y not in (2020, 2021)]  # no regular SEU during Corona
LAG = 0  # "Wirkung ab Jahr nach Start" for all measures in the sample
ORIGIN = "synthetisch (Beispieldaten kekiz)"
TOTAL = "Stadt insgesamt"
OWNED_DIRS = (
    "gebiete",
    "geometrien",
    "sozialstrukturatlas",
    "schuleingang",
    "schulwechsel",
    "kindertagesbetreuung",
    "massnahmen",
    "massnahmen_wirkindikatoren",
    "massnahmen_umsetzung",
)
OWNED_FILES = ("planted_effects.csv", "README.md", "kommune.yaml")
PROFILE = """\
# Profil der Kommune (synthetische Beispieldaten): Schlüssel, Art und Gebietsebenen von oben
# nach unten; die letzte Ebene ist die feinste. Die Spaltenzuordnungen dieser Lieferungen sind
# die Standardzuordnungen des Projekts (raw_data/mappings/); eine Kommune mit anderen
# Spaltentiteln legt ihre eigenen im Unterordner mappings/ ab.
ags: "05119000"
name: Oberhausen
art: kreisfreie Stadt
ebenen: [Stadt, Stadtbezirk, Sozialraum, Sozialquartier]
"""

# --- reference areas -----------------------------------------------------------------------

CITY = ("05119000", "Oberhausen")
BEZIRKE = (("1", "Alt-Oberhausen"), ("2", "Sterkrade"), ("3", "Osterfeld"))
SOZIALRAEUME = (
    ("11", "Oberhausen-Mitte/Styrum", "1"),
    ("12", "Oberhausen-Ost", "1"),
    ("13", "Alstaden/Lirich", "1"),
    ("21", "Sterkrade-Mitte", "2"),
    ("22", "Sterkrade-Nord", "2"),
    ("31", "Osterfeld", "3"),
)
# id, name, inhabitants around 2013 (rescaled to the city total), latent child-poverty
# level (share of under-15s in SGB II), area in km² before rescaling to the city area
QUARTER_TABLE = (
    ("1101", "Innenstadt", 9800, 0.46, 1.6),
    ("1102", "Marienviertel-Ost", 7400, 0.40, 1.1),
    ("1103", "Marienviertel-West", 8200, 0.36, 1.3),
    ("1104", "Brücktorviertel", 6900, 0.44, 1.2),
    ("1105", "Styrum", 12800, 0.38, 3.9),
    ("1106", "Knappenviertel", 5600, 0.34, 1.4),
    ("1201", "Bermensfeld", 6300, 0.22, 1.9),
    ("1202", "Schladviertel", 4800, 0.30, 1.5),
    ("1203", "Dümpten", 13900, 0.17, 4.6),
    ("1204", "Borbeck/Neue Mitte/Grafenbusch", 5200, 0.26, 5.1),
    ("1301", "Lirich-Süd", 8600, 0.45, 2.1),
    ("1302", "Lirich-Nord", 7300, 0.33, 2.6),
    ("1303", "Alstaden", 11600, 0.14, 4.4),
    ("2101", "Sterkrade-Mitte", 10400, 0.29, 2.8),
    ("2102", "Tackenberg-Ost", 7900, 0.31, 2.4),
    ("2103", "Alsfeld", 6100, 0.18, 2.7),
    ("2104", "Buschhausen/Biefang", 9700, 0.24, 5.3),
    ("2105", "Schwarze Heide", 4100, 0.12, 3.2),
    ("2201", "Holten/Barmingholten", 8400, 0.13, 4.8),
    ("2202", "Königshardt", 7600, 0.08, 4.6),
    ("2203", "Schmachtendorf", 9300, 0.09, 5.9),
    ("2204", "Walsumer Mark", 3800, 0.07, 3.9),
    ("3101", "Osterfeld-Mitte/Vonderort", 10900, 0.37, 3.2),
    ("3102", "Vondern/Osterfeld-Süd", 5400, 0.33, 2.0),
    ("3103", "Rothebusch", 6700, 0.21, 2.3),
    ("3104", "Klosterhardt", 8800, 0.15, 3.6),
    ("3105", "Eisenheim", 3900, 0.28, 1.4),
)
CITY_AREA_KM2 = 77.09


def by_year(years: list[int], values: str) -> dict[int, float]:
    """Year series from a whitespace-separated string."""
    return dict(zip(years, map(float, values.split()), strict=True))


CITY_POPULATION = by_year(
    SIM_YEARS,
    """216900 215700 214300 213000 211800 210400 209300 209100
    210800 211400 211100 210800 210700 210400 209800 211200 211000""",
)
CHILD_POVERTY_TARGET = by_year(
    SIM_YEARS,
    """0.255 0.258 0.263 0.262 0.257 0.259 0.263 0.267
    0.272 0.276 0.278 0.271 0.285 0.283 0.277 0.272 0.276""",
)
UNEMPLOYMENT_FACTOR = by_year(
    SIM_YEARS,
    """1.02 1.0 1.08 1.04 0.98 1.0 1.02 1.0 0.97 0.95 0.92
    0.88 0.86 0.95 0.93 0.92 0.97""",
)
# city share of under-3s in childcare (pp); the common year effect is solved to hit it
U3_CARE_TARGET = by_year(
    YEARS,
    """12.0 12.6 13.3 14.0 14.8 16.4 18.3 19.8 20.9 21.9 22.8 23.6
    24.3 25.0 25.8 26.7""",
)

# --- column headers (first office title of each YAML mapping, in YAML order) ---------------

GEBIETE_HEADER = ("Gebietsschlüssel", "Gebietsname", "Ebene", "Übergeordnetes Gebiet",
                  "Gültig ab", "Gültig bis", "Datenherkunft")  # fmt: skip
BAND_KEYS = ("einwohner_0_2", "einwohner_3_5", "einwohner_6_9", "einwohner_10_14",
             "einwohner_15_17", "einwohner_18_64", "einwohner_65_plus")  # fmt: skip
ATLAS_COLUMNS = (
    ("einwohner", "Einwohner insgesamt"),
    ("einwohner_0_2", "0 bis unter 3 Jahre"),
    ("einwohner_3_5", "3 bis unter 6 Jahre"),
    ("einwohner_6_9", "6 bis unter 10 Jahre"),
    ("einwohner_10_14", "10 bis unter 15 Jahre"),
    ("einwohner_15_17", "15 bis unter 18 Jahre"),
    ("einwohner_18_64", "18 bis unter 65 Jahre"),
    ("einwohner_65_plus", "65 Jahre und älter"),
    ("geburten", "Lebendgeborene"),
    ("zuzuege", "Zuzüge"),
    ("fortzuege", "Fortzüge"),
    ("nichtdeutsche", "Nichtdeutsche"),
    ("migrationshintergrund", "Personen mit Migrationshintergrund"),
    ("haushalte", "Haushalte insgesamt"),
    ("haushalte_mit_kindern", "Haushalte mit Kindern"),
    ("haushalte_alleinerziehend", "Alleinerziehende Haushalte"),
    ("haushalte_3_kinder", "Haushalte mit 3 und mehr Kindern"),
    ("sgb2_leistungsberechtigte", "SGB II Leistungsberechtigte"),
    ("sgb2_kinder_u15", "Kinder unter 15 Jahren mit SGB-II-Leistungsanspruch"),
    ("sgb2_kinder_u15_ohne_anspruch",
     "Kinder unter 15 Jahren in SGB-II-Bedarfsgemeinschaften ohne eigenen Leistungsanspruch"),
    ("arbeitslose", "Arbeitslose"),
    ("arbeitslose_u25", "Arbeitslose unter 25 Jahren"),
    ("grundsicherung_alter", "Grundsicherung im Alter"),
)  # fmt: skip
SEU_COLUMNS = (
    ("jahrgang", "Kinder im Einschulungsjahrgang"),
    ("untersuchte", "Untersuchte Kinder"),
    ("visuomotorik_auffaellig", "Visuomotorik auffällig"),
    ("visuomotorik_grenzwertig", "Visuomotorik grenzwertig"),
    ("aufmerksamkeit_auffaellig", "Selektive Aufmerksamkeit auffällig"),
    ("aufmerksamkeit_grenzwertig", "Selektive Aufmerksamkeit grenzwertig"),
    ("zahlen_auffaellig", "Zahlen- und Mengenvorwissen auffällig"),
    ("zahlen_grenzwertig", "Zahlen- und Mengenvorwissen grenzwertig"),
    ("wahrnehmen_auffaellig", "Visuelles Wahrnehmen und Schlussfolgern auffällig"),
    ("wahrnehmen_grenzwertig", "Visuelles Wahrnehmen und Schlussfolgern grenzwertig"),
    ("sprache_auffaellig", "Sprechen und Sprache auffällig"),
    ("sprache_grenzwertig", "Sprechen und Sprache grenzwertig"),
    ("koordination_auffaellig", "Körperkoordination auffällig"),
    ("koordination_grenzwertig", "Körperkoordination grenzwertig"),
    ("deutsch_keine", "Deutsch: keine Kenntnisse"),
    ("deutsch_radebrechend", "Deutsch: radebrechend"),
    ("deutsch_fehlerhaft", "Deutsch: flüssig mit Fehlern"),
    ("deutsch_fehlerfrei", "Deutsch: fehlerfrei"),
    ("uebergewicht", "Übergewicht (ohne Adipositas)"),
    ("adipositas", "Adipositas"),
    ("uheft_vorgelegt", "U-Heft vorgelegt"),
    ("u8", "U8 wahrgenommen"),
    ("u9", "U9 wahrgenommen"),
    ("impfpass_vorgelegt", "Impfpass vorgelegt"),
    ("masern_2x", "Masern 2x geimpft"),
    ("kita_2jahre", "Kita-Besuch 2 Jahre und länger"),
)
SOPESS_DOMAINS = ("visuomotorik", "aufmerksamkeit", "zahlen", "wahrnehmen", "sprache",
                  "koordination")  # fmt: skip
TRANSITION_TYPES = ("gymnasium", "gesamtschule", "realschule", "hauptschule", "sekundarschule",
                    "foerderschule", "sonstige")  # fmt: skip
TRANSITION_HEADER = ("Sozialquartier-Nr.", "Sozialquartier", "Schuljahr", "Übergänge insgesamt",
                     "Gymnasium", "Gesamtschule", "Realschule", "Hauptschule", "Sekundarschule",
                     "Förderschule", "Sonstige/unbekannt")  # fmt: skip
KITA_HEADER = ("Sozialquartier-Nr.", "Sozialquartier", "Jahr", "Kinder unter 3 Jahren",
               "Betreute Kinder unter 3 Jahren", "Kinder 3 bis unter 6 Jahren",
               "Betreute Kinder 3 bis unter 6 Jahren")  # fmt: skip
UMSETZUNG_HEADER = ("Maßnahme-Nr.", "Sozialquartier-Nr.", "Sozialquartier", "Jahr", "Aktiv",
                    "Teilnehmende", "davon aus SGB-II-Familien", "Kosten in EUR")  # fmt: skip


@dataclass(frozen=True)
class Quarter:
    id: str
    name: str
    pop: int
    pov: float
    area: float


@dataclass(frozen=True)
class ShareSpec:
    """Share model parameters, all in percentage points."""

    at_0: float  # share at poverty 0 (SEU: children not in SGB II families)
    at_1: float  # share at poverty 1 (SEU: children in SGB II families)
    slope: float = 0.0  # common linear trend per year, centred on 2015
    shift_2022: float = 0.0  # common shift in 2022 (SEU examined only children with needs)
    eps_sd: float = 0.75  # independent quarter x year noise
    quarter_halfwidth: float = 1.0  # uniform quarter-level noise


# SEU shares; SOPESS "auffällig", German and obesity follow the Mülheim reference table.
SEU_SPECS = {
    "visuomotorik_auffaellig": ShareSpec(11.0, 25.0, 0.10, 8.0),
    "visuomotorik_grenzwertig": ShareSpec(8.0, 14.0, 0.0, 3.0),
    "aufmerksamkeit_auffaellig": ShareSpec(17.5, 29.1, 0.10, 8.0),
    "aufmerksamkeit_grenzwertig": ShareSpec(9.0, 13.0, 0.0, 3.0),
    "zahlen_auffaellig": ShareSpec(12.4, 28.0, 0.10, 8.0),
    "zahlen_grenzwertig": ShareSpec(8.0, 12.0, 0.0, 3.0),
    "wahrnehmen_auffaellig": ShareSpec(9.0, 20.0, 0.05, 8.0),
    "wahrnehmen_grenzwertig": ShareSpec(7.0, 11.0, 0.0, 3.0),
    "sprache_auffaellig": ShareSpec(15.0, 31.0, 0.20, 8.0),
    "sprache_grenzwertig": ShareSpec(9.0, 14.0, 0.0, 3.0),
    "koordination_auffaellig": ShareSpec(14.6, 24.5, 0.10, 8.0),
    "koordination_grenzwertig": ShareSpec(8.0, 12.0, 0.0, 3.0),
    "deutsch_unzureichend": ShareSpec(14.3, 43.2, 0.30, 8.0),  # keine + radebrechend
    "uebergewicht_gesamt": ShareSpec(9.2, 15.8, 0.05, 2.0),  # incl. Adipositas
    "uheft_vorgelegt": ShareSpec(91.0, 82.0, 0.15, -3.0),  # of Untersuchte
    "u8": ShareSpec(91.0, 84.0, 0.10, -2.0),  # of U-Heft vorgelegt
    "u9": ShareSpec(87.0, 79.0, 0.10, -2.0),  # of U-Heft vorgelegt
    "impfpass_vorgelegt": ShareSpec(92.5, 86.0, 0.05, -3.0),  # of Untersuchte
    "masern_2x": ShareSpec(90.0, 84.0, 0.10, -2.0),  # of Impfpass vorgelegt
    "kita_2jahre": ShareSpec(88.0, 68.0, 0.0, -4.0),
}
GYMNASIUM_SPEC = ShareSpec(61.0, -29.0, 0.30)  # linear: ~55 % richest, ~20 % poorest quarter
FOERDERSCHULE_SPEC = ShareSpec(5.5, 12.0, -0.05, eps_sd=0.5, quarter_halfwidth=0.5)
U3_CARE_SPEC = ShareSpec(22.0, 10.0)  # year effect solved to hit U3_CARE_TARGET
CARE_3_5_SPEC = ShareSpec(94.0, 80.0, 0.25)

# indicator id -> (source, simulated field); every indicator is affected by one measure only
INDICATOR_FIELD = {
    "seu_u9": ("seu", "u9"),
    "seu_masern": ("seu", "masern_2x"),
    "seu_sprache": ("seu", "sprache_auffaellig"),
    "seu_koordination": ("seu", "koordination_auffaellig"),
    "seu_kita_2jahre": ("seu", "kita_2jahre"),
    "seu_deutsch_unzureichend": ("seu", "deutsch_unzureichend"),
    "seu_uebergewicht": ("seu", "uebergewicht_gesamt"),
    "seu_zahlen": ("seu", "zahlen_auffaellig"),
    "seu_visuomotorik": ("seu", "visuomotorik_auffaellig"),
    "uebergang_gymnasium": ("schulwechsel", "gymnasium"),
    "uebergang_foerderschule": ("schulwechsel", "foerderschule"),
    "betreuung_u3": ("kindertagesbetreuung", "betreut_u3"),
}
# denominator of each linked indicator (to decide whether a cell is observed)
INDICATOR_DENOMINATOR = {"seu_u9": "uheft_vorgelegt", "seu_masern": "impfpass_vorgelegt"}


@dataclass(frozen=True)
class Measure:
    id: str
    titel: str
    typ: str  # id of the measure type (indicators/massnahmentypen.yaml)
    traeger: str
    lebensphase: str
    zielgruppe: str
    beschreibung: str
    indikator: str
    richtung: str
    effect_pp: float  # constant effect, or growth per year if growing
    reach: float  # participants / target age band in a full year
    cost: float  # EUR per participant-year (2012 prices)
    growing: bool = False
    min_pov: float = 0.20  # only quarters with at least this poverty level adopt
    n_quarters: tuple[int, int] = (4, 9)
    starts: tuple[int, int] = (2012, 2017)


F03, K36, G610 = "Frühe Hilfen (0–3)", "Kita (3–6)", "Grundschule (6–10)"
MEASURES = (
    Measure("M01", "Willkommensbesuche für Neugeborene",
            "willkommensbesuche", "Jugendamt", F03, "0-2",
            "Fachkräfte der Frühen Hilfen besuchen Familien nach der Geburt zu Hause und "
            "erinnern an die Früherkennungsuntersuchungen.",
            "seu_u9", "steigt", 6.0, 0.28, 220.0),
    Measure("M02", "Familienhebammen", "familienhebammen", "Gesundheitsamt", F03, "0-2",
            "Familienhebammen begleiten belastete Familien im ersten Lebensjahr und unterstützen "
            "bei Vorsorge und Impfungen.",
            "seu_masern", "steigt", 4.0, 0.08, 2600.0, min_pov=0.30),
    Measure("M03", "Alltagsintegrierte Sprachförderung in Kitas",
            "sprachfoerderung_alltagsintegriert", "Jugendamt", K36, "3-5",
            "Zusätzliche Sprachfachkräfte verankern Sprachbildung im Kita-Alltag und "
            "qualifizieren die Teams.",
            "seu_sprache", "sinkt", -5.0, 0.30, 480.0),
    Measure("M04", "Bewegungskita", "bewegungsfoerderung", "Stadtsportbund Oberhausen", K36, "3-5",
            "Kitas mit Bewegungsschwerpunkt bieten täglich angeleitete Bewegungszeiten in "
            "Kooperation mit Sportvereinen an.",
            "seu_koordination", "sinkt", 0.0, 0.30, 260.0),
    Measure("M05", "Familienzentren und Elterncafés",
            "familienzentren", "Familienzentren", F03, "0-2",
            "Offene Elterncafés in Familienzentren begleiten Familien früh in die "
            "Kindertagesbetreuung.",
            "seu_kita_2jahre", "steigt", 1.0, 0.15, 310.0, growing=True, min_pov=0.30,
            starts=(2014, 2017)),
    Measure("M06", "Rucksack-Elternprogramm",
            "elternbildung", "Kommunales Integrationszentrum", K36, "3-5",
            "Mehrsprachige Elternbegleiterinnen stärken Eltern, die Sprachentwicklung ihrer "
            "Kinder in Familiensprache und Deutsch zu fördern.",
            "seu_deutsch_unzureichend", "sinkt", -4.0, 0.10, 650.0),
    Measure("M07", "Gesunde Ernährung in Kitas",
            "gesundheitsfoerderung", "Gesundheitsamt", K36, "3-5",
            "Kitas erhalten Beratung zu ausgewogener Verpflegung und gestalten "
            "Ernährungsbildung gemeinsam mit Eltern.",
            "seu_uebergewicht", "sinkt", -2.5, 0.30, 240.0),
    Measure("M08", "Lernförderung an Grundschulen", "lernfoerderung", "Bildungsbüro", G610, "6-9",
            "Lernpatinnen und Lernpaten fördern Grundschulkinder in Kleingruppen in Deutsch "
            "und Mathematik.",
            "uebergang_gymnasium", "steigt", 3.0, 0.12, 950.0),
    Measure("M09", "Schulsozialarbeit an Grundschulen",
            "schulsozialarbeit", "AWO Oberhausen", G610, "6-9",
            "Schulsozialarbeiterinnen und Schulsozialarbeiter beraten Kinder, Eltern und "
            "Lehrkräfte und vermitteln frühzeitig Hilfen.",
            "uebergang_foerderschule", "sinkt", -1.5, 0.30, 780.0),
    Measure("M10", "Kita-Lotsen für Familien mit Kleinkindern",
            "kita_zugang", "Caritas Oberhausen", F03, "0-2",
            "Lotsinnen begleiten Familien bei der Suche nach einem Betreuungsplatz für Kinder "
            "unter drei Jahren.",
            "betreuung_u3", "steigt", 5.0, 0.12, 420.0),
    Measure("M11", "Zahlenland in Kitas", "fruehe_mint_bildung", "Bildungsbüro", K36, "3-5",
            "Spielerische Förderung von Zahlen- und Mengenvorwissen im letzten Kita-Jahr.",
            "seu_zahlen", "sinkt", -3.0, 0.25, 230.0),
    Measure("M12", "Stadtteilmütter", "elternbildung", "Diakonie Oberhausen", K36, "3-5",
            "Geschulte Stadtteilmütter besuchen zugewanderte Familien und geben Anregungen "
            "zur Förderung im Vorschulalter.",
            "seu_visuomotorik", "sinkt", -3.0, 0.10, 1150.0, min_pov=0.30, n_quarters=(1, 1)),
)  # fmt: skip
REGISTER_HEADER = ("Maßnahme-Nr.", "Titel", "Maßnahmentyp", "Träger", "Lebensphase",
                   "Zielgruppe (Alter)", "Beschreibung")  # fmt: skip
"""Titles of the register's columns (raw_data/mappings/massnahmen.yaml)."""
BAND_OF_AGE_GROUP = {"0-2": "einwohner_0_2", "3-5": "einwohner_3_5", "6-9": "einwohner_6_9",
                     "10-14": "einwohner_10_14", "15-17": "einwohner_15_17"}  # fmt: skip

# --- helpers ---------------------------------------------------------------------------------


def require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def de_int(value: int) -> str:
    """German integer: thousands separator '.' (7812 -> '7.812')."""
    return f"{int(value):,}".replace(",", ".")


def de_dec(value: float) -> str:
    """German decimal with two places: 48250.0 -> '48.250,00'."""
    return f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def col(year: int) -> int:
    """Column of a calendar year in the simulated atlas arrays."""
    return year - SIM_START


def load_quarters() -> list[Quarter]:
    raw_area = np.array([row[4] for row in QUARTER_TABLE])
    area = np.round(raw_area * CITY_AREA_KM2 / raw_area.sum(), 2)
    return [
        Quarter(qid, name, pop, pov, float(a))
        for (qid, name, pop, pov, _), a in zip(QUARTER_TABLE, area, strict=True)
    ]


def share_model(rng, name, spec, pov, years, tau=None, target=None, weights=None):
    """Expected shares p_it = base_i + year_t + tau_it + eps_it (share units)."""
    years = np.asarray(years)
    hw = spec.quarter_halfwidth
    base = spec.at_0 + (spec.at_1 - spec.at_0) * pov + rng.uniform(-hw, hw, pov.size)
    year = spec.slope * (years - 2015) + rng.normal(0.0, 0.3, years.size)
    year = year + spec.shift_2022 * (years == 2022)
    if target is not None:  # common year effect chosen so that the city share hits the target
        year = target - (weights * base[:, None]).sum(0) / weights.sum(0)
    eps = rng.normal(0.0, spec.eps_sd, (pov.size, years.size))
    p = (base[:, None] + year[None, :] + eps) / 100.0
    if tau is not None:
        p = p + tau
    require(p.min() > 0.03 and p.max() < 0.97, f"{name}: share outside (0.03, 0.97)")
    return p


# --- measures --------------------------------------------------------------------------------


def effect_pp(measure: Measure, start: int, year: int) -> float:
    if year < start + LAG:
        return 0.0
    if measure.growing:
        return measure.effect_pp * (year - start - LAG + 1)
    return measure.effect_pp


def assign_measures(rng, quarters, measures=MEASURES) -> dict[str, dict[int, int]]:
    """Staggered, absorbing adoption: measure id -> {quarter index: start year}."""
    pov = np.array([q.pov for q in quarters])
    out = {}
    for m in measures:
        eligible = np.flatnonzero(pov >= m.min_pov)
        lo, hi = m.n_quarters
        n = int(rng.integers(lo, hi + 1))
        chosen = rng.choice(eligible, size=n, replace=False, p=pov[eligible] / pov[eligible].sum())
        while True:
            starts = rng.integers(m.starts[0], m.starts[1] + 1, size=n)
            if n < 3 or len(set(starts.tolist())) >= 3:
                break
        require(len(quarters) - n >= 8, f"{m.id}: fewer than 8 never-treated quarters")
        out[m.id] = {int(i): int(s) for i, s in sorted(zip(chosen, starts, strict=True))}
    return out


def effect_matrices(assignment, measures=MEASURES, n_quarters=None) -> dict[str, np.ndarray]:
    """Planted effect tau (share units) per indicator, quarters x YEARS."""
    n = len(QUARTER_TABLE) if n_quarters is None else n_quarters
    tau = {ind: np.zeros((n, len(YEARS))) for ind in INDICATOR_FIELD}
    for m in measures:
        for i, start in assignment[m.id].items():
            for k, year in enumerate(YEARS):
                tau[m.indikator][i, k] = effect_pp(m, start, year) / 100.0
    return tau


# --- Sozialstrukturatlas ---------------------------------------------------------------------

CHILD_SHARE_2012 = (0.0235, 0.0235, 0.034, 0.046, 0.030)
BAND_AGES = ((0, 2), (3, 5), (6, 9), (10, 14), (15, 17))
LATE_BIRTHS = {2017: 1.13, 2018: 1.13, 2019: 1.12, 2020: 1.12, 2021: 1.13, 2022: 1.08}


def birth_factor(year: int) -> float:
    """Relative size of a birth cohort (falling until 2011, rising after)."""
    if year <= 2011:
        return 1.0 + 0.008 * (2011 - year)
    if year <= 2016:
        return 1.0 + 0.025 * (year - 2011)
    return LATE_BIRTHS.get(year, 1.04)


def cohort_factor(ages: tuple[int, int], year: int) -> float:
    return float(np.mean([birth_factor(year - a) for a in range(ages[0], ages[1] + 1)]))


def child_factor(pov: np.ndarray, pop: np.ndarray) -> np.ndarray:
    """Relative share of children per quarter (poorer quarters are younger), city mean 1."""
    child = 0.8 + 0.8 * pov
    return child / np.average(child, weights=pop)


def age_shares(pov: np.ndarray, pop: np.ndarray) -> np.ndarray:
    """Expected age-band shares, quarters x SIM_YEARS x 7 (poorer quarters are younger)."""
    child = child_factor(pov, pop)
    old = 1.3 - 1.1 * pov
    old = old / np.average(old, weights=pop)
    shares = np.empty((pov.size, len(SIM_YEARS), 7))
    for k, year in enumerate(SIM_YEARS):
        for b, ages in enumerate(BAND_AGES):
            trend = cohort_factor(ages, year) / cohort_factor(ages, 2012)
            shares[:, k, b] = CHILD_SHARE_2012[b] * child * trend
        shares[:, k, 6] = 0.217 * old * (1 + 0.003 * (year - 2012))
        shares[:, k, 5] = 1.0 - shares[:, k, :5].sum(1) - shares[:, k, 6]
    return shares


def solve_poverty_level(logits: np.ndarray, weights: np.ndarray, target: float) -> np.ndarray:
    """Common logit shift so that the child-weighted city share equals the target."""
    lo, hi = -3.0, 3.0
    for _ in range(80):
        mid = (lo + hi) / 2
        share = (weights / (1 + np.exp(-(logits + mid)))).sum() / weights.sum()
        lo, hi = (mid, hi) if share < target else (lo, mid)
    return 1 / (1 + np.exp(-(logits + (lo + hi) / 2)))


def simulate_atlas(
    rng, quarters, population=CITY_POPULATION, child_poverty=CHILD_POVERTY_TARGET
) -> dict[str, np.ndarray]:
    """Counts per quarter x SIM_YEARS; 'kinderarmut' holds the expected child-poverty share.

    ``population`` (city inhabitants) and ``child_poverty`` (city share of under-15s in SGB II)
    are series over SIM_YEARS.
    """
    years = np.array(SIM_YEARS)
    pov = np.array([q.pov for q in quarters])
    pop0 = np.array([q.pop for q in quarters], dtype=float)
    raw = pop0[:, None] * (1 + rng.normal(0.0, 0.003, pov.size)[:, None] * (years - 2013))
    city = np.array([population[y] for y in SIM_YEARS])
    a = {"einwohner": np.rint(raw / raw.sum(0) * city).astype(int)}
    shares = age_shares(pov, pop0)
    # stocks move smoothly: expected counts with small noise; 18-64 takes the remainder
    expected = shares * a["einwohner"][:, :, None]
    bands = np.rint(expected + rng.normal(0.0, 0.3, expected.shape) * np.sqrt(expected))
    bands = bands.astype(int)
    bands[:, :, 5] = a["einwohner"] - bands.sum(2) + bands[:, :, 5]
    a.update({key: bands[:, :, b] for b, key in enumerate(BAND_KEYS)})
    u15 = bands[:, :, :4].sum(2)
    u18 = bands[:, :, :5].sum(2)
    age15_64 = bands[:, :, 4] + bands[:, :, 5]
    logits = np.log(pov / (1 - pov))[:, None] + rng.normal(0.0, 0.06, (pov.size, years.size))
    kinderarmut = np.column_stack(
        [solve_poverty_level(logits[:, k], u15[:, k], child_poverty[y])
         for k, y in enumerate(SIM_YEARS)]
    )  # fmt: skip
    a["kinderarmut"] = kinderarmut
    a["sgb2_kinder_u15"] = rng.binomial(u15, kinderarmut)
    ohne = rng.binomial(u15 - a["sgb2_kinder_u15"], 0.01 + 0.03 * kinderarmut)
    a["sgb2_kinder_u15_ohne_anspruch"] = np.where(years >= 2016, ohne, 0)
    a["sgb2_leistungsberechtigte"] = a["sgb2_kinder_u15"] + rng.binomial(
        age15_64, 0.5 * kinderarmut
    )
    unemployment = np.array([UNEMPLOYMENT_FACTOR[y] for y in SIM_YEARS])
    a["arbeitslose"] = rng.binomial(age15_64, (0.02 + 0.3 * kinderarmut) * unemployment)
    young = 0.03 + 0.15 * pov[:, None] - 0.001 * (years - 2008)
    a["arbeitslose_u25"] = rng.binomial(a["arbeitslose"], young)
    old_age = (0.0005 + 0.1 * kinderarmut**1.4) * (1 + 0.03 * (years - 2008))
    a["grundsicherung_alter"] = rng.binomial(bands[:, :, 6], old_age)
    foreign = (0.02 + 0.33 * pov[:, None]) * (1 + 0.04 * (years - 2008))
    a["nichtdeutsche"] = rng.binomial(a["einwohner"], foreign)
    migration = 0.10 + 0.25 * pov[:, None] + 0.004 * (years - 2008)
    a["migrationshintergrund"] = a["nichtdeutsche"] + rng.binomial(
        a["einwohner"] - a["nichtdeutsche"], migration
    )
    household_size = 1.95 + 2.0 * (u18 / a["einwohner"] - 0.157)
    a["haushalte"] = rng.binomial(a["einwohner"], 1 / household_size)
    a["haushalte_mit_kindern"] = rng.binomial(u18, 0.62)
    a["haushalte_alleinerziehend"] = rng.binomial(
        a["haushalte_mit_kindern"], 0.15 + 0.42 * kinderarmut
    )
    a["haushalte_3_kinder"] = rng.binomial(a["haushalte_mit_kindern"], 0.06 + 0.28 * pov[:, None])
    births = np.array([birth_factor(y) for y in SIM_YEARS])
    child = child_factor(pov, pop0)[:, None]
    a["geburten"] = rng.binomial(a["einwohner"], 0.0082 * child * births)
    influx = 0.055 + 0.06 * pov[:, None] + 0.012 * (years == 2015) + 0.006 * (years == 2016)
    a["zuzuege"] = rng.binomial(a["einwohner"], influx + 0.006 * (years == 2022))
    a["fortzuege"] = rng.binomial(a["einwohner"], 0.055 + 0.055 * pov[:, None])
    return a


def atlas_cell(key: str, year: int, value: int) -> str:
    """Formatted atlas cell with '.' for not collected / primary suppression."""
    if key == "sgb2_kinder_u15_ohne_anspruch" and year < 2016:
        return "."
    if key in ("arbeitslose_u25", "grundsicherung_alter") and value in (1, 2):
        return "."
    return de_int(value)


# --- SEU, transitions, childcare, implementation ---------------------------------------------


def simulate_seu(rng, quarters, atlas, tau) -> dict[str, np.ndarray]:
    """SEU counts per quarter x SEU_YEARS (2022: only children with reported needs)."""
    pov = np.array([q.pov for q in quarters])
    years = np.array(SEU_YEARS)
    cols = [YEARS.index(y) for y in SEU_YEARS]
    shape = (pov.size, years.size)

    def p(field: str, indicator: str | None = None) -> np.ndarray:
        t = tau[indicator][:, cols] if indicator else None
        return share_model(rng, field, SEU_SPECS[field], pov, years, tau=t)

    s = {"jahrgang": rng.binomial(atlas["einwohner_3_5"][:, [col(y - 1) for y in years]], 1 / 3)}
    coverage = np.where(years == 2022, 0.22 + 0.45 * pov[:, None], rng.uniform(0.97, 0.99, shape))
    n = s["untersuchte"] = rng.binomial(s["jahrgang"], coverage)
    linked = {field: ind for ind, (src, field) in INDICATOR_FIELD.items() if src == "seu"}
    for domain in SOPESS_DOMAINS:
        p_a = p(f"{domain}_auffaellig", linked.get(f"{domain}_auffaellig"))
        p_g = p(f"{domain}_grenzwertig")
        s[f"{domain}_auffaellig"] = rng.binomial(n, p_a)
        s[f"{domain}_grenzwertig"] = rng.binomial(n - s[f"{domain}_auffaellig"], p_g / (1 - p_a))
    insufficient = rng.binomial(n, p("deutsch_unzureichend", "seu_deutsch_unzureichend"))
    s["deutsch_keine"] = rng.binomial(insufficient, 0.35)
    s["deutsch_radebrechend"] = insufficient - s["deutsch_keine"]
    s["deutsch_fehlerhaft"] = rng.binomial(n - insufficient, 0.2 + 0.4 * pov[:, None])
    s["deutsch_fehlerfrei"] = n - insufficient - s["deutsch_fehlerhaft"]
    heavy = rng.binomial(n, p("uebergewicht_gesamt", "seu_uebergewicht"))
    s["adipositas"] = rng.binomial(heavy, ((3.7 + 5.1 * pov) / (9.2 + 6.6 * pov))[:, None])
    s["uebergewicht"] = heavy - s["adipositas"]
    s["uheft_vorgelegt"] = rng.binomial(n, p("uheft_vorgelegt"))
    s["u8"] = rng.binomial(s["uheft_vorgelegt"], p("u8"))
    s["u9"] = rng.binomial(s["uheft_vorgelegt"], p("u9", "seu_u9"))
    s["impfpass_vorgelegt"] = rng.binomial(n, p("impfpass_vorgelegt"))
    s["masern_2x"] = rng.binomial(s["impfpass_vorgelegt"], p("masern_2x", "seu_masern"))
    s["kita_2jahre"] = rng.binomial(n, p("kita_2jahre", "seu_kita_2jahre"))
    s["deutsch_unzureichend"] = insufficient
    s["uebergewicht_gesamt"] = heavy
    return s


def simulate_transitions(rng, quarters, atlas, tau) -> dict[str, np.ndarray]:
    """Transitions to secondary school per quarter x YEARS (school year t/t+1)."""
    pov = np.array([q.pov for q in quarters])
    years = np.array(YEARS)
    total = rng.binomial(atlas["einwohner_6_9"][:, [col(y - 1) for y in YEARS]], 0.235)
    p_gym = share_model(rng, "gymnasium", GYMNASIUM_SPEC, pov, years, tau["uebergang_gymnasium"])
    tau_foe = tau["uebergang_foerderschule"]
    p_foe = share_model(rng, "foerderschule", FOERDERSCHULE_SPEC, pov, years, tau_foe)
    t = {"uebergaenge": total, "gymnasium": rng.binomial(total, p_gym)}
    t["foerderschule"] = rng.binomial(total - t["gymnasium"], p_foe / (1 - p_gym))
    rest = total - t["gymnasium"] - t["foerderschule"]
    hs_trend = np.maximum(0.15, 1 - 0.055 * (years - 2008))
    weights = np.stack(
        np.broadcast_arrays(
            0.45 + 0.2 * pov[:, None],  # Gesamtschule
            0.33 - 0.2 * pov[:, None],  # Realschule
            0.22 * hs_trend[None, :] * (0.6 + 1.2 * pov[:, None]),  # Hauptschule
            0.10 * (years >= 2013)[None, :],  # Sekundarschule
            np.full((1, 1), 0.025),  # Sonstige/unbekannt
        ),
        axis=-1,
    )
    weights = weights / weights.sum(-1, keepdims=True)
    others = np.zeros((*rest.shape, 5), dtype=int)
    for i, k in np.ndindex(rest.shape):
        others[i, k] = rng.multinomial(rest[i, k], weights[i, k])
    for b, key in enumerate(("gesamtschule", "realschule", "hauptschule", "sekundarschule",
                             "sonstige")):  # fmt: skip
        t[key] = others[:, :, b]
    return t


def simulate_kita(rng, quarters, atlas, tau, care_3_5=CARE_3_5_SPEC) -> dict[str, np.ndarray]:
    """Childcare per quarter x YEARS; populations are the atlas bands of the previous 31.12."""
    pov = np.array([q.pov for q in quarters])
    years = np.array(YEARS)
    prev = [col(y - 1) for y in YEARS]
    k = {
        "kinder_u3": atlas["einwohner_0_2"][:, prev],
        "kinder_3_5": atlas["einwohner_3_5"][:, prev],
    }
    target = np.array([U3_CARE_TARGET[y] for y in YEARS])
    p_u3 = share_model(rng, "betreuung_u3", U3_CARE_SPEC, pov, years, tau["betreuung_u3"],
                       target=target, weights=k["kinder_u3"])  # fmt: skip
    k["betreut_u3"] = rng.binomial(k["kinder_u3"], p_u3)
    p_35 = share_model(rng, "betreuung_3_5", care_3_5, pov, years)
    k["betreut_3_5"] = rng.binomial(k["kinder_3_5"], p_35)
    return k


def simulate_umsetzung(rng, quarters, atlas, assignment, measures=MEASURES) -> list[dict]:
    """One record per measure x treated quarter x year from the start year to 2023."""
    records = []
    for m in measures:
        band = atlas[BAND_OF_AGE_GROUP[m.zielgruppe]]
        for i, start in sorted(assignment[m.id].items(), key=lambda kv: quarters[kv[0]].id):
            for year in range(start, YEARS[-1] + 1):
                rate = m.reach * (0.6 if year == start else 1.0) * rng.uniform(0.85, 1.15)
                n = int(rng.binomial(band[i, col(year)], rate))
                share = min(0.95, 0.05 + 1.4 * atlas["kinderarmut"][i, col(year)])
                price = m.cost * 1.02 ** (year - 2012) * rng.uniform(0.9, 1.1)
                records.append({
                    "massnahme": m.id, "quarter": i, "jahr": year, "teilnehmende": n,
                    "sgb2": int(rng.binomial(n, share)), "kosten": round(n * price, -1),
                    "zielgruppe": int(band[i, col(year)]),
                })  # fmt: skip
    return records


def planted_effects(assignment, observed, measures=MEASURES) -> list[tuple[str, str, float]]:
    """Mean planted effect (pp) over treated, post-start cells where the outcome is observed."""
    rows = []
    for m in measures:
        years = SEU_YEARS if INDICATOR_FIELD[m.indikator][0] == "seu" else YEARS
        values = [
            effect_pp(m, start, y)
            for i, start in assignment[m.id].items()
            for y in years
            if y >= start + LAG and observed[m.indikator][i, years.index(y)]
        ]
        rows.append((m.id, m.indikator, float(np.mean(values)) + 0.0))
    return rows


def check_consistency(atlas, seu, trans, kita, umsetzung) -> None:
    """Raise if any subset exceeds its total or an exact sum does not hold."""
    bands = sum(atlas[k] for k in BAND_KEYS)
    require((bands == atlas["einwohner"]).all(), "age bands do not add up")
    u15 = sum(atlas[k] for k in BAND_KEYS[:4])
    pairs = [
        (atlas["sgb2_kinder_u15"] + atlas["sgb2_kinder_u15_ohne_anspruch"], u15),
        (atlas["sgb2_kinder_u15"], atlas["sgb2_leistungsberechtigte"]),
        (atlas["arbeitslose_u25"], atlas["arbeitslose"]),
        (atlas["arbeitslose"], atlas["einwohner_15_17"] + atlas["einwohner_18_64"]),
        (atlas["grundsicherung_alter"], atlas["einwohner_65_plus"]),
        (atlas["nichtdeutsche"], atlas["migrationshintergrund"]),
        (atlas["migrationshintergrund"], atlas["einwohner"]),
        (atlas["haushalte_mit_kindern"], atlas["haushalte"]),
        (atlas["haushalte_alleinerziehend"], atlas["haushalte_mit_kindern"]),
        (atlas["haushalte_3_kinder"], atlas["haushalte_mit_kindern"]),
        (seu["untersuchte"], seu["jahrgang"]),
        (seu["uebergewicht"] + seu["adipositas"], seu["untersuchte"]),
        (seu["u8"], seu["uheft_vorgelegt"]),
        (seu["u9"], seu["uheft_vorgelegt"]),
        (seu["uheft_vorgelegt"], seu["untersuchte"]),
        (seu["masern_2x"], seu["impfpass_vorgelegt"]),
        (seu["impfpass_vorgelegt"], seu["untersuchte"]),
        (seu["kita_2jahre"], seu["untersuchte"]),
        (kita["betreut_u3"], kita["kinder_u3"]),
        (kita["betreut_3_5"], kita["kinder_3_5"]),
    ]
    for domain in SOPESS_DOMAINS:
        pairs.append(
            (seu[f"{domain}_auffaellig"] + seu[f"{domain}_grenzwertig"], seu["untersuchte"])
        )
    for data in (atlas, seu, trans, kita):
        require(all((v >= 0).all() for v in data.values()), "negative count")
    for number, (part, whole) in enumerate(pairs):
        require((part <= whole).all(), f"subset rule {number} violated")
    german = sum(seu[k] for k in ("deutsch_keine", "deutsch_radebrechend", "deutsch_fehlerhaft",
                                  "deutsch_fehlerfrei"))  # fmt: skip
    require((german == seu["untersuchte"]).all(), "German categories do not add up")
    types = sum(trans[k] for k in TRANSITION_TYPES)
    require((types == trans["uebergaenge"]).all(), "school types do not add up")
    for r in umsetzung:
        require(r["sgb2"] <= r["teilnehmende"] <= r["zielgruppe"], "participants exceed group")


# --- writers -----------------------------------------------------------------------------------


def write_csv(path: Path, header, rows, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_geometries(out: Path, quarters) -> None:
    """The quarters' polygons (seeded, sized like their delivered flaeche_km2) as GeoJSON in
    EPSG:25832; Sozialräume, Stadtbezirke and the city are dissolved from them on loading."""
    parent_of = {CITY[0]: None} | {bid: CITY[0] for bid, _ in BEZIRKE}
    parent_of |= {sid: parent for sid, _, parent in SOZIALRAEUME}
    parent_of |= {q.id: q.id[:2] for q in quarters}
    rng = np.random.default_rng(GEOMETRY_SEED)
    shapes = tessellate(rng, CITY_CENTRE_25832, {q.id: q.area for q in quarters}, parent_of)
    features = [({"Gebietsschlüssel": q.id, "Gebietsname": q.name}, shapes[q.id]) for q in quarters]
    target = out / "geometrien" / "sozialquartiere.geojson"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(geojson_text(features, 25832, "sozialquartiere"), encoding="utf-8")


def write_gebiete(out: Path, quarters) -> None:
    rows = [[CITY[0], CITY[1], "Stadt", ""]]
    rows += [[bid, name, "Stadtbezirk", CITY[0]] for bid, name in BEZIRKE]
    rows += [[sid, name, "Sozialraum", parent] for sid, name, parent in SOZIALRAEUME]
    rows += [[q.id, q.name, "Sozialquartier", q.id[:2]] for q in quarters]
    rows = [[*r, "01.01.2000", "", ORIGIN] for r in rows]
    write_csv(out / "gebiete" / "gebiete.csv", GEBIETE_HEADER, rows)


def write_atlas(out: Path, quarters, atlas) -> None:
    header = ["Sozialquartier-Nr.", "Sozialquartier", "Stichtag", "Fläche in km²"]
    header += [title for _, title in ATLAS_COLUMNS]
    for year in YEARS:
        rows, cells = [], []
        for i, q in enumerate(quarters):
            cells.append(
                [atlas_cell(key, year, atlas[key][i, col(year)]) for key, _ in ATLAS_COLUMNS]
            )
            rows.append([q.id, q.name, f"31.12.{year}", de_dec(q.area)] + cells[-1])
        totals = []
        for j, (key, _) in enumerate(ATLAS_COLUMNS):
            known = [c[j] for c in cells]
            total = int(atlas[key][:, col(year)].sum())
            totals.append("." if "." in known else de_int(total))
        area = de_dec(sum(q.area for q in quarters))
        rows.append(["", TOTAL, f"31.12.{year}", area, *totals])
        encoding = "cp1252" if year <= 2015 else "utf-8"
        write_csv(out / "sozialstrukturatlas" / f"sozialstrukturatlas_{year}.csv", header, rows,
                  encoding)  # fmt: skip


def write_seu(out: Path, quarters, seu) -> None:
    keys = [key for key, _ in SEU_COLUMNS]
    header = ["Sozialquartier-Nr.", "Sozialquartier", "Einschulungsjahr"]
    header += [title for _, title in SEU_COLUMNS]
    for k, year in enumerate(SEU_YEARS):
        wb = Workbook()
        ws = wb.active
        ws.title = "SEU"
        ws.append([f"Schuleingangsuntersuchung {year} – Ergebnisse nach Sozialquartieren "
                   "(Gesundheitsamt, synthetische Beispieldaten)"])  # fmt: skip
        ws.append([])
        ws.append(header)
        for i, q in enumerate(quarters):
            ws.append([q.id, q.name, year] + [int(seu[key][i, k]) for key in keys])
        ws.append([None, TOTAL, year] + [int(seu[key][:, k].sum()) for key in keys])
        save_xlsx(wb, out / "schuleingang" / f"seu_{year}.xlsx")


def write_yearly_table(path, header, quarters, data, keys, year_label, encoding) -> None:
    """Quarter rows per year followed by that year's 'Stadt insgesamt' row."""
    rows = []
    for k, year in enumerate(YEARS):
        for i, q in enumerate(quarters):
            rows.append([q.id, q.name, year_label(year)] + [de_int(data[c][i, k]) for c in keys])
        rows.append(["", TOTAL, year_label(year)] + [de_int(data[c][:, k].sum()) for c in keys])
    write_csv(path, header, rows, encoding)


def umsetzung_rows(quarters, umsetzung) -> list[list[str]]:
    """One implementation line per measure, quarter and year; SGB II counts 1 or 2 as '.'."""
    rows = []
    for r in umsetzung:
        q = quarters[r["quarter"]]
        sgb2 = "." if r["sgb2"] in (1, 2) else de_int(r["sgb2"])
        rows.append([r["massnahme"], q.id, q.name, str(r["jahr"]), "ja",
                     de_int(r["teilnehmende"]), sgb2, de_dec(r["kosten"])])  # fmt: skip
    return rows


def write_measures(out: Path, quarters, umsetzung, effects) -> None:
    register = [[m.id, m.titel, m.typ, m.traeger, m.lebensphase, m.zielgruppe, m.beschreibung]
                for m in MEASURES]  # fmt: skip
    write_csv(out / "massnahmen" / "massnahmen.csv", REGISTER_HEADER, register)
    links = [[m.id, m.indikator, m.richtung, str(LAG)] for m in MEASURES]
    write_csv(out / "massnahmen_wirkindikatoren" / "massnahmen_wirkindikatoren.csv",
              ("Maßnahme-Nr.", "Indikator", "Erwartete Richtung", "Wirkung ab Jahr nach Start"),
              links)  # fmt: skip
    rows = umsetzung_rows(quarters, umsetzung)
    sgb2_total = (
        "." if any(row[6] == "." for row in rows) else de_int(sum(r["sgb2"] for r in umsetzung))
    )
    rows.append(["", "", TOTAL, "", "", de_int(sum(r["teilnehmende"] for r in umsetzung)),
                 sgb2_total, de_dec(sum(r["kosten"] for r in umsetzung))])  # fmt: skip
    write_csv(out / "massnahmen_umsetzung" / "umsetzung_2012-2023.csv", UMSETZUNG_HEADER, rows)
    write_csv(out / "planted_effects.csv", ("massnahme_id", "indikator_id", "effekt_pp"),
              [(mid, ind, repr(round(value, 10))) for mid, ind, value in effects])  # fmt: skip


README = """\
# Beispieldaten (synthetisch)

Diese Dateien sind **synthetische Beispiellieferungen** für eine Oberhausen-ähnliche Stadt
(27 Sozialquartiere). Sie enthalten keine echten Daten. Sie werden mit einem festen Zufalls-
Startwert erzeugt, also bei jedem Lauf bytegleich:

    uv run python -m raw_data.generate_sample            # schreibt nach raw_data/sample
    uv run python -m raw_data.generate_sample --out DIR  # anderes Zielverzeichnis

| Ordner / Datei | Format | Kodierung |
|---|---|---|
| `gebiete/gebiete.csv` | CSV `;` | UTF-8 |
| `sozialstrukturatlas/sozialstrukturatlas_JJJJ.csv` | CSV `;` | bis 2015 cp1252, ab 2016 UTF-8 |
| `schuleingang/seu_JJJJ.xlsx` (ohne 2020/2021) | XLSX, Blatt `SEU`, Kopf in Zeile 3 | – |
| `schulwechsel/uebergaenge_2008-2023.csv` | CSV `;` | UTF-8 |
| `kindertagesbetreuung/kita_2008-2023.csv` | CSV `;` | Windows-1252 |
| `massnahmen/massnahmen.csv` | CSV `;` | UTF-8 |
| `massnahmen_wirkindikatoren/massnahmen_wirkindikatoren.csv` | CSV `;` | UTF-8 |
| `massnahmen_umsetzung/umsetzung_2012-2023.csv` | CSV `;` | UTF-8 |
| `planted_effects.csv` | CSV `;`, Dezimalpunkt | UTF-8 |

Zahlenformat in den CSV-Lieferungen: Dezimalkomma, Tausenderpunkt (`7.812`, `48.250,00`),
Zeilenende CRLF. Jede Lieferung enthält Zeilen `Stadt insgesamt` mit den Spaltensummen.

`.` bedeutet „unbekannt/geheim“, **nie null**: im Sozialstrukturatlas geheim gehaltene Werte
1 oder 2 bei „Arbeitslose unter 25 Jahren“ und „Grundsicherung im Alter“, vor 2016 nicht
erhobene „Kinder … ohne eigenen Leistungsanspruch“; in der Umsetzung Werte 1 oder 2 bei
„davon aus SGB-II-Familien“. Enthält eine Spalte ein `.`, ist auch ihre Summe `.`.

Die SEU 2022 hat nur Kinder mit gemeldetem Förderbedarf untersucht (geringere Abdeckung,
höhere Befundquoten).

`planted_effects.csv` enthält die eingepflanzten „wahren“ Maßnahmeneffekte (Prozentpunkte,
Mittel über behandelte Quartiere und Jahre ab Start mit beobachtetem Ergebnis). Sie ist
**nur für Tests** gedacht und keine Lieferung.
"""


def clear_owned(out: Path) -> None:
    """Delete what an earlier run wrote (only the folders and files this generator owns)."""
    for name in OWNED_DIRS:
        if (out / name).is_dir():
            shutil.rmtree(out / name)
    for name in OWNED_FILES:
        (out / name).unlink(missing_ok=True)


def main(out_dir: Path = DEFAULT_OUT) -> None:
    out = Path(out_dir)
    rng = np.random.default_rng(SEED)
    quarters = load_quarters()
    assignment = assign_measures(rng, quarters)
    tau = effect_matrices(assignment)
    atlas = simulate_atlas(rng, quarters)
    seu = simulate_seu(rng, quarters, atlas, tau)
    trans = simulate_transitions(rng, quarters, atlas, tau)
    kita = simulate_kita(rng, quarters, atlas, tau)
    umsetzung = simulate_umsetzung(rng, quarters, atlas, assignment)
    check_consistency(atlas, seu, trans, kita, umsetzung)
    sources = {"seu": seu, "schulwechsel": trans, "kindertagesbetreuung": kita}
    observed = {}
    for ind, (src, _) in INDICATOR_FIELD.items():
        denominator = {"seu": "untersuchte", "schulwechsel": "uebergaenge",
                       "kindertagesbetreuung": "kinder_u3"}[src]  # fmt: skip
        observed[ind] = sources[src][INDICATOR_DENOMINATOR.get(ind, denominator)] > 0

    out.mkdir(parents=True, exist_ok=True)
    clear_owned(out)
    write_gebiete(out, quarters)
    write_geometries(out, quarters)
    write_atlas(out, quarters, atlas)
    write_seu(out, quarters, seu)
    write_yearly_table(out / "schulwechsel" / "uebergaenge_2008-2023.csv", TRANSITION_HEADER,
                       quarters, trans, ("uebergaenge", *TRANSITION_TYPES),
                       lambda y: f"{y}/{(y + 1) % 100:02d}", "utf-8")  # fmt: skip
    write_yearly_table(out / "kindertagesbetreuung" / "kita_2008-2023.csv", KITA_HEADER, quarters,
                       kita, ("kinder_u3", "betreut_u3", "kinder_3_5", "betreut_3_5"), str,
                       "cp1252")  # fmt: skip
    write_measures(out, quarters, umsetzung, planted_effects(assignment, observed))
    (out / "README.md").write_text(README, encoding="utf-8", newline="\n")
    (out / "kommune.yaml").write_text(PROFILE, encoding="utf-8", newline="\n")
    print(f"Beispieldaten geschrieben nach {out}")


def _cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    main(parser.parse_args(argv).out)


if __name__ == "__main__":
    _cli()
