/* SPDX-License-Identifier: MIT
 *
 * api_int.h - what the API's files (api.c, api_posts.c, api_query.c) and
 * the SSE publisher share: the store connection pool, request parameter
 * parsing and the queries both the endpoints and the publisher run.
 */
#ifndef ROOST_SERVE_API_INT_H
#define ROOST_SERVE_API_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "serve/api.h"
#include "store/store_query.h"

#define API_MAX_CONNS 32
#define API_WAIT_CONN_MS 5000
#define API_MAX_WORDS_POSTS 20000   /* posts tokenized per words request */
#define API_MAX_WORD_KEYS 200000    /* distinct words counted */
#define API_MAX_POLL_TERMS 20
#define API_MAX_TERM_BYTES 64
#define API_MAX_RATE_POINTS 10000
#define API_NO_TIME INT64_MIN

#define API_CACHE_SLOTS 64
#define API_CACHE_KEY_BYTES 320

/* One cached answer of an aggregate endpoint (api.c: cached()). */
struct api_cache_entry {
    char key[API_CACHE_KEY_BYTES]; /* path?args; "" when free */
    int64_t at_ms;                 /* monotonic time it was computed */
    char *body;
    size_t len;
    bool busy;                     /* being computed: wait for it */
};

struct roost_api {
    struct roost_api_cfg cfg;
    char *db_path;
    char *version;
    struct roost_http *http;
    struct timespec started;
    pthread_mutex_t mu;  /* the pool */
    pthread_cond_t cv;
    struct roost_store *idle[API_MAX_CONNS];
    unsigned n_idle;
    unsigned n_open;
    pthread_mutex_t cache_mu;
    pthread_cond_t cache_cv;
    struct api_cache_entry cache[API_CACHE_SLOTS];
    uint64_t n_cache_hits, n_cache_misses; /* under cache_mu */
};

/* roost__api_store_get - a connection of the pool, waiting a bounded
 * time for one. Give it back with roost__api_store_put. */
int roost__api_store_get(struct roost_api *a, struct roost_store **out,
                         struct roost_diag *diag);
void roost__api_store_put(struct roost_api *a, struct roost_store *s);

/* roost__api_query - roost_store_query_timed with the read time limit. */
int roost__api_query(struct roost_api *a, struct roost_store *s,
                     const char *sql, int64_t max_rows,
                     roost_store_row_fn *fn, void *arg,
                     struct roost_diag *diag);

/* roost__api_i64 - one integer (the first column of the first row); *out
 * is API_NO_TIME for no row or NULL. */
int roost__api_i64(struct roost_api *a, struct roost_store *s,
                   const char *sql, int64_t *out, struct roost_diag *diag);

/* roost__api_sql_str - append s as an SQL string literal. */
int roost__api_sql_str(struct roost_buf *b, const char *s, size_t len);

/* roost__api_iso - append ms as a JSON ISO 8601 string, or null. */
int roost__api_iso(struct roost_buf *b, int64_t ms);

/* roost__api_window - "1m" .. "7d" to ms, "all" to 0; false when unknown. */
bool roost__api_window(const char *s, int64_t *ms);

/* roost__api_duration - "2s", "500ms", "5m", "1h", "1d" to ms (> 0). */
bool roost__api_duration(const char *s, int64_t *ms);

/* Parameter parsing: on a bad value these fill resp with a 400 and
 * return false. `name` is the parameter for the message. */
bool roost__api_limit(const struct roost_http_req *req,
                      struct roost_http_resp *resp, int64_t def,
                      int64_t max, int64_t *out);
bool roost__api_window_arg(const struct roost_http_req *req,
                           struct roost_http_resp *resp, const char *def,
                           const char **name, int64_t *ms);

/* The lowest created_at of a window ending at newest (API_NO_TIME: all). */
int64_t roost__api_window_lo(int64_t newest, int64_t window_ms);

/*
 * roost__api_top_items - append [{"key","count"},...] for kind hashtags,
 * mentions, authors or words over posts created at or after lo (newest:
 * the store's newest post), at most limit items.
 */
int roost__api_top_items(struct roost_api *a, struct roost_store *s,
                         const char *kind, int64_t lo, int64_t limit,
                         struct roost_buf *out, struct roost_diag *diag);
bool roost__api_top_kind(const char *kind);

/* roost__api_rate_points - append [{"t","count"},...]: n buckets of
 * step_ms, the last one holding newest. */
int roost__api_rate_points(struct roost_api *a, struct roost_store *s,
                           int64_t newest, int64_t step_ms, int64_t n,
                           struct roost_buf *out, struct roost_diag *diag);

/*
 * roost__api_posts - append [post,...] for the posts of `sql`, a SELECT of
 * (id, seq) in the order wanted; *max_seq gets the largest seq seen (left
 * alone when none).
 */
int roost__api_posts(struct roost_api *a, struct roost_store *s,
                     const char *sql, int64_t limit, struct roost_buf *out,
                     int64_t *max_seq, struct roost_diag *diag);

/* Endpoint families (api_posts.c, api_query.c). */
roost_http_fn roost__api_get_posts;
roost_http_fn roost__api_get_top;
roost_http_fn roost__api_get_rate;
roost_http_fn roost__api_get_hashtag;
roost_http_fn roost__api_get_search;
roost_http_fn roost__api_get_geo;
roost_http_fn roost__api_get_poll;
roost_http_fn roost__api_get_queries;
roost_http_fn roost__api_get_query_table;
roost_http_fn roost__api_get_sources;
roost_http_fn roost__api_post_query;

/* roost__api_fail - a store error as a response: 400 for EINVAL/ELIMIT
 * with diag's message, else 500. Returns 0 (the response is set). */
int roost__api_fail(struct roost_http_resp *resp, int rc,
                    const struct roost_diag *diag);

#endif /* ROOST_SERVE_API_INT_H */
