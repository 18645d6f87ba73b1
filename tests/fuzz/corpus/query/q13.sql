SELECT created_at + INTERVAL '1' DAY, created_at - TIMESTAMP '2021-01-01 00:00:00' FROM t WHERE created_at > '2020-12-31'
