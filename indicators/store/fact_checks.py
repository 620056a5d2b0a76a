"""Consistency rules for the indicator facts; each query returns the rows that break its rule."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from indicators.compute.catalogue import Catalogue
from indicators.display.summary import CheckResult, Listing

LISTED_VIOLATIONS = 50


@dataclass(frozen=True)
class FactCheck:
    name: str
    description: str
    sql: str

    def run(self, con: duckdb.DuckDBPyConnection) -> CheckResult:
        """Passed when no row breaks the rule; the summary lists the first offending rows."""
        violations = con.sql(self.sql).df()
        return CheckResult(
            passed=violations.empty,
            summary={
                "verstoesse": len(violations),
                "beispiele": Listing(violations, LISTED_VIOLATIONS),
            },
        )


SUMS_ADD_UP = FactCheck(
    "summen_stimmen",
    "Zähler und Nenner jedes Gebiets oberhalb der feinsten Ebene (im Beispiel Sozialraum, "
    "Stadtbezirk, Stadt) sind genau die Summe seiner Gebiete der feinsten Ebene (unbekannt, "
    "sobald eines unbekannt ist).",
    """
    WITH quarters AS (
        SELECT w.gebiet_id, w.jahr, w.indikator_id, w.zaehler, w.nenner
        FROM core.indikatorwerte w JOIN core.gebiete g USING (gebiet_id)
        WHERE g.analyseeinheit
    ), sums AS (
        SELECT v.vorfahr_id AS gebiet_id, q.jahr, q.indikator_id,
               CASE WHEN bool_or(q.zaehler IS NULL OR q.nenner IS NULL) THEN NULL
                    ELSE sum(q.zaehler) END AS summe_zaehler,
               CASE WHEN bool_or(q.zaehler IS NULL OR q.nenner IS NULL) THEN NULL
                    ELSE sum(q.nenner) END AS summe_nenner
        FROM quarters q
        JOIN core.gebiet_vorfahren v ON v.gebiet_id = q.gebiet_id AND v.abstand > 0
        GROUP BY ALL
    )
    SELECT w.gebiet_id, w.jahr, w.indikator_id, w.zaehler, s.summe_zaehler,
           w.nenner, s.summe_nenner
    FROM core.indikatorwerte w
    LEFT JOIN sums s USING (gebiet_id, jahr, indikator_id)
    JOIN core.gebiete g USING (gebiet_id)
    WHERE NOT g.analyseeinheit
      AND (w.zaehler IS DISTINCT FROM s.summe_zaehler OR w.nenner IS DISTINCT FROM s.summe_nenner)
    ORDER BY ALL
    """,
)

VALUES_IN_RANGE = FactCheck(
    "werte_im_bereich",
    "Jeder Wert liegt zwischen 0 und dem Faktor des Indikators (0–100 %); ein fehlender Wert "
    "hat immer einen Hinweis mit dem Grund.",
    """
    SELECT w.gebiet_id, w.jahr, w.indikator_id, w.zaehler, w.nenner, w.wert, i.faktor,
           w.hinweis
    FROM core.indikatorwerte w JOIN core.indikatoren i USING (indikator_id)
    WHERE w.wert < 0 OR w.wert > i.faktor OR (w.wert IS NULL AND w.hinweis IS NULL)
    ORDER BY ALL
    """,
)

INTERVALS_ORDERED = FactCheck(
    "intervalle_geordnet",
    "Jedes Konfidenzintervall ist geordnet (0 ≤ untere Grenze ≤ Wert ≤ obere Grenze ≤ Faktor) "
    "und fehlt genau dann, wenn der Wert fehlt.",
    """
    SELECT w.gebiet_id, w.jahr, w.indikator_id, w.ki_unten, w.wert, w.ki_oben, i.faktor
    FROM core.indikatorwerte w JOIN core.indikatoren i USING (indikator_id)
    WHERE (w.wert IS NULL) <> (w.ki_unten IS NULL) OR (w.wert IS NULL) <> (w.ki_oben IS NULL)
       OR NOT (0 <= w.ki_unten AND w.ki_unten <= w.wert AND w.wert <= w.ki_oben
               AND w.ki_oben <= i.faktor)
    ORDER BY ALL
    """,
)


def completeness_check(catalogue: Catalogue) -> FactCheck:
    """Every catalogue indicator has a city row for every year its source delivered."""
    delivered = "\n        UNION ALL ".join(
        f"SELECT DISTINCT '{source}' AS quelle, jahr FROM staging.{source}"
        for source in catalogue.sources
    )
    return FactCheck(
        "vollstaendig",
        "Jeder Indikator des Katalogs hat für jedes gelieferte Jahr seiner Quelle einen "
        "Wert für die Kommune insgesamt (fehlende Werte nur mit Begründung).",
        f"""
        WITH delivered AS ({delivered})
        SELECT i.indikator_id, d.jahr
        FROM core.indikatoren i JOIN delivered d USING (quelle)
        WHERE NOT EXISTS (
            SELECT 1 FROM core.indikatorwerte w JOIN core.gebiete g USING (gebiet_id)
            WHERE g.ebene_rang = 0 AND w.indikator_id = i.indikator_id AND w.jahr = d.jahr
              AND (w.wert IS NOT NULL OR w.hinweis IS NOT NULL))
        ORDER BY ALL
        """,
    )


def fact_checks(catalogue: Catalogue) -> list[FactCheck]:
    return [SUMS_ADD_UP, VALUES_IN_RANGE, INTERVALS_ORDERED, completeness_check(catalogue)]
