SELECT TOP_K(tag_lower, 20) FROM hashtags GROUP BY SESSION(created_at, INTERVAL '30' SECOND)
