SELECT lowr(a) FROM t
