-- The Land value of every indicator and year before its interval: the sums over the
-- municipalities whose row is unsuppressed, known and of the most common definition and whose
-- area no other municipality counts already, and why each other municipality is missing.
CREATE TEMP TABLE landeswerte AS
WITH jahre AS (
    SELECT DISTINCT jahr, indikator_id FROM stadtwerte
),
beitraege AS (
    SELECT j.jahr, j.indikator_id, k.ags, k.kommune, s.zaehler, s.nenner,
           CASE
               WHEN e.ags IS NOT NULL THEN 'im Gebiet einer anderen Kommune enthalten'
               WHEN s.ags IS NULL THEN 'kein Wert'
               WHEN s.gesperrt THEN 'gesperrt'
               WHEN g.ags IS NULL THEN 'abweichende Definition'
               WHEN s.zaehler IS NULL OR s.nenner IS NULL THEN 'kein Wert'
           END AS grund
    FROM jahre j
    CROSS JOIN kommunen k
    LEFT JOIN stadtwerte s
           ON s.ags = k.ags AND s.jahr = j.jahr AND s.indikator_id = j.indikator_id
    LEFT JOIN enthalten e ON e.ags = k.ags
    LEFT JOIN gleiche_definition g ON g.ags = k.ags AND g.indikator_id = j.indikator_id
),
gruende AS (
    SELECT jahr, indikator_id, grund,
           grund || ': ' || string_agg(kommune, ', ' ORDER BY kommune) AS text
    FROM beitraege
    WHERE grund IS NOT NULL
    GROUP BY jahr, indikator_id, grund
),
gruende_je_wert AS (
    SELECT jahr, indikator_id, string_agg(text, '; ' ORDER BY grund) AS gruende
    FROM gruende
    GROUP BY ALL
),
summen AS (
    SELECT jahr, indikator_id,
           (sum(zaehler) FILTER (WHERE grund IS NULL))::BIGINT AS zaehler,
           (sum(nenner) FILTER (WHERE grund IS NULL))::BIGINT AS nenner,
           count(*) AS kommunen_gesamt,
           count(*) FILTER (WHERE grund IS NULL) AS kommunen_im_landeswert,
           string_agg(kommune, ', ' ORDER BY kommune) FILTER (WHERE grund IS NOT NULL)
               AS fehlende_kommunen
    FROM beitraege
    GROUP BY ALL
)
SELECT s.jahr, s.indikator_id, d.indikator_name, d.einheit, d.faktor,
       s.zaehler, s.nenner, s.kommunen_gesamt, s.kommunen_im_landeswert, s.fehlende_kommunen,
       coalesce(s.nenner > 0, false) AS landeswert_berechenbar, g.gruende
FROM summen s
JOIN definitionen d USING (indikator_id)
LEFT JOIN gruende_je_wert g USING (jahr, indikator_id);
