/* SPDX-License-Identifier: MIT
 *
 * xstream_int.h - the connection machinery the X streaming sources
 * (src_x1.c, src_x2.c) share: one HTTP stream kept alive by X's reconnect
 * rules, records cut from it, duplicates and gaps handled. The sources
 * supply two callbacks: build the request (auth is signed afresh for each
 * attempt) and tell what a record is (post id, limit, disconnect,
 * warning). Story and state machine atop xstream.c.
 */
#ifndef ROOST_SOURCE_XSTREAM_INT_H
#define ROOST_SOURCE_XSTREAM_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/batch.h"
#include "core/buf.h"
#include "parse/json.h"
#include "source/backoff.h"
#include "source/http_stream.h"
#include "source/netsrc_int.h"
#include "source/src_x.h"

enum roost__xmsg_kind {
    ROOST__XMSG_POST = 0,   /* a post (id set) */
    ROOST__XMSG_LIMIT,      /* `limit`: count = undelivered since connect */
    ROOST__XMSG_DISCONNECT, /* the server is closing: code, reason */
    ROOST__XMSG_WARNING,    /* stall warning etc.: code, reason */
    ROOST__XMSG_OTHER,      /* any other record: kept as it is */
};

struct roost__xmsg {
    uint8_t kind; /* enum roost__xmsg_kind */
    char id[32];
    int64_t count;
    char code[64];
    char reason[256];
};

/* One attempt's request, filled by the source's request callback. */
/* A byte range [start, end) of a page: one item of a result array. */
struct roost__xspan {
    size_t start;
    size_t end;
};

struct roost__xreq {
    const char *method;    /* "GET" or "POST" */
    struct roost_buf url;  /* with its query */
    struct roost_buf auth; /* one "Authorization: ..." header line */
    struct roost_buf body; /* form body for POST */
};

typedef int roost__xstream_request_fn(void *arg, bool reconnect,
                                      struct roost__xreq *req);
/* Build one gap-fill search request: posts with since_id < id <= max_id. */
typedef int roost__xstream_fill_fn(void *arg, const char *since_id,
                                   const char *max_id, struct roost__xreq *req);
/* Classify one record (valid JSON in d); fill m. */
typedef void roost__xstream_inspect_fn(void *arg,
                                       const struct roost_json_doc *d,
                                       struct roost__xmsg *m);

struct roost__xstream_cfg {
    const char *kind;      /* "x1" / "x2": positions, gap records */
    const char *name;      /* instance name, for stderr reports */
    const char *cred_hint; /* where the credentials came from */
    int64_t stall_ms;
    int64_t connect_timeout_ms;
    double time_scale;
    int64_t auth_retries;
    uint32_t dedupe_cap;
    size_t max_pending;
    size_t max_record;
    bool length_delimited; /* v1.1 delimited=length */
    const char *resume_id; /* posts at or before it are dropped, or "" */
    roost__xstream_request_fn *request;
    roost__xstream_inspect_fn *inspect;
    /* gap filling (x1 fill-gaps=true): NULL disables it */
    roost__xstream_fill_fn *fill;
    int64_t fill_max_pages;
    void *arg;
};

enum roost__xstream_state {
    ROOST__XS_WAIT = 0, /* connect at next_ms */
    ROOST__XS_UP,       /* request in flight */
    ROOST__XS_FAILED,   /* gave up: poll returns ROOST_EIO */
};

enum roost__xfill_state {
    ROOST__XF_IDLE = 0, /* no gap to fill */
    ROOST__XF_ASK,      /* start the next page request */
    ROOST__XF_UP,       /* a page request in flight */
    ROOST__XF_PAGE,     /* a page received: its posts go out from fill_item */
};

struct roost__xstream {
    struct roost__xstream_cfg cfg;
    struct roost_src_x_stats *stats; /* the source's, updated in place */
    struct roost_http_stream hs;
    struct roost_backoff backoff;
    struct roost__recent recent;
    struct roost__gap gap;
    struct roost__xreq req;
    struct roost_json_doc doc;
    struct roost_buf scratch;
    uint8_t state;
    bool reconnect;      /* an attempt was made before */
    bool counted_200;    /* this attempt's 200 was counted */
    int64_t next_ms;     /* monotonic */
    int64_t limit_conn;  /* highest limit count on this connection */
    int64_t undelivered; /* since the last gap record */
    uint64_t skip_left;  /* bytes of an oversize record still to drop */
    bool skip_line;      /* JSONL: drop up to the next newline */
    uint32_t n_auth;     /* refused attempts in a row */
    char last_id[32];
    char why[256]; /* reason of the pending drop */
    /* gap filling: one search request at a time, never blocking poll */
    struct roost_http_stream fill_hs;
    struct roost__xreq fill_req;
    uint8_t fill_state;              /* enum roost__xfill_state */
    int64_t fill_pages;              /* pages fetched for this gap */
    int fill_n;                      /* posts of the page received */
    int fill_item;                   /* next of them to append */
    struct roost__xspan *fill_items; /* fill_n spans into fill_hs.body */
    char fill_since[32];             /* the gap: since_id < id <= fill_max */
    char fill_max[32];
    char fill_oldest[32]; /* lowest id of the page being taken */
};

int roost__xstream_init(struct roost__xstream *xs,
                        const struct roost__xstream_cfg *cfg,
                        struct roost_src_x_stats *stats);
void roost__xstream_fini(struct roost__xstream *xs);

/* roost__xstream_poll - the ops->poll of a streaming X source. */
int roost__xstream_poll(struct roost__xstream *xs, struct roost_batch *out);

/* roost__xstream_id_after - whether decimal id a is greater than b. */
bool roost__xstream_id_after(const char *a, const char *b);

/* The v2 "all fields" preset: {parameter, value} for expansions and the
 * tweet, user, media, place and poll fields (src_x2.c). */
#define ROOST__X2_N_FIELDS 6
extern const char *const roost__x2_all_fields[ROOST__X2_N_FIELDS][2];

/*
 * roost__xsearch_items - spans of the items of the top-level array member
 * `key` of the JSON object p[0..len) (valid JSON); *open / *close get the
 * offsets of its '[' and ']' (src_xsearch.c; the x1 gap fill reads v1.1
 * search pages with it).
 * Returns: the number of items, or -1 when there is no such array or it
 * has more than cap items.
 */
int roost__xsearch_items(const char *p, size_t len, const char *key,
                         struct roost__xspan *items, int cap, size_t *open,
                         size_t *close);

/* roost__xsearch_id_minus_one - decimal s - 1 into out (s > 0, digits). */
void roost__xsearch_id_minus_one(const char *s, char *out, size_t cap);

/* roost__xstream_copy - copy a JSON string/number token into dst. */
void roost__xstream_copy(char *dst, size_t cap, struct roost_str s);

#endif /* ROOST_SOURCE_XSTREAM_INT_H */
