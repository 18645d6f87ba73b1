SELECT word, x FORM words
