-- Survey results by group and question (dimension) for one statistic, with the survey's
-- respondent count (its 'n' row) beside each value.
-- @param survey_id text = ks-fou-224004-gevinster-helseteknologi : survey
-- @param statistic text = mean : mean, share, count or n
SELECT r.survey_id, r.survey, r.question, r.group_name, r.statistic, r.value,
       coalesce(r.n, (SELECT max(n) FROM survey_results t
                      WHERE t.survey_id = r.survey_id AND t.statistic = 'n'
                        AND t.group_name = 'Alle')) AS n,
       r.scale_min, r.scale_max,
       r.source_id, s.source_label, r.locator, r.confidence, r.derived, r.note
FROM survey_results r
LEFT JOIN source_labels s USING (source_id)
WHERE r.survey_id = $survey_id AND r.statistic = $statistic
ORDER BY r.group_name, r.question
