/* SPDX-License-Identifier: MIT
 *
 * src_mastodon_ws.c - Mastodon's multiplexed streaming WebSocket
 * (libwebsockets): one connection, many subscribed streams.
 *
 *     mastodon_ws:https://mastodon.social?stream=public,user&tag=rust,c
 *     mastodon_ws:wss://streaming.example/api/v1/streaming?tag=rust
 *
 * ARG is an instance (http:// or https://: the streaming host is then
 * discovered first with GET /api/v1/instance, urls.streaming_api, or the
 * v2 shape configuration.urls.streaming; with discover=false, or when the
 * instance does not say, the instance host itself), or a ws:// / wss://
 * URL used as it is (path /api/v1/streaming when it has none).
 * stream= lists stream names as Mastodon spells them (public,
 * public:local, public:remote, user, user:notification, direct...; comma
 * separated); tag= lists hashtags, one "hashtag" subscription each
 * ("hashtag:local" with local-tags=true). Neither given: public.
 *
 * The user token goes in "Authorization: Bearer" (token=, else the
 * environment variable named by token-env), on the discovery request and
 * the upgrade; token-param=true sends it as ?access_token= instead, for
 * proxies that drop the header. It is never logged.
 *
 * After each handshake (the first and every reconnect) the source sends
 * {"type":"subscribe","stream":S[,"tag":T]} for every configured stream.
 * Each text message the server sends,
 *
 *     {"stream":["hashtag","rust"],"event":"update","payload":"{...}"}
 *
 * becomes one record, byte for byte: fmt_mastodon.c reads its event and
 * payload (update / status.update carry a status, delete an id, the rest
 * become control events) and ignores "stream". A status in two subscribed
 * streams arrives twice with the same payload: a bounded set of recent
 * (event, payload) hashes keeps the first, which also removes what a
 * server replays after a reconnect. Messages of the form {"error":...}
 * (a bad subscription) are reported once on stderr and not archived.
 *
 * Disconnects. A connection that closes, fails or stays silent for
 * stall-timeout is reconnected: at once after a connection that
 * delivered events, else with exponential backoff (reconnect-min
 * doubling to reconnect-max, times time-scale). A refused handshake
 * (HTTP 401/403) is reported once and retried auth-retries times, then
 * the source ends with ROOST_EIO. Each drop appends a roost_gap record
 * before the first new event after it, with the last/first status ids.
 * The streaming API cannot replay: a gap is a gap. Positions are
 * "mastodon_ws\t<last status id>", informative only. Pings are answered
 * by libwebsockets without telling us, so stall-timeout counts messages
 * only: its default is generous.
 *
 * Waiting. As src_jetstream.c: poll() drives lws_service(ctx, -1), which
 * never waits; fd() returns -1 so the runner ticks. Callbacks only append
 * whole messages to the bounded inbox; poll() moves them into batches.
 *
 * Start at mw_poll().
 */
#include <inttypes.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "parse/json.h"
#include "source/netsrc_int.h"
#include "source/source.h"
#include "source/source_int.h"

#define SERVICE_ROUNDS 8
#define MAX_DOC_BYTES  (1u << 20) /* instance answers */
#define MAX_SUBS       64
#define MAX_SUB_BYTES  512

enum mw_state {
    MW_WAIT = 0,   /* no connection; connect (or discover) at next_ms */
    MW_DISCOVER,   /* GET /api/v1/instance */
    MW_CONNECTING, /* WebSocket handshake in progress */
    MW_UP,         /* subscribed (or subscribing) and receiving */
    MW_FAILED,     /* gave up (token refused too often): ROOST_EIO */
};

struct mw_ctx {
    /* options, written by the core */
    char *stream;
    char *tag;
    bool local_tags;
    char *token;
    char *token_env;
    bool token_param;
    bool discover;
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
    const char *name;
    struct roost__url inst;             /* the instance (discovery) */
    struct roost__url url;              /* the streaming endpoint */
    char auth[1024];                    /* "Bearer ..." or "" */
    char subs[MAX_SUBS][MAX_SUB_BYTES]; /* subscribe messages */
    int n_subs;
    int next_sub; /* of this connection: the next to send */
    struct lws_context *lws;
    struct lws *wsi;
    enum mw_state state;
    int64_t next_ms;
    int64_t state_ms;
    int64_t last_rx_ms;
    bool got_data;
    bool paused;
    bool kill;
    bool closing;
    bool disc_done; /* the discovery answer is complete */
    int http_status;
    int64_t n_auth_fails;
    bool told_error; /* a server {"error"} message was reported */
    char err[160];
    struct roost__backoff backoff;
    struct roost__recent recent;
    struct roost__gap gap;
    char last_id[64];

    struct roost_buf msg; /* the message being received */
    bool msg_over;
    struct roost_buf inbox; /* [u32 len][i64 recv_ms][i32 flag][bytes] */
    size_t inbox_head;
    struct roost_buf doc_body; /* discovery answer */
    struct roost_buf scratch;  /* gap records, keys */
    struct roost_json_doc doc;
    struct roost_json_doc inner; /* the payload's status */

    struct {
        uint64_t n_conns, n_drops, n_stalls, n_dupes, n_cut, n_gaps;
        uint64_t n_server_errors;
    } stats;
};

static const struct roost_option mw_options[] = {
    ROOST_OPT_STR("stream", NULL, struct mw_ctx, stream,
                  "streams to subscribe (comma separated): public, "
                  "public:local, user, direct...; default public"),
    ROOST_OPT_STR("tag", NULL, struct mw_ctx, tag,
                  "hashtags to subscribe (comma separated, without '#')"),
    ROOST_OPT_BOOL("local-tags", "false", struct mw_ctx, local_tags,
                   "subscribe hashtag:local instead of hashtag"),
    ROOST_OPT_STR("token", NULL, struct mw_ctx, token,
                  "user access token (prefer token-env)"),
    ROOST_OPT_STR("token-env", "MASTODON_TOKEN", struct mw_ctx, token_env,
                  "environment variable holding the token"),
    ROOST_OPT_BOOL("token-param", "false", struct mw_ctx, token_param,
                   "send the token as ?access_token= instead of a header"),
    ROOST_OPT_BOOL("discover", "true", struct mw_ctx, discover,
                   "ask /api/v1/instance for the streaming host"),
    ROOST_OPT_MS("reconnect-min", "1s", struct mw_ctx, reconnect_min_ms,
                 "first backoff after a failure; doubles"),
    ROOST_OPT_MS("reconnect-max", "5m", struct mw_ctx, reconnect_max_ms,
                 "longest backoff"),
    ROOST_OPT_MS("stall-timeout", "5m", struct mw_ctx, stall_ms,
                 "reconnect after this long without a message"),
    ROOST_OPT_MS("connect-timeout", "15s", struct mw_ctx, connect_timeout_ms,
                 "give up a discovery or handshake after this long"),
    ROOST_OPT_DOUBLE("time-scale", "1", struct mw_ctx, time_scale,
                     "multiply every backoff by this (tests: 0.01)"),
    ROOST_OPT_INT("auth-retries", "3", struct mw_ctx, auth_retries,
                  "refused tokens (401/403) before the source ends"),
    ROOST_OPT_INT("dedupe-window", "65536", struct mw_ctx, recent_cap,
                  "recent events kept to drop repeats"),
    ROOST_OPT_SIZE("max-pending", "8MiB", struct mw_ctx, max_pending,
                   "received bytes held before reading pauses"),
    ROOST_OPT_END,
};

static const struct lws_protocols mw_protocols[];

/* ---- connection events (called inside lws_service) ------------------------
 */

static void set_err(struct mw_ctx *ctx, const char *why, const char *in)
{
    if (in != NULL) {
        snprintf(ctx->err, sizeof(ctx->err), "%s: %s", why, in);
    } else {
        snprintf(ctx->err, sizeof(ctx->err), "%s", why);
    }
}

/* connection_ended - the wsi is gone: open a gap, plan the next try. */
static void connection_ended(struct mw_ctx *ctx)
{
    bool was_up = ctx->state == MW_UP;
    ctx->wsi = NULL;
    ctx->paused = false;
    ctx->kill = false;
    roost_buf_reset(&ctx->msg);
    ctx->msg_over = false;
    if (was_up) {
        ctx->stats.n_drops++;
        if (!ctx->gap.open) {
            roost__gap_open(&ctx->gap, ctx->last_id, ctx->err);
        }
    }
    if (ctx->http_status == 401 || ctx->http_status == 403) {
        ctx->n_auth_fails++;
        if (ctx->n_auth_fails == 1) {
            roost__netsrc_report(ctx->name,
                                 "server refused the token (HTTP %d): "
                                 "check token/token-env; retrying %" PRId64
                                 " times with backoff",
                                 ctx->http_status, ctx->auth_retries);
        }
        if (ctx->n_auth_fails > ctx->auth_retries) {
            roost__netsrc_report(ctx->name, "giving up after HTTP %d",
                                 ctx->http_status);
            ctx->state = MW_FAILED;
            return;
        }
    }
    if (was_up && ctx->got_data) {
        roost__backoff_reset(&ctx->backoff);
    }
    ctx->state = MW_WAIT;
    ctx->next_ms = roost__netsrc_mono_ms() + roost__backoff_next(&ctx->backoff);
}

/* use_streaming_host - ctx->url from the instance's streaming URL. */
static int use_streaming_host(struct mw_ctx *ctx, struct roost_str host)
{
    char h[1024];
    if (host.len == 0 || host.len >= sizeof(h) - 32) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    memcpy(h, host.ptr, host.len);
    h[host.len] = '\0';
    size_t n = host.len;
    while (n > 0 && h[n - 1] == '/') {
        h[--n] = '\0';
    }
    const char *rest = h;
    const char *scheme = "wss";
    if (strncmp(h, "wss://", 6) == 0 || strncmp(h, "https://", 8) == 0) {
        rest = strstr(h, "://") + 3;
    } else if (strncmp(h, "ws://", 5) == 0 || strncmp(h, "http://", 7) == 0) {
        rest = strstr(h, "://") + 3;
        scheme = "ws";
    }
    char full[1100];
    snprintf(full, sizeof(full), "%s://%s/api/v1/streaming", scheme, rest);
    return roost__url_parse(full, &ctx->url) < 0 ? ROOST_ERR(ROOST_EPARSE) : 0;
}

/* instance_url - the instance itself as the streaming host. */
static void instance_url(struct mw_ctx *ctx)
{
    ctx->url = ctx->inst;
    snprintf(ctx->url.scheme, sizeof(ctx->url.scheme), "%s",
             ctx->inst.tls ? "wss" : "ws");
    snprintf(ctx->url.path, sizeof(ctx->url.path), "/api/v1/streaming");
}

/* discovered - the instance answered (or did not): pick the host. */
static void discovered(struct mw_ctx *ctx)
{
    struct roost_json_doc *d = &ctx->doc;
    struct roost_str host = ROOST_STR_NULL;
    if (ctx->disc_done && ctx->http_status == 200 &&
        roost_json_parse(d, ctx->doc_body.ptr != NULL ? ctx->doc_body.ptr : "",
                         ctx->doc_body.len, NULL) == 0) {
        host = roost_json_str(d, roost_json_path(d, 0, "urls.streaming_api"));
        if (host.ptr == NULL) {
            host = roost_json_str(
                d, roost_json_path(d, 0, "configuration.urls.streaming"));
        }
    }
    roost_buf_reset(&ctx->doc_body);
    ctx->wsi = NULL;
    if (host.ptr != NULL && use_streaming_host(ctx, host) == 0) {
        ctx->discover = false;
        ctx->state = MW_WAIT;
        ctx->next_ms = roost__netsrc_mono_ms();
        return;
    }
    if (ctx->http_status == 401 || ctx->http_status == 403) {
        connection_ended(ctx);
        return;
    }
    /* No usable answer: the instance host itself, as old servers do */
    if (ctx->http_status == 0 || ctx->http_status == 200 ||
        ctx->http_status == 404) {
        instance_url(ctx);
        ctx->discover = false;
    }
    set_err(ctx, "instance discovery failed", NULL);
    ctx->state = MW_WAIT;
    ctx->next_ms = roost__netsrc_mono_ms() + roost__backoff_next(&ctx->backoff);
}

/* inbox_put - one whole message into the inbox. */
static void inbox_put(struct mw_ctx *ctx)
{
    uint32_t n = (uint32_t)ctx->msg.len;
    int64_t now = roost__now_ms();
    int32_t flag = ctx->msg_over ? ROOST_ELIMIT : 0;
    if (roost_buf_add(&ctx->inbox, &n, sizeof(n)) < 0 ||
        roost_buf_add(&ctx->inbox, &now, sizeof(now)) < 0 ||
        roost_buf_add(&ctx->inbox, &flag, sizeof(flag)) < 0 ||
        roost_buf_add(&ctx->inbox, ctx->msg.ptr, ctx->msg.len) < 0) {
        ctx->kill = true; /* reconnect rather than lose */
        set_err(ctx, "inbox full", NULL);
    }
    if (ctx->msg_over) {
        ctx->stats.n_cut++;
    }
    roost_buf_reset(&ctx->msg);
    ctx->msg_over = false;
}

/* send_sub - the next subscribe message of this connection. */
static int send_sub(struct mw_ctx *ctx, struct lws *wsi)
{
    if (ctx->next_sub >= ctx->n_subs) {
        return 0;
    }
    unsigned char buf[LWS_PRE + MAX_SUB_BYTES];
    const char *m = ctx->subs[ctx->next_sub];
    size_t n = strlen(m);
    memcpy(buf + LWS_PRE, m, n);
    if (lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n) {
        set_err(ctx, "cannot send subscribe", NULL);
        return -1;
    }
    ctx->next_sub++;
    if (ctx->next_sub < ctx->n_subs) {
        lws_callback_on_writable(wsi);
    }
    return 0;
}

static int add_auth(struct mw_ctx *ctx, struct lws *wsi, void *in, size_t len)
{
    if (ctx->auth[0] == '\0' || ctx->token_param) {
        return 0;
    }
    unsigned char **p = in;
    unsigned char *end = *p + len;
    char value[sizeof(ctx->auth) + 8];
    int n = snprintf(value, sizeof(value), "Bearer %s", ctx->auth);
    if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION,
                                     (unsigned char *)value, n, p, end)) {
        return -1;
    }
    return 0;
}

static int mw_callback(struct lws *wsi, enum lws_callback_reasons reason,
                       void *user, void *in, size_t len)
{
    struct mw_ctx *ctx = lws_context_user(lws_get_context(wsi));
    if (ctx == NULL || ctx->closing) {
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        return add_auth(ctx, wsi, in, len);
    /* discovery: a plain HTTP GET */
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        ctx->http_status = (int)lws_http_client_http_response(wsi);
        return 0;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
        char buf[LWS_PRE + 4096];
        char *p = buf + LWS_PRE;
        int n = (int)sizeof(buf) - LWS_PRE;
        return lws_http_client_read(wsi, &p, &n) < 0 ? -1 : 0;
    }
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
        if (roost_buf_add(&ctx->doc_body, in, len) < 0) {
            return -1;
        }
        return 0;
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
        ctx->disc_done = true;
        if (ctx->state == MW_DISCOVER) {
            discovered(ctx);
        }
        return -1; /* done with this connection */
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        if (ctx->state == MW_DISCOVER && ctx->wsi == wsi) {
            discovered(ctx);
        }
        return 0;
    /* the WebSocket */
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        ctx->state = MW_UP;
        ctx->state_ms = ctx->last_rx_ms = roost__netsrc_mono_ms();
        ctx->stats.n_conns++;
        ctx->n_auth_fails = 0;
        ctx->next_sub = 0;
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (ctx->kill) {
            return -1;
        }
        return send_sub(ctx, wsi);
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (ctx->kill) {
            return -1;
        }
        if (lws_is_first_fragment(wsi)) {
            roost_buf_reset(&ctx->msg);
            ctx->msg_over = false;
        }
        ctx->last_rx_ms = roost__netsrc_mono_ms();
        if (!ctx->msg_over && roost_buf_add(&ctx->msg, in, len) < 0) {
            ctx->msg_over = true;
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
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        ctx->http_status = (int)lws_http_client_http_response(wsi);
        set_err(ctx, "connect failed", in);
        if (ctx->state == MW_DISCOVER) {
            if (ctx->wsi == wsi || ctx->wsi == NULL) {
                discovered(ctx);
            }
        } else if (ctx->wsi == wsi || ctx->wsi == NULL) {
            connection_ended(ctx);
        }
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (ctx->err[0] == '\0') {
            set_err(ctx, "server closed the stream", NULL);
        }
        connection_ended(ctx);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols mw_protocols[] = {
    { "roost-mastodon-ws", mw_callback, 0, 64 * 1024, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

/* ---- connecting -----------------------------------------------------------
 */

static void start(struct mw_ctx *ctx, bool discovery)
{
    const struct roost__url *u = discovery ? &ctx->inst : &ctx->url;
    struct roost_buf path;
    roost_buf_init(&path, 4096);
    int rc = roost_buf_adds(&path, discovery ? "/api/v1/instance" : u->path);
    if (rc == 0 && !discovery && ctx->token_param && ctx->auth[0] != '\0') {
        rc = roost__url_add_param(&path, "access_token", ctx->auth,
                                  strlen(ctx->auth));
    }
    ctx->err[0] = '\0';
    ctx->http_status = 0;
    ctx->got_data = false;
    ctx->disc_done = false;
    ctx->state_ms = roost__netsrc_mono_ms();
    ctx->state = discovery ? MW_DISCOVER : MW_CONNECTING;
    if (rc < 0) {
        roost_buf_fini(&path);
        set_err(ctx, "request path too long", NULL);
        ctx->state = MW_FAILED;
        return;
    }
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.context = ctx->lws;
    ci.address = u->host;
    ci.port = u->port;
    ci.ssl_connection = u->tls ? LCCSCF_USE_SSL : 0;
    ci.path = path.ptr;
    /* Host: with the port when it is not the scheme's (RFC 9110 7.2) */
    char host[300];
    if (u->port != (u->tls ? 443 : 80)) {
        snprintf(host, sizeof(host), "%s:%d", u->host, u->port);
    } else {
        snprintf(host, sizeof(host), "%s", u->host);
    }
    ci.host = host;
    ci.origin = host;
    ci.local_protocol_name = mw_protocols[0].name;
    ci.pwsi = &ctx->wsi;
    if (discovery) {
        ci.method = "GET";
        roost_buf_reset(&ctx->doc_body);
    }
    struct lws *w = lws_client_connect_via_info(&ci);
    roost_buf_fini(&path);
    if (w == NULL && ctx->state == (discovery ? MW_DISCOVER : MW_CONNECTING)) {
        set_err(ctx, "cannot start connection", NULL);
        ctx->wsi = NULL;
        if (discovery) {
            discovered(ctx);
        } else {
            connection_ended(ctx);
        }
    }
}

/* ---- records --------------------------------------------------------------
 */

/* note_id - the status id of an update's payload, for gaps and positions. */
static void note_id(struct mw_ctx *ctx, struct roost_str payload)
{
    if (roost_json_parse(&ctx->inner, payload.ptr, payload.len, NULL) < 0) {
        return;
    }
    struct roost_str id =
        roost_json_text(&ctx->inner, roost_json_get(&ctx->inner, 0, "id"));
    if (id.ptr != NULL && id.len < sizeof(ctx->last_id)) {
        memcpy(ctx->last_id, id.ptr, id.len);
        ctx->last_id[id.len] = '\0';
    }
}

static int add_record(struct mw_ctx *ctx, struct roost_batch *out,
                      const char *p, size_t len, int64_t recv_ms, int err)
{
    char pos[96];
    int n = snprintf(pos, sizeof(pos), "mastodon_ws\t%s", ctx->last_id);
    return roost_batch_add(out, p, len, recv_ms, pos, (size_t)n, 0, err);
}

/*
 * take_message - one inbox message into out, or dropped (a repeat, a
 * server error message). Returns 0 (consumed) or ROOST_ELIMIT (out is
 * full: it stays).
 */
static int take_message(struct mw_ctx *ctx, struct roost_batch *out,
                        const char *p, size_t len, int64_t recv_ms,
                        int32_t flag)
{
    const struct roost_json_doc *d = &ctx->doc;
    uint64_t h = 0;
    bool keyed = false;
    bool status = false;
    struct roost_str payload = ROOST_STR_NULL;
    if (flag == 0 && roost_json_parse(&ctx->doc, p, len, NULL) == 0 &&
        roost_json_is(d, 0, ROOST_JSON_OBJECT)) {
        struct roost_str ev = roost_json_str(d, roost_json_get(d, 0, "event"));
        struct roost_str error =
            roost_json_text(d, roost_json_get(d, 0, "error"));
        if (ev.ptr == NULL && error.ptr != NULL) {
            ctx->stats.n_server_errors++;
            if (!ctx->told_error) {
                ctx->told_error = true;
                roost__netsrc_report(ctx->name, "server error: %.*s",
                                     (int)(error.len < 200 ? error.len : 200),
                                     error.ptr);
            }
            return 0;
        }
        if (ev.ptr != NULL) {
            payload = roost_json_str(d, roost_json_get(d, 0, "payload"));
            roost_buf_reset(&ctx->scratch);
            if (roost_buf_add(&ctx->scratch, ev.ptr, ev.len) == 0 &&
                roost_buf_addc(&ctx->scratch, '\x1f') == 0 &&
                (payload.ptr == NULL ||
                 roost_buf_add(&ctx->scratch, payload.ptr, payload.len) == 0)) {
                keyed = true;
                h = roost__recent_hash(ctx->scratch.ptr, ctx->scratch.len);
                if (roost__recent_has(&ctx->recent, h)) {
                    ctx->stats.n_dupes++;
                    return 0;
                }
            }
            status = roost_str_eq_cstr(ev, "update") ||
                     roost_str_eq_cstr(ev, "status.update");
        }
    } else if (flag == 0) {
        flag = ROOST_EPARSE; /* bad records are data: flag and pass on */
    }
    char old_id[sizeof(ctx->last_id)];
    memcpy(old_id, ctx->last_id, sizeof(old_id));
    if (status && payload.ptr != NULL) {
        note_id(ctx, payload); /* last use of payload (doc stays valid) */
    }
    if (ctx->gap.open) {
        roost_buf_reset(&ctx->scratch);
        int rc = roost__gap_write(&ctx->gap, ctx->name, "mastodon",
                                  status ? ctx->last_id : "", &ctx->scratch);
        if (rc == 0) {
            memcpy(ctx->last_id, old_id, sizeof(old_id)); /* position */
            rc = add_record(ctx, out, ctx->scratch.ptr, ctx->scratch.len,
                            recv_ms, 0);
        }
        if (rc < 0) {
            ctx->gap.open = true; /* try again with the next batch */
            memcpy(ctx->last_id, old_id, sizeof(old_id));
            return rc;
        }
        ctx->stats.n_gaps++;
        if (status && payload.ptr != NULL) {
            note_id(ctx, payload);
        }
    }
    int rc = add_record(ctx, out, p, len, recv_ms, flag);
    if (rc == ROOST_ELIMIT && out->n_recs == 0) {
        size_t keep = roost_batch_avail(out) / 2;
        rc = add_record(ctx, out, p, keep < len ? keep : len, recv_ms,
                        ROOST_ELIMIT);
    }
    if (rc < 0) {
        memcpy(ctx->last_id, old_id, sizeof(old_id));
        return rc;
    }
    if (keyed) {
        roost__recent_add(&ctx->recent, h);
    }
    return 0;
}

static int drain_inbox(struct mw_ctx *ctx, struct roost_batch *out)
{
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
        rc = take_message(ctx, out, e + hdr, n, recv_ms, flag);
        if (rc < 0) {
            break;
        }
        ctx->inbox_head += hdr + n;
    }
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

/* ---- the plug-in ops ------------------------------------------------------
 */

static pthread_once_t lws_log_once = PTHREAD_ONCE_INIT;

static void quiet_lws(void)
{
    lws_set_log_level(0, NULL); /* errors reach the user as gap reasons */
}

/* add_sub - one subscribe message; tag may be NULL. */
static int add_sub(struct mw_ctx *ctx, const char *stream, const char *tag,
                   size_t tag_len)
{
    if (ctx->n_subs >= MAX_SUBS) {
        roost__netsrc_report(ctx->name, "more than %d streams", MAX_SUBS);
        return ROOST_ERR(ROOST_EINVAL);
    }
    struct roost_buf b;
    roost_buf_init(&b, MAX_SUB_BYTES - 1);
    int rc = roost_buf_adds(&b, "{\"type\":\"subscribe\",\"stream\":");
    if (rc == 0) {
        rc = roost_buf_add_json_str(&b, stream, strlen(stream));
    }
    if (rc == 0 && tag != NULL) {
        rc = roost_buf_adds(&b, ",\"tag\":");
        if (rc == 0) {
            rc = roost_buf_add_json_str(&b, tag, tag_len);
        }
    }
    if (rc == 0) {
        rc = roost_buf_addc(&b, '}');
    }
    if (rc == 0) {
        memcpy(ctx->subs[ctx->n_subs], b.ptr, b.len);
        ctx->subs[ctx->n_subs][b.len] = '\0';
        ctx->n_subs++;
    }
    roost_buf_fini(&b);
    return rc < 0 ? ROOST_ERR(ROOST_EINVAL) : 0;
}

/* make_subs - the subscribe messages of stream= and tag=. */
static int make_subs(struct mw_ctx *ctx)
{
    const char *p = ctx->stream;
    while (p != NULL && *p != '\0') {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        char name[64];
        if (n >= sizeof(name) || strncmp(p, "hashtag", 7) == 0) {
            roost__netsrc_report(ctx->name,
                                 "bad stream '%.*s' (hashtags go in tag=)",
                                 (int)n, p);
            return ROOST_ERR(ROOST_EINVAL);
        }
        if (n > 0) {
            memcpy(name, p, n);
            name[n] = '\0';
            int rc = add_sub(ctx, name, NULL, 0);
            if (rc < 0) {
                return rc;
            }
        }
        p = comma != NULL ? comma + 1 : NULL;
    }
    p = ctx->tag;
    while (p != NULL && *p != '\0') {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (n > 0 && *p == '#') {
            p++;
            n--;
        }
        if (n > 0) {
            int rc = add_sub(ctx, ctx->local_tags ? "hashtag:local" : "hashtag",
                             p, n);
            if (rc < 0) {
                return rc;
            }
        }
        p = comma != NULL ? comma + 1 : NULL;
    }
    return ctx->n_subs == 0 ? add_sub(ctx, "public", NULL, 0) : 0;
}

static int mw_open(struct roost_source *src)
{
    struct mw_ctx *ctx = src->ctx;
    ctx->is_open = true;
    ctx->name = src->name;
    roost_buf_init(&ctx->msg, src->max_record_bytes);
    roost_buf_init(&ctx->inbox,
                   ctx->max_pending + src->max_record_bytes + 64 * 1024);
    roost_buf_init(&ctx->doc_body, MAX_DOC_BYTES);
    roost_buf_init(&ctx->scratch, src->max_record_bytes + 4096);
    roost_json_doc_init(&ctx->doc, 0, src->max_record_bytes);
    roost_json_doc_init(&ctx->inner, 0, src->max_record_bytes);
    memset(&ctx->stats, 0, sizeof(ctx->stats));

    struct roost__url u;
    if (roost__url_parse(src->arg, &u) < 0) {
        roost__netsrc_report(src->name, "want https://INSTANCE or wss://HOST");
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (ctx->reconnect_min_ms < 0 || ctx->reconnect_max_ms < 0 ||
        ctx->stall_ms < 0 || ctx->connect_timeout_ms < 0 ||
        ctx->time_scale <= 0 || ctx->auth_retries < 0 || ctx->recent_cap < 1 ||
        ctx->recent_cap > (1 << 24) || ctx->max_pending < 1) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (strncmp(u.scheme, "ws", 2) == 0) {
        ctx->url = u;
        if (strcmp(u.path, "/") == 0) {
            snprintf(ctx->url.path, sizeof(ctx->url.path), "/api/v1/streaming");
        }
        ctx->discover = false;
    } else if (strncmp(u.scheme, "http", 4) == 0) {
        ctx->inst = u;
        if (!ctx->discover) {
            instance_url(ctx);
        }
    } else {
        roost__netsrc_report(src->name, "want https://INSTANCE or wss://HOST");
        return ROOST_ERR(ROOST_EINVAL);
    }
    int rc = make_subs(ctx);
    if (rc < 0) {
        return rc;
    }
    const char *token = ctx->token;
    if ((token == NULL || token[0] == '\0') && ctx->token_env != NULL) {
        token = getenv(ctx->token_env);
    }
    if (token != NULL && token[0] != '\0') {
        if (strlen(token) >= sizeof(ctx->auth)) {
            roost__netsrc_report(src->name, "token too long");
            return ROOST_ERR(ROOST_EINVAL);
        }
        snprintf(ctx->auth, sizeof(ctx->auth), "%s", token);
    }
    rc = roost__recent_init(&ctx->recent, (uint32_t)ctx->recent_cap);
    if (rc < 0) {
        return rc;
    }
    roost__backoff_init(&ctx->backoff, ctx->reconnect_min_ms,
                        ctx->reconnect_max_ms, ctx->time_scale);
    pthread_once(&lws_log_once, quiet_lws);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = mw_protocols;
    info.gid = -1;
    info.uid = -1;
    info.user = ctx;
    info.fd_limit_per_thread = 8;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    ctx->lws = lws_create_context(&info);
    if (ctx->lws == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    ctx->state = MW_WAIT;
    ctx->next_ms = roost__netsrc_mono_ms();
    return 0;
}

static int mw_fd(struct roost_source *src)
{
    (void)src;
    return -1; /* lws keeps its own fds: tick me */
}

/* check_timers - stalls, and handshakes or discoveries that take too long. */
static void check_timers(struct mw_ctx *ctx)
{
    int64_t now = roost__netsrc_mono_ms();
    if (ctx->wsi == NULL || ctx->kill) {
        return;
    }
    if (ctx->state == MW_UP && ctx->stall_ms > 0 &&
        now - ctx->last_rx_ms >= ctx->stall_ms && !ctx->paused) {
        ctx->stats.n_stalls++;
        set_err(ctx, "stall: no message in time", NULL);
        ctx->kill = true;
    } else if ((ctx->state == MW_CONNECTING || ctx->state == MW_DISCOVER) &&
               ctx->connect_timeout_ms > 0 &&
               now - ctx->state_ms >= ctx->connect_timeout_ms) {
        set_err(ctx, "connect timed out", NULL);
        ctx->kill = true;
    }
    if (ctx->kill) {
        lws_set_timeout(ctx->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
}

/*
 * mw_poll - inbox first (messages a full batch left), then service the
 * connection, then the inbox again. Returns 0 when it appended records,
 * ROOST_EAGAIN when none, ROOST_ELIMIT when out is full, ROOST_EIO once
 * the server refused the token auth-retries times.
 */
static int mw_poll(struct roost_source *src, struct roost_batch *out)
{
    struct mw_ctx *ctx = src->ctx;
    if (!ctx->is_open) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    uint32_t n_before = out->n_recs;
    int rc = drain_inbox(ctx, out);
    if (rc < 0) {
        return rc;
    }
    if (ctx->state == MW_FAILED) {
        return ROOST_ERR(ROOST_EIO);
    }
    if (ctx->state == MW_WAIT && roost__netsrc_mono_ms() >= ctx->next_ms) {
        start(ctx, ctx->discover);
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

static void mw_close(struct roost_source *src)
{
    struct mw_ctx *ctx = src->ctx;
    if (!ctx->is_open) {
        return;
    }
    if (ctx->lws != NULL) {
        ctx->closing = true; /* callbacks during destroy: no reconnect */
        lws_context_destroy(ctx->lws);
        ctx->lws = NULL;
    }
    ctx->wsi = NULL;
    memset(ctx->auth, 0, sizeof(ctx->auth)); /* the token */
    roost__recent_fini(&ctx->recent);
    roost_json_doc_fini(&ctx->doc);
    roost_json_doc_fini(&ctx->inner);
    roost_buf_fini(&ctx->msg);
    roost_buf_fini(&ctx->inbox);
    roost_buf_fini(&ctx->doc_body);
    roost_buf_fini(&ctx->scratch);
    ctx->inbox_head = 0;
    ctx->n_subs = 0;
    ctx->last_id[0] = '\0';
    memset(&ctx->gap, 0, sizeof(ctx->gap));
    ctx->closing = false;
    ctx->is_open = false;
}

const struct roost_source_ops roost_source_mastodon_ws = {
    .name = "mastodon_ws",
    .summary = "Mastodon multiplexed streaming WebSocket (many streams, "
               "one connection)",
    .options = mw_options,
    .ctx_size = sizeof(struct mw_ctx),
    .open = mw_open,
    .fd = mw_fd,
    .poll = mw_poll,
    .close = mw_close,
};
