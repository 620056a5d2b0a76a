CREATE TABLE mart.massnahmen AS
WITH aktiv AS (
    SELECT ags, massnahme_id, count(DISTINCT jahr) AS jahre_aktiv, min(jahr) AS erstes_jahr,
           max(jahr) AS letztes_jahr
    FROM pakete.massnahmen_output
    WHERE ebene_rang = 0 AND aktiv
    GROUP BY ALL
),
wirkungen AS (
    SELECT ags, massnahme_id, count(*) AS wirkungen_belastbar
    FROM pakete.massnahmen_wirkung
    WHERE bewertung = 'belastbar'
    GROUP BY ALL
)
SELECT m.ags, k.kommune, m.massnahme_id, m.titel, m.massnahmentyp, m.traeger, m.lebensphase,
       m.zielgruppe_alter, m.wirkindikatoren, coalesce(a.jahre_aktiv, 0) AS jahre_aktiv,
       a.erstes_jahr, a.letztes_jahr, coalesce(w.wirkungen_belastbar, 0) AS wirkungen_belastbar
FROM pakete.massnahmen m
JOIN kommunen k USING (ags)
LEFT JOIN aktiv a USING (ags, massnahme_id)
LEFT JOIN wirkungen w USING (ags, massnahme_id)
ORDER BY m.ags, m.massnahme_id;
