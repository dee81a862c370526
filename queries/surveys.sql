-- Surveys in the data, with their statistics and number of rows.
SELECT survey_id, any_value(survey) AS survey,
       string_agg(DISTINCT statistic, ', ' ORDER BY statistic) AS statistics,
       count(*) AS rows
FROM survey_results
GROUP BY survey_id
ORDER BY survey_id
