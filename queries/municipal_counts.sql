-- Counts about kommuner: procurement collaborations, demographic pressure, projected
-- costs (unit 'nok', whole kroner), portfolio size.
-- @param indicator_id text = null : only this indicator (all when empty)
SELECT m.indicator_id, m.indicator, m.group_name, m.year, m.as_of, m.value, m.unit,
       m.denominator, m.source_id, s.source_label, m.locator, m.confidence, m.derived,
       m.note
FROM municipal_counts m
LEFT JOIN source_labels s USING (source_id)
WHERE $indicator_id IS NULL OR m.indicator_id = $indicator_id
ORDER BY m.indicator_id, m.year, m.value DESC, m.group_name
