/* SPDX-License-Identifier: MIT
 *
 * test_batch.c - batches: adding records, bounds, and the spill encoding.
 */
#include "check.h"
#include "core/batch.h"
#include "core/mem.h"

static void test_add_and_views(void)
{
    struct roost_batch *b = NULL;
    CHECK_INT_EQ(roost_batch_new("src1", 64, &b), 0);
    CHECK_STR_EQ(b->source, "src1");
    CHECK_INT_EQ(roost_batch_add(b, "{\"a\":1}", 7, 1000, "f\t7", 3, 1, 0), 0);
    CHECK_INT_EQ(
        roost_batch_add(b, "xyz", 3, 1005, "f\t11", 4, 2, ROOST_EPARSE), 0);
    CHECK_INT_EQ(b->n_recs, 2);
    CHECK_INT_EQ(b->first_recv_ms, 1000);
    struct roost_str r = roost_batch_rec(b, 0);
    CHECK_MEM_EQ(r.ptr, r.len, "{\"a\":1}");
    r = roost_batch_pos(b, 1);
    CHECK_MEM_EQ(r.ptr, r.len, "f\t11");
    CHECK_INT_EQ(b->recs[1].err, ROOST_EPARSE);
    CHECK_INT_EQ(b->recs[1].line, 2);
    CHECK_INT_EQ(roost_batch_avail(b), 64 - 17);
    size_t w = roost_batch_bytes(b);
    CHECK(w >= 17);

    /* Does not fit: the batch is unchanged. */
    char big[64];
    memset(big, 'x', sizeof(big));
    CHECK_INT_EQ(roost_batch_add(b, big, 47, 1, "p", 1, 3, 0), ROOST_ELIMIT);
    CHECK_INT_EQ(b->n_recs, 2);
    CHECK_INT_EQ(roost_batch_bytes(b), w);
    CHECK_INT_EQ(roost_batch_add(b, big, 46, 1, "p", 1, 3, 0), 0);
    CHECK_INT_EQ(roost_batch_avail(b), 0);

    roost_batch_reset(b);
    CHECK_INT_EQ(b->n_recs, 0);
    CHECK_INT_EQ(roost_batch_avail(b), 64);
    CHECK_INT_EQ(roost_batch_add(b, big, 65, 1, "", 0, 1, 0), ROOST_ELIMIT);
    roost_batch_free(b);
    roost_batch_free(NULL);
}

static void test_many_small_records_bounded(void)
{
    struct roost_batch *b = NULL;
    CHECK_INT_EQ(roost_batch_new("s", 1024, &b), 0);
    uint32_t n = 0;
    while (roost_batch_add(b, "", 0, 1, "", 0, 0, 0) == 0) {
        n++;
        CHECK(n < 100000);
    }
    CHECK(n > 256);
    roost_batch_free(b);
}

static struct roost_batch *sample(void)
{
    struct roost_batch *b = NULL;
    CHECK_INT_EQ(
        roost_batch_new("a-rather-long-source-instance-name", 4096, &b), 0);
    b->seq = 77;
    for (int i = 0; i < 20; i++) {
        char rec[64], pos[64];
        int rl = snprintf(rec, sizeof(rec), "{\"i\":%d,\"z\":\"\\u0000\"}", i);
        rec[3] = (char)(i == 5 ? 0 : rec[3]); /* embedded NUL byte */
        int pl = snprintf(pos, sizeof(pos), "/data/x.jsonl.gz\t%d", i * 100);
        CHECK_INT_EQ(roost_batch_add(b, rec, (size_t)rl, 1700000000000 + i, pos,
                                     (size_t)pl, (uint64_t)i + 1,
                                     i % 7 == 3 ? ROOST_ELIMIT : 0),
                     0);
    }
    return b;
}

static void test_encode_round_trip(void)
{
    struct roost_batch *b = sample();
    struct roost_buf enc;
    roost_buf_init(&enc, 1 << 20);
    CHECK_INT_EQ(roost_buf_adds(&enc, "prefix"), 0);
    CHECK_INT_EQ(roost_batch_encode(b, &enc), 0);

    void *item = NULL;
    size_t bytes = 0;
    CHECK_INT_EQ(roost_batch_decode(enc.ptr + 6, enc.len - 6, &item, &bytes),
                 0);
    struct roost_batch *d = item;
    CHECK_STR_EQ(d->source, b->source);
    CHECK_INT_EQ(d->seq, 77);
    CHECK_INT_EQ(d->first_recv_ms, b->first_recv_ms);
    CHECK_INT_EQ(d->n_recs, b->n_recs);
    CHECK_INT_EQ(bytes, roost_batch_bytes(d));
    CHECK_INT_EQ(roost_batch_avail(d), roost_batch_avail(b));
    for (uint32_t i = 0; i < b->n_recs; i++) {
        CHECK(roost_str_eq(roost_batch_rec(d, i), roost_batch_rec(b, i)));
        CHECK(roost_str_eq(roost_batch_pos(d, i), roost_batch_pos(b, i)));
        CHECK_INT_EQ(d->recs[i].err, b->recs[i].err);
        CHECK_INT_EQ(d->recs[i].recv_ms, b->recs[i].recv_ms);
        CHECK_INT_EQ(d->recs[i].line, b->recs[i].line);
    }
    /* The decoded batch still works as a batch. */
    CHECK_INT_EQ(roost_batch_add(d, "more", 4, 1, "p", 1, 99, 0), 0);
    roost_batch_free_item(d);

    /* Every truncation and a few bit flips are refused, never read past. */
    for (size_t cut = 0; cut + 6 < enc.len; cut++) {
        item = NULL;
        CHECK_INT_EQ(roost_batch_decode(enc.ptr + 6, cut, &item, &bytes),
                     ROOST_EPARSE);
    }
    for (size_t at = 6; at < 60; at++) {
        enc.ptr[at] ^= 0x40;
        item = NULL;
        int rc = roost_batch_decode(enc.ptr + 6, enc.len - 6, &item, &bytes);
        if (rc == 0) {
            roost_batch_free(item);
        } else {
            CHECK_INT_EQ(rc, ROOST_EPARSE);
        }
        enc.ptr[at] ^= 0x40;
    }
    roost_buf_fini(&enc);
    roost_batch_free(b);
}

static void test_empty_round_trip(void)
{
    struct roost_batch *b = NULL;
    CHECK_INT_EQ(roost_batch_new("", 16, &b), 0);
    struct roost_buf enc;
    roost_buf_init(&enc, 1024);
    CHECK_INT_EQ(roost_batch_encode(b, &enc), 0);
    void *item = NULL;
    CHECK_INT_EQ(roost_batch_decode(enc.ptr, enc.len, &item, NULL), 0);
    CHECK_INT_EQ(((struct roost_batch *)item)->n_recs, 0);
    roost_batch_free(item);
    roost_buf_fini(&enc);
    roost_batch_free(b);
}

static void test_oom(void)
{
    for (uint64_t n = 0; n < 6; n++) {
        struct roost_batch *b = NULL;
        roost_mem_fault_after(n);
        int rc = roost_batch_new("s", 128, &b);
        if (rc == 0) {
            rc = roost_batch_add(b, "abc", 3, 1, "p", 1, 1, 0);
            roost_batch_free(b);
        }
        roost_mem_fault_after(0);
        CHECK(rc == 0 || rc == ROOST_ENOMEM);
    }
}

CHECK_LIST(test_add_and_views, test_many_small_records_bounded,
           test_encode_round_trip, test_empty_round_trip, test_oom);
