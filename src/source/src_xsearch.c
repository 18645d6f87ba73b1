/* SPDX-License-Identifier: MIT
 *
 * src_xsearch.c - X search harvesting: v1.1 search/tweets and v2 recent
 * search, paged, rate-limited and resumable.
 *
 *     xsearch:v1?q=covid%20lang:en&credentials=/etc/roost/x.conf
 *     xsearch:v2?query=covid%20-is:retweet&fields=all&interval=60s
 *
 * ARG is the API version; url= overrides the endpoint (tests). v1 signs
 * with OAuth 1.0a user context when the credentials hold it, else sends
 * the bearer token (app-only); v2 always sends the bearer token. v2 takes
 * the fields/expansions presets of src_x2.c.
 *
 * Rounds. X pages newest first. A round asks for everything newer than
 * `since` (exclusive): page after page going back (v1: max_id = oldest
 * id of the last page - 1; v2: meta.next_token) until X has no next
 * page; then the newest id the round saw becomes `since`. Without
 * interval= (the default) the source ends with ROOST_ENOENT after one
 * round; with interval=T it starts a new round T after each one ended,
 * so it keeps asking for newer results with since_id.
 *
 * Records. Each page is one record, kept as X sent it: the v1 search
 * envelope {"statuses": [...], "search_metadata": ...} or the v2 page
 * {"data": [...], "includes": ..., "meta": ...}, both of which the
 * normalizer reads (fmt_x1.c, fmt_x2.c), v2 expansions resolved against
 * the page's includes. Posts whose id the bounded recent set (or a
 * resumed floor, below) already holds are cut out of the array, the rest
 * of the page kept byte for byte; a page left with no post gives no
 * record. A page over max-record is split into several records of the
 * same shape, each with a share of the posts.
 *
 * Positions. "xsearch\t<v1|v2>\t<since>\t<top>\t<next>\t<floor>": the
 * round's lower bound, the newest id it saw so far, the page to fetch
 * next, and the oldest id delivered from a page not finished. A restart
 * resumes there: it fetches the next page (or again the unfinished one,
 * dropping posts at or above floor: pages go strictly down), so nothing
 * archived is fetched as new and nothing is skipped.
 *
 * Rate limits. After each answer, x-rate-limit-remaining 0 means sleep
 * until x-rate-limit-reset; a 429 sleeps for Retry-After, else until the
 * reset, at least 1 s. Sleeps are multiplied by time-scale (tests), show
 * in the stats (n_sleeps, sleep_until_ms, delays_ms) and in one stderr
 * line for the first of a run. Other failures follow backoff.h: NET,
 * HTTP (5xx), 401/403 reported once and retried auth-retries times,
 * 400/404/... end the source with ROOST_EIO.
 *
 * Start at xsearch_poll().
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "parse/json.h"
#include "source/backoff.h"
#include "source/http_stream.h"
#include "source/netsrc_int.h"
#include "source/oauth1.h"
#include "source/source.h"
#include "source/source_int.h"
#include "source/src_x.h"
#include "source/xstream_int.h"

#define V1_URL      "https://api.twitter.com/1.1/search/tweets.json"
#define V2_URL      "https://api.twitter.com/2/tweets/search/recent"
#define ID_CAP      32
#define TOKEN_CAP   256
#define MAX_ITEMS   1024 /* posts per page we track; X sends <= 100 */
#define MIN_RATE_MS 1000 /* X's reset clock has 1 s resolution */
#define MAX_DEPTH   128

enum xs_state {
    XS_WAIT = 0, /* start a request at next_ms */
    XS_UP,       /* a request in flight */
    XS_DONE,     /* once mode: the round ended */
    XS_FAILED,   /* gave up: poll returns ROOST_EIO */
};

struct xsearch_ctx {
    struct roost_src_x_stats stats; /* first: roost_src_x_stats() */
    /* options, written by the core */
    char *q;
    char *query;
    char *url;
    int64_t count;
    char *result_type;
    char *lang;
    char *fields;
    char *expansions;
    char *tweet_fields;
    char *user_fields;
    char *media_fields;
    char *place_fields;
    char *poll_fields;
    int64_t interval_ms;
    char *credentials;
    int64_t connect_timeout_ms;
    int64_t timeout_ms;
    double time_scale;
    int64_t auth_retries;
    int64_t dedupe_cap;
    size_t max_page;

    /* state */
    bool is_open;
    int ver;          /* 1 or 2 */
    const char *text; /* q or query */
    char endpoint[1024];
    bool use_oauth;
    struct roost_oauth1_creds creds;
    struct roost_http_stream hs;
    struct roost_backoff backoff;
    struct roost__recent recent;
    struct roost_json_doc doc;
    struct roost_buf req_url;
    struct roost_buf auth;
    struct roost_buf out;     /* records of the last page, not yet added */
    struct roost_buf out_pos; /* their positions, NUL-separated */
    size_t out_off;           /* next record in out */
    size_t out_pos_off;
    struct roost_buf out_len; /* record lengths (size_t each) */
    size_t out_idx;
    uint8_t state;
    int64_t next_ms; /* monotonic */
    uint32_t n_auth;
    bool reported_rate;
    char since[ID_CAP]; /* the round's lower bound, exclusive */
    char top[ID_CAP];   /* newest id of the round so far */
    char next[TOKEN_CAP];
    char floor[ID_CAP]; /* resumed: posts >= it were delivered */
    struct roost__xspan items[MAX_ITEMS];
};

static const struct roost_option xsearch_options[] = {
    ROOST_OPT_STR("q", NULL, struct xsearch_ctx, q,
                  "v1.1 search query (standard search operators)"),
    ROOST_OPT_STR("query", NULL, struct xsearch_ctx, query,
                  "v2 search query (q= is accepted too)"),
    ROOST_OPT_STR("url", NULL, struct xsearch_ctx, url,
                  "endpoint URL (default: X's for the version)"),
    ROOST_OPT_INT("count", "100", struct xsearch_ctx, count,
                  "results per page: v1 count (1-100), v2 max_results "
                  "(10-100)"),
    ROOST_OPT_STR("result_type", "recent", struct xsearch_ctx, result_type,
                  "v1: recent, mixed or popular"),
    ROOST_OPT_STR("lang", NULL, struct xsearch_ctx, lang,
                  "v1: restrict to this ISO 639-1 language"),
    ROOST_OPT_STR("fields", "all", struct xsearch_ctx, fields,
                  "v2 preset: all (every expansion and field) or default"),
    ROOST_OPT_STR("expansions", NULL, struct xsearch_ctx, expansions,
                  "v2 expansions, comma separated (overrides the preset)"),
    ROOST_OPT_STR("tweet-fields", NULL, struct xsearch_ctx, tweet_fields,
                  "v2 tweet.fields (overrides the preset)"),
    ROOST_OPT_STR("user-fields", NULL, struct xsearch_ctx, user_fields,
                  "v2 user.fields (overrides the preset)"),
    ROOST_OPT_STR("media-fields", NULL, struct xsearch_ctx, media_fields,
                  "v2 media.fields (overrides the preset)"),
    ROOST_OPT_STR("place-fields", NULL, struct xsearch_ctx, place_fields,
                  "v2 place.fields (overrides the preset)"),
    ROOST_OPT_STR("poll-fields", NULL, struct xsearch_ctx, poll_fields,
                  "v2 poll.fields (overrides the preset)"),
    ROOST_OPT_MS("interval", "0", struct xsearch_ctx, interval_ms,
                 "0: one round, then end; else poll for newer results "
                 "this often"),
    ROOST_OPT_STR("credentials", NULL, struct xsearch_ctx, credentials,
                  "credentials file (mode 0600); else X_* env"),
    ROOST_OPT_MS("connect-timeout", "15s", struct xsearch_ctx,
                 connect_timeout_ms,
                 "give up a connection attempt after this long"),
    ROOST_OPT_MS("timeout", "60s", struct xsearch_ctx, timeout_ms,
                 "give up a page request after this long"),
    ROOST_OPT_DOUBLE("time-scale", "1", struct xsearch_ctx, time_scale,
                     "multiply every wait and retry delay (tests: 0.001)"),
    ROOST_OPT_INT("auth-retries", "3", struct xsearch_ctx, auth_retries,
                  "retries after refused credentials before giving up"),
    ROOST_OPT_INT("dedupe-window", "65536", struct xsearch_ctx, dedupe_cap,
                  "recent post ids kept to drop duplicates"),
    ROOST_OPT_SIZE("max-page", "16MiB", struct xsearch_ctx, max_page,
                   "largest page body accepted"),
    ROOST_OPT_END,
};

/* ---- ids and cursors ------------------------------------------------------
 */

void roost__xsearch_id_minus_one(const char *s, char *out, size_t cap)
{
    size_t n = strlen(s);
    if (n == 0 || n >= cap) {
        out[0] = '\0';
        return;
    }
    memcpy(out, s, n + 1);
    for (size_t i = n; i-- > 0;) {
        if (out[i] != '0') {
            out[i]--;
            break;
        }
        out[i] = '9';
    }
    size_t lead = strspn(out, "0");
    if (lead == n) {
        lead = n - 1;
    }
    memmove(out, out + lead, n - lead + 1);
}

static bool is_id(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < ID_CAP && strspn(s, "0123456789") == n;
}

static int make_pos(const struct xsearch_ctx *ctx, const char *top,
                    const char *next, const char *floor, char *out, size_t cap)
{
    return snprintf(out, cap, "xsearch\tv%d\t%s\t%s\t%s\t%s", ctx->ver,
                    ctx->since, top, next, floor);
}

/* resume_from - take the cursor of a position; ignore a foreign one. */
static void resume_from(struct xsearch_ctx *ctx, const char *pos,
                        const char *name)
{
    char f[6][TOKEN_CAP];
    size_t k = 0;
    memset(f, 0, sizeof(f));
    for (const char *p = pos; k < 6; k++) {
        const char *tab = strchr(p, '\t');
        size_t n = tab != NULL ? (size_t)(tab - p) : strlen(p);
        snprintf(f[k], TOKEN_CAP, "%.*s", (int)n, p);
        if (tab == NULL) {
            k++;
            break;
        }
        p = tab + 1;
    }
    char want[4];
    snprintf(want, sizeof(want), "v%d", ctx->ver);
    if (k != 6 || strcmp(f[0], "xsearch") != 0 || strcmp(f[1], want) != 0 ||
        strlen(f[2]) >= sizeof(ctx->since) ||
        strlen(f[3]) >= sizeof(ctx->top) ||
        strlen(f[4]) >= sizeof(ctx->next) ||
        strlen(f[5]) >= sizeof(ctx->floor) ||
        (f[2][0] != '\0' && !is_id(f[2])) ||
        (f[3][0] != '\0' && !is_id(f[3])) ||
        (f[5][0] != '\0' && !is_id(f[5]))) {
        roost__netsrc_report(name,
                             "ignoring a position that is not an "
                             "xsearch %s cursor",
                             want);
        return;
    }
    /* Lengths were checked above: plain copies, NUL included. */
    memcpy(ctx->since, f[2], strlen(f[2]) + 1);
    memcpy(ctx->top, f[3], strlen(f[3]) + 1);
    memcpy(ctx->next, f[4], strlen(f[4]) + 1);
    memcpy(ctx->floor, f[5], strlen(f[5]) + 1);
}

/* ---- the request ----------------------------------------------------------
 */

static int add_param(struct roost_buf *url, struct roost_kv *kv, size_t *n,
                     const char *k, const char *v)
{
    if (v == NULL || v[0] == '\0') {
        return 0;
    }
    kv[(*n)++] = (struct roost_kv){ k, v };
    int rc = roost_buf_printf(url, "%c%s=", *n == 1 ? '?' : '&', k);
    return rc == 0 ? roost_oauth1_pct(url, v, strlen(v)) : rc;
}

static int build_request(struct xsearch_ctx *ctx)
{
    struct roost_kv kv[16];
    size_t n = 0;
    char count[24];
    int rc = roost_buf_adds(&ctx->req_url, ctx->endpoint);

    snprintf(count, sizeof(count), "%" PRId64, ctx->count);
    if (ctx->ver == 1) {
        /* X signs the decoded parameters in any order (oauth1.c sorts) */
        const char *p[][2] = {
            { "q", ctx->text },
            { "count", count },
            { "result_type", ctx->result_type },
            { "lang", ctx->lang },
            { "tweet_mode", "extended" },
            { "include_entities", "true" },
            { "since_id", ctx->since },
            { "max_id", ctx->next },
        };
        for (size_t i = 0; i < sizeof(p) / sizeof(p[0]) && rc == 0; i++) {
            rc = add_param(&ctx->req_url, kv, &n, p[i][0], p[i][1]);
        }
    } else {
        const char *own[ROOST__X2_N_FIELDS] = {
            ctx->expansions,   ctx->tweet_fields, ctx->user_fields,
            ctx->media_fields, ctx->place_fields, ctx->poll_fields,
        };
        bool all = strcmp(ctx->fields, "all") == 0;
        rc =
            rc == 0 ? add_param(&ctx->req_url, kv, &n, "query", ctx->text) : rc;
        rc = rc == 0 ? add_param(&ctx->req_url, kv, &n, "max_results", count)
                     : rc;
        for (size_t i = 0; i < ROOST__X2_N_FIELDS && rc == 0; i++) {
            rc = add_param(&ctx->req_url, kv, &n, roost__x2_all_fields[i][0],
                           own[i] != NULL ? own[i]
                           : all          ? roost__x2_all_fields[i][1]
                                          : NULL);
        }
        rc = rc == 0 ? add_param(&ctx->req_url, kv, &n, "since_id", ctx->since)
                     : rc;
        rc = rc == 0 ? add_param(&ctx->req_url, kv, &n, "next_token", ctx->next)
                     : rc;
    }
    if (rc < 0) {
        return rc;
    }
    if (ctx->use_oauth) {
        return roost_oauth1_header(&ctx->creds, "GET", ctx->endpoint, kv, n,
                                   NULL, 0, &ctx->auth);
    }
    return roost_buf_printf(&ctx->auth, "Authorization: Bearer %s",
                            ctx->creds.bearer);
}

static void note_delay(struct xsearch_ctx *ctx, int64_t d)
{
    struct roost_src_x_stats *st = &ctx->stats;
    if (st->n_delays < ROOST_SRC_X_DELAYS) {
        st->delays_ms[st->n_delays] = d;
    }
    st->n_delays++;
}

static void retry_in(struct xsearch_ctx *ctx, int64_t d)
{
    note_delay(ctx, d);
    ctx->next_ms = roost_http_mono_ms() + d;
    ctx->state = XS_WAIT;
}

static void start_request(struct xsearch_ctx *ctx)
{
    roost_buf_reset(&ctx->req_url);
    roost_buf_reset(&ctx->auth);
    ctx->stats.n_attempts++;
    int rc = build_request(ctx);
    if (rc == 0) {
        const char *headers[2] = { ctx->auth.ptr, NULL };
        struct roost_http_req hr = {
            .method = "GET",
            .url = ctx->req_url.ptr,
            .headers = headers,
            .connect_timeout_ms = ctx->connect_timeout_ms,
            .timeout_ms = ctx->timeout_ms,
        };
        rc = roost_http_stream_start(&ctx->hs, &hr);
    }
    if (ctx->auth.ptr != NULL) {
        memset(ctx->auth.ptr, 0, ctx->auth.len);
    }
    if (rc < 0) {
        ctx->stats.n_net_errors++;
        retry_in(ctx, roost_backoff_next(&ctx->backoff, ROOST_BACKOFF_NET));
        return;
    }
    ctx->state = XS_UP;
}

/* ---- pages ----------------------------------------------------------------
 */

/* skip_value - index just past the JSON value at p[i] (p is valid JSON:
 * the page parsed). */
static size_t skip_value(const char *p, size_t len, size_t i)
{
    size_t start = i;
    int depth = 0;
    bool in_str = false;
    for (; i < len; i++) {
        char c = p[i];
        if (in_str) {
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                in_str = false;
                if (depth == 0) {
                    return i + 1;
                }
            }
            continue;
        }
        if (depth == 0 && i > start && strchr(",]} \t\r\n", c) != NULL) {
            return i;
        }
        if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (--depth == 0) {
                return i + 1;
            }
        }
    }
    return len;
}

static size_t skip_ws(const char *p, size_t len, size_t i)
{
    while (i < len && strchr(" \t\r\n", p[i]) != NULL && p[i] != '\0') {
        i++;
    }
    return i;
}

int roost__xsearch_items(const char *p, size_t len, const char *key,
                         struct roost__xspan *items, int cap, size_t *open,
                         size_t *close)
{
    size_t klen = strlen(key);
    size_t i = skip_ws(p, len, 0);
    if (i >= len || p[i] != '{') {
        return -1;
    }
    i++;
    for (;;) {
        i = skip_ws(p, len, i);
        if (i >= len || p[i] != '"') {
            return -1;
        }
        size_t kend = skip_value(p, len, i);
        bool match = kend - i == klen + 2 && memcmp(p + i + 1, key, klen) == 0;
        i = skip_ws(p, len, kend);
        if (i >= len || p[i] != ':') {
            return -1;
        }
        i = skip_ws(p, len, i + 1);
        if (match) {
            break;
        }
        i = skip_ws(p, len, skip_value(p, len, i));
        if (i >= len || p[i] != ',') {
            return -1;
        }
        i++;
    }
    if (i >= len || p[i] != '[') {
        return -1;
    }
    *open = i;
    int n = 0;
    i = skip_ws(p, len, i + 1);
    while (i < len && p[i] != ']') {
        if (n == cap) {
            return -1;
        }
        size_t end = skip_value(p, len, i);
        items[n++] = (struct roost__xspan){ i, end };
        i = skip_ws(p, len, end);
        if (i < len && p[i] == ',') {
            i = skip_ws(p, len, i + 1);
        }
    }
    if (i >= len) {
        return -1;
    }
    *close = i;
    return n;
}

/* queue_record - one record (prefix, the kept items a..b, suffix) and its
 * position, for emit() to add. */
static int queue_record(struct xsearch_ctx *ctx, const char *p, size_t len,
                        size_t open, size_t close, const int *kept, int a,
                        int b, const char *pos)
{
    size_t start = ctx->out.len;
    int rc = roost_buf_add(&ctx->out, p, open + 1);
    for (int k = a; k < b && rc == 0; k++) {
        const struct roost__xspan *s = &ctx->items[kept[k]];
        if (k > a) {
            rc = roost_buf_addc(&ctx->out, ',');
        }
        if (rc == 0) {
            rc = roost_buf_add(&ctx->out, p + s->start, s->end - s->start);
        }
    }
    if (rc == 0) {
        rc = roost_buf_add(&ctx->out, p + close, len - close);
    }
    if (rc == 0) {
        size_t n = ctx->out.len - start;
        rc = roost_buf_add(&ctx->out_len, &n, sizeof(n));
    }
    if (rc == 0) {
        rc = roost_buf_add(&ctx->out_pos, pos, strlen(pos) + 1);
    }
    return rc;
}

static const char *item_id(struct xsearch_ctx *ctx, uint32_t arr, int k,
                           char *out)
{
    const struct roost_json_doc *d = &ctx->doc;
    uint32_t it = roost_json_at(d, arr, (uint32_t)k);
    uint32_t v = roost_json_get(d, it, ctx->ver == 1 ? "id_str" : "id");
    roost__xstream_copy(out, ID_CAP, roost_json_text(d, v));
    return is_id(out) ? out : NULL;
}

/*
 * take_page - a 200 page: choose the posts to keep, queue the records,
 * move the cursor. Returns 0, or ROOST_EPARSE for a page that is not a
 * search page (the caller retries it).
 */
static int take_page(struct xsearch_ctx *ctx, size_t max_record)
{
    const char *p = ctx->hs.body.ptr + ctx->hs.off;
    size_t len = ctx->hs.body.len - ctx->hs.off;
    struct roost_json_doc *d = &ctx->doc;
    const char *key = ctx->ver == 1 ? "statuses" : "data";
    int kept[MAX_ITEMS];
    int n_kept = 0;
    char oldest[ID_CAP] = "";
    char newest[ID_CAP] = "";
    char id[ID_CAP];

    if (len == 0 || roost_json_parse(d, p, len, NULL) < 0 ||
        !roost_json_is(d, 0, ROOST_JSON_OBJECT)) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    uint32_t arr = roost_json_get(d, 0, key);
    int n = 0;
    size_t open = 0, close = 0;
    if (arr != ROOST_JSON_NONE) {
        n = roost__xsearch_items(p, len, key, ctx->items, MAX_ITEMS, &open,
                                 &close);
        if (n < 0 || !roost_json_is(d, arr, ROOST_JSON_ARRAY) ||
            (uint32_t)n != d->toks[arr].len) {
            return ROOST_ERR(ROOST_EPARSE);
        }
    }
    for (int k = 0; k < n; k++) {
        if (item_id(ctx, arr, k, id) == NULL) {
            kept[n_kept++] = k; /* not a post: kept as it is */
            continue;
        }
        if (oldest[0] == '\0' || roost__xstream_id_after(oldest, id)) {
            memcpy(oldest, id, sizeof(id));
        }
        if (roost__xstream_id_after(id, newest)) {
            memcpy(newest, id, sizeof(id));
        }
        uint64_t h = roost__recent_hash(id, strlen(id));
        if (ctx->floor[0] != '\0' && !roost__xstream_id_after(ctx->floor, id)) {
            ctx->stats.n_old++;
        } else if (roost__recent_has(&ctx->recent, h)) {
            ctx->stats.n_dups++;
        } else {
            kept[n_kept++] = k;
        }
    }
    /* the cursor after this page */
    char top[ID_CAP], next[TOKEN_CAP] = "", prev_next[TOKEN_CAP];
    char pre_top[ID_CAP];
    memcpy(pre_top, ctx->top, sizeof(pre_top));
    memcpy(prev_next, ctx->next, sizeof(prev_next));
    memcpy(top, roost__xstream_id_after(newest, ctx->top) ? newest : ctx->top,
           sizeof(top));
    bool more = false;
    if (ctx->ver == 1) {
        uint32_t nr = roost_json_path(d, 0, "search_metadata.next_results");
        more = n > 0 && oldest[0] != '\0' &&
               roost_json_is(d, nr, ROOST_JSON_STRING);
        if (more) {
            roost__xsearch_id_minus_one(oldest, next, sizeof(next));
        }
    } else {
        struct roost_str t =
            roost_json_str(d, roost_json_path(d, 0, "meta.next_token"));
        more = t.ptr != NULL && t.len > 0 && t.len < sizeof(next);
        if (more) {
            roost__xstream_copy(next, sizeof(next), t);
        }
    }
    char pos[512];
    /* records: split so each fits max_record; all but the last carry the
       cursor of this page with the floor they reached */
    size_t frame = open + 1 + (len - close);
    int a = 0;
    int rc = 0;
    while (a < n_kept && rc == 0) {
        size_t size = frame;
        int b = a;
        while (b < n_kept) {
            const struct roost__xspan *s = &ctx->items[kept[b]];
            size_t more_bytes = s->end - s->start + (b > a ? 1 : 0);
            if (b > a && size + more_bytes > max_record) {
                break;
            }
            size += more_bytes;
            b++;
        }
        if (b < n_kept) {
            char fl[ID_CAP] = "";
            for (int k = a; k < b; k++) {
                if (item_id(ctx, arr, kept[k], id) != NULL &&
                    (fl[0] == '\0' || roost__xstream_id_after(fl, id))) {
                    memcpy(fl, id, sizeof(id));
                }
            }
            make_pos(ctx, pre_top, prev_next, fl[0] != '\0' ? fl : ctx->floor,
                     pos, sizeof(pos));
        } else if (more) {
            make_pos(ctx, top, next, "", pos, sizeof(pos));
        } else {
            char s2[ID_CAP];
            memcpy(s2, ctx->since, sizeof(s2));
            if (roost__xstream_id_after(top, ctx->since)) {
                memcpy(ctx->since, top, sizeof(top));
            }
            make_pos(ctx, "", "", "", pos, sizeof(pos));
            memcpy(ctx->since, s2, sizeof(s2));
        }
        rc = queue_record(ctx, p, len, open, close, kept, a, b, pos);
        a = b;
    }
    if (rc < 0) {
        return rc;
    }
    for (int k = 0; k < n_kept; k++) {
        if (item_id(ctx, arr, kept[k], id) != NULL) {
            roost__recent_add(&ctx->recent, roost__recent_hash(id, strlen(id)));
        }
    }
    ctx->stats.n_pages++;
    if (more) {
        memcpy(ctx->top, top, sizeof(top));
        memcpy(ctx->next, next, sizeof(next));
        return 0;
    }
    /* the round ended: what it saw is old from now on */
    if (roost__xstream_id_after(top, ctx->since)) {
        memcpy(ctx->since, top, sizeof(top));
    }
    ctx->top[0] = '\0';
    ctx->next[0] = '\0';
    ctx->floor[0] = '\0';
    return 1;
}

/* ---- how a request ended --------------------------------------------------
 */

/* rate_wait - the scaled wait until the rate-limit window resets. */
static int64_t rate_wait(struct xsearch_ctx *ctx, bool refused)
{
    const struct roost_http_stream *hs = &ctx->hs;
    int64_t ms = -1;
    if (refused && hs->retry_after_s >= 0) {
        ms = hs->retry_after_s * 1000;
    } else if (hs->rate_reset_s > 0) {
        ms = hs->rate_reset_s * 1000 - roost__now_ms();
    }
    if (ms < 0) {
        ms = refused ? ROOST_BACKOFF_RATE_FIRST_MS : 0;
    }
    if (refused && ms < MIN_RATE_MS) {
        ms = MIN_RATE_MS;
    }
    return (int64_t)((double)ms * ctx->backoff.scale);
}

static void sleep_for(struct xsearch_ctx *ctx, int64_t d, const char *name)
{
    ctx->stats.n_sleeps++;
    ctx->stats.sleep_until_ms = roost__now_ms() + d;
    if (!ctx->reported_rate) {
        ctx->reported_rate = true;
        roost__netsrc_report(name,
                             "rate limit reached: sleeping %" PRId64
                             " ms until the window resets",
                             d);
    }
    retry_in(ctx, d);
}

static bool is_fatal_status(long s)
{
    return s == 400 || s == 404 || s == 406 || s == 410 || s == 413 ||
           s == 416 || s == 422;
}

static void error_text(const struct roost_http_stream *hs, char *out,
                       size_t cap)
{
    size_t n = hs->body.len - hs->off;
    n = n < cap - 1 ? n : cap - 1;
    for (size_t i = 0; i < n; i++) {
        char c = hs->body.ptr[hs->off + i];
        out[i] = c == '\n' || c == '\r' ? ' ' : c;
    }
    out[n] = '\0';
}

static void drop_queued(struct xsearch_ctx *ctx)
{
    roost_buf_reset(&ctx->out);
    roost_buf_reset(&ctx->out_pos);
    roost_buf_reset(&ctx->out_len);
    ctx->out_off = 0;
    ctx->out_pos_off = 0;
    ctx->out_idx = 0;
}

/* end_request - the page request ended: take it, choose what next. */
static void end_request(struct xsearch_ctx *ctx, const char *name,
                        size_t max_record)
{
    struct roost_src_x_stats *st = &ctx->stats;
    long status = ctx->hs.status;
    char body[200];

    st->last_status = status;
    ctx->state = XS_WAIT;
    if (ctx->hs.paused && !ctx->hs.done) {
        roost_http_stream_stop(&ctx->hs);
        roost__netsrc_report(name, "a page is over max-page; giving up");
        ctx->state = XS_FAILED;
        return;
    }
    if (status == 200) {
        st->n_connects++;
        int rc = ctx->hs.curl_rc == 0 ? take_page(ctx, max_record) : ROOST_EIO;
        if (rc < 0 && rc != ROOST_EPARSE && rc != ROOST_EIO) {
            drop_queued(ctx);
            roost__netsrc_report(name, "cannot keep a page (%d); giving up",
                                 rc);
            ctx->state = XS_FAILED;
            return;
        }
        if (rc < 0) {
            /* a cut or malformed page: fetch it again */
            drop_queued(ctx);
            st->n_partial++;
            retry_in(ctx,
                     roost_backoff_next(&ctx->backoff,
                                        rc == ROOST_EIO ? ROOST_BACKOFF_NET
                                                        : ROOST_BACKOFF_HTTP));
            return;
        }
        roost_backoff_delivered(&ctx->backoff);
        ctx->n_auth = 0;
        st->sleep_until_ms = 0;
        int64_t wait = 0; /* the next page at once */
        if (rc == 1) {
            if (ctx->interval_ms == 0) {
                ctx->state = XS_DONE;
                return;
            }
            wait = ctx->interval_ms;
        }
        if (ctx->hs.rate_remaining == 0) {
            int64_t r = rate_wait(ctx, false);
            if (r > wait) {
                sleep_for(ctx, r, name);
                return;
            }
        }
        ctx->next_ms = roost_http_mono_ms() + wait;
        return;
    }
    if (status == 0) {
        st->n_net_errors++;
        retry_in(ctx, roost_backoff_next(&ctx->backoff, ROOST_BACKOFF_NET));
        return;
    }
    error_text(&ctx->hs, body, sizeof(body));
    if (status == 420 || status == 429) {
        st->n_rate_limited++;
        sleep_for(ctx, rate_wait(ctx, true), name);
        return;
    }
    st->n_http_errors++;
    if (is_fatal_status(status)) {
        roost__netsrc_report(name,
                             "the server rejected the search (HTTP %ld): "
                             "%s",
                             status, body);
        ctx->state = XS_FAILED;
        return;
    }
    if (status == 401 || status == 403) {
        st->n_auth_refused++;
        ctx->n_auth++;
        if (ctx->n_auth == 1) {
            roost__netsrc_report(name,
                                 "the server refused the credentials "
                                 "(HTTP %ld); check %s",
                                 status,
                                 ctx->credentials != NULL
                                     ? ctx->credentials
                                     : "the X_* environment");
        }
        if ((int64_t)ctx->n_auth > ctx->auth_retries) {
            roost__netsrc_report(name, "giving up after %u refused attempts",
                                 ctx->n_auth);
            ctx->state = XS_FAILED;
            return;
        }
    }
    retry_in(ctx, roost_backoff_next(&ctx->backoff, ROOST_BACKOFF_HTTP));
}

/* ---- ops ------------------------------------------------------------------
 */

static void xsearch_close(struct roost_source *src)
{
    struct xsearch_ctx *ctx = src->ctx;
    if (ctx->is_open) {
        roost_http_stream_fini(&ctx->hs);
        roost__recent_fini(&ctx->recent);
        roost_json_doc_fini(&ctx->doc);
        ctx->is_open = false;
    }
    if (ctx->auth.ptr != NULL) {
        memset(ctx->auth.ptr, 0, ctx->auth.len);
    }
    roost_buf_fini(&ctx->req_url);
    roost_buf_fini(&ctx->auth);
    roost_buf_fini(&ctx->out);
    roost_buf_fini(&ctx->out_pos);
    roost_buf_fini(&ctx->out_len);
    roost_oauth1_wipe(&ctx->creds);
}

static int check_options(struct xsearch_ctx *ctx, const char *name)
{
    if (ctx->text == NULL || ctx->text[0] == '\0') {
        roost__netsrc_report(name, "needs a query: %s",
                             ctx->ver == 1 ? "q=..." : "query=...");
        return ROOST_ERR(ROOST_EINVAL);
    }
    int64_t lo = ctx->ver == 1 ? 1 : 10;
    if (ctx->count < lo || ctx->count > 100) {
        roost__netsrc_report(name, "count takes %lld to 100 for v%d",
                             (long long)lo, ctx->ver);
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (strcmp(ctx->fields, "all") != 0 &&
        strcmp(ctx->fields, "default") != 0) {
        roost__netsrc_report(name, "fields takes all or default");
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (ctx->time_scale <= 0 || ctx->interval_ms < 0 || ctx->auth_retries < 0 ||
        ctx->dedupe_cap < 1 || ctx->dedupe_cap > (1 << 24)) {
        roost__netsrc_report(name, "time-scale must be > 0, interval >= 0, "
                                   "dedupe-window 1..16777216");
        return ROOST_ERR(ROOST_EINVAL);
    }
    return 0;
}

static int load_creds(struct xsearch_ctx *ctx, const char *name)
{
    struct roost_diag diag;
    memset(&diag, 0, sizeof(diag));
    int rc = roost_oauth1_load(ctx->credentials, &ctx->creds, &diag);
    if (rc < 0) {
        roost__netsrc_report(name, "%s", diag.msg);
        return rc;
    }
    ctx->use_oauth = ctx->ver == 1 && roost_oauth1_has_user(&ctx->creds);
    if (!ctx->use_oauth && ctx->creds.bearer[0] == '\0') {
        roost__netsrc_report(
            name, ctx->ver == 1 ? "needs OAuth 1.0a user credentials or a "
                                  "bearer token: credentials=FILE (mode "
                                  "0600) or the X_* environment"
                                : "needs a bearer token: credentials=FILE "
                                  "(bearer_token, mode 0600) or "
                                  "X_BEARER_TOKEN");
        return ROOST_ERR(ROOST_EINVAL);
    }
    return 0;
}

static int xsearch_open(struct roost_source *src)
{
    struct xsearch_ctx *ctx = src->ctx;
    const char *arg = src->arg != NULL ? src->arg : "";
    int rc;

    memset(&ctx->stats, 0, sizeof(ctx->stats));
    if (strcmp(arg, "v1") == 0 || strcmp(arg, "v1.1") == 0) {
        ctx->ver = 1;
    } else if (strcmp(arg, "v2") == 0) {
        ctx->ver = 2;
    } else {
        roost__netsrc_report(src->name,
                             "expected xsearch:v1 or xsearch:v2, "
                             "got '%.100s'",
                             arg);
        return ROOST_ERR(ROOST_EINVAL);
    }
    ctx->text = ctx->ver == 1 ? (ctx->q != NULL ? ctx->q : ctx->query)
                              : (ctx->query != NULL ? ctx->query : ctx->q);
    const char *url = ctx->url != NULL && ctx->url[0] != '\0' ? ctx->url
                      : ctx->ver == 1                         ? V1_URL
                                                              : V2_URL;
    if (strlen(url) >= sizeof(ctx->endpoint) || strncmp(url, "http", 4) != 0 ||
        strchr(url, '?') != NULL) {
        roost__netsrc_report(src->name,
                             "url takes an http(s) URL without a "
                             "query, got '%.200s'",
                             url);
        return ROOST_ERR(ROOST_EINVAL);
    }
    snprintf(ctx->endpoint, sizeof(ctx->endpoint), "%s", url);
    rc = check_options(ctx, src->name);
    if (rc < 0) {
        return rc;
    }
    rc = load_creds(ctx, src->name);
    if (rc < 0) {
        return rc;
    }
    if (src->resume[0] != '\0') {
        resume_from(ctx, src->resume, src->name);
    }
    roost_buf_init(&ctx->req_url, 64 * 1024);
    roost_buf_init(&ctx->auth, 8 * 1024);
    roost_buf_init(&ctx->out, 4 * ctx->max_page + (1u << 20));
    roost_buf_init(&ctx->out_pos, 1u << 20);
    roost_buf_init(&ctx->out_len, MAX_ITEMS * sizeof(size_t));
    roost_json_doc_init(&ctx->doc, MAX_DEPTH, ctx->max_page);
    roost_backoff_init(&ctx->backoff, ctx->time_scale);
    rc = roost_http_stream_init(&ctx->hs, ctx->max_page);
    if (rc == 0) {
        rc = roost__recent_init(&ctx->recent, (uint32_t)ctx->dedupe_cap);
    }
    ctx->is_open = true; /* close undoes what init did */
    if (rc < 0) {
        return rc;
    }
    ctx->state = XS_WAIT;
    ctx->next_ms = roost_http_mono_ms();
    return 0;
}

static int xsearch_fd(struct roost_source *src)
{
    (void)src;
    return -1; /* curl's sockets change under us: tick me */
}

/* emit - add the queued records; ROOST_ELIMIT when out filled first. A
 * record over max_record (one post larger than it) goes out cut to it,
 * flagged ROOST_ELIMIT. */
static int emit(struct xsearch_ctx *ctx, struct roost_batch *out,
                size_t max_record, int *n)
{
    const size_t *lens = (const size_t *)(void *)ctx->out_len.ptr;
    size_t n_recs = ctx->out_len.len / sizeof(size_t);
    while (ctx->out_idx < n_recs) {
        const char *rec = ctx->out.ptr + ctx->out_off;
        const char *pos = ctx->out_pos.ptr + ctx->out_pos_off;
        size_t len = lens[ctx->out_idx];
        bool cut = len > max_record;
        int rc =
            roost_batch_add(out, rec, cut ? max_record : len, roost__now_ms(),
                            pos, strlen(pos), 0, cut ? ROOST_ELIMIT : 0);
        if (rc < 0) {
            return rc;
        }
        ctx->stats.n_records++;
        ctx->stats.n_oversize += cut;
        ctx->out_off += len;
        ctx->out_pos_off += strlen(pos) + 1;
        ctx->out_idx++;
        (*n)++;
    }
    drop_queued(ctx);
    return 0;
}

static int xsearch_poll(struct roost_source *src, struct roost_batch *out)
{
    struct xsearch_ctx *ctx = src->ctx;
    int n = 0;

    if (!ctx->is_open) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    size_t max_record =
        src->max_record_bytes > 0 ? src->max_record_bytes : (1u << 20);
    int rc = emit(ctx, out, max_record, &n);
    if (rc < 0) {
        return rc;
    }
    if (n > 0) {
        return 0;
    }
    switch (ctx->state) {
    case XS_FAILED:
        return ROOST_ERR(ROOST_EIO);
    case XS_DONE:
        return ROOST_ENOENT;
    case XS_WAIT:
        if (roost_http_mono_ms() < ctx->next_ms) {
            return ROOST_EAGAIN;
        }
        ctx->stats.sleep_until_ms = 0;
        start_request(ctx);
        return ROOST_EAGAIN;
    case XS_UP:
        break;
    default:
        ROOST_UNREACHABLE();
    }
    roost_http_stream_step(&ctx->hs);
    if (!ctx->hs.done && !ctx->hs.paused) {
        return ROOST_EAGAIN;
    }
    end_request(ctx, src->name, max_record);
    roost_http_stream_stop(&ctx->hs);
    rc = emit(ctx, out, max_record, &n);
    if (rc < 0) {
        return rc;
    }
    return n > 0 ? 0 : ROOST_EAGAIN;
}

const struct roost_source_ops roost_source_xsearch = {
    .name = "xsearch",
    .summary = "X search harvesting: v1.1 search/tweets, v2 recent search",
    .options = xsearch_options,
    .ctx_size = sizeof(struct xsearch_ctx),
    .open = xsearch_open,
    .fd = xsearch_fd,
    .poll = xsearch_poll,
    .close = xsearch_close,
};
