SELECT a /* block */ FROM t
