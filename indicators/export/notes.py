"""The codebook and the notes sheet of the export: every column and indicator explained,
reference dates, the suppression rule (or the Cell Key Method) and the data gaps."""

import pandas as pd

from indicators.display.german import decimal
from indicators.export.cell_key import CellKeyMethod
from indicators.export.files import EXCEL_NOTE, NEUTRALISED
from indicators.export.spec import TABLES, is_top
from indicators.export.tables import ExportTables
from indicators.export.workbook import workbook_only_columns

CODEBOOK_COLUMNS = ["Tabelle", "Spalte", "Titel", "Einheit", "Beschreibung"]


def codebook(tables: ExportTables) -> pd.DataFrame:
    """One row per exported column and per column only the workbook adds, then one per
    indicator of the catalogue."""
    rows = []
    for t in TABLES:
        for column in tables.frames[t.name].columns:
            doc = tables.docs[t.name, column]
            rows.append([t.name, column, doc.title, doc.unit or "", doc.description])
        rows += [
            [t.name, column, header, "",
             f"Nur in auswertung.xlsx, neben der Kennung: {header} aus Tabelle {source}, "
             f"Spalte {column}. Nicht in den CSV-Dateien."]
            for source, column, header in workbook_only_columns(tables, t).values()
        ]  # fmt: skip
    catalogue = tables.frames["indikatorkatalog"]
    rows += [
        ["Indikator", r.indikator_id, r.indikator_name, r.einheit,
         f"{r.beschreibung} Zähler: {r.zaehler_definition}. Nenner: {r.nenner_definition}. "
         f"Faktor {r.faktor:g}. Quelle {r.quelle} ({r.periode})."]
        for r in catalogue.itertuples()
    ]  # fmt: skip
    if tables.cell_key:
        rows += [["Geheimhaltung", "", title, "", text]
                 for title, text in cell_key_notes(tables.cell_key)]  # fmt: skip
    return pd.DataFrame(rows, columns=CODEBOOK_COLUMNS)


def data_gaps(tables: ExportTables) -> list[str]:
    """Years without any city value of a source, and partial surveys, from the exported data."""
    values = tables.frames["indikatoren"]
    city = values[is_top(values)].merge(
        tables.frames["indikatorkatalog"][["indikator_id", "quelle"]], on="indikator_id"
    )
    per_year = city.groupby(["quelle", "jahr"]).agg(
        bekannt=("wert", "count"), teilerhebung=("teilerhebung", "any")
    )
    gaps = []
    for (source, year), row in per_year.iterrows():
        if row["bekannt"] == 0:
            gaps.append(f"{source} {year}: keine Lieferung, alle Werte leer.")
        elif row["teilerhebung"]:
            gaps.append(
                f"{source} {year}: Teilerhebung, mit anderen Jahren nicht vergleichbar "
                "(Anteil in Spalte hinweis)."
            )
    return gaps


POOLING_NOTES = [
    ("Poolingstatistik",
     "Tabellen wirkung_summen und wirkung_gebiete: je Maßnahme, Wirkindikator und Schätzwert "
     "(effekt: „gesamt“ für den Gesamteffekt, „0“, „1“, … für die Jahre seit Beginn) der "
     "Schätzwert der Kommune (effekt_pp), die Summe W der Gewichte ihrer behandelten "
     "Quartiersjahre (gewichte_summe, bei der Gewichtung „jedes Sozialquartier gleich“ ihre "
     "Zahl) und die Zahl G der Gebiete der Schätzung (n_gebiete); je Gebiet der feinsten Ebene "
     "sein Einfluss ψ auf den Schätzwert (einfluss, Cluster-Score: Summe über die Quartiersjahre "
     "des Gebiets aus Gewicht im Schätzer mal Residuum; über die Gebiete summiert 0, "
     "√(G/(G−1)·Σψ²) ist der analytische cluster-robuste Standardfehler), das Gewicht seiner "
     "behandelten Quartiersjahre (behandelte_zellen, über die Gebiete summiert W) sowie "
     "Schätzwert und W der Schätzung ohne das Gebiet (effekt_ohne_gebiet, leer wenn nicht "
     "schätzbar; gewichte_ohne_gebiet, dann 0)."),
    ("Poolen beim Land",
     "Das Land erhält daraus exakt den Schätzwert, den der Imputationsschätzer auf den "
     "gestapelten Quartierspanels aller Kommunen (jede mit eigenen Jahreseffekten) ergäbe, ohne "
     "dass ein Quartierswert die Kommune verlässt: der gepoolte Schätzwert ist das mit W "
     "gewichtete Mittel der Schätzwerte der Kommunen; der Cluster-Score eines Gebiets im "
     "gepoolten Schätzwert ist sein Einfluss mal dem Anteil seiner Kommune an der Summe der W "
     "(daraus der cluster-robuste Standardfehler); lässt man ein Gebiet weg, ändert sich nur der "
     "Schätzwert seiner Kommune, zu effekt_ohne_gebiet mit dem Gewicht gewichte_ohne_gebiet "
     "(daraus Jackknife-Standardfehler und Intervall über alle Gebiete des Landes sowie der "
     "p-Wert aus dem Wild-Cluster-Bootstrap der Jackknife-Scores, Webb-Gewichte)."),
    ("Poolingstatistik und Geheimhaltung",
     "Die beiden Tabellen enthalten keine Fallzahlen von Personen, nur stetige Aggregate "
     "(Effekte in Prozentpunkten und Summen von Gewichten, die bei der Gewichtung „jedes "
     "Sozialquartier gleich“ Zahlen von Quartiersjahren sind). Jede ihrer Zahlen ist aber eine "
     "lineare Funktion der Quartierswerte des Wirkindikators, auch der gesperrten: zieht man "
     "den Beitrag der veröffentlichten Werte ab, bleibt je Zahl eine lineare Gleichung in den "
     "gesperrten Werten, und die 2·G + 1 Zahlen je Schätzwert lösen sie auf. Deshalb sind sie "
     "für eine Maßnahme und einen Wirkindikator nur enthalten, wenn die Gewichtung „jedes "
     "Sozialquartier gleich“ ist (sonst wären die Gewichte Kinderzahlen der Quartiere) und "
     "kein Wert des Wirkindikators auf der feinsten Ebene in diesem Paket gesperrt ist: dann "
     "folgen sie allein aus veröffentlichten Werten und verraten nichts Gesperrtes. Die "
     "ausgelassenen Verknüpfungen stehen einzeln unter „Poolingstatistik nicht exportiert“."),
]  # fmt: skip


def pooling_notes(tables: ExportTables) -> list[tuple[str, str]]:
    """What the pooling statistics are, how the Land uses them, why they disclose nothing,
    and each measure × outcome whose statistics are left out, named with its reason."""
    measures = tables.frames["massnahmen"].set_index("massnahme_id")["titel"]
    catalogue = tables.frames["indikatorkatalog"].set_index("indikator_id")["indikator_name"]
    left_out = [
        ("Poolingstatistik nicht exportiert",
         f"{measures.get(r.massnahme_id, r.massnahme_id)} ({r.massnahme_id}) – "
         f"{catalogue.get(r.indikator_id, r.indikator_id)} ({r.indikator_id}): {r.grund}.")
        for r in tables.withheld.itertuples()
    ]  # fmt: skip
    return [*POOLING_NOTES, *left_out]


def cell_key_notes(method: CellKeyMethod) -> list[tuple[str, str]]:
    """How the counts are perturbed: method, parameters and ptable (never the secret)."""
    p = method.description()
    return [
        ("Geheimhaltung",
         "Cell-Key-Verfahren statt Sperrung: jede Fallzahl (Zähler, Nenner, Teilnehmende, "
         "Teilnehmende aus SGB-II-Familien, Kinder der Zielgruppe) ist um eine zufällige, aber "
         f"feste Abweichung von höchstens {p['D']} verändert, im Mittel 0. 0 bleibt 0; "
         f"Fallzahlen von 1 bis {p['js']} werden nie veröffentlicht, eine solche Zahl erscheint "
         f"als 0 oder als mindestens {p['js'] + 1}. Die Abweichung hängt nur von der Zelle "
         "(Gebiet, Jahr, gezählte Größe) und einem geheimen Schlüssel ab: dieselbe Zahl hat in "
         "jeder Tabelle und jeder Veröffentlichung dieselbe Abweichung. Quoten, Intervalle, "
         "Reichweiten, SGB-II-Anteile und Kosten je Teilnehmenden und je Kind sind aus den "
         "veränderten Zahlen berechnet; ist ein Zähler danach größer als sein Nenner, ist die "
         "Quote 100 %. Teilgebiete summieren sich nicht genau zum übergeordneten Gebiet. Gesperrt "
         "ist nichts (Spalte gesperrt überall FALSCH). Der Hinweis „kleiner Nenner“ beruht auf "
         "der unveränderten Zahl."),
        ("Überlagerungstabelle",
         "Wahrscheinlichkeiten der Abweichungen je Fallzahl (ptable) mit maximaler Entropie "
         "wie im R-Paket ptable des Statistischen Bundesamts: unverzerrt, Varianz höchstens "
         f"V = {decimal(p['V'])}, größte Abweichung D = {p['D']}, keine Fallzahl von 1 "
         f"bis js = {p['js']}; SHA-256 der Tabelle {p['ptable_sha256']}. Der geheime Schlüssel "
         "ist nicht Teil des Pakets."),
        ("Vermiedene Fälle",
         "Die vermiedenen Fälle, die Kosten je vermiedenem Fall und der Nettonutzen fehlen: "
         "sie wären eine genaue Summe von Fallzahlen der Quartiere, deren veröffentlichte "
         "Werte verrauscht sind."),
    ]  # fmt: skip


def notes(tables: ExportTables, threshold: int) -> list[tuple[str, str]]:
    catalogue = tables.frames["indikatorkatalog"]
    periods = catalogue.drop_duplicates("quelle").sort_values("quelle")
    city = tables.frames["kommune"].iloc[0]
    suppression = [
        ("Geheimhaltung",
         f"Fallzahlen (Zähler, Nenner, Teilnehmende, Teilnehmende aus SGB-II-Familien, Kinder "
         f"der Zielgruppe) von 1 bis {threshold - 1} sind gesperrt, ebenso alle daraus "
         "berechneten Werte (Quote, Intervall, Reichweite, SGB-II-Anteile). Sind die "
         "Teilnehmenden eines Jahres gesperrt, sind es auch alle Kostenangaben dieses Jahres, "
         "weil sich die Teilnehmenden sonst über die Kosten je Teilnehmenden anderer Jahre "
         "eingrenzen ließen. Gesperrte Zellen sind in dieser Arbeitsmappe leer und grau "
         "hinterlegt, in den CSV-Dateien leer; in ihrer Zeile ist die Spalte „Gesperrt "
         "(Geheimhaltung)“ WAHR (CSV: gesperrt = true). So bleiben Zahlenspalten reine Zahlen, "
         "die sich filtern, sortieren und summieren lassen. 0 bedeutet genau null."),
        ("Hinweise und Kennzeichen",
         "Was eine gesperrte Fallzahl verraten würde, fehlt mit ihr: die Kennzeichen kleiner "
         "Nenner und Teilerhebung und die entsprechenden Hinweise (der Anteil einer "
         "Teilerhebung steht nur, wo Untersuchte und Jahrgang veröffentlicht sind), und die "
         "vermiedenen Fälle mit den Kosten je vermiedenem Fall und dem Nettonutzen, wenn ihre "
         "Summe über die Quartiere mit der Maßnahme einen gesperrten Nenner enthielte."),
        ("Sekundäre Sperrung",
         "Jede Fallzahl ist eine Zelle (Zählgröße, Gebiet, Jahr) eines verknüpften Systems: "
         "dieselbe Zählgröße (z. B. die untersuchten Kinder, Nenner mehrerer Indikatoren, oder "
         "die Kinder der Zielgruppe in Reichweiten- und Kostentabelle) wird überall gleich "
         "gesperrt oder veröffentlicht. Verschachtelte Fallzahlen (Übergewicht einschließlich "
         "Adipositas und Adipositas, Jahrgang und Untersuchte, Teilnehmende und Teilnehmende "
         "aus SGB-II-Familien, der Zähler eines Anteils und sein Nenner) werden so gesperrt, "
         f"dass keine veröffentlichte Differenz zwischen 1 und {threshold - 1} liegt. Danach "
         "wird zusätzlich gesperrt, bis sich jede gesperrte Zelle aus allen veröffentlichten "
         "Zahlen zusammen (übergeordnete Summen über alle Ebenen der Gebietsgliederung, "
         "verschachtelte Fallzahlen, Werte in mehreren Tabellen, keine Fallzahl negativ) nur "
         f"auf einen Bereich von mindestens {2 * threshold} möglichen Werten eingrenzen lässt. "
         "Vor dem Abschluss prüft der Exportvertrag das Paket aus seinen Dateien darauf, mit "
         "linearer Optimierung für jede gesperrte Zelle (Geheimhaltungsprüfung im "
         "Prüfbericht); „kekiz audit“ wiederholt die Prüfung an jedem Paket."),
    ]  # fmt: skip
    out = [
        ("Kommune", f"{city['gebiet_name']} (AGS {city['gebiet_id']}), Berichtsjahre "
                    f"{city['erstes_jahr']}–{city['letztes_jahr']}."),
        *[(f"Stichtag {r.quelle}", r.periode) for r in periods.itertuples()],
        *(cell_key_notes(tables.cell_key) if tables.cell_key else suppression),
        ("Leere Zellen ohne Sperrung",
         "Unbekannte Werte (in der Lieferung „.“, fehlendes Sozialquartier, keine Lieferung) "
         "sind leer und nicht grau hinterlegt; der Grund steht in der Spalte hinweis. Sie sind "
         "nie 0."),
        ("Zahlen und Datumsangaben",
         "Zahlen sind mit voller Genauigkeit gespeichert und gerundet angezeigt: Prozentwerte "
         "und Quoten mit einer Nachkommastelle, Prozentpunkte mit zwei, p-Werte mit drei, "
         "Eurobeträge mit Tausenderpunkt und zwei Nachkommastellen, Fallzahlen als ganze "
         "Zahlen. Datumsangaben sind Datumswerte (TT.MM.JJJJ). Jedes Blatt hat einen Filter "
         "in der fixierten Kopfzeile."),
        ("Maßnahmen und Indikatoren",
         "Auf den Blättern der Maßnahmen steht neben der Kennung einer Maßnahme ihr Titel "
         "(Spalte Maßnahme), neben der Kennung eines Indikators sein Name (Spalte Indikator). "
         "Diese Spalten gibt es nur in dieser Arbeitsmappe (siehe Codebuch)."),
        ("Wirkungsschätzung",
         "Effekte in Prozentpunkten (Imputationsschätzer für gestaffelten Beginn); Bewertung "
         "belastbar / Hinweis / kein Nachweis / nicht schätzbar, Begründung je Zeile."),
        ("Kosten je vermiedenem Fall",
         "Nur bei belastbarer Wirkung: Kosten / (|Effekt| / 100 × Kinder im Nenner des "
         "Wirkindikators in den Gebieten mit Maßnahme). Leer in Jahren ohne vollständige "
         "Erhebung des Wirkindikators: eine Teilerhebung (siehe Datenlücke) untersucht nur einen "
         "ausgewählten Teil der Kinder und ginge nicht als Jahrgang in die Rechnung ein."),
        *pooling_notes(tables),
        ("Datenqualität",
         "Tabelle datenqualitaet: je gelieferter Datei gelesene, übernommene und in Quarantäne "
         "verschobene Zeilen sowie die Zahl der fehlgeschlagenen Prüfungen (keine Personendaten), "
         "sortiert nach Quelle und Datei."),
        ("Texte als Text", NEUTRALISED),
        ("CSV-Dateien für Excel", EXCEL_NOTE),
        *[("Datenlücke", gap) for gap in data_gaps(tables)],
    ]  # fmt: skip
    return out
