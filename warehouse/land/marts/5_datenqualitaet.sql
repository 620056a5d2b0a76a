CREATE TABLE mart.datenqualitaet AS
WITH dateien AS (
    SELECT ags, count(*) AS lieferungen,
           count(*) FILTER (WHERE status = 'abgelehnt') AS lieferungen_abgelehnt,
           sum(zeilen_quarantaene)::BIGINT AS zeilen_quarantaene,
           string_agg(DISTINCT quelle, ', ' ORDER BY quelle) AS quellen
    FROM pakete.datenqualitaet
    GROUP BY ags
),
spanne AS (
    SELECT ags, quelle, min(jahr) AS von, max(jahr) AS bis
    FROM mart.abdeckung
    WHERE geliefert
    GROUP BY ALL
),
luecken AS (
    SELECT a.ags, a.quelle, string_agg(a.jahr::VARCHAR, ', ' ORDER BY a.jahr) AS jahre
    FROM mart.abdeckung a
    JOIN spanne s ON s.ags = a.ags AND s.quelle = a.quelle AND a.jahr BETWEEN s.von AND s.bis
    WHERE NOT a.geliefert
    GROUP BY ALL
),
luecken_je_kommune AS (
    SELECT ags, string_agg(quelle || ': ' || jahre, '; ' ORDER BY quelle) AS jahre_mit_luecken
    FROM luecken
    GROUP BY ags
),
werte AS (
    SELECT ags, count(*) FILTER (WHERE teilerhebung) AS teilerhebungen
    FROM stadtwerte
    GROUP BY ags
),
gesperrt AS (
    SELECT ags, count(*) AS gesperrte_werte
    FROM pakete.indikatoren
    WHERE gesperrt
    GROUP BY ags
)
SELECT k.ags, k.kommune, coalesce(d.lieferungen, 0) AS lieferungen,
       coalesce(d.lieferungen_abgelehnt, 0) AS lieferungen_abgelehnt,
       coalesce(d.zeilen_quarantaene, 0) AS zeilen_quarantaene, d.quellen,
       l.jahre_mit_luecken, coalesce(w.teilerhebungen, 0) AS teilerhebungen,
       coalesce(g.gesperrte_werte, 0) AS gesperrte_werte
FROM kommunen k
LEFT JOIN dateien d USING (ags)
LEFT JOIN luecken_je_kommune l USING (ags)
LEFT JOIN werte w USING (ags)
LEFT JOIN gesperrt g USING (ags)
ORDER BY k.ags;
