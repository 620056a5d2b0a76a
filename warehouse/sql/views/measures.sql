-- Analyst views of the measures' output, effect and cost indicators.
CREATE OR REPLACE VIEW mart.massnahmen AS
SELECT m.massnahme_id, m.titel, m.massnahmentyp, m.traeger, m.lebensphase, m.zielgruppe_alter,
       m.beschreibung, list(w.indikator_id ORDER BY w.indikator_id) AS wirkindikatoren
FROM staging.massnahmen m
LEFT JOIN staging.massnahmen_wirkindikatoren w USING (massnahme_id)
GROUP BY ALL;

CREATE OR REPLACE VIEW mart.massnahmen_output AS
SELECT o.massnahme_id, o.gebiet_id, o.jahr, o.aktiv, o.teilnehmende, o.zielgruppe,
       o.reichweite, o.ki_unten, o.ki_oben, o.sgb2_anteil_teilnehmende,
       o.sgb2_anteil_zielgruppe, g.gebiet_name, g.ebene, o.quartiere_abgedeckt, o.hinweis,
       o.teilnehmende_sgb2, g.ebene_rang, g.analyseeinheit
FROM core.massnahmen_output o JOIN core.gebiete g USING (gebiet_id);

CREATE OR REPLACE VIEW mart.massnahmen_wirkung AS
SELECT massnahme_id, indikator_id, schaetzer, effekt_pp, se, ki_unten, ki_oben, p_wert,
       p_methode, n_behandelt, n_vergleich, pretrend_p, bewertung, begruendung,
       schaetzgroesse, gewichtung, ki_methode, p_bootstrap, p_randomisierung, p_cluster,
       twfe_effekt_pp, twfe_se, n_beobachtungen, erwartete_richtung, verzoegerung_jahre,
       pretrend_steigung, pretrend_p_steigung
FROM core.massnahmen_wirkung;

CREATE OR REPLACE VIEW mart.massnahmen_wirkung_verlauf AS
SELECT massnahme_id, indikator_id, jahre_seit_start, effekt_pp, ki_unten, ki_oben, art,
       n_behandelt
FROM core.massnahmen_wirkung_verlauf;

CREATE OR REPLACE VIEW mart.massnahmen_wirkung_summen AS
SELECT massnahme_id, indikator_id, effekt, effekt_pp, gewichte_summe, n_gebiete
FROM core.massnahmen_wirkung_summen;

CREATE OR REPLACE VIEW mart.massnahmen_wirkung_gebiete AS
SELECT massnahme_id, indikator_id, effekt, gebiet_id, einfluss, behandelte_zellen,
       effekt_ohne_gebiet, gewichte_ohne_gebiet
FROM core.massnahmen_wirkung_gebiete;

CREATE OR REPLACE VIEW mart.massnahmen_kosten AS
SELECT massnahme_id, jahr, kosten_eur, teilnehmende, kosten_je_teilnehmende,
       kosten_je_erreichtem_kind, kosten_je_vermiedenem_fall, fall_indikator_id,
       vermiedene_faelle, netto_nutzen_je_euro, quartiere, kinder_zielgruppe, preisbasis
FROM core.massnahmen_kosten;
