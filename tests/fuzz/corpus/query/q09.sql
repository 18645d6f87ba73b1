SELECT a FROM t WHERE text LIKE '50!%%' ESCAPE '!' AND word NOT LIKE '_x%'
