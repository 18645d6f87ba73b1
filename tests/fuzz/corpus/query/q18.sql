SELECT SUM(a), AVG(d), MIN(word), MAX(created_at) FROM t GROUP BY p
