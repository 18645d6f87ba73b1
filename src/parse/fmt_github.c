/* SPDX-License-Identifier: MIT
 *
 * fmt_github.c - GitHub events (REST /events, /repos/{o}/{r}/events) as
 * posts.
 *
 * An event is {"id", "type", "actor", "repo", "payload", "created_at",
 * "public", "org"?}. Every event becomes one post: GitHub's activity is
 * the stream, the way a timeline is, and counting events per repo or
 * per actor is the point of collecting them.
 *
 *   id          the event id (a string of digits)
 *   created_at  created_at
 *   author      actor: id, login (handle), display_login (name),
 *               avatar_url
 *   hashtags    the repo's full name "owner/name", without offsets: the
 *               repo is the topic, as the book's GitHub source tags it
 *   source      the event type ("PushEvent", "IssuesEvent"...): the model
 *               has no event-kind field, and this is the nearest meaning
 *   url         html_url of the issue, pull request, comment or release
 *               when the payload has one, else https://github.com/<repo>
 *   text        what people wrote, by type:
 *     PushEvent                      commit messages, one per line group
 *                                    ("\n\n" between commits)
 *     IssuesEvent, PullRequestEvent  the title, a blank line, the body
 *     IssueCommentEvent, CommitCommentEvent,
 *     PullRequestReviewCommentEvent  comment.body
 *     PullRequestReviewEvent         review.body
 *     ReleaseEvent                   release.name, blank line, release.body
 *     DiscussionEvent                discussion.title, blank line, body
 *     CreateEvent, DeleteEvent       payload.description, else empty
 *     anything else (WatchEvent, ForkEvent, MemberEvent, PublicEvent...)
 *                                    empty: the event is the content
 * Mentions and URLs in the text are extracted like any text (the payloads
 * carry no entities). Text is capped at MAX_TEXT_BYTES (a push carries up
 * to 20 commits); longer text is cut on a UTF-8 boundary and `truncated`
 * is set.
 */
#include <string.h>

#include "core/buf.h"
#include "parse/post_int.h"

#define MAX_TEXT_BYTES (64u << 10)

static struct roost_str get_str(const struct roost_json_doc *d, uint32_t obj,
                                const char *key)
{
    return roost_json_str(d, roost_json_get(d, obj, key));
}

static bool str_eq(struct roost_str s, const char *c)
{
    return s.ptr != NULL && roost_str_eq_cstr(s, c);
}

/* add_part - append s to b, separated from what is there by "\n\n". */
static int add_part(struct roost_buf *b, struct roost_str s)
{
    if (s.ptr == NULL || s.len == 0) {
        return 0;
    }
    int rc = 0;
    if (b->len > 0) {
        rc = roost_buf_add(b, "\n\n", 2);
    }
    return rc == 0 ? roost_buf_add(b, s.ptr, s.len) : rc;
}

/* build_text - see the header comment. ELIMIT means "cut". */
static int build_text(const struct roost_json_doc *d, uint32_t payload,
                      struct roost_str type, struct roost_buf *b,
                      uint32_t *url_tok)
{
    static const struct {
        const char *type;
        const char *obj;   /* member of payload holding the text */
        const char *title; /* its title-like field, or NULL */
        const char *body;  /* its body-like field */
    } kinds[] = {
        { "IssuesEvent", "issue", "title", "body" },
        { "PullRequestEvent", "pull_request", "title", "body" },
        { "IssueCommentEvent", "comment", NULL, "body" },
        { "CommitCommentEvent", "comment", NULL, "body" },
        { "PullRequestReviewCommentEvent", "comment", NULL, "body" },
        { "PullRequestReviewEvent", "review", NULL, "body" },
        { "ReleaseEvent", "release", "name", "body" },
        { "DiscussionEvent", "discussion", "title", "body" },
    };
    *url_tok = ROOST_JSON_NONE;
    if (str_eq(type, "PushEvent")) {
        uint32_t commits = roost_json_get(d, payload, "commits");
        if (!roost_json_is(d, commits, ROOST_JSON_ARRAY)) {
            return 0;
        }
        int rc = 0;
        for (uint32_t i = commits + 1; i < d->toks[commits].next && rc == 0;
             i = roost_json_next_sibling(d, i)) {
            rc = add_part(b, get_str(d, i, "message"));
        }
        return rc;
    }
    if (str_eq(type, "CreateEvent") || str_eq(type, "DeleteEvent")) {
        return add_part(b, get_str(d, payload, "description"));
    }
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        if (!str_eq(type, kinds[k].type)) {
            continue;
        }
        uint32_t o = roost_json_get(d, payload, kinds[k].obj);
        if (!roost_json_is(d, o, ROOST_JSON_OBJECT)) {
            return 0;
        }
        *url_tok = roost_json_get(d, o, "html_url");
        int rc = 0;
        if (kinds[k].title != NULL) {
            rc = add_part(b, get_str(d, o, kinds[k].title));
        }
        return rc == 0 ? add_part(b, get_str(d, o, kinds[k].body)) : rc;
    }
    return 0;
}

/* cut_utf8 - the longest prefix of b that ends on a character boundary. */
static size_t cut_utf8(const struct roost_buf *b)
{
    size_t n = b->len;
    while (n > 0 && ((unsigned char)b->ptr[n - 1] & 0xC0) == 0x80) {
        n--;
    }
    if (n > 0 && ((unsigned char)b->ptr[n - 1] & 0x80) != 0) {
        n--; /* a lead byte whose sequence was cut */
    }
    return roost_utf8_valid(b->ptr, n) ? n : 0;
}

static int fill(struct roost_norm *n, const struct roost_json_doc *d,
                uint32_t root, struct roost_post *p, struct roost_buf *b,
                struct roost_diag *diag)
{
    struct roost_str type = get_str(d, root, "type");
    uint32_t actor = roost_json_get(d, root, "actor");
    uint32_t repo = roost_json_get(d, root, "repo");
    uint32_t payload = roost_json_get(d, root, "payload");
    struct roost_str repo_name = get_str(d, repo, "name");
    p->format = ROOST_FMT_GITHUB;
    p->platform = ROOST_PLATFORM_GITHUB;
    p->id = roost__norm_text(n, d, roost_json_get(d, root, "id"));
    p->created_at_ms =
        roost__norm_time(d, roost_json_get(d, root, "created_at"));
    p->source = roost__norm_str(n, d, roost_json_get(d, root, "type"));
    p->author.id = roost__norm_text(n, d, roost_json_get(d, actor, "id"));
    p->author.handle = roost__norm_str(n, d, roost_json_get(d, actor, "login"));
    p->author.name =
        roost__norm_str(n, d, roost_json_get(d, actor, "display_login"));
    p->author.profile_image_url =
        roost__norm_str(n, d, roost_json_get(d, actor, "avatar_url"));
    if (p->id.ptr == NULL || type.ptr == NULL || repo_name.ptr == NULL) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EPARSE), 0,
                              "github: event without id, type or repo.name");
    }
    struct roost_entity *e =
        roost__norm_push(n, (void **)&p->hashtags, &p->n_hashtags, sizeof(*e));
    if (e == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    e->text = roost__norm_stable(n, repo_name);
    e->start = e->end = ROOST_NO_INDEX;

    uint32_t url_tok = ROOST_JSON_NONE;
    int rc = build_text(d, payload, type, b, &url_tok);
    if (rc == ROOST_ELIMIT) {
        p->truncated = true;
        b->len = cut_utf8(b);
    } else if (rc < 0) {
        return rc;
    }
    if (b->len > 0) {
        p->text = roost__norm_dup(n, b->ptr, b->len);
        if (p->text.ptr == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
    } else {
        p->text = roost_str_make("", 0);
    }
    p->url = roost__norm_str(n, d, url_tok);
    if (p->url.ptr == NULL) {
        struct roost_buf u;
        roost_buf_init(&u, 1024);
        rc = roost_buf_printf(&u, "https://github.com/%.*s", (int)repo_name.len,
                              repo_name.ptr);
        if (rc == 0) {
            p->url = roost__norm_dup(n, u.ptr, u.len);
        }
        roost_buf_fini(&u);
        if (p->url.ptr == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
    }
    return 0;
}

int roost__fmt_github(struct roost_norm *n, const struct roost_json_doc *d,
                      uint32_t root, struct roost_diag *diag)
{
    if (!roost_json_is(d, root, ROOST_JSON_OBJECT)) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EPARSE), 0,
                              "github: an event is an object");
    }
    struct roost_post *p = roost__norm_add_post(n);
    if (p == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    struct roost_buf b;
    roost_buf_init(&b, MAX_TEXT_BYTES);
    int rc = fill(n, d, root, p, &b, diag);
    roost_buf_fini(&b);
    if (rc < 0) {
        n->n_posts--;
    }
    return rc;
}
