-- Stable views for analysts. Column names and meanings only change with a documented
-- migration; mart.quartiersprofil is generated from the indicator catalogue (one column each).
-- Every column is described in warehouse/columns.yaml or warehouse/tables.yaml.
CREATE OR REPLACE VIEW mart.gebiete AS
SELECT g.gebiet_id, g.gebiet_name, g.ebene, g.ebene_rang, g.analyseeinheit,
       g.uebergeordnet_id, p.gebiet_name AS uebergeordnet_name,
       (SELECT string_agg(a.gebiet_name, ' › ' ORDER BY v.abstand DESC)
        FROM core.gebiet_vorfahren v JOIN core.gebiete a ON a.gebiet_id = v.vorfahr_id
        WHERE v.gebiet_id = g.gebiet_id) AS pfad,
       g.gueltig_ab, g.gueltig_bis
FROM core.gebiete g
LEFT JOIN core.gebiete p ON p.gebiet_id = g.uebergeordnet_id;

CREATE OR REPLACE VIEW mart.gebiet_vorfahren AS
SELECT v.gebiet_id, g.gebiet_name, g.ebene, v.vorfahr_id, a.gebiet_name AS vorfahr_name,
       a.ebene AS vorfahr_ebene, a.ebene_rang AS vorfahr_ebene_rang, v.abstand
FROM core.gebiet_vorfahren v
JOIN core.gebiete g ON g.gebiet_id = v.gebiet_id
JOIN core.gebiete a ON a.gebiet_id = v.vorfahr_id;

CREATE OR REPLACE VIEW mart.ebenen AS
SELECT ebene_rang, ebene, bool_or(analyseeinheit) AS analyseebene, count(*) AS gebiete
FROM core.gebiete
GROUP BY ebene_rang, ebene;

CREATE OR REPLACE VIEW mart.kommune AS
SELECT c.gebiet_id, c.gebiet_name, k.art,
       (SELECT string_agg(ebene || ' (' || gebiete || ')', ' › ' ORDER BY ebene_rang)
        FROM mart.ebenen) AS ebenen,
       (SELECT ebene FROM mart.ebenen WHERE analyseebene) AS analyseebene,
       (SELECT count(*) FROM core.gebiete WHERE analyseeinheit) AS analyseeinheiten,
       (SELECT min(jahr) FROM core.indikatorwerte) AS erstes_jahr,
       (SELECT max(jahr) FROM core.indikatorwerte) AS letztes_jahr
FROM core.gebiete c
LEFT JOIN meta.kommune k ON true
WHERE c.ebene_rang = 0;

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
       i.einheit, w.kleiner_nenner, w.teilerhebung, g.ebene_rang, g.analyseeinheit,
       g.uebergeordnet_id
FROM core.indikatorwerte w
JOIN core.gebiete g USING (gebiet_id)
JOIN core.indikatoren i USING (indikator_id);

CREATE OR REPLACE VIEW mart.sozialindex AS
SELECT s.gebiet_id, g.gebiet_name, g.uebergeordnet_id, s.jahr,
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

CREATE OR REPLACE VIEW mart.jahre AS
WITH je_quelle AS (
    SELECT i.quelle, w.jahr, bool_or(w.teilerhebung) AS teilerhebung,
           count(DISTINCT w.gebiet_id) AS gebiete_gueltig,
           count(DISTINCT w.gebiet_id) FILTER (WHERE w.wert IS NOT NULL) AS gebiete_mit_werten
    FROM core.indikatorwerte w
    JOIN core.indikatoren i USING (indikator_id)
    JOIN core.gebiete g USING (gebiet_id)
    WHERE g.analyseeinheit
    GROUP BY i.quelle, w.jahr
), bewertet AS (
    SELECT quelle, jahr, gebiete_mit_werten > 0 AS geliefert, teilerhebung, gebiete_gueltig,
           gebiete_mit_werten,
           gebiete_mit_werten = gebiete_gueltig AND NOT teilerhebung AS vollstaendig
    FROM je_quelle
)
SELECT *,
       coalesce(jahr = max(jahr) FILTER (WHERE vollstaendig) OVER (PARTITION BY quelle), false)
           AS letztes_vollstaendiges
FROM bewertet;
