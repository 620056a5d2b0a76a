CREATE TABLE mart.indikatoren_kommunen AS
WITH werte AS (
    SELECT *,
           count(wert) OVER (PARTITION BY jahr, indikator_id) AS kommunen_mit_wert,
           median(wert) OVER (PARTITION BY jahr, indikator_id) AS median_land,
           median(wert) OVER (PARTITION BY jahr, indikator_id, art) AS median_art
    FROM stadtwerte
),
rangfolge AS (
    SELECT ags, jahr, indikator_id,
           rank() OVER (
               PARTITION BY jahr, indikator_id
               ORDER BY CASE WHEN hoeher_ist_besser THEN -wert ELSE wert END
           ) AS rang
    FROM stadtwerte
    WHERE wert IS NOT NULL AND hoeher_ist_besser IS NOT NULL
)
SELECT w.ags, w.kommune, w.art, w.jahr, w.indikator_id, w.indikator_name, w.einheit,
       w.hoeher_ist_besser, w.zaehler, w.nenner, w.wert, w.ki_unten, w.ki_oben, w.gesperrt,
       w.kleiner_nenner, w.teilerhebung, r.rang, w.kommunen_mit_wert, w.median_land,
       w.median_art, w.wert - w.median_art AS abweichung_median_art
FROM werte w
LEFT JOIN rangfolge r USING (ags, jahr, indikator_id)
ORDER BY w.ags, w.jahr, w.indikator_id;
