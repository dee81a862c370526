-- The handful of key figures for the landing page, each with its source.
-- unit: nok (whole kroner), personer, kommuner or søknader.
WITH figures AS (
    SELECT 1 AS ord, 'hod_budget' AS figure_id, 'HODs budsjettforslag ' || budget_year AS label,
           amount_nok AS value, 'nok' AS unit, budget_year AS year, source_id, confidence, note
    FROM budget_lines WHERE line_id = 'hod-2026'
    UNION ALL
    SELECT 2, 'hto_' || budget_year, 'Helseteknologiordningen ' || budget_year, amount_nok,
           'nok', budget_year, source_id, confidence, note
    FROM budget_lines WHERE line_key = 'hto'
    UNION ALL
    SELECT 3, 'vft_' || year, 'Mottakere av velferdsteknologi ' || year, recipients,
           'personer', year, source_id, confidence, note
    FROM vft_recipients WHERE technology = 'Alle'
    UNION ALL
    SELECT 4, 'vkp', indicator, value, unit, year, source_id, confidence, note
    FROM adoption_counts WHERE indicator_id = 'vkp-kommuner-i-daglig-bruk'
    UNION ALL
    SELECT 5, 'hto_applications_' || year, 'Søknader om tilskudd til helseteknologi ' || year,
           value, 'søknader', year, source_id, confidence, note
    FROM grant_rounds
    WHERE scheme_id = 'hto-helseteknologi-kommuner' AND measure = 'applications'
)
SELECT f.figure_id, f.label, f.value, f.unit, f.year, f.source_id, s.source_label,
       f.confidence, f.note
FROM figures f
LEFT JOIN source_labels s USING (source_id)
ORDER BY f.ord, f.year DESC
