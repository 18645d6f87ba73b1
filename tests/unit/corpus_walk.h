/* SPDX-License-Identifier: MIT
 *
 * corpus_walk.h - walk a shared-data folder for the format tests: every
 * .json file that is one JSON text is one record, every other .json and
 * .jsonl file is one record per non-blank line, in sorted path order;
 * each record goes to the test's callback. A tally collects counts and
 * the first eight distinct error reasons. Test code only.
 */
#ifndef ROOST_TEST_CORPUS_WALK_H
#define ROOST_TEST_CORPUS_WALK_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "parse/json.h"

/* Called once per record; `where` is "path" or "path:line". */
typedef void corpus_record_fn(void *arg, const char *rec, size_t len,
                              const char *where);

struct tally {
    unsigned records, posts, ctls, errors, undetected;
    unsigned ent_checked;
    char reasons[8][160];
    unsigned n_reason[8];
};

static void tally_error(struct tally *ty, const char *msg)
{
    ty->errors++;
    for (int i = 0; i < 8; i++) {
        if (ty->n_reason[i] == 0) {
            snprintf(ty->reasons[i], sizeof(ty->reasons[i]), "%s", msg);
        }
        if (strcmp(ty->reasons[i], msg) == 0) {
            ty->n_reason[i]++;
            return;
        }
    }
}


static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    CHECK(buf != NULL);
    size_t k;
    while ((k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            CHECK(buf != NULL);
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* A .json file is one document, unless it only parses line by line. */
static void one_file(corpus_record_fn *fn, void *arg, const char *path)
{
    size_t len;
    char *buf = slurp(path, &len);
    CHECK_MSG(buf != NULL, "cannot read %s", path);
    if (ends_with(path, ".json") &&
        roost_json_valid(buf, len, ROOST_JSON_DEFAULT_DEPTH, NULL) == 0) {
        fn(arg, buf, len, path);
        free(buf);
        return;
    }
    size_t line = 0;
    for (size_t i = 0; i < len;) {
        char *nl = memchr(buf + i, '\n', len - i);
        size_t e = nl != NULL ? (size_t)(nl - buf) : len;
        line++;
        size_t s = i;
        while (s < e && (buf[s] == ' ' || buf[s] == '\r' || buf[s] == '\t')) {
            s++;
        }
        size_t z = e;
        while (z > s && (buf[z - 1] == ' ' || buf[z - 1] == '\r')) {
            z--;
        }
        if (z > s) {
            char where[600];
            snprintf(where, sizeof(where), "%s:%zu", path, line);
            fn(arg, buf + s, z - s, where);
        }
        i = e + 1;
    }
    free(buf);
}

static void walk(corpus_record_fn *fn, void *arg, const char *dir)
{
    DIR *dh = opendir(dir);
    CHECK_MSG(dh != NULL, "cannot open %s", dir);
    char names[256][256];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dh)) != NULL && n < 256) {
        if (de->d_name[0] != '.') {
            snprintf(names[n++], sizeof(names[0]), "%s", de->d_name);
        }
    }
    closedir(dh);
    qsort(names, (size_t)n, sizeof(names[0]),
          (int (*)(const void *, const void *))strcmp);
    for (int i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        DIR *sub = opendir(path);
        if (sub != NULL) {
            closedir(sub);
            walk(fn, arg, path);
        } else if (ends_with(path, ".json") || ends_with(path, ".jsonl")) {
            one_file(fn, arg, path);
        }
    }
}

static void report(const char *name, const struct tally *ty)
{
    printf("# %s: %u records, %u posts, %u control, %u errors, "
           "%u undetected, %u entity checks\n",
           name, ty->records, ty->posts, ty->ctls, ty->errors, ty->undetected,
           ty->ent_checked);
    for (int i = 0; i < 8 && ty->n_reason[i] > 0; i++) {
        printf("#   %u x %s\n", ty->n_reason[i], ty->reasons[i]);
    }
}

/* Run over dir (under the shared data); NULL when the data is absent. */

#endif /* ROOST_TEST_CORPUS_WALK_H */
