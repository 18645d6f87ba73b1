/* SPDX-License-Identifier: MIT
 *
 * src_github.c - GitHub events by polling the REST API (libcurl).
 *
 *     github:https://api.github.com/repos/torvalds/linux/events
 *     github:https://api.github.com/events?interval=60s
 *
 * Each poll GETs the URL (with per_page) and sends If-None-Match with
 * the last ETag, so an unchanged feed costs a 304 and no rate limit.
 * Polls are spaced by `interval`, never closer than the X-Poll-Interval
 * the server asks for; when X-RateLimit-Remaining reaches 0 the next poll
 * waits for X-RateLimit-Reset (or Retry-After). Every delay is multiplied
 * by time-scale for tests. The token (token=, else the environment
 * variable token-env) goes in "Authorization: Bearer" and is never logged;
 * 401 is reported once and retried auth-retries times, then the source
 * ends with ROOST_EIO. Network and 5xx errors back off exponentially.
 *
 * Records. A page is a JSON array, newest first. Each event (the bytes of
 * one array element, exactly as received) becomes one record, oldest
 * first. Event ids grow, so the highest id emitted is the watermark and
 * the position: "github\t<id>". Events at or below it (the overlap of
 * consecutive pages) are dropped; after a restart src->resume restores
 * the watermark. fmt_github.c normalizes the events.
 *
 * Gaps. A failed poll followed by a good one, or a full page whose oldest
 * event is already past the watermark (more events happened than one page
 * holds), appends a roost_gap record before the first new event.
 *
 * Start at gh_poll().
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"
#include "parse/json.h"
#include "source/netsrc_int.h"
#include "source/source.h"
#include "source/source_int.h"

#define MAX_ELEMS 1000 /* events per page we keep (GitHub sends <= 100) */

struct elem {
    size_t off;
    size_t len;
};

struct gh_ctx {
    /* options */
    int64_t interval_ms;
    int64_t per_page;
    char *token;
    char *token_env;
    int64_t reconnect_min_ms;
    int64_t reconnect_max_ms;
    int64_t timeout_ms;
    double time_scale;
    int64_t auth_retries;
    size_t max_response;

    /* state */
    bool is_open;
    const char *name;
    char url[2048];
    char auth[1024];
    CURLM *multi;
    CURL *easy;
    struct curl_slist *headers;
    bool busy;       /* a request is in flight */
    int64_t next_ms; /* monotonic: next request */
    int64_t poll_s;  /* X-Poll-Interval */
    int64_t rl_remaining;
    int64_t rl_reset_s; /* epoch seconds */
    int64_t retry_after_s;
    char etag[256];
    char new_etag[256];
    long status;
    int64_t n_auth_fails;
    bool failed;
    char err[CURL_ERROR_SIZE + 32];
    char curl_err[CURL_ERROR_SIZE];
    struct roost__backoff backoff;
    struct roost__gap gap;
    char watermark[32]; /* highest event id emitted, digits */

    struct roost_buf body;
    struct elem elems[MAX_ELEMS];
    size_t n_elems;   /* of the current page, newest first */
    size_t next_elem; /* emitting from n_elems - 1 down to 0 */
    struct roost_json_doc doc;

    struct {
        uint64_t n_polls, n_not_modified, n_events, n_errors, n_overruns;
    } stats;
};

static const struct roost_option gh_options[] = {
    ROOST_OPT_MS("interval", "60s", struct gh_ctx, interval_ms,
                 "time between polls (X-Poll-Interval may raise it)"),
    ROOST_OPT_INT("per-page", "100", struct gh_ctx, per_page,
                  "events per request (GitHub allows up to 100)"),
    ROOST_OPT_STR("token", NULL, struct gh_ctx, token,
                  "API token (prefer token-env)"),
    ROOST_OPT_STR("token-env", "GITHUB_TOKEN", struct gh_ctx, token_env,
                  "environment variable holding the token"),
    ROOST_OPT_MS("reconnect-min", "5s", struct gh_ctx, reconnect_min_ms,
                 "first backoff after a failed poll; doubles"),
    ROOST_OPT_MS("reconnect-max", "10m", struct gh_ctx, reconnect_max_ms,
                 "longest backoff"),
    ROOST_OPT_MS("timeout", "30s", struct gh_ctx, timeout_ms,
                 "give up one request after this long"),
    ROOST_OPT_DOUBLE("time-scale", "1", struct gh_ctx, time_scale,
                     "multiply every wait by this (tests: 0.01)"),
    ROOST_OPT_INT("auth-retries", "3", struct gh_ctx, auth_retries,
                  "refused tokens (401) before the source ends"),
    ROOST_OPT_SIZE("max-response", "16MiB", struct gh_ctx, max_response,
                   "largest page accepted"),
    ROOST_OPT_END,
};

/* ---- ids ------------------------------------------------------------------
 */

/* id_cmp - numeric order of two digit strings. */
static int id_cmp(struct roost_str a, const char *b)
{
    size_t bl = strlen(b);
    if (a.len != bl) {
        return a.len < bl ? -1 : 1;
    }
    return memcmp(a.ptr, b, bl);
}

static bool is_digits(struct roost_str s)
{
    if (s.len == 0 || s.len >= 32) {
        return false;
    }
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9') {
            return false;
        }
    }
    return true;
}

/* ---- curl callbacks ---------------------------------------------------------
 */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct gh_ctx *ctx = arg;
    size_t len = size * n;
    return roost_buf_add(&ctx->body, p, len) == 0 ? len : 0;
}

static int64_t header_int(const char *v, size_t len)
{
    char num[32];
    if (len >= sizeof(num)) {
        return -1;
    }
    memcpy(num, v, len);
    num[len] = '\0';
    char *end = NULL;
    long long x = strtoll(num, &end, 10);
    return end != num ? (int64_t)x : -1;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct gh_ctx *ctx = arg;
    size_t len = size * n;
    const char *colon = memchr(p, ':', len);
    if (colon == NULL) {
        return len;
    }
    size_t klen = (size_t)(colon - p);
    const char *v = colon + 1;
    size_t vlen = len - klen - 1;
    while (vlen > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        vlen--;
    }
    while (vlen > 0 &&
           (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' ')) {
        vlen--;
    }
#define IS(k) (klen == strlen(k) && strncasecmp(p, k, klen) == 0)
    if (IS("etag") && vlen < sizeof(ctx->new_etag)) {
        memcpy(ctx->new_etag, v, vlen);
        ctx->new_etag[vlen] = '\0';
    } else if (IS("x-poll-interval")) {
        ctx->poll_s = header_int(v, vlen);
    } else if (IS("x-ratelimit-remaining")) {
        ctx->rl_remaining = header_int(v, vlen);
    } else if (IS("x-ratelimit-reset")) {
        ctx->rl_reset_s = header_int(v, vlen);
    } else if (IS("retry-after")) {
        ctx->retry_after_s = header_int(v, vlen);
    }
#undef IS
    return len;
}

/* ---- pages ----------------------------------------------------------------
 */

/*
 * split_array - the byte ranges of the top-level elements of a JSON array
 * (the page is already validated, so strings and depth are all there is
 * to track). Returns the count, or -1 when it is not an array.
 */
static int split_array(struct gh_ctx *ctx)
{
    const char *p = ctx->body.ptr;
    size_t len = ctx->body.len;
    size_t i = 0;
    while (i < len &&
           (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t')) {
        i++;
    }
    if (i == len || p[i] != '[') {
        return -1;
    }
    int depth = 0;
    bool in_str = false;
    size_t start = 0;
    ctx->n_elems = 0;
    for (; i < len; i++) {
        char c = p[i];
        if (in_str) {
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                in_str = false;
            }
            continue;
        }
        if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth == 2) {
                start = i;
            }
        } else if (c == '}' || c == ']') {
            if (depth-- == 2 && ctx->n_elems < MAX_ELEMS) {
                ctx->elems[ctx->n_elems].off = start;
                ctx->elems[ctx->n_elems].len = i + 1 - start;
                ctx->n_elems++;
            }
        }
    }
    return (int)ctx->n_elems;
}

/* element_id - the "id" of element k, or a NULL view. */
static struct roost_str element_id(struct gh_ctx *ctx, size_t k)
{
    const struct elem *e = &ctx->elems[k];
    if (roost_json_parse(&ctx->doc, ctx->body.ptr + e->off, e->len, NULL) < 0) {
        return ROOST_STR_NULL;
    }
    struct roost_str id =
        roost_json_text(&ctx->doc, roost_json_get(&ctx->doc, 0, "id"));
    return is_digits(id) ? id : ROOST_STR_NULL;
}

static void page_received(struct gh_ctx *ctx)
{
    if (roost_json_valid(ctx->body.ptr, ctx->body.len, 0, NULL) < 0 ||
        split_array(ctx) < 0) {
        ctx->n_elems = 0;
        snprintf(ctx->err, sizeof(ctx->err), "page is not a JSON array");
        ctx->stats.n_errors++;
        return;
    }
    ctx->next_elem = ctx->n_elems;
    /* a full page that starts past the watermark may have skipped some */
    if (ctx->watermark[0] != '\0' && ctx->n_elems > 0 &&
        ctx->n_elems >= (size_t)ctx->per_page) {
        struct roost_str oldest = element_id(ctx, ctx->n_elems - 1);
        if (oldest.ptr != NULL && id_cmp(oldest, ctx->watermark) > 0) {
            ctx->stats.n_overruns++;
            roost__gap_open(&ctx->gap, ctx->watermark,
                            "more events than one page between polls");
        }
    }
}

static int add(struct gh_ctx *ctx, struct roost_batch *out, const char *p,
               size_t len, int err)
{
    char pos[64];
    int n = snprintf(pos, sizeof(pos), "github\t%s", ctx->watermark);
    return roost_batch_add(out, p, len, roost__now_ms(), pos, (size_t)n, 0,
                           err);
}

/* emit - the page's new events, oldest first. */
static int emit(struct gh_ctx *ctx, struct roost_batch *out)
{
    while (ctx->next_elem > 0) {
        size_t k = ctx->next_elem - 1;
        const struct elem *e = &ctx->elems[k];
        struct roost_str id = element_id(ctx, k);
        if (id.ptr != NULL && ctx->watermark[0] != '\0' &&
            id_cmp(id, ctx->watermark) <= 0) {
            ctx->next_elem--;
            continue; /* seen in an earlier page */
        }
        char old[32];
        memcpy(old, ctx->watermark, sizeof(old));
        if (id.ptr != NULL) {
            memcpy(ctx->watermark, id.ptr, id.len);
            ctx->watermark[id.len] = '\0';
        }
        if (ctx->gap.open) {
            struct roost_buf g;
            roost_buf_init(&g, 4096);
            int rc = roost__gap_write(&ctx->gap, ctx->name, "github", ctx->watermark, &g);
            if (rc == 0) {
                rc = add(ctx, out, g.ptr, g.len, 0);
            }
            roost_buf_fini(&g);
            if (rc < 0) {
                ctx->gap.open = true;
                memcpy(ctx->watermark, old, sizeof(old));
                return rc;
            }
        }
        int rc = add(ctx, out, ctx->body.ptr + e->off, e->len,
                     id.ptr != NULL ? 0 : ROOST_EPARSE);
        if (rc < 0) {
            memcpy(ctx->watermark, old, sizeof(old));
            return rc;
        }
        ctx->stats.n_events++;
        ctx->next_elem--;
    }
    return 0;
}

/* ---- requests ---------------------------------------------------------------
 */

static int start_request(struct gh_ctx *ctx)
{
    struct curl_slist *h = NULL;
    struct curl_slist *t =
        curl_slist_append(NULL, "Accept: application/vnd.github+json");
    h = t;
    if (t != NULL && ctx->auth[0] != '\0') {
        t = curl_slist_append(h, ctx->auth);
    }
    if (t != NULL && ctx->etag[0] != '\0') {
        char inm[300];
        snprintf(inm, sizeof(inm), "If-None-Match: %s", ctx->etag);
        t = curl_slist_append(h, inm);
    }
    ctx->easy = curl_easy_init();
    if (t == NULL || ctx->easy == NULL) {
        curl_slist_free_all(h);
        curl_easy_cleanup(ctx->easy);
        ctx->easy = NULL;
        return ROOST_ERR(ROOST_ENOMEM);
    }
    curl_slist_free_all(ctx->headers);
    ctx->headers = h;
    CURL *e = ctx->easy;
    curl_easy_setopt(e, CURLOPT_URL, ctx->url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, ctx->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, ctx);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, ctx);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, ctx->curl_err);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "roost/" ROOST_VERSION);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)ctx->timeout_ms);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    roost_buf_reset(&ctx->body);
    ctx->n_elems = ctx->next_elem = 0;
    ctx->new_etag[0] = '\0';
    ctx->curl_err[0] = '\0';
    ctx->poll_s = ctx->rl_remaining = ctx->rl_reset_s = -1;
    ctx->retry_after_s = -1;
    if (curl_multi_add_handle(ctx->multi, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        ctx->easy = NULL;
        return ROOST_ERR(ROOST_ENOMEM);
    }
    ctx->busy = true;
    ctx->stats.n_polls++;
    return 0;
}

static int64_t scaled(const struct gh_ctx *ctx, int64_t ms)
{
    return (int64_t)((double)ms * ctx->time_scale);
}

/* request_done - status, headers and page into the next step. */
static void request_done(struct gh_ctx *ctx, CURLcode res)
{
    long code = 0;
    curl_easy_getinfo(ctx->easy, CURLINFO_RESPONSE_CODE, &code);
    curl_multi_remove_handle(ctx->multi, ctx->easy);
    curl_easy_cleanup(ctx->easy);
    ctx->easy = NULL;
    ctx->busy = false;
    int64_t now = roost__netsrc_mono_ms();
    int64_t wait = ctx->interval_ms;
    if (ctx->poll_s > 0 && ctx->poll_s * 1000 > wait) {
        wait = ctx->poll_s * 1000;
    }
    bool ok = res == CURLE_OK && (code == 200 || code == 304);
    if (ok) {
        ctx->n_auth_fails = 0;
        roost__backoff_reset(&ctx->backoff);
        roost__backoff_next(&ctx->backoff); /* consume the "immediate" */
        if (code == 200) {
            page_received(ctx);
            if (ctx->new_etag[0] != '\0') {
                memcpy(ctx->etag, ctx->new_etag, sizeof(ctx->etag));
            }
        } else {
            ctx->stats.n_not_modified++;
        }
    } else {
        ctx->stats.n_errors++;
        if (res != CURLE_OK) {
            snprintf(ctx->err, sizeof(ctx->err), "%s",
                     ctx->curl_err[0] ? ctx->curl_err
                                      : curl_easy_strerror(res));
        } else {
            snprintf(ctx->err, sizeof(ctx->err), "HTTP %ld", code);
        }
        if (ctx->watermark[0] != '\0') {
            roost__gap_open(&ctx->gap, ctx->watermark, ctx->err);
        }
        if (code == 401) {
            ctx->n_auth_fails++;
            if (ctx->n_auth_fails == 1) {
                roost__netsrc_report(ctx->name,
                                     "server refused the token (HTTP 401): "
                                     "check token/token-env; retrying "
                                     "%" PRId64 " times with backoff",
                                     ctx->auth_retries);
            }
            if (ctx->n_auth_fails > ctx->auth_retries) {
                roost__netsrc_report(ctx->name, "giving up after HTTP 401");
                ctx->failed = true;
                return;
            }
        }
        int64_t b = roost__backoff_next(&ctx->backoff);
        wait = ctx->time_scale > 0 ? (int64_t)((double)b / ctx->time_scale) : b;
    }
    /* rate limits: wait for the reset rather than be refused */
    int64_t rl_wait = -1;
    if (ctx->retry_after_s >= 0 && !ok) {
        rl_wait = ctx->retry_after_s * 1000;
    } else if (ctx->rl_remaining == 0 && ctx->rl_reset_s > 0) {
        rl_wait = (ctx->rl_reset_s * 1000 - roost__now_ms());
    }
    if (rl_wait > wait) {
        wait = rl_wait;
    }
    ctx->next_ms = now + scaled(ctx, wait);
}

/* ---- the plug-in ops --------------------------------------------------------
 */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void init_curl(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int gh_open(struct roost_source *src)
{
    struct gh_ctx *ctx = src->ctx;
    ctx->is_open = true;
    ctx->name = src->name;
    roost_buf_init(&ctx->body, ctx->max_response);
    roost_json_doc_init(&ctx->doc, 0, ctx->max_response);
    memset(&ctx->stats, 0, sizeof(ctx->stats));
    struct roost__url u;
    if (roost__url_parse(src->arg, &u) < 0 ||
        strncmp(u.scheme, "http", 4) != 0) {
        roost__netsrc_report(src->name,
                             "want https://api.github.com/.../events");
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (ctx->interval_ms < 0 || ctx->per_page < 1 || ctx->per_page > 100 ||
        ctx->reconnect_min_ms < 0 || ctx->reconnect_max_ms < 0 ||
        ctx->timeout_ms < 1 || ctx->time_scale <= 0 || ctx->auth_retries < 0 ||
        ctx->max_response < 1024) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    struct roost_buf b;
    roost_buf_init(&b, sizeof(ctx->url) - 1);
    int rc = roost_buf_adds(&b, src->arg);
    if (rc == 0) {
        char pp[16];
        snprintf(pp, sizeof(pp), "%" PRId64, ctx->per_page);
        rc = roost__url_add_param(&b, "per_page", pp, strlen(pp));
    }
    if (rc == 0) {
        memcpy(ctx->url, b.ptr, b.len + 1);
    }
    roost_buf_fini(&b);
    if (rc < 0) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    const char *token = ctx->token;
    if ((token == NULL || token[0] == '\0') && ctx->token_env != NULL) {
        token = getenv(ctx->token_env);
    }
    if (token != NULL && token[0] != '\0') {
        snprintf(ctx->auth, sizeof(ctx->auth), "Authorization: Bearer %s",
                 token);
    }
    const char *tab = strrchr(src->resume, '\t');
    if (tab != NULL && is_digits(roost_str_cstr(tab + 1))) {
        snprintf(ctx->watermark, sizeof(ctx->watermark), "%s", tab + 1);
    }
    pthread_once(&curl_once, init_curl);
    ctx->multi = curl_multi_init();
    if (ctx->multi == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    roost__backoff_init(&ctx->backoff, ctx->reconnect_min_ms,
                        ctx->reconnect_max_ms, ctx->time_scale);
    ctx->next_ms = roost__netsrc_mono_ms();
    return 0;
}

static int gh_fd(struct roost_source *src)
{
    (void)src;
    return -1;
}

/*
 * gh_poll - emit what the last page left, start a due request, drive
 * curl. Returns 0 when it appended records, ROOST_EAGAIN when none,
 * ROOST_ELIMIT when out is full, ROOST_EIO once the token was refused
 * auth-retries times.
 */
static int gh_poll(struct roost_source *src, struct roost_batch *out)
{
    struct gh_ctx *ctx = src->ctx;
    if (!ctx->is_open) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    uint32_t n_before = out->n_recs;
    int rc = emit(ctx, out);
    if (rc < 0) {
        return rc;
    }
    if (ctx->failed) {
        return ROOST_ERR(ROOST_EIO);
    }
    if (!ctx->busy && roost__netsrc_mono_ms() >= ctx->next_ms) {
        rc = start_request(ctx);
        if (rc < 0) {
            return rc;
        }
    }
    if (ctx->busy) {
        int running = 0;
        curl_multi_perform(ctx->multi, &running);
        int left = 0;
        CURLMsg *m;
        while ((m = curl_multi_info_read(ctx->multi, &left)) != NULL) {
            if (m->msg == CURLMSG_DONE && m->easy_handle == ctx->easy) {
                request_done(ctx, m->data.result);
                break;
            }
        }
    }
    rc = emit(ctx, out);
    if (rc < 0) {
        return rc;
    }
    return out->n_recs > n_before ? 0 : ROOST_EAGAIN;
}

static void gh_close(struct roost_source *src)
{
    struct gh_ctx *ctx = src->ctx;
    if (!ctx->is_open) {
        return;
    }
    if (ctx->easy != NULL) {
        curl_multi_remove_handle(ctx->multi, ctx->easy);
        curl_easy_cleanup(ctx->easy);
        ctx->easy = NULL;
    }
    if (ctx->multi != NULL) {
        curl_multi_cleanup(ctx->multi);
        ctx->multi = NULL;
    }
    curl_slist_free_all(ctx->headers);
    ctx->headers = NULL;
    memset(ctx->auth, 0, sizeof(ctx->auth));
    roost_buf_fini(&ctx->body);
    roost_json_doc_fini(&ctx->doc);
    ctx->busy = false;
    ctx->failed = false;
    ctx->n_elems = ctx->next_elem = 0;
    ctx->etag[0] = '\0';
    ctx->watermark[0] = '\0';
    memset(&ctx->gap, 0, sizeof(ctx->gap));
    ctx->is_open = false;
}

const struct roost_source_ops roost_source_github = {
    .name = "github",
    .summary = "GitHub events by polling /events or /repos/O/R/events",
    .options = gh_options,
    .ctx_size = sizeof(struct gh_ctx),
    .open = gh_open,
    .fd = gh_fd,
    .poll = gh_poll,
    .close = gh_close,
};
