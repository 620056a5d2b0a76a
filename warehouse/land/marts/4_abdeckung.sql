CREATE TABLE mart.abdeckung AS
WITH jahre AS (
    SELECT unnest(generate_series(min(jahr), max(jahr))) AS jahr FROM stadtwerte
),
quellen AS (
    SELECT DISTINCT quelle FROM pakete.indikatorkatalog
),
geliefert AS (
    SELECT ags, quelle, jahr, bool_or(wert IS NOT NULL OR gesperrt) AS geliefert
    FROM stadtwerte
    GROUP BY ALL
)
SELECT k.ags, k.kommune, q.quelle, j.jahr, coalesce(g.geliefert, false) AS geliefert
FROM kommunen k
CROSS JOIN quellen q
CROSS JOIN jahre j
LEFT JOIN geliefert g USING (ags, quelle, jahr)
ORDER BY k.ags, q.quelle, j.jahr;
