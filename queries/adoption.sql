-- Adoption counts (VKP, kjernejournal, PLL, ...), with the share of the denominator
-- where the source states one.
-- @param indicator_id text = null : only this indicator (all when empty)
SELECT a.indicator_id, a.indicator, a.group_name, a.year, a.as_of, a.value, a.unit,
       a.denominator, a.value / a.denominator AS share,
       a.source_id, s.source_label, a.locator, a.confidence, a.derived, a.note
FROM adoption_counts a
LEFT JOIN source_labels s USING (source_id)
WHERE $indicator_id IS NULL OR a.indicator_id = $indicator_id
ORDER BY a.indicator_id, a.year, a.group_name
