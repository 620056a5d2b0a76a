"""A synthetic Land warehouse: the mart tables and columns of the Land design, filled from
made-up municipalities, so the report and the workbook can be checked without packages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from indicators.land.pooled_effects import FEDERATED, META, TABLE_COLUMNS

COLUMNS = {
    "mart.kommunen": {
        "ags": "VARCHAR", "kommune": "VARCHAR", "art": "VARCHAR", "ebenen": "VARCHAR",
        "analyseebene": "VARCHAR", "analyseeinheiten": "BIGINT", "erstes_jahr": "BIGINT",
        "letztes_jahr": "BIGINT", "kinder_unter_15": "BIGINT", "einwohner_unter_65": "BIGINT",
        "groessenklasse": "VARCHAR", "paket": "VARCHAR", "erstellt": "TIMESTAMP",
        "geheimhaltungsschwelle": "BIGINT",
    },
    "mart.indikatoren_kommunen": {
        "ags": "VARCHAR", "kommune": "VARCHAR", "art": "VARCHAR", "jahr": "BIGINT",
        "indikator_id": "VARCHAR", "indikator_name": "VARCHAR", "einheit": "VARCHAR",
        "hoeher_ist_besser": "BOOLEAN", "zaehler": "BIGINT", "nenner": "BIGINT",
        "wert": "DOUBLE", "ki_unten": "DOUBLE", "ki_oben": "DOUBLE", "gesperrt": "BOOLEAN",
        "kleiner_nenner": "BOOLEAN", "teilerhebung": "BOOLEAN", "rang": "BIGINT",
        "kommunen_mit_wert": "BIGINT", "median_land": "DOUBLE", "median_art": "DOUBLE",
        "abweichung_median_art": "DOUBLE",
    },
    "mart.indikatoren_land": {
        "jahr": "BIGINT", "indikator_id": "VARCHAR", "indikator_name": "VARCHAR",
        "einheit": "VARCHAR", "zaehler": "BIGINT", "nenner": "BIGINT", "wert": "DOUBLE",
        "ki_unten": "DOUBLE", "ki_oben": "DOUBLE", "kommunen_gesamt": "BIGINT",
        "kommunen_im_landeswert": "BIGINT", "fehlende_kommunen": "VARCHAR",
        "landeswert_berechenbar": "BOOLEAN", "hinweis": "VARCHAR",
    },
    "mart.datenqualitaet": {
        "ags": "VARCHAR", "lieferungen": "BIGINT", "lieferungen_abgelehnt": "BIGINT",
        "zeilen_quarantaene": "BIGINT", "quellen": "VARCHAR", "jahre_mit_luecken": "VARCHAR",
        "teilerhebungen": "BIGINT", "gesperrte_werte": "BIGINT",
    },
    "mart.abdeckung": {
        "ags": "VARCHAR", "kommune": "VARCHAR", "quelle": "VARCHAR", "jahr": "BIGINT",
        "geliefert": "BOOLEAN",
    },
    "mart.massnahmen": {
        "ags": "VARCHAR", "kommune": "VARCHAR", "massnahme_id": "VARCHAR", "titel": "VARCHAR",
        "massnahmentyp": "VARCHAR", "traeger": "VARCHAR", "lebensphase": "VARCHAR",
        "zielgruppe_alter": "VARCHAR", "wirkindikatoren": "VARCHAR", "jahre_aktiv": "BIGINT",
        "erstes_jahr": "BIGINT", "letztes_jahr": "BIGINT", "wirkungen_belastbar": "BIGINT",
    },
    "meta.eingaenge": {
        "ags": "VARCHAR", "paket": "VARCHAR", "kommune": "VARCHAR", "erstellt": "VARCHAR",
        "eingang": "VARCHAR", "quelle": "VARCHAR", "manifest_sha256": "VARCHAR",
        "status": "VARCHAR",
    },
    **{f"mart.{name}": columns for name, columns in TABLE_COLUMNS.items()},
}  # fmt: skip
COMMENTS = {
    ("mart.kommunen", "ags"): "Amtlicher Gemeindeschlüssel (8 Stellen) bzw. Kreisschlüssel.",
    ("mart.kommunen", "kommune"): "Name der Kommune.",
    ("mart.kommunen", "kinder_unter_15"): "Kinder unter 15 Jahren: Nenner der Kinderarmut.",
    ("mart.kommunen", "erstellt"): "Zeitpunkt, zu dem die Kommune das Paket erstellt hat.",
    ("mart.indikatoren_kommunen", "ags"): "AGS bzw. Kreisschlüssel.",
    ("mart.indikatoren_kommunen", "zaehler"): "Zähler der Kommune insgesamt; leer, wenn gesperrt.",
    ("mart.indikatoren_kommunen", "rang"): "Rang unter den Kommunen mit Wert: 1 = die beste Lage.",
    ("mart.indikatoren_land", "wert"): "Landeswert = Faktor × Summe der Zähler / Nenner.",
    ("mart.indikatoren_land", "ki_unten"): "Untere Grenze des 95-%-Konfidenzintervalls (Wilson).",
    ("mart.abdeckung", "geliefert"): "Wahr, wenn ein Indikator der Quelle einen Wert hat.",
}
"""German comments of some columns, as the Land warehouse writes them; the others have none."""


@dataclass(frozen=True)
class Indicator:
    id: str
    name: str
    source: str
    higher_is_better: bool | None


@dataclass
class LandFixture:
    municipalities: list[tuple[str, str, str]]
    """(ags, name, art)."""
    indicators: list[Indicator]
    years: list[int]
    suppressed: set[tuple[str, str, int]] = field(default_factory=set)
    """(ags, indicator, year) suppressed in the municipality's package."""
    empty: set[tuple[str, str, int]] = field(default_factory=set)
    """Rows without a value that are not suppressed (not surveyed that year)."""
    absent: set[tuple[str, str, int]] = field(default_factory=set)
    """Rows the municipality does not have at all."""
    lacking: dict[str, set[str]] = field(default_factory=dict)
    """ags -> sources the municipality never delivered."""


def value_of(ags_index: int, indicator_index: int, year: int) -> tuple[int, int]:
    nenner = 800 + 157 * ags_index + 31 * indicator_index
    zaehler = (nenner * (5 + 3 * indicator_index + ags_index)) // 100 + (year % 7)
    return zaehler, nenner


def city_rows(fx: LandFixture) -> pd.DataFrame:
    rows = []
    for a, (ags, name, art) in enumerate(fx.municipalities):
        for i, ind in enumerate(fx.indicators):
            if ind.source in fx.lacking.get(ags, set()):
                continue
            for year in fx.years:
                key = (ags, ind.id, year)
                if key in fx.absent:
                    continue
                zaehler, nenner = value_of(a, i, year)
                hidden = key in fx.suppressed or key in fx.empty
                wert = 100 * zaehler / nenner
                rows.append({
                    "ags": ags, "kommune": name, "art": art, "jahr": year,
                    "indikator_id": ind.id, "indikator_name": ind.name, "einheit": "%",
                    "hoeher_ist_besser": ind.higher_is_better,
                    "zaehler": None if hidden else zaehler, "nenner": None if hidden else nenner,
                    "wert": None if hidden else wert,
                    "ki_unten": None if hidden else wert - 1.25,
                    "ki_oben": None if hidden else wert + 1.75,
                    "gesperrt": key in fx.suppressed, "kleiner_nenner": False,
                    "teilerhebung": False,
                })  # fmt: skip
    frame = pd.DataFrame(rows)
    by_year = frame.groupby(["indikator_id", "jahr"])["wert"]
    frame["kommunen_mit_wert"] = by_year.transform("count")
    frame["median_land"] = by_year.transform("median")
    frame["median_art"] = frame.groupby(["indikator_id", "jahr", "art"])["wert"].transform("median")
    frame["abweichung_median_art"] = frame["wert"] - frame["median_art"]
    ascending = frame["hoeher_ist_besser"].map({True: False, False: True})
    score = frame["wert"].where(ascending.astype(bool), -frame["wert"])
    rang = score.groupby([frame["indikator_id"], frame["jahr"]]).rank(method="min")
    frame["rang"] = rang.where(frame["hoeher_ist_besser"].notna())
    return frame


def land_rows(fx: LandFixture, city: pd.DataFrame) -> pd.DataFrame:
    rows = []
    names = dict((ags, name) for ags, name, _ in fx.municipalities)
    for ind in fx.indicators:
        for year in fx.years:
            part = city[(city["indikator_id"] == ind.id) & (city["jahr"] == year)]
            used = part[part["wert"].notna()]
            missing = sorted(set(names) - set(used["ags"]))
            zaehler, nenner = int(used["zaehler"].sum()), int(used["nenner"].sum())
            wert = 100 * zaehler / nenner if nenner else None
            rows.append({
                "jahr": year, "indikator_id": ind.id, "indikator_name": ind.name,
                "einheit": "%", "zaehler": zaehler, "nenner": nenner, "wert": wert,
                "ki_unten": wert - 0.5 if wert else None, "ki_oben": wert + 0.5 if wert else None,
                "kommunen_gesamt": len(names), "kommunen_im_landeswert": len(used),
                "fehlende_kommunen": ", ".join(names[a] for a in missing),
                "landeswert_berechenbar": wert is not None,
                "hinweis": None if wert else "Keine Kommune mit ungesperrtem Wert.",
            })  # fmt: skip
    return pd.DataFrame(rows)


def coverage_rows(fx: LandFixture, city: pd.DataFrame) -> pd.DataFrame:
    sources = sorted({ind.source for ind in fx.indicators})
    source_of = {ind.id: ind.source for ind in fx.indicators}
    seen = city[city["wert"].notna() | city["gesperrt"]]
    delivered = set(zip(seen["ags"], seen["indikator_id"].map(source_of), seen["jahr"],
                        strict=True))  # fmt: skip
    rows = [
        (ags, name, source, year, (ags, source, year) in delivered)
        for ags, name, _ in fx.municipalities
        for source in sources
        for year in fx.years
    ]
    return pd.DataFrame(rows, columns=["ags", "kommune", "quelle", "jahr", "geliefert"])


def municipality_rows(fx: LandFixture) -> pd.DataFrame:
    return pd.DataFrame([
        {"ags": ags, "kommune": name, "art": art, "ebenen": "Stadt, Sozialraum",
         "analyseebene": "Sozialraum", "analyseeinheiten": 10 + a, "erstes_jahr": fx.years[0],
         "letztes_jahr": fx.years[-1], "kinder_unter_15": 5000 * (a + 1),
         "einwohner_unter_65": 40000 * (a + 1), "groessenklasse": "mittel",
         "paket": f"{ags}_2024-03-0{a % 9 + 1}T101500_abcdef0{a % 10}",
         "erstellt": datetime(2024, 3, a % 9 + 1, 10, 15), "geheimhaltungsschwelle": 5}
        for a, (ags, name, art) in enumerate(fx.municipalities)
    ])  # fmt: skip


def quality_rows(fx: LandFixture, city: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame([
        {"ags": ags, "lieferungen": 3 + a, "lieferungen_abgelehnt": a % 2,
         "zeilen_quarantaene": 2 * a,
         "quellen": ", ".join(sorted({i.source for i in fx.indicators}
                                     - fx.lacking.get(ags, set()))),
         "jahre_mit_luecken": "", "teilerhebungen": 0,
         "gesperrte_werte": int(city.loc[city["ags"] == ags, "gesperrt"].sum())}
        for a, (ags, _, _) in enumerate(fx.municipalities)
    ])  # fmt: skip


def measure_rows(fx: LandFixture) -> pd.DataFrame:
    return pd.DataFrame([
        {"ags": ags, "kommune": name, "massnahme_id": f"M0{m}", "titel": f"Maßnahme {m}",
         "massnahmentyp": "elternbildung" if a % 2 else None, "traeger": "Jugendamt",
         "lebensphase": "Kita", "zielgruppe_alter": "3-6",
         "wirkindikatoren": fx.indicators[0].id, "jahre_aktiv": 3, "erstes_jahr": fx.years[1],
         "letztes_jahr": fx.years[-1], "wirkungen_belastbar": m % 2}
        for a, (ags, name, _) in enumerate(fx.municipalities)
        for m in range(1, 2 + a % 2)
    ])  # fmt: skip


POOLED_TYPE = ("schulsozialarbeit", "Schulsozialarbeit")


def pooled_rows(fx: LandFixture) -> dict[str, pd.DataFrame]:
    """One measure type × the first indicator, pooled over all but the last municipality (it
    has no estimate); the second municipality delivered no pooling statistics."""
    kind, kind_name = POOLED_TYPE
    indicator = fx.indicators[0]
    keys = {"massnahmentyp": kind, "indikator_id": indicator.id}
    common = {
        **keys,
        "massnahmentyp_name": kind_name,
        "indikator_name": indicator.name,
        "erwartete_richtung": "steigt",
        "vortrend_p": 0.41,
        "bewertung": "belastbar",
        "begruendung": "p = 0,004 (föderierte Schätzung)",
        "ki_methode": "Jackknife",
        "kommunen_ohne_statistik": f"{fx.municipalities[1][0]} (keine Poolingstatistik)",
    }
    n = len(fx.municipalities)
    pooled = pd.DataFrame([
        {**common, "verfahren": FEDERATED, "schaetzgroesse": "ATT über alle Quartiersjahre",
         "effekt_pp": 2.345, "se": 0.61, "ki_unten": 1.123, "ki_oben": 3.567, "p_wert": 0.004,
         "p_methode": "Wild-Bootstrap", "n_kommunen": n - 2, "n_schaetzungen": n - 2,
         "n_gebiete": 61, "n_behandelt": 17, "tau2": None, "i2": None, "pi_unten": None,
         "pi_oben": None},
        {**common, "verfahren": META, "schaetzgroesse": "mittlerer Effekt einer Kommune",
         "effekt_pp": 2.1, "se": 0.7, "ki_unten": 0.456, "ki_oben": 3.744, "p_wert": 0.021,
         "p_methode": "HKSJ", "n_kommunen": n - 1, "n_schaetzungen": n - 1, "n_gebiete": None,
         "n_behandelt": 21, "tau2": 0.8, "i2": 0.374, "pi_unten": -0.5, "pi_oben": 4.7},
    ])  # fmt: skip
    course = pd.DataFrame([
        {**keys, "jahre_seit_start": k, "effekt_pp": 1.0 + k, "se": 0.5, "ki_unten": k,
         "ki_oben": 2.0 + k, "n_kommunen": n - 2, "n_behandelt": 17 - k}
        for k in range(3)
    ])  # fmt: skip
    cities = pd.DataFrame([
        {**keys, "ags": ags, "kommune": name, "massnahme_id": "M01",
         "effekt_pp": None if a == n - 1 else 1.5 + 0.3 * a, "se": None if a == n - 1 else 0.9,
         "ki_unten": None if a == n - 1 else -0.3 + 0.3 * a,
         "ki_oben": None if a == n - 1 else 3.3 + 0.3 * a,
         "bewertung": "nicht schätzbar" if a == n - 1 else "Hinweis",
         "erwartete_richtung": "steigt", "verzoegerung_jahre": 0,
         "gewicht_meta": None if a == n - 1 else 1 / (n - 1),
         "im_foederierten_schaetzer": a not in (1, n - 1),
         "anteil_foederiert": None if a in (1, n - 1) else 1 / (n - 2)}
        for a, (ags, name, _) in enumerate(fx.municipalities)
    ])  # fmt: skip
    return {"mart.wirkung_gepoolt": pooled, "mart.wirkung_gepoolt_verlauf": course,
            "mart.wirkung_kommunen": cities}  # fmt: skip


def intake_rows(fx: LandFixture, municipalities: pd.DataFrame) -> pd.DataFrame:
    rows = [
        {"ags": r.ags, "paket": r.paket, "kommune": r.kommune,
         "erstellt": r.erstellt.isoformat(), "eingang": f"2024-04-0{i % 9 + 1}T08:00:00",
         "quelle": f"{r.paket}.zip", "manifest_sha256": f"{i:064x}", "status": "aufgenommen"}
        for i, r in enumerate(municipalities.itertuples())
    ]  # fmt: skip
    rows.append({"ags": None, "paket": None, "kommune": None, "erstellt": None,
                 "eingang": "2024-04-09T09:00:00", "quelle": "kaputt.zip",
                 "manifest_sha256": None, "status": "abgelehnt"})  # fmt: skip
    return pd.DataFrame(rows)


def build_land_database(fx: LandFixture, path: Path) -> dict[str, pd.DataFrame]:
    """Write the marts of ``fx`` to a new DuckDB file at ``path``; returns the rows written."""
    city = city_rows(fx)
    municipalities = municipality_rows(fx)
    frames = {
        "mart.kommunen": municipalities,
        "mart.indikatoren_kommunen": city,
        "mart.indikatoren_land": land_rows(fx, city),
        "mart.datenqualitaet": quality_rows(fx, city),
        "mart.abdeckung": coverage_rows(fx, city),
        "mart.massnahmen": measure_rows(fx),
        "meta.eingaenge": intake_rows(fx, municipalities),
        **pooled_rows(fx),
    }
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA mart; CREATE SCHEMA meta")
        for relation, columns in COLUMNS.items():
            con.execute(f"CREATE TABLE {relation} ("
                        + ", ".join(f"{c} {t}" for c, t in columns.items()) + ")")  # fmt: skip
            frame = frames[relation][list(columns)]
            con.register("frame", frame)
            con.execute(f"INSERT INTO {relation} SELECT * FROM frame")
            con.unregister("frame")
        con.execute("COMMENT ON TABLE mart.kommunen IS 'Die Kommunen mit aktuellem Paket.'")
        for (relation, column), text in COMMENTS.items():
            con.execute(f"COMMENT ON COLUMN {relation}.{column} IS '{text}'")
    finally:
        con.close()
    return frames
