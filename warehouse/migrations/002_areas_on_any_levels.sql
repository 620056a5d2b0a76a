-- Areas on any number of levels: the fixed ancestor columns of the sample's four levels give way
-- to the flag of the finest level and the long table core.gebiet_vorfahren (rebuilt each run).
ALTER TABLE core.gebiete ADD COLUMN IF NOT EXISTS analyseeinheit BOOLEAN DEFAULT false;
UPDATE core.gebiete SET analyseeinheit = (ebene_rang = (SELECT max(ebene_rang) FROM core.gebiete));
ALTER TABLE core.gebiete DROP COLUMN IF EXISTS stadt_id;
ALTER TABLE core.gebiete DROP COLUMN IF EXISTS stadtbezirk_id;
ALTER TABLE core.gebiete DROP COLUMN IF EXISTS sozialraum_id;
ALTER TABLE core.gebiete DROP COLUMN IF EXISTS sozialquartier_id;
