/* SPDX-License-Identifier: MIT
 *
 * test_backoff.c - X's reconnect rules, delay by delay.
 */
#include "check.h"
#include "source/backoff.h"

static void seq(struct roost_backoff *b, enum roost_backoff_kind k,
                const int64_t *want, int n)
{
    for (int i = 0; i < n; i++) {
        int64_t d = roost_backoff_next(b, k);
        CHECK_MSG(d == want[i], "%s step %d: %lld != %lld",
                  roost_backoff_kind_name(k), i, (long long)d,
                  (long long)want[i]);
    }
}

static void test_net_linear_250_to_16s(void)
{
    struct roost_backoff b;
    roost_backoff_init(&b, 1);
    int64_t want[70];
    for (int i = 0; i < 70; i++) {
        want[i] = (i + 1) * 250 < 16000 ? (i + 1) * 250 : 16000;
    }
    seq(&b, ROOST_BACKOFF_NET, want, 70);
    CHECK_INT_EQ(want[63], 16000);
    CHECK_INT_EQ(want[62], 15750);
}

static void test_http_exponential_5s_to_320s(void)
{
    struct roost_backoff b;
    roost_backoff_init(&b, 1);
    static const int64_t want[] = { 5000,   10000,  20000,  40000, 80000,
                                    160000, 320000, 320000, 320000 };
    seq(&b, ROOST_BACKOFF_HTTP, want, 9);
}

static void test_rate_exponential_from_60s(void)
{
    struct roost_backoff b;
    roost_backoff_init(&b, 1);
    static const int64_t want[] = { 60000,  120000, 240000,
                                    480000, 960000, 960000 };
    seq(&b, ROOST_BACKOFF_RATE, want, 6);
    CHECK_INT_EQ(roost_backoff_kind_of(420), ROOST_BACKOFF_RATE);
    CHECK_INT_EQ(roost_backoff_kind_of(429), ROOST_BACKOFF_RATE);
    CHECK_INT_EQ(roost_backoff_kind_of(503), ROOST_BACKOFF_HTTP);
    CHECK_INT_EQ(roost_backoff_kind_of(401), ROOST_BACKOFF_HTTP);
    CHECK_INT_EQ(roost_backoff_kind_of(0), ROOST_BACKOFF_NET);
    CHECK_INT_EQ(roost_backoff_kind_of(200), ROOST_BACKOFF_DROP);
}

static void test_drop_is_immediate_once(void)
{
    struct roost_backoff b;
    roost_backoff_init(&b, 1);
    roost_backoff_delivered(&b);
    CHECK_INT_EQ(roost_backoff_next(&b, ROOST_BACKOFF_DROP), 0);
    /* the immediate reconnect was refused: linear from the start */
    CHECK_INT_EQ(roost_backoff_next(&b, ROOST_BACKOFF_NET), 250);
    /* accepted, then dropped without a record: not established */
    CHECK_INT_EQ(roost_backoff_next(&b, ROOST_BACKOFF_DROP), 500);
    roost_backoff_delivered(&b);
    CHECK_INT_EQ(roost_backoff_next(&b, ROOST_BACKOFF_DROP), 0);
}

static void test_delivery_resets_every_class(void)
{
    struct roost_backoff b;
    roost_backoff_init(&b, 1);
    roost_backoff_next(&b, ROOST_BACKOFF_HTTP);
    roost_backoff_next(&b, ROOST_BACKOFF_HTTP);
    roost_backoff_next(&b, ROOST_BACKOFF_RATE);
    roost_backoff_next(&b, ROOST_BACKOFF_NET);
    /* classes count separately */
    CHECK_INT_EQ(roost_backoff_next(&b, ROOST_BACKOFF_HTTP), 20000);
    CHECK_INT_EQ(roost_backoff_next(&b, ROOST_BACKOFF_RATE), 120000);
    roost_backoff_delivered(&b);
    CHECK_INT_EQ(b.n_http, 0);
    CHECK_INT_EQ(roost_backoff_next(&b, ROOST_BACKOFF_DROP), 0);
    CHECK_INT_EQ(roost_backoff_next(&b, ROOST_BACKOFF_HTTP), 5000);
    CHECK_INT_EQ(roost_backoff_next(&b, ROOST_BACKOFF_RATE), 60000);
    CHECK_INT_EQ(roost_backoff_next(&b, ROOST_BACKOFF_NET), 250);
}

static void test_time_scale(void)
{
    struct roost_backoff b;
    roost_backoff_init(&b, 0.001);
    static const int64_t want[] = { 5, 10, 20, 40, 80, 160, 320, 320 };
    seq(&b, ROOST_BACKOFF_HTTP, want, 8);
    CHECK_INT_EQ(b.last_ms, 320000);
    static const int64_t rate[] = { 60, 120, 240 };
    seq(&b, ROOST_BACKOFF_RATE, rate, 3);
    roost_backoff_init(&b, 0);
    CHECK(b.scale == 1.0);
}

static void test_saturated_counts_do_not_overflow(void)
{
    struct roost_backoff b;
    roost_backoff_init(&b, 1);
    b.n_rate = UINT32_MAX - 1;
    b.n_http = UINT32_MAX;
    b.n_net = UINT32_MAX;
    CHECK_INT_EQ(roost_backoff_next(&b, ROOST_BACKOFF_RATE), 960000);
    CHECK_INT_EQ(roost_backoff_next(&b, ROOST_BACKOFF_RATE), 960000);
    CHECK_INT_EQ(roost_backoff_next(&b, ROOST_BACKOFF_HTTP), 320000);
    CHECK_INT_EQ(roost_backoff_next(&b, ROOST_BACKOFF_NET), 16000);
}

CHECK_LIST(test_net_linear_250_to_16s, test_http_exponential_5s_to_320s,
           test_rate_exponential_from_60s, test_drop_is_immediate_once,
           test_delivery_resets_every_class, test_time_scale,
           test_saturated_counts_do_not_overflow);
