/* SPDX-License-Identifier: MIT
 *
 * test_queue.c - the bounded queue: BLOCK back-pressure, DROP_OLDEST, and
 * SPILL (order kept across memory and disk, producer never stalled).
 */
#include <dirent.h>
#include <pthread.h>
#include <time.h>

#include "check.h"
#include "core/batch.h"
#include "core/mem.h"
#include "core/queue.h"

struct titem {
    uint64_t seq;
    uint32_t producer;
    uint32_t pad_len;
};

static int t_encode(const void *item, struct roost_buf *out)
{
    const struct titem *t = item;
    int rc = roost_buf_add(out, t, sizeof(*t));
    for (uint32_t i = 0; rc == 0 && i < t->pad_len; i++) {
        rc = roost_buf_addc(out, (char)('a' + (t->seq + i) % 26));
    }
    return rc;
}

static int t_decode(const char *p, size_t len, void **item, size_t *bytes)
{
    struct titem *t = roost_malloc(sizeof(*t));
    if (t == NULL) {
        return ROOST_ENOMEM;
    }
    CHECK(len >= sizeof(*t));
    memcpy(t, p, sizeof(*t));
    CHECK_INT_EQ(len, sizeof(*t) + t->pad_len);
    for (uint32_t i = 0; i < t->pad_len; i++) {
        CHECK(p[sizeof(*t) + i] == (char)('a' + (t->seq + i) % 26));
    }
    *item = t;
    *bytes = sizeof(*t) + t->pad_len;
    return 0;
}

static void t_free(void *item)
{
    roost_free(item);
}

static const struct roost_queue_codec codec = { t_encode, t_decode, t_free };

static struct titem *mk(uint64_t seq)
{
    struct titem *t = roost_calloc(1, sizeof(*t));
    CHECK(t != NULL);
    t->seq = seq;
    t->pad_len = (uint32_t)(seq % 50);
    return t;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *spill_dir(void)
{
    static char parent[64];
    static char dir[80];
    snprintf(parent, sizeof(parent), "/tmp/roost-tq-XXXXXX");
    CHECK(mkdtemp(parent) != NULL);
    /* A subdirectory the queue has to create. */
    snprintf(dir, sizeof(dir), "%s/spill", parent);
    return dir;
}

static int dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    CHECK(d != NULL);
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        n += e->d_name[0] != '.';
    }
    closedir(d);
    return n;
}

static void test_block_fifo_close(void)
{
    struct roost_queue_cfg cfg = { .max_items = 4, .codec = &codec };
    struct roost_queue *q = NULL;
    CHECK_INT_EQ(roost_queue_new(&cfg, &q), 0);
    void *it = NULL;
    CHECK_INT_EQ(roost_queue_pop(q, 0, &it), ROOST_EAGAIN);
    int64_t t0 = mono_ms();
    CHECK_INT_EQ(roost_queue_pop(q, 30, &it), ROOST_EAGAIN);
    CHECK(mono_ms() - t0 >= 25);
    for (uint64_t i = 0; i < 3; i++) {
        CHECK_INT_EQ(roost_queue_push(q, mk(i), 10), 0);
    }
    struct roost_queue_stats st;
    roost_queue_stats(q, &st);
    CHECK_INT_EQ(st.depth, 3);
    CHECK_INT_EQ(st.depth_bytes, 30);
    CHECK_INT_EQ(roost_queue_pop(q, -1, &it), 0);
    CHECK_INT_EQ(((struct titem *)it)->seq, 0);
    t_free(it);
    roost_queue_close(q);
    CHECK_INT_EQ(roost_queue_push(q, mk(9), 1), ROOST_EINVAL);
    CHECK_INT_EQ(roost_queue_pop(q, -1, &it), 0);
    CHECK_INT_EQ(((struct titem *)it)->seq, 1);
    t_free(it);
    CHECK_INT_EQ(roost_queue_pop(q, -1, &it), 0);
    t_free(it);
    CHECK_INT_EQ(roost_queue_pop(q, -1, &it), ROOST_ENOENT);
    roost_queue_stats(q, &st);
    CHECK_INT_EQ(st.n_pushed, 3);
    CHECK_INT_EQ(st.n_popped, 3);
    CHECK_INT_EQ(st.n_dropped, 1);
    roost_queue_free(q);
}

static void test_bad_cfg(void)
{
    struct roost_queue *q = NULL;
    struct roost_queue_cfg cfg = { .max_items = 0 };
    CHECK_INT_EQ(roost_queue_new(&cfg, &q), ROOST_EINVAL);
    cfg.max_items = 1;
    cfg.policy = ROOST_QUEUE_SPILL;
    CHECK_INT_EQ(roost_queue_new(&cfg, &q), ROOST_EINVAL); /* no codec */
    cfg.codec = &codec;
    CHECK_INT_EQ(roost_queue_new(&cfg, &q), ROOST_EINVAL); /* no dir */
    cfg.policy = ROOST_QUEUE_DROP_OLDEST;
    cfg.codec = NULL;
    CHECK_INT_EQ(roost_queue_new(&cfg, &q), ROOST_EINVAL);
}

struct prod {
    struct roost_queue *q;
    uint32_t id;
    uint64_t n;
    int64_t ms;
    int n_fail;
};

static void *producer(void *arg)
{
    struct prod *p = arg;
    int64_t t0 = mono_ms();
    for (uint64_t i = 0; i < p->n; i++) {
        struct titem *t = mk(i);
        t->producer = p->id;
        if (roost_queue_push(p->q, t, sizeof(*t) + t->pad_len) != 0) {
            p->n_fail++;
        }
    }
    p->ms = mono_ms() - t0;
    return NULL;
}

static void test_block_backpressure(void)
{
    struct roost_queue_cfg cfg = { .max_items = 2, .codec = &codec };
    struct roost_queue *q = NULL;
    CHECK_INT_EQ(roost_queue_new(&cfg, &q), 0);
    struct prod p = { .q = q, .n = 2000 };
    pthread_t th;
    CHECK_INT_EQ(pthread_create(&th, NULL, producer, &p), 0);
    usleep(20000);
    for (uint64_t i = 0; i < 2000; i++) {
        void *it = NULL;
        CHECK_INT_EQ(roost_queue_pop(q, 5000, &it), 0);
        CHECK_INT_EQ(((struct titem *)it)->seq, i);
        t_free(it);
    }
    pthread_join(th, NULL);
    struct roost_queue_stats st;
    roost_queue_stats(q, &st);
    CHECK(st.n_blocked > 0);
    CHECK_INT_EQ(st.n_dropped, 0);
    CHECK_INT_EQ(p.n_fail, 0);
    roost_queue_free(q);
}

static void test_block_close_wakes_producer(void)
{
    struct roost_queue_cfg cfg = { .max_items = 1, .codec = &codec };
    struct roost_queue *q = NULL;
    CHECK_INT_EQ(roost_queue_new(&cfg, &q), 0);
    struct prod p = { .q = q, .n = 3 };
    pthread_t th;
    CHECK_INT_EQ(pthread_create(&th, NULL, producer, &p), 0);
    usleep(30000);
    roost_queue_close(q);
    pthread_join(th, NULL);
    CHECK_INT_EQ(p.n_fail, 2); /* dropped and freed, not leaked */
    void *it = NULL;
    CHECK_INT_EQ(roost_queue_pop(q, -1, &it), 0);
    t_free(it);
    CHECK_INT_EQ(roost_queue_pop(q, -1, &it), ROOST_ENOENT);
    roost_queue_free(q);
}

static void test_drop_oldest(void)
{
    struct roost_queue_cfg cfg = { .max_items = 3,
                                   .max_bytes = 1000,
                                   .policy = ROOST_QUEUE_DROP_OLDEST,
                                   .codec = &codec };
    struct roost_queue *q = NULL;
    CHECK_INT_EQ(roost_queue_new(&cfg, &q), 0);
    for (uint64_t i = 0; i < 10; i++) {
        CHECK_INT_EQ(roost_queue_push(q, mk(i), 100), 0);
    }
    /* Heavy item: drops by bytes too. */
    CHECK_INT_EQ(roost_queue_push(q, mk(10), 850), 0);
    struct roost_queue_stats st;
    roost_queue_stats(q, &st);
    CHECK_INT_EQ(st.n_dropped, 9);
    CHECK_INT_EQ(st.bytes_dropped, 900);
    CHECK_INT_EQ(st.depth, 2);
    void *it = NULL;
    CHECK_INT_EQ(roost_queue_pop(q, 0, &it), 0);
    CHECK_INT_EQ(((struct titem *)it)->seq, 9);
    t_free(it);
    roost_queue_free(q); /* frees item 10 */
}

/* An oversize item goes into an empty queue; the queue is then full, not
 * unbounded (max_bytes - bytes must not wrap). */
static void test_oversize_item_fills(void)
{
    struct roost_queue_cfg cfg = { .max_items = 8,
                                   .max_bytes = 1000,
                                   .policy = ROOST_QUEUE_DROP_OLDEST,
                                   .codec = &codec };
    struct roost_queue *q = NULL;
    CHECK_INT_EQ(roost_queue_new(&cfg, &q), 0);
    CHECK_INT_EQ(roost_queue_push(q, mk(1), 1500), 0);
    CHECK_INT_EQ(roost_queue_push(q, mk(2), 100), 0);
    struct roost_queue_stats st;
    roost_queue_stats(q, &st);
    CHECK_INT_EQ(st.n_dropped, 1);
    CHECK_INT_EQ(st.bytes_dropped, 1500);
    CHECK_INT_EQ(st.depth, 1);
    CHECK_INT_EQ(st.depth_bytes, 100);
    roost_queue_free(q);
}

static void test_spill_order_single_thread(void)
{
    char *dir = spill_dir();
    struct roost_queue_cfg cfg = { .max_items = 4,
                                   .policy = ROOST_QUEUE_SPILL,
                                   .spill_dir = dir,
                                   .codec = &codec };
    struct roost_queue *q = NULL;
    CHECK_INT_EQ(roost_queue_new(&cfg, &q), 0);
    for (uint64_t i = 0; i < 100; i++) {
        CHECK_INT_EQ(roost_queue_push(q, mk(i), 10), 0);
    }
    struct roost_queue_stats st;
    roost_queue_stats(q, &st);
    CHECK_INT_EQ(st.depth, 4);
    CHECK_INT_EQ(st.spill_depth, 96);
    CHECK_INT_EQ(st.n_spilled, 96);
    CHECK_INT_EQ(dir_entries(dir), 0); /* unlinked at creation */
    /* Pop a few: memory has room, but later pushes still spill. */
    for (uint64_t i = 0; i < 10; i++) {
        void *it = NULL;
        CHECK_INT_EQ(roost_queue_pop(q, 0, &it), 0);
        CHECK_INT_EQ(((struct titem *)it)->seq, i);
        t_free(it);
    }
    bool spilled = false;
    CHECK_INT_EQ(roost_queue_push_ex(q, mk(100), 10, &spilled), 0);
    CHECK(spilled);
    for (uint64_t i = 10; i <= 100; i++) {
        void *it = NULL;
        CHECK_INT_EQ(roost_queue_pop(q, 0, &it), 0);
        CHECK_INT_EQ(((struct titem *)it)->seq, i);
        t_free(it);
    }
    /* Drained: back to memory. */
    CHECK_INT_EQ(roost_queue_push_ex(q, mk(101), 10, &spilled), 0);
    CHECK(!spilled);
    roost_queue_stats(q, &st);
    CHECK_INT_EQ(st.n_spilled, 97);
    CHECK_INT_EQ(st.spill_depth, 0);
    CHECK_INT_EQ(st.n_pushed, 102);
    CHECK_INT_EQ(st.n_popped, 101);
    roost_queue_free(q);
    CHECK_INT_EQ(dir_entries(dir), 0);
}

static void test_spill_bound_drops(void)
{
    char *dir = spill_dir();
    struct roost_queue_cfg cfg = { .max_items = 2,
                                   .policy = ROOST_QUEUE_SPILL,
                                   .spill_dir = dir,
                                   .max_spill_bytes = 1000,
                                   .codec = &codec };
    struct roost_queue *q = NULL;
    CHECK_INT_EQ(roost_queue_new(&cfg, &q), 0);
    int n_ok = 0, n_drop = 0;
    for (uint64_t i = 0; i < 100; i++) {
        int rc = roost_queue_push(q, mk(i), 10);
        CHECK(rc == 0 || rc == ROOST_ELIMIT);
        n_ok += rc == 0;
        n_drop += rc == ROOST_ELIMIT;
    }
    struct roost_queue_stats st;
    roost_queue_stats(q, &st);
    CHECK(n_drop > 0 && n_ok > 2);
    CHECK_INT_EQ(st.n_dropped, (uint64_t)n_drop);
    CHECK_INT_EQ(st.n_pushed, (uint64_t)n_ok);
    uint64_t last = 0;
    int n_out = 0;
    void *it = NULL;
    while (roost_queue_pop(q, 0, &it) == 0) {
        uint64_t s = ((struct titem *)it)->seq;
        CHECK(n_out == 0 || s > last);
        last = s;
        n_out++;
        t_free(it);
    }
    CHECK_INT_EQ(n_out, n_ok);
    roost_queue_free(q);
}

struct cons {
    struct roost_queue *q;
    uint32_t n_producers;
    uint64_t n_got;
    int sleep_every;
    volatile int *go;
    int n_order_errors;
};

static void *consumer(void *arg)
{
    struct cons *c = arg;
    uint64_t next[8] = { 0 };
    while (c->go != NULL && !__atomic_load_n(c->go, __ATOMIC_ACQUIRE)) {
        usleep(1000);
    }
    for (;;) {
        void *it = NULL;
        int rc = roost_queue_pop(c->q, 5000, &it);
        if (rc == ROOST_ENOENT || rc == ROOST_EAGAIN) {
            break;
        }
        struct titem *t = it;
        if (t->producer >= 8 || t->seq != next[t->producer]) {
            c->n_order_errors++;
        } else {
            next[t->producer]++;
        }
        t_free(t);
        c->n_got++;
        if (c->sleep_every > 0 && c->n_got % (uint64_t)c->sleep_every == 0) {
            usleep(1000);
        }
    }
    return NULL;
}

/* The consumer does not pop at all until the producer is done: the push
 * loop can only finish if SPILL never blocks. */
static void test_spill_producer_never_blocks(void)
{
    char *dir = spill_dir();
    struct roost_queue_cfg cfg = { .max_items = 8,
                                   .max_bytes = 4096,
                                   .policy = ROOST_QUEUE_SPILL,
                                   .spill_dir = dir,
                                   .max_spill_bytes = 64 << 20,
                                   .codec = &codec };
    struct roost_queue *q = NULL;
    CHECK_INT_EQ(roost_queue_new(&cfg, &q), 0);
    volatile int go = 0;
    struct cons c = { .q = q, .n_producers = 1, .go = &go };
    pthread_t ct;
    CHECK_INT_EQ(pthread_create(&ct, NULL, consumer, &c), 0);
    struct prod p = { .q = q, .n = 100000 };
    producer(&p);
    CHECK_MSG(p.ms < 10000, "producer took %lld ms", (long long)p.ms);
    CHECK_INT_EQ(p.n_fail, 0);
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    roost_queue_close(q);
    pthread_join(ct, NULL);
    struct roost_queue_stats st;
    roost_queue_stats(q, &st);
    CHECK_INT_EQ(c.n_got, 100000);
    CHECK_INT_EQ(c.n_order_errors, 0);
    CHECK_INT_EQ(st.n_pushed, st.n_popped);
    CHECK_INT_EQ(st.n_blocked, 0);
    CHECK_INT_EQ(st.n_dropped, 0);
    CHECK(st.n_spilled > 99000);
    roost_queue_free(q);
}

/* Concurrent: 4 producers, a consumer that naps; per-producer order. */
static void test_spill_concurrent(void)
{
    char *dir = spill_dir();
    struct roost_queue_cfg cfg = { .max_items = 16,
                                   .policy = ROOST_QUEUE_SPILL,
                                   .spill_dir = dir,
                                   .codec = &codec };
    struct roost_queue *q = NULL;
    CHECK_INT_EQ(roost_queue_new(&cfg, &q), 0);
    struct cons c = { .q = q, .n_producers = 4, .sleep_every = 5000 };
    pthread_t ct, pt[4];
    struct prod p[4];
    CHECK_INT_EQ(pthread_create(&ct, NULL, consumer, &c), 0);
    for (uint32_t i = 0; i < 4; i++) {
        p[i] = (struct prod){ .q = q, .id = i, .n = 25000 };
        CHECK_INT_EQ(pthread_create(&pt[i], NULL, producer, &p[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(pt[i], NULL);
        CHECK_INT_EQ(p[i].n_fail, 0);
    }
    roost_queue_close(q);
    pthread_join(ct, NULL);
    struct roost_queue_stats st;
    roost_queue_stats(q, &st);
    CHECK_INT_EQ(c.n_got, 100000);
    CHECK_INT_EQ(c.n_order_errors, 0);
    CHECK_INT_EQ(st.n_pushed, 100000);
    CHECK_INT_EQ(st.n_popped, 100000);
    CHECK_INT_EQ(st.n_blocked, 0);
    roost_queue_free(q);
}

/* Batches through the spill come back byte-exact. */
static void test_spill_batches(void)
{
    static const struct roost_queue_codec bc = { roost_batch_encode,
                                                 roost_batch_decode,
                                                 roost_batch_free_item };
    char *dir = spill_dir();
    struct roost_queue_cfg cfg = { .max_items = 1,
                                   .policy = ROOST_QUEUE_SPILL,
                                   .spill_dir = dir,
                                   .codec = &bc };
    struct roost_queue *q = NULL;
    CHECK_INT_EQ(roost_queue_new(&cfg, &q), 0);
    for (int i = 0; i < 5; i++) {
        struct roost_batch *b = NULL;
        CHECK_INT_EQ(roost_batch_new("tcp", 1 << 16, &b), 0);
        b->seq = (uint64_t)i;
        for (int r = 0; r <= i; r++) {
            char rec[32], pos[32];
            int rl = snprintf(rec, sizeof(rec), "{\"b\":%d,\"r\":%d}", i, r);
            int pl = snprintf(pos, sizeof(pos), "conn%d\t%d", i, r);
            CHECK_INT_EQ(roost_batch_add(b, rec, (size_t)rl, 1000 + r, pos,
                                         (size_t)pl, (uint64_t)r + 1, 0),
                         0);
        }
        CHECK_INT_EQ(roost_queue_push(q, b, roost_batch_bytes(b)), 0);
    }
    for (int i = 0; i < 5; i++) {
        void *it = NULL;
        CHECK_INT_EQ(roost_queue_pop(q, 0, &it), 0);
        struct roost_batch *b = it;
        CHECK_INT_EQ(b->seq, i);
        CHECK_INT_EQ(b->n_recs, i + 1);
        CHECK_STR_EQ(b->source, "tcp");
        char want[32];
        snprintf(want, sizeof(want), "{\"b\":%d,\"r\":%d}", i, i);
        struct roost_str r = roost_batch_rec(b, (uint32_t)i);
        CHECK_MEM_EQ(r.ptr, r.len, want);
        snprintf(want, sizeof(want), "conn%d\t%d", i, i);
        r = roost_batch_pos(b, (uint32_t)i);
        CHECK_MEM_EQ(r.ptr, r.len, want);
        CHECK_INT_EQ(b->recs[i].recv_ms, 1000 + i);
        roost_batch_free(b);
    }
    roost_queue_free(q);
}

/* Items still queued (memory and disk) are freed by roost_queue_free. */
static void test_free_with_items(void)
{
    char *dir = spill_dir();
    struct roost_queue_cfg cfg = { .max_items = 2,
                                   .policy = ROOST_QUEUE_SPILL,
                                   .spill_dir = dir,
                                   .codec = &codec };
    struct roost_queue *q = NULL;
    CHECK_INT_EQ(roost_queue_new(&cfg, &q), 0);
    for (uint64_t i = 0; i < 50; i++) {
        CHECK_INT_EQ(roost_queue_push(q, mk(i), 10), 0);
    }
    roost_queue_free(q);
    CHECK_INT_EQ(dir_entries(dir), 0);
}

CHECK_LIST(test_block_fifo_close, test_bad_cfg, test_block_backpressure,
           test_block_close_wakes_producer, test_drop_oldest,
           test_oversize_item_fills, test_spill_order_single_thread, test_spill_bound_drops,
           test_spill_producer_never_blocks, test_spill_concurrent,
           test_spill_batches, test_free_with_items);
