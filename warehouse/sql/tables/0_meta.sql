-- Which migrations (warehouse/migrations/) this warehouse has had.
CREATE SCHEMA IF NOT EXISTS meta;

CREATE TABLE IF NOT EXISTS meta.schema_migrations (
    version     INTEGER PRIMARY KEY,
    name        VARCHAR NOT NULL,
    applied_at  TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS meta.kommune (
    ags        VARCHAR,
    name       VARCHAR,
    art        VARCHAR,
    ebenen     VARCHAR[] NOT NULL,
    quellen    VARCHAR[],
    stichtage  VARCHAR
);

-- Effect estimates of the last run by the hash of their inputs, options and estimator code:
-- an unchanged measure × outcome is read back instead of estimated again.
CREATE TABLE IF NOT EXISTS meta.wirkung_cache (
    schluessel    VARCHAR PRIMARY KEY,
    massnahme_id  VARCHAR NOT NULL,
    indikator_id  VARCHAR NOT NULL,
    ergebnis      BLOB NOT NULL
);
