-- Output, effect and cost indicators of the prevention measures, rebuilt on every run.
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS mart;

CREATE TABLE IF NOT EXISTS core.massnahmen_output (
    massnahme_id              VARCHAR NOT NULL,
    gebiet_id                 VARCHAR NOT NULL,
    jahr                      INTEGER NOT NULL,
    aktiv                     BOOLEAN NOT NULL,
    teilnehmende              BIGINT NOT NULL,
    teilnehmende_sgb2         BIGINT,
    zielgruppe                BIGINT NOT NULL,
    reichweite                DOUBLE,
    ki_unten                  DOUBLE,
    ki_oben                   DOUBLE,
    sgb2_anteil_teilnehmende  DOUBLE,
    sgb2_anteil_zielgruppe    DOUBLE,
    quartiere_abgedeckt       INTEGER NOT NULL,
    hinweis                   VARCHAR,
    run_id                    VARCHAR NOT NULL,
    PRIMARY KEY (massnahme_id, gebiet_id, jahr)
);
-- warehouses created before the SGB II participant count was kept
ALTER TABLE core.massnahmen_output ADD COLUMN IF NOT EXISTS teilnehmende_sgb2 BIGINT;
COMMENT ON TABLE core.massnahmen_output IS 'Output-Indikatoren je Maßnahme, Gebiet (alle Ebenen) und Jahr: Reichweite in der Zielgruppe und soziale Reichweite.';
COMMENT ON COLUMN core.massnahmen_output.massnahme_id IS 'Kennung der Maßnahme.';
COMMENT ON COLUMN core.massnahmen_output.gebiet_id IS 'Gebiet (Sozialquartier, in dem die Maßnahme läuft, oder übergeordnetes Gebiet mit mindestens einem solchen Quartier).';
COMMENT ON COLUMN core.massnahmen_output.jahr IS 'Jahr.';
COMMENT ON COLUMN core.massnahmen_output.aktiv IS 'Die Maßnahme läuft in diesem Jahr im Gebiet (in mindestens einem Quartier).';
COMMENT ON COLUMN core.massnahmen_output.teilnehmende IS 'Teilnehmende im Jahr.';
COMMENT ON COLUMN core.massnahmen_output.teilnehmende_sgb2 IS 'Teilnehmende aus SGB-II-Familien im Jahr.';
COMMENT ON COLUMN core.massnahmen_output.zielgruppe IS 'Kinder der Zielaltersgruppe im Gebiet (Sozialstrukturatlas, 31.12.).';
COMMENT ON COLUMN core.massnahmen_output.reichweite IS 'Reichweite in Prozent: Teilnehmende / Kinder der Zielgruppe.';
COMMENT ON COLUMN core.massnahmen_output.ki_unten IS 'Untere Grenze des 95-%-Intervalls der Reichweite (Wilson).';
COMMENT ON COLUMN core.massnahmen_output.ki_oben IS 'Obere Grenze des 95-%-Intervalls der Reichweite (Wilson).';
COMMENT ON COLUMN core.massnahmen_output.sgb2_anteil_teilnehmende IS 'Anteil der Teilnehmenden aus SGB-II-Familien in Prozent.';
COMMENT ON COLUMN core.massnahmen_output.sgb2_anteil_zielgruppe IS 'SGB-II-Anteil in der Bevölkerung (Kinder unter 15 Jahren, als Näherung für die Zielgruppe) in Prozent.';
COMMENT ON COLUMN core.massnahmen_output.quartiere_abgedeckt IS 'Anzahl der Sozialquartiere im Gebiet, in denen die Maßnahme läuft.';
COMMENT ON COLUMN core.massnahmen_output.hinweis IS 'Hinweis, wenn die Reichweite nicht als Anteil deutbar ist.';
COMMENT ON COLUMN core.massnahmen_output.run_id IS 'Kennung des Dagster-Laufs.';

CREATE TABLE IF NOT EXISTS core.massnahmen_wirkung (
    massnahme_id         VARCHAR NOT NULL,
    indikator_id         VARCHAR NOT NULL,
    schaetzer            VARCHAR NOT NULL,
    schaetzgroesse       VARCHAR NOT NULL,
    gewichtung           VARCHAR NOT NULL,
    erwartete_richtung   VARCHAR NOT NULL,
    verzoegerung_jahre   INTEGER NOT NULL,
    effekt_pp            DOUBLE,
    se                   DOUBLE,
    ki_unten             DOUBLE,
    ki_oben              DOUBLE,
    ki_methode           VARCHAR,
    p_wert               DOUBLE,
    p_methode            VARCHAR,
    p_cluster            DOUBLE,
    p_bootstrap          DOUBLE,
    p_randomisierung     DOUBLE,
    n_behandelt          INTEGER NOT NULL,
    n_vergleich          INTEGER NOT NULL,
    n_beobachtungen      INTEGER NOT NULL,
    pretrend_p           DOUBLE,
    pretrend_p_f         DOUBLE,
    twfe_effekt_pp       DOUBLE,
    twfe_se              DOUBLE,
    bewertung            VARCHAR NOT NULL,
    begruendung          VARCHAR NOT NULL,
    run_id               VARCHAR NOT NULL,
    PRIMARY KEY (massnahme_id, indikator_id)
);
COMMENT ON TABLE core.massnahmen_wirkung IS 'Wirkung jeder Maßnahme auf jeden verknüpften Wirkindikator (gestaffelte Differenz-von-Differenzen, Imputationsschätzer) mit Unsicherheit und Bewertung.';
COMMENT ON COLUMN core.massnahmen_wirkung.massnahme_id IS 'Kennung der Maßnahme.';
COMMENT ON COLUMN core.massnahmen_wirkung.indikator_id IS 'Verknüpfter Wirkindikator (siehe core.indikatoren).';
COMMENT ON COLUMN core.massnahmen_wirkung.schaetzer IS 'Verwendeter Schätzer.';
COMMENT ON COLUMN core.massnahmen_wirkung.schaetzgroesse IS 'Was geschätzt wird (Estimand) und unter welcher Annahme.';
COMMENT ON COLUMN core.massnahmen_wirkung.gewichtung IS 'Gewichtung der Quartiersjahre (jedes Quartier gleich oder nach Kinderzahl).';
COMMENT ON COLUMN core.massnahmen_wirkung.erwartete_richtung IS 'Erwartete Richtung laut Maßnahmenregister (steigt oder sinkt).';
COMMENT ON COLUMN core.massnahmen_wirkung.verzoegerung_jahre IS 'Jahre zwischen Beginn der Maßnahme und erwarteter Wirkung.';
COMMENT ON COLUMN core.massnahmen_wirkung.effekt_pp IS 'Geschätzter Effekt in Prozentpunkten (leer, wenn nicht schätzbar).';
COMMENT ON COLUMN core.massnahmen_wirkung.se IS 'Cluster-robuster Standardfehler (Gebiete als Cluster, Faktor G/(G−1)).';
COMMENT ON COLUMN core.massnahmen_wirkung.ki_unten IS 'Untere Grenze des 95-%-Konfidenzintervalls.';
COMMENT ON COLUMN core.massnahmen_wirkung.ki_oben IS 'Obere Grenze des 95-%-Konfidenzintervalls.';
COMMENT ON COLUMN core.massnahmen_wirkung.ki_methode IS 'Wie das Intervall berechnet ist.';
COMMENT ON COLUMN core.massnahmen_wirkung.p_wert IS 'Maßgeblicher p-Wert (siehe p_methode).';
COMMENT ON COLUMN core.massnahmen_wirkung.p_methode IS 'Methode des maßgeblichen p-Werts: Randomisierungsinferenz bei weniger als 5 behandelten Gebieten, sonst Wild-Cluster-Bootstrap.';
COMMENT ON COLUMN core.massnahmen_wirkung.p_cluster IS 'p-Wert aus dem cluster-robusten Standardfehler mit t(G−1).';
COMMENT ON COLUMN core.massnahmen_wirkung.p_bootstrap IS 'p-Wert des Wild-Cluster-Bootstraps (Webb-Gewichte, Nullhypothese auferlegt).';
COMMENT ON COLUMN core.massnahmen_wirkung.p_randomisierung IS 'p-Wert der Randomisierungsinferenz (Permutation der Startjahre über die Gebiete).';
COMMENT ON COLUMN core.massnahmen_wirkung.n_behandelt IS 'Anzahl behandelter Gebiete mit Daten.';
COMMENT ON COLUMN core.massnahmen_wirkung.n_vergleich IS 'Anzahl nie behandelter Vergleichsgebiete.';
COMMENT ON COLUMN core.massnahmen_wirkung.n_beobachtungen IS 'Anzahl der Quartiersjahre in der Schätzung.';
COMMENT ON COLUMN core.massnahmen_wirkung.pretrend_p IS 'p-Wert des Vortrendtests (gemeinsamer Test der Placebo-Effekte vor Beginn, Wild-Cluster-Bootstrap).';
COMMENT ON COLUMN core.massnahmen_wirkung.pretrend_p_f IS 'p-Wert desselben Vortrendtests mit cluster-robuster F-Verteilung (bei wenigen behandelten Gebieten zu oft signifikant; nur zur Information).';
COMMENT ON COLUMN core.massnahmen_wirkung.twfe_effekt_pp IS 'Zwei-Wege-Fixed-Effects-Schätzung (nur Diagnose; bei gestaffeltem Beginn und wechselnden Effekten verzerrt).';
COMMENT ON COLUMN core.massnahmen_wirkung.twfe_se IS 'Cluster-robuster Standardfehler der Zwei-Wege-Fixed-Effects-Schätzung.';
COMMENT ON COLUMN core.massnahmen_wirkung.bewertung IS 'Bewertung: belastbar, Hinweis, kein Nachweis oder nicht schätzbar.';
COMMENT ON COLUMN core.massnahmen_wirkung.begruendung IS 'Begründung der Bewertung.';
COMMENT ON COLUMN core.massnahmen_wirkung.run_id IS 'Kennung des Dagster-Laufs.';

CREATE TABLE IF NOT EXISTS core.massnahmen_wirkung_verlauf (
    massnahme_id      VARCHAR NOT NULL,
    indikator_id      VARCHAR NOT NULL,
    jahre_seit_start  INTEGER NOT NULL,
    art               VARCHAR NOT NULL,
    effekt_pp         DOUBLE NOT NULL,
    ki_unten          DOUBLE NOT NULL,
    ki_oben           DOUBLE NOT NULL,
    PRIMARY KEY (massnahme_id, indikator_id, jahre_seit_start)
);
COMMENT ON TABLE core.massnahmen_wirkung_verlauf IS 'Ereignisstudie: Effekt nach Jahren seit Beginn der Maßnahme, davor Placebo-Effekte (sollten nahe 0 liegen).';
COMMENT ON COLUMN core.massnahmen_wirkung_verlauf.massnahme_id IS 'Kennung der Maßnahme.';
COMMENT ON COLUMN core.massnahmen_wirkung_verlauf.indikator_id IS 'Wirkindikator.';
COMMENT ON COLUMN core.massnahmen_wirkung_verlauf.jahre_seit_start IS 'Jahre seit Beginn (plus Verzögerung); negativ = vor Beginn.';
COMMENT ON COLUMN core.massnahmen_wirkung_verlauf.art IS 'Effekt (ab Beginn) oder Placebo (vor Beginn).';
COMMENT ON COLUMN core.massnahmen_wirkung_verlauf.effekt_pp IS 'Effekt in Prozentpunkten.';
COMMENT ON COLUMN core.massnahmen_wirkung_verlauf.ki_unten IS 'Untere Grenze des 95-%-Intervalls (cluster-robust, t(G−1)).';
COMMENT ON COLUMN core.massnahmen_wirkung_verlauf.ki_oben IS 'Obere Grenze des 95-%-Intervalls (cluster-robust, t(G−1)).';

CREATE TABLE IF NOT EXISTS core.massnahmen_kosten (
    massnahme_id                VARCHAR NOT NULL,
    jahr                        INTEGER NOT NULL,
    kosten_eur                  DOUBLE NOT NULL,
    teilnehmende                BIGINT NOT NULL,
    quartiere                   INTEGER NOT NULL,
    kinder_zielgruppe           BIGINT NOT NULL,
    kosten_je_teilnehmende      DOUBLE,
    kosten_je_erreichtem_kind   DOUBLE,
    fall_indikator_id           VARCHAR,
    vermiedene_faelle           DOUBLE,
    kosten_je_vermiedenem_fall  DOUBLE,
    netto_nutzen_je_euro        DOUBLE,
    preisbasis                  VARCHAR NOT NULL,
    PRIMARY KEY (massnahme_id, jahr)
);
COMMENT ON TABLE core.massnahmen_kosten IS 'Fiskalische Indikatoren je Maßnahme und Jahr (nominale Euro).';
COMMENT ON COLUMN core.massnahmen_kosten.massnahme_id IS 'Kennung der Maßnahme.';
COMMENT ON COLUMN core.massnahmen_kosten.jahr IS 'Jahr.';
COMMENT ON COLUMN core.massnahmen_kosten.kosten_eur IS 'Kosten im Jahr in Euro (nominal).';
COMMENT ON COLUMN core.massnahmen_kosten.teilnehmende IS 'Teilnehmende im Jahr.';
COMMENT ON COLUMN core.massnahmen_kosten.quartiere IS 'Sozialquartiere, in denen die Maßnahme läuft.';
COMMENT ON COLUMN core.massnahmen_kosten.kinder_zielgruppe IS 'Kinder der Zielaltersgruppe in diesen Quartieren.';
COMMENT ON COLUMN core.massnahmen_kosten.kosten_je_teilnehmende IS 'Kosten je teilnehmender Person in Euro.';
COMMENT ON COLUMN core.massnahmen_kosten.kosten_je_erreichtem_kind IS 'Kosten je Kind der Zielgruppe in den erreichten Quartieren in Euro.';
COMMENT ON COLUMN core.massnahmen_kosten.fall_indikator_id IS 'Wirkindikator, dessen belastbarer Effekt die vermiedenen Fälle bestimmt.';
COMMENT ON COLUMN core.massnahmen_kosten.vermiedene_faelle IS 'Vermiedene (bzw. zusätzlich erreichte) Fälle: |Effekt| / 100 × Kinder im Nenner in den behandelten Quartieren; nur bei belastbarem Effekt.';
COMMENT ON COLUMN core.massnahmen_kosten.kosten_je_vermiedenem_fall IS 'Kosten je vermiedenem Fall in Euro; nur bei belastbarem Effekt.';
COMMENT ON COLUMN core.massnahmen_kosten.netto_nutzen_je_euro IS 'Netto-Nutzen je Euro: (vermiedene Fälle × Folgekosten je Fall − Kosten) / Kosten; nur wenn Folgekosten hinterlegt sind.';
COMMENT ON COLUMN core.massnahmen_kosten.preisbasis IS 'Preisbasis der Eurobeträge.';

CREATE OR REPLACE VIEW mart.massnahmen AS
SELECT m.massnahme_id, m.titel, m.traeger, m.lebensphase, m.zielgruppe_alter, m.beschreibung,
       list(w.indikator_id ORDER BY w.indikator_id) AS wirkindikatoren
FROM staging.massnahmen m
LEFT JOIN staging.massnahmen_wirkindikatoren w USING (massnahme_id)
GROUP BY ALL;
COMMENT ON VIEW mart.massnahmen IS 'Maßnahmenregister mit verknüpften Wirkindikatoren.';
COMMENT ON COLUMN mart.massnahmen.massnahme_id IS 'Kennung der Maßnahme.';
COMMENT ON COLUMN mart.massnahmen.titel IS 'Titel der Maßnahme.';
COMMENT ON COLUMN mart.massnahmen.traeger IS 'Träger.';
COMMENT ON COLUMN mart.massnahmen.lebensphase IS 'Lebensphase der Präventionskette.';
COMMENT ON COLUMN mart.massnahmen.zielgruppe_alter IS 'Zielaltersgruppe (Jahre).';
COMMENT ON COLUMN mart.massnahmen.beschreibung IS 'Kurzbeschreibung.';
COMMENT ON COLUMN mart.massnahmen.wirkindikatoren IS 'Verknüpfte Wirkindikatoren.';

CREATE OR REPLACE VIEW mart.massnahmen_output AS
SELECT o.massnahme_id, o.gebiet_id, o.jahr, o.aktiv, o.teilnehmende, o.zielgruppe,
       o.reichweite, o.ki_unten, o.ki_oben, o.sgb2_anteil_teilnehmende,
       o.sgb2_anteil_zielgruppe, g.gebiet_name, g.ebene, o.quartiere_abgedeckt, o.hinweis,
       o.teilnehmende_sgb2
FROM core.massnahmen_output o JOIN core.gebiete g USING (gebiet_id);
COMMENT ON VIEW mart.massnahmen_output IS 'Reichweite und soziale Reichweite je Maßnahme, Gebiet und Jahr (Prozentwerte).';
COMMENT ON COLUMN mart.massnahmen_output.massnahme_id IS 'Kennung der Maßnahme.';
COMMENT ON COLUMN mart.massnahmen_output.gebiet_id IS 'Gebietsschlüssel.';
COMMENT ON COLUMN mart.massnahmen_output.jahr IS 'Jahr.';
COMMENT ON COLUMN mart.massnahmen_output.aktiv IS 'Maßnahme läuft im Gebiet.';
COMMENT ON COLUMN mart.massnahmen_output.teilnehmende IS 'Teilnehmende.';
COMMENT ON COLUMN mart.massnahmen_output.zielgruppe IS 'Kinder der Zielaltersgruppe im Gebiet.';
COMMENT ON COLUMN mart.massnahmen_output.reichweite IS 'Reichweite in Prozent.';
COMMENT ON COLUMN mart.massnahmen_output.ki_unten IS 'Untere Grenze des 95-%-Intervalls (Wilson).';
COMMENT ON COLUMN mart.massnahmen_output.ki_oben IS 'Obere Grenze des 95-%-Intervalls (Wilson).';
COMMENT ON COLUMN mart.massnahmen_output.sgb2_anteil_teilnehmende IS 'SGB-II-Anteil unter den Teilnehmenden in Prozent.';
COMMENT ON COLUMN mart.massnahmen_output.sgb2_anteil_zielgruppe IS 'SGB-II-Anteil der Kinder unter 15 im Gebiet in Prozent.';
COMMENT ON COLUMN mart.massnahmen_output.gebiet_name IS 'Name des Gebiets.';
COMMENT ON COLUMN mart.massnahmen_output.ebene IS 'Gebietsebene.';
COMMENT ON COLUMN mart.massnahmen_output.quartiere_abgedeckt IS 'Sozialquartiere im Gebiet mit der Maßnahme.';
COMMENT ON COLUMN mart.massnahmen_output.hinweis IS 'Hinweis zur Deutung.';
COMMENT ON COLUMN mart.massnahmen_output.teilnehmende_sgb2 IS 'Teilnehmende aus SGB-II-Familien.';

CREATE OR REPLACE VIEW mart.massnahmen_wirkung AS
SELECT massnahme_id, indikator_id, schaetzer, effekt_pp, se, ki_unten, ki_oben, p_wert,
       p_methode, n_behandelt, n_vergleich, pretrend_p, bewertung, begruendung,
       schaetzgroesse, gewichtung, ki_methode, p_bootstrap, p_randomisierung, p_cluster,
       twfe_effekt_pp, twfe_se, n_beobachtungen, erwartete_richtung, verzoegerung_jahre
FROM core.massnahmen_wirkung;
COMMENT ON VIEW mart.massnahmen_wirkung IS 'Wirkung je Maßnahme und Wirkindikator: Effekt in Prozentpunkten, Intervall, p-Wert mit Methode, Vortrendtest und Bewertung mit Begründung.';
COMMENT ON COLUMN mart.massnahmen_wirkung.massnahme_id IS 'Kennung der Maßnahme.';
COMMENT ON COLUMN mart.massnahmen_wirkung.indikator_id IS 'Wirkindikator.';
COMMENT ON COLUMN mart.massnahmen_wirkung.schaetzer IS 'Schätzer.';
COMMENT ON COLUMN mart.massnahmen_wirkung.effekt_pp IS 'Effekt in Prozentpunkten.';
COMMENT ON COLUMN mart.massnahmen_wirkung.se IS 'Cluster-robuster Standardfehler.';
COMMENT ON COLUMN mart.massnahmen_wirkung.ki_unten IS 'Untere Grenze des 95-%-Intervalls.';
COMMENT ON COLUMN mart.massnahmen_wirkung.ki_oben IS 'Obere Grenze des 95-%-Intervalls.';
COMMENT ON COLUMN mart.massnahmen_wirkung.p_wert IS 'Maßgeblicher p-Wert.';
COMMENT ON COLUMN mart.massnahmen_wirkung.p_methode IS 'Methode des maßgeblichen p-Werts.';
COMMENT ON COLUMN mart.massnahmen_wirkung.n_behandelt IS 'Behandelte Gebiete.';
COMMENT ON COLUMN mart.massnahmen_wirkung.n_vergleich IS 'Nie behandelte Vergleichsgebiete.';
COMMENT ON COLUMN mart.massnahmen_wirkung.pretrend_p IS 'p-Wert des Vortrendtests (Bootstrap).';
COMMENT ON COLUMN mart.massnahmen_wirkung.bewertung IS 'belastbar, Hinweis, kein Nachweis oder nicht schätzbar.';
COMMENT ON COLUMN mart.massnahmen_wirkung.begruendung IS 'Begründung der Bewertung.';
COMMENT ON COLUMN mart.massnahmen_wirkung.schaetzgroesse IS 'Geschätzte Größe (Estimand) und Annahmen.';
COMMENT ON COLUMN mart.massnahmen_wirkung.gewichtung IS 'Gewichtung der Quartiersjahre.';
COMMENT ON COLUMN mart.massnahmen_wirkung.ki_methode IS 'Methode des Intervalls.';
COMMENT ON COLUMN mart.massnahmen_wirkung.p_bootstrap IS 'p-Wert des Wild-Cluster-Bootstraps.';
COMMENT ON COLUMN mart.massnahmen_wirkung.p_randomisierung IS 'p-Wert der Randomisierungsinferenz.';
COMMENT ON COLUMN mart.massnahmen_wirkung.p_cluster IS 'p-Wert aus cluster-robustem SE mit t(G−1).';
COMMENT ON COLUMN mart.massnahmen_wirkung.twfe_effekt_pp IS 'Zwei-Wege-Fixed-Effects-Schätzung (Diagnose).';
COMMENT ON COLUMN mart.massnahmen_wirkung.twfe_se IS 'Standardfehler der Zwei-Wege-Fixed-Effects-Schätzung.';
COMMENT ON COLUMN mart.massnahmen_wirkung.n_beobachtungen IS 'Quartiersjahre in der Schätzung.';
COMMENT ON COLUMN mart.massnahmen_wirkung.erwartete_richtung IS 'Erwartete Richtung.';
COMMENT ON COLUMN mart.massnahmen_wirkung.verzoegerung_jahre IS 'Verzögerung der Wirkung in Jahren.';

CREATE OR REPLACE VIEW mart.massnahmen_wirkung_verlauf AS
SELECT massnahme_id, indikator_id, jahre_seit_start, effekt_pp, ki_unten, ki_oben, art
FROM core.massnahmen_wirkung_verlauf;
COMMENT ON VIEW mart.massnahmen_wirkung_verlauf IS 'Ereignisstudie je Maßnahme und Wirkindikator: Effekt nach Jahren seit Beginn, davor Placebo-Effekte.';
COMMENT ON COLUMN mart.massnahmen_wirkung_verlauf.massnahme_id IS 'Kennung der Maßnahme.';
COMMENT ON COLUMN mart.massnahmen_wirkung_verlauf.indikator_id IS 'Wirkindikator.';
COMMENT ON COLUMN mart.massnahmen_wirkung_verlauf.jahre_seit_start IS 'Jahre seit Beginn; negativ = vor Beginn.';
COMMENT ON COLUMN mart.massnahmen_wirkung_verlauf.effekt_pp IS 'Effekt in Prozentpunkten.';
COMMENT ON COLUMN mart.massnahmen_wirkung_verlauf.ki_unten IS 'Untere Grenze des 95-%-Intervalls.';
COMMENT ON COLUMN mart.massnahmen_wirkung_verlauf.ki_oben IS 'Obere Grenze des 95-%-Intervalls.';
COMMENT ON COLUMN mart.massnahmen_wirkung_verlauf.art IS 'Effekt oder Placebo (vor Beginn).';

CREATE OR REPLACE VIEW mart.massnahmen_kosten AS
SELECT massnahme_id, jahr, kosten_eur, teilnehmende, kosten_je_teilnehmende,
       kosten_je_erreichtem_kind, kosten_je_vermiedenem_fall, fall_indikator_id,
       vermiedene_faelle, netto_nutzen_je_euro, quartiere, kinder_zielgruppe, preisbasis
FROM core.massnahmen_kosten;
COMMENT ON VIEW mart.massnahmen_kosten IS 'Kosten je Maßnahme und Jahr: je Teilnehmenden, je Kind der Zielgruppe, je vermiedenem Fall (nur bei belastbarem Effekt); nominale Euro.';
COMMENT ON COLUMN mart.massnahmen_kosten.massnahme_id IS 'Kennung der Maßnahme.';
COMMENT ON COLUMN mart.massnahmen_kosten.jahr IS 'Jahr.';
COMMENT ON COLUMN mart.massnahmen_kosten.kosten_eur IS 'Kosten in Euro (nominal).';
COMMENT ON COLUMN mart.massnahmen_kosten.teilnehmende IS 'Teilnehmende.';
COMMENT ON COLUMN mart.massnahmen_kosten.kosten_je_teilnehmende IS 'Kosten je teilnehmender Person.';
COMMENT ON COLUMN mart.massnahmen_kosten.kosten_je_erreichtem_kind IS 'Kosten je Kind der Zielgruppe in den erreichten Quartieren.';
COMMENT ON COLUMN mart.massnahmen_kosten.kosten_je_vermiedenem_fall IS 'Kosten je vermiedenem Fall (nur bei belastbarem Effekt).';
COMMENT ON COLUMN mart.massnahmen_kosten.fall_indikator_id IS 'Wirkindikator der vermiedenen Fälle.';
COMMENT ON COLUMN mart.massnahmen_kosten.vermiedene_faelle IS 'Vermiedene Fälle im Jahr.';
COMMENT ON COLUMN mart.massnahmen_kosten.netto_nutzen_je_euro IS 'Netto-Nutzen je Euro (nur mit hinterlegten Folgekosten).';
COMMENT ON COLUMN mart.massnahmen_kosten.quartiere IS 'Sozialquartiere mit der Maßnahme.';
COMMENT ON COLUMN mart.massnahmen_kosten.kinder_zielgruppe IS 'Kinder der Zielgruppe in diesen Quartieren.';
COMMENT ON COLUMN mart.massnahmen_kosten.preisbasis IS 'Preisbasis.';
