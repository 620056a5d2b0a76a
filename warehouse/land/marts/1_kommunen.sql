CREATE TABLE mart.kommunen AS
WITH nenner AS (
    SELECT ags,
           arg_max(nenner, jahr) FILTER (WHERE indikator_id = 'kinderarmut_sgb2')
               AS kinder_unter_15,
           arg_max(nenner, jahr) FILTER (WHERE indikator_id = 'sgb2_quote')
               AS einwohner_unter_65
    FROM stadtwerte
    WHERE nenner IS NOT NULL
    GROUP BY ags
)
SELECT k.ags, k.gebiet_name AS kommune, k.art, k.ebenen, k.analyseebene, k.analyseeinheiten,
       k.erstes_jahr, k.letztes_jahr, n.kinder_unter_15, n.einwohner_unter_65,
       CASE
           WHEN n.kinder_unter_15 IS NULL THEN 'unbekannt'
           WHEN n.kinder_unter_15 < 10000 THEN 'unter 10.000 Kinder'
           WHEN n.kinder_unter_15 < 25000 THEN '10.000 bis unter 25.000 Kinder'
           WHEN n.kinder_unter_15 < 50000 THEN '25.000 bis unter 50.000 Kinder'
           ELSE '50.000 Kinder und mehr'
       END AS groessenklasse,
       m.paket, m.erstellt, m.geheimhaltungsschwelle
FROM pakete.kommune k
JOIN pakete.manifeste m USING (ags)
LEFT JOIN nenner n USING (ags)
ORDER BY k.ags;
