-- Budget lines that have sub-lines in a year (what budget_breakdown can break down),
-- largest first.
-- @param year int = 2026 : budget year
SELECT p.line_id, p.label, p.budget_year, p.amount_nok, count(*) AS sub_lines
FROM budget_lines p
JOIN budget_lines c ON c.parent_id = p.line_id
WHERE p.budget_year = $year
GROUP BY ALL
ORDER BY p.amount_nok DESC, p.line_id
