-- Keep the SGB II participant count in the reach table (warehouses from before it was kept).
ALTER TABLE core.massnahmen_output ADD COLUMN IF NOT EXISTS teilnehmende_sgb2 BIGINT;
