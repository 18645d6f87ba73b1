/* SPDX-License-Identifier: MIT
 *
 * test_entities.c - entity extraction and weighted length.
 *
 * Hand-written cases pin the tricky rules; the conformance tests run every
 * case of twitter-text's extract.yml, tlds.yml and validate.yml (their JSON
 * copies under $ROOST_SHARED_DATA/twitter-text-conformance/derived-json)
 * and demand 100 %. A small JSON reader lives here so the test does not
 * depend on the JSON module under construction.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/str.h"
#include "parse/entities.h"
#include "parse/entities_int.h"

/* ---- a tiny JSON reader (test code: malloc, abort on nonsense) ----------- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
    enum jtype type;
    bool b;
    double num;
    char *str; /* J_STR, NUL-terminated UTF-8 */
    size_t slen;
    size_t n;           /* J_ARR, J_OBJ */
    struct jval **kids; /* J_ARR, J_OBJ values */
    char **keys;        /* J_OBJ */
};

struct jp {
    const char *s;
    size_t i, n;
};

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    CHECK(q != NULL);
    return q;
}

static void jws(struct jp *p)
{
    while (p->i < p->n && strchr(" \t\r\n", p->s[p->i]) != NULL) {
        p->i++;
    }
}

static unsigned jhex4(struct jp *p)
{
    unsigned v = 0;
    CHECK(p->n - p->i >= 4);
    for (int k = 0; k < 4; k++) {
        char c = p->s[p->i++];
        v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

static char *jstring(struct jp *p, size_t *len)
{
    size_t cap = 16, n = 0;
    char *out = xrealloc(NULL, cap);
    CHECK(p->s[p->i] == '"');
    p->i++;
    for (;;) {
        CHECK(p->i < p->n);
        char c = p->s[p->i++];
        if (n + 8 > cap) {
            cap *= 2;
            out = xrealloc(out, cap);
        }
        if (c == '"') {
            break;
        }
        if (c != '\\') {
            out[n++] = c;
            continue;
        }
        c = p->s[p->i++];
        switch (c) {
        case 'n':
            out[n++] = '\n';
            break;
        case 't':
            out[n++] = '\t';
            break;
        case 'r':
            out[n++] = '\r';
            break;
        case 'b':
            out[n++] = '\b';
            break;
        case 'f':
            out[n++] = '\f';
            break;
        case 'u': {
            uint32_t cp = jhex4(p);
            if (cp >= 0xD800 && cp < 0xDC00 && p->s[p->i] == '\\' &&
                p->s[p->i + 1] == 'u') {
                p->i += 2;
                uint32_t lo = jhex4(p);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            n += roost_utf8_encode(cp, out + n);
            break;
        }
        default:
            out[n++] = c;
            break;
        }
    }
    out[n] = '\0';
    *len = n;
    return out;
}

static struct jval *jparse(struct jp *p)
{
    struct jval *v = calloc(1, sizeof(*v));
    CHECK(v != NULL);
    jws(p);
    CHECK(p->i < p->n);
    char c = p->s[p->i];
    if (c == '{' || c == '[') {
        v->type = c == '{' ? J_OBJ : J_ARR;
        p->i++;
        jws(p);
        if (p->s[p->i] == (c == '{' ? '}' : ']')) {
            p->i++;
            return v;
        }
        for (;;) {
            v->kids = xrealloc(v->kids, (v->n + 1) * sizeof(*v->kids));
            if (c == '{') {
                size_t kl;
                v->keys = xrealloc(v->keys, (v->n + 1) * sizeof(*v->keys));
                jws(p);
                v->keys[v->n] = jstring(p, &kl);
                jws(p);
                CHECK(p->s[p->i] == ':');
                p->i++;
            }
            v->kids[v->n++] = jparse(p);
            jws(p);
            if (p->s[p->i] == ',') {
                p->i++;
                continue;
            }
            CHECK(p->s[p->i] == (c == '{' ? '}' : ']'));
            p->i++;
            return v;
        }
    }
    if (c == '"') {
        v->type = J_STR;
        v->str = jstring(p, &v->slen);
    } else if (strncmp(p->s + p->i, "true", 4) == 0) {
        v->type = J_BOOL;
        v->b = true;
        p->i += 4;
    } else if (strncmp(p->s + p->i, "false", 5) == 0) {
        v->type = J_BOOL;
        p->i += 5;
    } else if (strncmp(p->s + p->i, "null", 4) == 0) {
        v->type = J_NULL;
        p->i += 4;
    } else {
        char *end;
        v->type = J_NUM;
        v->num = strtod(p->s + p->i, &end);
        CHECK(end != p->s + p->i);
        p->i = (size_t)(end - p->s);
    }
    return v;
}

static const struct jval *jget(const struct jval *o, const char *key)
{
    if (o == NULL || o->type != J_OBJ) {
        return NULL;
    }
    for (size_t i = 0; i < o->n; i++) {
        if (strcmp(o->keys[i], key) == 0) {
            return o->kids[i];
        }
    }
    return NULL;
}

/* Load $ROOST_SHARED_DATA/twitter-text-conformance/derived-json/<name>. */
static struct jval *load_suite(const char *name)
{
    const char *dir = check_data_dir();
    if (dir == NULL) {
        CHECK_SKIP("ROOST_SHARED_DATA is not set; no twitter-text suite");
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/twitter-text-conformance/derived-json/%s",
             dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        CHECK_SKIP("%s is absent", path);
    }
    size_t cap = 1 << 16, n = 0, k;
    char *buf = xrealloc(NULL, cap);
    while ((k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
    }
    fclose(f);
    struct jp p = { buf, 0, n };
    return jparse(&p);
}

/* ---- helpers ------------------------------------------------------------- */

#define MAXE 64

static int extract(const char *s, unsigned kinds, struct roost_extracted *ex)
{
    int n = roost_entities_extract(s, strlen(s), kinds, ex, MAXE);
    CHECK(n >= 0 && n <= MAXE);
    return n;
}

/* Entities of one kind in s as "value@start-end" joined by spaces. */
static const char *show(const char *s, unsigned kinds)
{
    static char out[4096];
    struct roost_extracted ex[MAXE];
    int n = extract(s, kinds, ex);
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; i < n && o < sizeof(out) - 64; i++) {
        int w = snprintf(
            out + o, sizeof(out) - o, "%s%.*s%.*s@%u-%u", i ? " " : "",
            (int)ex[i].value_len, s + ex[i].value_off, (int)ex[i].list_len,
            s + ex[i].list_off, (unsigned)ex[i].start, (unsigned)ex[i].end);
        o += (size_t)w;
    }
    return out;
}

/* ---- hand-written cases -------------------------------------------------- */

static void test_hashtags(void)
{
    CHECK_STR_EQ(show("#tag x #Ünïcödé, #123 #a1", ROOST_ENT_HASHTAG),
                 "tag@0-4 Ünïcödé@7-15 a1@22-25");
    CHECK_STR_EQ(show("a#b &#39; #x#y #日本語。", ROOST_ENT_HASHTAG),
                 "日本語@15-19");
    CHECK_STR_EQ(show("＃全角 #️⃣ #http://x.com", ROOST_ENT_HASHTAG),
                 "全角@0-3");
    CHECK_STR_EQ(show("##tag", ROOST_ENT_HASHTAG), "tag@1-5");
}

static void test_mentions(void)
{
    CHECK_STR_EQ(show("@a @b/list-1 x@y RT@z @c@d", ROOST_ENT_MENTION),
                 "a@0-2 b/list-1@3-12 z@19-21");
    /* 21 name characters: twitter-text keeps the first 20 */
    CHECK_STR_EQ(show("@abcdefghijklmnopqrstu", ROOST_ENT_MENTION),
                 "abcdefghijklmnopqrst@0-21");
    CHECK_STR_EQ(show("＠全角 ＠ab", ROOST_ENT_MENTION), "ab@4-7");
}

static void test_cashtags(void)
{
    CHECK_STR_EQ(show("$AAPL, $BRK.A $abc.def $toolong", ROOST_ENT_CASHTAG),
                 "AAPL@0-5 BRK.A@7-13 abc@14-18");
}

static void test_urls(void)
{
    CHECK_STR_EQ(show("see https://t.co/abc?x=1#y.", ROOST_ENT_URL),
                 "https://t.co/abc?x=1#y@4-26");
    CHECK_STR_EQ(show("(example.com/a_(b)) x.co", ROOST_ENT_URL),
                 "example.com/a_(b)@1-18 x.co@20-24");
    CHECK_STR_EQ(show("http://例え.みんな/パス", ROOST_ENT_URL),
                 "http://例え.みんな/@0-14");
    CHECK_STR_EQ(show("mail a@b.com", ROOST_ENT_URL), "");
}

static void test_overlaps(void)
{
    CHECK_STR_EQ(show("http://x.com/#tag @u #t", ROOST_ENT_ALL),
                 "http://x.com/#tag@0-17 u@18-20 t@21-23");
    CHECK_STR_EQ(show("http://x.com/#tag", ROOST_ENT_HASHTAG), "");
}

static void test_limits(void)
{
    struct roost_extracted ex[1];
    const char *s = "#a #b #c";
    CHECK_INT_EQ(roost_entities_extract(s, strlen(s), ROOST_ENT_ALL, ex, 1), 3);
    CHECK_INT_EQ(ex[0].end, 2);
    CHECK_INT_EQ(roost_entities_extract(s, strlen(s), ROOST_ENT_ALL, NULL, 0),
                 3);
    CHECK(roost_entities_extract("\xff#a", 3, ROOST_ENT_ALL, ex, 1) < 0);
    CHECK_INT_EQ(roost_entities_extract("", 0, ROOST_ENT_ALL, ex, 1), 0);
}

static void test_linear(void)
{
    /* pathological inputs must not go quadratic */
    size_t n = 1 << 18;
    char *s = malloc(n + 1);
    CHECK(s != NULL);
    const char *pat[] = { "a.", "あ", "a-", "#", "@", "$A ", "a.b_" };
    for (size_t p = 0; p < sizeof(pat) / sizeof(pat[0]); p++) {
        size_t k = strlen(pat[p]), i = 0;
        for (; i + k <= n; i += k) {
            memcpy(s + i, pat[p], k);
        }
        s[i] = '\0';
        CHECK(roost_entities_extract(s, i, ROOST_ENT_ALL, NULL, 0) >= 0);
    }
    free(s);
}

static void test_reply(void)
{
    size_t off = 0, len = 0;
    CHECK(roost_entities_reply("  @bob hi", 9, &off, &len));
    CHECK_INT_EQ(off, 3);
    CHECK_INT_EQ(len, 3);
    CHECK(!roost_entities_reply(".@bob", 5, &off, &len));
    CHECK(!roost_entities_reply("@bob@x", 6, &off, &len));
}

static void test_validators(void)
{
    CHECK(roost_entities_is_valid_username("@a_b", 4));
    CHECK(!roost_entities_is_valid_username("@a-b", 4));
    CHECK(roost_entities_is_valid_list("@a/b", 4));
    CHECK(roost_entities_is_valid_hashtag("#a1", 3));
    CHECK(!roost_entities_is_valid_hashtag("#1", 2));
    CHECK(roost_entities_is_valid_url("http://[::1]:8/", 15, true));
    CHECK(!roost_entities_is_valid_url("http://01.2.3.4/", 16, true));
}

/* ---- conformance: extract.yml / tlds.yml --------------------------------- */

struct section {
    const char *name;
    unsigned kind;
    const char *field; /* value key of *_with_indices objects */
};

static const struct section extract_sections[] = {
    { "mentions", ROOST_ENT_MENTION, NULL },
    { "mentions_with_indices", ROOST_ENT_MENTION, "screen_name" },
    { "mentions_or_lists_with_indices", ROOST_ENT_MENTION, "screen_name" },
    { "replies", 0, NULL },
    { "urls", ROOST_ENT_URL, NULL },
    { "urls_with_indices", ROOST_ENT_URL, "url" },
    { "urls_with_directional_markers", ROOST_ENT_URL, "url" },
    { "tco_urls_with_params", ROOST_ENT_URL, NULL },
    { "hashtags", ROOST_ENT_HASHTAG, NULL },
    { "hashtags_from_astral", ROOST_ENT_HASHTAG, NULL },
    { "hashtags_with_indices", ROOST_ENT_HASHTAG, "hashtag" },
    { "cashtags", ROOST_ENT_CASHTAG, NULL },
    { "cashtags_with_indices", ROOST_ENT_CASHTAG, "cashtag" },
    { "country", ROOST_ENT_URL, NULL }, /* tlds.yml */
    { "generic", ROOST_ENT_URL, NULL },
};

static bool mem_is(const char *p, size_t len, const char *s, size_t slen)
{
    return len == slen && memcmp(p, s, len) == 0;
}

static bool run_extract_case(const struct section *sec, const char *text,
                             size_t len, const struct jval *exp)
{
    if (sec->kind == 0) {
        size_t off, nl;
        bool got = roost_entities_reply(text, len, &off, &nl);
        if (exp->type == J_NULL) {
            return !got;
        }
        return got && mem_is(text + off, nl, exp->str, exp->slen);
    }
    struct roost_extracted ex[MAXE];
    int n = roost_entities_extract(text, len, sec->kind, ex, MAXE);
    bool lists = strcmp(sec->name, "mentions_or_lists_with_indices") == 0;
    int m = 0;
    for (int i = 0; i < n && i < MAXE; i++) {
        if (ex[i].list_len == 0 || lists || sec->kind != ROOST_ENT_MENTION) {
            ex[m++] = ex[i];
        }
    }
    if (n < 0 || n > MAXE || exp->type != J_ARR || (size_t)m != exp->n) {
        return false;
    }
    for (int i = 0; i < m; i++) {
        const struct jval *e = exp->kids[i];
        const char *v = text + ex[i].value_off;
        if (sec->field == NULL) {
            if (!mem_is(v, ex[i].value_len, e->str, e->slen)) {
                return false;
            }
            continue;
        }
        const struct jval *val = jget(e, sec->field);
        const struct jval *ind = jget(e, "indices");
        const struct jval *slug = jget(e, "list_slug");
        if (val == NULL || ind == NULL || ind->n != 2 ||
            !mem_is(v, ex[i].value_len, val->str, val->slen) ||
            (double)ex[i].start != ind->kids[0]->num ||
            (double)ex[i].end != ind->kids[1]->num) {
            return false;
        }
        if (slug != NULL && !mem_is(text + ex[i].list_off, ex[i].list_len,
                                    slug->str, slug->slen)) {
            return false;
        }
    }
    return true;
}

static void run_suite(const char *file, const char *label,
                      bool (*run)(const char *section, const char *text,
                                  size_t len, const struct jval *expected))
{
    struct jval *root = load_suite(file);
    const struct jval *tests = jget(root, "tests");
    CHECK(tests != NULL && tests->type == J_OBJ);
    int all = 0, ok_all = 0;
    for (size_t s = 0; s < tests->n; s++) {
        const struct jval *cases = tests->kids[s];
        int ok = 0;
        for (size_t i = 0; i < cases->n; i++) {
            const struct jval *c = cases->kids[i];
            const struct jval *text = jget(c, "text");
            const struct jval *desc = jget(c, "description");
            CHECK(text != NULL && text->type == J_STR);
            if (run(tests->keys[s], text->str, text->slen,
                    jget(c, "expected"))) {
                ok++;
            } else {
                printf("  fail %s: %s\n", tests->keys[s],
                       desc != NULL ? desc->str : "?");
            }
        }
        printf("  %s %s: %d/%zu\n", label, tests->keys[s], ok, cases->n);
        all += (int)cases->n;
        ok_all += ok;
    }
    printf("twitter-text %s: %d/%d (%.1f%%)\n", label, ok_all, all,
           all ? 100.0 * ok_all / all : 0.0);
    CHECK_MSG(ok_all == all, "%d of %d %s cases fail", all - ok_all, all,
              label);
}

static bool extract_case(const char *section, const char *text, size_t len,
                         const struct jval *exp)
{
    for (size_t i = 0;
         i < sizeof(extract_sections) / sizeof(extract_sections[0]); i++) {
        if (strcmp(extract_sections[i].name, section) == 0) {
            return run_extract_case(&extract_sections[i], text, len, exp);
        }
    }
    printf("  unknown section %s\n", section);
    return false;
}

static void test_conformance_extract(void)
{
    run_suite("extract.json", "extract", extract_case);
}

static void test_conformance_tlds(void)
{
    run_suite("tlds.json", "tlds", extract_case);
}

/* ---- conformance: validate.yml ------------------------------------------- */

static bool validate_case(const char *section, const char *text, size_t len,
                          const struct jval *exp)
{
    if (exp->type == J_BOOL) {
        bool got;
        if (strcmp(section, "tweets") == 0) {
            struct roost_weighted_len r;
            got =
                roost_weighted_length(text, len, &roost_weighted_v1, &r) == 0 &&
                r.valid;
        } else if (strcmp(section, "usernames") == 0) {
            got = roost_entities_is_valid_username(text, len);
        } else if (strcmp(section, "lists") == 0) {
            got = roost_entities_is_valid_list(text, len);
        } else if (strcmp(section, "hashtags") == 0) {
            got = roost_entities_is_valid_hashtag(text, len);
        } else if (strcmp(section, "urls") == 0) {
            got = roost_entities_is_valid_url(text, len, true);
        } else if (strcmp(section, "urls_without_protocol") == 0) {
            got = roost_entities_is_valid_url(text, len, false);
        } else {
            printf("  unknown section %s\n", section);
            return false;
        }
        return got == exp->b;
    }
    const struct roost_weighted_cfg *cfg =
        strcmp(section, "WeightedTweetsCounterTest") == 0 ? &roost_weighted_v2
                                                          : &roost_weighted_v3;
    struct roost_weighted_len r;
    if (roost_weighted_length(text, len, cfg, &r) != 0) {
        return false;
    }
    const struct jval *f[7];
    const char *names[7] = { "weightedLength",  "valid",
                             "permillage",      "displayRangeStart",
                             "displayRangeEnd", "validRangeStart",
                             "validRangeEnd" };
    for (int i = 0; i < 7; i++) {
        f[i] = jget(exp, names[i]);
        if (f[i] == NULL) {
            return false;
        }
    }
    bool ok = f[0]->num == r.weighted_length && f[1]->b == r.valid &&
              f[2]->num == r.permillage && f[3]->num == r.display_start &&
              f[4]->num == r.display_end && f[5]->num == r.valid_start &&
              f[6]->num == r.valid_end;
    if (!ok) {
        printf("  got %d %d %d %d-%d %d-%d\n", r.weighted_length, r.valid,
               r.permillage, r.display_start, r.display_end, r.valid_start,
               r.valid_end);
    }
    return ok;
}

static void test_conformance_validate(void)
{
    run_suite("validate.json", "validate", validate_case);
}

CHECK_LIST(test_hashtags, test_mentions, test_cashtags, test_urls,
           test_overlaps, test_limits, test_linear, test_reply, test_validators,
           test_conformance_extract, test_conformance_tlds,
           test_conformance_validate);
