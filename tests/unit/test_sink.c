/* SPDX-License-Identifier: MIT
 *
 * test_sink.c - the sink registry, spec parsing, option errors, help, and
 * the retrying write (EAGAIN retried with backoff, errors rejected).
 */
#include <stdio.h>
#include <time.h>

#include "check.h"
#include "core/mem.h"
#include "store/sink.h"

static void test_registry(void)
{
    const struct roost_sink_ops *const *list = roost_sink_list();
    bool sqlite = false;
    size_t n = 0;
    for (; list[n] != NULL; n++) {
        sqlite = sqlite || strcmp(list[n]->name, "sqlite") == 0;
        CHECK(list[n]->open != NULL && list[n]->write != NULL &&
              list[n]->close != NULL && list[n]->summary != NULL);
        CHECK(roost_sink_find(list[n]->name) == list[n]);
    }
    CHECK(n >= 1 && sqlite);
    CHECK(roost_sink_find("nope") == NULL);
}

static void test_spec_parsing(void)
{
    struct roost_sink *s = NULL;
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    CHECK_INT_EQ(roost_sink_new("sqlite:/tmp/x%20y.db?fts=false&name=st&"
                                "max-retries=2&retry-base=1s",
                                &s, &d),
                 0);
    CHECK_STR_EQ(s->name, "st");
    CHECK_STR_EQ(s->arg, "/tmp/x%20y.db"); /* the ARG is verbatim */
    CHECK_INT_EQ(s->max_retries, 2);
    CHECK_INT_EQ(s->retry_base_ms, 1000);
    CHECK(!s->is_open);
    roost_sink_free(s);

    /* URLs keep their "//" and their own ':' */
    CHECK_INT_EQ(roost_sink_new("sqlite:file://a:b/c", &s, &d), 0);
    CHECK_STR_EQ(s->arg, "file://a:b/c");
    CHECK_STR_EQ(s->name, "sqlite");
    CHECK_INT_EQ(s->max_retries, 5);
    CHECK_INT_EQ(s->retry_base_ms, 100);
    roost_sink_free(s);

    CHECK_INT_EQ(roost_sink_new("sqlite", &s, &d), 0);
    CHECK(s->arg == NULL);
    roost_sink_free(s);
}

static void test_option_errors(void)
{
    struct roost_sink *s = NULL;
    struct roost_diag d;

    memset(&d, 0, sizeof(d));
    CHECK_INT_EQ(roost_sink_new("nosuch:/x", &s, &d), ROOST_ENOENT);
    CHECK(strstr(d.msg, "unknown sink 'nosuch'") != NULL);
    CHECK(strstr(d.msg, "sqlite") != NULL);

    memset(&d, 0, sizeof(d));
    CHECK_INT_EQ(roost_sink_new("sqlite:/x?colour=red", &s, &d), ROOST_EINVAL);
    CHECK(strstr(d.msg, "'colour'") != NULL);
    CHECK(strstr(d.msg, "fts") != NULL && strstr(d.msg, "max-retries"));

    memset(&d, 0, sizeof(d));
    CHECK_INT_EQ(roost_sink_new("sqlite:/x?fts=maybe", &s, &d), ROOST_EINVAL);
    CHECK(strstr(d.msg, "fts") != NULL);

    CHECK_INT_EQ(roost_sink_new("", &s, &d), ROOST_EINVAL);
    CHECK_INT_EQ(roost_sink_new("sq lite", &s, &d), ROOST_EINVAL);
    CHECK_INT_EQ(roost_sink_new("sqlite:/x?%zz=1", &s, &d), ROOST_EINVAL);
    CHECK_INT_EQ(roost_sink_new("sqlite:/x?max-retries=-1", &s, &d),
                 ROOST_EINVAL);
    char longname[200];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    char spec[300];
    snprintf(spec, sizeof(spec), "sqlite:/x?name=%s", longname);
    CHECK_INT_EQ(roost_sink_new(spec, &s, &d), ROOST_EINVAL);
}

static void test_oom(void)
{
    /* Every allocation failing in turn: an error, never a crash or leak. */
    for (uint64_t n = 0; n < 12; n++) {
        struct roost_sink *s = NULL;
        roost_mem_fault_after(n);
        int rc = roost_sink_new("sqlite:/tmp/x.db?name=a&fts=false", &s, NULL);
        roost_mem_fault_after(0);
        if (rc == 0) {
            roost_sink_free(s);
        } else {
            CHECK(rc == ROOST_ENOMEM || rc == ROOST_EINVAL);
        }
    }
}

static void test_help(void)
{
    struct roost_buf b;
    roost_buf_init(&b, 1 << 16);
    CHECK_INT_EQ(roost_sink_help(roost_sink_find("sqlite"), &b), 0);
    CHECK(strncmp(b.ptr, "sqlite - ", 9) == 0);
    CHECK(strstr(b.ptr, "fts") != NULL);
    CHECK(strstr(b.ptr, "synchronous") != NULL);
    CHECK(strstr(b.ptr, "max-retries") != NULL);
    roost_buf_fini(&b);
}

/* ---- the retrying write, with a scripted sink ---------------------------- */

struct script {
    int answers[16]; /* what write returns, call by call; then 0 */
    int n_answers;
    int n_calls;
};

static int script_write(struct roost_sink *sink,
                        const struct roost_sink_batch *b)
{
    struct script *s = sink->ctx;
    (void)b;
    int rc = s->n_calls < s->n_answers ? s->answers[s->n_calls] : 0;
    s->n_calls++;
    if (rc < 0) {
        roost_diag_set(&sink->diag, rc, 0, "scripted failure %d", s->n_calls);
    }
    return rc;
}

static const struct roost_sink_ops script_ops = {
    .name = "script",
    .summary = "test",
    .write = script_write,
};

static void scripted(struct roost_sink *sink, struct script *s)
{
    memset(sink, 0, sizeof(*sink));
    sink->ops = &script_ops;
    snprintf(sink->name, sizeof(sink->name), "script");
    sink->ctx = s;
    sink->max_retries = 3;
    sink->retry_base_ms = 0; /* no sleeping in tests */
    sink->is_open = true;
}

static void test_write_retries(void)
{
    struct roost_post posts[2];
    memset(posts, 0, sizeof(posts));
    struct roost_sink_batch b = { .posts = posts, .n_posts = 2 };
    struct script s = { .answers = { ROOST_EAGAIN, ROOST_EAGAIN },
                        .n_answers = 2 };
    struct roost_sink sink;
    scripted(&sink, &s);
    CHECK_INT_EQ(roost_sink_write(&sink, &b), 0);
    CHECK_INT_EQ(s.n_calls, 3);
    CHECK_INT_EQ(sink.stats.n_retries, 2);
    CHECK_INT_EQ(sink.stats.n_posts, 2);
    CHECK_INT_EQ(sink.stats.n_batches, 1);
    CHECK_INT_EQ(sink.stats.n_rejected, 0);

    /* More EAGAINs than retries: rejected with the last answer. */
    struct script s2 = { .answers = { ROOST_EAGAIN, ROOST_EAGAIN, ROOST_EAGAIN,
                                      ROOST_EAGAIN, ROOST_EAGAIN },
                         .n_answers = 5 };
    scripted(&sink, &s2);
    CHECK_INT_EQ(roost_sink_write(&sink, &b), ROOST_EAGAIN);
    CHECK_INT_EQ(s2.n_calls, 4);
    CHECK_INT_EQ(sink.stats.n_rejected, 2);
    CHECK(strstr(sink.diag.msg, "scripted failure 4") != NULL);
}

static void test_write_backoff_sleeps(void)
{
    struct roost_sink_batch b = { 0 };
    struct script s = { .answers = { ROOST_EAGAIN, ROOST_EAGAIN },
                        .n_answers = 2 };
    struct roost_sink sink;
    scripted(&sink, &s);
    sink.retry_base_ms = 20; /* 20 + 40 ms */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_INT_EQ(roost_sink_write(&sink, &b), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
                (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    CHECK_MSG(ms >= 55 && ms < 2000, "slept %.1f ms", ms);
}

static void test_write_errors_not_retried(void)
{
    struct roost_post post;
    memset(&post, 0, sizeof(post));
    struct roost_sink_batch b = { .posts = &post, .n_posts = 1 };
    struct script s = { .answers = { ROOST_EIO }, .n_answers = 1 };
    struct roost_sink sink;
    scripted(&sink, &s);
    CHECK_INT_EQ(roost_sink_write(&sink, &b), ROOST_EIO);
    CHECK_INT_EQ(s.n_calls, 1);
    CHECK_INT_EQ(sink.stats.n_retries, 0);
    CHECK_INT_EQ(sink.stats.n_rejected, 1);
    CHECK(strstr(sink.diag.msg, "scripted failure") != NULL);
}

static void test_open_failure(void)
{
    struct roost_sink *s = NULL;
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    CHECK_INT_EQ(roost_sink_new("sqlite:/nonexistent-dir/x/y.db", &s, &d), 0);
    CHECK(roost_sink_open(s, &d) < 0);
    CHECK(strstr(d.msg, "sink sqlite:") != NULL);
    CHECK(!s->is_open);
    roost_sink_free(s);

    CHECK_INT_EQ(roost_sink_new("sqlite", &s, &d), 0);
    CHECK_INT_EQ(roost_sink_open(s, &d), ROOST_EINVAL);
    CHECK(strstr(d.msg, "sqlite:PATH") != NULL);
    roost_sink_free(s);
}

CHECK_LIST(test_registry, test_spec_parsing, test_option_errors, test_oom,
           test_help, test_write_retries, test_write_backoff_sleeps,
           test_write_errors_not_retried, test_open_failure);
