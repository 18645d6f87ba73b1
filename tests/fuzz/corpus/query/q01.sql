SELECT word, COUNT(*) FROM words GROUP BY word
