SELECT CONTAINS(text, word), text MATCH lower(word) FROM t
