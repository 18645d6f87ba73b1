SELECT ((((((((((a)))))))))) FROM t
