-- Velferdsteknologi recipients by year with growth since the previous observation and
-- the average annual growth rate (compound) since the previous and the first
-- observation: (recipients / earlier) ^ (1 / years) - 1.
-- @param technology text = Alle : technology ('Alle' for all together)
WITH v AS (
    SELECT *, lag(year) OVER w AS previous_year, lag(recipients) OVER w AS previous,
           first_value(year) OVER w AS first_year,
           first_value(recipients) OVER w AS first_recipients
    FROM vft_recipients
    WHERE technology = $technology
    WINDOW w AS (ORDER BY year)
)
SELECT v.year, v.technology, v.recipients, v.previous_year, v.previous AS previous_recipients,
       v.recipients - v.previous AS growth,
       v.recipients / v.previous - 1 AS growth_share,
       pow(v.recipients / v.previous, 1 / (v.year - v.previous_year)) - 1
           AS annual_growth_rate,
       CASE WHEN v.year > v.first_year THEN
           pow(v.recipients / v.first_recipients, 1 / (v.year - v.first_year)) - 1
       END AS annual_growth_rate_since_first,
       v.source_id, s.source_label, v.locator, v.confidence, v.derived, v.note
FROM v
LEFT JOIN source_labels s USING (source_id)
ORDER BY v.year
