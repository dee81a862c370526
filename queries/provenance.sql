-- Every cited row resting on a source document, with where in the document it was read
-- (locator), how sure the reading is, whether it is derived, and the note.
-- @param source_id text = null : this source and every sak of the same document (all when empty)
SELECT p.dataset, p.row_key, p.source_id, l.source_label, p.locator, p.confidence,
       p.derived, p.note
FROM provenance p
JOIN source_labels l USING (source_id)
WHERE $source_id IS NULL OR p.source_id = $source_id
   OR p.source_id IN (SELECT s.source_id FROM sources s
                      WHERE s.document = (SELECT document FROM sources
                                          WHERE source_id = $source_id))
ORDER BY p.source_id, p.dataset, p.row_key
