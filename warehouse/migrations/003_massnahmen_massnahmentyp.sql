-- The measure register names the type of each measure (warehouses from before it was kept).
ALTER TABLE staging.massnahmen ADD COLUMN IF NOT EXISTS massnahmentyp VARCHAR;
ALTER TABLE quarantine.massnahmen ADD COLUMN IF NOT EXISTS massnahmentyp VARCHAR;
