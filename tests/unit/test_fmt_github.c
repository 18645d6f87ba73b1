/* SPDX-License-Identifier: MIT
 *
 * test_fmt_github.c - GitHub events as posts: detection, the repo as a
 * hashtag, the actor as author, text per event type, urls, bad events.
 */
#include "check.h"
#include "core/buf.h"
#include "parse/post_int.h"

static struct roost_norm norm;
static struct roost_json_doc doc;
static struct roost_diag diag;

#define ACTOR                                                                  \
    "\"actor\":{\"id\":583231,\"login\":\"octocat\",\"display_login\":"        \
    "\"octocat\",\"avatar_url\":\"https://avatars.example/u/583231\"},"
#define REPO "\"repo\":{\"id\":1296269,\"name\":\"octocat/Hello-World\"},"

static int run(const char *json)
{
    roost_norm_reset(&norm);
    memset(&diag, 0, sizeof(diag));
    CHECK(roost_json_parse(&doc, json, strlen(json), NULL) == 0);
    return roost_norm_record(&norm, &doc, json, strlen(json), ROOST_FMT_AUTO,
                             &diag);
}

static void setup(void)
{
    roost_norm_init(&norm);
    roost_json_doc_init(&doc, 0, 1u << 20);
}

static void teardown(void)
{
    roost_json_doc_fini(&doc);
    roost_norm_fini(&norm);
}

static void test_push_event(void)
{
    setup();
    const char *ev =
        "{\"id\":\"22249084947\",\"type\":\"PushEvent\"," ACTOR REPO
        "\"payload\":{\"ref\":\"refs/heads/main\",\"commits\":["
        "{\"sha\":\"a1\",\"message\":\"Fix the parser\"},"
        "{\"sha\":\"b2\",\"message\":\"Thanks @hubot, see "
        "https://example.com/x\"}]},"
        "\"public\":true,\"created_at\":\"2022-06-09T12:47:28Z\"}";
    CHECK_INT_EQ(roost_format_detect(&doc), ROOST_FMT_UNKNOWN); /* empty */
    CHECK_INT_EQ(run(ev), 0);
    CHECK_INT_EQ(roost_format_detect(&doc), ROOST_FMT_GITHUB);
    CHECK_INT_EQ(norm.n_posts, 1);
    const struct roost_post *p = &norm.posts[0];
    CHECK_INT_EQ(p->format, ROOST_FMT_GITHUB);
    CHECK_INT_EQ(p->platform, ROOST_PLATFORM_GITHUB);
    CHECK_MEM_EQ(p->id.ptr, p->id.len, "22249084947");
    CHECK_MEM_EQ(p->text.ptr, p->text.len,
                 "Fix the parser\n\nThanks @hubot, see https://example.com/x");
    CHECK_MEM_EQ(p->author.id.ptr, p->author.id.len, "583231");
    CHECK_MEM_EQ(p->author.handle.ptr, p->author.handle.len, "octocat");
    CHECK_MEM_EQ(p->source.ptr, p->source.len, "PushEvent");
    CHECK_MEM_EQ(p->url.ptr, p->url.len,
                 "https://github.com/octocat/Hello-World");
    CHECK_INT_EQ(p->n_hashtags, 1);
    CHECK_MEM_EQ(p->hashtags[0].text.ptr, p->hashtags[0].text.len,
                 "octocat/Hello-World");
    CHECK_INT_EQ(p->hashtags[0].start, ROOST_NO_INDEX);
    CHECK_INT_EQ(p->n_mentions, 1);
    CHECK_INT_EQ(p->n_urls, 1);
    CHECK(p->created_at_ms == 1654778848000ll);
    CHECK_STR_EQ(roost_format_name(ROOST_FMT_GITHUB), "github");
    CHECK_STR_EQ(roost_platform_name(ROOST_PLATFORM_GITHUB), "github");
    teardown();
}

static void test_issue_comment_and_pr(void)
{
    setup();
    CHECK_INT_EQ(run("{\"id\":\"1\",\"type\":\"IssuesEvent\"," ACTOR REPO
                     "\"payload\":{\"action\":\"opened\",\"issue\":{"
                     "\"title\":\"Crash\",\"body\":\"on start\","
                     "\"html_url\":\"https://github.com/o/r/issues/3\"}},"
                     "\"created_at\":\"2022-06-09T12:47:28Z\"}"),
                 0);
    CHECK_MEM_EQ(norm.posts[0].text.ptr, norm.posts[0].text.len,
                 "Crash\n\non start");
    CHECK_MEM_EQ(norm.posts[0].url.ptr, norm.posts[0].url.len,
                 "https://github.com/o/r/issues/3");
    CHECK_INT_EQ(run("{\"id\":\"2\",\"type\":\"IssueCommentEvent\"," ACTOR REPO
                     "\"payload\":{\"comment\":{\"body\":\"Me too\"}},"
                     "\"created_at\":\"2022-06-09T12:47:28Z\"}"),
                 0);
    CHECK_MEM_EQ(norm.posts[0].text.ptr, norm.posts[0].text.len, "Me too");
    CHECK_INT_EQ(run("{\"id\":\"3\",\"type\":\"PullRequestEvent\"," ACTOR REPO
                     "\"payload\":{\"pull_request\":{\"title\":\"Add x\","
                     "\"body\":null}},"
                     "\"created_at\":\"2022-06-09T12:47:28Z\"}"),
                 0);
    CHECK_MEM_EQ(norm.posts[0].text.ptr, norm.posts[0].text.len, "Add x");
    CHECK_INT_EQ(run("{\"id\":\"4\",\"type\":\"WatchEvent\"," ACTOR REPO
                     "\"payload\":{\"action\":\"started\"},"
                     "\"created_at\":\"2022-06-09T12:47:28Z\"}"),
                 0);
    CHECK_INT_EQ(norm.posts[0].text.len, 0);
    CHECK_INT_EQ(norm.posts[0].n_hashtags, 1);
    teardown();
}

static void test_bad_event(void)
{
    setup();
    /* no repo name: EPARSE, nothing appended */
    const char *ev = "{\"id\":\"1\",\"type\":\"PushEvent\"," ACTOR
                     "\"repo\":{\"id\":1},\"payload\":{},"
                     "\"created_at\":\"2022-06-09T12:47:28Z\"}";
    CHECK_INT_EQ(run(ev), ROOST_EPARSE);
    CHECK_INT_EQ(norm.n_posts, 0);
    CHECK(strstr(diag.msg, "github") != NULL);
    /* a Mastodon notification (type + account) is still Mastodon */
    const char *note = "{\"type\":\"mention\",\"account\":{},"
                       "\"created_at\":\"x\",\"id\":\"1\"}";
    CHECK(roost_json_parse(&doc, note, strlen(note), NULL) == 0);
    CHECK_INT_EQ(roost_format_detect(&doc), ROOST_FMT_MASTODON);
    teardown();
}

static void test_long_push_truncated(void)
{
    setup();
    struct roost_buf b;
    roost_buf_init(&b, 1u << 22);
    roost_buf_adds(&b, "{\"id\":\"9\",\"type\":\"PushEvent\"," ACTOR REPO
                       "\"payload\":{\"commits\":[");
    for (int i = 0; i < 20; i++) {
        roost_buf_printf(&b, "%s{\"message\":\"", i ? "," : "");
        for (int k = 0; k < 4000; k++) {
            roost_buf_adds(&b, "\xc3\xa9"); /* é */
        }
        roost_buf_adds(&b, "\"}");
    }
    roost_buf_adds(&b, "]},\"created_at\":\"2022-06-09T12:47:28Z\"}");
    CHECK_INT_EQ(run(b.ptr), 0);
    const struct roost_post *p = &norm.posts[0];
    CHECK(p->truncated);
    CHECK(p->text.len <= 64u << 10);
    CHECK(roost_utf8_valid(p->text.ptr, p->text.len));
    roost_buf_fini(&b);
    teardown();
}

CHECK_LIST(test_push_event, test_issue_comment_and_pr, test_bad_event,
           test_long_push_truncated);
