select Word, count(*) from WORDS group by WORD emit changes
