/* SPDX-License-Identifier: MIT
 *
 * src_mastodon.c - Mastodon streaming over Server-Sent Events (libcurl).
 *
 *     mastodon:https://mastodon.social?stream=hashtag&tag=rust
 *     mastodon:https://streaming.example/api/v1/streaming/public/local
 *
 * ARG is an instance (then stream= picks public, public:local, hashtag,
 * hashtag:local, user or direct, and the streaming host is discovered
 * first: GET /api/v1/instance, urls.streaming_api, or the v2 shape
 * configuration.urls.streaming), or a full /api/v1/streaming/... URL,
 * used as it is. The user token goes in "Authorization: Bearer" from
 * token=, else from the environment variable named by token-env; it is
 * never logged.
 *
 * Records. SSE has no record of its own to keep: an event is a name plus
 * data lines. Each event becomes the record
 *
 *     {"event":"<name>","payload":"<data as a JSON string>"}
 *
 * the shape Mastodon's own WebSocket API sends, which fmt_mastodon.c
 * already reads (update / status.update carry a status, delete an id,
 * the rest become control events); the data bytes survive exactly, as
 * the decoded payload string. An event without a name keeps its data as
 * the record, byte for byte. Comment lines (":thump" heartbeats) are not
 * records; any byte, heartbeats included, proves the stream alive.
 *
 * Disconnects. A stream that ends, fails, answers an HTTP error or stays
 * silent for stall-timeout is reconnected: at once after a stream that
 * delivered events, else with exponential backoff (reconnect-min doubling
 * to reconnect-max, times time-scale). HTTP 401/403 is reported once on
 * stderr and retried auth-retries times with the backoff, then the source
 * ends with ROOST_EIO. Each drop appends a roost_gap record before the
 * first event after it (last/first status ids when the events had them).
 * The streaming API cannot replay, so nothing is rewound: a gap is a gap.
 *
 * Positions are "mastodon\t<last status id>": informative only, a stream
 * cannot be resumed.
 *
 * Waiting. A curl multi handle does the I/O; poll() calls
 * curl_multi_perform, which never blocks, and fd() returns -1 so the
 * runner ticks. The write callback stages bytes (over max-pending it
 * pauses the transfer); poll() feeds them to an SSE framer
 * (parse/frame.h) and moves whole events into batches.
 *
 * Start at ma_poll().
 */
#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "parse/frame.h"
#include "parse/json.h"
#include "source/netsrc_int.h"
#include "source/source.h"
#include "source/source_int.h"

#define FEED_BYTES    (64u << 10)
#define MAX_DOC_BYTES (1u << 20) /* instance answers */

enum ma_state {
    MA_WAIT = 0, /* no transfer; start one at next_ms */
    MA_DISCOVER, /* GET /api/v1/instance */
    MA_STREAM,   /* the event stream */
    MA_FAILED,   /* gave up: ROOST_EIO */
};

struct ma_ctx {
    /* options */
    char *stream;
    char *tag;
    char *token;
    char *token_env;
    bool discover;
    int64_t reconnect_min_ms;
    int64_t reconnect_max_ms;
    int64_t stall_ms;
    int64_t connect_timeout_ms;
    double time_scale;
    int64_t auth_retries;
    size_t max_pending;
    bool insecure;

    /* state */
    bool is_open;
    const char *name;
    char base[1024];       /* instance URL without a trailing '/' */
    char path[1024];       /* /api/v1/streaming/... of stream= */
    char stream_url[2048]; /* "" until known */
    char auth[1024];       /* "Authorization: Bearer ..." or "" */
    CURLM *multi;
    CURL *easy;
    struct curl_slist *headers;
    enum ma_state state;
    int64_t next_ms;
    int64_t last_rx_ms;
    bool got_events; /* this stream delivered an event */
    bool paused;
    long http_status;
    int64_t n_auth_fails;
    char err[CURL_ERROR_SIZE + 64];
    char curl_err[CURL_ERROR_SIZE];
    struct roost__backoff backoff;
    struct roost__gap gap;
    char last_id[64];

    struct roost_buf stage; /* bytes from curl, not yet framed */
    size_t stage_head;
    struct roost_buf doc_body; /* discovery answer */
    struct roost_frame frame;
    bool stream_ended;    /* flush the framer before the next stream */
    struct roost_buf rec; /* a wrapped event waiting for a batch */
    bool has_rec;
    int rec_err;
    struct roost_buf gap_rec;
    struct roost_json_doc doc;

    struct {
        uint64_t n_streams, n_drops, n_stalls, n_events, n_http_errors;
    } stats;
};

static const struct roost_option ma_options[] = {
    ROOST_OPT_STR("stream", "public", struct ma_ctx, stream,
                  "public, public:local, hashtag, hashtag:local, user, "
                  "direct"),
    ROOST_OPT_STR("tag", NULL, struct ma_ctx, tag,
                  "hashtag streams: the tag, without '#'"),
    ROOST_OPT_STR("token", NULL, struct ma_ctx, token,
                  "user access token (prefer token-env)"),
    ROOST_OPT_STR("token-env", "MASTODON_TOKEN", struct ma_ctx, token_env,
                  "environment variable holding the token"),
    ROOST_OPT_BOOL("discover", "true", struct ma_ctx, discover,
                   "ask /api/v1/instance for the streaming host"),
    ROOST_OPT_MS("reconnect-min", "1s", struct ma_ctx, reconnect_min_ms,
                 "first backoff after a failure; doubles"),
    ROOST_OPT_MS("reconnect-max", "5m", struct ma_ctx, reconnect_max_ms,
                 "longest backoff"),
    ROOST_OPT_MS("stall-timeout", "90s", struct ma_ctx, stall_ms,
                 "reconnect after this long without a byte (heartbeats "
                 "count)"),
    ROOST_OPT_MS("connect-timeout", "15s", struct ma_ctx, connect_timeout_ms,
                 "give up a connection attempt after this long"),
    ROOST_OPT_DOUBLE("time-scale", "1", struct ma_ctx, time_scale,
                     "multiply every backoff by this (tests: 0.01)"),
    ROOST_OPT_INT("auth-retries", "3", struct ma_ctx, auth_retries,
                  "refused tokens (401/403) before the source ends"),
    ROOST_OPT_SIZE("max-pending", "8MiB", struct ma_ctx, max_pending,
                   "received bytes held before reading pauses"),
    ROOST_OPT_BOOL("insecure", "false", struct ma_ctx, insecure,
                   "skip TLS certificate checks (test servers only)"),
    ROOST_OPT_END,
};

/* ---- curl callbacks -------------------------------------------------------
 */

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct ma_ctx *ctx = arg;
    size_t len = size * n;
    ctx->last_rx_ms = roost__netsrc_mono_ms();
    long code = 0;
    curl_easy_getinfo(ctx->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code != 200) {
        ctx->http_status = code;
        return len; /* an error body: read and dropped */
    }
    struct roost_buf *dst =
        ctx->state == MA_DISCOVER ? &ctx->doc_body : &ctx->stage;
    if (ctx->state == MA_STREAM &&
        ctx->stage.len - ctx->stage_head > ctx->max_pending) {
        ctx->paused = true;
        return CURL_WRITEFUNC_PAUSE;
    }
    if (roost_buf_add(dst, p, len) < 0) {
        return 0; /* too big: fail the transfer */
    }
    return len;
}

/* ---- starting and ending transfers ------------------------------------------
 */

static void set_err(struct ma_ctx *ctx, const char *why)
{
    snprintf(ctx->err, sizeof(ctx->err), "%s", why);
}

/* set_url - stream_url = prefix + path; false when it does not fit. */
static bool set_url(struct ma_ctx *ctx, const char *prefix, size_t plen)
{
    size_t n = strlen(ctx->path);
    if (plen + n + 1 > sizeof(ctx->stream_url)) {
        return false;
    }
    memcpy(ctx->stream_url, prefix, plen);
    memcpy(ctx->stream_url + plen, ctx->path, n + 1);
    return true;
}

static int start_transfer(struct ma_ctx *ctx, const char *url, bool stream)
{
    ctx->easy = curl_easy_init();
    if (ctx->easy == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    CURL *e = ctx->easy;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, ctx);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, ctx->headers);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, ctx->curl_err);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "roost/" ROOST_VERSION);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)ctx->connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!stream) {
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                         (long)ctx->connect_timeout_ms * 2);
    }
    if (ctx->insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    ctx->curl_err[0] = '\0';
    ctx->http_status = 0;
    ctx->paused = false;
    ctx->got_events = false;
    ctx->last_rx_ms = roost__netsrc_mono_ms();
    if (curl_multi_add_handle(ctx->multi, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        ctx->easy = NULL;
        return ROOST_ERR(ROOST_ENOMEM);
    }
    return 0;
}

static void stop_transfer(struct ma_ctx *ctx)
{
    if (ctx->easy != NULL) {
        curl_multi_remove_handle(ctx->multi, ctx->easy);
        curl_easy_cleanup(ctx->easy);
        ctx->easy = NULL;
    }
}

/* transfer_ended - plan what comes next after a transfer stopped. */
static void transfer_ended(struct ma_ctx *ctx, bool was_stream)
{
    stop_transfer(ctx);
    long code = ctx->http_status;
    if (code == 401 || code == 403) {
        ctx->n_auth_fails++;
        if (ctx->n_auth_fails == 1) {
            roost__netsrc_report(ctx->name,
                                 "server refused the token (HTTP %ld): "
                                 "check token/token-env; retrying %" PRId64
                                 " times with backoff",
                                 code, ctx->auth_retries);
        }
        if (ctx->n_auth_fails > ctx->auth_retries) {
            roost__netsrc_report(ctx->name, "giving up after HTTP %ld", code);
            ctx->state = MA_FAILED;
            return;
        }
    } else if (code >= 300) {
        ctx->stats.n_http_errors++;
    }
    if (was_stream) {
        /* drain() finishes the framer, then opens the gap */
        ctx->stream_ended = true;
        ctx->stats.n_drops += ctx->got_events || code == 200;
        if (ctx->got_events) {
            roost__backoff_reset(&ctx->backoff);
        }
    }
    ctx->state = MA_WAIT;
    ctx->next_ms = roost__netsrc_mono_ms() + roost__backoff_next(&ctx->backoff);
}

/* ---- discovery --------------------------------------------------------------
 */

/* use_streaming_host - stream_url from the instance's streaming URL. */
static int use_streaming_host(struct ma_ctx *ctx, struct roost_str host)
{
    char h[1024];
    if (host.len == 0 || host.len >= sizeof(h)) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    memcpy(h, host.ptr, host.len);
    h[host.len] = '\0';
    while (host.len > 0 && h[strlen(h) - 1] == '/') {
        h[strlen(h) - 1] = '\0';
    }
    const char *rest = h;
    const char *scheme = "https";
    if (strncmp(h, "wss://", 6) == 0) {
        rest = h + 6;
    } else if (strncmp(h, "ws://", 5) == 0) {
        rest = h + 5;
        scheme = "http";
    } else if (strncmp(h, "https://", 8) == 0) {
        rest = h + 8;
    } else if (strncmp(h, "http://", 7) == 0) {
        rest = h + 7;
        scheme = "http";
    }
    char prefix[1100];
    int n = snprintf(prefix, sizeof(prefix), "%s://%s", scheme, rest);
    if (n < 0 || (size_t)n >= sizeof(prefix) ||
        !set_url(ctx, prefix, (size_t)n)) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    return 0;
}

static void discovered(struct ma_ctx *ctx)
{
    struct roost_json_doc *d = &ctx->doc;
    struct roost_str host = ROOST_STR_NULL;
    if (ctx->http_status == 0 &&
        roost_json_parse(d, ctx->doc_body.ptr != NULL ? ctx->doc_body.ptr : "",
                         ctx->doc_body.len, NULL) == 0) {
        host = roost_json_str(d, roost_json_path(d, 0, "urls.streaming_api"));
        if (host.ptr == NULL) {
            host = roost_json_str(
                d, roost_json_path(d, 0, "configuration.urls.streaming"));
        }
    }
    roost_buf_reset(&ctx->doc_body);
    if (host.ptr != NULL && use_streaming_host(ctx, host) == 0) {
        ctx->discover = false;
        stop_transfer(ctx);
        ctx->state = MA_WAIT;
        ctx->next_ms = roost__netsrc_mono_ms();
        return;
    }
    /* No answer: stream from the instance host itself, as old servers do */
    if ((ctx->http_status == 0 || ctx->http_status == 404) &&
        set_url(ctx, ctx->base, strlen(ctx->base))) {
        ctx->discover = false;
    }
    set_err(ctx, "instance discovery failed");
    transfer_ended(ctx, false);
}

/* ---- events to records ------------------------------------------------------
 */

/* note_id - the status id of an update, for positions and gaps. */
static void note_id(struct ma_ctx *ctx, struct roost_str ev, const char *p,
                    size_t len)
{
    bool status = roost_str_eq_cstr(ev, "update") ||
                  roost_str_eq_cstr(ev, "status.update");
    if (!status || roost_json_parse(&ctx->doc, p, len, NULL) < 0) {
        return;
    }
    struct roost_str id =
        roost_json_text(&ctx->doc, roost_json_get(&ctx->doc, 0, "id"));
    if (id.ptr != NULL && id.len < sizeof(ctx->last_id)) {
        memcpy(ctx->last_id, id.ptr, id.len);
        ctx->last_id[id.len] = '\0';
    }
}

static int add(struct ma_ctx *ctx, struct roost_batch *out, const char *p,
               size_t len, int err)
{
    char pos[96];
    int n = snprintf(pos, sizeof(pos), "mastodon\t%s", ctx->last_id);
    return roost_batch_add(out, p, len, roost__now_ms(), pos, (size_t)n, 0,
                           err);
}

/* put_rec - the waiting record (and the gap before it) into out. */
static int put_rec(struct ma_ctx *ctx, struct roost_batch *out)
{
    if (ctx->gap.open) {
        roost_buf_reset(&ctx->gap_rec);
        int rc =
            roost__gap_write(&ctx->gap, ctx->name, "mastodon", ctx->last_id, &ctx->gap_rec);
        if (rc == 0) {
            rc = add(ctx, out, ctx->gap_rec.ptr, ctx->gap_rec.len, 0);
        }
        if (rc < 0) {
            ctx->gap.open = true;
            return rc;
        }
    }
    int rc = add(ctx, out, ctx->rec.ptr, ctx->rec.len, ctx->rec_err);
    if (rc == ROOST_ELIMIT && out->n_recs == 0) {
        size_t keep = roost_batch_avail(out) / 2;
        rc = add(ctx, out, ctx->rec.ptr,
                 keep < ctx->rec.len ? keep : ctx->rec.len, ROOST_ELIMIT);
    }
    if (rc == 0) {
        ctx->has_rec = false;
    }
    return rc;
}

/* wrap - event name + data into ctx->rec (see the header comment). */
static int wrap(struct ma_ctx *ctx, const struct roost_record *r, int err)
{
    roost_buf_reset(&ctx->rec);
    int rc;
    if (r->event.len == 0) {
        rc = roost_buf_add(&ctx->rec, r->ptr, r->len);
    } else {
        rc = roost_buf_adds(&ctx->rec, "{\"event\":");
        if (rc == 0) {
            rc = roost_buf_add_json_str(&ctx->rec, r->event.ptr, r->event.len);
        }
        if (rc == 0) {
            rc = roost_buf_adds(&ctx->rec, ",\"payload\":");
        }
        if (rc == 0) {
            rc = roost_buf_add_json_str(&ctx->rec, r->ptr, r->len);
        }
        if (rc == 0) {
            rc = roost_buf_addc(&ctx->rec, '}');
        }
    }
    if (rc == ROOST_ELIMIT) {
        /* escaping pushed it over: keep the raw data, flagged */
        roost_buf_reset(&ctx->rec);
        size_t keep = r->len < ctx->rec.max_len ? r->len : ctx->rec.max_len;
        rc = roost_buf_add(&ctx->rec, r->ptr, keep);
        err = ROOST_ELIMIT;
    }
    if (rc < 0) {
        return rc;
    }
    note_id(ctx, r->event, r->ptr, r->len);
    ctx->has_rec = true;
    ctx->rec_err = err;
    ctx->got_events = true;
    ctx->stats.n_events++;
    return 0;
}

/* end_stream - the old stream is fully drained: reset the framer and
 * open the gap (after the old stream's last event, so last_id is right). */
static void end_stream(struct ma_ctx *ctx)
{
    size_t max = ctx->frame.max_record_bytes;
    roost_frame_fini(&ctx->frame);
    roost_frame_init(&ctx->frame, max);
    roost_frame_set_mode(&ctx->frame, ROOST_FRAME_SSE);
    ctx->stream_ended = false;
    if (ctx->stats.n_events > 0) {
        /* a gap only after we were collecting */
        roost__gap_open(&ctx->gap, ctx->last_id, ctx->err);
    }
}

/* drain - framed events into out; feed staged bytes as the framer asks. */
static int drain(struct ma_ctx *ctx, struct roost_batch *out)
{
    for (;;) {
        if (ctx->has_rec) {
            int rc = put_rec(ctx, out);
            if (rc < 0) {
                return rc;
            }
        }
        struct roost_record r;
        int rc = roost_frame_next(&ctx->frame, &r, NULL);
        if (rc == 0 || rc == ROOST_ELIMIT || rc == ROOST_EPARSE) {
            rc = wrap(ctx, &r, rc);
            if (rc < 0) {
                return rc;
            }
            continue;
        }
        if (rc == ROOST_ENOENT) {
            end_stream(ctx);
            break;
        }
        if (rc != ROOST_EAGAIN) {
            return rc;
        }
        size_t avail = ctx->stage.len - ctx->stage_head;
        if (avail == 0 && ctx->stream_ended && !ctx->frame.eof) {
            roost_frame_finish(&ctx->frame); /* a cut event is flagged */
            continue;
        }
        if (avail == 0) {
            break;
        }
        size_t n = avail < FEED_BYTES ? avail : FEED_BYTES;
        rc = roost_frame_feed(&ctx->frame, ctx->stage.ptr + ctx->stage_head, n);
        if (rc < 0) {
            return rc;
        }
        ctx->stage_head += n;
    }
    roost_buf_reset(&ctx->stage);
    ctx->stage_head = 0;
    if (ctx->paused && ctx->easy != NULL) {
        ctx->paused = false;
        curl_easy_pause(ctx->easy, CURLPAUSE_CONT);
    }
    return 0;
}

/* ---- the plug-in ops --------------------------------------------------------
 */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void init_curl(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int stream_path(struct ma_ctx *ctx, char *out, size_t cap)
{
    static const struct {
        const char *name;
        const char *path;
        bool tag;
    } streams[] = {
        { "public", "/public", false },
        { "public:local", "/public/local", false },
        { "public:remote", "/public/remote", false },
        { "hashtag", "/hashtag", true },
        { "hashtag:local", "/hashtag/local", true },
        { "user", "/user", false },
        { "direct", "/direct", false },
    };
    for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]); i++) {
        if (strcmp(ctx->stream, streams[i].name) != 0) {
            continue;
        }
        struct roost_buf b;
        roost_buf_init(&b, cap - 1);
        int rc = roost_buf_printf(&b, "/api/v1/streaming%s", streams[i].path);
        if (streams[i].tag) {
            if (ctx->tag == NULL || ctx->tag[0] == '\0') {
                roost_buf_fini(&b);
                roost__netsrc_report(ctx->name,
                                     "stream=%s needs tag=", ctx->stream);
                return ROOST_ERR(ROOST_EINVAL);
            }
            const char *t = ctx->tag[0] == '#' ? ctx->tag + 1 : ctx->tag;
            if (rc == 0) {
                rc = roost__url_add_param(&b, "tag", t, strlen(t));
            }
        }
        if (rc == 0) {
            snprintf(out, cap, "%s", b.ptr);
        }
        roost_buf_fini(&b);
        return rc < 0 ? ROOST_ERR(ROOST_EINVAL) : 0;
    }
    roost__netsrc_report(ctx->name, "unknown stream '%s'", ctx->stream);
    return ROOST_ERR(ROOST_EINVAL);
}

static int ma_open(struct roost_source *src)
{
    struct ma_ctx *ctx = src->ctx;
    ctx->is_open = true;
    ctx->name = src->name;
    roost_buf_init(&ctx->stage, ctx->max_pending + CURL_MAX_WRITE_SIZE);
    roost_buf_init(&ctx->doc_body, MAX_DOC_BYTES);
    roost_buf_init(&ctx->rec, src->max_record_bytes);
    roost_buf_init(&ctx->gap_rec, 4096);
    roost_frame_init(&ctx->frame, src->max_record_bytes);
    roost_frame_set_mode(&ctx->frame, ROOST_FRAME_SSE);
    roost_json_doc_init(&ctx->doc, 0, src->max_record_bytes);
    memset(&ctx->stats, 0, sizeof(ctx->stats));

    struct roost__url u;
    if (roost__url_parse(src->arg, &u) < 0 ||
        strncmp(u.scheme, "http", 4) != 0) {
        roost__netsrc_report(src->name,
                             "want https://INSTANCE or a streaming URL");
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (ctx->reconnect_min_ms < 0 || ctx->reconnect_max_ms < 0 ||
        ctx->stall_ms < 0 || ctx->connect_timeout_ms < 1 ||
        ctx->time_scale <= 0 || ctx->auth_retries < 0 || ctx->max_pending < 1) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    int rc = 0;
    if (strncmp(u.path, "/api/v1/streaming", 17) == 0) {
        snprintf(ctx->stream_url, sizeof(ctx->stream_url), "%s", src->arg);
        ctx->discover = false;
    } else {
        snprintf(ctx->base, sizeof(ctx->base), "%s", src->arg);
        size_t bl = strlen(ctx->base);
        while (bl > 0 && ctx->base[bl - 1] == '/') {
            ctx->base[--bl] = '\0';
        }
        rc = stream_path(ctx, ctx->path, sizeof(ctx->path));
        if (rc < 0) {
            return rc;
        }
        if (!ctx->discover && !set_url(ctx, ctx->base, strlen(ctx->base))) {
            return ROOST_ERR(ROOST_EINVAL);
        }
    }
    const char *token = ctx->token;
    if ((token == NULL || token[0] == '\0') && ctx->token_env != NULL) {
        token = getenv(ctx->token_env);
    }
    pthread_once(&curl_once, init_curl);
    if (token != NULL && token[0] != '\0') {
        snprintf(ctx->auth, sizeof(ctx->auth), "Authorization: Bearer %s",
                 token);
        ctx->headers = curl_slist_append(NULL, ctx->auth);
    }
    struct curl_slist *h =
        curl_slist_append(ctx->headers, "Accept: text/event-stream");
    if (h == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    ctx->headers = h;
    ctx->multi = curl_multi_init();
    if (ctx->multi == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    roost__backoff_init(&ctx->backoff, ctx->reconnect_min_ms,
                        ctx->reconnect_max_ms, ctx->time_scale);
    ctx->state = MA_WAIT;
    ctx->next_ms = roost__netsrc_mono_ms();
    return 0;
}

static int ma_fd(struct roost_source *src)
{
    (void)src;
    return -1; /* curl's sockets change under us: tick me */
}

static void maybe_start(struct ma_ctx *ctx)
{
    if (ctx->state != MA_WAIT || roost__netsrc_mono_ms() < ctx->next_ms ||
        ctx->stream_ended || ctx->has_rec) {
        return; /* the old stream's events go out first */
    }
    int rc;
    if (ctx->discover) {
        char url[1200];
        snprintf(url, sizeof(url), "%s/api/v1/instance", ctx->base);
        roost_buf_reset(&ctx->doc_body);
        ctx->state = MA_DISCOVER;
        rc = start_transfer(ctx, url, false);
    } else {
        ctx->state = MA_STREAM;
        ctx->stats.n_streams++;
        rc = start_transfer(ctx, ctx->stream_url, true);
    }
    if (rc < 0) {
        set_err(ctx, "cannot start a transfer");
        transfer_ended(ctx, false);
    }
}

static void check_done(struct ma_ctx *ctx)
{
    int left = 0;
    CURLMsg *m;
    while ((m = curl_multi_info_read(ctx->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE || m->easy_handle != ctx->easy) {
            continue;
        }
        CURLcode res = m->data.result;
        long code = 0;
        curl_easy_getinfo(ctx->easy, CURLINFO_RESPONSE_CODE, &code);
        if (code != 200 && code != 0) {
            ctx->http_status = code;
        }
        if (ctx->http_status != 0) {
            snprintf(ctx->err, sizeof(ctx->err), "HTTP %ld", ctx->http_status);
        } else if (res != CURLE_OK) {
            snprintf(ctx->err, sizeof(ctx->err), "%s",
                     ctx->curl_err[0] ? ctx->curl_err
                                      : curl_easy_strerror(res));
        } else {
            snprintf(ctx->err, sizeof(ctx->err), "server closed the stream");
        }
        if (ctx->state == MA_DISCOVER) {
            discovered(ctx);
        } else {
            transfer_ended(ctx, true);
        }
        return;
    }
}

static void check_stall(struct ma_ctx *ctx)
{
    if (ctx->state != MA_STREAM || ctx->stall_ms <= 0 || ctx->paused) {
        return;
    }
    if (roost__netsrc_mono_ms() - ctx->last_rx_ms >= ctx->stall_ms) {
        ctx->stats.n_stalls++;
        snprintf(ctx->err, sizeof(ctx->err), "stall: no byte in time");
        ctx->http_status = 0;
        transfer_ended(ctx, true);
    }
}

/*
 * ma_poll - events a full batch left, then curl, then new events.
 * Returns 0 when it appended records, ROOST_EAGAIN when none, ROOST_ELIMIT
 * when out is full, ROOST_EIO once the token was refused auth-retries
 * times.
 */
static int ma_poll(struct roost_source *src, struct roost_batch *out)
{
    struct ma_ctx *ctx = src->ctx;
    if (!ctx->is_open) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    uint32_t n_before = out->n_recs;
    int rc = drain(ctx, out);
    if (rc < 0) {
        return rc;
    }
    if (ctx->state == MA_FAILED) {
        return ROOST_ERR(ROOST_EIO);
    }
    maybe_start(ctx);
    int running = 0;
    curl_multi_perform(ctx->multi, &running);
    check_done(ctx);
    check_stall(ctx);
    rc = drain(ctx, out);
    if (rc < 0) {
        return rc;
    }
    return out->n_recs > n_before ? 0 : ROOST_EAGAIN;
}

static void ma_close(struct roost_source *src)
{
    struct ma_ctx *ctx = src->ctx;
    if (!ctx->is_open) {
        return;
    }
    stop_transfer(ctx);
    if (ctx->multi != NULL) {
        curl_multi_cleanup(ctx->multi);
        ctx->multi = NULL;
    }
    curl_slist_free_all(ctx->headers);
    ctx->headers = NULL;
    memset(ctx->auth, 0, sizeof(ctx->auth)); /* the token */
    roost_buf_fini(&ctx->stage);
    roost_buf_fini(&ctx->doc_body);
    roost_buf_fini(&ctx->rec);
    roost_buf_fini(&ctx->gap_rec);
    roost_frame_fini(&ctx->frame);
    roost_json_doc_fini(&ctx->doc);
    ctx->stage_head = 0;
    ctx->has_rec = false;
    ctx->stream_ended = false;
    ctx->last_id[0] = '\0';
    memset(&ctx->gap, 0, sizeof(ctx->gap));
    ctx->is_open = false;
}

const struct roost_source_ops roost_source_mastodon = {
    .name = "mastodon",
    .summary = "Mastodon streaming API over SSE (public, hashtag, user...)",
    .options = ma_options,
    .ctx_size = sizeof(struct ma_ctx),
    .open = ma_open,
    .fd = ma_fd,
    .poll = ma_poll,
    .close = ma_close,
};
