-- The kommune reference list (kommunenummer, name, fylke) with the years its structure
-- describes.
-- @param fylke text = null : only kommuner in this fylke (all when empty)
SELECT k.kommunenummer, k.name, k.fylke, k.fylkesnummer, k.valid_from, k.valid_to,
       k.source_id, s.source_label
FROM kommuner k
LEFT JOIN source_labels s USING (source_id)
WHERE $fylke IS NULL OR k.fylke = $fylke
ORDER BY k.kommunenummer
