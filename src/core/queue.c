/* SPDX-License-Identifier: MIT
 *
 * queue.c - the bounded hand-off between receiver threads and the
 * processing thread, with an optional spill to disk.
 *
 * Memory part: a ring of (item, bytes) slots under one mutex; `not_empty`
 * wakes the consumer, `not_full` wakes BLOCK producers. The ring holds at
 * most max_items slots and max_bytes of weight (one item heavier than
 * max_bytes is still accepted into an empty ring, or it could never pass).
 *
 * Spill part (SPILL policy): when the ring is full, items are encoded with
 * the codec and appended to spill segments, files in spill_dir that are
 * unlinked as soon as they are created (nothing is left behind, even after
 * kill -9). Each entry on disk is
 *
 *     u32 magic "RSP1" | u32 crc32(payload) | u64 payload_len | payload
 *
 * Ordering invariant: every item in the ring is older than every spilled
 * item. It holds because once anything is on disk, every push goes to disk
 * too (spill_items > 0), and the consumer drains the ring before reading
 * the spill. When the spill is empty again, pushes return to the ring.
 *
 * Segments: a new segment starts once the tail passes seg_bytes; the
 * consumer closes a segment when it has read all of it. Disk use is the
 * sum of live segment sizes and is bounded by max_spill_bytes; past it the
 * new item is dropped and counted. The consumer reads and decodes outside
 * the lock (only it frees segments, producers only append to the tail), so
 * a producer waits at most for another producer's write, never for the
 * consumer's disk reads.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/queue.h"

#define QUEUE_MAX_ITEMS   (1u << 24)
#define SPILL_MAGIC       0x31505352u /* "RSP1" little-endian */
#define SPILL_HEAD        16
#define SPILL_DEFAULT_MAX (1ull << 30)

struct slot {
    void *item;
    size_t bytes;
};

struct spill_seg {
    struct spill_seg *next;
    int fd;
    uint64_t wr_off; /* file size: entries are appended here */
    uint64_t rd_off; /* next unread entry (consumer) */
    size_t n_items;  /* unread entries */
};

struct roost_queue {
    struct roost_queue_cfg cfg;
    char *spill_dir;
    pthread_mutex_t mu;
    pthread_cond_t not_empty;
    pthread_cond_t not_full;
    struct slot *ring;
    size_t head, count, bytes;
    bool closed;
    /* spill */
    struct spill_seg *seg_head, *seg_tail;
    size_t spill_items;
    uint64_t spill_disk; /* bytes in live segments */
    uint64_t seg_bytes;  /* start a new segment past this */
    unsigned seg_serial;
    struct roost_buf enc; /* producer scratch, under mu */
    struct roost_buf rd;  /* consumer scratch */
    struct roost_queue_stats st;
};

/* ---- crc32 (IEEE) ------------------------------------------------------- */

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        crc_table[i] = c;
    }
}

static uint32_t crc32_of(const void *p, size_t len)
{
    const unsigned char *u = p;
    uint32_t c = 0xFFFFFFFFu;

    pthread_once(&crc_once, crc_init);
    for (size_t i = 0; i < len; i++) {
        c = crc_table[(c ^ u[i]) & 0xFF] ^ (c >> 8);
    }
    return c ^ 0xFFFFFFFFu;
}

/* ---- lifecycle ---------------------------------------------------------- */

int roost_queue_new(const struct roost_queue_cfg *cfg, struct roost_queue **out)
{
    struct roost_queue *q = NULL;
    pthread_condattr_t ca;
    int rc;

    if (cfg->max_items == 0 || cfg->max_items > QUEUE_MAX_ITEMS ||
        cfg->policy > ROOST_QUEUE_DROP_OLDEST ||
        (cfg->policy != ROOST_QUEUE_BLOCK &&
         (cfg->codec == NULL || cfg->codec->free == NULL)) ||
        (cfg->policy == ROOST_QUEUE_SPILL &&
         (cfg->spill_dir == NULL || cfg->spill_dir[0] == '\0' ||
          cfg->codec->encode == NULL || cfg->codec->decode == NULL))) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    q = roost_calloc(1, sizeof(*q));
    if (q == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    q->cfg = *cfg;
    if (q->cfg.max_bytes == 0) {
        q->cfg.max_bytes = SIZE_MAX;
    }
    if (q->cfg.max_spill_bytes == 0) {
        q->cfg.max_spill_bytes = (size_t)SPILL_DEFAULT_MAX;
    }
    q->seg_bytes = q->cfg.max_spill_bytes / 8;
    q->seg_bytes = q->seg_bytes < (64u << 10) ? (64u << 10) : q->seg_bytes;
    q->seg_bytes = q->seg_bytes > (64u << 20) ? (64u << 20) : q->seg_bytes;
    roost_buf_init(&q->enc, q->cfg.max_spill_bytes);
    roost_buf_init(&q->rd, q->cfg.max_spill_bytes);
    q->ring = roost_calloc(cfg->max_items, sizeof(*q->ring));
    if (q->ring == NULL) {
        rc = ROOST_ERR(ROOST_ENOMEM);
        goto out_free_q;
    }
    if (cfg->policy == ROOST_QUEUE_SPILL) {
        if (mkdir(cfg->spill_dir, 0700) < 0 && errno != EEXIST) {
            rc = ROOST_ERR(ROOST_EIO);
            goto out_free_ring;
        }
        q->spill_dir = roost_strndup(cfg->spill_dir, strlen(cfg->spill_dir));
        if (q->spill_dir == NULL) {
            rc = ROOST_ERR(ROOST_ENOMEM);
            goto out_free_ring;
        }
    }
    q->cfg.spill_dir = q->spill_dir;
    if (pthread_mutex_init(&q->mu, NULL) != 0) {
        rc = ROOST_ERR(ROOST_ENOMEM);
        goto out_free_dir;
    }
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (pthread_cond_init(&q->not_empty, &ca) != 0) {
        rc = ROOST_ERR(ROOST_ENOMEM);
        goto out_destroy_mu;
    }
    if (pthread_cond_init(&q->not_full, &ca) != 0) {
        rc = ROOST_ERR(ROOST_ENOMEM);
        goto out_destroy_not_empty;
    }
    pthread_condattr_destroy(&ca);
    *out = q;
    return 0;

out_destroy_not_empty:
    pthread_cond_destroy(&q->not_empty);
out_destroy_mu:
    pthread_condattr_destroy(&ca);
    pthread_mutex_destroy(&q->mu);
out_free_dir:
    roost_free(q->spill_dir);
out_free_ring:
    roost_free(q->ring);
out_free_q:
    roost_free(q);
    return rc;
}

static void seg_free(struct spill_seg *s)
{
    close(s->fd);
    roost_free(s);
}

void roost_queue_free(struct roost_queue *q)
{
    if (q == NULL) {
        return;
    }
    for (size_t i = 0; i < q->count; i++) {
        struct slot *s = &q->ring[(q->head + i) % q->cfg.max_items];
        if (q->cfg.codec != NULL && q->cfg.codec->free != NULL) {
            q->cfg.codec->free(s->item);
        }
    }
    while (q->seg_head != NULL) {
        struct spill_seg *s = q->seg_head;
        q->seg_head = s->next;
        seg_free(s);
    }
    pthread_cond_destroy(&q->not_full);
    pthread_cond_destroy(&q->not_empty);
    pthread_mutex_destroy(&q->mu);
    roost_buf_fini(&q->enc);
    roost_buf_fini(&q->rd);
    roost_free(q->spill_dir);
    roost_free(q->ring);
    roost_free(q);
}

/* ---- memory ring -------------------------------------------------------- */

static bool ring_full(const struct roost_queue *q, size_t bytes)
{
    /* An item over max_bytes is let into an empty queue (it could never
     * go in otherwise), so q->bytes may exceed max_bytes: test that first,
     * or the subtraction wraps and the queue stops being bounded. */
    return q->count == q->cfg.max_items ||
           (q->count > 0 && (q->bytes >= q->cfg.max_bytes ||
                             bytes > q->cfg.max_bytes - q->bytes));
}

static void ring_put(struct roost_queue *q, void *item, size_t bytes)
{
    assert(q->count < q->cfg.max_items);
    struct slot *s = &q->ring[(q->head + q->count) % q->cfg.max_items];
    s->item = item;
    s->bytes = bytes;
    q->count++;
    q->bytes += bytes;
}

static struct slot ring_take(struct roost_queue *q)
{
    assert(q->count > 0);
    struct slot s = q->ring[q->head];
    q->head = (q->head + 1) % q->cfg.max_items;
    q->count--;
    q->bytes -= s.bytes;
    return s;
}

static void drop_item(struct roost_queue *q, void *item, size_t bytes)
{
    if (q->cfg.codec != NULL && q->cfg.codec->free != NULL) {
        q->cfg.codec->free(item);
    }
    q->st.n_dropped++;
    q->st.bytes_dropped += bytes;
}

/* ---- spill -------------------------------------------------------------- */

static void put_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

static int seg_new(struct roost_queue *q, struct spill_seg **out)
{
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/roost-spill-%ld-%u-XXXXXX",
                     q->spill_dir, (long)getpid(), q->seg_serial++);

    if (n < 0 || (size_t)n >= sizeof(path)) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    struct spill_seg *s = roost_calloc(1, sizeof(*s));
    if (s == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    s->fd = mkstemp(path);
    if (s->fd < 0) {
        roost_free(s);
        return ROOST_ERR(ROOST_EIO);
    }
    /* Unlinked at once: the space returns when the fd closes, whatever
     * way the process ends. */
    unlink(path);
    *out = s;
    return 0;
}

static int write_all(int fd, const char *p, size_t len, uint64_t off)
{
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return ROOST_ERR(ROOST_EIO);
        }
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

static int read_all(int fd, char *p, size_t len, uint64_t off)
{
    while (len > 0) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return ROOST_ERR(ROOST_EIO);
        }
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

/* spill_push - append item to the spill; under mu; Takes item. */
static int spill_push(struct roost_queue *q, void *item, size_t bytes)
{
    static const char zero[SPILL_HEAD];
    int rc;

    roost_buf_reset(&q->enc);
    rc = roost_buf_add(&q->enc, zero, sizeof(zero));
    if (rc == 0) {
        rc = q->cfg.codec->encode(item, &q->enc);
    }
    if (rc < 0) {
        drop_item(q, item, bytes);
        return rc == ROOST_ENOMEM ? rc : ROOST_ERR(ROOST_ELIMIT);
    }
    size_t total = q->enc.len;
    size_t payload = total - SPILL_HEAD;
    if (total > q->cfg.max_spill_bytes - q->spill_disk) {
        drop_item(q, item, bytes);
        return ROOST_ERR(ROOST_ELIMIT);
    }
    unsigned char *h = (unsigned char *)q->enc.ptr;
    put_le(h, SPILL_MAGIC, 4);
    put_le(h + 4, crc32_of(q->enc.ptr + SPILL_HEAD, payload), 4);
    put_le(h + 8, payload, 8);

    struct spill_seg *s = q->seg_tail;
    if (s == NULL || s->wr_off >= q->seg_bytes) {
        rc = seg_new(q, &s);
        if (rc < 0) {
            drop_item(q, item, bytes);
            return rc;
        }
        if (q->seg_tail != NULL) {
            q->seg_tail->next = s;
        } else {
            q->seg_head = s;
        }
        q->seg_tail = s;
    }
    rc = write_all(s->fd, q->enc.ptr, total, s->wr_off);
    if (rc < 0) {
        drop_item(q, item, bytes);
        return rc;
    }
    s->wr_off += total;
    s->n_items++;
    q->spill_items++;
    q->spill_disk += total;
    q->st.n_spilled++;
    q->st.bytes_spilled += bytes;
    q->cfg.codec->free(item);
    return 0;
}

/*
 * spill_pop - read the oldest spilled item; called with mu held and
 * spill_items > 0, returns with mu held. Damaged entries are dropped and
 * counted (with the rest of their segment, whose framing is lost).
 */
static int spill_pop(struct roost_queue *q, void **item, size_t *bytes)
{
    struct spill_seg *s = q->seg_head;
    int rc;

    assert(s != NULL && s->n_items > 0);
    uint64_t off = s->rd_off;
    uint64_t avail = s->wr_off - off; /* committed: stable while unlocked */
    pthread_mutex_unlock(&q->mu);

    unsigned char h[SPILL_HEAD];
    uint64_t payload = 0;
    void *it = NULL;
    size_t it_bytes = 0;
    rc = avail < SPILL_HEAD ? ROOST_ERR(ROOST_EIO)
                            : read_all(s->fd, (char *)h, sizeof(h), off);
    if (rc == 0) {
        payload = get_le(h + 8, 8);
        if (get_le(h, 4) != SPILL_MAGIC || payload > avail - SPILL_HEAD) {
            rc = ROOST_ERR(ROOST_EIO);
        }
    }
    if (rc == 0) {
        roost_buf_reset(&q->rd);
        rc = roost_buf_reserve(&q->rd, (size_t)payload);
    }
    if (rc == 0) {
        rc = read_all(s->fd, q->rd.ptr, (size_t)payload, off + SPILL_HEAD);
    }
    if (rc == 0 && crc32_of(q->rd.ptr, (size_t)payload) != get_le(h + 4, 4)) {
        rc = ROOST_ERR(ROOST_EIO);
    }
    if (rc == 0) {
        rc = q->cfg.codec->decode(q->rd.ptr, (size_t)payload, &it, &it_bytes);
    }

    pthread_mutex_lock(&q->mu);
    if (rc == 0) {
        s->rd_off += SPILL_HEAD + payload;
        s->n_items--;
        q->spill_items--;
    } else {
        /* Count the lost entries as dropped, with no weight known. */
        q->st.n_dropped += s->n_items;
        q->spill_items -= s->n_items;
        s->n_items = 0;
    }
    if (s->n_items == 0) {
        q->seg_head = s->next;
        if (q->seg_tail == s) {
            q->seg_tail = NULL;
        }
        q->spill_disk -= s->wr_off;
        seg_free(s);
    }
    if (rc == 0) {
        *item = it;
        *bytes = it_bytes;
    }
    return rc;
}

/* ---- push / pop --------------------------------------------------------- */

static int push(struct roost_queue *q, void *item, size_t bytes, bool *spilled)
{
    int rc = 0;
    bool waited = false;

    pthread_mutex_lock(&q->mu);
    if (q->closed) {
        drop_item(q, item, bytes);
        pthread_mutex_unlock(&q->mu);
        return ROOST_ERR(ROOST_EINVAL);
    }
    switch (q->cfg.policy) {
    case ROOST_QUEUE_BLOCK:
        while (!q->closed && ring_full(q, bytes)) {
            if (!waited) {
                q->st.n_blocked++;
                waited = true;
            }
            pthread_cond_wait(&q->not_full, &q->mu);
        }
        if (q->closed) {
            drop_item(q, item, bytes);
            rc = ROOST_ERR(ROOST_EINVAL);
            break;
        }
        ring_put(q, item, bytes);
        break;
    case ROOST_QUEUE_SPILL:
        if (q->spill_items > 0 || ring_full(q, bytes)) {
            rc = spill_push(q, item, bytes);
            if (rc == 0 && spilled != NULL) {
                *spilled = true;
            }
            break;
        }
        ring_put(q, item, bytes);
        break;
    case ROOST_QUEUE_DROP_OLDEST:
        while (ring_full(q, bytes)) {
            struct slot old = ring_take(q);
            drop_item(q, old.item, old.bytes);
        }
        ring_put(q, item, bytes);
        break;
    default:
        ROOST_UNREACHABLE();
    }
    if (rc == 0) {
        q->st.n_pushed++;
        pthread_cond_signal(&q->not_empty);
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

int roost_queue_push(struct roost_queue *q, void *item, size_t bytes)
{
    return push(q, item, bytes, NULL);
}

int roost_queue_push_ex(struct roost_queue *q, void *item, size_t bytes,
                        bool *spilled)
{
    if (spilled != NULL) {
        *spilled = false;
    }
    return push(q, item, bytes, spilled);
}

static void deadline_after(struct timespec *ts, int timeout_ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += timeout_ms / 1000;
    ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

int roost_queue_pop(struct roost_queue *q, int timeout_ms, void **item)
{
    struct timespec dl;
    int rc;

    if (timeout_ms > 0) {
        deadline_after(&dl, timeout_ms);
    }
    pthread_mutex_lock(&q->mu);
    for (;;) {
        if (q->count > 0) {
            struct slot s = ring_take(q);
            q->st.n_popped++;
            pthread_cond_signal(&q->not_full);
            pthread_mutex_unlock(&q->mu);
            *item = s.item;
            return 0;
        }
        if (q->spill_items > 0) {
            size_t bytes = 0;
            rc = spill_pop(q, item, &bytes);
            if (rc == 0) {
                q->st.n_popped++;
                pthread_mutex_unlock(&q->mu);
                return 0;
            }
            continue; /* damaged entries were counted; try the next */
        }
        if (q->closed) {
            pthread_mutex_unlock(&q->mu);
            return ROOST_ENOENT;
        }
        if (timeout_ms == 0) {
            break;
        }
        if (timeout_ms < 0) {
            pthread_cond_wait(&q->not_empty, &q->mu);
        } else if (pthread_cond_timedwait(&q->not_empty, &q->mu, &dl) ==
                   ETIMEDOUT) {
            if (q->count == 0 && q->spill_items == 0 && !q->closed) {
                break;
            }
        }
    }
    pthread_mutex_unlock(&q->mu);
    return ROOST_EAGAIN;
}

void roost_queue_close(struct roost_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = true;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mu);
}

void roost_queue_stats(struct roost_queue *q, struct roost_queue_stats *out)
{
    pthread_mutex_lock(&q->mu);
    *out = q->st;
    out->depth = q->count;
    out->depth_bytes = q->bytes;
    out->spill_depth = q->spill_items;
    pthread_mutex_unlock(&q->mu);
}
