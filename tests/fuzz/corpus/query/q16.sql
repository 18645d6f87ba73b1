SELECT "Quoted ""Col""", 'it''s' AS "My Alias" FROM "Strange Stream";
