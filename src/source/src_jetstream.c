/* SPDX-License-Identifier: MIT
 *
 * src_jetstream.c - Bluesky Jetstream over WebSocket (libwebsockets).
 *
 *     jetstream:wss://jetstream2.us-east.bsky.network/subscribe
 *         ?wantedCollections=app.bsky.feed.post&wantedDids=did:plc:a,did:plc:b
 *
 * Each WebSocket message is one JSON event and becomes one record, byte
 * for byte as the server sent it (with compress=true: as it decompressed,
 * with the service's zstd dictionary given by zstd-dictionary=PATH). The
 * URL's query parameters are this source's options; lists are comma
 * separated and go out as repeated parameters.
 *
 * Cursor. Events carry time_us, a unix-microsecond cursor (v1); a v2
 * server's sequence number ("seq", much smaller) is accepted too and told
 * apart by magnitude. The record position is "jetstream\t<cursor>", the
 * highest cursor seen so far (events arrive a little out of time_us
 * order, so the latest event's own cursor could go backwards). On a
 * reconnect the source asks for cursor - rewind (a few seconds; for
 * sequence cursors rewind-seq events), because the server's ordering
 * only holds within a connection. The overlap is removed by a bounded set
 * of recently emitted keys: (did, rev, rkey, operation) for commits,
 * (did, kind, cursor) for identity and account events. After a process
 * restart (src->resume) the set is empty, so events at or before the
 * resumed cursor are dropped instead: exactly once against the archive,
 * at the price of an event the old connection would have delivered late.
 *
 * Disconnects. A stream that closes, fails or stalls (no message for
 * stall-timeout) is reconnected: at once after a connection that
 * delivered events, then with exponential backoff (reconnect-min doubling
 * to reconnect-max, every delay times time-scale). A refused handshake
 * (HTTP 401/403) is reported once on stderr, retried auth-retries times
 * with the same backoff, then ends the source with ROOST_EIO. Every drop
 * appends a roost_gap record (parse/post.h) just before the first new
 * event after it, with the cursor before and after.
 *
 * Threads and waiting. libwebsockets runs its own poll loop; poll() drives
 * it with lws_service(ctx, -1), which never waits, and fd() returns -1 so
 * the runner ticks every few ms. Callbacks only append whole messages to
 * the inbox (bounded: over max-pending, rx flow control pauses the
 * socket); poll() moves them from the inbox into batches.
 *
 * Start at js_poll().
 */
#include <errno.h>
#include <inttypes.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "core/mem.h"
#include "parse/json.h"
#include "source/netsrc_int.h"
#include "source/source.h"
#include "source/source_int.h"

#define SERVICE_ROUNDS 8                 /* lws_service calls per poll */
#define SEQ_CURSOR_MAX 100000000000000ll /* below: a sequence cursor */
#define MAX_DICT_BYTES (16u << 20)

enum js_state {
    JS_WAIT = 0,   /* no connection; connect at next_ms */
    JS_CONNECTING, /* handshake in progress */
    JS_UP,         /* receiving */
    JS_FAILED,     /* gave up (auth refused too often): ROOST_EIO */
};

struct js_ctx {
    /* options, written by the core */
    char *collections;
    char *dids;
    int64_t cursor_opt;
    int64_t rewind_ms;
    int64_t rewind_seq;
    bool compress;
    char *dict_path;
    int64_t reconnect_min_ms;
    int64_t reconnect_max_ms;
    int64_t stall_ms;
    int64_t connect_timeout_ms;
    double time_scale;
    int64_t auth_retries;
    int64_t recent_cap;
    size_t max_pending;

    /* state */
    bool is_open;
    const char *name; /* the instance name, for reports and gap records */
    struct roost__url url;
    struct lws_context *lws;
    struct lws *wsi;
    enum js_state state;
    int64_t next_ms;    /* monotonic: next connect attempt */
    int64_t state_ms;   /* monotonic: when the state was entered */
    int64_t last_rx_ms; /* monotonic: last message */
    bool got_data;      /* this connection delivered a message */
    bool paused;        /* rx flow control is off */
    bool kill;          /* close the connection at the next service */
    bool closing;       /* js_close: callbacks change nothing */
    int http_status;    /* of a refused handshake */
    int64_t n_auth_fails;
    char err[160]; /* why the last connection ended */
    struct roost__backoff backoff;
    struct roost__recent recent;
    struct roost__gap gap;
    int64_t cursor;        /* highest cursor emitted; 0 none */
    int64_t resume_cursor; /* restart: drop events at or before */

    /* messages: the one being received, then whole ones in the inbox as
     * [u32 len][i64 recv_ms][bytes], consumed from inbox_head */
    struct roost_buf msg;
    bool msg_over; /* the message passed max-record: cut */
    bool msg_binary;
    struct roost_buf inbox;
    size_t inbox_head;
    struct roost_buf scratch; /* zstd output, gap records */
    struct roost_json_doc doc;
    ZSTD_DCtx *zd;
    ZSTD_DDict *dict;

    struct {
        uint64_t n_conns, n_drops, n_stalls, n_dupes, n_skipped;
        uint64_t n_cut, n_bad_zstd, n_gaps;
    } stats;
};

static const struct roost_option js_options[] = {
    ROOST_OPT_STR("wantedCollections", NULL, struct js_ctx, collections,
                  "collection NSIDs (comma separated, prefix.* allowed)"),
    ROOST_OPT_STR("wantedDids", NULL, struct js_ctx, dids,
                  "repo DIDs to receive (comma separated)"),
    ROOST_OPT_INT("cursor", "0", struct js_ctx, cursor_opt,
                  "start cursor (time_us or seq) when not resuming; 0 live"),
    ROOST_OPT_MS("rewind", "5s", struct js_ctx, rewind_ms,
                 "time cursors: ask this much earlier on reconnect"),
    ROOST_OPT_INT("rewind-seq", "1000", struct js_ctx, rewind_seq,
                  "sequence cursors: ask this many events earlier"),
    ROOST_OPT_BOOL("compress", "false", struct js_ctx, compress,
                   "ask for zstd-compressed messages (needs the dictionary)"),
    ROOST_OPT_STR("zstd-dictionary", NULL, struct js_ctx, dict_path,
                  "the service's zstd dictionary file, for compress=true"),
    ROOST_OPT_MS("reconnect-min", "1s", struct js_ctx, reconnect_min_ms,
                 "first backoff after a failed connect; doubles"),
    ROOST_OPT_MS("reconnect-max", "60s", struct js_ctx, reconnect_max_ms,
                 "longest backoff between connects"),
    ROOST_OPT_MS("stall-timeout", "60s", struct js_ctx, stall_ms,
                 "reconnect after this long without a message"),
    ROOST_OPT_MS("connect-timeout", "15s", struct js_ctx, connect_timeout_ms,
                 "give up a handshake after this long"),
    ROOST_OPT_DOUBLE("time-scale", "1", struct js_ctx, time_scale,
                     "multiply every backoff by this (tests: 0.01)"),
    ROOST_OPT_INT("auth-retries", "3", struct js_ctx, auth_retries,
                  "refused handshakes (401/403) before the source ends"),
    ROOST_OPT_INT("dedupe-window", "65536", struct js_ctx, recent_cap,
                  "recent event keys kept to drop reconnect duplicates"),
    ROOST_OPT_SIZE("max-pending", "8MiB", struct js_ctx, max_pending,
                   "received bytes held before reading pauses"),
    ROOST_OPT_END,
};

/* ---- connection events (called inside lws_service) ----------------------- */

static void set_err(struct js_ctx *ctx, const char *why, const void *in,
                    size_t len)
{
    if (in != NULL && len > 0) {
        snprintf(ctx->err, sizeof(ctx->err), "%s: %.*s", why, (int)len,
                 (const char *)in);
    } else if (in != NULL) {
        snprintf(ctx->err, sizeof(ctx->err), "%s: %s", why, (const char *)in);
    } else {
        snprintf(ctx->err, sizeof(ctx->err), "%s", why);
    }
}

static char *cursor_text(int64_t c, char *buf, size_t cap)
{
    if (c > 0) {
        snprintf(buf, cap, "%" PRId64, c);
    } else {
        buf[0] = '\0';
    }
    return buf;
}

/* connection_ended - the wsi is gone: open a gap, plan the reconnect. */
static void connection_ended(struct js_ctx *ctx)
{
    char cur[32];
    bool was_up = ctx->state == JS_UP;
    ctx->wsi = NULL;
    ctx->paused = false;
    ctx->kill = false;
    roost_buf_reset(&ctx->msg);
    ctx->msg_over = false;
    if (was_up) {
        ctx->stats.n_drops++;
        roost__gap_open(&ctx->gap, cursor_text(ctx->cursor, cur, sizeof(cur)),
                        ctx->err);
    }
    if (ctx->http_status == 401 || ctx->http_status == 403) {
        ctx->n_auth_fails++;
        if (ctx->n_auth_fails == 1) {
            roost__netsrc_report(ctx->name,
                                 "server refused the connection (HTTP %d): "
                                 "check the token; retrying %" PRId64
                                 " times with backoff",
                                 ctx->http_status, ctx->auth_retries);
        }
        if (ctx->n_auth_fails > ctx->auth_retries) {
            roost__netsrc_report(ctx->name, "giving up after HTTP %d",
                                 ctx->http_status);
            ctx->state = JS_FAILED;
            return;
        }
    }
    if (was_up && ctx->got_data) {
        roost__backoff_reset(&ctx->backoff);
    }
    ctx->state = JS_WAIT;
    ctx->next_ms = roost__netsrc_mono_ms() + roost__backoff_next(&ctx->backoff);
}

/* inbox_put - one whole message, decompressed when it came compressed. */
static void inbox_put(struct js_ctx *ctx)
{
    const char *p = ctx->msg.ptr;
    size_t len = ctx->msg.len;
    if (ctx->msg_binary && ctx->zd != NULL && !ctx->msg_over) {
        roost_buf_reset(&ctx->scratch);
        ZSTD_inBuffer in = { p, len, 0 };
        size_t zr = 1;
        while (zr != 0 && in.pos < in.size) {
            if (roost_buf_reserve(&ctx->scratch, 64 * 1024) < 0) {
                ctx->msg_over = true;
                break;
            }
            ZSTD_outBuffer out = { ctx->scratch.ptr + ctx->scratch.len,
                                   ctx->scratch.cap - ctx->scratch.len - 1, 0 };
            zr = ZSTD_decompressStream(ctx->zd, &out, &in);
            if (ZSTD_isError(zr)) {
                ctx->stats.n_bad_zstd++;
                ZSTD_DCtx_reset(ctx->zd, ZSTD_reset_session_only);
                break;
            }
            ctx->scratch.len += out.pos;
        }
        if (zr == 0 || ctx->msg_over) {
            p = ctx->scratch.ptr;
            len = ctx->scratch.len;
        }
    }
    uint32_t n = (uint32_t)len;
    int64_t now = roost__now_ms();
    int32_t flag = ctx->msg_over ? ROOST_ELIMIT : 0;
    /* The inbox cap is soft (max_pending) plus one message: never drop */
    if (roost_buf_add(&ctx->inbox, &n, sizeof(n)) < 0 ||
        roost_buf_add(&ctx->inbox, &now, sizeof(now)) < 0 ||
        roost_buf_add(&ctx->inbox, &flag, sizeof(flag)) < 0 ||
        roost_buf_add(&ctx->inbox, p, len) < 0) {
        ctx->kill = true; /* out of memory: reconnect rather than lose */
        set_err(ctx, "inbox full", NULL, 0);
    }
    if (ctx->msg_over) {
        ctx->stats.n_cut++;
    }
    roost_buf_reset(&ctx->msg);
    ctx->msg_over = false;
}

static int js_callback(struct lws *wsi, enum lws_callback_reasons reason,
                       void *user, void *in, size_t len)
{
    struct js_ctx *ctx = lws_context_user(lws_get_context(wsi));
    if (ctx == NULL || ctx->closing) {
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        ctx->state = JS_UP;
        ctx->state_ms = ctx->last_rx_ms = roost__netsrc_mono_ms();
        ctx->stats.n_conns++;
        ctx->n_auth_fails = 0;
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE: {
        if (ctx->kill) {
            return -1;
        }
        if (lws_is_first_fragment(wsi)) {
            roost_buf_reset(&ctx->msg);
            ctx->msg_over = false;
            ctx->msg_binary = lws_frame_is_binary(wsi) != 0;
        }
        ctx->last_rx_ms = roost__netsrc_mono_ms();
        if (!ctx->msg_over && roost_buf_add(&ctx->msg, in, len) < 0) {
            ctx->msg_over = true; /* keep the head; drop the rest */
        }
        if (lws_is_final_fragment(wsi) &&
            lws_remaining_packet_payload(wsi) == 0) {
            ctx->got_data = true;
            inbox_put(ctx);
            if (ctx->inbox.len - ctx->inbox_head > ctx->max_pending &&
                !ctx->paused) {
                lws_rx_flow_control(wsi, 0);
                ctx->paused = true;
            }
        }
        return 0;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        ctx->http_status = (int)lws_http_client_http_response(wsi);
        set_err(ctx, "connect failed", in, 0);
        if (ctx->wsi == wsi || ctx->wsi == NULL) {
            connection_ended(ctx);
        }
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (ctx->err[0] == '\0') {
            set_err(ctx, "server closed the stream", NULL, 0);
        }
        connection_ended(ctx);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols js_protocols[] = {
    { "roost-jetstream", js_callback, 0, 64 * 1024, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* ---- connecting -----------------------------------------------------------
 */

static int add_list(struct roost_buf *b, const char *key, const char *list)
{
    const char *p = list;
    while (p != NULL && *p != '\0') {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (n > 0) {
            int rc = roost__url_add_param(b, key, p, n);
            if (rc < 0) {
                return rc;
            }
        }
        p = comma != NULL ? comma + 1 : NULL;
    }
    return 0;
}

/* connect_cursor - where to start: rewound from the last cursor seen. */
static int64_t connect_cursor(const struct js_ctx *ctx)
{
    int64_t c = ctx->cursor > 0 ? ctx->cursor : ctx->cursor_opt;
    if (c <= 0) {
        return 0;
    }
    int64_t back =
        c >= SEQ_CURSOR_MAX ? ctx->rewind_ms * 1000 : ctx->rewind_seq;
    return c > back ? c - back : 1;
}

static void start_connect(struct js_ctx *ctx)
{
    struct roost_buf path;
    roost_buf_init(&path, 8192);
    int rc = roost_buf_adds(&path, ctx->url.path);
    if (rc == 0) {
        rc = add_list(&path, "wantedCollections", ctx->collections);
    }
    if (rc == 0) {
        rc = add_list(&path, "wantedDids", ctx->dids);
    }
    int64_t c = connect_cursor(ctx);
    if (rc == 0 && c > 0) {
        char num[32];
        snprintf(num, sizeof(num), "%" PRId64, c);
        rc = roost__url_add_param(&path, "cursor", num, strlen(num));
    }
    if (rc == 0 && ctx->compress) {
        rc = roost__url_add_param(&path, "compress", "true", 4);
    }
    ctx->err[0] = '\0';
    ctx->http_status = 0;
    ctx->got_data = false;
    ctx->state_ms = roost__netsrc_mono_ms();
    if (rc < 0) {
        set_err(ctx, "request path too long", NULL, 0);
        roost_buf_fini(&path);
        connection_ended(ctx);
        return;
    }
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.context = ctx->lws;
    ci.address = ctx->url.host;
    ci.port = ctx->url.port;
    ci.ssl_connection = ctx->url.tls ? LCCSCF_USE_SSL : 0;
    ci.path = path.ptr;
    ci.host = ctx->url.host;
    ci.origin = ctx->url.host;
    ci.local_protocol_name = js_protocols[0].name;
    ci.pwsi = &ctx->wsi;
    ctx->state = JS_CONNECTING;
    struct lws *w = lws_client_connect_via_info(&ci);
    roost_buf_fini(&path);
    if (w == NULL && ctx->state == JS_CONNECTING) {
        /* Failed before any callback could say so */
        set_err(ctx, "cannot start connection", NULL, 0);
        ctx->wsi = NULL;
        connection_ended(ctx);
    }
}

/* ---- records ----------------------------------------------------------------
 */

/* event_key - the dedupe key and cursor of a parsed event. */
static bool event_key(struct js_ctx *ctx, struct roost_buf *key,
                      int64_t *cursor)
{
    const struct roost_json_doc *d = &ctx->doc;
    if (!roost_json_is(d, 0, ROOST_JSON_OBJECT)) {
        return false;
    }
    *cursor = 0;
    if (!roost_json_i64(d, roost_json_get(d, 0, "time_us"), cursor)) {
        roost_json_i64(d, roost_json_get(d, 0, "seq"), cursor);
    }
    struct roost_str did = roost_json_str(d, roost_json_get(d, 0, "did"));
    struct roost_str kind = roost_json_str(d, roost_json_get(d, 0, "kind"));
    uint32_t commit = roost_json_get(d, 0, "commit");
    roost_buf_reset(key);
    int rc;
    if (roost_json_is(d, commit, ROOST_JSON_OBJECT)) {
        struct roost_str rev =
            roost_json_str(d, roost_json_get(d, commit, "rev"));
        struct roost_str rkey =
            roost_json_str(d, roost_json_get(d, commit, "rkey"));
        struct roost_str op =
            roost_json_str(d, roost_json_get(d, commit, "operation"));
        struct roost_str col =
            roost_json_str(d, roost_json_get(d, commit, "collection"));
        rc = roost_buf_printf(
            key, "%.*s\x1f%.*s\x1f%.*s\x1f%.*s\x1f%.*s", (int)did.len,
            did.ptr ? did.ptr : "", (int)rev.len, rev.ptr ? rev.ptr : "",
            (int)col.len, col.ptr ? col.ptr : "", (int)rkey.len,
            rkey.ptr ? rkey.ptr : "", (int)op.len, op.ptr ? op.ptr : "");
    } else {
        rc = roost_buf_printf(key, "%.*s\x1f%.*s\x1f%" PRId64, (int)did.len,
                              did.ptr ? did.ptr : "", (int)kind.len,
                              kind.ptr ? kind.ptr : "", *cursor);
    }
    return rc == 0;
}

static int add_record(struct js_ctx *ctx, struct roost_batch *out,
                      const char *p, size_t len, int64_t recv_ms, int err)
{
    char pos[48];
    int n = snprintf(pos, sizeof(pos), "jetstream\t%" PRId64, ctx->cursor);
    return roost_batch_add(out, p, len, recv_ms, pos, (size_t)n, 0, err);
}

/*
 * take_message - the inbox's first message into out, or dropped as a
 * duplicate. Returns 0 (consumed), ROOST_ELIMIT (out is full: it stays).
 */
static int take_message(struct js_ctx *ctx, struct roost_batch *out,
                        const char *p, size_t len, int64_t recv_ms,
                        int32_t flag, struct roost_buf *key)
{
    int64_t c = 0;
    uint64_t h = 0;
    bool keyed = false;
    if (flag == 0 && roost_json_parse(&ctx->doc, p, len, NULL) == 0 &&
        event_key(ctx, key, &c)) {
        keyed = true;
        h = roost__recent_hash(key->ptr, key->len);
        if (roost__recent_has(&ctx->recent, h)) {
            ctx->stats.n_dupes++;
            return 0;
        }
        if (ctx->resume_cursor > 0 && c > 0 && c <= ctx->resume_cursor) {
            ctx->stats.n_skipped++;
            return 0;
        }
    } else if (flag == 0) {
        flag = ROOST_EPARSE; /* bad records are data: flag and pass on */
    }
    int64_t old_cursor = ctx->cursor;
    if (c > ctx->cursor) {
        ctx->cursor = c;
    }
    if (ctx->gap.open) {
        char first[32];
        roost_buf_reset(&ctx->scratch);
        int rc = roost__gap_write(&ctx->gap, ctx->name, "bluesky",
                                  cursor_text(c, first, sizeof(first)),
                                  &ctx->scratch);
        if (rc == 0) {
            rc = add_record(ctx, out, ctx->scratch.ptr, ctx->scratch.len,
                            recv_ms, 0);
        }
        if (rc < 0) {
            ctx->gap.open = true; /* try again with the next batch */
            ctx->cursor = old_cursor;
            return rc;
        }
        ctx->stats.n_gaps++;
    }
    int rc = add_record(ctx, out, p, len, recv_ms, flag);
    if (rc == ROOST_ELIMIT && out->n_recs == 0) {
        /* never fits: keep its head, flagged */
        size_t keep = roost_batch_avail(out) / 2;
        rc = add_record(ctx, out, p, keep < len ? keep : len, recv_ms,
                        ROOST_ELIMIT);
    }
    if (rc < 0) {
        ctx->cursor = old_cursor;
        return rc;
    }
    if (keyed) {
        roost__recent_add(&ctx->recent, h);
    }
    return 0;
}

static int drain_inbox(struct js_ctx *ctx, struct roost_batch *out)
{
    struct roost_buf key;
    roost_buf_init(&key, 4096);
    int rc = 0;
    size_t hdr = sizeof(uint32_t) + sizeof(int64_t) + sizeof(int32_t);
    while (ctx->inbox_head < ctx->inbox.len) {
        const char *e = ctx->inbox.ptr + ctx->inbox_head;
        uint32_t n;
        int64_t recv_ms;
        int32_t flag;
        memcpy(&n, e, sizeof(n));
        memcpy(&recv_ms, e + sizeof(n), sizeof(recv_ms));
        memcpy(&flag, e + sizeof(n) + sizeof(recv_ms), sizeof(flag));
        rc = take_message(ctx, out, e + hdr, n, recv_ms, flag, &key);
        if (rc < 0) {
            break;
        }
        ctx->inbox_head += hdr + n;
    }
    roost_buf_fini(&key);
    if (ctx->inbox_head == ctx->inbox.len) {
        roost_buf_reset(&ctx->inbox);
        ctx->inbox_head = 0;
    } else if (ctx->inbox_head > ctx->inbox.len / 2) {
        memmove(ctx->inbox.ptr, ctx->inbox.ptr + ctx->inbox_head,
                ctx->inbox.len - ctx->inbox_head);
        ctx->inbox.len -= ctx->inbox_head;
        ctx->inbox_head = 0;
    }
    if (ctx->paused && ctx->wsi != NULL &&
        ctx->inbox.len - ctx->inbox_head <= ctx->max_pending / 2) {
        lws_rx_flow_control(ctx->wsi, 1);
        ctx->paused = false;
    }
    return rc;
}

/* ---- the plug-in ops --------------------------------------------------------
 */

static pthread_once_t lws_log_once = PTHREAD_ONCE_INIT;

static void quiet_lws(void)
{
    lws_set_log_level(0, NULL); /* errors reach the user as gap reasons */
}

static int load_dict(struct js_ctx *ctx)
{
    FILE *f = fopen(ctx->dict_path, "rb");
    if (f == NULL) {
        roost__netsrc_report(ctx->name, "cannot open zstd-dictionary %s: %s",
                             ctx->dict_path, strerror(errno));
        return ROOST_ERR(ROOST_EINVAL);
    }
    struct roost_buf b;
    roost_buf_init(&b, MAX_DICT_BYTES);
    char chunk[8192];
    size_t n;
    int rc = 0;
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        rc = roost_buf_add(&b, chunk, n);
    }
    fclose(f);
    if (rc == 0) {
        ctx->dict = ZSTD_createDDict(b.ptr, b.len);
        ctx->zd = ZSTD_createDCtx();
        if (ctx->dict == NULL || ctx->zd == NULL ||
            ZSTD_isError(ZSTD_DCtx_refDDict(ctx->zd, ctx->dict))) {
            rc = ROOST_ERR(ROOST_ENOMEM);
        }
    }
    roost_buf_fini(&b);
    return rc;
}

/* parse_resume - "jetstream\t<cursor>" from an earlier run. */
static int64_t parse_resume(const char *resume)
{
    const char *tab = strrchr(resume, '\t');
    const char *num = tab != NULL ? tab + 1 : resume;
    char *end = NULL;
    long long v = strtoll(num, &end, 10);
    return end != num && *end == '\0' && v > 0 ? (int64_t)v : 0;
}

static int js_open(struct roost_source *src)
{
    struct js_ctx *ctx = src->ctx;
    ctx->is_open = true;
    ctx->name = src->name;
    roost_buf_init(&ctx->msg, src->max_record_bytes);
    roost_buf_init(&ctx->inbox,
                   ctx->max_pending + src->max_record_bytes + 64 * 1024);
    roost_buf_init(&ctx->scratch, src->max_record_bytes + 1);
    roost_json_doc_init(&ctx->doc, 0, src->max_record_bytes);
    memset(&ctx->stats, 0, sizeof(ctx->stats));

    if (roost__url_parse(src->arg, &ctx->url) < 0 ||
        strncmp(ctx->url.scheme, "ws", 2) != 0) {
        roost__netsrc_report(src->name, "want ws://HOST/PATH or wss://...");
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (ctx->rewind_ms < 0 || ctx->rewind_seq < 0 ||
        ctx->reconnect_min_ms < 0 || ctx->reconnect_max_ms < 0 ||
        ctx->stall_ms < 0 || ctx->connect_timeout_ms < 0 ||
        ctx->time_scale <= 0 || ctx->auth_retries < 0 || ctx->recent_cap < 1 ||
        ctx->recent_cap > (1 << 24) || ctx->max_pending < 1) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (ctx->compress && ctx->dict_path == NULL) {
        roost__netsrc_report(src->name,
                             "compress=true needs zstd-dictionary=PATH");
        return ROOST_ERR(ROOST_EINVAL);
    }
    int rc = 0;
    if (ctx->compress) {
        rc = load_dict(ctx);
        if (rc < 0) {
            return rc;
        }
    }
    rc = roost__recent_init(&ctx->recent, (uint32_t)ctx->recent_cap);
    if (rc < 0) {
        return rc;
    }
    roost__backoff_init(&ctx->backoff, ctx->reconnect_min_ms,
                        ctx->reconnect_max_ms, ctx->time_scale);
    if (src->resume[0] != '\0') {
        ctx->resume_cursor = parse_resume(src->resume);
        ctx->cursor = ctx->resume_cursor;
    }
    pthread_once(&lws_log_once, quiet_lws);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = js_protocols;
    info.gid = -1;
    info.uid = -1;
    info.user = ctx;
    info.fd_limit_per_thread = 8;
    info.options = ctx->url.tls ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0;
    ctx->lws = lws_create_context(&info);
    if (ctx->lws == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    ctx->state = JS_WAIT;
    ctx->next_ms = roost__netsrc_mono_ms();
    return 0;
}

static int js_fd(struct roost_source *src)
{
    (void)src;
    return -1; /* lws keeps its own fds: tick me */
}

/* check_timers - stalls and handshakes that take too long. */
static void check_timers(struct js_ctx *ctx)
{
    int64_t now = roost__netsrc_mono_ms();
    if (ctx->wsi == NULL || ctx->kill) {
        return;
    }
    if (ctx->state == JS_UP && ctx->stall_ms > 0 &&
        now - ctx->last_rx_ms >= ctx->stall_ms && !ctx->paused) {
        ctx->stats.n_stalls++;
        set_err(ctx, "stall: no message in time", NULL, 0);
        ctx->kill = true;
    } else if (ctx->state == JS_CONNECTING && ctx->connect_timeout_ms > 0 &&
               now - ctx->state_ms >= ctx->connect_timeout_ms) {
        set_err(ctx, "connect timed out", NULL, 0);
        ctx->kill = true;
    }
    if (ctx->kill) {
        lws_set_timeout(ctx->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
}

/*
 * js_poll - inbox first (messages a full batch left), then service the
 * connection, then the inbox again. Returns 0 when it appended records,
 * ROOST_EAGAIN when none, ROOST_ELIMIT when out is full, ROOST_EIO once
 * the server refused the credentials auth-retries times.
 */
static int js_poll(struct roost_source *src, struct roost_batch *out)
{
    struct js_ctx *ctx = src->ctx;
    if (!ctx->is_open) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    uint32_t n_before = out->n_recs;
    int rc = drain_inbox(ctx, out);
    if (rc < 0) {
        return rc;
    }
    if (ctx->state == JS_FAILED) {
        return ROOST_ERR(ROOST_EIO);
    }
    if (ctx->state == JS_WAIT && roost__netsrc_mono_ms() >= ctx->next_ms) {
        start_connect(ctx);
    }
    check_timers(ctx);
    for (int i = 0; i < SERVICE_ROUNDS && !ctx->paused; i++) {
        size_t before = ctx->inbox.len;
        lws_service(ctx->lws, -1);
        if (ctx->inbox.len == before) {
            break;
        }
    }
    rc = drain_inbox(ctx, out);
    if (rc < 0) {
        return rc;
    }
    return out->n_recs > n_before ? 0 : ROOST_EAGAIN;
}

static void js_close(struct roost_source *src)
{
    struct js_ctx *ctx = src->ctx;
    if (!ctx->is_open) {
        return;
    }
    if (ctx->lws != NULL) {
        ctx->closing = true; /* callbacks during destroy: no reconnect */
        lws_context_destroy(ctx->lws);
        ctx->lws = NULL;
    }
    ctx->wsi = NULL;
    ZSTD_freeDCtx(ctx->zd);
    ZSTD_freeDDict(ctx->dict);
    ctx->zd = NULL;
    ctx->dict = NULL;
    roost__recent_fini(&ctx->recent);
    roost_json_doc_fini(&ctx->doc);
    roost_buf_fini(&ctx->msg);
    roost_buf_fini(&ctx->inbox);
    roost_buf_fini(&ctx->scratch);
    ctx->inbox_head = 0;
    ctx->cursor = 0;
    ctx->resume_cursor = 0;
    memset(&ctx->gap, 0, sizeof(ctx->gap));
    ctx->closing = false;
    ctx->is_open = false;
}

const struct roost_source_ops roost_source_jetstream = {
    .name = "jetstream",
    .summary = "Bluesky Jetstream events over WebSocket (ws:// or wss://)",
    .options = js_options,
    .ctx_size = sizeof(struct js_ctx),
    .open = js_open,
    .fd = js_fd,
    .poll = js_poll,
    .close = js_close,
};
