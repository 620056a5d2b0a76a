-- Stable views for analysts. Column names and meanings only change with a documented
-- migration; mart.quartiersprofil is generated from the indicator catalogue (one column each).
-- Every column is described in warehouse/columns.yaml or warehouse/tables.yaml.
CREATE OR REPLACE VIEW mart.gebiete AS
SELECT g.gebiet_id, g.gebiet_name, g.ebene, g.uebergeordnet_id,
       g.stadtbezirk_id, b.gebiet_name AS stadtbezirk_name,
       g.sozialraum_id, r.gebiet_name AS sozialraum_name,
       g.gueltig_ab, g.gueltig_bis
FROM core.gebiete g
LEFT JOIN core.gebiete b ON b.gebiet_id = g.stadtbezirk_id
LEFT JOIN core.gebiete r ON r.gebiet_id = g.sozialraum_id;

CREATE OR REPLACE VIEW mart.kommune AS
SELECT c.gebiet_id, c.gebiet_name,
       (SELECT count(*) FROM core.gebiete WHERE ebene = 'Stadtbezirk') AS stadtbezirke,
       (SELECT count(*) FROM core.gebiete WHERE ebene = 'Sozialraum') AS sozialraeume,
       (SELECT count(*) FROM core.gebiete WHERE ebene = 'Sozialquartier') AS sozialquartiere,
       (SELECT min(jahr) FROM core.indikatorwerte) AS erstes_jahr,
       (SELECT max(jahr) FROM core.indikatorwerte) AS letztes_jahr
FROM core.gebiete c
WHERE c.ebene = 'Stadt';

CREATE OR REPLACE VIEW mart.indikatorkatalog AS
SELECT indikator_id, indikator_name, beschreibung, einheit, hoeher_ist_besser, lebensphase,
       quelle, periode,
       array_to_string(zaehler_felder, ' + ') AS zaehler_definition,
       array_to_string(nenner_felder, ' + ') AS nenner_definition,
       faktor, im_sozialindex
FROM core.indikatoren;

CREATE OR REPLACE VIEW mart.indikatoren AS
SELECT w.gebiet_id, g.gebiet_name, g.ebene, w.jahr, w.indikator_id, i.indikator_name,
       w.zaehler, w.nenner, w.wert, w.ki_unten, w.ki_oben, w.hinweis,
       i.einheit, w.kleiner_nenner, w.teilerhebung, g.stadtbezirk_id, g.sozialraum_id
FROM core.indikatorwerte w
JOIN core.gebiete g USING (gebiet_id)
JOIN core.indikatoren i USING (indikator_id);

CREATE OR REPLACE VIEW mart.sozialindex AS
SELECT s.gebiet_id, g.gebiet_name, g.sozialraum_id, g.stadtbezirk_id, s.jahr,
       s.statusindex, s.dynamikindex, s.rang_status, s.komponenten_bekannt, s.hinweis
FROM core.sozialindex s
JOIN core.gebiete g USING (gebiet_id);

CREATE OR REPLACE VIEW mart.lieferungen AS
SELECT source AS quelle, file_name AS datei, sha256, received_at AS eingang,
       loaded_at AS geladen, status, rows_read AS zeilen_gelesen,
       rows_staged AS zeilen_uebernommen, rows_quarantined AS zeilen_quarantaene,
       (SELECT count(*) FROM quarantine.findings f WHERE f.delivery_sha256 = d.sha256)
           AS pruefungen_fehlgeschlagen,
       message AS meldung, run_id
FROM raw.deliveries d;
