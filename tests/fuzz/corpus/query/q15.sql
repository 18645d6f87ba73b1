SELECT (a + 1) * 2 - -3 % 4 / d FROM t
