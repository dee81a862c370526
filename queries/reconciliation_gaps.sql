-- Reconciliation gaps found at build time (the same findings as `workbench check`):
-- stated totals against the sum of their parts; gap = stated - computed, in kroner.
-- @param dataset text = null : only gaps in this dataset (all when empty)
SELECT rule, dataset, subject, stated, computed, gap, detail
FROM reconciliation_gaps
WHERE $dataset IS NULL OR dataset = $dataset
ORDER BY dataset, abs(gap) DESC, subject
