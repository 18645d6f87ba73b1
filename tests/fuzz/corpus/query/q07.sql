SELECT * FROM posts WHERE text MATCH 'vote now' AND lang IN ('en', 'es')
