/* SPDX-License-Identifier: MIT
 *
 * src_x2.c - X API v2 filtered stream (bearer token), and the rules API
 * that `roost rules` drives.
 *
 *     x2:https://api.twitter.com/2/tweets/search/stream
 *         ?fields=all&backfill=2&credentials=/etc/roost/x.conf
 *
 * ARG is the stream endpoint (the one above when absent). What the stream
 * carries is chosen by rules (roost_x2_rules, `roost rules add`), not by
 * the spec. `fields=all` asks for every expansion and every field of
 * tweets, users, media, places and polls; `fields=default` leaves X's
 * defaults; expansions= and tweet-fields= (user-, media-, place-,
 * poll-fields=) override the preset one by one. Each message is kept
 * whole, `matching_rules` included, and normalizes through fmt_x2.c.
 *
 * backfill=N (X's backfill_minutes, 1..5) is sent on every reconnect and
 * on a first connect that resumes: X then replays up to N minutes, and
 * xstream.c drops the overlap by post id, so the gap is filled without
 * duplicates. Stalls: X sends a keep-alive every 20 s, the default
 * stall-timeout. `operational-disconnect` errors end the attempt like a
 * v1.1 `disconnect` message. The bearer token comes from the credentials
 * file or X_BEARER_TOKEN (oauth1.h) and is never logged; one stream per
 * token per process.
 *
 * Start at x2_open(); the connection machinery is xstream.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "source/oauth1.h"
#include "source/source.h"
#include "source/src_x.h"
#include "source/xstream_int.h"

#define DEFAULT_URL      "https://api.twitter.com/2/tweets/search/stream"
#define RULES_PATH       "/2/tweets/search/stream/rules"
#define MAX_BACKFILL_MIN 5

/* The "all fields" preset, as X's v2 data dictionary lists them (also
   used by src_xsearch.c). */
const char *const roost__x2_all_fields[ROOST__X2_N_FIELDS][2] = {
    { "expansions",
      "attachments.poll_ids,attachments.media_keys,author_id,"
      "edit_history_tweet_ids,entities.mentions.username,geo.place_id,"
      "in_reply_to_user_id,referenced_tweets.id,"
      "referenced_tweets.id.author_id" },
    { "tweet.fields",
      "attachments,author_id,context_annotations,conversation_id,"
      "created_at,edit_controls,edit_history_tweet_ids,entities,geo,id,"
      "in_reply_to_user_id,lang,possibly_sensitive,public_metrics,"
      "referenced_tweets,reply_settings,source,text,withheld" },
    { "user.fields",
      "created_at,description,entities,id,location,name,pinned_tweet_id,"
      "profile_image_url,protected,public_metrics,url,username,verified,"
      "withheld" },
    { "media.fields", "alt_text,duration_ms,height,media_key,preview_image_url,"
                      "public_metrics,type,url,variants,width" },
    { "place.fields",
      "contained_within,country,country_code,full_name,geo,id,name,"
      "place_type" },
    { "poll.fields", "duration_minutes,end_datetime,id,options,"
                     "voting_status" },
};

struct x2_ctx {
    struct roost_src_x_stats stats; /* first: roost_src_x_stats() */
    /* options, written by the core */
    char *fields;
    char *expansions;
    char *tweet_fields;
    char *user_fields;
    char *media_fields;
    char *place_fields;
    char *poll_fields;
    int64_t backfill_min;
    char *credentials;
    int64_t stall_ms;
    int64_t connect_timeout_ms;
    double time_scale;
    int64_t auth_retries;
    int64_t dedupe_cap;
    size_t max_pending;

    /* state */
    bool is_open;
    bool resuming;
    char url[1024];
    char bearer[ROOST_OAUTH1_MAX_SECRET];
    bool claimed;
    struct roost__xstream xs;
};

static const struct roost_option x2_options[] = {
    ROOST_OPT_STR("fields", "all", struct x2_ctx, fields,
                  "preset: all (every expansion and field) or default"),
    ROOST_OPT_STR("expansions", NULL, struct x2_ctx, expansions,
                  "expansions, comma separated (overrides the preset)"),
    ROOST_OPT_STR("tweet-fields", NULL, struct x2_ctx, tweet_fields,
                  "tweet.fields (overrides the preset)"),
    ROOST_OPT_STR("user-fields", NULL, struct x2_ctx, user_fields,
                  "user.fields (overrides the preset)"),
    ROOST_OPT_STR("media-fields", NULL, struct x2_ctx, media_fields,
                  "media.fields (overrides the preset)"),
    ROOST_OPT_STR("place-fields", NULL, struct x2_ctx, place_fields,
                  "place.fields (overrides the preset)"),
    ROOST_OPT_STR("poll-fields", NULL, struct x2_ctx, poll_fields,
                  "poll.fields (overrides the preset)"),
    ROOST_OPT_INT("backfill", "0", struct x2_ctx, backfill_min,
                  "backfill_minutes (0-5) asked on reconnect"),
    ROOST_OPT_STR("credentials", NULL, struct x2_ctx, credentials,
                  "file with bearer_token (mode 0600); else X_BEARER_TOKEN"),
    ROOST_OPT_MS("stall-timeout", "20s", struct x2_ctx, stall_ms,
                 "reconnect when no byte arrives for this long"),
    ROOST_OPT_MS("connect-timeout", "15s", struct x2_ctx, connect_timeout_ms,
                 "give up a connection attempt after this long"),
    ROOST_OPT_DOUBLE("time-scale", "1", struct x2_ctx, time_scale,
                     "multiply every reconnect delay (tests: 0.001)"),
    ROOST_OPT_INT("auth-retries", "3", struct x2_ctx, auth_retries,
                  "retries after a refused token before giving up"),
    ROOST_OPT_INT("dedupe-window", "65536", struct x2_ctx, dedupe_cap,
                  "recent post ids kept to drop duplicates"),
    ROOST_OPT_SIZE("max-pending", "8MiB", struct x2_ctx, max_pending,
                   "received bytes staged before the socket is paused"),
    ROOST_OPT_END,
};

static int add_param(struct roost_buf *url, const char *k, const char *v)
{
    if (v == NULL || v[0] == '\0') {
        return 0;
    }
    return roost__url_add_param(url, k, v, strlen(v));
}

static int x2_request(void *arg, bool reconnect, struct roost__xreq *req)
{
    struct x2_ctx *ctx = arg;
    const char *own[] = { ctx->expansions,   ctx->tweet_fields,
                          ctx->user_fields,  ctx->media_fields,
                          ctx->place_fields, ctx->poll_fields };
    bool all = strcmp(ctx->fields, "all") == 0;
    int rc = roost_buf_adds(&req->url, ctx->url);

    req->method = "GET";
    for (size_t i = 0; i < ROOST__X2_N_FIELDS && rc == 0; i++) {
        rc = add_param(&req->url, roost__x2_all_fields[i][0],
                       own[i] != NULL ? own[i]
                       : all          ? roost__x2_all_fields[i][1]
                                      : NULL);
    }
    if (rc == 0 && ctx->backfill_min > 0 && (reconnect || ctx->resuming)) {
        char n[8];
        snprintf(n, sizeof(n), "%d", (int)ctx->backfill_min);
        rc = add_param(&req->url, "backfill_minutes", n);
    }
    if (rc == 0) {
        rc = roost_buf_printf(&req->auth, "Authorization: Bearer %s",
                              ctx->bearer);
    }
    return rc;
}

static void x2_inspect(void *arg, const struct roost_json_doc *d,
                       struct roost__xmsg *m)
{
    (void)arg;
    uint32_t data = roost_json_get(d, 0, "data");
    if (roost_json_is(d, data, ROOST_JSON_OBJECT)) {
        m->kind = ROOST__XMSG_POST;
        roost__xstream_copy(m->id, sizeof(m->id),
                            roost_json_text(d, roost_json_get(d, data, "id")));
        return;
    }
    uint32_t e = roost_json_at(d, roost_json_get(d, 0, "errors"), 0);
    if (e == ROOST_JSON_NONE) {
        return;
    }
    struct roost_str title = roost_json_str(d, roost_json_get(d, e, "title"));
    bool disc = roost_str_eq_cstr(title, "operational-disconnect") ||
                roost_json_get(d, e, "disconnect_type") != ROOST_JSON_NONE;
    m->kind = disc ? ROOST__XMSG_DISCONNECT : ROOST__XMSG_WARNING;
    roost__xstream_copy(m->code, sizeof(m->code), title);
    roost__xstream_copy(m->reason, sizeof(m->reason),
                        roost_json_str(d, roost_json_get(d, e, "detail")));
}

static void x2_close(struct roost_source *src)
{
    struct x2_ctx *ctx = src->ctx;
    if (ctx->is_open) {
        roost__xstream_fini(&ctx->xs);
        ctx->is_open = false;
    }
    if (ctx->claimed) {
        roost_oauth1_release(ctx->bearer, strlen(ctx->bearer));
        ctx->claimed = false;
    }
    memset(ctx->bearer, 0, sizeof(ctx->bearer));
}

static int load_bearer(const char *credentials, char *out, const char *name)
{
    struct roost_oauth1_creds c;
    struct roost_diag diag;
    memset(&diag, 0, sizeof(diag));
    int rc = roost_oauth1_load(credentials, &c, &diag);
    if (rc < 0) {
        roost__netsrc_report(name, "%s", diag.msg);
        return rc;
    }
    if (c.bearer[0] == '\0') {
        roost_oauth1_wipe(&c);
        roost__netsrc_report(name, "needs a bearer token: credentials=FILE "
                                   "(bearer_token, mode 0600) or "
                                   "X_BEARER_TOKEN");
        return ROOST_ERR(ROOST_EINVAL);
    }
    memcpy(out, c.bearer, sizeof(c.bearer));
    roost_oauth1_wipe(&c);
    return 0;
}

static int x2_open(struct roost_source *src)
{
    struct x2_ctx *ctx = src->ctx;
    int rc;

    memset(&ctx->stats, 0, sizeof(ctx->stats));
    const char *url =
        src->arg != NULL && src->arg[0] != '\0' ? src->arg : DEFAULT_URL;
    if (strlen(url) >= sizeof(ctx->url) || strncmp(url, "http", 4) != 0) {
        roost__netsrc_report(src->name, "expected an http(s) URL, got '%.200s'",
                             url);
        return ROOST_ERR(ROOST_EINVAL);
    }
    snprintf(ctx->url, sizeof(ctx->url), "%s", url);
    if (strcmp(ctx->fields, "all") != 0 &&
        strcmp(ctx->fields, "default") != 0) {
        roost__netsrc_report(src->name, "fields takes all or default");
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (ctx->backfill_min < 0 || ctx->backfill_min > MAX_BACKFILL_MIN ||
        ctx->time_scale <= 0 || ctx->stall_ms <= 0 || ctx->auth_retries < 0 ||
        ctx->dedupe_cap < 1 || ctx->dedupe_cap > (1 << 24)) {
        roost__netsrc_report(src->name, "backfill takes 0 to 5 minutes; "
                                        "time-scale and stall-timeout > 0");
        return ROOST_ERR(ROOST_EINVAL);
    }
    rc = load_bearer(ctx->credentials, ctx->bearer, src->name);
    if (rc < 0) {
        return rc;
    }
    rc = roost_oauth1_claim(ctx->bearer, strlen(ctx->bearer));
    if (rc < 0) {
        roost__netsrc_report(src->name,
                             "another source already streams with this "
                             "token (X allows one connection each)");
        return ROOST_ERR(ROOST_EINVAL);
    }
    ctx->claimed = true;
    const char *tab = strchr(src->resume, '\t');
    bool resume =
        strncmp(src->resume, "x2\t", 3) == 0 && tab != NULL && tab[1] != '\0';
    ctx->resuming = resume;
    struct roost__xstream_cfg cfg = {
        .kind = "x2",
        .name = src->name,
        .cred_hint =
            ctx->credentials != NULL ? ctx->credentials : "X_BEARER_TOKEN",
        .stall_ms = ctx->stall_ms,
        .connect_timeout_ms = ctx->connect_timeout_ms,
        .time_scale = ctx->time_scale,
        .auth_retries = ctx->auth_retries,
        .dedupe_cap = (uint32_t)ctx->dedupe_cap,
        .max_pending = ctx->max_pending,
        .max_record = src->max_record_bytes,
        .length_delimited = false,
        .resume_id = resume ? tab + 1 : NULL,
        .request = x2_request,
        .inspect = x2_inspect,
        .arg = ctx,
    };
    rc = roost__xstream_init(&ctx->xs, &cfg, &ctx->stats);
    if (rc < 0) {
        return rc;
    }
    ctx->is_open = true;
    return 0;
}

static int x2_fd(struct roost_source *src)
{
    (void)src;
    return -1; /* curl's sockets change under us: tick me */
}

static int x2_poll(struct roost_source *src, struct roost_batch *out)
{
    struct x2_ctx *ctx = src->ctx;
    if (!ctx->is_open) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    return roost__xstream_poll(&ctx->xs, out);
}

const struct roost_source_ops roost_source_x2 = {
    .name = "x2",
    .summary = "X API v2 filtered stream (bearer token, backfill)",
    .options = x2_options,
    .ctx_size = sizeof(struct x2_ctx),
    .open = x2_open,
    .fd = x2_fd,
    .poll = x2_poll,
    .close = x2_close,
};

/* ---- rules ----------------------------------------------------------------
 */

static int rules_body(enum roost_x2_rules_op op, const char *const *args,
                      size_t n_args, struct roost_buf *b)
{
    int rc =
        roost_buf_adds(b, op == ROOST_X2_RULES_DELETE ? "{\"delete\":{\"ids\":["
                                                      : "{\"add\":[");
    for (size_t i = 0; i < n_args && rc == 0; i++) {
        const char *a = args[i];
        if (i > 0) {
            rc = roost_buf_addc(b, ',');
        }
        if (rc == 0 && op == ROOST_X2_RULES_DELETE) {
            rc = roost_buf_add_json_str(b, a, strlen(a));
            continue;
        }
        const char *hash = strrchr(a, '#');
        size_t vlen = hash != NULL ? (size_t)(hash - a) : strlen(a);
        if (rc == 0) {
            rc = roost_buf_adds(b, "{\"value\":");
        }
        if (rc == 0) {
            rc = roost_buf_add_json_str(b, a, vlen);
        }
        if (rc == 0 && hash != NULL) {
            rc = roost_buf_adds(b, ",\"tag\":");
            if (rc == 0) {
                rc = roost_buf_add_json_str(b, hash + 1, strlen(hash + 1));
            }
        }
        if (rc == 0) {
            rc = roost_buf_addc(b, '}');
        }
    }
    if (rc == 0) {
        rc = roost_buf_adds(b, op == ROOST_X2_RULES_DELETE ? "]}}" : "]}");
    }
    return rc;
}

int roost_x2_rules(const char *base_url, const char *credentials,
                   enum roost_x2_rules_op op, const char *const *args,
                   size_t n_args, struct roost_buf *out,
                   struct roost_diag *diag)
{
    char bearer[ROOST_OAUTH1_MAX_SECRET];
    struct roost_buf url, auth, body;
    long status = 0;
    int rc;

    if (op != ROOST_X2_RULES_LIST && n_args == 0) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                              "rules %s needs at least one %s",
                              op == ROOST_X2_RULES_DELETE ? "delete" : "add",
                              op == ROOST_X2_RULES_DELETE ? "rule id" : "rule");
    }
    rc = load_bearer(credentials, bearer, "rules");
    if (rc < 0) {
        return roost_diag_set(diag, rc, 0, "no usable bearer token");
    }
    roost_buf_init(&url, 8192);
    roost_buf_init(&auth, 2 * ROOST_OAUTH1_MAX_SECRET);
    roost_buf_init(&body, 1u << 20);
    rc = roost_buf_printf(&url, "%s%s%s", base_url, RULES_PATH,
                          op == ROOST_X2_RULES_DRY_RUN ? "?dry_run=true" : "");
    if (rc == 0) {
        rc = roost_buf_printf(&auth, "Authorization: Bearer %s", bearer);
    }
    if (rc == 0 && op != ROOST_X2_RULES_LIST) {
        rc = rules_body(op, args, n_args, &body);
    }
    if (rc < 0) {
        goto out_free;
    }
    const char *headers[] = { auth.ptr, "Content-Type: application/json",
                              NULL };
    struct roost_http_req req = {
        .method = op == ROOST_X2_RULES_LIST ? "GET" : "POST",
        .url = url.ptr,
        .headers = headers,
        .body = body.ptr,
        .body_len = body.len,
        .timeout_ms = 30000,
    };
    rc = roost_http_fetch(&req, out, &status, diag);
    if (rc == 0 && (status < 200 || status > 299)) {
        rc = roost_diag_set(diag, ROOST_ERR(ROOST_EIO), 0,
                            "HTTP %ld from %s: %.300s", status, url.ptr,
                            out->ptr != NULL ? out->ptr : "");
    }
out_free:
    if (auth.ptr != NULL) {
        memset(auth.ptr, 0, auth.len);
    }
    memset(bearer, 0, sizeof(bearer));
    roost_buf_fini(&url);
    roost_buf_fini(&auth);
    roost_buf_fini(&body);
    return rc;
}
