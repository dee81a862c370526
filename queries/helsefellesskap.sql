-- Helsefellesskap in a programme's project table, with project count and total amount.
-- @param programme text = Sammen om helse i nord : programme name
SELECT helsefellesskap, count(*) AS projects, CAST(sum(amount_nok) AS BIGINT) AS amount_nok
FROM grant_projects
WHERE programme = $programme AND helsefellesskap IS NOT NULL
GROUP BY helsefellesskap
ORDER BY amount_nok DESC, helsefellesskap
