-- intervalle: the Wilson interval of each Land value, computed by the same function as the
-- city's values (indicators/compute/rates.py).
CREATE TABLE mart.indikatoren_land AS
SELECT l.jahr, l.indikator_id, l.indikator_name, l.einheit, l.zaehler, l.nenner,
       CASE WHEN l.landeswert_berechenbar THEN l.faktor * l.zaehler / l.nenner END AS wert,
       CASE WHEN l.landeswert_berechenbar THEN i.ki_unten END AS ki_unten,
       CASE WHEN l.landeswert_berechenbar THEN i.ki_oben END AS ki_oben,
       l.kommunen_gesamt, l.kommunen_im_landeswert, l.fehlende_kommunen,
       l.landeswert_berechenbar,
       nullif(concat_ws(
           ' ',
           CASE
               WHEN l.kommunen_im_landeswert = 0
                   THEN 'Nicht berechenbar: keine Kommune mit ungesperrtem Wert in der '
                        || 'häufigsten Definition.'
               WHEN NOT l.landeswert_berechenbar
                   THEN 'Nicht berechenbar: die Summe der Nenner ist 0.'
           END,
           'Ohne ' || (l.kommunen_gesamt - l.kommunen_im_landeswert) || ' von '
           || l.kommunen_gesamt || ' Kommunen – ' || l.gruende || '.'
       ), '') AS hinweis
FROM landeswerte l
LEFT JOIN intervalle i USING (jahr, indikator_id)
ORDER BY l.jahr, l.indikator_id;
