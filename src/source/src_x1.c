/* SPDX-License-Identifier: MIT
 *
 * src_x1.c - X (Twitter) API v1.1 streams: statuses/filter and
 * statuses/sample, OAuth 1.0a user context.
 *
 *     x1:https://stream.twitter.com/1.1/statuses/filter.json
 *         ?track=roost,rust&follow=12,13&locations=-122.75,36.8,-121.75,37.8
 *         &language=en&stall_warnings=true&credentials=/etc/roost/x.conf
 *     x1:https://stream.twitter.com/1.1/statuses/sample.json
 *
 * ARG is the endpoint (filter.json when absent). A URL whose path ends in
 * sample.json is read with GET; any other is the filter endpoint, read
 * with POST and its parameters in a form body, as X requires. The X
 * parameter names are used as they are (track, follow, locations,
 * language, stall_warnings, delimited), roost's own options are
 * hyphenated. X's limits are checked when the source opens, before any
 * connection, each with an error naming the limit: at most 400 track
 * phrases of at most 60 bytes, 5,000 follow ids, 25 location boxes (four
 * numbers each, south-west corner first); filter needs at least one of
 * the three. A list written "@FILE" is read from FILE (commas or
 * newlines), since 5,000 ids do not fit in a spec.
 *
 * Credentials come from credentials=FILE (mode 0600) or the environment
 * (oauth1.h), are signed into a fresh Authorization header for every
 * attempt, and are never logged. One process holds one stream per
 * credential (X answers a second one with 420): a second source with the
 * same credentials fails to open.
 *
 * Everything about the connection (reconnect rules, stalls, limit /
 * disconnect / warning messages, duplicates, gap records) is xstream.c.
 * Positions are "x1\t<last post id>"; a stream cannot rewind, so on a
 * restart posts at or before the resumed id are dropped and nothing else.
 *
 * Gap filling (fill-gaps=true, off by default). After a reconnect the
 * posts between the gap's last id and the first new one are asked of
 * v1.1 search/tweets (search-url=) with the track phrases joined by OR,
 * at most fill-max-pages pages, and appended as records after the stream's
 * own, duplicates dropped (xstream.c). Search matches only the track
 * phrases: a stream with follow or locations alone is not filled (a note
 * on stderr at open says so), and with them besides track only the track
 * matches are recovered. Search sees at most the last 7 days and its own
 * rate limit (180 requests per 15 min): a rate-limited fill stops at once
 * and says so on stderr.
 *
 * Start at x1_open().
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "source/oauth1.h"
#include "source/source.h"
#include "source/xstream_int.h"

#define DEFAULT_URL     "https://stream.twitter.com/1.1/statuses/filter.json"
#define SEARCH_URL      "https://api.twitter.com/1.1/search/tweets.json"
#define MAX_TRACK       400
#define MAX_TRACK_BYTES 60
#define MAX_FOLLOW      5000
#define MAX_BOXES       25
#define MAX_LIST_FILE   (1u << 20)

struct x1_ctx {
    struct roost_src_x_stats stats; /* first: roost_src_x_stats() */
    /* options, written by the core */
    char *track;
    char *follow;
    char *locations;
    char *language;
    bool stall_warnings;
    char *delimited;
    char *credentials;
    int64_t stall_ms;
    int64_t connect_timeout_ms;
    double time_scale;
    int64_t auth_retries;
    int64_t dedupe_cap;
    size_t max_pending;
    bool fill_gaps;
    int64_t fill_max_pages;
    char *search_url;

    /* state */
    bool is_open;
    bool sample;
    char url[1024];
    char claim[2 * ROOST_OAUTH1_MAX_SECRET];
    bool claimed;
    struct roost_oauth1_creds creds;
    struct roost_buf fill_q; /* the search query: track joined by OR */
    struct roost__xstream xs;
};

static const struct roost_option x1_options[] = {
    ROOST_OPT_STR("track", NULL, struct x1_ctx, track,
                  "phrases to track, comma separated, or @FILE (<= 400)"),
    ROOST_OPT_STR("follow", NULL, struct x1_ctx, follow,
                  "user ids to follow, comma separated, or @FILE (<= 5000)"),
    ROOST_OPT_STR("locations", NULL, struct x1_ctx, locations,
                  "bounding boxes: sw_lon,sw_lat,ne_lon,ne_lat,... (<= 25)"),
    ROOST_OPT_STR("language", NULL, struct x1_ctx, language,
                  "BCP 47 languages, comma separated"),
    ROOST_OPT_BOOL("stall_warnings", "false", struct x1_ctx, stall_warnings,
                   "ask X for stall warnings (FALLING_BEHIND)"),
    ROOST_OPT_STR("delimited", NULL, struct x1_ctx, delimited,
                  "\"length\": every record preceded by its byte count"),
    ROOST_OPT_STR("credentials", NULL, struct x1_ctx, credentials,
                  "OAuth 1.0a credentials file (mode 0600); else X_* env"),
    ROOST_OPT_MS("stall-timeout", "90s", struct x1_ctx, stall_ms,
                 "reconnect when no byte arrives for this long"),
    ROOST_OPT_MS("connect-timeout", "15s", struct x1_ctx, connect_timeout_ms,
                 "give up a connection attempt after this long"),
    ROOST_OPT_DOUBLE("time-scale", "1", struct x1_ctx, time_scale,
                     "multiply every reconnect delay (tests: 0.001)"),
    ROOST_OPT_INT("auth-retries", "3", struct x1_ctx, auth_retries,
                  "retries after refused credentials before giving up"),
    ROOST_OPT_INT("dedupe-window", "65536", struct x1_ctx, dedupe_cap,
                  "recent post ids kept to drop duplicates"),
    ROOST_OPT_SIZE("max-pending", "8MiB", struct x1_ctx, max_pending,
                   "received bytes staged before the socket is paused"),
    ROOST_OPT_BOOL("fill-gaps", "false", struct x1_ctx, fill_gaps,
                   "after a reconnect, search the gap for missed track posts"),
    ROOST_OPT_INT("fill-max-pages", "10", struct x1_ctx, fill_max_pages,
                  "search pages fetched at most per gap (fill-gaps)"),
    ROOST_OPT_STR("search-url", SEARCH_URL, struct x1_ctx, search_url,
                  "v1.1 search/tweets endpoint used by fill-gaps"),
    ROOST_OPT_END,
};

/* ---- validation: X's limits, before connecting ----------------------------
 */

/*
 * load_list - a list option written "@FILE" is read from FILE (items
 * separated by commas or newlines): 5,000 ids do not fit in a spec.
 */
static int load_list(char **field, const char *name)
{
    if (*field == NULL || (*field)[0] != '@') {
        return 0;
    }
    FILE *f = fopen(*field + 1, "rb");
    if (f == NULL) {
        roost__netsrc_report(name, "cannot read list file %.200s", *field + 1);
        return ROOST_ERR(ROOST_EINVAL);
    }
    char *text = roost_malloc(MAX_LIST_FILE + 1);
    size_t n = text != NULL ? fread(text, 1, MAX_LIST_FILE + 1, f) : 0;
    fclose(f);
    if (text == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    if (n > MAX_LIST_FILE) {
        roost_free(text);
        roost__netsrc_report(name, "list file %.200s is over 1 MiB",
                             *field + 1);
        return ROOST_ERR(ROOST_EINVAL);
    }
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        char c = text[i] == '\n' || text[i] == '\r' ? ',' : text[i];
        if (c == ',' && (w == 0 || text[w - 1] == ',')) {
            continue;
        }
        text[w++] = c;
    }
    while (w > 0 && text[w - 1] == ',') {
        w--;
    }
    text[w] = '\0';
    roost_free(*field);
    *field = text;
    return 0;
}

/* n_items - comma-separated items of s; *longest gets the longest. */
static size_t n_items(const char *s, size_t *longest, bool *empty_item)
{
    size_t n = 0;
    *longest = 0;
    *empty_item = false;
    while (s != NULL) {
        const char *c = strchr(s, ',');
        size_t len = c != NULL ? (size_t)(c - s) : strlen(s);
        *empty_item |= len == 0;
        *longest = len > *longest ? len : *longest;
        n++;
        s = c != NULL ? c + 1 : NULL;
    }
    return n;
}

static int bad(const char *name, const char *fmt, ...) ROOST_PRINTF(2, 3);

static int bad(const char *name, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    roost__netsrc_report(name, "%s", msg);
    return ROOST_ERR(ROOST_EINVAL);
}

static int check_locations(struct x1_ctx *ctx, const char *name)
{
    double v[4 * MAX_BOXES + 1];
    size_t n = 0;
    const char *s = ctx->locations;
    while (*s != '\0') {
        char *end = NULL;
        double d = strtod(s, &end);
        if (end == s || (*end != ',' && *end != '\0') || !isfinite(d)) {
            return bad(name, "locations: item %lld is not a number",
                       (long long)n + 1);
        }
        if (n == 4 * MAX_BOXES) {
            return bad(name,
                       "locations: more than %d boxes; X allows "
                       "at most %d",
                       MAX_BOXES, MAX_BOXES);
        }
        v[n++] = d;
        s = *end == ',' ? end + 1 : end;
    }
    if (n == 0 || n % 4 != 0) {
        return bad(name,
                   "locations: %lld numbers; each box is four "
                   "(sw_lon,sw_lat,ne_lon,ne_lat)",
                   (long long)n);
    }
    for (size_t i = 0; i < n; i += 4) {
        bool ok = v[i] >= -180 && v[i] <= 180 && v[i + 2] >= -180 &&
                  v[i + 2] <= 180 && v[i + 1] >= -90 && v[i + 1] <= 90 &&
                  v[i + 3] >= -90 && v[i + 3] <= 90 && v[i] < v[i + 2] &&
                  v[i + 1] < v[i + 3];
        if (!ok) {
            return bad(name,
                       "locations: box %lld is not a south-west, "
                       "north-east pair of lon,lat",
                       (long long)(i / 4 + 1));
        }
    }
    return 0;
}

static int validate(struct x1_ctx *ctx, const char *name)
{
    size_t longest;
    bool empty;

    if (ctx->track != NULL) {
        size_t n = n_items(ctx->track, &longest, &empty);
        if (n > MAX_TRACK) {
            return bad(name,
                       "track has %lld phrases; X allows at most "
                       "%d",
                       (long long)n, MAX_TRACK);
        }
        if (longest > MAX_TRACK_BYTES || empty) {
            return bad(name,
                       "track phrases must be 1 to %d bytes "
                       "(one has %lld)",
                       MAX_TRACK_BYTES, empty ? 0 : (long long)longest);
        }
    }
    if (ctx->follow != NULL) {
        size_t n = n_items(ctx->follow, &longest, &empty);
        if (n > MAX_FOLLOW) {
            return bad(name,
                       "follow has %lld ids; X allows at most "
                       "%d",
                       (long long)n, MAX_FOLLOW);
        }
        if (empty || longest > 20 ||
            strspn(ctx->follow, "0123456789,") != strlen(ctx->follow)) {
            return bad(name, "follow takes numeric user ids, comma "
                             "separated");
        }
    }
    if (ctx->locations != NULL) {
        int rc = check_locations(ctx, name);
        if (rc < 0) {
            return rc;
        }
    }
    if (ctx->delimited != NULL && strcmp(ctx->delimited, "length") != 0) {
        return bad(name, "delimited takes only \"length\"");
    }
    if (!ctx->sample && ctx->track == NULL && ctx->follow == NULL &&
        ctx->locations == NULL) {
        return bad(name, "statuses/filter needs track, follow or "
                         "locations");
    }
    if (ctx->time_scale <= 0 || ctx->stall_ms <= 0 || ctx->auth_retries < 0 ||
        ctx->dedupe_cap < 1 || ctx->dedupe_cap > (1 << 24)) {
        return bad(name, "time-scale and stall-timeout must be > 0, "
                         "dedupe-window 1..16777216");
    }
    if (ctx->fill_max_pages < 1 || ctx->fill_max_pages > 1000 ||
        strncmp(ctx->search_url, "http", 4) != 0) {
        return bad(name, "fill-max-pages must be 1..1000 and search-url "
                         "an http(s) URL");
    }
    return 0;
}

/* ---- the request and the records ------------------------------------------
 */

static size_t params(const struct x1_ctx *ctx, struct roost_kv *kv)
{
    size_t n = 0;
    if (ctx->delimited != NULL) {
        kv[n++] = (struct roost_kv){ "delimited", ctx->delimited };
    }
    if (ctx->follow != NULL) {
        kv[n++] = (struct roost_kv){ "follow", ctx->follow };
    }
    if (ctx->language != NULL) {
        kv[n++] = (struct roost_kv){ "language", ctx->language };
    }
    if (ctx->locations != NULL) {
        kv[n++] = (struct roost_kv){ "locations", ctx->locations };
    }
    if (ctx->stall_warnings) {
        kv[n++] = (struct roost_kv){ "stall_warnings", "true" };
    }
    if (ctx->track != NULL) {
        kv[n++] = (struct roost_kv){ "track", ctx->track };
    }
    return n;
}

static int x1_request(void *arg, bool reconnect, struct roost__xreq *req)
{
    struct x1_ctx *ctx = arg;
    struct roost_kv kv[8];
    size_t n = params(ctx, kv);
    struct roost_buf *form = ctx->sample ? &req->url : &req->body;
    int rc = roost_buf_adds(&req->url, ctx->url);

    (void)reconnect;
    req->method = ctx->sample ? "GET" : "POST";
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *sep = i == 0 ? (ctx->sample ? "?" : "") : "&";
        rc = roost_buf_printf(form, "%s%s=", sep, kv[i].key);
        if (rc == 0) {
            rc = roost_oauth1_pct(form, kv[i].value, strlen(kv[i].value));
        }
    }
    if (rc == 0) {
        rc = roost_oauth1_header(&ctx->creds, req->method, ctx->url, kv, n,
                                 NULL, 0, &req->auth);
    }
    return rc;
}

/* fill_query - track phrases joined by OR; a phrase of several words (all
 * of which the stream matches) goes in parentheses. */
static int fill_query(struct x1_ctx *ctx)
{
    struct roost_buf *q = &ctx->fill_q;
    const char *s = ctx->track;
    int rc = 0;

    roost_buf_init(q, 64 * 1024);
    while (s != NULL && rc == 0) {
        const char *c = strchr(s, ',');
        size_t len = c != NULL ? (size_t)(c - s) : strlen(s);
        bool words = memchr(s, ' ', len) != NULL;
        rc = roost_buf_printf(q, "%s%s%.*s%s", q->len > 0 ? " OR " : "",
                              words ? "(" : "", (int)len, s, words ? ")" : "");
        s = c != NULL ? c + 1 : NULL;
    }
    return rc;
}

static int x1_fill(void *arg, const char *since_id, const char *max_id,
                   struct roost__xreq *req)
{
    struct x1_ctx *ctx = arg;
    const struct roost_kv kv[] = {
        { "count", "100" },           { "include_entities", "true" },
        { "max_id", max_id },         { "q", ctx->fill_q.ptr },
        { "result_type", "recent" },  { "since_id", since_id },
        { "tweet_mode", "extended" },
    };
    size_t n = sizeof(kv) / sizeof(kv[0]);
    int rc = roost_buf_adds(&req->url, ctx->search_url);

    req->method = "GET";
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc =
            roost_buf_printf(&req->url, "%c%s=", i == 0 ? '?' : '&', kv[i].key);
        if (rc == 0) {
            rc = roost_oauth1_pct(&req->url, kv[i].value, strlen(kv[i].value));
        }
    }
    if (rc == 0) {
        rc = roost_oauth1_header(&ctx->creds, "GET", ctx->search_url, kv, n,
                                 NULL, 0, &req->auth);
    }
    return rc;
}

static void x1_inspect(void *arg, const struct roost_json_doc *d,
                       struct roost__xmsg *m)
{
    uint32_t v;
    (void)arg;
    if (!roost_json_is(d, 0, ROOST_JSON_OBJECT)) {
        return;
    }
    v = roost_json_get(d, 0, "limit");
    if (v != ROOST_JSON_NONE) {
        m->kind = ROOST__XMSG_LIMIT;
        if (!roost_json_i64(d, roost_json_get(d, v, "track"), &m->count)) {
            m->count = 0;
        }
        return;
    }
    v = roost_json_get(d, 0, "disconnect");
    if (v != ROOST_JSON_NONE) {
        m->kind = ROOST__XMSG_DISCONNECT;
        roost__xstream_copy(m->code, sizeof(m->code),
                            roost_json_text(d, roost_json_get(d, v, "code")));
        roost__xstream_copy(m->reason, sizeof(m->reason),
                            roost_json_str(d, roost_json_get(d, v, "reason")));
        return;
    }
    v = roost_json_get(d, 0, "warning");
    if (v != ROOST_JSON_NONE) {
        m->kind = ROOST__XMSG_WARNING;
        roost__xstream_copy(m->code, sizeof(m->code),
                            roost_json_text(d, roost_json_get(d, v, "code")));
        roost__xstream_copy(m->reason, sizeof(m->reason),
                            roost_json_str(d, roost_json_get(d, v, "message")));
        return;
    }
    v = roost_json_get(d, 0, "id_str");
    if (roost_json_is(d, v, ROOST_JSON_STRING) &&
        (roost_json_get(d, 0, "text") != ROOST_JSON_NONE ||
         roost_json_get(d, 0, "full_text") != ROOST_JSON_NONE)) {
        m->kind = ROOST__XMSG_POST;
        roost__xstream_copy(m->id, sizeof(m->id), roost_json_str(d, v));
    }
}

/* ---- ops ------------------------------------------------------------------
 */

static void x1_close(struct roost_source *src)
{
    struct x1_ctx *ctx = src->ctx;
    if (ctx->is_open) {
        roost__xstream_fini(&ctx->xs);
        ctx->is_open = false;
    }
    if (ctx->claimed) {
        roost_oauth1_release(ctx->claim, strlen(ctx->claim));
        ctx->claimed = false;
    }
    roost_oauth1_wipe(&ctx->creds);
    memset(ctx->claim, 0, sizeof(ctx->claim));
    roost_buf_fini(&ctx->fill_q);
}

static int x1_open(struct roost_source *src)
{
    struct x1_ctx *ctx = src->ctx;
    struct roost_diag diag;
    int rc;

    memset(&diag, 0, sizeof(diag));
    memset(&ctx->stats, 0, sizeof(ctx->stats));
    const char *url =
        src->arg != NULL && src->arg[0] != '\0' ? src->arg : DEFAULT_URL;
    size_t ulen = strlen(url);
    if (ulen >= sizeof(ctx->url) || strncmp(url, "http", 4) != 0) {
        roost__netsrc_report(src->name, "expected an http(s) URL, got '%.200s'",
                             url);
        return ROOST_ERR(ROOST_EINVAL);
    }
    memcpy(ctx->url, url, ulen + 1);
    ctx->sample = ulen >= 11 && strcmp(url + ulen - 11, "sample.json") == 0;
    rc = load_list(&ctx->track, src->name);
    if (rc == 0) {
        rc = load_list(&ctx->follow, src->name);
    }
    if (rc == 0) {
        rc = load_list(&ctx->locations, src->name);
    }
    if (rc < 0) {
        return rc;
    }
    rc = validate(ctx, src->name);
    if (rc < 0) {
        return rc;
    }
    rc = roost_oauth1_load(ctx->credentials, &ctx->creds, &diag);
    if (rc < 0) {
        roost__netsrc_report(src->name, "%s", diag.msg);
        return rc;
    }
    if (!roost_oauth1_has_user(&ctx->creds)) {
        roost__netsrc_report(src->name,
                             "needs OAuth 1.0a user credentials: "
                             "credentials=FILE (mode 0600) or X_CONSUMER_KEY, "
                             "X_CONSUMER_SECRET, X_ACCESS_TOKEN, "
                             "X_ACCESS_TOKEN_SECRET");
        return ROOST_ERR(ROOST_EINVAL);
    }
    snprintf(ctx->claim, sizeof(ctx->claim), "%s|%s", ctx->creds.consumer_key,
             ctx->creds.token);
    rc = roost_oauth1_claim(ctx->claim, strlen(ctx->claim));
    if (rc < 0) {
        roost__netsrc_report(src->name,
                             "another source already streams with these "
                             "credentials (X allows one connection each)");
        return ROOST_ERR(ROOST_EINVAL);
    }
    ctx->claimed = true;
    struct roost__xstream_cfg cfg = {
        .kind = "x1",
        .name = src->name,
        .cred_hint =
            ctx->credentials != NULL ? ctx->credentials : "the X_* environment",
        .stall_ms = ctx->stall_ms,
        .connect_timeout_ms = ctx->connect_timeout_ms,
        .time_scale = ctx->time_scale,
        .auth_retries = ctx->auth_retries,
        .dedupe_cap = (uint32_t)ctx->dedupe_cap,
        .max_pending = ctx->max_pending,
        .max_record = src->max_record_bytes,
        .length_delimited = ctx->delimited != NULL,
        .resume_id = NULL,
        .request = x1_request,
        .inspect = x1_inspect,
        .fill = NULL,
        .fill_max_pages = ctx->fill_max_pages,
        .arg = ctx,
    };
    if (ctx->fill_gaps && ctx->track == NULL) {
        roost__netsrc_report(src->name,
                             "fill-gaps needs track: search cannot match "
                             "follow or locations, gaps stay unfilled");
    } else if (ctx->fill_gaps) {
        rc = fill_query(ctx);
        if (rc < 0) {
            return rc;
        }
        cfg.fill = x1_fill;
    }
    const char *tab = strchr(src->resume, '\t');
    if (strncmp(src->resume, "x1\t", 3) == 0 && tab != NULL) {
        cfg.resume_id = tab + 1;
    }
    rc = roost__xstream_init(&ctx->xs, &cfg, &ctx->stats);
    if (rc < 0) {
        return rc;
    }
    ctx->is_open = true;
    return 0;
}

static int x1_fd(struct roost_source *src)
{
    (void)src;
    return -1; /* curl's sockets change under us: tick me */
}

static int x1_poll(struct roost_source *src, struct roost_batch *out)
{
    struct x1_ctx *ctx = src->ctx;
    if (!ctx->is_open) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    return roost__xstream_poll(&ctx->xs, out);
}

const struct roost_source_ops roost_source_x1 = {
    .name = "x1",
    .summary = "X API v1.1 statuses/filter and sample (OAuth 1.0a)",
    .options = x1_options,
    .ctx_size = sizeof(struct x1_ctx),
    .open = x1_open,
    .fd = x1_fd,
    .poll = x1_poll,
    .close = x1_close,
};
