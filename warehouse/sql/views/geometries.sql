CREATE OR REPLACE VIEW mart.gebiet_geometrie AS
SELECT g.gebiet_id, a.gebiet_name, g.ebene,
       (list_position((SELECT k.ebenen FROM meta.kommune k LIMIT 1), g.ebene) - 1)::INTEGER
           AS ebene_rang,
       a.uebergeordnet_id, g.geliefert, g.crs, g.geometrie_wkb, g.geojson_wgs84, g.flaeche_km2,
       (SELECT s.flaeche_km2 FROM staging.sozialstrukturatlas s
        WHERE s.gebiet_id = g.gebiet_id AND s.flaeche_km2 IS NOT NULL
        ORDER BY s.jahr DESC LIMIT 1) AS flaeche_km2_geliefert,
       g.delivery_sha256
FROM core.gebiet_geometrie g
LEFT JOIN staging.gebiete a ON a.gebiet_id = g.gebiet_id;
