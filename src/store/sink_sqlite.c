/* SPDX-License-Identifier: MIT
 *
 * sink_sqlite.c - the embedded store: normalized posts into one SQLite
 * file (schema: sqlite_schema.c, docs/schema.md).
 *
 * Speed comes from: WAL with synchronous=NORMAL, one long transaction
 * (opened by the first write, committed by flush or every txn-posts
 * posts), statements prepared once, and as few statement executions per
 * post as possible. Each write runs inside a SAVEPOINT, so a rejected
 * batch leaves nothing behind while the enclosing transaction goes on.
 *
 * Entity rows (hashtags, mentions, ...) of a write are collected as cells
 * and inserted by multi-row INSERTs of 64, 32, ..., 1 rows (prepared on
 * first use), at the end of the write. They are INSERT OR IGNORE only so
 * that SQLite needs no statement journal for a multi-row statement: the
 * NOT NULL columns are checked here instead (write_rows), and the tables
 * have no other constraint.
 *
 * FTS is synced once per transaction, at commit (sync_fts): posts added
 * since BEGIN (seq > fts_seq) and not deleted are indexed by one INSERT
 * ... SELECT, and indexed posts deleted since are removed then. FTS5
 * writes its pending terms out as a new segment at every savepoint once
 * it is part of a transaction, so indexing post by post inside the
 * per-write SAVEPOINT made one small segment per write (about 30% of the
 * FTS cost, bench_store --file). A batch rejected later in the same
 * transaction leaves nothing to unindex; a failed sync fails the flush.
 *
 * Two small direct-mapped caches, keyed by the whole id, skip statements
 * that would change nothing: `posts` remembers rows stored (and their
 * referenced flag), so a re-delivered copy (a retweeted original, a
 * replay) costs no lookup; `authors` remembers the seen_at and a 64-bit
 * hash of the profile this sink last wrote to an author row, so an older
 * post's upsert, or one with the same time and profile, is skipped. Both
 * are emptied whenever a rollback may have undone one of their rows.
 *
 * Thread: the connection is opened with SQLITE_OPEN_NOMUTEX (no per-call
 * mutex), and no other code sees it (readers open their own). With
 * writer=inline the sink does its work on the caller's thread (sink.h: the
 * pipeline's processing thread). With writer=thread (the default when
 * roost may run on 2+ CPUs) the database work moves to a thread of the
 * sink's own, so it overlaps parsing and normalizing; see "writer thread"
 * below. Either way one thread at a time touches the connection.
 *
 * Writer thread: write() checks what the inline write would reject for
 * the batch's own content (a post without id, an entity without text) and
 * returns that error at once, so such batches are still dead-lettered;
 * then it deep-copies the batch (post_copy.h) into a queue bounded by
 * `queue` bytes (a full queue makes write() wait; waits are counted) and
 * returns 0. The writer runs the inline write on each batch in order,
 * retrying ROOST_EAGAIN as roost_sink_write() would. A failure it cannot
 * retry away is sticky: that batch and every later one are dropped, and
 * every later write() and flush() returns the error, so the pipeline
 * writes no checkpoint and replays the records from its archive on
 * restart (writes are idempotent). Unlike inline mode, the failed batch's
 * posts are not dead-lettered (the write() that reports the error
 * dead-letters its own batch's posts, which the replay writes anyway).
 * flush() waits until the writer has written every queued batch, then
 * commits on the caller's thread while the writer waits on its empty
 * queue. close() drains the queue, joins the writer and closes as inline.
 *
 * Idempotency: posts are INSERT OR IGNOREd by id; child rows (entities,
 * refs, FTS) and the author upsert happen only when the insert added the
 * row, so re-delivery (a replay after a crash) adds nothing. A post first
 * seen as a referenced copy and later delivered itself is flipped to
 * referenced = 0.
 *
 * Deletes: a ROOST_CTL_DELETE is kept in control_events (the tombstone),
 * and the post, when stored, is marked deleted and removed from FTS. A
 * post whose tombstone arrived first is stored already deleted. To spare
 * every post a lookup in control_events, the sink keeps a Bloom filter of
 * tombstoned ids (filled at open and by each delete it writes): only a
 * filter hit is confirmed in SQL, so the filter may err only towards a
 * lookup. Bits of a rolled-back batch stay set; that costs lookups, never
 * correctness. Like the rest of the sink, it assumes one writer process.
 *
 * Commits: flush commits (durable before the pipeline checkpoints), so at
 * the pipeline's batch rate most of a commit's cost is WAL traffic. The
 * WAL is checkpointed into the database every WAL_CHECKPOINT_PAGES pages
 * rather than SQLite's 1000: a checkpoint writes each page once however
 * often it changed, and its fsync is paid once per checkpoint.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "core/mem.h"
#include "core/queue.h"
#include "parse/tokenize.h"
#include "store/post_copy.h"
#include "store/sink.h"
#include "store/sink_sqlite_int.h"
#include "store/sqlite_schema.h"

/* Entity tables, filled by multi-row INSERTs (write_rows). */
enum ent {
    E_HASHTAG,
    E_MENTION,
    E_CASHTAG,
    E_URL,
    E_MEDIA,
    E_REF,
    N_ENT,
};

#define MAX_COLS   7
#define N_CHUNKS   7 /* statements of 64, 32, 16, 8, 4, 2 and 1 rows */
#define CHUNK_ROWS 64

/* Flush pending rows when a table holds this many or the kept keys grow
 * past KEPT_FLUSH_BYTES: bounds the memory of one huge write. */
#define ROWS_FLUSH       4096
#define KEPT_FLUSH_BYTES (1u << 20)

struct ent_table {
    const char *name;
    int n_cols;
    const char *cols[MAX_COLS];
    uint32_t not_null; /* bit i: cols[i] is NOT NULL */
};

static const struct ent_table ent_tables[N_ENT] = {
    [E_HASHTAG] = { "hashtags",
                    7,
                    { "post_id", "tag", "tag_lower", "created_at", "author_id",
                      "author_followers", "lang" },
                    0x7 },
    [E_MENTION] = { "mentions",
                    6,
                    { "post_id", "handle", "handle_lower", "user_id",
                      "created_at", "author_id" },
                    0x7 },
    [E_CASHTAG] = { "cashtags",
                    4,
                    { "post_id", "tag", "tag_lower", "created_at" },
                    0x7 },
    [E_URL] = { "urls",
                5,
                { "post_id", "url", "expanded", "domain", "created_at" },
                0x3 },
    [E_MEDIA] = { "media",
                  5,
                  { "post_id", "media_id", "type", "url", "alt" },
                  0x1 },
    [E_REF] = { "post_refs",
                5,
                { "post_id", "type", "ref_id", "ref_author_id",
                  "ref_author_handle" },
                0x7 },
};

enum cell_kind {
    CELL_NULL,
    CELL_TEXT, /* ptr, len: a view into the batch (or static) */
    CELL_KEPT, /* kept.ptr + off, len: c->kept moves while it grows */
    CELL_INT,  /* i */
};

/* One bound value of a pending row; views stay valid for the write. */
struct cell {
    const char *ptr;
    size_t len;
    int64_t i; /* CELL_INT: the value; CELL_KEPT: the offset in kept */
    int kind;
};

struct sqlite_ctx {
    /* options */
    bool fts;
    char *synchronous;
    size_t cache_bytes;
    char *terms;
    int64_t txn_posts;
    int64_t busy_timeout_ms;
    char *writer;
    size_t queue_bytes;
    /* state */
    sqlite3 *db;
    sqlite3_stmt **st; /* [N_STMT], prepared at open */
    bool has_fts;
    bool in_txn;
    bool txn_lost;   /* SQLite rolled back a transaction: fail the flush */
    uint64_t *bloom; /* [BLOOM_WORDS]: tombstoned post ids */
    uint64_t txn_rows;
    struct roost_buf json; /* bbox and rules as JSON */
    /* pending entity rows of the current write (see write_rows) */
    struct roost_buf rows[N_ENT]; /* struct cell[n_rows * n_cols] */
    uint32_t n_rows[N_ENT];
    struct roost_buf kept; /* folded keys the pending rows point into */
    sqlite3_stmt *multi[N_ENT][N_CHUNKS]; /* prepared on first use */
    /* FTS sync at commit */
    int64_t fts_seq;             /* posts with a greater seq are not indexed */
    struct roost_buf fts_del;    /* int64_t seqs to remove from the index */
    struct author_slot *authors; /* [CACHE_SLOTS] */
    struct post_slot *posts;     /* [CACHE_SLOTS] */
    /* writer=thread: the caller's thread reads and writes these fields
     * only under `mu`, except where a comment says otherwise */
    bool threaded;           /* set at open */
    bool started;            /* the thread runs: join it at close */
    struct roost_sink wsink; /* the writer's sink: inline ops, own diag
                                and stats (the caller's thread reads its
                                stats only once the writer is idle) */
    struct roost_queue *q;   /* struct roost_post_copy, weighed in bytes */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t idle;        /* n_done moved */
    uint64_t n_queued;          /* caller's thread only */
    uint64_t n_done;            /* batches the writer finished with */
    int err;                    /* the first hard failure: sticky */
    struct roost_diag err_diag; /* its detail */
    uint64_t n_lost;            /* posts of batches that failed or were
                                   dropped after a failure */
    uint64_t n_retries_seen;    /* caller's thread only: of wsink's, how
                                   many sink->stats has counted */
    uint64_t n_lost_seen;       /* caller's thread only: likewise */
};

static const struct roost_option sqlite_opts[] = {
    ROOST_OPT_BOOL("fts", "true", struct sqlite_ctx, fts,
                   "full-text index over post text (FTS5)"),
    ROOST_OPT_STR("synchronous", "normal", struct sqlite_ctx, synchronous,
                  "normal (survives a crash of roost), full (survives "
                  "power loss) or off"),
    ROOST_OPT_SIZE("cache", "64MiB", struct sqlite_ctx, cache_bytes,
                   "SQLite page cache"),
    ROOST_OPT_STR("terms", NULL, struct sqlite_ctx, terms,
                  "comma-separated terms for the term_mentions view"),
    ROOST_OPT_INT("txn-posts", "200000", struct sqlite_ctx, txn_posts,
                  "commit after this many posts even between flushes"),
    ROOST_OPT_MS("busy-timeout", "5s", struct sqlite_ctx, busy_timeout_ms,
                 "wait this long for another writer before retrying"),
    ROOST_OPT_STR("writer", "auto", struct sqlite_ctx, writer,
                  "thread (database work on a thread of its own, "
                  "overlapping the pipeline), inline, or auto: thread "
                  "when roost may run on 2+ CPUs and its input can be "
                  "delivered again (an archive, input files)"),
    ROOST_OPT_SIZE("queue", "64MiB", struct sqlite_ctx, queue_bytes,
                   "writer=thread: copied batches waiting for the "
                   "writer; write waits when it is full (memory: this, "
                   "plus the batch being written and the one being "
                   "copied)"),
    ROOST_OPT_END,
};

/* WAL pages between automatic checkpoints (64 MiB at 4 KiB pages); the
 * WAL file is truncated back to WAL_KEEP_BYTES after each checkpoint. */
#define WAL_CHECKPOINT_PAGES 16384
#define WAL_KEEP_BYTES       (64 * 1024 * 1024)

/* 8 Mibit (1 MiB) and 3 probes: ~3% false hits at a million tombstones. */
#define BLOOM_BITS   (1u << 23)
#define BLOOM_WORDS  (BLOOM_BITS / 64)
#define BLOOM_PROBES 3

/* Direct-mapped caches of rows this sink wrote (5 + 6 MiB), keyed by the
 * whole id; longer ids are not cached. */
#define CACHE_SLOTS  (1u << 17)
#define CACHE_ID_MAX 32

struct id_key {
    uint8_t len; /* 0: empty slot */
    char id[CACHE_ID_MAX];
};

struct author_slot {
    struct id_key key;
    uint64_t profile_hash;
    int64_t seen_ms;
};

/* A post row stored with this `referenced`. */
struct post_slot {
    struct id_key key;
    bool referenced;
};

/* ---- statements -----------------------------------------------------------
 */

enum stmt {
    S_INS_POST,
    S_UNREF,
    S_AUTHOR,
    S_FTS_SYNC,
    S_FTS_DEL,
    S_MAX_SEQ,
    S_CTL,
    S_TOMB,
    S_LIVE,
    S_MARK,
    S_SAVE,
    S_RELEASE,
    S_ROLLBACK_TO,
    S_FTS_SAVE,
    S_FTS_RELEASE,
    S_FTS_ROLLBACK_TO,
    N_STMT,
};

static const char *const stmt_sql[N_STMT] = {
    [S_INS_POST] =
        "INSERT OR IGNORE INTO posts (id, created_at, platform, format, "
        "lang, text, author_id, author_handle, author_name, "
        "author_followers, reply_to, retweet_of, quote_of, retweets, likes, "
        "replies, quotes, lat, lon, place_id, place, place_full_name, "
        "place_type, country, country_code, bbox, source, url, "
        "conversation_id, rules, sensitive, truncated, referenced, deleted) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
        "?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, "
        "?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34)",
    [S_UNREF] = "UPDATE posts SET referenced = 0 WHERE id = ?1 AND "
                "referenced = 1",
    [S_AUTHOR] =
        "INSERT INTO authors (id, platform, handle, name, description, "
        "location, lang, profile_image_url, followers, following, posts, "
        "verified, created_at, seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
        "?8, ?9, ?10, ?11, ?12, ?13, ?14) ON CONFLICT (id) DO UPDATE SET "
        "platform = excluded.platform, handle = excluded.handle, "
        "name = excluded.name, description = excluded.description, "
        "location = excluded.location, lang = excluded.lang, "
        "profile_image_url = excluded.profile_image_url, "
        "followers = excluded.followers, following = excluded.following, "
        "posts = excluded.posts, verified = excluded.verified, "
        "created_at = excluded.created_at, seen_at = excluded.seen_at "
        "WHERE coalesce(excluded.seen_at, 0) >= coalesce(authors.seen_at, 0)",
    /* The FTS delete needs the exact text it indexed: posts keeps it. */
    [S_FTS_SYNC] = "INSERT INTO posts_fts (rowid, text) SELECT seq, text "
                   "FROM posts WHERE seq > ?1 AND deleted = 0",
    [S_FTS_DEL] = "INSERT INTO posts_fts (posts_fts, rowid, text) SELECT "
                  "'delete', seq, text FROM posts WHERE seq = ?1",
    [S_MAX_SEQ] = "SELECT coalesce(max(seq), 0) FROM posts",
    [S_CTL] = "INSERT OR IGNORE INTO control_events (kind, platform, "
              "post_id, user_id, code, reason, count, ts) VALUES (?1, ?2, "
              "?3, ?4, ?5, ?6, ?7, ?8)",
    [S_TOMB] = "SELECT 1 FROM control_events WHERE post_id = ?1 AND "
               "kind = 'delete'",
    [S_LIVE] = "SELECT seq FROM posts WHERE id = ?1 AND deleted = 0",
    [S_MARK] = "UPDATE posts SET deleted = 1 WHERE seq = ?1",
    [S_SAVE] = "SAVEPOINT roost_write",
    [S_RELEASE] = "RELEASE roost_write",
    [S_ROLLBACK_TO] = "ROLLBACK TO roost_write",
    [S_FTS_SAVE] = "SAVEPOINT roost_fts",
    [S_FTS_RELEASE] = "RELEASE roost_fts",
    [S_FTS_ROLLBACK_TO] = "ROLLBACK TO roost_fts",
};

/* ---- helpers
 * ------------------------------------------------------------------- */

static int fail(struct roost_sink *sink, int sqlite_rc, const char *what)
{
    struct sqlite_ctx *c = sink->ctx;
    int err = ROOST_EIO;
    int prim = sqlite_rc & 0xff;

    if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED) {
        err = ROOST_EAGAIN;
    } else if (prim == SQLITE_NOMEM) {
        err = ROOST_ENOMEM;
    } else if (prim == SQLITE_TOOBIG || prim == SQLITE_FULL) {
        err = ROOST_ELIMIT;
    }
    return roost_diag_set(&sink->diag, ROOST_ERR(err), 0, "%s: %s", what,
                          c->db != NULL ? sqlite3_errmsg(c->db)
                                        : sqlite3_errstr(sqlite_rc));
}

static int exec(struct roost_sink *sink, const char *sql)
{
    struct sqlite_ctx *c = sink->ctx;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : fail(sink, rc, sql);
}

static void bind_str(sqlite3_stmt *st, int i, struct roost_str s)
{
    if (s.ptr == NULL) {
        sqlite3_bind_null(st, i);
    } else {
        sqlite3_bind_text(st, i, s.len > 0 ? s.ptr : "", (int)s.len,
                          SQLITE_STATIC);
    }
}

static void bind_count(sqlite3_stmt *st, int i, int64_t v)
{
    if (v == ROOST_UNKNOWN_COUNT) {
        sqlite3_bind_null(st, i);
    } else {
        sqlite3_bind_int64(st, i, v);
    }
}

static void bind_time(sqlite3_stmt *st, int i, int64_t ms)
{
    if (ms == 0) {
        sqlite3_bind_null(st, i);
    } else {
        sqlite3_bind_int64(st, i, ms);
    }
}

/* run - step a write statement to completion and reset it. Bindings are
 * kept, not cleared: every caller binds every parameter before each run
 * (SQLITE_STATIC pointers left behind are never read). */
static int run(struct roost_sink *sink, enum stmt s)
{
    struct sqlite_ctx *c = sink->ctx;
    int rc = sqlite3_step(c->st[s]);
    sqlite3_reset(c->st[s]);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        return fail(sink, rc, "write");
    }
    return 0;
}

/* url_host - the host of an http(s) URL without "www." (folded by the
 * caller). */
static struct roost_str url_host(struct roost_str u)
{
    if (u.ptr == NULL) {
        return ROOST_STR_NULL;
    }
    const char *p = u.ptr, *end = u.ptr + u.len;
    const char *sep = NULL;
    for (const char *q = p; q + 2 < end; q++) {
        if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
            sep = q + 3;
            break;
        }
        if (q[0] == '/' || q[0] == '?') {
            break;
        }
    }
    if (sep == NULL) {
        return ROOST_STR_NULL;
    }
    const char *h = sep;
    for (const char *q = sep;
         q < end && *q != '/' && *q != '?' && *q != '#' && *q != ':'; q++) {
        if (*q == '@') {
            h = q + 1; /* user:pass@host */
        }
    }
    const char *e = h;
    while (e < end && *e != '/' && *e != '?' && *e != '#' && *e != ':') {
        e++;
    }
    if (e - h > 4 && (h[0] == 'w' || h[0] == 'W') &&
        strncmp(h + 1, "ww.", 3) == 0) {
        h += 4;
    }
    if (e <= h) {
        return ROOST_STR_NULL;
    }
    return roost_str_make(h, (size_t)(e - h));
}

static int geo_json(struct sqlite_ctx *c, const struct roost_post *p)
{
    roost_buf_reset(&c->json);
    if (!p->has_geo || !p->geo.has_bbox) {
        return 0;
    }
    return roost_buf_printf(&c->json, "[%.17g,%.17g,%.17g,%.17g]",
                            p->geo.bbox[0], p->geo.bbox[1], p->geo.bbox[2],
                            p->geo.bbox[3]);
}

static int rules_json(struct sqlite_ctx *c, const struct roost_post *p)
{
    roost_buf_reset(&c->json);
    int rc = p->n_rules > 0 ? roost_buf_addc(&c->json, '[') : 0;
    for (uint32_t i = 0; rc == 0 && i < p->n_rules; i++) {
        if (i > 0) {
            rc = roost_buf_addc(&c->json, ',');
        }
        if (rc == 0) {
            rc = roost_buf_add_json_str(&c->json, p->rules[i].ptr,
                                        p->rules[i].len);
        }
    }
    return rc == 0 && p->n_rules > 0 ? roost_buf_addc(&c->json, ']') : rc;
}

static void bind_json(sqlite3_stmt *st, int i, struct roost_buf *b)
{
    if (b->len == 0) {
        sqlite3_bind_null(st, i);
    } else {
        sqlite3_bind_text(st, i, b->ptr, (int)b->len, SQLITE_TRANSIENT);
    }
}

static struct roost_str first_ref(const struct roost_post *p, uint8_t type)
{
    for (uint32_t i = 0; i < p->n_refs; i++) {
        if (p->refs[i].type == type) {
            return p->refs[i].id;
        }
    }
    return ROOST_STR_NULL;
}

static const char *ref_name(uint8_t type)
{
    switch (type) {
    case ROOST_REF_REPLY:
        return "reply";
    case ROOST_REF_RETWEET:
        return "retweet";
    case ROOST_REF_QUOTE:
        return "quote";
    default:
        return "other";
    }
}

/* bloom_hash - FNV-1a with a final avalanche (murmur3 fmix64). */
static uint64_t bloom_hash(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++) {
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3u;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    return h ^ (h >> 33);
}

static void bloom_add(struct sqlite_ctx *c, const char *s, size_t len)
{
    uint64_t h = bloom_hash(s, len);
    uint64_t step = (h >> 32) | 1;
    for (int i = 0; i < BLOOM_PROBES; i++, h += step) {
        uint32_t bit = (uint32_t)(h % BLOOM_BITS);
        c->bloom[bit / 64] |= (uint64_t)1 << (bit % 64);
    }
}

static bool bloom_has(const struct sqlite_ctx *c, const char *s, size_t len)
{
    uint64_t h = bloom_hash(s, len);
    uint64_t step = (h >> 32) | 1;
    for (int i = 0; i < BLOOM_PROBES; i++, h += step) {
        uint32_t bit = (uint32_t)(h % BLOOM_BITS);
        if ((c->bloom[bit / 64] & ((uint64_t)1 << (bit % 64))) == 0) {
            return false;
        }
    }
    return true;
}

static bool is_tombstoned(struct roost_sink *sink, struct roost_str id)
{
    struct sqlite_ctx *c = sink->ctx;
    if (!bloom_has(c, id.ptr, id.len)) {
        return false;
    }
    sqlite3_stmt *st = c->st[S_TOMB];
    bind_str(st, 1, id);
    bool hit = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return hit;
}

/* ---- one post ---------------------------------------------------------------
 */

static int insert_post_row(struct roost_sink *sink, const struct roost_post *p,
                           bool deleted)
{
    struct sqlite_ctx *c = sink->ctx;
    sqlite3_stmt *st = c->st[S_INS_POST];
    const struct roost_geo *g = &p->geo;
    bool geo = p->has_geo;

    bind_str(st, 1, p->id);
    bind_time(st, 2, p->created_at_ms);
    sqlite3_bind_text(st, 3, roost_platform_name(p->platform), -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(st, 4, roost_format_name(p->format), -1, SQLITE_STATIC);
    bind_str(st, 5, p->lang);
    bind_str(st, 6, p->text.ptr != NULL ? p->text : ROOST_STR_LIT(""));
    bind_str(st, 7, p->author.id);
    bind_str(st, 8, p->author.handle);
    bind_str(st, 9, p->author.name);
    bind_count(st, 10, p->author.followers);
    bind_str(st, 11, first_ref(p, ROOST_REF_REPLY));
    bind_str(st, 12, first_ref(p, ROOST_REF_RETWEET));
    bind_str(st, 13, first_ref(p, ROOST_REF_QUOTE));
    bind_count(st, 14, p->retweets);
    bind_count(st, 15, p->likes);
    bind_count(st, 16, p->replies);
    bind_count(st, 17, p->quotes);
    if (geo && g->has_point) {
        sqlite3_bind_double(st, 18, g->lat);
        sqlite3_bind_double(st, 19, g->lon);
    } else {
        sqlite3_bind_null(st, 18);
        sqlite3_bind_null(st, 19);
    }
    if (!geo) {
        for (int i = 20; i <= 26; i++) {
            sqlite3_bind_null(st, i);
        }
    } else {
        bind_str(st, 20, g->place_id);
        bind_str(st, 21, g->place_name);
        bind_str(st, 22, g->place_full_name);
        bind_str(st, 23, g->place_type);
        bind_str(st, 24, g->country);
        bind_str(st, 25, g->country_code);
        if (geo_json(c, p) < 0) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        bind_json(st, 26, &c->json);
    }
    bind_str(st, 27, p->source);
    bind_str(st, 28, p->url);
    bind_str(st, 29, p->conversation_id);
    if (rules_json(c, p) < 0) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    bind_json(st, 30, &c->json);
    sqlite3_bind_int(st, 31, p->sensitive);
    sqlite3_bind_int(st, 32, p->truncated);
    sqlite3_bind_int(st, 33, p->referenced);
    sqlite3_bind_int(st, 34, deleted);
    return run(sink, S_INS_POST);
}

/* hash_str, hash_i64 - FNV-1a steps; a NULL string differs from "". */
static uint64_t hash_str(uint64_t h, struct roost_str s)
{
    h = (h ^ (s.ptr == NULL ? 0x5a : 0xa5)) * 0x100000001b3u;
    for (size_t i = 0; s.ptr != NULL && i < s.len; i++) {
        h = (h ^ (unsigned char)s.ptr[i]) * 0x100000001b3u;
    }
    return (h ^ 0xff) * 0x100000001b3u; /* ends the field */
}

static uint64_t hash_i64(uint64_t h, int64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8) {
        h = (h ^ (uint64_t)(v & 0xff)) * 0x100000001b3u;
    }
    return h;
}

/* profile_hash - over what the author upsert writes, seen_at aside. */
static uint64_t profile_hash(const struct roost_post *p)
{
    const struct roost_author *a = &p->author;
    uint64_t h = 0xcbf29ce484222325u;
    h = hash_i64(h, p->platform);
    h = hash_str(h, a->handle);
    h = hash_str(h, a->name);
    h = hash_str(h, a->description);
    h = hash_str(h, a->location);
    h = hash_str(h, a->lang);
    h = hash_str(h, a->profile_image_url);
    h = hash_i64(h, a->followers);
    h = hash_i64(h, a->following);
    h = hash_i64(h, a->posts);
    h = hash_i64(h, a->verified);
    return hash_i64(h, a->created_at_ms);
}

/* forget - empty the caches: a rollback may have undone their rows. */
static void forget(struct sqlite_ctx *c)
{
    if (c->authors != NULL) {
        memset(c->authors, 0, CACHE_SLOTS * sizeof(*c->authors));
    }
    if (c->posts != NULL) {
        memset(c->posts, 0, CACHE_SLOTS * sizeof(*c->posts));
    }
}

static uint32_t cache_slot(struct roost_str id)
{
    return (uint32_t)(bloom_hash(id.ptr, id.len) % CACHE_SLOTS);
}

static bool key_is(const struct id_key *k, struct roost_str id)
{
    return k->len == id.len && id.len > 0 && memcmp(k->id, id.ptr, id.len) == 0;
}

static void key_set(struct id_key *k, struct roost_str id)
{
    if (id.len == 0 || id.len > CACHE_ID_MAX) {
        k->len = 0;
        return;
    }
    memcpy(k->id, id.ptr, id.len);
    k->len = (uint8_t)id.len;
}

static int insert_author(struct roost_sink *sink, const struct roost_post *p)
{
    struct sqlite_ctx *c = sink->ctx;
    sqlite3_stmt *st = c->st[S_AUTHOR];
    const struct roost_author *a = &p->author;
    uint64_t prof = profile_hash(p);
    struct author_slot *slot = &c->authors[cache_slot(a->id)];
    int64_t seen = p->created_at_ms; /* the upsert compares NULL as 0 */

    /* The row holds what the slot says: the upsert would change nothing
     * (equal profile hashes stand for equal profiles). */
    if (key_is(&slot->key, a->id) &&
        (seen < slot->seen_ms ||
         (seen == slot->seen_ms && prof == slot->profile_hash))) {
        return 0;
    }
    bind_str(st, 1, a->id);
    sqlite3_bind_text(st, 2, roost_platform_name(p->platform), -1,
                      SQLITE_STATIC);
    bind_str(st, 3, a->handle);
    bind_str(st, 4, a->name);
    bind_str(st, 5, a->description);
    bind_str(st, 6, a->location);
    bind_str(st, 7, a->lang);
    bind_str(st, 8, a->profile_image_url);
    bind_count(st, 9, a->followers);
    bind_count(st, 10, a->following);
    bind_count(st, 11, a->posts);
    sqlite3_bind_int(st, 12, a->verified);
    bind_time(st, 13, a->created_at_ms);
    bind_time(st, 14, p->created_at_ms);
    int rc = run(sink, S_AUTHOR);
    if (rc == 0 && sqlite3_changes(c->db) > 0) {
        key_set(&slot->key, a->id);
        slot->profile_hash = prof;
        slot->seen_ms = seen;
    } else if (key_is(&slot->key, a->id)) {
        slot->key.len = 0; /* a newer row we did not write */
    }
    return rc;
}

/* ---- entity rows -------------------------------------------------------- */

static struct cell cell_str(struct roost_str s)
{
    if (s.ptr == NULL) {
        return (struct cell){ .kind = CELL_NULL };
    }
    return (struct cell){ .ptr = s.len > 0 ? s.ptr : "",
                          .len = s.len,
                          .kind = CELL_TEXT };
}

static struct cell cell_static(const char *s)
{
    return (struct cell){ .ptr = s, .len = strlen(s), .kind = CELL_TEXT };
}

static struct cell cell_count(int64_t v)
{
    if (v == ROOST_UNKNOWN_COUNT) {
        return (struct cell){ .kind = CELL_NULL };
    }
    return (struct cell){ .i = v, .kind = CELL_INT };
}

static struct cell cell_time(int64_t ms)
{
    if (ms == 0) {
        return (struct cell){ .kind = CELL_NULL };
    }
    return (struct cell){ .i = ms, .kind = CELL_INT };
}

/* cell_fold - s lower-cased, kept until the rows are written; s itself
 * when folding fails (as the row-by-row writer did). */
static struct cell cell_fold(struct sqlite_ctx *c, struct roost_str s)
{
    if (s.ptr == NULL) {
        return (struct cell){ .kind = CELL_NULL };
    }
    size_t off = c->kept.len;
    if (roost_fold_case(s.ptr, s.len, &c->kept) < 0) {
        c->kept.len = off;
        return cell_str(s);
    }
    return (struct cell){ .len = c->kept.len - off,
                          .i = (int64_t)off,
                          .kind = CELL_KEPT };
}

/* new_row - room for one pending row of table e, or NULL (no memory). */
static struct cell *new_row(struct sqlite_ctx *c, enum ent e)
{
    size_t bytes = (size_t)ent_tables[e].n_cols * sizeof(struct cell);
    if (roost_buf_reserve(&c->rows[e], bytes) < 0) {
        return NULL;
    }
    struct cell *row = (struct cell *)(void *)(c->rows[e].ptr + c->rows[e].len);
    c->rows[e].len += bytes;
    c->n_rows[e]++;
    return row;
}

static void drop_rows(struct sqlite_ctx *c)
{
    for (int e = 0; e < N_ENT; e++) {
        roost_buf_reset(&c->rows[e]);
        c->n_rows[e] = 0;
    }
    roost_buf_reset(&c->kept);
}

/* multi_stmt - the INSERT of CHUNK_ROWS >> k rows into table e. */
static int multi_stmt(struct roost_sink *sink, enum ent e, int k,
                      sqlite3_stmt **out)
{
    struct sqlite_ctx *c = sink->ctx;
    const struct ent_table *t = &ent_tables[e];
    int n = CHUNK_ROWS >> k;

    if (c->multi[e][k] != NULL) {
        *out = c->multi[e][k];
        return 0;
    }
    struct roost_buf sql;
    roost_buf_init(&sql, 1u << 20);
    int rc = roost_buf_printf(&sql, "INSERT OR IGNORE INTO %s (", t->name);
    for (int j = 0; rc == 0 && j < t->n_cols; j++) {
        rc = roost_buf_printf(&sql, "%s%s", j > 0 ? ", " : "", t->cols[j]);
    }
    rc = rc == 0 ? roost_buf_adds(&sql, ") VALUES ") : rc;
    for (int r = 0; rc == 0 && r < n; r++) {
        rc = roost_buf_adds(&sql, r > 0 ? ", (" : "(");
        for (int j = 0; rc == 0 && j < t->n_cols; j++) {
            rc = roost_buf_adds(&sql, j > 0 ? ", ?" : "?");
        }
        rc = rc == 0 ? roost_buf_addc(&sql, ')') : rc;
    }
    if (rc < 0) {
        roost_buf_fini(&sql);
        return ROOST_ERR(ROOST_ENOMEM);
    }
    int src =
        sqlite3_prepare_v3(c->db, sql.ptr, (int)sql.len,
                           SQLITE_PREPARE_PERSISTENT, &c->multi[e][k], NULL);
    roost_buf_fini(&sql);
    if (src != SQLITE_OK) {
        return fail(sink, src, "prepare");
    }
    *out = c->multi[e][k];
    return 0;
}

static void bind_cell(struct sqlite_ctx *c, sqlite3_stmt *st, int i,
                      const struct cell *v)
{
    switch (v->kind) {
    case CELL_TEXT:
        sqlite3_bind_text(st, i, v->ptr, (int)v->len, SQLITE_STATIC);
        break;
    case CELL_KEPT:
        sqlite3_bind_text(st, i, c->kept.ptr + v->i, (int)v->len,
                          SQLITE_STATIC);
        break;
    case CELL_INT:
        sqlite3_bind_int64(st, i, v->i);
        break;
    default:
        sqlite3_bind_null(st, i);
        break;
    }
}

/* write_rows - insert every pending row, in order, and drop them. */
static int write_rows(struct roost_sink *sink)
{
    struct sqlite_ctx *c = sink->ctx;
    int rc = 0;

    for (int e = 0; rc == 0 && e < N_ENT; e++) {
        const struct ent_table *t = &ent_tables[e];
        const struct cell *row = (const struct cell *)(void *)c->rows[e].ptr;
        uint32_t left = c->n_rows[e];
        for (int k = 0; rc == 0 && k < N_CHUNKS; k++) {
            uint32_t n = (uint32_t)CHUNK_ROWS >> k;
            while (rc == 0 && left >= n) {
                sqlite3_stmt *st = NULL;
                rc = multi_stmt(sink, e, k, &st);
                for (uint32_t i = 0; rc == 0 && i < n * t->n_cols; i++) {
                    int j = (int)(i % (uint32_t)t->n_cols);
                    if (row[i].kind == CELL_NULL &&
                        (t->not_null & (1u << j)) != 0) {
                        rc =
                            roost_diag_set(&sink->diag, ROOST_ERR(ROOST_EIO), 0,
                                           "write: NOT NULL constraint "
                                           "failed: %s.%s",
                                           t->name, t->cols[j]);
                    } else {
                        bind_cell(c, st, (int)i + 1, &row[i]);
                    }
                }
                if (rc == 0) {
                    int s = sqlite3_step(st);
                    sqlite3_reset(st);
                    rc = s == SQLITE_DONE ? 0 : fail(sink, s, "write");
                }
                row += n * (uint32_t)t->n_cols;
                left -= n;
            }
        }
    }
    drop_rows(c);
    return rc;
}

static int maybe_write_rows(struct roost_sink *sink)
{
    struct sqlite_ctx *c = sink->ctx;
    bool full = c->kept.len >= KEPT_FLUSH_BYTES;
    for (int e = 0; !full && e < N_ENT; e++) {
        full = c->n_rows[e] >= ROWS_FLUSH;
    }
    return full ? write_rows(sink) : 0;
}

static int queue_entities(struct roost_sink *sink, const struct roost_post *p)
{
    struct sqlite_ctx *c = sink->ctx;
    struct cell id = cell_str(p->id), at = cell_time(p->created_at_ms);
    struct cell *r;

    for (uint32_t i = 0; i < p->n_hashtags; i++) {
        r = new_row(c, E_HASHTAG);
        if (r == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        r[0] = id;
        r[1] = cell_str(p->hashtags[i].text);
        r[2] = cell_fold(c, p->hashtags[i].text);
        r[3] = at;
        r[4] = cell_str(p->author.id);
        r[5] = cell_count(p->author.followers);
        r[6] = cell_str(p->lang);
    }
    for (uint32_t i = 0; i < p->n_mentions; i++) {
        r = new_row(c, E_MENTION);
        if (r == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        r[0] = id;
        r[1] = cell_str(p->mentions[i].text);
        r[2] = cell_fold(c, p->mentions[i].text);
        r[3] = cell_str(p->mentions[i].expanded);
        r[4] = at;
        r[5] = cell_str(p->author.id);
    }
    for (uint32_t i = 0; i < p->n_cashtags; i++) {
        r = new_row(c, E_CASHTAG);
        if (r == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        r[0] = id;
        r[1] = cell_str(p->cashtags[i].text);
        r[2] = cell_fold(c, p->cashtags[i].text);
        r[3] = at;
    }
    for (uint32_t i = 0; i < p->n_urls; i++) {
        const struct roost_entity *u = &p->urls[i];
        r = new_row(c, E_URL);
        if (r == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        r[0] = id;
        r[1] = cell_str(u->text.ptr != NULL ? u->text : u->expanded);
        r[2] = cell_str(u->expanded);
        r[3] = cell_fold(
            c, url_host(u->expanded.ptr != NULL ? u->expanded : u->text));
        r[4] = at;
    }
    for (uint32_t i = 0; i < p->n_media; i++) {
        r = new_row(c, E_MEDIA);
        if (r == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        r[0] = id;
        r[1] = cell_str(p->media[i].id);
        r[2] = cell_str(p->media[i].type);
        r[3] = cell_str(p->media[i].url);
        r[4] = cell_str(p->media[i].alt);
    }
    for (uint32_t i = 0; i < p->n_refs; i++) {
        if (p->refs[i].id.ptr == NULL) {
            continue;
        }
        r = new_row(c, E_REF);
        if (r == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        r[0] = id;
        r[1] = cell_static(ref_name(p->refs[i].type));
        r[2] = cell_str(p->refs[i].id);
        r[3] = cell_str(p->refs[i].author_id);
        r[4] = cell_str(p->refs[i].author_handle);
    }
    return maybe_write_rows(sink);
}

static int write_post(struct roost_sink *sink, const struct roost_post *p)
{
    struct sqlite_ctx *c = sink->ctx;

    if (p->id.ptr == NULL || p->id.len == 0) {
        return roost_diag_set(&sink->diag, ROOST_ERR(ROOST_EINVAL), 0,
                              "post without id");
    }
    /* Re-delivered copies are common (retweeted originals): one the row
     * already agrees with changes nothing. */
    struct post_slot *slot = &c->posts[cache_slot(p->id)];
    if (key_is(&slot->key, p->id) && (p->referenced || !slot->referenced)) {
        return 0;
    }
    bool deleted = is_tombstoned(sink, p->id);
    int rc = insert_post_row(sink, p, deleted);
    if (rc < 0) {
        return rc;
    }
    if (sqlite3_changes(c->db) == 0) {
        /* Stored before: only a referenced copy may learn it was posted. */
        if (!p->referenced) {
            bind_str(c->st[S_UNREF], 1, p->id);
            rc = run(sink, S_UNREF);
            if (rc == 0) {
                key_set(&slot->key, p->id);
                slot->referenced = false;
            }
        }
        return rc;
    }
    key_set(&slot->key, p->id);
    slot->referenced = p->referenced;
    c->txn_rows++;
    /* Its FTS row is added at commit (sync_fts). */
    if (p->author.id.ptr != NULL && p->author.id.len > 0) {
        rc = insert_author(sink, p);
    }
    return rc == 0 ? queue_entities(sink, p) : rc;
}

/* ---- control events
 * ----------------------------------------------------------- */

static int apply_delete(struct roost_sink *sink, struct roost_str post_id)
{
    struct sqlite_ctx *c = sink->ctx;
    sqlite3_stmt *st = c->st[S_LIVE];

    bind_str(st, 1, post_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        return 0; /* not stored (yet): the tombstone will catch it */
    }
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return fail(sink, rc, "delete lookup");
    }
    int64_t seq = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    /* A post of this transaction is not indexed yet, and never will be
     * once marked; an indexed one leaves the index at commit. */
    if (c->has_fts && seq <= c->fts_seq &&
        roost_buf_add(&c->fts_del, &seq, sizeof(seq)) < 0) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    sqlite3_bind_int64(c->st[S_MARK], 1, seq);
    return run(sink, S_MARK);
}

static int write_ctl(struct roost_sink *sink, const struct roost_ctl *x)
{
    struct sqlite_ctx *c = sink->ctx;
    sqlite3_stmt *st = c->st[S_CTL];
    struct roost_str empty = ROOST_STR_LIT("");

    sqlite3_bind_text(st, 1, roost_ctl_kind_name(x->kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, roost_platform_name(x->platform), -1,
                      SQLITE_STATIC);
    bind_str(st, 3, x->post_id.ptr != NULL ? x->post_id : empty);
    bind_str(st, 4, x->user_id.ptr != NULL ? x->user_id : empty);
    bind_str(st, 5, x->code.ptr != NULL ? x->code : empty);
    bind_str(st, 6, x->reason);
    bind_count(st, 7, x->count);
    sqlite3_bind_int64(st, 8, x->ts_ms);
    int rc = run(sink, S_CTL);
    if (rc < 0 || x->kind != ROOST_CTL_DELETE || x->post_id.len == 0) {
        return rc;
    }
    bloom_add(c, x->post_id.ptr, x->post_id.len);
    return apply_delete(sink, x->post_id);
}

/* ---- ops --------------------------------------------------------------------
 */

static int max_seq(struct roost_sink *sink, int64_t *out)
{
    struct sqlite_ctx *c = sink->ctx;
    sqlite3_stmt *st = c->st[S_MAX_SEQ];
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : fail(sink, rc, "max seq");
}

/* sync_fts - index the posts of this transaction and unindex the posts it
 * deleted; all or nothing (its own savepoint), so a failed commit can be
 * retried. */
static int sync_fts(struct roost_sink *sink)
{
    struct sqlite_ctx *c = sink->ctx;
    const int64_t *del = (const int64_t *)(void *)c->fts_del.ptr;
    size_t n_del = c->fts_del.len / sizeof(*del);

    int rc = run(sink, S_FTS_SAVE);
    for (size_t i = 0; rc == 0 && i < n_del; i++) {
        sqlite3_bind_int64(c->st[S_FTS_DEL], 1, del[i]);
        rc = run(sink, S_FTS_DEL);
    }
    if (rc == 0) {
        sqlite3_bind_int64(c->st[S_FTS_SYNC], 1, c->fts_seq);
        rc = run(sink, S_FTS_SYNC);
    }
    int64_t seq = 0;
    if (rc == 0) {
        rc = max_seq(sink, &seq);
    }
    if (rc < 0) {
        struct roost_diag keep = sink->diag;
        run(sink, S_FTS_ROLLBACK_TO);
        run(sink, S_FTS_RELEASE);
        sink->diag = keep;
        return rc;
    }
    rc = run(sink, S_FTS_RELEASE);
    if (rc == 0) {
        c->fts_seq = seq;
        roost_buf_reset(&c->fts_del);
    }
    return rc;
}

static int commit(struct roost_sink *sink)
{
    struct sqlite_ctx *c = sink->ctx;
    if (!c->in_txn) {
        return 0;
    }
    int rc = c->has_fts ? sync_fts(sink) : 0;
    if (rc == 0) {
        rc = exec(sink, "COMMIT");
    }
    if (rc == 0 && c->txn_lost) {
        rc = roost_diag_set(&sink->diag, ROOST_ERR(ROOST_EIO), 0,
                            "SQLite rolled back a transaction after an "
                            "error: writes before it were lost");
    }
    c->txn_lost = false;
    if (rc == 0) {
        c->in_txn = false;
        c->txn_rows = 0;
    } else if (sqlite3_get_autocommit(c->db)) {
        /* SQLite rolled the transaction back: what the caches say is gone. */
        c->in_txn = false;
        c->txn_rows = 0;
        forget(c);
    }
    return rc;
}

static int begin(struct roost_sink *sink)
{
    struct sqlite_ctx *c = sink->ctx;
    int rc = exec(sink, "BEGIN IMMEDIATE");
    if (rc < 0) {
        return rc;
    }
    /* The write lock is ours until COMMIT: every post past fts_seq is one
     * this transaction adds. */
    roost_buf_reset(&c->fts_del);
    rc = c->has_fts ? max_seq(sink, &c->fts_seq) : 0;
    if (rc < 0) {
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    c->in_txn = true;
    return 0;
}

static int write_inline(struct roost_sink *sink,
                        const struct roost_sink_batch *b)
{
    struct sqlite_ctx *c = sink->ctx;
    int rc = 0;

    if (c->in_txn && sqlite3_get_autocommit(c->db)) {
        /* SQLite may roll a transaction back on an I/O or memory error.
         * Start another (so FTS and the caches stay right) and fail the
         * next flush, which must not report the lost writes durable. */
        c->in_txn = false;
        c->txn_lost = true;
        forget(c);
    }
    if (!c->in_txn) {
        rc = begin(sink);
        if (rc < 0) {
            return rc;
        }
    }
    uint64_t n_rows = c->txn_rows;
    size_t n_fts_del = c->fts_del.len;
    rc = run(sink, S_SAVE);
    for (uint32_t i = 0; rc == 0 && i < b->n_ctls; i++) {
        rc = write_ctl(sink, &b->ctls[i]);
    }
    for (uint32_t i = 0; rc == 0 && i < b->n_posts; i++) {
        rc = write_post(sink, &b->posts[i]);
    }
    if (rc == 0) {
        rc = write_rows(sink);
    }
    if (rc < 0) {
        struct roost_diag keep = sink->diag;
        drop_rows(c);
        run(sink, S_ROLLBACK_TO);
        run(sink, S_RELEASE);
        sink->diag = keep;
        c->txn_rows = n_rows;
        c->fts_del.len = n_fts_del;
        forget(c);
        return rc;
    }
    rc = run(sink, S_RELEASE);
    if (rc == 0 && (int64_t)c->txn_rows >= c->txn_posts) {
        rc = commit(sink);
    }
    return rc;
}

/* ---- writer thread ----------------------------------------------------------
 */

/* The writer's sink: roost_sink_write() on it retries the inline write
 * exactly as the core retries any sink's. */
static const struct roost_sink_ops writer_ops = {
    .name = "sqlite",
    .write = write_inline,
};

static void free_item(void *item)
{
    roost_post_copy_free(item);
}

static const struct roost_queue_codec copy_codec = { .free = free_item };

static void *writer_main(void *arg)
{
    struct sqlite_ctx *c = arg;
    int err = 0; /* mirrors c->err, which only this thread sets */
    void *item = NULL;

    while (roost_queue_pop(c->q, -1, &item) == 0) {
        struct roost_post_copy *cp = item;
        int rc = err < 0 ? err : roost_sink_write(&c->wsink, &cp->batch);
        uint32_t n_posts = cp->batch.n_posts;
        roost_post_copy_free(cp);
        pthread_mutex_lock(&c->mu);
        if (rc < 0) {
            c->n_lost += n_posts; /* not stored: the replay brings them */
            /* Sticky, and never EAGAIN: retrying the next write would
             * not bring this batch back. */
            err = rc == ROOST_EAGAIN ? ROOST_ERR(ROOST_EIO) : rc;
            c->err = err;
            c->err_diag = c->wsink.diag;
        }
        c->n_done++;
        pthread_cond_broadcast(&c->idle);
        pthread_mutex_unlock(&c->mu);
    }
    return NULL;
}

/* cpus_allowed - how many CPUs this process may run on. */
static int cpus_allowed(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) != 0) {
        return 1;
    }
    return CPU_COUNT(&set);
}

static int pick_writer(struct roost_sink *sink)
{
    struct sqlite_ctx *c = sink->ctx;
    const char *w = c->writer;

    if (w == NULL || strcmp(w, "auto") == 0) {
        /* One CPU would only add copies and thread switches; and a
         * failure in the writer surfaces a batch or more late, when it can
         * no longer be dead-lettered: only safe when the records can be
         * delivered again (sink.h: replayable). */
        c->threaded = sink->replayable && cpus_allowed() > 1 &&
                      sqlite3_threadsafe() != 0;
    } else if (strcmp(w, "thread") == 0) {
        if (sqlite3_threadsafe() == 0) {
            return roost_diag_set(&sink->diag, ROOST_ERR(ROOST_EINVAL), 0,
                                  "writer=thread: SQLite was built without "
                                  "threads");
        }
        c->threaded = true;
    } else if (strcmp(w, "inline") == 0) {
        c->threaded = false;
    } else {
        return roost_diag_set(&sink->diag, ROOST_ERR(ROOST_EINVAL), 0,
                              "writer wants auto, thread or inline, not '%s'",
                              w);
    }
    return 0;
}

static int start_writer(struct roost_sink *sink)
{
    struct sqlite_ctx *c = sink->ctx;
    struct roost_queue_cfg qc = {
        .max_items = 1u << 16, /* the bound that matters is bytes */
        .max_bytes = c->queue_bytes > 0 ? c->queue_bytes : 1,
        .policy = ROOST_QUEUE_BLOCK,
        .codec = &copy_codec,
    };
    int rc = roost_queue_new(&qc, &c->q);
    if (rc < 0) {
        return rc;
    }
    /* The writer's own sink, so its diag and stats are never the ones the
     * caller's thread clears and counts in. */
    c->wsink = (struct roost_sink){ .ops = &writer_ops,
                                    .ctx = c,
                                    .max_retries = sink->max_retries,
                                    .retry_base_ms = sink->retry_base_ms,
                                    .is_open = true };
    memcpy(c->wsink.name, sink->name, sizeof(c->wsink.name));
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->idle, NULL);
    if (pthread_create(&c->thread, NULL, writer_main, c) != 0) {
        pthread_cond_destroy(&c->idle);
        pthread_mutex_destroy(&c->mu);
        roost_queue_free(c->q);
        c->q = NULL;
        return roost_diag_set(&sink->diag, ROOST_ERR(ROOST_EIO), 0,
                              "cannot start the writer thread");
    }
    c->started = true;
    return 0;
}

/* stop_writer - let the writer finish the queue, then join it. */
static void stop_writer(struct sqlite_ctx *c)
{
    if (!c->started) {
        return;
    }
    roost_queue_close(c->q);
    pthread_join(c->thread, NULL);
    roost_queue_free(c->q);
    c->q = NULL;
    pthread_cond_destroy(&c->idle);
    pthread_mutex_destroy(&c->mu);
    c->started = false;
}

/* text_missing - an entity whose NOT NULL text column would be NULL
 * (URLs: the url column is the text, else the expanded URL). */
static bool text_missing(const struct roost_entity *e, uint32_t n, bool url)
{
    for (uint32_t i = 0; i < n; i++) {
        if (e[i].text.ptr == NULL && (!url || e[i].expanded.ptr == NULL)) {
            return true;
        }
    }
    return false;
}

/* check_batch - what the inline write rejects for the batch's own content
 * (write_post, write_rows), with the same errors, so that writer=thread
 * still rejects such a batch at write() and the core dead-letters it. It
 * is stricter only for a post stored before, whose entities the inline
 * write never looks at. */
static int check_batch(struct roost_sink *sink,
                       const struct roost_sink_batch *b)
{
    for (uint32_t i = 0; i < b->n_posts; i++) {
        const struct roost_post *p = &b->posts[i];
        enum ent bad = N_ENT;
        if (p->id.ptr == NULL || p->id.len == 0) {
            return roost_diag_set(&sink->diag, ROOST_ERR(ROOST_EINVAL), 0,
                                  "post without id");
        }
        if (text_missing(p->hashtags, p->n_hashtags, false)) {
            bad = E_HASHTAG;
        } else if (text_missing(p->mentions, p->n_mentions, false)) {
            bad = E_MENTION;
        } else if (text_missing(p->cashtags, p->n_cashtags, false)) {
            bad = E_CASHTAG;
        } else if (text_missing(p->urls, p->n_urls, true)) {
            bad = E_URL;
        }
        if (bad != N_ENT) {
            return roost_diag_set(&sink->diag, ROOST_ERR(ROOST_EIO), 0,
                                  "write: NOT NULL constraint failed: %s.%s",
                                  ent_tables[bad].name,
                                  ent_tables[bad].cols[1]);
        }
    }
    return 0;
}

/* sticky - the writer's hard failure, if any, into sink->diag. */
static int sticky(struct roost_sink *sink)
{
    struct sqlite_ctx *c = sink->ctx;

    pthread_mutex_lock(&c->mu);
    int err = c->err;
    if (err < 0) {
        sink->diag = c->err_diag;
    }
    pthread_mutex_unlock(&c->mu);
    return err;
}

static int write_threaded(struct roost_sink *sink,
                          const struct roost_sink_batch *b)
{
    struct sqlite_ctx *c = sink->ctx;
    struct roost_post_copy *cp = NULL;

    int rc = sticky(sink);
    if (rc == 0) {
        rc = check_batch(sink, b);
    }
    if (rc == 0) {
        rc = roost_post_copy_new(b, &cp);
    }
    if (rc == 0) {
        rc = roost_queue_push(c->q, cp, cp->n_bytes);
    }
    if (rc == 0) {
        c->n_queued++;
    }
    struct roost_queue_stats qs;
    roost_queue_stats(c->q, &qs);
    sink->stats.n_waits = qs.n_blocked;
    return rc;
}

/* drain_writer - wait until the writer has finished every queued batch;
 * from then until the next push, the connection is the caller's. */
static int drain_writer(struct roost_sink *sink)
{
    struct sqlite_ctx *c = sink->ctx;

    pthread_mutex_lock(&c->mu);
    while (c->n_done < c->n_queued) {
        pthread_cond_wait(&c->idle, &c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    /* The writer is idle: its stats are stable. */
    sink->stats.n_retries += c->wsink.stats.n_retries - c->n_retries_seen;
    c->n_retries_seen = c->wsink.stats.n_retries;
    /* write() counted these posts as written when it queued them. */
    uint64_t lost = c->n_lost - c->n_lost_seen;
    c->n_lost_seen = c->n_lost;
    sink->stats.n_rejected += lost;
    sink->stats.n_posts -= lost < sink->stats.n_posts ? lost
                                                      : sink->stats.n_posts;
    return sticky(sink);
}

static int sqlite_write(struct roost_sink *sink,
                        const struct roost_sink_batch *b)
{
    struct sqlite_ctx *c = sink->ctx;
    return c->threaded ? write_threaded(sink, b) : write_inline(sink, b);
}

static int sqlite_flush(struct roost_sink *sink)
{
    struct sqlite_ctx *c = sink->ctx;
    int rc = c->threaded ? drain_writer(sink) : 0;
    return rc < 0 ? rc : commit(sink);
}

int roost__sink_sqlite_writer_stats(struct roost_sink *sink,
                                    struct roost__sink_sqlite_writer *out)
{
    struct sqlite_ctx *c = sink->ctx;

    memset(out, 0, sizeof(*out));
    if (sink->ops != &roost_sink_sqlite || !sink->is_open) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    out->threaded = c->threaded;
    if (!c->started) {
        return 0;
    }
    struct roost_queue_stats qs;
    roost_queue_stats(c->q, &qs);
    out->n_waits = qs.n_blocked;
    out->max_bytes = c->queue_bytes;
    out->depth_bytes = qs.depth_bytes;
    pthread_mutex_lock(&c->mu);
    out->n_done = c->n_done;
    pthread_mutex_unlock(&c->mu);
    return 0;
}

static int add_terms(struct roost_sink *sink)
{
    struct sqlite_ctx *c = sink->ctx;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        c->db, "INSERT OR IGNORE INTO tracked_terms (term) VALUES (?1)", -1,
        &st, NULL);
    if (rc != SQLITE_OK) {
        return fail(sink, rc, "terms");
    }
    const char *p = c->terms;
    while (rc == SQLITE_OK && *p != '\0') {
        const char *e = strchr(p, ',');
        size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
        while (n > 0 && p[0] == ' ') {
            p++;
            n--;
        }
        while (n > 0 && p[n - 1] == ' ') {
            n--;
        }
        if (n > 0) {
            sqlite3_bind_text(st, 1, p, (int)n, SQLITE_STATIC);
            int s = sqlite3_step(st);
            rc = s == SQLITE_DONE ? SQLITE_OK : s;
            sqlite3_reset(st);
        }
        p = e != NULL ? e + 1 : p + strlen(p);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : fail(sink, rc, "terms");
}

static int load_tombstones(struct roost_sink *sink)
{
    struct sqlite_ctx *c = sink->ctx;
    sqlite3_stmt *st = NULL;

    c->bloom = roost_calloc(BLOOM_WORDS, sizeof(*c->bloom));
    if (c->bloom == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    int rc = sqlite3_prepare_v2(c->db,
                                "SELECT post_id FROM control_events WHERE "
                                "kind = 'delete' AND post_id <> ''",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) {
        return fail(sink, rc, "tombstones");
    }
    rc = sqlite3_step(st);
    while (rc == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        if (id != NULL) {
            bloom_add(c, id, (size_t)sqlite3_column_bytes(st, 0));
        }
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(sink, rc, "tombstones");
}

static int pragmas(struct roost_sink *sink)
{
    struct sqlite_ctx *c = sink->ctx;
    char sql[320];
    const char *sync = c->synchronous;

    if (strcmp(sync, "normal") != 0 && strcmp(sync, "full") != 0 &&
        strcmp(sync, "off") != 0) {
        return roost_diag_set(&sink->diag, ROOST_ERR(ROOST_EINVAL), 0,
                              "synchronous wants normal, full or off, not "
                              "'%s'",
                              sync);
    }
    int rc = exec(sink, "PRAGMA journal_mode = WAL");
    if (rc == 0) {
        snprintf(sql, sizeof(sql),
                 "PRAGMA synchronous = %s; PRAGMA cache_size = -%zu; "
                 "PRAGMA temp_store = MEMORY; "
                 "PRAGMA wal_autocheckpoint = %d; "
                 "PRAGMA journal_size_limit = %d",
                 sync, c->cache_bytes / 1024 > 0 ? c->cache_bytes / 1024 : 1,
                 WAL_CHECKPOINT_PAGES, WAL_KEEP_BYTES);
        rc = exec(sink, sql);
    }
    return rc;
}

static int sqlite_open(struct roost_sink *sink)
{
    struct sqlite_ctx *c = sink->ctx;

    if (sink->arg == NULL) {
        return roost_diag_set(&sink->diag, ROOST_ERR(ROOST_EINVAL), 0,
                              "want a file: sqlite:PATH");
    }
    int err = pick_writer(sink);
    if (err < 0) {
        return err;
    }
    roost_buf_init(&c->json, 1u << 20);
    roost_buf_init(&c->kept, 64u << 20);
    roost_buf_init(&c->fts_del, 256u << 20);
    for (int e = 0; e < N_ENT; e++) {
        roost_buf_init(&c->rows[e], 256u << 20);
    }
    int rc = sqlite3_open_v2(
        sink->arg, &c->db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        return roost_diag_set(&sink->diag, ROOST_ERR(ROOST_EIO), 0,
                              "cannot open %s: %s", sink->arg,
                              c->db != NULL ? sqlite3_errmsg(c->db)
                                            : sqlite3_errstr(rc));
    }
    sqlite3_busy_timeout(c->db, (int)c->busy_timeout_ms);
    err = pragmas(sink);
    if (err == 0) {
        err = roost_sqlite_schema_migrate(c->db, 0, &sink->diag);
    }
    if (err < 0) {
        return err;
    }
    c->has_fts = roost_sqlite_schema_has_fts(c->db);
    if (c->fts && !c->has_fts) {
        err = roost_sqlite_schema_add_fts(c->db, &sink->diag);
        if (err < 0) {
            return err;
        }
        c->has_fts = true;
    }
    if (c->terms != NULL) {
        err = add_terms(sink);
    }
    if (err == 0) {
        err = load_tombstones(sink);
    }
    if (err < 0) {
        return err;
    }
    c->st = roost_calloc(N_STMT, sizeof(*c->st));
    c->authors = roost_calloc(CACHE_SLOTS, sizeof(*c->authors));
    c->posts = roost_calloc(CACHE_SLOTS, sizeof(*c->posts));
    if (c->st == NULL || c->authors == NULL || c->posts == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    for (int i = 0; i < N_STMT; i++) {
        if ((i == S_FTS_SYNC || i == S_FTS_DEL) && !c->has_fts) {
            continue;
        }
        rc = sqlite3_prepare_v3(c->db, stmt_sql[i], -1,
                                SQLITE_PREPARE_PERSISTENT, &c->st[i], NULL);
        if (rc != SQLITE_OK) {
            return fail(sink, rc, "prepare");
        }
    }
    return c->threaded ? start_writer(sink) : 0;
}

static void sqlite_close(struct roost_sink *sink)
{
    struct sqlite_ctx *c = sink->ctx;

    stop_writer(c);
    if (c->db != NULL) {
        commit(sink); /* past any checkpoint: harmless to keep */
    }
    for (int i = 0; c->st != NULL && i < N_STMT; i++) {
        sqlite3_finalize(c->st[i]);
    }
    roost_free(c->st);
    c->st = NULL;
    for (int e = 0; e < N_ENT; e++) {
        for (int k = 0; k < N_CHUNKS; k++) {
            sqlite3_finalize(c->multi[e][k]);
            c->multi[e][k] = NULL;
        }
    }
    roost_free(c->bloom);
    c->bloom = NULL;
    if (c->db != NULL) {
        sqlite3_close(c->db);
        c->db = NULL;
    }
    for (int e = 0; e < N_ENT; e++) {
        roost_buf_fini(&c->rows[e]);
        c->n_rows[e] = 0;
    }
    roost_free(c->authors);
    c->authors = NULL;
    roost_free(c->posts);
    c->posts = NULL;
    roost_buf_fini(&c->kept);
    roost_buf_fini(&c->fts_del);
    roost_buf_fini(&c->json);
    c->in_txn = false;
}

const struct roost_sink_ops roost_sink_sqlite = {
    .name = "sqlite",
    .summary = "the embedded store: one SQLite file, FTS5, views",
    .options = sqlite_opts,
    .ctx_size = sizeof(struct sqlite_ctx),
    .open = sqlite_open,
    .write = sqlite_write,
    .flush = sqlite_flush,
    .close = sqlite_close,
};
