-- Technologies in the velferdsteknologi recipient counts ('Alle' = all together, first),
-- with the years each is counted.
SELECT technology, count(*) AS years, min(year) AS first_year, max(year) AS last_year
FROM vft_recipients
GROUP BY technology
ORDER BY technology <> 'Alle', technology
