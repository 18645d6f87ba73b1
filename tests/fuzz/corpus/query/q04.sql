SELECT CASE WHEN CONTAINS(text, 'biden') THEN 'biden' WHEN CONTAINS(text, 'trump') THEN 'trump' ELSE 'other' END AS candidate, COUNT(*) FROM posts WHERE lang = 'en' GROUP BY candidate
