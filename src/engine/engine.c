/* SPDX-License-Identifier: MIT
 *
 * engine.c - named continuous queries on top of the collect pipeline.
 *
 * The contract with the pipeline is in engine.h. Two invariants carry
 * exactly-once:
 *
 *   1. A query checkpoint for E records is written only after the
 *      pipeline's own checkpoint for E records is durable (commit is
 *      called after it), so E <= N, the pipeline's count, at any crash.
 *   2. At recovery each query loads its state for E records and is fed
 *      archived records [E, N) here, normalized exactly as the pipeline
 *      does; the pipeline then feeds [N, ...) to all queries.
 *
 * A query's JSONL result file is cut back to its length at E, and since
 * a checkpoint always follows a trigger, the rows after it are emitted
 * again exactly once by the replay. A store output works the same way
 * with its emission count in place of the length: emissions past the
 * checkpointed count are deleted and written again by the replay.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/map.h"
#include "core/mem.h"
#include "engine/checkpoint.h"
#include "engine/engine.h"
#include "parse/json.h"
#include "store/archive.h"
#include "store/sqlite_results.h"

struct query {
    struct roost_exec *x;
    char *name;
    uint8_t format;
    int fd;                 /* -1: stdout through stdio */
    char *out_path;         /* NULL: stdout */
    size_t rows;
    int64_t trigger_ms;
    bool quiet_empty;
    int64_t next_trigger;   /* monotonic ms */
    uint64_t out_bytes;     /* result file length; STORE: emissions */
    struct roost_sqlite_results *store; /* STORE output, else NULL */
    uint64_t store_hash;    /* of the last emission written */
    uint64_t sql_hash;
    uint64_t records;       /* archived records in the state */
    char ckpt_path[4096];
};

struct roost_engine {
    struct roost_engine_cfg cfg;
    struct query qs[ROOST_ENGINE_MAX_QUERIES];
    size_t n_qs;
    struct roost_results *results;
    struct roost_rowset rs;
    struct roost_buf out;
    int64_t last_ckpt;      /* monotonic ms */
    struct roost_engine_stats st;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int roost_engine_new(const struct roost_engine_cfg *cfg,
                     struct roost_engine **out, struct roost_diag *diag)
{
    struct roost_engine *e = roost_calloc(1, sizeof(*e));
    if (e == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    e->cfg = *cfg;
    if (e->cfg.trigger_ms <= 0) {
        e->cfg.trigger_ms = ROOST_ENGINE_DEFAULT_TRIGGER_MS;
    }
    if (e->cfg.ckpt_interval_ms == 0) {
        e->cfg.ckpt_interval_ms = ROOST_ENGINE_DEFAULT_CKPT_MS;
    }
    if (e->cfg.max_record_bytes == 0) {
        e->cfg.max_record_bytes = 1u << 20;
    }
    roost_rowset_init(&e->rs);
    roost_buf_init(&e->out, (size_t)1 << 30);
    int rc = roost_results_new(&e->results);
    if (rc < 0) {
        roost_engine_free(e);
        return rc;
    }
    if (cfg->ckpt_dir != NULL && mkdir(cfg->ckpt_dir, 0755) != 0 &&
        errno != EEXIST) {
        rc = roost_diag_set(diag, ROOST_ERR(ROOST_EIO), 0,
                            "cannot create %s: %s", cfg->ckpt_dir,
                            strerror(errno));
        roost_engine_free(e);
        return rc;
    }
    e->last_ckpt = mono_ms();
    *out = e;
    return 0;
}

void roost_engine_free(struct roost_engine *e)
{
    if (e == NULL) {
        return;
    }
    for (size_t i = 0; i < e->n_qs; i++) {
        struct query *q = &e->qs[i];
        roost_exec_free(q->x);
        if (q->fd >= 0) {
            close(q->fd);
        }
        roost_sqlite_results_close(q->store);
        roost_free(q->out_path);
        roost_free(q->name);
    }
    roost_results_free(e->results);
    roost_rowset_fini(&e->rs);
    roost_buf_fini(&e->out);
    roost_free(e);
}

int roost_engine_add_query(struct roost_engine *e,
                           const struct roost_engine_query_cfg *qc,
                           struct roost_diag *diag)
{
    const char *name = qc->exec.name ? qc->exec.name : "query";
    if (e->n_qs >= ROOST_ENGINE_MAX_QUERIES) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_ELIMIT), 0,
                              "at most %d queries", ROOST_ENGINE_MAX_QUERIES);
    }
    for (size_t i = 0; i < e->n_qs; i++) {
        if (strcmp(e->qs[i].name, name) == 0) {
            return roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                                  "two queries are named '%s'", name);
        }
    }
    struct query *q = &e->qs[e->n_qs];
    memset(q, 0, sizeof(*q));
    q->fd = -1;
    int rc = 0;
    if (e->cfg.ckpt_dir != NULL) {
        rc = roost_checkpoint_path(e->cfg.ckpt_dir, name, q->ckpt_path,
                                   sizeof(q->ckpt_path));
        if (rc < 0) {
            return roost_diag_set(diag, rc, 0,
                                  "query name '%s': use letters, digits, "
                                  "'_', '-' and '.'", name);
        }
    }
    rc = roost_exec_new(&qc->exec, &q->x, diag);
    if (rc < 0) {
        return rc;
    }
    q->name = roost_strndup(name, strlen(name));
    if (q->name == NULL) {
        rc = ROOST_ERR(ROOST_ENOMEM);
        goto out_free;
    }
    const char *sql = qc->exec.sql ? qc->exec.sql : "";
    q->sql_hash = roost_hash(sql, strlen(sql));
    q->format = qc->format;
    q->rows = qc->rows;
    q->quiet_empty = qc->quiet_empty;
    q->trigger_ms = qc->trigger_ms > 0            ? qc->trigger_ms
                    : roost_exec_trigger_ms(q->x) ? roost_exec_trigger_ms(q->x)
                                                  : e->cfg.trigger_ms;
    q->next_trigger = mono_ms() + q->trigger_ms;
    if (q->format == ROOST_QOUT_STORE) {
        if (qc->out_path == NULL || strcmp(qc->out_path, "-") == 0) {
            rc = roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                                "output to the store needs its path");
            goto out_free;
        }
        rc = roost_sqlite_results_open(qc->out_path, &q->store, diag);
        if (rc == 0 && e->cfg.ckpt_dir == NULL) {
            /* Without checkpoints a run starts afresh, as files do. */
            rc = roost_sqlite_results_cut(q->store, q->name, 0);
        }
        if (rc < 0) {
            goto out_free;
        }
    } else if (qc->out_path != NULL && strcmp(qc->out_path, "-") != 0 &&
               q->format != ROOST_QOUT_NONE) {
        /* With checkpoints the checkpoint owns the file's length. */
        int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
                    (e->cfg.ckpt_dir == NULL ? O_TRUNC : 0);
        q->fd = open(qc->out_path, flags, 0644);
        q->out_path = roost_strndup(qc->out_path, strlen(qc->out_path));
        if (q->fd < 0 || q->out_path == NULL) {
            rc = roost_diag_set(diag, ROOST_ERR(ROOST_EIO), 0,
                                "cannot open %s: %s", qc->out_path,
                                strerror(errno));
            goto out_free;
        }
    }
    e->n_qs++;
    return 0;

out_free:
    if (q->fd >= 0) {
        close(q->fd);
    }
    roost_sqlite_results_close(q->store);
    roost_free(q->out_path);
    roost_free(q->name);
    roost_exec_free(q->x);
    memset(q, 0, sizeof(*q));
    return rc;
}

/* ---- triggers and outputs ------------------------------------------------------ */

static int write_out(struct query *q, const struct roost_buf *b)
{
    if (b->len == 0) {
        return 0;
    }
    if (q->fd < 0) {
        if (fwrite(b->ptr, 1, b->len, stdout) != b->len ||
            fflush(stdout) != 0) {
            return ROOST_ERR(ROOST_EIO);
        }
        return 0;
    }
    size_t off = 0;
    while (off < b->len) {
        ssize_t w = write(q->fd, b->ptr + off, b->len - off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w < 0) {
            return ROOST_ERR(ROOST_EIO);
        }
        off += (size_t)w;
    }
    q->out_bytes += b->len;
    return 0;
}

/* One emission: the whole result table (e->rs), so the store's
 * latest_query_results equals the in-memory result table. A table equal
 * to the last one this run wrote, or an empty one, is not written. */
static int write_store(struct roost_engine *e, struct query *q)
{
    roost_buf_reset(&e->out);
    int rc = roost_rowset_write_jsonl(&e->rs, NULL, &e->out);
    if (rc < 0 || e->out.len == 0) {
        return rc;
    }
    uint64_t h = roost_hash(e->out.ptr, e->out.len);
    if (h == q->store_hash) {
        return 0;
    }
    rc = roost_sqlite_results_write(q->store, q->name, q->out_bytes + 1,
                                    wall_ms(), e->out.ptr, e->out.len);
    if (rc == 0) {
        q->out_bytes++;
        q->store_hash = h;
    }
    return rc;
}

static int trigger(struct roost_engine *e, struct query *q, int64_t now)
{
    q->next_trigger = now + q->trigger_ms;
    e->st.n_triggers++;
    int rc = roost_exec_trigger(q->x, &e->rs);
    if (rc < 0) {
        return rc;
    }
    roost_buf_reset(&e->out);
    if (q->format == ROOST_QOUT_TABLE &&
        (e->rs.n_rows > 0 || !q->quiet_empty)) {
        rc = roost_rowset_write_block(&e->rs, wall_ms(), q->rows, &e->out);
    } else if (q->format == ROOST_QOUT_JSONL) {
        rc = roost_rowset_write_jsonl(&e->rs, NULL, &e->out);
    }
    if (rc == 0) {
        rc = write_out(q, &e->out);
    }
    if (rc == 0) {
        rc = roost_exec_view(q->x, &e->rs);
    }
    if (rc == 0 && q->store != NULL) {
        rc = write_store(e, q);
    }
    if (rc == 0) {
        rc = roost_results_publish(e->results, q->name, &e->rs, wall_ms());
    }
    return rc;
}

static int due_triggers(struct roost_engine *e, bool force)
{
    int64_t now = mono_ms();
    for (size_t i = 0; i < e->n_qs; i++) {
        if (force || now >= e->qs[i].next_trigger) {
            int rc = trigger(e, &e->qs[i], now);
            if (rc < 0) {
                return rc;
            }
        }
    }
    return 0;
}

/* ---- checkpoints ---------------------------------------------------------------- */

static int checkpoint(struct roost_engine *e, uint64_t n_done)
{
    if (e->cfg.ckpt_dir == NULL) {
        return 0;
    }
    /* A trigger first: what the state consumed is in the result file. */
    int rc = due_triggers(e, true);
    struct roost_checkpoint c;
    roost_checkpoint_init(&c);
    struct roost_diag diag;
    memset(&diag, 0, sizeof(diag));
    for (size_t i = 0; rc == 0 && i < e->n_qs; i++) {
        struct query *q = &e->qs[i];
        if (q->fd >= 0 && fsync(q->fd) != 0) {
            rc = ROOST_ERR(ROOST_EIO);
            break;
        }
        roost_buf_reset(&c.state);
        c.records = n_done;
        c.sql_hash = q->sql_hash;
        c.out_bytes = q->out_bytes;
        rc = roost_exec_save(q->x, &c.state);
        if (rc == 0) {
            rc = roost_checkpoint_write(q->ckpt_path, &c, &diag);
        }
        q->records = n_done;
    }
    roost_checkpoint_fini(&c);
    e->last_ckpt = mono_ms();
    e->st.n_checkpoints++;
    return rc;
}

int roost_engine_push_posts(struct roost_engine *e,
                            const struct roost_post *posts, uint32_t n)
{
    int64_t now = wall_ms();
    for (uint32_t i = 0; i < n; i++) {
        e->st.n_posts++;
        for (size_t k = 0; k < e->n_qs; k++) {
            int rc = roost_exec_push(e->qs[k].x, &posts[i], now);
            if (rc < 0) {
                return rc;
            }
        }
    }
    return 0;
}

int roost_engine_commit(struct roost_engine *e, uint64_t n_done)
{
    if (e->cfg.ckpt_dir != NULL &&
        (e->cfg.ckpt_interval_ms < 0 ||
         mono_ms() - e->last_ckpt >= e->cfg.ckpt_interval_ms)) {
        return checkpoint(e, n_done);
    }
    return due_triggers(e, false);
}

int roost_engine_tick(struct roost_engine *e)
{
    int64_t now = wall_ms();
    for (size_t k = 0; k < e->n_qs; k++) {
        int rc = roost_exec_tick(e->qs[k].x, now);
        if (rc < 0) {
            return rc;
        }
    }
    return due_triggers(e, false);
}

int roost_engine_finish(struct roost_engine *e, uint64_t n_done)
{
    for (size_t k = 0; k < e->n_qs; k++) {
        int rc = roost_exec_finish(e->qs[k].x);
        if (rc < 0) {
            return rc;
        }
    }
    if (e->cfg.ckpt_dir != NULL) {
        return checkpoint(e, n_done);
    }
    return due_triggers(e, true);
}

/* ---- recovery -------------------------------------------------------------------- */

static int cut_out(struct query *q, uint64_t len)
{
    q->out_bytes = len;
    if (q->store != NULL) {
        return roost_sqlite_results_cut(q->store, q->name, len);
    }
    if (q->fd < 0) {
        return 0;
    }
    struct stat st;
    if (fstat(q->fd, &st) != 0) {
        return ROOST_ERR(ROOST_EIO);
    }
    if ((uint64_t)st.st_size > len && ftruncate(q->fd, (off_t)len) != 0) {
        return ROOST_ERR(ROOST_EIO);
    }
    if ((uint64_t)st.st_size < len) {
        q->out_bytes = (uint64_t)st.st_size; /* shorter: keep what is */
    }
    return 0;
}

static int load_query(struct query *q, uint64_t n_done,
                      struct roost_checkpoint *c, struct roost_diag *diag)
{
    q->records = 0;
    int rc = roost_checkpoint_read(q->ckpt_path, c, diag);
    if (rc == ROOST_ENOENT) {
        return cut_out(q, 0);
    }
    if (rc < 0) {
        return rc;
    }
    if (c->sql_hash != q->sql_hash || c->records > n_done) {
        /* A changed query, or one ahead of the pipeline (its checkpoint
         * was removed): rebuild it from the whole archive. */
        return cut_out(q, 0);
    }
    rc = roost_exec_load(q->x, c->state.ptr ? c->state.ptr : "",
                         c->state.len);
    if (rc < 0) {
        return roost_diag_set(diag, rc, 0, "%s: unusable query state",
                              q->ckpt_path);
    }
    q->records = c->records;
    return cut_out(q, c->out_bytes);
}

static int replay_record(struct roost_engine *e, struct roost_json_doc *doc,
                         struct roost_norm *norm, const char *raw,
                         size_t len, uint64_t idx)
{
    struct roost_diag diag;
    memset(&diag, 0, sizeof(diag));
    roost_norm_reset(norm);
    int rc;
    if (e->cfg.format == ROOST_FMT_TEXT ||
        (e->cfg.format == ROOST_FMT_AUTO && roost_is_text_record(raw, len))) {
        rc = roost_norm_text_line(norm, raw, len, 0);
    } else {
        rc = len > e->cfg.max_record_bytes ? ROOST_ELIMIT
                                           : roost_json_parse(doc, raw, len,
                                                              &diag);
        if (rc == 0) {
            rc = roost_norm_record(norm, doc, raw, len, e->cfg.format,
                                   &diag);
        }
    }
    if (rc < 0) {
        e->st.n_dead++;
        return 0; /* a dead letter of the pipeline: no posts */
    }
    int64_t now = wall_ms();
    for (uint32_t i = 0; i < norm->n_posts; i++) {
        for (size_t k = 0; k < e->n_qs; k++) {
            if (idx < e->qs[k].records) {
                continue;
            }
            rc = roost_exec_push(e->qs[k].x, &norm->posts[i], now);
            if (rc < 0) {
                return rc;
            }
        }
    }
    return 0;
}

int roost_engine_recover(struct roost_engine *e, const char *archive_dir,
                         uint64_t n_done, struct roost_diag *diag)
{
    if (e->cfg.ckpt_dir == NULL) {
        return 0;
    }
    struct roost_checkpoint c;
    roost_checkpoint_init(&c);
    uint64_t from = n_done;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < e->n_qs; i++) {
        rc = load_query(&e->qs[i], n_done, &c, diag);
        if (e->qs[i].records < from) {
            from = e->qs[i].records;
        }
    }
    roost_checkpoint_fini(&c);
    if (rc < 0 || from >= n_done || archive_dir == NULL) {
        return rc;
    }
    struct roost_archive_reader *r = NULL;
    rc = roost_archive_reader_open(archive_dir, INT64_MIN, INT64_MAX, NULL,
                                   &r, diag);
    if (rc == ROOST_ENOENT) {
        return 0;
    }
    if (rc < 0) {
        return rc;
    }
    struct roost_json_doc doc;
    struct roost_norm norm;
    roost_json_doc_init(&doc, ROOST_JSON_DEFAULT_DEPTH,
                        e->cfg.max_record_bytes);
    roost_norm_init(&norm);
    struct roost_archive_rec rec;
    uint64_t idx = 0;
    while (idx < n_done && (rc = roost_archive_reader_next(r, &rec)) == 0) {
        if (idx >= from) {
            rc = replay_record(e, &doc, &norm, rec.bytes, rec.len, idx);
            if (rc < 0) {
                break;
            }
            e->st.n_replayed++;
        }
        idx++;
    }
    roost_norm_fini(&norm);
    roost_json_doc_fini(&doc);
    roost_archive_reader_close(r);
    if (rc == ROOST_ENOENT) {
        rc = 0;
    }
    if (rc < 0) {
        return roost_diag_set(diag, rc, 0, "query replay failed: %s",
                              roost_strerror(rc));
    }
    for (size_t i = 0; i < e->n_qs; i++) {
        e->qs[i].records = n_done;
    }
    return 0;
}

/* ---- the pipeline hook ---------------------------------------------------------- */

static int hook_recover(void *arg, const char *archive_dir, uint64_t n_done,
                        struct roost_diag *diag)
{
    return roost_engine_recover(arg, archive_dir, n_done, diag);
}

static int hook_posts(void *arg, const struct roost_post *posts, uint32_t n)
{
    return roost_engine_push_posts(arg, posts, n);
}

static int hook_commit(void *arg, uint64_t n_done)
{
    return roost_engine_commit(arg, n_done);
}

static int hook_tick(void *arg)
{
    return roost_engine_tick(arg);
}

static int hook_finish(void *arg, uint64_t n_done)
{
    return roost_engine_finish(arg, n_done);
}

void roost_engine_hook(struct roost_engine *e,
                       struct roost_pipeline_hook *out)
{
    *out = (struct roost_pipeline_hook){
        .recover = hook_recover,
        .posts = hook_posts,
        .commit = hook_commit,
        .tick = hook_tick,
        .finish = hook_finish,
        .arg = e,
    };
}

/* ---- accessors -------------------------------------------------------------------- */

struct roost_results *roost_engine_results(struct roost_engine *e)
{
    return e->results;
}

int roost_engine_view(struct roost_engine *e, const char *name,
                      struct roost_rowset *out)
{
    for (size_t i = 0; i < e->n_qs; i++) {
        if (strcmp(e->qs[i].name, name) == 0) {
            return roost_exec_view(e->qs[i].x, out);
        }
    }
    return ROOST_ENOENT;
}

void roost_engine_stats(const struct roost_engine *e,
                        struct roost_engine_stats *out)
{
    *out = e->st;
}

int roost_engine_query_stats(const struct roost_engine *e, size_t i,
                             const char **name, struct roost_exec_stats *out)
{
    if (i >= e->n_qs) {
        return ROOST_ENOENT;
    }
    *name = e->qs[i].name;
    roost_exec_stats(e->qs[i].x, out);
    return 0;
}
