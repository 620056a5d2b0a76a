-- Stable views for analysts. Column names and meanings only change with a documented
-- migration; mart.quartiersprofil is generated from the indicator catalogue (one column each).
CREATE OR REPLACE VIEW mart.gebiete AS
SELECT g.gebiet_id, g.gebiet_name, g.ebene, g.uebergeordnet_id,
       g.stadtbezirk_id, b.gebiet_name AS stadtbezirk_name,
       g.sozialraum_id, r.gebiet_name AS sozialraum_name,
       g.gueltig_ab, g.gueltig_bis
FROM core.gebiete g
LEFT JOIN core.gebiete b ON b.gebiet_id = g.stadtbezirk_id
LEFT JOIN core.gebiete r ON r.gebiet_id = g.sozialraum_id;
COMMENT ON VIEW mart.gebiete IS 'Alle Gebiete mit Ebene, übergeordnetem Stadtbezirk und Sozialraum und Gültigkeitszeitraum.';
COMMENT ON COLUMN mart.gebiete.gebiet_id IS 'Gebietsschlüssel (Stadt: AGS).';
COMMENT ON COLUMN mart.gebiete.gebiet_name IS 'Name des Gebiets.';
COMMENT ON COLUMN mart.gebiete.ebene IS 'Gebietsebene: Stadt, Stadtbezirk, Sozialraum oder Sozialquartier.';
COMMENT ON COLUMN mart.gebiete.uebergeordnet_id IS 'Schlüssel des direkt übergeordneten Gebiets.';
COMMENT ON COLUMN mart.gebiete.stadtbezirk_id IS 'Schlüssel des Stadtbezirks (leer für die Stadt).';
COMMENT ON COLUMN mart.gebiete.stadtbezirk_name IS 'Name des Stadtbezirks.';
COMMENT ON COLUMN mart.gebiete.sozialraum_id IS 'Schlüssel des Sozialraums (leer für Stadt und Stadtbezirke).';
COMMENT ON COLUMN mart.gebiete.sozialraum_name IS 'Name des Sozialraums.';
COMMENT ON COLUMN mart.gebiete.gueltig_ab IS 'Erster Tag der Gültigkeit.';
COMMENT ON COLUMN mart.gebiete.gueltig_bis IS 'Letzter Tag der Gültigkeit (leer = gilt noch).';

CREATE OR REPLACE VIEW mart.indikatorkatalog AS
SELECT indikator_id, indikator_name, beschreibung, einheit, hoeher_ist_besser, lebensphase,
       quelle, periode,
       array_to_string(zaehler_felder, ' + ') AS zaehler_definition,
       array_to_string(nenner_felder, ' + ') AS nenner_definition,
       faktor, im_sozialindex
FROM core.indikatoren;
COMMENT ON VIEW mart.indikatorkatalog IS 'Der Indikatorenkatalog: Definition, Zähler, Nenner, Einheit und Richtung jedes Indikators.';
COMMENT ON COLUMN mart.indikatorkatalog.indikator_id IS 'Kennung des Indikators.';
COMMENT ON COLUMN mart.indikatorkatalog.indikator_name IS 'Bezeichnung des Indikators.';
COMMENT ON COLUMN mart.indikatorkatalog.beschreibung IS 'Definition einschließlich Bezugsgröße.';
COMMENT ON COLUMN mart.indikatorkatalog.einheit IS 'Einheit des Werts.';
COMMENT ON COLUMN mart.indikatorkatalog.hoeher_ist_besser IS 'Wahr, wenn ein höherer Wert besser ist; falsch, wenn schlechter; leer ohne Richtung.';
COMMENT ON COLUMN mart.indikatorkatalog.lebensphase IS 'Lebensphase der Präventionskette.';
COMMENT ON COLUMN mart.indikatorkatalog.quelle IS 'Gelieferte Quelle.';
COMMENT ON COLUMN mart.indikatorkatalog.periode IS 'Bedeutung des Jahres bei dieser Quelle.';
COMMENT ON COLUMN mart.indikatorkatalog.zaehler_definition IS 'Summe der Felder, die den Zähler bilden.';
COMMENT ON COLUMN mart.indikatorkatalog.nenner_definition IS 'Summe der Felder, die den Nenner bilden.';
COMMENT ON COLUMN mart.indikatorkatalog.faktor IS 'Faktor (100 = Prozent).';
COMMENT ON COLUMN mart.indikatorkatalog.im_sozialindex IS 'Wahr, wenn der Indikator in den Sozialindex eingeht.';

CREATE OR REPLACE VIEW mart.indikatoren AS
SELECT w.gebiet_id, g.gebiet_name, g.ebene, w.jahr, w.indikator_id, i.indikator_name,
       w.zaehler, w.nenner, w.wert, w.ki_unten, w.ki_oben, w.hinweis,
       i.einheit, w.kleiner_nenner, w.teilerhebung, g.stadtbezirk_id, g.sozialraum_id
FROM core.indikatorwerte w
JOIN core.gebiete g USING (gebiet_id)
JOIN core.indikatoren i USING (indikator_id);
COMMENT ON VIEW mart.indikatoren IS 'Jeder Indikator für jedes Jahr auf jeder Ebene (Sozialquartier, Sozialraum, Stadtbezirk, Stadt) mit Zähler, Nenner, Wert, 95-%-Konfidenzintervall und Hinweis.';
COMMENT ON COLUMN mart.indikatoren.gebiet_id IS 'Gebietsschlüssel.';
COMMENT ON COLUMN mart.indikatoren.gebiet_name IS 'Name des Gebiets.';
COMMENT ON COLUMN mart.indikatoren.ebene IS 'Gebietsebene: Stadt, Stadtbezirk, Sozialraum oder Sozialquartier.';
COMMENT ON COLUMN mart.indikatoren.jahr IS 'Berichtsjahr (Bedeutung je Quelle: siehe mart.indikatorkatalog.periode).';
COMMENT ON COLUMN mart.indikatoren.indikator_id IS 'Kennung des Indikators.';
COMMENT ON COLUMN mart.indikatoren.indikator_name IS 'Bezeichnung des Indikators.';
COMMENT ON COLUMN mart.indikatoren.zaehler IS 'Zähler (Anzahl); leer, wenn unbekannt.';
COMMENT ON COLUMN mart.indikatoren.nenner IS 'Nenner (Anzahl); leer, wenn unbekannt.';
COMMENT ON COLUMN mart.indikatoren.wert IS 'Wert = Faktor × Zähler / Nenner; leer, wenn unbekannt (Grund in hinweis).';
COMMENT ON COLUMN mart.indikatoren.ki_unten IS 'Untere Grenze des 95-%-Konfidenzintervalls nach Wilson.';
COMMENT ON COLUMN mart.indikatoren.ki_oben IS 'Obere Grenze des 95-%-Konfidenzintervalls nach Wilson.';
COMMENT ON COLUMN mart.indikatoren.hinweis IS 'Gründe für fehlende oder unsichere Werte.';
COMMENT ON COLUMN mart.indikatoren.einheit IS 'Einheit des Werts.';
COMMENT ON COLUMN mart.indikatoren.kleiner_nenner IS 'Wahr, wenn der Nenner unter der Mindestfallzahl liegt.';
COMMENT ON COLUMN mart.indikatoren.teilerhebung IS 'Wahr, wenn die Lieferung nur einen Teil der Grundgesamtheit erfasst.';
COMMENT ON COLUMN mart.indikatoren.stadtbezirk_id IS 'Stadtbezirk, zu dem das Gebiet gehört.';
COMMENT ON COLUMN mart.indikatoren.sozialraum_id IS 'Sozialraum, zu dem das Gebiet gehört.';

CREATE OR REPLACE VIEW mart.sozialindex AS
SELECT s.gebiet_id, g.gebiet_name, g.sozialraum_id, g.stadtbezirk_id, s.jahr,
       s.statusindex, s.dynamikindex, s.rang_status, s.komponenten_bekannt, s.hinweis
FROM core.sozialindex s
JOIN core.gebiete g USING (gebiet_id);
COMMENT ON VIEW mart.sozialindex IS 'Sozialindex je Sozialquartier und Jahr: Status (Belastung heute) und Dynamik (Veränderung über drei Jahre), beide z-standardisiert mit Mittelwert 0 über die Sozialquartiere.';
COMMENT ON COLUMN mart.sozialindex.gebiet_id IS 'Schlüssel des Sozialquartiers.';
COMMENT ON COLUMN mart.sozialindex.gebiet_name IS 'Name des Sozialquartiers.';
COMMENT ON COLUMN mart.sozialindex.sozialraum_id IS 'Sozialraum des Quartiers.';
COMMENT ON COLUMN mart.sozialindex.stadtbezirk_id IS 'Stadtbezirk des Quartiers.';
COMMENT ON COLUMN mart.sozialindex.jahr IS 'Berichtsjahr (Stichtag 31.12.).';
COMMENT ON COLUMN mart.sozialindex.statusindex IS 'Statusindex: über 0 = stärker belastet als das Mittel der Sozialquartiere.';
COMMENT ON COLUMN mart.sozialindex.dynamikindex IS 'Dynamikindex: über 0 = Belastung wächst schneller als im Mittel.';
COMMENT ON COLUMN mart.sozialindex.rang_status IS 'Rang nach Statusindex (1 = am stärksten belastet).';
COMMENT ON COLUMN mart.sozialindex.komponenten_bekannt IS 'Anzahl der Teilindikatoren mit bekanntem Wert (von sieben).';
COMMENT ON COLUMN mart.sozialindex.hinweis IS 'Grund, wenn ein Teilindex fehlt.';

CREATE OR REPLACE VIEW mart.lieferungen AS
SELECT source AS quelle, file_name AS datei, sha256, received_at AS eingang,
       loaded_at AS geladen, status, rows_read AS zeilen_gelesen,
       rows_staged AS zeilen_uebernommen, rows_quarantined AS zeilen_quarantaene,
       (SELECT count(*) FROM quarantine.findings f WHERE f.delivery_sha256 = d.sha256)
           AS pruefungen_fehlgeschlagen,
       message AS meldung, run_id
FROM raw.deliveries d;
COMMENT ON VIEW mart.lieferungen IS 'Jede gelieferte Datei mit Prüfergebnis: gelesene, übernommene und in Quarantäne verschobene Zeilen.';
COMMENT ON COLUMN mart.lieferungen.quelle IS 'Quelle der Lieferung.';
COMMENT ON COLUMN mart.lieferungen.datei IS 'Dateiname bei Eingang.';
COMMENT ON COLUMN mart.lieferungen.sha256 IS 'SHA-256 des Dateiinhalts (Name im Archiv).';
COMMENT ON COLUMN mart.lieferungen.eingang IS 'Zeitpunkt des Eingangs (Änderungszeit der Datei).';
COMMENT ON COLUMN mart.lieferungen.geladen IS 'Zeitpunkt der Übernahme in das Warehouse.';
COMMENT ON COLUMN mart.lieferungen.status IS 'geladen, teilweise geladen oder abgelehnt.';
COMMENT ON COLUMN mart.lieferungen.zeilen_gelesen IS 'Gelesene Datenzeilen.';
COMMENT ON COLUMN mart.lieferungen.zeilen_uebernommen IS 'Gültige, übernommene Zeilen.';
COMMENT ON COLUMN mart.lieferungen.zeilen_quarantaene IS 'Ungültige Zeilen in der Quarantäne.';
COMMENT ON COLUMN mart.lieferungen.pruefungen_fehlgeschlagen IS 'Anzahl der Befunde (verletzte Regeln je Zeile und Spalte) der Prüfung.';
COMMENT ON COLUMN mart.lieferungen.meldung IS 'Meldung zur Lieferung (z. B. Grund der Ablehnung).';
COMMENT ON COLUMN mart.lieferungen.run_id IS 'Kennung des Dagster-Laufs, der die Datei geladen hat.';
