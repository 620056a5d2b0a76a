-- The schemas of the Land warehouse and the intake log; written anew on every build.
CREATE SCHEMA pakete;
CREATE SCHEMA meta;
CREATE SCHEMA mart;

CREATE TABLE meta.eingaenge (
    ags             VARCHAR,
    paket           VARCHAR,
    kommune         VARCHAR,
    erstellt        VARCHAR,
    eingang         VARCHAR,
    quelle          VARCHAR,
    manifest_sha256 VARCHAR,
    status          VARCHAR NOT NULL
);
