-- Projects of a programme (default: Helse Nord «Sammen om helse i nord») in the order of
-- the source table, with running totals over the rows shown and within each
-- helsefellesskap, next to the cumulative amount the source states.
-- @param programme text = Sammen om helse i nord : programme name
-- @param helsefellesskap text = null : only this helsefellesskap (all when empty)
SELECT p.programme, p.project_id, p.project, p.helsefellesskap, p.region, p.priority,
       p.amount_nok, p.cumulative_nok AS stated_cumulative_nok,
       CAST(sum(p.amount_nok) OVER (ORDER BY p.project_id ROWS UNBOUNDED PRECEDING)
            AS BIGINT) AS running_total_nok,
       CAST(sum(p.amount_nok) OVER (PARTITION BY p.helsefellesskap ORDER BY p.project_id
                                    ROWS UNBOUNDED PRECEDING) AS BIGINT)
           AS running_total_in_group_nok,
       p.source_id, s.source_label, p.locator, p.confidence, p.derived, p.note
FROM grant_projects p
LEFT JOIN source_labels s USING (source_id)
WHERE p.programme = $programme
  AND ($helsefellesskap IS NULL OR p.helsefellesskap = $helsefellesskap)
ORDER BY p.project_id
