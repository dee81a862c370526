-- Grant rounds, one row per scheme and year: amount available (and carried over from
-- earlier years), applications, amount applied for, projects granted; success rate =
-- projects granted / applications; oversubscription = amount applied for / (amount
-- available + carried over). Confidence is the lowest of the figures in the row.
-- @param year int = null : only this year (all years when empty)
-- @param programme text = null : only this programme (all when empty)
SELECT r.programme, r.scheme_id, r.scheme, r.year,
       max(value) FILTER (WHERE measure = 'available_nok') AS available_nok,
       max(value) FILTER (WHERE measure = 'transferred_nok') AS transferred_nok,
       max(value) FILTER (WHERE measure = 'applications') AS applications,
       max(value) FILTER (WHERE measure = 'applied_nok') AS applied_nok,
       max(value) FILTER (WHERE measure = 'granted_projects') AS granted_projects,
       max(value) FILTER (WHERE measure = 'granted_nok') AS granted_nok,
       granted_projects / applications AS success_rate,
       applied_nok / (available_nok + coalesce(transferred_nok, 0)) AS oversubscription,
       CASE min(CASE confidence WHEN 'low' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END)
            WHEN 0 THEN 'low' WHEN 1 THEN 'medium' ELSE 'high' END AS confidence,
       string_agg(DISTINCT source_id, '; ' ORDER BY source_id) AS source_id,
       string_agg(DISTINCT s.source_label, '; ' ORDER BY s.source_label) AS source_label,
       string_agg(CASE WHEN confidence <> 'high' THEN measure || ': ' || note END, ' ')
           AS note
FROM grant_rounds r
LEFT JOIN source_labels s USING (source_id)
WHERE ($year IS NULL OR r.year = $year)
  AND ($programme IS NULL OR r.programme = $programme)
GROUP BY r.programme, r.scheme_id, r.scheme, r.year
ORDER BY r.year, available_nok DESC NULLS LAST, r.scheme_id
