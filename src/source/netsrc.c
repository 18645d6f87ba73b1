/* SPDX-License-Identifier: MIT
 *
 * netsrc.c - helpers of the network sources: backoff, recent-key set, gap
 * records, URLs (contracts in netsrc_int.h).
 *
 * The recent-key set is a ring of hashes in insertion order plus an open
 * addressing table of ring indices at load <= 1/2. Forgetting the oldest
 * key deletes its slot with backward-shift deletion, so lookups never
 * meet tombstones and stay O(1) however long the stream runs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/mem.h"
#include "source/netsrc_int.h"
#include "source/source_int.h"

int64_t roost__netsrc_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void roost__netsrc_report(const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    roost_logv(ROOST_LOG_WARN, name, fmt, ap);
    va_end(ap);
}

/* ---- backoff --------------------------------------------------------------
 */

void roost__backoff_init(struct roost__backoff *b, int64_t first_ms,
                         int64_t max_ms, double scale)
{
    memset(b, 0, sizeof(*b));
    b->first_ms = first_ms > 0 ? first_ms : 1;
    b->max_ms = max_ms >= b->first_ms ? max_ms : b->first_ms;
    b->scale = scale > 0 ? scale : 1.0;
    b->cur_ms = b->first_ms;
}

void roost__backoff_reset(struct roost__backoff *b)
{
    b->cur_ms = b->first_ms;
    b->immediate = true;
    b->n_fails = 0;
}

int64_t roost__backoff_next(struct roost__backoff *b)
{
    if (b->immediate) {
        b->immediate = false;
        return 0;
    }
    int64_t d = b->cur_ms;
    b->cur_ms = d > b->max_ms / 2 ? b->max_ms : d * 2;
    b->n_fails++;
    return (int64_t)((double)d * b->scale);
}

/* ---- recent keys ----------------------------------------------------------
 */

#define SLOT_EMPTY UINT32_MAX

int roost__recent_init(struct roost__recent *r, uint32_t cap)
{
    memset(r, 0, sizeof(*r));
    if (cap < 1 || cap > (1u << 26)) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    uint32_t n_slots = 1;
    while (n_slots < cap * 2) {
        n_slots *= 2;
    }
    r->ring = roost_calloc(cap, sizeof(*r->ring));
    r->slots = roost_malloc((size_t)n_slots * sizeof(*r->slots));
    if (r->ring == NULL || r->slots == NULL) {
        roost__recent_fini(r);
        return ROOST_ERR(ROOST_ENOMEM);
    }
    memset(r->slots, 0xff, (size_t)n_slots * sizeof(*r->slots));
    r->cap = cap;
    r->mask = n_slots - 1;
    return 0;
}

void roost__recent_fini(struct roost__recent *r)
{
    roost_free(r->ring);
    roost_free(r->slots);
    memset(r, 0, sizeof(*r));
}

uint64_t roost__recent_hash(const char *p, size_t len)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* find - the slot holding h, or the empty slot where it would go. */
static uint32_t find(const struct roost__recent *r, uint64_t h)
{
    uint32_t mask = r->mask;
    uint32_t i = (uint32_t)(h ^ (h >> 32)) & mask;
    while (r->slots[i] != SLOT_EMPTY && r->ring[r->slots[i]] != h) {
        i = (i + 1) & mask;
    }
    return i;
}

bool roost__recent_has(const struct roost__recent *r, uint64_t h)
{
    if (r->cap == 0) {
        return false;
    }
    return r->slots[find(r, h)] != SLOT_EMPTY;
}

/* forget_slot - backward-shift deletion at slot i. */
static void forget_slot(struct roost__recent *r, uint32_t i)
{
    uint32_t mask = r->mask;
    uint32_t j = i;
    for (;;) {
        r->slots[i] = SLOT_EMPTY;
        for (;;) {
            j = (j + 1) & mask;
            if (r->slots[j] == SLOT_EMPTY) {
                return;
            }
            uint64_t hj = r->ring[r->slots[j]];
            uint32_t home = (uint32_t)(hj ^ (hj >> 32)) & mask;
            /* j stays unless its home lies cyclically outside (i, j] */
            bool stays =
                i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays) {
                break;
            }
        }
        r->slots[i] = r->slots[j];
        i = j;
    }
}

bool roost__recent_add(struct roost__recent *r, uint64_t h)
{
    if (r->cap == 0) {
        return true;
    }
    uint32_t s = find(r, h);
    if (r->slots[s] != SLOT_EMPTY) {
        return false;
    }
    uint32_t at;
    if (r->n == r->cap) {
        at = r->head;
        forget_slot(r, find(r, r->ring[at]));
        r->head = (r->head + 1) % r->cap;
        r->n_evicted++;
        r->n--;
        s = find(r, h); /* the shift may have moved the empty slot */
    } else {
        at = (r->head + r->n) % r->cap;
    }
    r->ring[at] = h;
    r->slots[s] = at;
    r->n++;
    return true;
}

/* ---- gap records ----------------------------------------------------------
 */

static void copy_str(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s != NULL ? s : "");
}

void roost__gap_open(struct roost__gap *g, const char *last_id,
                     const char *reason)
{
    if (g->open) {
        return; /* the first drop of a series dates the gap */
    }
    g->open = true;
    g->start_ms = roost__now_ms();
    copy_str(g->last_id, sizeof(g->last_id), last_id);
    copy_str(g->reason, sizeof(g->reason), reason);
    g->undelivered = -1;
}

int roost__gap_write(struct roost__gap *g, const char *source,
                     const char *platform, const char *first_id,
                     struct roost_buf *out)
{
    int64_t end_ms = roost__now_ms();
    int rc = roost_buf_adds(out, "{\"roost_gap\":{\"source\":");
    if (rc == 0) {
        rc = roost_buf_add_json_str(out, source, strlen(source));
    }
    if (rc == 0) {
        rc = roost_buf_adds(out, ",\"platform\":");
    }
    if (rc == 0) {
        rc = roost_buf_add_json_str(out, platform, strlen(platform));
    }
    if (rc == 0) {
        rc = roost_buf_printf(out, ",\"start_ms\":%lld,\"end_ms\":%lld",
                              (long long)g->start_ms, (long long)end_ms);
    }
    if (rc == 0 && g->last_id[0] != '\0') {
        rc = roost_buf_adds(out, ",\"last_id\":");
        if (rc == 0) {
            rc = roost_buf_add_json_str(out, g->last_id, strlen(g->last_id));
        }
    }
    if (rc == 0 && first_id != NULL && first_id[0] != '\0') {
        rc = roost_buf_adds(out, ",\"first_id\":");
        if (rc == 0) {
            rc = roost_buf_add_json_str(out, first_id, strlen(first_id));
        }
    }
    if (rc == 0 && g->undelivered >= 0) {
        rc = roost_buf_printf(out, ",\"undelivered\":%lld",
                              (long long)g->undelivered);
    }
    if (rc == 0) {
        rc = roost_buf_adds(out, ",\"reason\":");
    }
    if (rc == 0) {
        rc = roost_buf_add_json_str(out, g->reason, strlen(g->reason));
    }
    if (rc == 0) {
        rc = roost_buf_adds(out, "}}");
    }
    if (rc == 0) {
        g->open = false;
    }
    return rc;
}

/* ---- URLs -----------------------------------------------------------------
 */

int roost__url_parse(const char *s, struct roost__url *out)
{
    static const struct {
        const char *name;
        int port;
        bool tls;
    } schemes[] = {
        { "http", 80, false },
        { "https", 443, true },
        { "ws", 80, false },
        { "wss", 443, true },
    };
    memset(out, 0, sizeof(*out));
    const char *sep = s != NULL ? strstr(s, "://") : NULL;
    if (sep == NULL) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    size_t slen = (size_t)(sep - s);
    bool known = false;
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        if (strlen(schemes[i].name) == slen &&
            strncmp(s, schemes[i].name, slen) == 0) {
            copy_str(out->scheme, sizeof(out->scheme), schemes[i].name);
            out->port = schemes[i].port;
            out->tls = schemes[i].tls;
            known = true;
        }
    }
    if (!known) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    const char *h = sep + 3;
    const char *path = strchr(h, '/');
    const char *hend = path != NULL ? path : h + strlen(h);
    const char *colon = NULL;
    if (*h == '[') {
        const char *rb = memchr(h, ']', (size_t)(hend - h));
        if (rb == NULL) {
            return ROOST_ERR(ROOST_EINVAL);
        }
        colon = rb + 1 < hend && rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = memchr(h, ':', (size_t)(hend - h));
    }
    const char *name_end = colon != NULL ? colon : hend;
    size_t hlen = (size_t)(name_end - h);
    if (hlen == 0 || hlen >= sizeof(out->host)) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    memcpy(out->host, h, hlen);
    out->host[hlen] = '\0';
    if (colon != NULL) {
        char *end = NULL;
        long port = strtol(colon + 1, &end, 10);
        if (end != hend || port < 1 || port > 65535) {
            return ROOST_ERR(ROOST_EINVAL);
        }
        out->port = (int)port;
    }
    const char *p = path != NULL ? path : "/";
    if (strlen(p) >= sizeof(out->path)) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    copy_str(out->path, sizeof(out->path), p);
    return 0;
}

int roost__url_add_param(struct roost_buf *b, const char *k, const char *v,
                         size_t v_len)
{
    static const char hex[] = "0123456789ABCDEF";
    bool has_query = b->len > 0 && memchr(b->ptr, '?', b->len) != NULL;
    int rc = roost_buf_printf(b, "%c%s=", has_query ? '&' : '?', k);
    for (size_t i = 0; i < v_len && rc == 0; i++) {
        unsigned char c = (unsigned char)v[i];
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                     c == '.' || c == '~' || c == ':';
        if (plain) {
            rc = roost_buf_addc(b, (char)c);
        } else {
            char e[3] = { '%', hex[c >> 4], hex[c & 15] };
            rc = roost_buf_add(b, e, 3);
        }
    }
    return rc;
}
