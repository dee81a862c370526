-- The source registry with the label used under charts.
SELECT s.source_id, l.source_label, s.organ, s.title, s.meeting, s.date, s.sak,
       s.sak_title, s.document
FROM sources s
JOIN source_labels l USING (source_id)
ORDER BY s.source_id
