-- How many rows of each dataset rest on each source document, and how many of those
-- are uncertain readings (confidence medium or low) or derived by us.
-- @param source_id text = null : only this source (all when empty)
SELECT p.source_id, l.source_label, p.dataset, count(*) AS rows,
       count(*) FILTER (WHERE p.confidence = 'medium') AS medium,
       count(*) FILTER (WHERE p.confidence = 'low') AS low,
       count(*) FILTER (WHERE p.derived) AS derived
FROM provenance p
JOIN source_labels l USING (source_id)
WHERE $source_id IS NULL OR p.source_id = $source_id
GROUP BY ALL
ORDER BY p.source_id, rows DESC, p.dataset
