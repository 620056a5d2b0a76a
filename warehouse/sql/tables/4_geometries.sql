-- Area geometries: the delivered polygons of the finest areas and their dissolved parents.
CREATE TABLE IF NOT EXISTS core.gebiet_geometrie (
    gebiet_id        VARCHAR PRIMARY KEY,
    ebene            VARCHAR NOT NULL,
    geliefert        BOOLEAN NOT NULL,
    crs              VARCHAR NOT NULL,
    geometrie_wkb    BLOB NOT NULL,
    geojson_wgs84    VARCHAR NOT NULL,
    flaeche_km2      DOUBLE NOT NULL,
    delivery_sha256  VARCHAR
);

CREATE TABLE IF NOT EXISTS quarantine.geometrien (
    delivery_sha256  VARCHAR NOT NULL,
    file_name        VARCHAR NOT NULL,
    source_row       INTEGER NOT NULL,
    gebiet_id        VARCHAR,
    gebiet_name      VARCHAR,
    geometrietyp     VARCHAR,
    grund            VARCHAR NOT NULL
);
