-- Landing tables shared by every source. The staging and quarantine table of each source are
-- created from its pandera model (schemas/), so their columns are defined in one place.
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS quarantine;

CREATE TABLE IF NOT EXISTS raw.deliveries (
    source              VARCHAR NOT NULL,
    sha256              VARCHAR NOT NULL,
    file_name           VARCHAR NOT NULL,
    size_bytes          BIGINT NOT NULL,
    received_at         TIMESTAMP NOT NULL,
    loaded_at           TIMESTAMP NOT NULL,
    archive_path        VARCHAR NOT NULL,
    encoding            VARCHAR,
    rows_read           INTEGER NOT NULL,
    rows_staged         INTEGER NOT NULL,
    rows_quarantined    INTEGER NOT NULL,
    total_rows_dropped  INTEGER NOT NULL,
    status              VARCHAR NOT NULL,
    message             VARCHAR,
    run_id              VARCHAR,
    PRIMARY KEY (source, sha256)
);

CREATE TABLE IF NOT EXISTS quarantine.findings (
    source          VARCHAR NOT NULL,
    delivery_sha256 VARCHAR NOT NULL,
    file_name       VARCHAR NOT NULL,
    source_row      INTEGER,
    column_name     VARCHAR,
    column_title    VARCHAR,
    value           VARCHAR,
    rule            VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS quarantine.abgleich (
    delivery_sha256    VARCHAR NOT NULL,
    gebiet_id          VARCHAR NOT NULL,
    jahr               INTEGER NOT NULL,
    feld               VARCHAR NOT NULL,
    spalte             VARCHAR NOT NULL,
    geliefert          DOUBLE NOT NULL,
    summe_teilgebiete  DOUBLE NOT NULL,
    differenz          DOUBLE NOT NULL
);
