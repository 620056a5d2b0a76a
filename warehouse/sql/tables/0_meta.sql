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
