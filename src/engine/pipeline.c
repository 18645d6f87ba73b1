/* SPDX-License-Identifier: MIT
 *
 * pipeline.c - sources -> queue -> archive -> normalize -> outputs.
 *
 * The story of one batch is in pipeline.h. The subtle part is recovery.
 * The checkpoint (<archive>/pipeline.ckpt, replaced atomically by rename)
 * says: the first N archived records are fully processed, and the output
 * and dead-letter files were then L1 and L2 bytes long. Anything after
 * that in the outputs is cut away at start, and the archived records from
 * N on are processed again from the archive, in archive order. Since the
 * archive flush happens before any output is written, every record is
 * either (a) not archived: its source will send it again, because it
 * resumes after its last archived position, or (b) archived: processed
 * exactly once, live or at recovery.
 *
 * Threads: the archive stage (archiver_main) owns the archive while the
 * pipeline runs; the processing thread owns everything else. They share
 * only the two queues and two atomics (archiver_rc, n_archived).
 *
 * Sinks: with sinks, the normalizer is reset per batch rather than per
 * record, so a whole batch's posts go to each sink in one write (drain()).
 * Their strings are views into the batch's bytes, which live until the
 * batch is done; records read from the archive (recovery, replay) are
 * copied into the `keep` arena first, since the reader reuses its
 * buffer. drain() also runs when the normalizer holds DRAIN_POSTS posts
 * or DRAIN_BYTES of arena, which bounds memory during a long recovery.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/batch.h"
#include "core/buf.h"
#include "core/mem.h"
#include "engine/pipeline.h"
#include "store/archive.h"
#include "store/deadletter.h"

#define MAX_SOURCES    64
#define MAX_SINKS      16
#define DRAIN_POSTS    8192
#define DRAIN_BYTES    (64u << 20)
#define KEEP_MAX_BYTES (256u << 20)
#define OUT_MAX_BYTES  (256u << 20)

struct roost_pipeline {
    struct roost_pipeline_cfg cfg;
    uint64_t n_pending;     /* processed since the last commit */
    int64_t last_commit_ms; /* monotonic */
    pthread_mutex_t snap_mu;           /* guards snap */
    struct roost_pipeline_stats snap;  /* for other threads (dashboard) */
    struct roost_source *srcs[MAX_SOURCES];
    uint32_t n_srcs;
    struct roost_queue *queue;
    struct roost_archive *archive;
    /* The archive stage: with an archive, a thread of its own appends and
     * flushes each batch, then hands it on through `archived`, so the
     * archiving (zstd, write, fsync) of one batch overlaps the processing
     * of the one before; a batch is still processed only once archived. */
    struct roost_queue *archived; /* NULL: no archive stage */
    pthread_t archiver;
    bool archiver_running;
    atomic_int archiver_rc;          /* first archive failure, or 0 */
    atomic_uint_fast64_t n_archived; /* written by the archive stage */
    struct roost_deadletter dl;
    int out_fd;         /* -1: no output */
    bool out_is_stdout;
    struct roost_buf out;
    struct roost_json_doc doc;
    struct roost_norm norm;
    struct roost_sink *sinks[MAX_SINKS];
    uint32_t n_sinks;
    struct roost_arena keep;  /* archived records the norm points into */
    struct roost_buf dl_json; /* a rejected post as JSON */
    uint32_t n_out_posts;     /* norm posts already written to --out */
    uint32_t n_out_ctls;
    struct roost_pipeline_stats st;
    uint64_t n_done;    /* archived records fully processed */
    uint64_t out_bytes; /* output file length at n_done */
    atomic_int stop;
    char ckpt_path[4096];
    int64_t last_progress_ms;
};

static void archiver_join(struct roost_pipeline *p, bool abort);

/* Batches cross both queues (and the source queue's spill) this way. */
static const struct roost_queue_codec batch_codec = {
    .encode = roost_batch_encode,
    .decode = roost_batch_decode,
    .free = roost_batch_free_item,
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- checkpoint ---------------------------------------------------------- */

struct ckpt {
    uint64_t n_done;
    uint64_t out_bytes;
    uint64_t dl_bytes;
};

static int ckpt_read(const char *path, struct ckpt *c)
{
    memset(c, 0, sizeof(*c));
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return errno == ENOENT ? 0 : ROOST_ERR(ROOST_EIO);
    }
    unsigned long long a = 0, b = 0, d = 0;
    int n = fscanf(f, "roost-checkpoint 1 records %llu out %llu dead %llu",
                   &a, &b, &d);
    fclose(f);
    if (n != 3) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    c->n_done = a;
    c->out_bytes = b;
    c->dl_bytes = d;
    return 0;
}

static int ckpt_write(const char *path, const struct ckpt *c)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return ROOST_ERR(ROOST_EIO);
    }
    char line[160];
    int n = snprintf(line, sizeof(line),
                     "roost-checkpoint 1 records %llu out %llu dead %llu\n",
                     (unsigned long long)c->n_done,
                     (unsigned long long)c->out_bytes,
                     (unsigned long long)c->dl_bytes);
    bool ok = write(fd, line, (size_t)n) == n && fsync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, path) != 0) {
        return ROOST_ERR(ROOST_EIO);
    }
    return 0;
}

/* ---- one record ------------------------------------------------------------- */

static const char *framing_reason(int err)
{
    switch (err) {
    case ROOST_ELIMIT:
        return "record longer than the maximum record size";
    case ROOST_EPARSE:
        return "broken or truncated record";
    case ROOST_EUTF8:
        return "invalid utf-8";
    default:
        return roost_strerror(err);
    }
}

static int dead(struct roost_pipeline *p, const char *source, uint64_t line,
                struct roost_str pos, int err, const char *reason,
                const char *raw, size_t len)
{
    struct roost_dl_rec d = {
        .source = source,
        .line = line,
        .position = pos,
        .err = err,
        .reason = reason,
        .raw = raw,
        .raw_len = len,
    };
    p->st.n_dead++;
    switch (err) {
    case ROOST_EPARSE:
        p->st.n_dead_parse++;
        break;
    case ROOST_EUTF8:
        p->st.n_dead_utf8++;
        break;
    case ROOST_ELIMIT:
        p->st.n_dead_limit++;
        break;
    default:
        p->st.n_dead_other++;
        break;
    }
    return roost_deadletter_write(&p->dl, &d);
}

/* reject - dead-letter the posts of a batch sink s refused. */
static int reject(struct roost_pipeline *p, struct roost_sink *s, int err)
{
    char reason[sizeof(s->diag.msg) + 96];
    snprintf(reason, sizeof(reason), "sink %s rejected: %s", s->name,
             s->diag.msg[0] != '\0' ? s->diag.msg : roost_strerror(err));
    for (uint32_t i = 0; i < p->norm.n_posts; i++) {
        roost_buf_reset(&p->dl_json);
        int rc = roost_post_write_json(&p->norm.posts[i], &p->dl_json);
        if (rc < 0) {
            return rc;
        }
        p->st.n_dead_sink++;
        rc = dead(p, s->name, 0, ROOST_STR_NULL, err, reason, p->dl_json.ptr,
                  p->dl_json.len);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

/* drain - hand the normalized posts and control events to every sink,
 * then forget them. */
static int drain(struct roost_pipeline *p)
{
    struct roost_sink_batch sb = {
        .posts = p->norm.posts,
        .n_posts = p->norm.n_posts,
        .ctls = p->norm.ctls,
        .n_ctls = p->norm.n_ctls,
    };
    int rc = 0;
    for (uint32_t i = 0;
         rc == 0 && i < p->n_sinks && (sb.n_posts > 0 || sb.n_ctls > 0); i++) {
        int wrc = roost_sink_write(p->sinks[i], &sb);
        if (wrc == 0) {
            p->st.n_sink_writes++;
        } else {
            rc = reject(p, p->sinks[i], wrc);
        }
    }
    roost_norm_reset(&p->norm);
    roost_arena_reset(&p->keep);
    p->n_out_posts = 0;
    p->n_out_ctls = 0;
    return rc;
}

/* keep_bytes - a copy of an archived record that lives until drain(). */
static int keep_bytes(struct roost_pipeline *p, const char **raw, size_t len)
{
    if (p->n_sinks == 0) {
        return 0;
    }
    if (p->keep.used_bytes + len > KEEP_MAX_BYTES / 2) {
        int rc = drain(p);
        if (rc < 0) {
            return rc;
        }
    }
    char *copy = roost_arena_dup(&p->keep, *raw, len);
    if (copy == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    *raw = copy;
    return 0;
}

static int process(struct roost_pipeline *p, const char *source,
                   uint64_t line, struct roost_str pos, int err,
                   const char *raw, size_t len)
{
    p->st.n_records++;
    p->st.n_bytes += len;
    if (err != 0) {
        return dead(p, source, line, pos, err, framing_reason(err), raw, len);
    }
    struct roost_diag diag;
    memset(&diag, 0, sizeof(diag));
    int rc;
    if (p->n_sinks == 0) {
        roost_norm_reset(&p->norm);
        p->n_out_posts = 0;
        p->n_out_ctls = 0;
    } else if (p->norm.n_posts >= DRAIN_POSTS ||
               p->norm.arena.used_bytes >= DRAIN_BYTES) {
        rc = drain(p);
        if (rc < 0) {
            return rc;
        }
    }
    if (p->cfg.format == ROOST_FMT_TEXT ||
        (p->cfg.format == ROOST_FMT_AUTO && roost_is_text_record(raw, len))) {
        rc = roost_norm_text_line(&p->norm, raw, len, line);
    } else {
        rc = roost_json_parse(&p->doc, raw, len, &diag);
        if (rc == 0) {
            rc = roost_norm_record(&p->norm, &p->doc, raw, len,
                                   p->cfg.format, &diag);
        }
    }
    if (rc < 0) {
        if (diag.msg[0] == '\0') {
            roost_diag_set(&diag, rc, 0, "%s", roost_strerror(rc));
        }
        return dead(p, source, line, pos, rc, diag.msg, raw, len);
    }
    uint32_t first_post = p->n_out_posts, first_ctl = p->n_out_ctls;
    p->n_out_posts = p->norm.n_posts;
    p->n_out_ctls = p->norm.n_ctls;
    p->st.n_posts += p->norm.n_posts - first_post;
    p->st.n_ctls += p->norm.n_ctls - first_ctl;
    if (p->cfg.hook != NULL && p->norm.n_posts > first_post) {
        rc = p->cfg.hook->posts(p->cfg.hook->arg, p->norm.posts + first_post,
                                p->norm.n_posts - first_post);
        if (rc < 0) {
            return rc;
        }
    }
    if (p->out_fd < 0) {
        return 0;
    }
    for (uint32_t i = first_post; i < p->norm.n_posts; i++) {
        rc = roost_post_write_json(&p->norm.posts[i], &p->out);
        if (rc == 0) {
            rc = roost_buf_addc(&p->out, '\n');
        }
        if (rc < 0) {
            return rc;
        }
    }
    for (uint32_t i = first_ctl; p->cfg.out_control && i < p->norm.n_ctls;
         i++) {
        rc = roost_ctl_write_json(&p->norm.ctls[i], &p->out);
        if (rc == 0) {
            rc = roost_buf_addc(&p->out, '\n');
        }
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

static int hook_commit(struct roost_pipeline *p, uint64_t n_done)
{
    if (p->cfg.hook == NULL) {
        return 0;
    }
    return p->cfg.hook->commit(p->cfg.hook->arg, n_done);
}

/* Hand pending posts to the sinks, write the output buffer, make outputs
 * and sinks durable, advance the checkpoint. */
static int commit(struct roost_pipeline *p, uint64_t n_done)
{
    int rc = drain(p);
    if (rc < 0) {
        return rc;
    }
    size_t off = 0;
    while (off < p->out.len) {
        ssize_t w = write(p->out_fd, p->out.ptr + off, p->out.len - off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w < 0) {
            return ROOST_ERR(ROOST_EIO);
        }
        off += (size_t)w;
    }
    p->out_bytes += p->out.len;
    roost_buf_reset(&p->out);
    for (uint32_t i = 0; i < p->n_sinks; i++) {
        rc = roost_sink_flush(p->sinks[i]);
        if (rc < 0) {
            return rc;
        }
    }
    p->n_done = n_done;
    if (p->archive == NULL) {
        return hook_commit(p, n_done);
    }
    struct ckpt c = { .n_done = n_done, .out_bytes = p->out_bytes };
    if (p->out_fd >= 0 && !p->out_is_stdout && fsync(p->out_fd) != 0) {
        return ROOST_ERR(ROOST_EIO);
    }
    rc = roost_deadletter_sync(&p->dl, &c.dl_bytes);
    if (rc < 0) {
        return rc;
    }
    rc = ckpt_write(p->ckpt_path, &c);
    /* The hook checkpoints only after ours is durable (engine.h). */
    return rc < 0 ? rc : hook_commit(p, n_done);
}

/* ---- recovery ------------------------------------------------------------------ */

static int cut_file(const char *path, uint64_t len)
{
    struct stat st;
    if (path == NULL || strcmp(path, "-") == 0 || stat(path, &st) != 0) {
        return 0;
    }
    if ((uint64_t)st.st_size > len && truncate(path, (off_t)len) != 0) {
        return ROOST_ERR(ROOST_EIO);
    }
    return 0;
}

static int recover(struct roost_pipeline *p, struct roost_diag *diag)
{
    struct ckpt c;
    int rc = ckpt_read(p->ckpt_path, &c);
    if (rc < 0) {
        return roost_diag_set(diag, rc, 0, "unreadable checkpoint %s",
                              p->ckpt_path);
    }
    rc = cut_file(p->cfg.out_path, c.out_bytes);
    if (rc == 0) {
        rc = cut_file(p->cfg.dead_letter_path, c.dl_bytes);
    }
    if (rc < 0) {
        return roost_diag_set(diag, rc, 0, "cannot cut outputs back to the "
                                           "checkpoint");
    }
    p->n_done = c.n_done;
    p->out_bytes = c.out_bytes;
    if (p->cfg.hook != NULL) {
        rc = p->cfg.hook->recover(p->cfg.hook->arg, p->cfg.archive_dir,
                                  c.n_done, diag);
        if (rc < 0) {
            return rc;
        }
    }
    struct roost_archive_reader *r = NULL;
    rc = roost_archive_reader_open(p->cfg.archive_dir, INT64_MIN, INT64_MAX,
                                   NULL, &r, diag);
    if (rc == ROOST_ENOENT) {
        return 0;
    }
    if (rc < 0) {
        return rc;
    }
    uint64_t i = 0;
    struct roost_archive_rec rec;
    while ((rc = roost_archive_reader_next(r, &rec)) == 0) {
        if (i++ < c.n_done) {
            continue;
        }
        /* Records flagged bad at receive time were archived as received;
         * they are re-judged here exactly as live ones are. */
        const char *raw = rec.bytes;
        rc = keep_bytes(p, &raw, rec.len);
        if (rc < 0) {
            break;
        }
        rc = process(p, rec.source, 0, roost_str_cstr(rec.position), 0, raw,
                     rec.len);
        if (rc < 0) {
            break;
        }
        p->st.n_recovered++;
    }
    roost_archive_reader_close(r);
    if (rc != ROOST_ENOENT && rc < 0) {
        return roost_diag_set(diag, rc, 0, "archive replay failed: %s",
                              roost_strerror(rc));
    }
    if (i < c.n_done) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EIO), 0,
                              "the checkpoint counts %llu records but the "
                              "archive holds %llu",
                              (unsigned long long)c.n_done,
                              (unsigned long long)i);
    }
    return commit(p, i);
}

/* ---- lifecycle ------------------------------------------------------------------ */

int roost_pipeline_new(const struct roost_pipeline_cfg *cfg,
                       struct roost_pipeline **out, struct roost_diag *diag)
{
    struct roost_pipeline *p = roost_calloc(1, sizeof(*p));
    if (p == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    pthread_mutex_init(&p->snap_mu, NULL);
    p->cfg = *cfg;
    if (p->cfg.max_record_bytes == 0) {
        p->cfg.max_record_bytes = 1u << 20;
    }
    if (p->cfg.queue_bytes == 0) {
        p->cfg.queue_bytes = 64u << 20;
    }
    if (p->cfg.batch_bytes == 0) {
        p->cfg.batch_bytes = 1u << 20;
    }
    if (p->cfg.batch_bytes < p->cfg.max_record_bytes + 4096) {
        p->cfg.batch_bytes = p->cfg.max_record_bytes + 4096;
    }
    if (p->cfg.batch_ms == 0) {
        p->cfg.batch_ms = 50;
    }
    if (p->cfg.progress_ms == 0) {
        p->cfg.progress_ms = 1000;
    }
    if (p->cfg.commit_ms == 0) {
        p->cfg.commit_ms = 250;
    }
    if (p->cfg.commit_records == 0) {
        p->cfg.commit_records = 100000;
    }
    p->out_fd = -1;
    roost_buf_init(&p->out, OUT_MAX_BYTES);
    roost_json_doc_init(&p->doc, ROOST_JSON_DEFAULT_DEPTH,
                        p->cfg.max_record_bytes);
    roost_norm_init(&p->norm);
    roost_arena_init(&p->keep, 1u << 20, KEEP_MAX_BYTES);
    roost_buf_init(&p->dl_json, 64u << 20);
    int rc = roost_deadletter_open(&p->dl, cfg->dead_letter_path);
    if (rc < 0) {
        roost_diag_set(diag, rc, 0, "cannot open dead-letter file %s",
                       cfg->dead_letter_path);
        goto out_free;
    }
    if (cfg->out_path != NULL && strcmp(cfg->out_path, "-") == 0) {
        p->out_fd = STDOUT_FILENO;
        p->out_is_stdout = true;
    } else if (cfg->out_path != NULL) {
        /* With an archive the checkpoint owns the file's length (recover()
         * cuts it back); without one, --out starts afresh. */
        int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
                    (cfg->archive_dir == NULL ? O_TRUNC : 0);
        p->out_fd = open(cfg->out_path, flags, 0644);
        if (p->out_fd < 0) {
            rc = roost_diag_set(diag, ROOST_ERR(ROOST_EIO), 0,
                                "cannot open %s: %s", cfg->out_path,
                                strerror(errno));
            goto out_free;
        }
    }
    const char *spill = cfg->spill_dir;
    char spill_buf[4096];
    if (cfg->archive_dir != NULL && mkdir(cfg->archive_dir, 0755) != 0 &&
        errno != EEXIST) {
        rc = roost_diag_set(diag, ROOST_ERR(ROOST_EIO), 0,
                            "cannot create archive directory %s: %s",
                            cfg->archive_dir, strerror(errno));
        goto out_free;
    }
    if (spill == NULL && cfg->archive_dir != NULL) {
        snprintf(spill_buf, sizeof(spill_buf), "%s/spill", cfg->archive_dir);
        spill = spill_buf;
    }
    struct roost_queue_cfg qc = {
        .max_items = 1024,
        .max_bytes = p->cfg.queue_bytes,
        .policy = cfg->policy,
        .spill_dir = spill ? spill : "/tmp",
        .max_spill_bytes = (size_t)16 << 30,
        .codec = &batch_codec,
    };
    rc = roost_queue_new(&qc, &p->queue);
    if (rc < 0) {
        roost_diag_set(diag, rc, 0, "cannot create the queue");
        goto out_free;
    }
    *out = p;
    return 0;

out_free:
    roost_pipeline_free(p);
    return rc;
}

void roost_pipeline_free(struct roost_pipeline *p)
{
    if (p == NULL) {
        return;
    }
    for (uint32_t i = 0; i < p->n_srcs; i++) {
        roost_source_stop(p->srcs[i]);
        roost_source_free(p->srcs[i]);
    }
    archiver_join(p, true);
    if (p->archived != NULL) {
        roost_queue_free(p->archived);
    }
    if (p->queue != NULL) {
        roost_queue_free(p->queue);
    }
    if (p->archive != NULL) {
        roost_archive_close(p->archive);
    }
    if (p->out_fd >= 0 && !p->out_is_stdout) {
        close(p->out_fd);
    }
    for (uint32_t i = 0; i < p->n_sinks; i++) {
        roost_sink_free(p->sinks[i]);
    }
    roost_deadletter_close(&p->dl);
    roost_norm_fini(&p->norm);
    roost_arena_fini(&p->keep);
    roost_buf_fini(&p->dl_json);
    roost_json_doc_fini(&p->doc);
    roost_buf_fini(&p->out);
    pthread_mutex_destroy(&p->snap_mu);
    roost_free(p);
}

int roost_pipeline_add_source(struct roost_pipeline *p,
                              struct roost_source *src)
{
    if (p->n_srcs >= MAX_SOURCES) {
        roost_source_free(src);
        return ROOST_ERR(ROOST_ELIMIT);
    }
    src->max_record_bytes = p->cfg.max_record_bytes;
    p->srcs[p->n_srcs++] = src;
    return 0;
}

int roost_pipeline_add_sink(struct roost_pipeline *p, struct roost_sink *sink,
                            struct roost_diag *diag)
{
    if (p->n_sinks >= MAX_SINKS) {
        roost_sink_free(sink);
        return roost_diag_set(diag, ROOST_ERR(ROOST_ELIMIT), 0,
                              "too many sinks (max %d)", MAX_SINKS);
    }
    sink->replayable = p->cfg.archive_dir != NULL || p->cfg.inputs_replayable;
    int rc = roost_sink_open(sink, diag);
    if (rc < 0) {
        roost_sink_free(sink);
        return rc;
    }
    p->sinks[p->n_sinks++] = sink;
    return 0;
}

void roost_pipeline_stop(struct roost_pipeline *p)
{
    atomic_store(&p->stop, 1);
}

void roost_pipeline_stats(struct roost_pipeline *p,
                          struct roost_pipeline_stats *out)
{
    *out = p->st;
    out->n_archived = (uint64_t)atomic_load(&p->n_archived);
    roost_queue_stats(p->queue, &out->queue);
    out->n_sink_retries = 0;
    out->n_sink_waits = 0;
    for (uint32_t i = 0; i < p->n_sinks; i++) {
        out->n_sink_retries += p->sinks[i]->stats.n_retries;
        out->n_sink_waits += p->sinks[i]->stats.n_waits;
    }
    out->n_sources = p->n_srcs;
    out->n_sources_done = 0;
    for (uint32_t i = 0; i < p->n_srcs; i++) {
        out->n_sources_done += roost_source_is_done(p->srcs[i]);
    }
}

void roost_pipeline_snapshot(struct roost_pipeline *p,
                             struct roost_pipeline_stats *out)
{
    pthread_mutex_lock(&p->snap_mu);
    *out = p->snap;
    pthread_mutex_unlock(&p->snap_mu);
}

size_t roost_pipeline_sources(struct roost_pipeline *p,
                              struct roost_source **out, size_t cap)
{
    size_t n = p->n_srcs < cap ? p->n_srcs : cap;
    for (size_t i = 0; i < n; i++) {
        out[i] = p->srcs[i];
    }
    return n;
}

/* Publish the counters for other threads; owner thread only. */
static void take_snapshot(struct roost_pipeline *p)
{
    struct roost_pipeline_stats st;
    roost_pipeline_stats(p, &st);
    pthread_mutex_lock(&p->snap_mu);
    p->snap = st;
    pthread_mutex_unlock(&p->snap_mu);
}

static void maybe_progress(struct roost_pipeline *p, bool force)
{
    if (p->cfg.progress == NULL) {
        return;
    }
    int64_t t = mono_ms();
    if (!force && t - p->last_progress_ms < p->cfg.progress_ms) {
        return;
    }
    p->last_progress_ms = t;
    struct roost_pipeline_stats st;
    roost_pipeline_stats(p, &st);
    p->cfg.progress(p->cfg.progress_arg, &st);
}

/*
 * Group commit: the archive is flushed per batch (that is the
 * acknowledgement), but outputs are synced and the checkpoint written
 * only every commit_ms or commit_records, or when idle. A crash in
 * between re-processes the archived records past the checkpoint, which
 * the outputs (cut back) and sinks (idempotent) absorb; fewer syncs make
 * the store much faster.
 */
#define OUT_COMMIT_BYTES (16u << 20)

static int maybe_commit(struct roost_pipeline *p, bool force)
{
    if (p->n_pending == 0) {
        return 0;
    }
    int64_t t = mono_ms();
    if (!force && p->n_pending < p->cfg.commit_records &&
        t - p->last_commit_ms < p->cfg.commit_ms &&
        p->out.len < OUT_COMMIT_BYTES) {
        return 0;
    }
    uint64_t n = p->n_done + p->n_pending;
    p->n_pending = 0;
    p->last_commit_ms = t;
    return commit(p, n);
}

/* archive_batch - append and flush b (the acknowledgement). Runs on the
 * archive stage's thread; the archive is touched by no other thread
 * while it runs. */
static int archive_batch(struct roost_pipeline *p, struct roost_batch *b)
{
    int rc = 0;
    for (uint32_t i = 0; i < b->n_recs && rc == 0; i++) {
        struct roost_str pos = roost_batch_pos(b, i);
        char pbuf[ROOST_ARCHIVE_MAX_POSITION_BYTES + 1];
        size_t pl = pos.len < sizeof(pbuf) - 1 ? pos.len : sizeof(pbuf) - 1;
        memcpy(pbuf, pos.ptr, pl);
        pbuf[pl] = '\0';
        struct roost_str r = roost_batch_rec(b, i);
        struct roost_archive_rec ar = {
            .bytes = r.ptr,
            .len = r.len,
            .recv_ms = b->recs[i].recv_ms,
            .source = b->source,
            .position = pbuf,
        };
        rc = roost_archive_append(p->archive, &ar);
    }
    if (rc == 0) {
        rc = roost_archive_flush(p->archive);
    }
    if (rc == 0) {
        atomic_fetch_add(&p->n_archived, b->n_recs);
    }
    return rc;
}

/* The archive stage: source queue -> archive -> `archived`. It ends when
 * the source queue is closed and drained, and then closes `archived`, so
 * the processing thread sees the end after the last archived batch. After
 * a failure it archives nothing more and drops what comes (those records
 * are not acknowledged: their sources send them again after a restart). */
static void *archiver_main(void *arg)
{
    struct roost_pipeline *p = arg;
    void *item = NULL;
    while (roost_queue_pop(p->queue, -1, &item) == 0) {
        struct roost_batch *b = item;
        int rc = atomic_load(&p->archiver_rc);
        if (rc == 0) {
            rc = archive_batch(p, b);
            if (rc < 0) {
                atomic_store(&p->archiver_rc, rc);
            }
        }
        if (rc < 0) {
            roost_batch_free(b);
            continue;
        }
        /* Blocks while processing is behind: back-pressure to the source
         * queue, whose policy (spill, drop) then applies. */
        (void)roost_queue_push(p->archived, b, roost_batch_bytes(b));
    }
    roost_queue_close(p->archived);
    return NULL;
}

static int archiver_start(struct roost_pipeline *p)
{
    /* A few batches of lead are enough to keep both threads busy. */
    struct roost_queue_cfg qc = {
        .max_items = 4,
        .max_bytes = (size_t)64 << 20,
        .policy = ROOST_QUEUE_BLOCK,
        .codec = &batch_codec,
    };
    int rc = roost_queue_new(&qc, &p->archived);
    if (rc < 0) {
        return rc;
    }
    if (pthread_create(&p->archiver, NULL, archiver_main, p) != 0) {
        roost_queue_free(p->archived);
        p->archived = NULL;
        return ROOST_ERR(ROOST_ENOMEM);
    }
    p->archiver_running = true;
    return 0;
}

/* archiver_join - wait for the archive stage to end; on abort (the
 * processing failed) what it still holds is dropped unarchived: those
 * records were never acknowledged, so their sources send them again. */
static void archiver_join(struct roost_pipeline *p, bool abort)
{
    if (!p->archiver_running) {
        return;
    }
    if (abort) {
        /* Archive nothing more (a stop, which no caller reads; a real
         * archive failure keeps its code). */
        int none = 0;
        atomic_compare_exchange_strong(&p->archiver_rc, &none, ROOST_EINVAL);
        roost_queue_close(p->archived); /* its pushes now drop */
    }
    roost_queue_close(p->queue);
    pthread_join(p->archiver, NULL);
    p->archiver_running = false;
}

static int handle_batch(struct roost_pipeline *p, struct roost_batch *b)
{
    int rc = 0;
    for (uint32_t i = 0; i < b->n_recs && rc == 0; i++) {
        struct roost_str r = roost_batch_rec(b, i);
        rc = process(p, b->source, b->recs[i].line, roost_batch_pos(b, i),
                     b->recs[i].err, r.ptr, r.len);
    }
    if (rc == 0) {
        rc = drain(p); /* posts are views into b, which goes after this */
    }
    if (rc == 0) {
        p->n_pending += b->n_recs;
        rc = maybe_commit(p, false);
    }
    return rc;
}

int roost_pipeline_replay(struct roost_pipeline *p, const char *dir,
                          int64_t from_ms, int64_t to_ms, const char *source,
                          double speed, struct roost_diag *diag)
{
    if (p->cfg.archive_dir != NULL) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                              "replay reads an archive; it keeps none");
    }
    struct roost_archive_reader *r = NULL;
    int rc = roost_archive_reader_open(dir, from_ms, to_ms, source, &r, diag);
    if (rc < 0) {
        return rc;
    }
    struct roost_archive_rec rec;
    int64_t first_recv = 0, wall0 = 0;
    uint64_t n = 0;
    while (!atomic_load(&p->stop) &&
           (rc = roost_archive_reader_next(r, &rec)) == 0) {
        if (speed > 0) {
            if (n == 0) {
                first_recv = rec.recv_ms;
                wall0 = mono_ms();
            }
            int64_t due = wall0 + (int64_t)((double)(rec.recv_ms - first_recv) /
                                            speed);
            int64_t wait = due - mono_ms();
            if (wait > 0) {
                rc = commit(p, p->n_done); /* show what is due so far */
                if (rc < 0) {
                    break;
                }
                struct timespec ts = { .tv_sec = wait / 1000,
                                       .tv_nsec = (wait % 1000) * 1000000 };
                nanosleep(&ts, NULL);
            }
        }
        const char *raw = rec.bytes;
        rc = keep_bytes(p, &raw, rec.len);
        if (rc < 0) {
            break;
        }
        rc = process(p, rec.source, 0, roost_str_cstr(rec.position), 0, raw,
                     rec.len);
        if (rc < 0) {
            break;
        }
        n++;
        if (p->out.len >= (4u << 20)) {
            rc = commit(p, p->n_done + n);
            if (rc < 0) {
                break;
            }
        }
        maybe_progress(p, false);
    }
    roost_archive_reader_close(r);
    if (rc == ROOST_ENOENT || rc == 0) {
        rc = commit(p, n);
    } else {
        roost_diag_set(diag, rc, 0, "replay failed: %s", roost_strerror(rc));
    }
    maybe_progress(p, true);
    return rc;
}

int roost_pipeline_run(struct roost_pipeline *p, struct roost_diag *diag)
{
    int rc = 0;
    if (p->cfg.archive_dir != NULL) {
        struct roost_archive_cfg ac = {
            .dir = p->cfg.archive_dir,
            .fsync = (enum roost_archive_fsync)p->cfg.archive_fsync,
        };
        rc = roost_archive_open(&ac, &p->archive, diag);
        if (rc < 0) {
            return rc;
        }
        snprintf(p->ckpt_path, sizeof(p->ckpt_path), "%s/pipeline.ckpt",
                 p->cfg.archive_dir);
        rc = recover(p, diag);
        if (rc < 0) {
            return rc;
        }
        for (uint32_t i = 0; i < p->n_srcs; i++) {
            struct roost_source *s = p->srcs[i];
            if (roost_archive_last_position(p->archive, s->name, s->resume,
                                            sizeof(s->resume)) < 0) {
                s->resume[0] = '\0';
            }
        }
        rc = archiver_start(p);
        if (rc < 0) {
            return roost_diag_set(diag, rc, 0,
                                  "cannot start the archive stage: %s",
                                  roost_strerror(rc));
        }
    }
    /* Batches come archived from the archive stage, or straight from the
     * sources when there is no archive. */
    struct roost_queue *in = p->archived != NULL ? p->archived : p->queue;
    struct roost_runner_cfg rcfg = {
        .queue = p->queue,
        .batch_bytes = p->cfg.batch_bytes,
        .batch_ms = p->cfg.batch_ms,
    };
    for (uint32_t i = 0; i < p->n_srcs; i++) {
        rc = roost_source_start(p->srcs[i], &rcfg);
        if (rc < 0) {
            roost_diag_set(diag, rc, 0, "cannot start source %s: %s",
                           p->srcs[i]->name, roost_strerror(rc));
            goto out_stop;
        }
    }
    p->last_progress_ms = mono_ms();
    bool ended = false; /* every source ended: the end of input */
    for (;;) {
        void *item = NULL;
        rc = roost_queue_pop(in, 100, &item);
        int arc = atomic_load(&p->archiver_rc);
        if (arc < 0) {
            if (rc == 0) {
                roost_batch_free(item);
            }
            rc = arc;
            roost_diag_set(diag, rc, 0, "archive write failed: %s",
                           roost_strerror(rc));
            goto out_stop;
        }
        if (rc == 0) {
            struct roost_batch *b = item;
            if (p->cfg.process_delay_ms > 0) {
                struct timespec ts = {
                    .tv_sec = p->cfg.process_delay_ms / 1000,
                    .tv_nsec = (p->cfg.process_delay_ms % 1000) * 1000000,
                };
                nanosleep(&ts, NULL);
            }
            rc = handle_batch(p, b);
            take_snapshot(p);
            roost_batch_free(b);
            if (rc < 0) {
                roost_diag_set(diag, rc, 0, "processing failed: %s",
                               roost_strerror(rc));
                goto out_stop;
            }
        } else if (rc != ROOST_EAGAIN) {
            ended = true;
            break; /* closed and drained */
        } else if ((rc = maybe_commit(p, true)) < 0) {
            roost_diag_set(diag, rc, 0, "commit failed: %s",
                           roost_strerror(rc));
            goto out_stop; /* idle: make what we have durable */
        } else if (p->cfg.hook != NULL) {
            rc = p->cfg.hook->tick(p->cfg.hook->arg);
            if (rc < 0) {
                roost_diag_set(diag, rc, 0, "query engine failed: %s",
                               roost_strerror(rc));
                goto out_stop;
            }
        }
        maybe_progress(p, false);
        if (atomic_load(&p->stop)) {
            break;
        }
        bool all_done = true;
        for (uint32_t i = 0; i < p->n_srcs; i++) {
            all_done &= roost_source_is_done(p->srcs[i]);
        }
        if (all_done) {
            /* Sources have pushed their last batches: drain, then end. */
            roost_queue_close(p->queue);
        }
    }
    rc = 0;

out_stop:
    for (uint32_t i = 0; i < p->n_srcs; i++) {
        roost_source_stop(p->srcs[i]);
    }
    if (rc == 0) {
        /* A stop request may leave batches queued: finish them (the
         * archive stage hands on what it holds, then ends). */
        roost_queue_close(p->queue);
        void *item = NULL;
        while (rc == 0 &&
               roost_queue_pop(in, p->archived != NULL ? -1 : 0, &item) == 0) {
            rc = handle_batch(p, item);
            roost_batch_free(item);
        }
        if (rc == 0) {
            rc = atomic_load(&p->archiver_rc);
            if (rc < 0) {
                roost_diag_set(diag, rc, 0, "archive write failed: %s",
                               roost_strerror(rc));
            }
        }
        if (rc == 0) {
            rc = maybe_commit(p, true);
        }
    }
    archiver_join(p, rc != 0);
    if (rc == 0 && ended && p->cfg.hook != NULL) {
        rc = p->cfg.hook->finish(p->cfg.hook->arg, p->n_done);
        if (rc < 0) {
            roost_diag_set(diag, rc, 0, "query engine failed: %s",
                           roost_strerror(rc));
        }
    }
    maybe_progress(p, true);
    (void)now_ms;
    return rc;
}
