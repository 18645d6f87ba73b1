/* SPDX-License-Identifier: MIT
 *
 * fuzz_json.c - libFuzzer target for json.c.
 *
 * Parses the input with a small depth limit and then a large one, checks
 * that roost_json_valid() agrees, and walks the tape through every accessor
 * so a bad `next` link or string view is touched, not just produced, and
 * checks object lookups (hash-indexed after the first) against a scan.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "parse/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check_lookups - every key of object obj, looked up twice (so the hash
 * index is built and used), gives what a plain scan gives: the value of
 * its last duplicate. "\xff" is no valid key, so it is never found. */
static void check_lookups(const struct roost_json_doc *d, uint32_t obj)
{
    uint32_t k = obj + 1;
    for (uint32_t m = 0; m < d->toks[obj].len && m < 64; m++) {
        struct roost_str ks = roost_json_str(d, k);
        uint32_t want = ROOST_JSON_NONE;
        uint32_t kk = obj + 1;
        for (uint32_t j = 0; j < d->toks[obj].len; j++) {
            struct roost_str js = roost_json_str(d, kk);
            if (roost_str_eq(js, ks)) {
                want = kk + 1;
            }
            kk = d->toks[kk + 1].next;
        }
        for (int rep = 0; rep < 2; rep++) {
            assert(roost_json_getn(d, obj, ks.ptr, ks.len) == want);
        }
        k = d->toks[k + 1].next;
    }
    assert(roost_json_getn(d, obj, "\xff", 1) == ROOST_JSON_NONE);
}

static void walk(const struct roost_json_doc *d)
{
    for (uint32_t i = 0; i < d->n_toks; i++) {
        const struct roost_json_tok *t = &d->toks[i];
        assert(t->next > i && t->next <= d->n_toks);
        int64_t v;
        double f;
        (void)roost_json_i64(d, i, &v);
        (void)roost_json_f64(d, i, &f);
        (void)roost_json_bool(d, i);
        struct roost_str s = roost_json_text(d, i);
        unsigned sink = 0;
        for (size_t k = 0; k < s.len; k++) {
            sink += (unsigned char)s.ptr[k];
        }
        assert(sink < 256 * (s.len + 1));
        if (t->type == ROOST_JSON_OBJECT && t->len > 0) {
            struct roost_str k0 = roost_json_str(d, i + 1);
            assert(k0.ptr != NULL);
            char key[32];
            size_t n = k0.len < sizeof(key) - 1 ? k0.len : sizeof(key) - 1;
            memcpy(key, k0.ptr, n);
            key[n] = '\0';
            (void)roost_json_get(d, i, key);
            (void)roost_json_path(d, i, key);
            check_lookups(d, i);
        }
        if (t->type == ROOST_JSON_ARRAY) {
            uint32_t last = roost_json_at(d, i, t->len ? t->len - 1 : 0);
            assert(t->len == 0 || last < t->next);
            (void)roost_json_path(d, i, "0.a.1");
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    struct roost_json_doc d;
    roost_json_doc_init(&d, 8, 0);
    int rc_small = roost_json_parse(&d, buf, size, NULL);
    if (rc_small == 0) {
        walk(&d);
    }
    roost_json_doc_fini(&d);

    roost_json_doc_init(&d, 0, 0);
    struct roost_diag diag;
    int rc = roost_json_parse(&d, buf, size, &diag);
    assert(rc == 0 || rc == ROOST_EPARSE || rc == ROOST_EUTF8 ||
           rc == ROOST_ELIMIT);
    assert(rc != 0 || d.n_toks > 0);
    assert(rc == 0 || diag.offset <= size);
    assert(rc_small == 0 ? rc == 0 : 1);
    if (rc == 0) {
        walk(&d);
    }
    assert(roost_json_valid(buf, size, 0, NULL) == rc);
    roost_json_doc_fini(&d);
    return 0;
}
