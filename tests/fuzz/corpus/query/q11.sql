SELECT lower(text), upper(word), length(text), coalesce(n, a, 0), concat(a, '-', d), abs(-a) FROM t
