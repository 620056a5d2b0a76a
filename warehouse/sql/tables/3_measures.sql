-- Output, effect and cost indicators of the prevention measures, rebuilt on every run.
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
    pretrend_steigung    DOUBLE,
    pretrend_p_steigung  DOUBLE,
    twfe_effekt_pp       DOUBLE,
    twfe_se              DOUBLE,
    bewertung            VARCHAR NOT NULL,
    begruendung          VARCHAR NOT NULL,
    run_id               VARCHAR NOT NULL,
    PRIMARY KEY (massnahme_id, indikator_id)
);

CREATE TABLE IF NOT EXISTS core.massnahmen_wirkung_verlauf (
    massnahme_id      VARCHAR NOT NULL,
    indikator_id      VARCHAR NOT NULL,
    jahre_seit_start  INTEGER NOT NULL,
    art               VARCHAR NOT NULL,
    effekt_pp         DOUBLE NOT NULL,
    ki_unten          DOUBLE,
    ki_oben           DOUBLE,
    n_behandelt       INTEGER,
    PRIMARY KEY (massnahme_id, indikator_id, jahre_seit_start)
);

CREATE TABLE IF NOT EXISTS core.massnahmen_wirkung_summen (
    massnahme_id    VARCHAR NOT NULL,
    indikator_id    VARCHAR NOT NULL,
    effekt          VARCHAR NOT NULL,
    effekt_pp       DOUBLE NOT NULL,
    gewichte_summe  DOUBLE NOT NULL,
    n_gebiete       INTEGER NOT NULL,
    PRIMARY KEY (massnahme_id, indikator_id, effekt)
);

CREATE TABLE IF NOT EXISTS core.massnahmen_wirkung_gebiete (
    massnahme_id          VARCHAR NOT NULL,
    indikator_id          VARCHAR NOT NULL,
    effekt                VARCHAR NOT NULL,
    gebiet_id             VARCHAR NOT NULL,
    einfluss              DOUBLE NOT NULL,
    behandelte_zellen     DOUBLE NOT NULL,
    effekt_ohne_gebiet    DOUBLE,
    gewichte_ohne_gebiet  DOUBLE NOT NULL,
    PRIMARY KEY (massnahme_id, indikator_id, effekt, gebiet_id)
);

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
