/* SPDX-License-Identifier: MIT
 *
 * xstream.c - one X stream kept alive the way X asks (contract in
 * xstream_int.h; used by src_x1.c and src_x2.c).
 *
 * States: WAIT (no request; start one at next_ms) -> UP (request in
 * flight) -> WAIT again when it ends, after the delay backoff.h gives for
 * how it ended, or FAILED for what retrying cannot fix (a bad request, or
 * credentials refused auth-retries times in a row). Every attempt signs
 * afresh through the source's request callback.
 *
 * How an attempt ends decides the class (backoff.h): no HTTP response is
 * NET; 420/429 RATE; 401/403 HTTP, reported once on stderr and retried at
 * most auth-retries times; 400/404/406/413/416/422 end the source (X says
 * not to retry them); other statuses HTTP; a 200 stream that ends, fails
 * mid-body, sends `disconnect`, or stays silent for stall-timeout (X:
 * 90 s for v1.1, 20 s for v2; keep-alive newlines count) is a DROP:
 * reconnect at once if it delivered a record.
 *
 * Records. The body is JSON lines separated by "\r\n", blank lines being
 * keep-alives; with delimited=length each record is preceded by its
 * length in bytes on a line of its own. Bytes a disconnect cut mid-record
 * go out flagged ROOST_EPARSE (the archive keeps them, the normalizer
 * dead-letters them). A record over max-record goes out cut to it,
 * flagged ROOST_ELIMIT, and the rest is skipped as it arrives.
 *
 * Duplicates. Post ids go into a bounded recent set (netsrc_int.h), so a
 * reconnect's overlap (v2 backfill, a server that replays) is dropped
 * and counted; after a restart (resume id) posts with an id at or before
 * it are dropped (ids are time-ordered snowflakes).
 *
 * Gaps. When an established stream drops, a gap opens with the last post
 * id; the first record after reconnecting is preceded by the roost_gap
 * record of parse/post.h with that record's id, the duration, and the
 * undelivered count that `limit` notices reported since the last gap.
 *
 * Gap filling (cfg.fill, x1 fill-gaps=true). Once a gap record is out
 * (last id before, first id after), search is asked for the posts
 * between them, since_id = before and max_id = after - 1, page after page
 * going back (max_id = oldest id of the last page - 1) until a page is
 * empty or fill_max_pages were fetched. Found posts go out as records
 * after the ones already received, through the same recent-id set, so
 * nothing is delivered twice. The requests run on their own handle next
 * to the stream and never block poll: a 429, x-rate-limit-remaining 0 or
 * any error ends the fill at once (stats: n_pages fetched, n_rate_limited;
 * one stderr line says which gap stayed open).
 *
 * Start at roost__xstream_poll().
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "source/source_int.h"
#include "source/xstream_int.h"

#define MAX_JSON_DEPTH  128
#define FILL_MAX_ITEMS  1024 /* posts per search page we take; X sends 100 */
#define FILL_TIMEOUT_MS 30000

int roost__xstream_init(struct roost__xstream *xs,
                        const struct roost__xstream_cfg *cfg,
                        struct roost_src_x_stats *stats)
{
    int rc;

    memset(xs, 0, sizeof(*xs));
    xs->cfg = *cfg;
    xs->stats = stats;
    roost_buf_init(&xs->req.url, 64 * 1024);
    roost_buf_init(&xs->req.auth, 8 * 1024);
    roost_buf_init(&xs->req.body, 1u << 20);
    roost_buf_init(&xs->scratch, 64 * 1024);
    roost_json_doc_init(&xs->doc, MAX_JSON_DEPTH, cfg->max_record);
    roost_backoff_init(&xs->backoff, cfg->time_scale);
    rc = roost_http_stream_init(&xs->hs, cfg->max_pending);
    if (rc < 0) {
        goto out_fini;
    }
    rc = roost__recent_init(&xs->recent,
                            cfg->dedupe_cap > 0 ? cfg->dedupe_cap : 1);
    if (rc < 0) {
        goto out_fini;
    }
    if (cfg->fill != NULL) {
        roost_buf_init(&xs->fill_req.url, 64 * 1024);
        roost_buf_init(&xs->fill_req.auth, 8 * 1024);
        roost_buf_init(&xs->fill_req.body, 1024);
        xs->fill_items = roost_calloc(FILL_MAX_ITEMS, sizeof(*xs->fill_items));
        if (xs->fill_items == NULL) {
            rc = ROOST_ERR(ROOST_ENOMEM);
            goto out_fini;
        }
        rc = roost_http_stream_init(&xs->fill_hs, cfg->max_pending);
        if (rc < 0) {
            goto out_fini;
        }
    }
    xs->state = ROOST__XS_WAIT;
    xs->next_ms = roost_http_mono_ms();
    return 0;

out_fini:
    roost__xstream_fini(xs);
    return rc;
}

void roost__xstream_fini(struct roost__xstream *xs)
{
    roost_http_stream_fini(&xs->hs);
    roost__recent_fini(&xs->recent);
    roost_json_doc_fini(&xs->doc);
    roost_buf_fini(&xs->req.url);
    if (xs->req.auth.ptr != NULL) {
        memset(xs->req.auth.ptr, 0, xs->req.auth.len);
    }
    roost_buf_fini(&xs->req.auth);
    roost_buf_fini(&xs->req.body);
    roost_buf_fini(&xs->scratch);
    roost_http_stream_fini(&xs->fill_hs);
    roost_buf_fini(&xs->fill_req.url);
    roost_buf_fini(&xs->fill_req.auth);
    roost_buf_fini(&xs->fill_req.body);
    roost_free(xs->fill_items);
    xs->fill_items = NULL;
}

void roost__xstream_copy(char *dst, size_t cap, struct roost_str s)
{
    size_t n = s.ptr == NULL ? 0 : s.len < cap - 1 ? s.len : cap - 1;
    if (n > 0) {
        memcpy(dst, s.ptr, n);
    }
    dst[n] = '\0';
}

bool roost__xstream_id_after(const char *a, const char *b)
{
    size_t la = strlen(a);
    size_t lb = strlen(b);
    if (la != lb) {
        return la > lb;
    }
    return strcmp(a, b) > 0;
}

/* ---- attempts and how they end --------------------------------------------
 */

static void note_delay(struct roost__xstream *xs, int64_t d)
{
    struct roost_src_x_stats *st = xs->stats;
    if (st->n_delays < ROOST_SRC_X_DELAYS) {
        st->delays_ms[st->n_delays] = d;
    }
    st->n_delays++;
}

static void start_attempt(struct roost__xstream *xs)
{
    struct roost__xreq *r = &xs->req;
    roost_buf_reset(&r->url);
    roost_buf_reset(&r->auth);
    roost_buf_reset(&r->body);
    r->method = "GET";
    xs->counted_200 = false;
    xs->limit_conn = 0;
    xs->skip_left = 0;
    xs->skip_line = false;
    xs->stats->n_attempts++;
    int rc = xs->cfg.request(xs->cfg.arg, xs->reconnect, r);
    xs->reconnect = true;
    if (rc == 0) {
        const char *headers[2] = { r->auth.len > 0 ? r->auth.ptr : NULL, NULL };
        struct roost_http_req hr = {
            .method = r->method,
            .url = r->url.ptr,
            .headers = headers,
            .body = r->body.ptr,
            .body_len = r->body.len,
            .connect_timeout_ms = xs->cfg.connect_timeout_ms,
        };
        rc = roost_http_stream_start(&xs->hs, &hr);
    }
    if (r->auth.ptr != NULL) {
        memset(r->auth.ptr, 0, r->auth.len);
    }
    if (rc < 0) {
        xs->stats->n_net_errors++;
        int64_t d = roost_backoff_next(&xs->backoff, ROOST_BACKOFF_NET);
        note_delay(xs, d);
        xs->next_ms = roost_http_mono_ms() + d;
        return;
    }
    xs->state = ROOST__XS_UP;
}

static bool is_fatal_status(long s)
{
    return s == 400 || s == 404 || s == 406 || s == 413 || s == 416 || s == 422;
}

/* error_text - the start of an error body, one line, for reports. */
static void error_text(struct roost__xstream *xs, char *out, size_t cap)
{
    size_t n = xs->hs.body.len - xs->hs.off;
    n = n < cap - 1 ? n : cap - 1;
    for (size_t i = 0; i < n; i++) {
        char c = xs->hs.body.ptr[xs->hs.off + i];
        out[i] = c == '\n' || c == '\r' ? ' ' : c;
    }
    out[n] = '\0';
}

/* end_attempt - the request ended (or was stopped): choose what next. */
static void end_attempt(struct roost__xstream *xs, bool stalled)
{
    struct roost_src_x_stats *st = xs->stats;
    long status = xs->hs.status;
    enum roost_backoff_kind kind = roost_backoff_kind_of(status);
    const char *name = xs->cfg.name;
    char body[200];

    roost_http_stream_stop(&xs->hs);
    st->last_status = status;
    xs->state = ROOST__XS_WAIT;
    if (status == 200) {
        st->n_drops++;
        if (stalled) {
            st->n_stalls++;
            snprintf(xs->why, sizeof(xs->why),
                     "stall: no data for %" PRId64 " ms", xs->cfg.stall_ms);
        } else if (xs->why[0] == '\0') {
            snprintf(xs->why, sizeof(xs->why), "stream ended: %.200s",
                     xs->hs.curl_rc != 0 ? xs->hs.error : "closed by server");
        }
        roost__gap_open(&xs->gap, xs->last_id, xs->why);
        xs->why[0] = '\0';
    } else if (status == 0) {
        st->n_net_errors++;
    } else {
        error_text(xs, body, sizeof(body));
        if (kind == ROOST_BACKOFF_RATE) {
            st->n_rate_limited++;
        } else {
            st->n_http_errors++;
        }
        if (is_fatal_status(status)) {
            roost__netsrc_report(name,
                                 "the server rejected the request "
                                 "(HTTP %ld): %s",
                                 status, body);
            xs->state = ROOST__XS_FAILED;
            return;
        }
        if (status == 401 || status == 403) {
            st->n_auth_refused++;
            xs->n_auth++;
            if (xs->n_auth == 1) {
                roost__netsrc_report(name,
                                     "the server refused the "
                                     "credentials (HTTP %ld); check %s",
                                     status, xs->cfg.cred_hint);
            }
            if ((int64_t)xs->n_auth > xs->cfg.auth_retries) {
                roost__netsrc_report(name,
                                     "giving up after %u refused "
                                     "attempts",
                                     xs->n_auth);
                xs->state = ROOST__XS_FAILED;
                return;
            }
        }
        if (status == 420 || status == 429) {
            if (st->n_rate_limited == 1 || xs->backoff.n_rate == 0) {
                roost__netsrc_report(name,
                                     "rate limited (HTTP %ld): "
                                     "backing off",
                                     status);
            }
        }
    }
    int64_t d = roost_backoff_next(&xs->backoff, kind);
    note_delay(xs, d);
    xs->next_ms = roost_http_mono_ms() + d;
}

/* ---- records --------------------------------------------------------------
 */

static int add_rec(struct roost__xstream *xs, struct roost_batch *out,
                   const char *p, size_t len, int err)
{
    char pos[64];
    int n = snprintf(pos, sizeof(pos), "%s\t%s", xs->cfg.kind, xs->last_id);
    int rc =
        roost_batch_add(out, p, len, roost__now_ms(), pos, (size_t)n, 0, err);
    if (rc == 0) {
        xs->stats->n_records++;
    }
    return rc;
}

/* write_gap - the pending gap record, before the record with first_id. */
static void fill_arm(struct roost__xstream *xs, const char *before,
                     const char *first_id);

static int write_gap(struct roost__xstream *xs, struct roost_batch *out,
                     const char *first_id)
{
    struct roost__gap saved = xs->gap;
    roost_buf_reset(&xs->scratch);
    xs->gap.undelivered = xs->undelivered;
    int rc = roost__gap_write(&xs->gap, xs->cfg.kind, "x", first_id, &xs->scratch);
    if (rc == 0) {
        rc = add_rec(xs, out, xs->scratch.ptr, xs->scratch.len, 0);
    }
    if (rc < 0) {
        xs->gap = saved;
        return rc;
    }
    xs->stats->n_gaps++;
    xs->undelivered = 0;
    fill_arm(xs, saved.last_id, first_id);
    return 0;
}

/*
 * one_record - handle p[0..len) (a whole record). Returns 0 when it was
 * taken (appended, or dropped as a duplicate), ROOST_ELIMIT when out is
 * full (nothing changed but a gap record may have gone out).
 */
static int one_record(struct roost__xstream *xs, struct roost_batch *out,
                      const char *p, size_t len, int err)
{
    struct roost__xmsg m;
    memset(&m, 0, sizeof(m));
    m.kind = ROOST__XMSG_OTHER;
    if (err == 0 && roost_json_parse(&xs->doc, p, len, NULL) == 0) {
        xs->cfg.inspect(xs->cfg.arg, &xs->doc, &m);
    }
    if (m.kind == ROOST__XMSG_POST && m.id[0] != '\0') {
        uint64_t h = roost__recent_hash(m.id, strlen(m.id));
        if (roost__recent_has(&xs->recent, h)) {
            xs->stats->n_dups++;
            return 0;
        }
        if (xs->cfg.resume_id != NULL && xs->cfg.resume_id[0] != '\0' &&
            !roost__xstream_id_after(m.id, xs->cfg.resume_id)) {
            xs->stats->n_old++;
            return 0;
        }
    }
    if (xs->gap.open) {
        int rc = write_gap(xs, out, m.kind == ROOST__XMSG_POST ? m.id : "");
        if (rc < 0) {
            return rc;
        }
    }
    if (m.kind == ROOST__XMSG_POST && m.id[0] != '\0') {
        char prev[32];
        memcpy(prev, xs->last_id, sizeof(prev));
        roost__xstream_copy(xs->last_id, sizeof(xs->last_id),
                            roost_str_cstr(m.id));
        int rc = add_rec(xs, out, p, len, err);
        if (rc < 0) {
            memcpy(xs->last_id, prev, sizeof(prev));
            return rc;
        }
        roost__recent_add(&xs->recent, roost__recent_hash(m.id, strlen(m.id)));
    } else {
        int rc = add_rec(xs, out, p, len, err);
        if (rc < 0) {
            return rc;
        }
    }
    roost_backoff_delivered(&xs->backoff);
    xs->n_auth = 0;
    switch (m.kind) {
    case ROOST__XMSG_LIMIT:
        if (m.count > xs->limit_conn) {
            xs->stats->n_undelivered += (uint64_t)(m.count - xs->limit_conn);
            xs->undelivered += m.count - xs->limit_conn;
            xs->limit_conn = m.count;
        }
        break;
    case ROOST__XMSG_DISCONNECT:
        xs->stats->n_disconnects++;
        snprintf(xs->why, sizeof(xs->why), "disconnect %.60s: %.180s", m.code,
                 m.reason);
        roost__netsrc_report(xs->cfg.name, "server disconnect %s: %s", m.code,
                             m.reason);
        break;
    case ROOST__XMSG_WARNING:
        xs->stats->n_warnings++;
        roost__netsrc_report(xs->cfg.name, "warning %s: %s", m.code, m.reason);
        break;
    default:
        break;
    }
    return 0;
}

/* cut_oversize - the first max_record bytes of a long record, flagged. */
static int cut_oversize(struct roost__xstream *xs, struct roost_batch *out,
                        const char *p)
{
    int rc = add_rec(xs, out, p, xs->cfg.max_record, ROOST_ELIMIT);
    if (rc == 0) {
        xs->stats->n_oversize++;
    }
    return rc;
}

/*
 * drain - take whole records from the staged body. Returns the number
 * appended (>= 0) or ROOST_ELIMIT / another error. A disconnect message
 * sets why; the caller then ends the attempt.
 */
static int drain(struct roost__xstream *xs, struct roost_batch *out,
                 bool at_end)
{
    struct roost_http_stream *hs = &xs->hs;
    size_t max = xs->cfg.max_record;
    int n_added = 0;

    while (hs->off < hs->body.len) {
        const char *p = hs->body.ptr + hs->off;
        size_t avail = hs->body.len - hs->off;
        uint32_t before = out->n_recs;
        int rc = 0;

        if (xs->skip_left > 0) {
            size_t k = avail < xs->skip_left ? avail : (size_t)xs->skip_left;
            xs->skip_left -= k;
            roost_http_stream_consume(hs, k);
            continue;
        }
        const char *nl = memchr(p, '\n', avail);
        if (xs->skip_line) {
            size_t k = nl != NULL ? (size_t)(nl - p) + 1 : avail;
            xs->skip_line = nl == NULL;
            roost_http_stream_consume(hs, k);
            continue;
        }
        if (nl == NULL) {
            if (avail > max + 32 && !xs->cfg.length_delimited) {
                rc = cut_oversize(xs, out, p);
                if (rc < 0) {
                    return rc;
                }
                xs->skip_line = true;
                roost_http_stream_consume(hs, avail);
                n_added++;
                continue;
            }
            if (!at_end) {
                break;
            }
            if (p[0] != '\r') {
                rc = add_rec(xs, out, p, avail, ROOST_EPARSE);
                if (rc < 0) {
                    return rc;
                }
                xs->stats->n_partial++;
                n_added++;
            }
            roost_http_stream_consume(hs, avail);
            break;
        }
        size_t line = (size_t)(nl - p);
        size_t llen = line > 0 && p[line - 1] == '\r' ? line - 1 : line;
        if (llen == 0) {
            xs->stats->n_keepalives++;
            roost_http_stream_consume(hs, line + 1);
            continue;
        }
        if (!xs->cfg.length_delimited || strspn(p, "0123456789") < llen) {
            /* a JSON line (or, delimited, a line that is not a length:
               kept as a record rather than lost) */
            if (llen > max) {
                rc = cut_oversize(xs, out, p);
            } else {
                rc = one_record(xs, out, p, llen, 0);
            }
            if (rc < 0) {
                return rc;
            }
            roost_http_stream_consume(hs, line + 1);
            n_added += (int)(out->n_recs - before);
            continue;
        }
        /* delimited=length: "<n>\r\n" then n bytes (their CRLF included) */
        uint64_t n = 0;
        for (size_t i = 0; i < llen && n < (1ull << 40); i++) {
            n = n * 10 + (uint64_t)(p[i] - '0');
        }
        size_t hdr = line + 1;
        if (n > max + 2) {
            if (avail - hdr < max && !at_end) {
                break;
            }
            size_t k = avail - hdr < max ? avail - hdr : max;
            rc = add_rec(xs, out, p + hdr, k, ROOST_ELIMIT);
            if (rc < 0) {
                return rc;
            }
            xs->stats->n_oversize++;
            xs->skip_left = n - k;
            roost_http_stream_consume(hs, hdr + k);
            n_added++;
            continue;
        }
        if (avail - hdr < n) {
            if (at_end) {
                rc = add_rec(xs, out, p + hdr, avail - hdr, ROOST_EPARSE);
                if (rc < 0) {
                    return rc;
                }
                xs->stats->n_partial++;
                roost_http_stream_consume(hs, avail);
                n_added++;
            }
            break;
        }
        size_t rlen = (size_t)n;
        while (rlen > 0 &&
               (p[hdr + rlen - 1] == '\n' || p[hdr + rlen - 1] == '\r')) {
            rlen--;
        }
        rc = rlen > 0 ? one_record(xs, out, p + hdr, rlen, 0) : 0;
        if (rc < 0) {
            return rc;
        }
        roost_http_stream_consume(hs, hdr + (size_t)n);
        n_added += (int)(out->n_recs - before);
    }
    return n_added;
}

/* ---- gap filling ----------------------------------------------------------
 */

static bool is_id(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < 32 && strspn(s, "0123456789") == n;
}

/* fill_arm - a gap record went out: fill (before, first_id) if we can. */
static void fill_arm(struct roost__xstream *xs, const char *before,
                     const char *first_id)
{
    if (xs->cfg.fill == NULL || !is_id(before) || !is_id(first_id) ||
        !roost__xstream_id_after(first_id, before)) {
        return;
    }
    if (xs->fill_state != ROOST__XF_IDLE) {
        roost__netsrc_report(
            xs->cfg.name, "gap after %s not filled: a fill is running", before);
        return;
    }
    roost__xstream_copy(xs->fill_since, sizeof(xs->fill_since),
                        roost_str_cstr(before));
    roost__xsearch_id_minus_one(first_id, xs->fill_max, sizeof(xs->fill_max));
    xs->fill_pages = 0;
    xs->fill_state = roost__xstream_id_after(xs->fill_max, xs->fill_since)
                         ? ROOST__XF_ASK
                         : ROOST__XF_IDLE;
}

/* fill_stop - end this gap's fill; why != NULL when posts may be missing. */
static void fill_stop(struct roost__xstream *xs, const char *why)
{
    roost_http_stream_stop(&xs->fill_hs);
    if (why != NULL) {
        roost__netsrc_report(xs->cfg.name,
                             "gap fill after %s stopped (%s): posts up to %s "
                             "may be missing",
                             xs->fill_since, why, xs->fill_max);
    }
    xs->fill_state = ROOST__XF_IDLE;
}

static void fill_ask(struct roost__xstream *xs)
{
    struct roost__xreq *r = &xs->fill_req;
    roost_buf_reset(&r->url);
    roost_buf_reset(&r->auth);
    roost_buf_reset(&r->body);
    r->method = "GET";
    int rc = xs->cfg.fill(xs->cfg.arg, xs->fill_since, xs->fill_max, r);
    if (rc == 0) {
        const char *headers[2] = { r->auth.len > 0 ? r->auth.ptr : NULL, NULL };
        struct roost_http_req hr = {
            .method = r->method,
            .url = r->url.ptr,
            .headers = headers,
            .connect_timeout_ms = xs->cfg.connect_timeout_ms,
            .timeout_ms = FILL_TIMEOUT_MS,
        };
        rc = roost_http_stream_start(&xs->fill_hs, &hr);
    }
    if (r->auth.ptr != NULL) {
        memset(r->auth.ptr, 0, r->auth.len);
    }
    if (rc < 0) {
        fill_stop(xs, "cannot start the search request");
        return;
    }
    xs->fill_state = ROOST__XF_UP;
}

/* fill_page - the search request ended: take its posts, or stop. */
static void fill_page(struct roost__xstream *xs)
{
    struct roost_http_stream *hs = &xs->fill_hs;
    char why[64];

    if (hs->curl_rc != 0) {
        snprintf(why, sizeof(why), "%.60s", hs->error);
        fill_stop(xs, why);
        return;
    }
    if (hs->status != 200) {
        if (hs->status == 429 || hs->status == 420) {
            xs->stats->n_rate_limited++;
            fill_stop(xs, "rate limited");
            return;
        }
        snprintf(why, sizeof(why), "search answered HTTP %ld", hs->status);
        fill_stop(xs, why);
        return;
    }
    size_t open = 0;
    size_t close = 0;
    int n = roost__xsearch_items(hs->body.ptr + hs->off, hs->body.len - hs->off,
                                 "statuses", xs->fill_items, FILL_MAX_ITEMS,
                                 &open, &close);
    if (n < 0) {
        fill_stop(xs, "not a search page");
        return;
    }
    xs->stats->n_pages++;
    xs->fill_pages++;
    xs->fill_n = n;
    xs->fill_item = 0;
    xs->fill_state = ROOST__XF_PAGE;
}

/*
 * fill_record - one post of a search page. *oldest keeps the lowest id
 * seen (the next page's max_id + 1). Returns 0 when taken (appended or
 * dropped), or the add's error (ROOST_ELIMIT: out is full).
 */
static int fill_record(struct roost__xstream *xs, struct roost_batch *out,
                       const char *p, size_t len, char *oldest)
{
    struct roost__xmsg m;
    memset(&m, 0, sizeof(m));
    m.kind = ROOST__XMSG_OTHER;
    if (roost_json_parse(&xs->doc, p, len, NULL) == 0) {
        xs->cfg.inspect(xs->cfg.arg, &xs->doc, &m);
    }
    if (m.kind != ROOST__XMSG_POST || !is_id(m.id)) {
        return 0;
    }
    if (oldest[0] == '\0' || roost__xstream_id_after(oldest, m.id)) {
        memcpy(oldest, m.id, strlen(m.id) + 1);
    }
    if (!roost__xstream_id_after(m.id, xs->fill_since) ||
        roost__xstream_id_after(m.id, xs->fill_max)) {
        return 0; /* outside the gap: the server ignored a bound */
    }
    uint64_t h = roost__recent_hash(m.id, strlen(m.id));
    if (roost__recent_has(&xs->recent, h)) {
        xs->stats->n_dups++;
        return 0;
    }
    int rc = add_rec(xs, out, p, len, 0);
    if (rc < 0) {
        return rc;
    }
    roost__recent_add(&xs->recent, h);
    return 0;
}

/*
 * fill_step - move the gap fill on without blocking. Returns the number
 * of records appended (>= 0), or ROOST_ELIMIT / another add error (the
 * page is kept and resumed at the next call).
 */
static int fill_step(struct roost__xstream *xs, struct roost_batch *out)
{
    uint32_t before = out->n_recs;

    if (xs->fill_state == ROOST__XF_ASK) {
        if (xs->fill_pages >= xs->cfg.fill_max_pages) {
            fill_stop(xs, "fill-max-pages reached");
            return 0;
        }
        fill_ask(xs);
    }
    if (xs->fill_state == ROOST__XF_UP) {
        roost_http_stream_step(&xs->fill_hs);
        if (!xs->fill_hs.done) {
            return 0;
        }
        fill_page(xs);
        xs->fill_oldest[0] = '\0';
    }
    if (xs->fill_state != ROOST__XF_PAGE) {
        return 0;
    }
    const char *p = xs->fill_hs.body.ptr + xs->fill_hs.off;
    for (; xs->fill_item < xs->fill_n; xs->fill_item++) {
        const struct roost__xspan *sp = &xs->fill_items[xs->fill_item];
        int rc = fill_record(xs, out, p + sp->start, sp->end - sp->start,
                             xs->fill_oldest);
        if (rc < 0) {
            return rc;
        }
    }
    if (xs->fill_n == 0 || xs->fill_oldest[0] == '\0') {
        fill_stop(xs, NULL); /* the gap is exhausted */
    } else if (xs->fill_hs.rate_remaining == 0) {
        xs->stats->n_rate_limited++;
        fill_stop(xs, "rate limit reached");
    } else {
        roost__xsearch_id_minus_one(xs->fill_oldest, xs->fill_max,
                                    sizeof(xs->fill_max));
        if (roost__xstream_id_after(xs->fill_max, xs->fill_since)) {
            xs->fill_state = ROOST__XF_ASK;
        } else {
            fill_stop(xs, NULL);
        }
    }
    return (int)(out->n_recs - before);
}

/* ---- poll -----------------------------------------------------------------
 */

int roost__xstream_poll(struct roost__xstream *xs, struct roost_batch *out)
{
    int n_added = 0;

    if (xs->state == ROOST__XS_FAILED) {
        return ROOST_ERR(ROOST_EIO);
    }
    if (xs->fill_state != ROOST__XF_IDLE) {
        int rc = fill_step(xs, out);
        if (rc < 0) {
            return rc;
        }
        n_added = rc;
    }
    if (xs->state == ROOST__XS_WAIT) {
        if (roost_http_mono_ms() < xs->next_ms) {
            return n_added > 0 ? 0 : ROOST_EAGAIN;
        }
        start_attempt(xs);
        if (xs->state != ROOST__XS_UP) {
            return n_added > 0 ? 0 : ROOST_EAGAIN;
        }
    }
    roost_http_stream_step(&xs->hs);
    long status = xs->hs.status;
    if (status == 200 && !xs->counted_200) {
        xs->counted_200 = true;
        xs->stats->n_connects++;
        xs->stats->last_status = 200;
    }
    if (status == 200) {
        int rc = drain(xs, out, xs->hs.done);
        if (rc < 0) {
            return rc;
        }
        n_added += rc;
        if (xs->why[0] != '\0' && !xs->hs.done) {
            end_attempt(xs, false); /* a disconnect message */
            return n_added > 0 ? 0 : ROOST_EAGAIN;
        }
    }
    if (xs->hs.done) {
        end_attempt(xs, false);
    } else if (status == 200 &&
               roost_http_mono_ms() - xs->hs.last_byte_ms > xs->cfg.stall_ms) {
        end_attempt(xs, true);
    }
    return n_added > 0 ? 0 : ROOST_EAGAIN;
}

/* ---- stats ----------------------------------------------------------------
 */

int roost_src_x_stats(struct roost_source *src, struct roost_src_x_stats *out)
{
    const char *n = src->ops->name;
    if (src->ctx == NULL || (strcmp(n, "x1") != 0 && strcmp(n, "x2") != 0 &&
                             strcmp(n, "xsearch") != 0)) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    /* every X source's ctx starts with its stats */
    memcpy(out, src->ctx, sizeof(*out));
    return 0;
}
