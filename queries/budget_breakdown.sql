-- Budget breakdown: the lines directly under one parent line in one budget year, plus the
-- part of the parent's amount that no sub-line accounts for, as its own
-- «Ikke spesifisert» row (unspecified = true), so gaps are shown, not hidden.
-- Without a parent: the top-level lines of the year (multi-year envelopes left out).
-- @param year int = 2026 : budget year
-- @param parent text = null : line_id of the line to break down (e.g. hod-2026, hto-2026)
WITH children AS (
    SELECT *
    FROM budget_lines
    WHERE budget_year = $year
      AND (CASE WHEN $parent IS NULL THEN parent_id IS NULL AND kind <> 'envelope'
                ELSE parent_id = $parent END)
),
parent AS (
    SELECT * FROM budget_lines WHERE line_id = $parent AND budget_year = $year
)
SELECT c.line_id, c.line_key, c.label, c.budget_year, c.chapter, c.post, c.kind,
       c.amount_nok, false AS unspecified, c.source_id, s.source_label, c.locator,
       c.confidence, c.derived, c.note
FROM children c
LEFT JOIN source_labels s USING (source_id)
UNION ALL
SELECT p.line_id || '-ikke-spesifisert', p.line_key || '-ikke-spesifisert',
       'Ikke spesifisert', p.budget_year, p.chapter, p.post, p.kind,
       CAST(p.amount_nok - (SELECT sum(amount_nok) FROM children) AS BIGINT), true, p.source_id,
       s.source_label, p.locator, p.confidence, true,
       'Differansen mellom oppgitt sum for «' || p.label || '» og summen av underlinjene '
       || 'som er oppgitt i kilden; kilden fordeler ikke dette beløpet.'
FROM parent p
LEFT JOIN source_labels s USING (source_id)
WHERE p.amount_nok > (SELECT coalesce(sum(amount_nok), 0) FROM children)
  AND EXISTS (SELECT 1 FROM children)
ORDER BY unspecified, amount_nok DESC, line_id
