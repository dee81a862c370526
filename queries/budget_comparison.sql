-- Year-over-year comparison of the same budget lines (same line_key in both years), in
-- long form (one row per line and year) with the change on every row. Multi-year
-- envelopes are left out. Labels are those of the later year.
-- @param from_year int = 2024 : earlier budget year
-- @param to_year int = 2026 : later budget year
WITH pairs AS (
    SELECT a.line_key, b.label, a.amount_nok AS from_nok, b.amount_nok AS to_nok
    FROM budget_lines a
    JOIN budget_lines b ON a.line_key = b.line_key
    WHERE a.budget_year = $from_year AND b.budget_year = $to_year
      AND a.kind <> 'envelope' AND b.kind <> 'envelope'
)
SELECT l.line_key, p.label, l.budget_year, l.kind, l.amount_nok,
       p.to_nok - p.from_nok AS change_nok,
       (p.to_nok - p.from_nok) / p.from_nok AS change_share,
       l.source_id, s.source_label, l.locator, l.confidence, l.derived, l.note
FROM pairs p
JOIN budget_lines l ON l.line_key = p.line_key AND l.budget_year IN ($from_year, $to_year)
                   AND l.kind <> 'envelope'
LEFT JOIN source_labels s USING (source_id)
ORDER BY p.to_nok DESC, l.line_key, l.budget_year
