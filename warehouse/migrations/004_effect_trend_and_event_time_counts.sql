-- The effect table keeps the linear pre-trend test; an event time states how many treated
-- areas identify it and has no interval when fewer than 2 do (warehouses from before).
ALTER TABLE core.massnahmen_wirkung ADD COLUMN IF NOT EXISTS pretrend_steigung DOUBLE;
ALTER TABLE core.massnahmen_wirkung ADD COLUMN IF NOT EXISTS pretrend_p_steigung DOUBLE;
ALTER TABLE core.massnahmen_wirkung_verlauf ADD COLUMN IF NOT EXISTS n_behandelt INTEGER;
ALTER TABLE core.massnahmen_wirkung_verlauf ALTER COLUMN ki_unten DROP NOT NULL;
ALTER TABLE core.massnahmen_wirkung_verlauf ALTER COLUMN ki_oben DROP NOT NULL;
