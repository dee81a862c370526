-- Budget years present in the data, with the number of lines each.
SELECT budget_year, count(*) AS lines,
       count(*) FILTER (WHERE confidence <> 'high') AS uncertain_lines
FROM budget_lines
GROUP BY budget_year
ORDER BY budget_year
