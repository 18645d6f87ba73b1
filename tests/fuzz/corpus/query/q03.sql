SELECT author_id, COUNT(*) AS posts, window_start, window_end FROM posts GROUP BY author_id, TUMBLE(created_at, INTERVAL '1' MINUTE) EMIT FINAL
