-- What the marts share, as temporary tables: the municipalities, those whose area another
-- municipality's package holds as one of its areas (a Kreis that counts a town which also
-- reports), the rows of each municipality as a whole (ebene_rang = 0) with the definition
-- from its own catalogue, the most common definition of each indicator and the indicators each
-- municipality defines that way (only those enter Land values and pooled effects).
CREATE TEMP TABLE kommunen AS
SELECT ags, gebiet_name AS kommune, art FROM pakete.kommune;

CREATE TEMP TABLE enthalten AS
SELECT DISTINCT k.ags
FROM kommunen k
JOIN pakete.gebiete g ON g.gebiet_id = k.ags AND g.ags <> k.ags;

CREATE TEMP TABLE stadtwerte AS
SELECT i.ags, k.kommune, k.art, i.jahr, i.indikator_id, i.indikator_name, i.einheit,
       c.hoeher_ist_besser, i.zaehler, i.nenner, i.wert, i.ki_unten, i.ki_oben,
       coalesce(i.gesperrt, false) AS gesperrt, i.kleiner_nenner, i.teilerhebung, c.quelle,
       c.zaehler_definition, c.nenner_definition, c.faktor
FROM pakete.indikatoren i
JOIN kommunen k USING (ags)
LEFT JOIN pakete.indikatorkatalog c USING (ags, indikator_id)
WHERE i.ebene_rang = 0;

CREATE TEMP TABLE definitionen AS
SELECT indikator_id, zaehler_definition, nenner_definition, faktor,
       arg_min(indikator_name, ags) AS indikator_name, arg_min(einheit, ags) AS einheit
FROM pakete.indikatorkatalog
GROUP BY indikator_id, zaehler_definition, nenner_definition, faktor
QUALIFY row_number() OVER (
    PARTITION BY indikator_id
    ORDER BY count(*) DESC, zaehler_definition, nenner_definition, faktor
) = 1;

CREATE TEMP TABLE gleiche_definition AS
SELECT c.ags, c.indikator_id, d.indikator_name
FROM pakete.indikatorkatalog c
JOIN definitionen d
  ON d.indikator_id = c.indikator_id
 AND c.zaehler_definition IS NOT DISTINCT FROM d.zaehler_definition
 AND c.nenner_definition IS NOT DISTINCT FROM d.nenner_definition
 AND c.faktor IS NOT DISTINCT FROM d.faktor;
