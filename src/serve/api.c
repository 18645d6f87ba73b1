/* SPDX-License-Identifier: MIT
 *
 * api.c - the API's core: the store connection pool, parameter parsing,
 * the queries the endpoints and the SSE publisher share (top keys, rate
 * series, posts as JSON), /health, /metrics and the route table.
 *
 * Every handler takes a connection from the pool (at most n_conns are
 * open; a handler waits up to API_WAIT_CONN_MS for one, then answers
 * 503), runs its statements with the read time limit and gives the
 * connection back. Values from the request reach SQL only as integers or
 * through roost__api_sql_str() quoting, and the connection is read-only
 * besides. Start reading at roost_api_new(); the endpoint families live
 * in api_posts.c (posts, top, rate, hashtag, search, geo, poll) and
 * api_query.c (SQL, named queries, sources).
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/map.h"
#include "core/mem.h"
#include "parse/post.h"
#include "parse/tokenize.h"
#include "serve/api_int.h"
#include "serve/metrics.h"

#define DEFAULT_CONNS 8
#define CACHE_TTL_MS 1000
#define CACHE_MAX_BODY (4u << 20)
#define CACHE_WAIT_MS 15000
#define POSTS_JSON_MAX_IDS 10000

/* ---- the connection pool ------------------------------------------------- */

int roost__api_store_get(struct roost_api *a, struct roost_store **out,
                         struct roost_diag *diag)
{
    struct timespec until;
    int rc = 0;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += API_WAIT_CONN_MS / 1000;
    pthread_mutex_lock(&a->mu);
    while (a->n_idle == 0 && a->n_open >= a->cfg.n_conns) {
        if (pthread_cond_timedwait(&a->cv, &a->mu, &until) == ETIMEDOUT) {
            pthread_mutex_unlock(&a->mu);
            return roost_diag_set(diag, ROOST_ERR(ROOST_EAGAIN), 0,
                                  "all %u store connections are busy",
                                  a->cfg.n_conns);
        }
    }
    if (a->n_idle > 0) {
        *out = a->idle[--a->n_idle];
        pthread_mutex_unlock(&a->mu);
        return 0;
    }
    a->n_open++;
    pthread_mutex_unlock(&a->mu);
    rc = roost_store_open(a->db_path, out, diag);
    if (rc < 0) {
        pthread_mutex_lock(&a->mu);
        a->n_open--;
        pthread_cond_signal(&a->cv);
        pthread_mutex_unlock(&a->mu);
    }
    return rc;
}

void roost__api_store_put(struct roost_api *a, struct roost_store *s)
{
    if (s == NULL) {
        return;
    }
    pthread_mutex_lock(&a->mu);
    assert(a->n_idle < API_MAX_CONNS);
    a->idle[a->n_idle++] = s;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

/* ---- running statements -------------------------------------------------- */

int roost__api_query(struct roost_api *a, struct roost_store *s,
                     const char *sql, int64_t max_rows,
                     roost_store_row_fn *fn, void *arg,
                     struct roost_diag *diag)
{
    return roost_store_query_timed(s, sql, max_rows, a->cfg.read_limit_ms,
                                   fn, arg, diag);
}

static int one_i64(void *arg, const struct roost_store_row *row)
{
    int64_t *out = arg;
    if (row->values != NULL && row->n_cols > 0 && row->values[0] != NULL) {
        *out = strtoll(row->values[0], NULL, 10);
    }
    return 0;
}

int roost__api_i64(struct roost_api *a, struct roost_store *s,
                   const char *sql, int64_t *out, struct roost_diag *diag)
{
    *out = API_NO_TIME;
    return roost__api_query(a, s, sql, 1, one_i64, out, diag);
}

int roost__api_sql_str(struct roost_buf *b, const char *s, size_t len)
{
    int rc = roost_buf_addc(b, '\'');
    for (size_t i = 0; rc == 0 && i < len; i++) {
        if (s[i] == '\0') {
            break; /* C strings from the request cannot hold one anyway */
        }
        rc = s[i] == '\'' ? roost_buf_adds(b, "''") : roost_buf_addc(b, s[i]);
    }
    return rc == 0 ? roost_buf_addc(b, '\'') : rc;
}

int roost__api_iso(struct roost_buf *b, int64_t ms)
{
    char iso[32];
    if (ms == API_NO_TIME) {
        return roost_buf_adds(b, "null");
    }
    roost_time_format(ms, iso);
    return roost_buf_printf(b, "\"%s\"", iso);
}

int roost__api_fail(struct roost_http_resp *resp, int rc,
                    const struct roost_diag *diag)
{
    const char *msg = diag != NULL && diag->msg[0] != '\0'
                          ? diag->msg
                          : roost_strerror(rc);
    int status = rc == ROOST_EINVAL || rc == ROOST_ELIMIT ? 400
                 : rc == ROOST_EAGAIN                     ? 503
                                                          : 500;
    roost_http_json_error(resp, status, msg);
    return 0;
}

/* ---- parameters ---------------------------------------------------------- */

static const struct {
    const char *name;
    int64_t ms;
} windows[] = {
    { "1m", 60000 },       { "5m", 300000 },     { "15m", 900000 },
    { "1h", 3600000 },     { "6h", 21600000 },   { "1d", 86400000 },
    { "7d", 604800000 },   { "all", 0 },
};

bool roost__api_window(const char *s, int64_t *ms)
{
    for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
        if (strcmp(s, windows[i].name) == 0) {
            *ms = windows[i].ms;
            return true;
        }
    }
    return false;
}

bool roost__api_duration(const char *s, int64_t *ms)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || errno != 0 || v <= 0 || v > 100000000LL) {
        return false;
    }
    int64_t unit = strcmp(end, "ms") == 0  ? 1
                   : strcmp(end, "s") == 0 ? 1000
                   : strcmp(end, "m") == 0 ? 60000
                   : strcmp(end, "h") == 0 ? 3600000
                   : strcmp(end, "d") == 0 ? 86400000
                                           : 0;
    if (unit == 0) {
        return false;
    }
    *ms = (int64_t)v * unit;
    return true;
}

bool roost__api_limit(const struct roost_http_req *req,
                      struct roost_http_resp *resp, int64_t def,
                      int64_t max, int64_t *out)
{
    const char *v = roost_http_arg(req, "limit");
    char msg[128];
    if (v == NULL || v[0] == '\0') {
        *out = def;
        return true;
    }
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (*end != '\0' || errno != 0 || n < 1 || n > max) {
        snprintf(msg, sizeof(msg), "limit must be an integer from 1 to %lld",
                 (long long)max);
        roost_http_json_error(resp, 400, msg);
        return false;
    }
    *out = n;
    return true;
}

bool roost__api_window_arg(const struct roost_http_req *req,
                           struct roost_http_resp *resp, const char *def,
                           const char **name, int64_t *ms)
{
    const char *v = roost_http_arg(req, "window");
    if (v == NULL || v[0] == '\0') {
        v = def;
    }
    if (!roost__api_window(v, ms)) {
        roost_http_json_error(resp, 400,
                              "unknown window (1m, 5m, 15m, 1h, 6h, 1d, 7d "
                              "or all)");
        return false;
    }
    *name = v;
    return true;
}

int64_t roost__api_window_lo(int64_t newest, int64_t window_ms)
{
    if (window_ms == 0 || newest == API_NO_TIME) {
        return API_NO_TIME;
    }
    return newest - window_ms;
}

/* ---- shared queries ------------------------------------------------------ */

/* Posts a view counts: delivered, not deleted. */
#define LIVE "p.deleted = 0 AND p.referenced = 0"

struct items {
    struct roost_buf *out;
    size_t n;
    int rc;
};

/* key_count - rows (key, count) as {"key","count"} objects. */
static int key_count(void *arg, const struct roost_store_row *row)
{
    struct items *it = arg;
    if (row->values == NULL || row->n_cols < 2) {
        return 0;
    }
    const char *k = row->values[0] != NULL ? row->values[0] : "";
    int rc = roost_buf_adds(it->out, it->n > 0 ? ",{\"key\":" : "{\"key\":");
    if (rc == 0) {
        rc = roost_buf_add_json_str(it->out, k, row->lens[0]);
    }
    if (rc == 0) {
        rc = roost_buf_printf(it->out, ",\"count\":%lld}",
                              row->values[1] != NULL
                                  ? strtoll(row->values[1], NULL, 10)
                                  : 0LL);
    }
    it->n++;
    return rc;
}

bool roost__api_top_kind(const char *kind)
{
    return strcmp(kind, "hashtags") == 0 || strcmp(kind, "mentions") == 0 ||
           strcmp(kind, "authors") == 0 || strcmp(kind, "words") == 0;
}

/* Words too common to say anything in a word cloud; single letters and
 * numbers are skipped too. */
static const char *const stopwords[] = {
    "a", "about", "after", "all", "also", "am", "an", "and", "any", "are",
    "as", "at", "be", "been", "but", "by", "can", "could", "de", "did",
    "do", "does", "don't", "for", "from", "get", "got", "had", "has",
    "have", "he", "her", "him", "his", "how", "i", "i'm", "if", "in",
    "into", "is", "it", "it's", "its", "just", "la", "like", "me", "more",
    "my", "no", "not", "now", "of", "on", "one", "or", "our", "out", "rt",
    "so", "some", "than", "that", "the", "their", "them", "then", "there",
    "they", "this", "to", "up", "us", "was", "we", "were", "what", "when",
    "who", "why", "will", "with", "would", "you", "your",
    /* the commonest function words of the stream's other big languages */
    "que", "el", "los", "las", "del", "por", "con", "una", "un", "para",
    "se", "lo", "le", "les", "des", "et", "est", "je", "il", "pas", "du",
    "der", "die", "das", "und", "ich", "ist", "nicht", "zu", "den", "mit",
    "sie", "es", "ein", "eine", "bir", "ve", "bu", "da", "do", "não", "é",
    "um", "uma", "na", "com", "em", "os", "si", "di", "che", "per", "non",
    "mi", "ti", "te", "ya", "en", "o", "e", NULL,
};

static bool is_stopword(const char *w, size_t len)
{
    if (len == 1) {
        return true;
    }
    for (size_t i = 0; stopwords[i] != NULL; i++) {
        if (strlen(stopwords[i]) == len && memcmp(stopwords[i], w, len) == 0) {
            return true;
        }
    }
    bool digits = true;
    for (size_t i = 0; i < len && digits; i++) {
        digits = w[i] >= '0' && w[i] <= '9';
    }
    return digits;
}

static int count_word(void *arg, const char *word, size_t len)
{
    struct roost_map *m = arg;
    if (is_stopword(word, len)) {
        return 0;
    }
    int rc = roost_map_add(m, word, len, 1);
    return rc == ROOST_ELIMIT ? 0 : rc; /* counted in n_dropped */
}

static int words_of(void *arg, const struct roost_store_row *row)
{
    if (row->values == NULL || row->values[0] == NULL) {
        return 0;
    }
    return roost_tokenize_words(row->values[0], row->lens[0], count_word,
                                arg);
}

static int top_words(struct roost_api *a, struct roost_store *s,
                     const char *where, int64_t limit, struct roost_buf *out,
                     struct roost_diag *diag)
{
    struct roost_map m;
    struct roost_buf sql;
    const struct roost_map_entry **top = NULL;
    int rc;

    roost_map_init(&m, API_MAX_WORD_KEYS);
    roost_buf_init(&sql, 4096);
    rc = roost_buf_printf(&sql,
                          "SELECT p.text FROM posts p WHERE %s "
                          "ORDER BY p.created_at DESC LIMIT %d",
                          where, API_MAX_WORDS_POSTS);
    if (rc == 0) {
        rc = roost__api_query(a, s, sql.ptr, -1, words_of, &m, diag);
    }
    if (rc < 0) {
        goto out_fini;
    }
    top = roost_calloc((size_t)limit, sizeof(*top));
    if (top == NULL) {
        rc = ROOST_ERR(ROOST_ENOMEM);
        goto out_fini;
    }
    size_t n = roost_map_top(&m, (size_t)limit, top);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = roost_buf_adds(out, i > 0 ? ",{\"key\":" : "{\"key\":");
        if (rc == 0) {
            rc = roost_buf_add_json_str(out, top[i]->key.ptr, top[i]->key.len);
        }
        if (rc == 0) {
            rc = roost_buf_printf(out, ",\"count\":%llu}",
                                  (unsigned long long)top[i]->count);
        }
    }

out_fini:
    roost_free(top);
    roost_buf_fini(&sql);
    roost_map_fini(&m);
    return rc;
}

int roost__api_top_items(struct roost_api *a, struct roost_store *s,
                         const char *kind, int64_t lo, int64_t limit,
                         struct roost_buf *out, struct roost_diag *diag)
{
    char where[160];
    struct roost_buf sql;
    int rc;

    if (lo == API_NO_TIME) {
        snprintf(where, sizeof(where), "%s", LIVE);
    } else {
        snprintf(where, sizeof(where), "p.created_at >= %lld AND %s",
                 (long long)lo, LIVE);
    }
    rc = roost_buf_addc(out, '[');
    if (rc < 0) {
        return rc;
    }
    if (strcmp(kind, "words") == 0) {
        rc = top_words(a, s, where, limit, out, diag);
        return rc == 0 ? roost_buf_addc(out, ']') : rc;
    }
    roost_buf_init(&sql, 4096);
    if (strcmp(kind, "hashtags") == 0 || strcmp(kind, "mentions") == 0) {
        bool tags = kind[0] == 'h';
        const char *tbl = tags ? "hashtags" : "mentions";
        const char *key = tags ? "tag_lower" : "handle_lower";
        if (lo == API_NO_TIME) {
            rc = roost_buf_printf(&sql,
                                  "SELECT e.%s AS k, count(DISTINCT e.post_id)"
                                  " AS n FROM %s e JOIN posts p ON p.id = "
                                  "e.post_id WHERE %s GROUP BY k ORDER BY n"
                                  " DESC, k LIMIT %lld",
                                  key, tbl, LIVE, (long long)limit);
        } else {
            rc = roost_buf_printf(&sql,
                                  "SELECT e.%s AS k, count(DISTINCT e.post_id)"
                                  " AS n FROM %s e JOIN posts p ON p.id = "
                                  "e.post_id WHERE e.created_at >= %lld AND "
                                  "%s GROUP BY k ORDER BY n DESC, k LIMIT "
                                  "%lld",
                                  key, tbl, (long long)lo, LIVE,
                                  (long long)limit);
        }
    } else {
        rc = roost_buf_printf(&sql,
                              "SELECT coalesce(max(p.author_handle), "
                              "p.author_id) AS k, count(*) AS n FROM posts p"
                              " WHERE p.author_id IS NOT NULL AND %s GROUP "
                              "BY p.author_id ORDER BY n DESC, k LIMIT %lld",
                              where, (long long)limit);
    }
    struct items it = { .out = out };
    if (rc == 0) {
        rc = roost__api_query(a, s, sql.ptr, limit, key_count, &it, diag);
    }
    roost_buf_fini(&sql);
    return rc == 0 ? roost_buf_addc(out, ']') : rc;
}

struct buckets {
    int64_t first, n;
    int64_t *counts;
};

static int bucket_row(void *arg, const struct roost_store_row *row)
{
    struct buckets *b = arg;
    if (row->values == NULL || row->values[0] == NULL) {
        return 0;
    }
    int64_t k = strtoll(row->values[0], NULL, 10) - b->first;
    if (k >= 0 && k < b->n) {
        b->counts[k] = strtoll(row->values[1], NULL, 10);
    }
    return 0;
}

int roost__api_rate_points(struct roost_api *a, struct roost_store *s,
                           int64_t newest, int64_t step_ms, int64_t n,
                           struct roost_buf *out, struct roost_diag *diag)
{
    char sql[320];
    int rc = roost_buf_addc(out, '[');
    if (rc < 0 || newest == API_NO_TIME) {
        return rc == 0 ? roost_buf_addc(out, ']') : rc;
    }
    assert(n > 0 && n <= API_MAX_RATE_POINTS && step_ms > 0);
    /* floor division, so buckets match the view's created_at / 2000 */
    int64_t last = newest >= 0 ? newest / step_ms
                               : -((-newest + step_ms - 1) / step_ms);
    struct buckets b = { .first = last - n + 1, .n = n };
    b.counts = roost_calloc((size_t)n, sizeof(*b.counts));
    if (b.counts == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    snprintf(sql, sizeof(sql),
             "SELECT p.created_at / %lld AS b, count(*) FROM posts p WHERE "
             "p.created_at >= %lld AND %s GROUP BY b",
             (long long)step_ms, (long long)(b.first * step_ms), LIVE);
    rc = roost__api_query(a, s, sql, -1, bucket_row, &b, diag);
    for (int64_t i = 0; rc == 0 && i < n; i++) {
        char iso[32];
        roost_time_format((b.first + i) * step_ms, iso);
        rc = roost_buf_printf(out, "%s{\"t\":\"%s\",\"count\":%lld}",
                              i > 0 ? "," : "", iso, (long long)b.counts[i]);
    }
    roost_free(b.counts);
    return rc == 0 ? roost_buf_addc(out, ']') : rc;
}

struct ids {
    char **ids;
    size_t n, cap;
    int64_t max_seq;
    bool any;
};

static int collect_id(void *arg, const struct roost_store_row *row)
{
    struct ids *x = arg;
    if (row->values == NULL || row->values[0] == NULL || x->n >= x->cap) {
        return 0;
    }
    x->ids[x->n] = roost_strndup(row->values[0], row->lens[0]);
    if (x->ids[x->n] == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    x->n++;
    if (row->n_cols > 1 && row->values[1] != NULL) {
        int64_t seq = strtoll(row->values[1], NULL, 10);
        if (!x->any || seq > x->max_seq) {
            x->max_seq = seq;
            x->any = true;
        }
    }
    return 0;
}

int roost__api_posts(struct roost_api *a, struct roost_store *s,
                     const char *sql, int64_t limit, struct roost_buf *out,
                     int64_t *max_seq, struct roost_diag *diag)
{
    struct ids x = { .cap = (size_t)(limit < POSTS_JSON_MAX_IDS
                                         ? limit
                                         : POSTS_JSON_MAX_IDS) };
    int rc;

    x.ids = roost_calloc(x.cap + 1, sizeof(*x.ids));
    if (x.ids == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    rc = roost__api_query(a, s, sql, (int64_t)x.cap, collect_id, &x, diag);
    if (rc == 0) {
        rc = roost_buf_addc(out, '[');
    }
    if (rc == 0) {
        rc = roost_store_posts_json(s, (const char *const *)x.ids, x.n, out,
                                    diag);
    }
    if (rc == 0) {
        rc = roost_buf_addc(out, ']');
    }
    if (rc == 0 && x.any && max_seq != NULL) {
        *max_seq = x.max_seq;
    }
    for (size_t i = 0; i < x.n; i++) {
        roost_free(x.ids[i]);
    }
    roost_free(x.ids);
    return rc;
}

/* ---- /health and /metrics ------------------------------------------------ */

static double uptime_s(const struct roost_api *a)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - a->started.tv_sec) +
           (double)(now.tv_nsec - a->started.tv_nsec) / 1e9;
}

static int get_health(void *arg, const struct roost_http_req *req,
                      struct roost_http_resp *resp)
{
    struct roost_api *a = arg;
    (void)req;
    int rc = roost_buf_adds(&resp->body, "{\"status\":\"ok\",\"version\":");
    if (rc == 0) {
        rc = roost_buf_add_json_str(&resp->body, a->version,
                                    strlen(a->version));
    }
    if (rc == 0) {
        rc = roost_buf_printf(&resp->body, ",\"uptime_s\":%.0f,\"db\":",
                              uptime_s(a));
    }
    if (rc == 0) {
        rc = roost_buf_add_json_str(&resp->body, a->db_path,
                                    strlen(a->db_path));
    }
    return rc == 0 ? roost_buf_addc(&resp->body, '}') : rc;
}

static void store_metrics(struct roost_api *a, struct roost_metrics *m)
{
    static const struct {
        const char *name, *help, *sql;
    } gauges[] = {
        { "roost_store_posts", "delivered posts in the store (not deleted)",
          "SELECT count(*) FROM posts WHERE deleted = 0 AND referenced = 0" },
        { "roost_store_records", "rows in the posts table, referenced and "
          "deleted included", "SELECT count(*) FROM posts" },
        { "roost_store_control_events", "control events in the store",
          "SELECT count(*) FROM control_events" },
        { "roost_store_gaps", "gaps recorded in the store",
          "SELECT count(*) FROM gaps" },
    };
    struct roost_store *s = NULL;
    if (roost__api_store_get(a, &s, NULL) < 0) {
        return;
    }
    for (size_t i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++) {
        int64_t v = 0;
        if (roost__api_i64(a, s, gauges[i].sql, &v, NULL) == 0 &&
            v != API_NO_TIME) {
            roost_metrics_gauge(m, gauges[i].name, gauges[i].help,
                                (double)v);
        }
    }
    roost__api_store_put(a, s);
}

static void http_metrics(struct roost_api *a, struct roost_metrics *m)
{
    struct roost_http_stats st;
    roost_http_stats(a->http, &st);
    roost_metrics_family(m, "roost_http_requests_total", "counter",
                         "HTTP requests answered, by status class");
    const char *l2[] = { "code", "2xx", NULL };
    const char *l4[] = { "code", "4xx", NULL };
    const char *l5[] = { "code", "5xx", NULL };
    roost_metrics_sample(m, "roost_http_requests_total", l2,
                         (double)st.n_2xx);
    roost_metrics_sample(m, "roost_http_requests_total", l4,
                         (double)st.n_4xx);
    roost_metrics_sample(m, "roost_http_requests_total", l5,
                         (double)st.n_5xx);
    roost_metrics_counter(m, "roost_http_unauthorized_total",
                          "requests refused for a missing or wrong token",
                          (double)st.n_unauthorized);
    roost_metrics_counter(m, "roost_http_too_large_total",
                          "requests refused as too large",
                          (double)st.n_too_large);
    roost_metrics_gauge(m, "roost_sse_clients",
                        "event-stream clients connected now",
                        (double)st.n_sse_clients);
    roost_metrics_counter(m, "roost_sse_refused_total",
                          "event-stream clients refused over the cap",
                          (double)st.n_sse_refused);
    roost_metrics_counter(m, "roost_sse_dropped_total",
                          "event-stream clients dropped: could not keep up",
                          (double)st.n_sse_dropped);
    pthread_mutex_lock(&a->cache_mu);
    uint64_t hits = a->n_cache_hits, misses = a->n_cache_misses;
    pthread_mutex_unlock(&a->cache_mu);
    roost_metrics_counter(m, "roost_api_cache_hits_total",
                          "aggregate answers served from the 1 s cache",
                          (double)hits);
    roost_metrics_counter(m, "roost_api_cache_misses_total",
                          "aggregate answers computed", (double)misses);
    roost_metrics_counter(m, "roost_sse_events_total",
                          "events published to the event stream",
                          (double)st.n_sse_events);
}

static void pipeline_metrics(struct roost_api *a, struct roost_metrics *m)
{
    struct roost_pipeline_stats st;
    memset(&st, 0, sizeof(st));
    a->cfg.pipeline_stats(a->cfg.pipeline_arg, &st);
    roost_metrics_counter(m, "roost_records_in_total",
                          "records processed by the pipeline",
                          (double)st.n_records);
    roost_metrics_counter(m, "roost_bytes_in_total",
                          "bytes of records processed", (double)st.n_bytes);
    roost_metrics_counter(m, "roost_posts_out_total", "posts normalized",
                          (double)st.n_posts);
    roost_metrics_counter(m, "roost_control_events_total",
                          "control events normalized", (double)st.n_ctls);
    roost_metrics_counter(m, "roost_sink_writes_total",
                          "batches written to sinks",
                          (double)st.n_sink_writes);
    roost_metrics_counter(m, "roost_sink_retries_total",
                          "transient sink failures retried",
                          (double)st.n_sink_retries);
    roost_metrics_counter(m, "roost_sink_waits_total",
                          "sink writes that waited for the sink's writer "
                          "thread (backpressure)",
                          (double)st.n_sink_waits);
    roost_metrics_counter(m, "roost_archived_total", "records archived",
                          (double)st.n_archived);
    roost_metrics_counter(m, "roost_recovered_total",
                          "archived records re-processed at start",
                          (double)st.n_recovered);
    roost_metrics_family(m, "roost_dead_letters_total", "counter",
                         "records sent to the dead-letter file, by reason");
    const struct {
        const char *reason;
        uint64_t n;
    } dead[] = {
        { "parse", st.n_dead_parse }, { "utf8", st.n_dead_utf8 },
        { "limit", st.n_dead_limit }, { "other", st.n_dead_other },
        { "sink", st.n_dead_sink },
    };
    for (size_t i = 0; i < sizeof(dead) / sizeof(dead[0]); i++) {
        const char *l[] = { "reason", dead[i].reason, NULL };
        roost_metrics_sample(m, "roost_dead_letters_total", l,
                             (double)dead[i].n);
    }
    roost_metrics_gauge(m, "roost_queue_depth", "batches queued in memory",
                        (double)st.queue.depth);
    roost_metrics_gauge(m, "roost_queue_bytes", "bytes queued in memory",
                        (double)st.queue.depth_bytes);
    roost_metrics_gauge(m, "roost_queue_spill_depth",
                        "batches spilled to disk now",
                        (double)st.queue.spill_depth);
    roost_metrics_counter(m, "roost_queue_spilled_total",
                          "batches spilled to disk",
                          (double)st.queue.n_spilled);
    roost_metrics_counter(m, "roost_queue_dropped_total",
                          "batches dropped by the queue",
                          (double)st.queue.n_dropped);
    roost_metrics_counter(m, "roost_queue_blocked_total",
                          "pushes that waited for room",
                          (double)st.queue.n_blocked);
    roost_metrics_gauge(m, "roost_sources", "sources configured",
                        (double)st.n_sources);
    roost_metrics_gauge(m, "roost_sources_done", "sources that ended",
                        (double)st.n_sources_done);
}

static void engine_metrics(struct roost_api *a, struct roost_metrics *m)
{
    struct roost_api_engine_stats st;
    memset(&st, 0, sizeof(st));
    a->cfg.engine_stats(a->cfg.engine_arg, &st);
    roost_metrics_gauge(m, "roost_queries", "continuous queries running",
                        (double)st.n_queries);
    roost_metrics_counter(m, "roost_query_triggers_total",
                          "query triggers (result updates)",
                          (double)st.n_triggers);
    roost_metrics_counter(m, "roost_late_rows_total",
                          "rows dropped as later than the allowed lateness",
                          (double)st.n_late_rows);
    roost_metrics_gauge(m, "roost_state_bytes",
                        "window and aggregate state of all queries",
                        (double)st.state_bytes);
}

static void source_metrics(struct roost_api *a, struct roost_metrics *m)
{
    struct roost_api_source *src =
        roost_calloc(ROOST_API_MAX_SOURCES, sizeof(*src));
    if (src == NULL) {
        return;
    }
    size_t n = a->cfg.sources(a->cfg.sources_arg, src, ROOST_API_MAX_SOURCES);
    static const struct {
        const char *name, *type, *help;
    } fam[] = {
        { "roost_source_records_total", "counter", "records received" },
        { "roost_source_bytes_total", "counter", "bytes received" },
        { "roost_source_reconnects_total", "counter", "reconnections" },
        { "roost_source_gaps_total", "counter", "gaps detected" },
        { "roost_source_gap_seconds_total", "counter",
          "seconds of stream known to be missing" },
    };
    for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
        roost_metrics_family(m, fam[f].name, fam[f].type, fam[f].help);
        for (size_t i = 0; i < n; i++) {
            const char *l[] = { "source", src[i].name, NULL };
            double v = f == 0   ? (double)src[i].n_records
                       : f == 1 ? (double)src[i].n_bytes
                       : f == 2 ? (double)src[i].n_reconnects
                       : f == 3 ? (double)src[i].n_gaps
                                : src[i].gap_s;
            roost_metrics_sample(m, fam[f].name, l, v);
        }
    }
    roost_free(src);
}

static int get_metrics(void *arg, const struct roost_http_req *req,
                       struct roost_http_resp *resp)
{
    struct roost_api *a = arg;
    struct roost_metrics m = { .out = &resp->body };
    (void)req;
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    roost_metrics_gauge(&m, "roost_uptime_seconds", "seconds since start",
                        uptime_s(a));
    store_metrics(a, &m);
    http_metrics(a, &m);
    if (a->cfg.pipeline_stats != NULL) {
        pipeline_metrics(a, &m);
    }
    if (a->cfg.engine_stats != NULL) {
        engine_metrics(a, &m);
    }
    if (a->cfg.sources != NULL) {
        source_metrics(a, &m);
    }
    return m.rc;
}

/* ---- the answer cache ---------------------------------------------------- */

/*
 * Aggregates (top, rate, hashtag, geo, poll) cost tens of milliseconds on
 * a big store, and a dashboard asks the same ones from every tab. So
 * their 200 answers are kept for CACHE_TTL_MS, keyed by path and
 * arguments, and computed once: a request that finds its key being
 * computed waits for that answer instead of starting another (no
 * thundering herd when an entry expires under load).
 */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool cache_key(const struct roost_http_req *req, char *key, size_t cap)
{
    static const char *const args[] = { "window", "limit", "step", "terms",
                                        NULL };
    int n = snprintf(key, cap, "%s", req->path);
    for (size_t i = 0; args[i] != NULL && n >= 0 && (size_t)n < cap; i++) {
        const char *v = roost_http_arg(req, args[i]);
        if (v != NULL) {
            n += snprintf(key + n, cap - (size_t)n, "&%s=%s", args[i], v);
        }
    }
    return n >= 0 && (size_t)n < cap;
}

static struct api_cache_entry *cache_find(struct roost_api *a,
                                          const char *key)
{
    for (size_t i = 0; i < API_CACHE_SLOTS; i++) {
        if (strcmp(a->cache[i].key, key) == 0) {
            return &a->cache[i];
        }
    }
    return NULL;
}

/* cache_victim - a free slot, else the oldest one not being computed. */
static struct api_cache_entry *cache_victim(struct roost_api *a)
{
    struct api_cache_entry *v = NULL;
    for (size_t i = 0; i < API_CACHE_SLOTS; i++) {
        struct api_cache_entry *e = &a->cache[i];
        if (e->key[0] == '\0') {
            return e;
        }
        if (!e->busy && (v == NULL || e->at_ms < v->at_ms)) {
            v = e;
        }
    }
    return v;
}

static int cached(struct roost_api *a, roost_http_fn *fn,
                  const struct roost_http_req *req,
                  struct roost_http_resp *resp)
{
    char key[API_CACHE_KEY_BYTES];
    struct api_cache_entry *e;
    struct timespec until;

    if (!cache_key(req, key, sizeof(key))) {
        return fn(a, req, resp);
    }
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += CACHE_WAIT_MS / 1000;
    pthread_mutex_lock(&a->cache_mu);
    for (;;) {
        e = cache_find(a, key);
        if (e == NULL || !e->busy) {
            break;
        }
        if (pthread_cond_timedwait(&a->cache_cv, &a->cache_mu, &until) ==
            ETIMEDOUT) {
            pthread_mutex_unlock(&a->cache_mu);
            return fn(a, req, resp); /* compute it ourselves */
        }
    }
    if (e != NULL && now_ms() - e->at_ms < CACHE_TTL_MS) {
        a->n_cache_hits++;
        int rc = roost_buf_add(&resp->body, e->body, e->len);
        pthread_mutex_unlock(&a->cache_mu);
        return rc;
    }
    a->n_cache_misses++;
    if (e == NULL) {
        e = cache_victim(a);
    }
    if (e == NULL) { /* every slot is being computed */
        pthread_mutex_unlock(&a->cache_mu);
        return fn(a, req, resp);
    }
    snprintf(e->key, sizeof(e->key), "%s", key);
    e->busy = true;
    roost_free(e->body);
    e->body = NULL;
    e->len = 0;
    pthread_mutex_unlock(&a->cache_mu);

    int rc = fn(a, req, resp);

    pthread_mutex_lock(&a->cache_mu);
    e->busy = false;
    if (rc == 0 && resp->status == 200 && resp->body.len <= CACHE_MAX_BODY &&
        (e->body = roost_malloc(resp->body.len + 1)) != NULL) {
        memcpy(e->body, resp->body.ptr ? resp->body.ptr : "", resp->body.len);
        e->len = resp->body.len;
        e->at_ms = now_ms();
    } else {
        e->key[0] = '\0'; /* errors are not cached */
    }
    pthread_cond_broadcast(&a->cache_cv);
    pthread_mutex_unlock(&a->cache_mu);
    return rc;
}

#define CACHED(name, fn)                                                     \
    static int name(void *arg, const struct roost_http_req *req,             \
                    struct roost_http_resp *resp)                            \
    {                                                                        \
        return cached(arg, fn, req, resp);                                   \
    }

CACHED(get_top, roost__api_get_top)
CACHED(get_rate, roost__api_get_rate)
CACHED(get_hashtag, roost__api_get_hashtag)
CACHED(get_geo, roost__api_get_geo)
CACHED(get_poll, roost__api_get_poll)

/* ---- lifecycle ----------------------------------------------------------- */

static const struct {
    const char *method, *path;
    roost_http_fn *fn;
} routes[] = {
    { "GET", "/health", get_health },
    { "GET", "/metrics", get_metrics },
    { "GET", "/api/v1/posts", roost__api_get_posts },
    { "GET", "/api/v1/top/*", get_top },
    { "GET", "/api/v1/rate", get_rate },
    { "GET", "/api/v1/hashtag/*", get_hashtag },
    { "GET", "/api/v1/search", roost__api_get_search },
    { "GET", "/api/v1/geo", get_geo },
    { "GET", "/api/v1/poll", get_poll },
    { "GET", "/api/v1/queries", roost__api_get_queries },
    { "GET", "/api/v1/queries/*", roost__api_get_query_table },
    { "GET", "/api/v1/sources", roost__api_get_sources },
    { "POST", "/api/v1/query", roost__api_post_query },
};

int roost_api_new(const struct roost_api_cfg *cfg, struct roost_http *http,
                  struct roost_api **out, struct roost_diag *diag)
{
    struct roost_store *s = NULL;
    int rc;

    if (cfg->db_path == NULL) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                              "the API needs a store (--db FILE)");
    }
    struct roost_api *a = roost_calloc(1, sizeof(*a));
    if (a == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    a->cfg = *cfg;
    if (a->cfg.n_conns == 0) {
        a->cfg.n_conns = DEFAULT_CONNS;
    }
    if (a->cfg.n_conns > API_MAX_CONNS) {
        a->cfg.n_conns = API_MAX_CONNS;
    }
    if (a->cfg.query_limit_ms <= 0) {
        a->cfg.query_limit_ms = 2000;
    }
    if (a->cfg.read_limit_ms <= 0) {
        a->cfg.read_limit_ms = 10000;
    }
    a->http = http;
    a->db_path = roost_strndup(cfg->db_path, strlen(cfg->db_path));
    const char *v = cfg->version != NULL ? cfg->version : "unknown";
    a->version = roost_strndup(v, strlen(v));
    if (a->db_path == NULL || a->version == NULL) {
        rc = ROOST_ERR(ROOST_ENOMEM);
        goto out_free;
    }
    a->cfg.db_path = a->db_path;
    a->cfg.version = a->version;
    clock_gettime(CLOCK_MONOTONIC, &a->started);
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    pthread_mutex_init(&a->cache_mu, NULL);
    pthread_cond_init(&a->cache_cv, NULL);
    rc = roost__api_store_get(a, &s, diag); /* fails early on a bad file */
    if (rc < 0) {
        goto out_destroy;
    }
    roost__api_store_put(a, s);
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        rc = roost_http_route(http, routes[i].method, routes[i].path,
                              routes[i].fn, a);
        if (rc < 0) {
            roost_diag_set(diag, rc, 0, "cannot add route %s",
                           routes[i].path);
            goto out_destroy;
        }
    }
    if (cfg->sse) {
        rc = roost_http_sse_path(http, "/api/v1/stream");
        if (rc < 0) {
            goto out_destroy;
        }
    }
    *out = a;
    return 0;

out_destroy:
    while (a->n_idle > 0) {
        roost_store_close(a->idle[--a->n_idle]);
    }
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->cache_cv);
    pthread_mutex_destroy(&a->cache_mu);
out_free:
    roost_free(a->db_path);
    roost_free(a->version);
    roost_free(a);
    return rc;
}

void roost_api_free(struct roost_api *a)
{
    if (a == NULL) {
        return;
    }
    assert(a->n_idle == a->n_open);
    while (a->n_idle > 0) {
        roost_store_close(a->idle[--a->n_idle]);
    }
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    for (size_t i = 0; i < API_CACHE_SLOTS; i++) {
        roost_free(a->cache[i].body);
    }
    pthread_cond_destroy(&a->cache_cv);
    pthread_mutex_destroy(&a->cache_mu);
    roost_free(a->db_path);
    roost_free(a->version);
    roost_free(a);
}
