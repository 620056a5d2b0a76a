-- Landing tables shared by every source. Staging and quarantine tables per source are
-- created from the pandera models (schemas/), so their columns are defined in one place.
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
COMMENT ON TABLE raw.deliveries IS 'Jede gelieferte Datei genau einmal (nach SHA-256): Eingang, Archivpfad, gelesene, übernommene und in Quarantäne verschobene Zeilen, Status und Meldung.';

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
COMMENT ON TABLE quarantine.findings IS 'Jeder Befund der Prüfung einer Lieferung: Datei, Zeile, Spalte, Wert und verletzte Regel.';
COMMENT ON COLUMN raw.deliveries.source IS 'Quelle (Lieferordner), z. B. sozialstrukturatlas.';
COMMENT ON COLUMN raw.deliveries.sha256 IS 'SHA-256 des Dateiinhalts; gleicher Inhalt wird nie zweimal geladen.';
COMMENT ON COLUMN raw.deliveries.file_name IS 'Dateiname bei Eingang.';
COMMENT ON COLUMN raw.deliveries.size_bytes IS 'Dateigröße in Byte.';
COMMENT ON COLUMN raw.deliveries.received_at IS 'Eingang: Änderungszeit der gelieferten Datei.';
COMMENT ON COLUMN raw.deliveries.loaded_at IS 'Zeitpunkt der Übernahme in das Warehouse.';
COMMENT ON COLUMN raw.deliveries.archive_path IS 'Pfad der unveränderlichen Archivkopie.';
COMMENT ON COLUMN raw.deliveries.encoding IS 'Erkannte Zeichenkodierung der Datei.';
COMMENT ON COLUMN raw.deliveries.rows_read IS 'Gelesene Datenzeilen (ohne Kopf- und Summenzeilen).';
COMMENT ON COLUMN raw.deliveries.rows_staged IS 'Gültige, übernommene Zeilen.';
COMMENT ON COLUMN raw.deliveries.rows_quarantined IS 'Ungültige Zeilen in der Quarantäne.';
COMMENT ON COLUMN raw.deliveries.total_rows_dropped IS 'Ausdrücklich verworfene Summenzeilen (z. B. Stadt insgesamt).';
COMMENT ON COLUMN raw.deliveries.status IS 'geladen, teilweise geladen oder abgelehnt.';
COMMENT ON COLUMN raw.deliveries.message IS 'Grund der Ablehnung oder Warnungen beim Lesen.';
COMMENT ON COLUMN raw.deliveries.run_id IS 'Kennung des Dagster-Laufs, der die Datei geladen hat.';
COMMENT ON COLUMN quarantine.findings.source IS 'Quelle der Lieferung.';
COMMENT ON COLUMN quarantine.findings.delivery_sha256 IS 'SHA-256 der Lieferung.';
COMMENT ON COLUMN quarantine.findings.file_name IS 'Dateiname bei Eingang.';
COMMENT ON COLUMN quarantine.findings.source_row IS 'Zeilennummer in der Datei (leer bei Befunden zur ganzen Datei).';
COMMENT ON COLUMN quarantine.findings.column_name IS 'Feldname im Warehouse.';
COMMENT ON COLUMN quarantine.findings.column_title IS 'Spaltenüberschrift in der Lieferung.';
COMMENT ON COLUMN quarantine.findings.value IS 'Gelieferter Wert.';
COMMENT ON COLUMN quarantine.findings.rule IS 'Verletzte Regel in Worten.';
