-- Star schema of the indicators: dimensions (areas, years, indicators) and facts.
-- Rebuilt from the staging tables on every run; analysts use the views in schema mart.
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS mart;

CREATE TABLE IF NOT EXISTS core.gebiete (
    gebiet_id          VARCHAR PRIMARY KEY,
    gebiet_name        VARCHAR NOT NULL,
    ebene              VARCHAR NOT NULL,
    ebene_rang         INTEGER NOT NULL,
    uebergeordnet_id   VARCHAR,
    stadt_id           VARCHAR,
    stadtbezirk_id     VARCHAR,
    sozialraum_id      VARCHAR,
    sozialquartier_id  VARCHAR,
    gueltig_ab         DATE NOT NULL,
    gueltig_bis        DATE
);
COMMENT ON TABLE core.gebiete IS 'Dimension Gebiete: Stadt, Stadtbezirke, Sozialräume und Sozialquartiere mit Hierarchie und Gültigkeitszeitraum.';
COMMENT ON COLUMN core.gebiete.gebiet_id IS 'Gebietsschlüssel (Stadt: AGS).';
COMMENT ON COLUMN core.gebiete.gebiet_name IS 'Name des Gebiets.';
COMMENT ON COLUMN core.gebiete.ebene IS 'Gebietsebene: Stadt, Stadtbezirk, Sozialraum oder Sozialquartier.';
COMMENT ON COLUMN core.gebiete.ebene_rang IS 'Rang der Ebene: 0 = Stadt, 1 = Stadtbezirk, 2 = Sozialraum, 3 = Sozialquartier.';
COMMENT ON COLUMN core.gebiete.uebergeordnet_id IS 'Schlüssel des direkt übergeordneten Gebiets (leer bei der Stadt).';
COMMENT ON COLUMN core.gebiete.stadt_id IS 'Schlüssel der Stadt, zu der das Gebiet gehört.';
COMMENT ON COLUMN core.gebiete.stadtbezirk_id IS 'Schlüssel des Stadtbezirks, zu dem das Gebiet gehört (leer für die Stadt).';
COMMENT ON COLUMN core.gebiete.sozialraum_id IS 'Schlüssel des Sozialraums, zu dem das Gebiet gehört (leer oberhalb der Sozialräume).';
COMMENT ON COLUMN core.gebiete.sozialquartier_id IS 'Schlüssel des Sozialquartiers (nur bei Sozialquartieren gefüllt).';
COMMENT ON COLUMN core.gebiete.gueltig_ab IS 'Erster Tag, an dem das Gebiet in dieser Abgrenzung gilt.';
COMMENT ON COLUMN core.gebiete.gueltig_bis IS 'Letzter Tag der Gültigkeit (leer = gilt noch).';

CREATE TABLE IF NOT EXISTS core.jahre (
    jahr                              INTEGER PRIMARY KEY,
    sozialstrukturatlas_geliefert     BOOLEAN NOT NULL,
    schuleingang_geliefert            BOOLEAN NOT NULL,
    schulwechsel_geliefert            BOOLEAN NOT NULL,
    kindertagesbetreuung_geliefert    BOOLEAN NOT NULL
);
COMMENT ON TABLE core.jahre IS 'Dimension Jahre: jedes Berichtsjahr und welche Quellen dafür geliefert wurden (Datenlücken wie die Schuleingangsuntersuchung 2020/2021 sind hier sichtbar).';
COMMENT ON COLUMN core.jahre.jahr IS 'Berichtsjahr (Sozialstrukturatlas: Stichtag 31.12.; Schuleingangsuntersuchung: Einschulungsjahr; Übergänge: erstes Kalenderjahr des Schuljahres; Kindertagesbetreuung: Stichtag 1.3.).';
COMMENT ON COLUMN core.jahre.sozialstrukturatlas_geliefert IS 'Für dieses Jahr liegt eine Lieferung des Sozialstrukturatlas vor.';
COMMENT ON COLUMN core.jahre.schuleingang_geliefert IS 'Für dieses Jahr liegt eine Lieferung der Schuleingangsuntersuchung vor.';
COMMENT ON COLUMN core.jahre.schulwechsel_geliefert IS 'Für dieses Jahr liegt eine Lieferung der Übergänge in weiterführende Schulen vor.';
COMMENT ON COLUMN core.jahre.kindertagesbetreuung_geliefert IS 'Für dieses Jahr liegt eine Lieferung der Kindertagesbetreuung vor.';

CREATE TABLE IF NOT EXISTS core.indikatoren (
    indikator_id       VARCHAR PRIMARY KEY,
    indikator_name     VARCHAR NOT NULL,
    beschreibung       VARCHAR NOT NULL,
    zaehler_felder     VARCHAR[] NOT NULL,
    nenner_felder      VARCHAR[] NOT NULL,
    faktor             DOUBLE NOT NULL,
    einheit            VARCHAR NOT NULL,
    hoeher_ist_besser  BOOLEAN,
    lebensphase        VARCHAR NOT NULL,
    quelle             VARCHAR NOT NULL,
    periode            VARCHAR NOT NULL,
    im_sozialindex     BOOLEAN NOT NULL
);
COMMENT ON TABLE core.indikatoren IS 'Dimension Indikatoren: der Indikatorenkatalog (indicators/catalogue.yaml). Wert = Faktor × Summe der Zählerfelder / Summe der Nennerfelder.';
COMMENT ON COLUMN core.indikatoren.indikator_id IS 'Kennung des Indikators.';
COMMENT ON COLUMN core.indikatoren.indikator_name IS 'Bezeichnung des Indikators.';
COMMENT ON COLUMN core.indikatoren.beschreibung IS 'Definition des Indikators einschließlich Bezugsgröße.';
COMMENT ON COLUMN core.indikatoren.zaehler_felder IS 'Felder der Quelle, deren Summe den Zähler bildet.';
COMMENT ON COLUMN core.indikatoren.nenner_felder IS 'Felder der Quelle, deren Summe den Nenner bildet.';
COMMENT ON COLUMN core.indikatoren.faktor IS 'Faktor (100 = Prozent).';
COMMENT ON COLUMN core.indikatoren.einheit IS 'Einheit des Werts.';
COMMENT ON COLUMN core.indikatoren.hoeher_ist_besser IS 'Wahr, wenn ein höherer Wert die bessere Lage bedeutet; falsch, wenn die schlechtere; leer bei beschreibenden Indikatoren ohne Richtung.';
COMMENT ON COLUMN core.indikatoren.lebensphase IS 'Lebensphase der Präventionskette (oder übergreifend).';
COMMENT ON COLUMN core.indikatoren.quelle IS 'Gelieferte Quelle, aus der Zähler und Nenner stammen.';
COMMENT ON COLUMN core.indikatoren.periode IS 'Bedeutung des Jahres bei dieser Quelle (Stichtag oder Zeitraum).';
COMMENT ON COLUMN core.indikatoren.im_sozialindex IS 'Wahr, wenn der Indikator in den Sozialindex eingeht.';

CREATE TABLE IF NOT EXISTS core.indikatorwerte (
    gebiet_id              VARCHAR NOT NULL,
    jahr                   INTEGER NOT NULL,
    indikator_id           VARCHAR NOT NULL,
    zaehler                BIGINT,
    nenner                 BIGINT,
    wert                   DOUBLE,
    ki_unten               DOUBLE,
    ki_oben                DOUBLE,
    kleiner_nenner         BOOLEAN NOT NULL,
    teilerhebung           BOOLEAN NOT NULL,
    hinweis                VARCHAR,
    quartiere              INTEGER NOT NULL,
    quartiere_ohne_angabe  INTEGER NOT NULL,
    lieferungen            VARCHAR[],
    run_id                 VARCHAR NOT NULL,
    PRIMARY KEY (gebiet_id, jahr, indikator_id)
);
COMMENT ON TABLE core.indikatorwerte IS 'Fakten: jeder Indikator für jedes Jahr und jedes Gebiet aller Ebenen. Zähler und Nenner werden über die Sozialquartiere summiert, dann geteilt (nie Quoten gemittelt).';
COMMENT ON COLUMN core.indikatorwerte.gebiet_id IS 'Gebietsschlüssel (siehe core.gebiete).';
COMMENT ON COLUMN core.indikatorwerte.jahr IS 'Berichtsjahr (siehe core.jahre).';
COMMENT ON COLUMN core.indikatorwerte.indikator_id IS 'Kennung des Indikators (siehe core.indikatoren).';
COMMENT ON COLUMN core.indikatorwerte.zaehler IS 'Zähler: Summe der Zählerfelder über die Sozialquartiere des Gebiets; leer, wenn unbekannt.';
COMMENT ON COLUMN core.indikatorwerte.nenner IS 'Nenner: Summe der Nennerfelder über die Sozialquartiere des Gebiets; leer, wenn unbekannt.';
COMMENT ON COLUMN core.indikatorwerte.wert IS 'Wert = Faktor × Zähler / Nenner; leer, wenn unbekannt oder der Nenner 0 ist (Grund in hinweis).';
COMMENT ON COLUMN core.indikatorwerte.ki_unten IS 'Untere Grenze des 95-%-Konfidenzintervalls nach Wilson (in der Einheit des Werts).';
COMMENT ON COLUMN core.indikatorwerte.ki_oben IS 'Obere Grenze des 95-%-Konfidenzintervalls nach Wilson (in der Einheit des Werts).';
COMMENT ON COLUMN core.indikatorwerte.kleiner_nenner IS 'Wahr, wenn der Nenner unter der Mindestfallzahl des Katalogs liegt: Wert unsicher.';
COMMENT ON COLUMN core.indikatorwerte.teilerhebung IS 'Wahr, wenn die Lieferung nur einen Teil der Grundgesamtheit erfasst (z. B. Schuleingangsuntersuchung 2022).';
COMMENT ON COLUMN core.indikatorwerte.hinweis IS 'Gründe für fehlende oder unsichere Werte (keine Lieferung, gesperrte Angaben, kleiner Nenner, Teilerhebung).';
COMMENT ON COLUMN core.indikatorwerte.quartiere IS 'Anzahl der Sozialquartiere, über die summiert wurde.';
COMMENT ON COLUMN core.indikatorwerte.quartiere_ohne_angabe IS 'Anzahl dieser Sozialquartiere ohne bekannten Zähler oder Nenner.';
COMMENT ON COLUMN core.indikatorwerte.lieferungen IS 'SHA-256 der Lieferungen, aus denen der Wert berechnet ist (siehe raw.deliveries).';
COMMENT ON COLUMN core.indikatorwerte.run_id IS 'Kennung des Dagster-Laufs, der den Wert berechnet hat.';

CREATE TABLE IF NOT EXISTS core.sozialindex (
    gebiet_id            VARCHAR NOT NULL,
    jahr                 INTEGER NOT NULL,
    statusindex          DOUBLE,
    dynamikindex         DOUBLE,
    komponenten_bekannt  INTEGER NOT NULL,
    rang_status          INTEGER,
    hinweis              VARCHAR,
    run_id               VARCHAR NOT NULL,
    PRIMARY KEY (gebiet_id, jahr)
);
COMMENT ON TABLE core.sozialindex IS 'Sozialindex je Sozialquartier und Jahr: Statusindex (Mittel der z-Werte von sieben Teilindikatoren, Stadtmittel 0) und Dynamikindex (dasselbe für die Veränderung über drei Jahre).';
COMMENT ON COLUMN core.sozialindex.gebiet_id IS 'Schlüssel des Sozialquartiers.';
COMMENT ON COLUMN core.sozialindex.jahr IS 'Berichtsjahr (Stichtag 31.12.).';
COMMENT ON COLUMN core.sozialindex.statusindex IS 'Statusindex: Mittelwert der z-standardisierten Teilindikatoren; über 0 = stärker belastet als das Mittel der Sozialquartiere.';
COMMENT ON COLUMN core.sozialindex.dynamikindex IS 'Dynamikindex: Mittelwert der z-standardisierten Veränderungen der Teilindikatoren über drei Jahre; über 0 = Belastung wächst schneller als im Mittel.';
COMMENT ON COLUMN core.sozialindex.komponenten_bekannt IS 'Anzahl der Teilindikatoren mit bekanntem Wert (Index nur bei allen sieben).';
COMMENT ON COLUMN core.sozialindex.rang_status IS 'Rang nach Statusindex im Jahr (1 = am stärksten belastet).';
COMMENT ON COLUMN core.sozialindex.hinweis IS 'Grund, wenn ein Teilindex fehlt.';
COMMENT ON COLUMN core.sozialindex.run_id IS 'Kennung des Dagster-Laufs, der den Index berechnet hat.';

CREATE TABLE IF NOT EXISTS core.sozialindex_komponenten (
    gebiet_id     VARCHAR NOT NULL,
    jahr          INTEGER NOT NULL,
    indikator_id  VARCHAR NOT NULL,
    wert          DOUBLE,
    z_status      DOUBLE,
    veraenderung  DOUBLE,
    z_dynamik     DOUBLE,
    PRIMARY KEY (gebiet_id, jahr, indikator_id)
);
COMMENT ON TABLE core.sozialindex_komponenten IS 'Teilindikatoren des Sozialindex je Sozialquartier und Jahr mit ihren z-Werten.';
COMMENT ON COLUMN core.sozialindex_komponenten.gebiet_id IS 'Schlüssel des Sozialquartiers.';
COMMENT ON COLUMN core.sozialindex_komponenten.jahr IS 'Berichtsjahr.';
COMMENT ON COLUMN core.sozialindex_komponenten.indikator_id IS 'Teilindikator (siehe core.indikatoren).';
COMMENT ON COLUMN core.sozialindex_komponenten.wert IS 'Wert des Teilindikators in Prozent.';
COMMENT ON COLUMN core.sozialindex_komponenten.z_status IS 'z-Wert des Teilindikators über die Sozialquartiere des Jahres.';
COMMENT ON COLUMN core.sozialindex_komponenten.veraenderung IS 'Veränderung gegenüber dem Wert drei Jahre zuvor in Prozentpunkten.';
COMMENT ON COLUMN core.sozialindex_komponenten.z_dynamik IS 'z-Wert der Veränderung über die Sozialquartiere des Jahres.';
