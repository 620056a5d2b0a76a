-- Star schema of the indicators: dimensions (areas, years, indicators) and facts.
-- Rebuilt from the staging tables on every run; analysts use the views in schema mart.
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS mart;

CREATE TABLE IF NOT EXISTS core.gebiete (
    gebiet_id          VARCHAR PRIMARY KEY,
    gebiet_name        VARCHAR NOT NULL,
    ebene              VARCHAR NOT NULL,
    ebene_rang         INTEGER NOT NULL,
    analyseeinheit     BOOLEAN NOT NULL,
    uebergeordnet_id   VARCHAR,
    gueltig_ab         DATE NOT NULL,
    gueltig_bis        DATE
);

CREATE TABLE IF NOT EXISTS core.gebiet_vorfahren (
    gebiet_id   VARCHAR NOT NULL,
    vorfahr_id  VARCHAR NOT NULL,
    abstand     INTEGER NOT NULL,
    PRIMARY KEY (gebiet_id, vorfahr_id)
);

CREATE TABLE IF NOT EXISTS core.jahre (
    jahr                              INTEGER PRIMARY KEY,
    sozialstrukturatlas_geliefert     BOOLEAN NOT NULL,
    schuleingang_geliefert            BOOLEAN NOT NULL,
    schulwechsel_geliefert            BOOLEAN NOT NULL,
    kindertagesbetreuung_geliefert    BOOLEAN NOT NULL
);

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
