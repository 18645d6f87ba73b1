/* SPDX-License-Identifier: MIT
 *
 * check.h - roost's unit-test harness, in one header.
 *
 * A test file defines `static void test_x(void)` functions and lists them
 * once:
 *
 *     CHECK_LIST(test_x, test_y);
 *
 * which expands to main(). Each test runs in a forked child so a crash or
 * a failed assertion in one test cannot hide the others. Output per test
 * is "ok NAME" or "FAIL NAME: file:line: expression"; a test may call
 * CHECK_SKIP("reason") to print a visible SKIP. The last line is
 * "N passed, N failed[, N skipped]", and the exit status is 1 on any failure.
 * Run one test: ./test_x NAME. Do not fork with ROOST_CHECK_NOFORK=1 (gdb).
 */
#ifndef ROOST_CHECK_H
#define ROOST_CHECK_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Failure messages are cut to fit on purpose. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

struct check_case {
    const char *name;
    void (*fn)(void);
};

#define CHECK_EXIT_FAIL 3
#define CHECK_EXIT_SKIP 77

static inline void check__fail(const char *file, int line, const char *msg)
{
    printf("FAIL %s:%d: %s\n", file, line, msg);
    fflush(stdout);
    exit(CHECK_EXIT_FAIL);
}

#define CHECK(expr)                                                          \
    do {                                                                     \
        if (!(expr)) {                                                       \
            check__fail(__FILE__, __LINE__, #expr);                          \
        }                                                                    \
    } while (0)

#define CHECK_MSG(expr, ...)                                                 \
    do {                                                                     \
        if (!(expr)) {                                                       \
            char check__m[512];                                              \
            snprintf(check__m, sizeof(check__m), __VA_ARGS__);               \
            check__fail(__FILE__, __LINE__, check__m);                       \
        }                                                                    \
    } while (0)

#define CHECK_INT_EQ(a, b)                                                   \
    do {                                                                     \
        long long check__a = (long long)(a), check__b = (long long)(b);      \
        CHECK_MSG(check__a == check__b, "%s == %s (%lld != %lld)", #a, #b,   \
                  check__a, check__b);                                       \
    } while (0)

#define CHECK_STR_EQ(a, b)                                                   \
    do {                                                                     \
        const char *check__a = (a), *check__b = (b);                         \
        CHECK_MSG(check__a != NULL && check__b != NULL &&                    \
                      strcmp(check__a, check__b) == 0,                       \
                  "%s == %s (\"%s\" != \"%s\")", #a, #b,                     \
                  check__a ? check__a : "(null)",                            \
                  check__b ? check__b : "(null)");                           \
    } while (0)

/* CHECK_MEM_EQ - a (ptr, len) pair equals a C string. */
#define CHECK_MEM_EQ(p, len, s)                                              \
    do {                                                                     \
        const char *check__s = (s);                                          \
        size_t check__l = (size_t)(len);                                     \
        CHECK_MSG(check__l == strlen(check__s) &&                            \
                      memcmp((p), check__s, check__l) == 0,                  \
                  "%s == \"%s\" (got \"%.*s\")", #p, check__s,              \
                  (int)check__l, (const char *)(p));                         \
    } while (0)

#define CHECK_SKIP(...)                                                      \
    do {                                                                     \
        printf("SKIP ");                                                     \
        printf(__VA_ARGS__);                                                 \
        printf("\n");                                                        \
        fflush(stdout);                                                      \
        exit(CHECK_EXIT_SKIP);                                               \
    } while (0)

/* check_data_dir - ../shared/data as seen from the build, or NULL. */
static inline const char *check_data_dir(void)
{
    const char *d = getenv("ROOST_SHARED_DATA");
    return d != NULL && d[0] != '\0' ? d : NULL;
}

static inline int check__run(const struct check_case *cases, size_t n,
                             int argc, char **argv)
{
    int passed = 0, failed = 0, skipped = 0;
    int nofork = getenv("ROOST_CHECK_NOFORK") != NULL;
    for (size_t i = 0; i < n; i++) {
        if (argc > 1 && strcmp(argv[1], cases[i].name) != 0) {
            continue;
        }
        fflush(stdout);
        int status = 0;
        if (nofork) {
            cases[i].fn();
        } else {
            pid_t pid = fork();
            if (pid < 0) {
                perror("fork");
                return 2;
            }
            if (pid == 0) {
                cases[i].fn();
                fflush(stdout);
                _exit(0);
            }
            waitpid(pid, &status, 0);
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            printf("ok %s\n", cases[i].name);
            passed++;
        } else if (WIFEXITED(status) &&
                   WEXITSTATUS(status) == CHECK_EXIT_SKIP) {
            printf("skip %s\n", cases[i].name);
            skipped++;
        } else {
            if (WIFSIGNALED(status)) {
                printf("FAIL %s: killed by signal %d\n", cases[i].name,
                       WTERMSIG(status));
            } else {
                printf("FAIL %s\n", cases[i].name);
            }
            failed++;
        }
    }
    if (skipped > 0) {
        printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    } else {
        printf("%d passed, %d failed\n", passed, failed);
    }
    return failed > 0 ? 1 : 0;
}


#define CHECK_LIST(...)                                                      \
    static void (*const check__fns[])(void) = { __VA_ARGS__ };               \
    static const char check__names[] = #__VA_ARGS__;                         \
    int main(int argc, char **argv)                                          \
    {                                                                        \
        enum { N = sizeof(check__fns) / sizeof(check__fns[0]) };             \
        static struct check_case cases[N];                                   \
        static char names[sizeof(check__names)];                             \
        memcpy(names, check__names, sizeof(names));                          \
        char *p = names;                                                     \
        for (size_t i = 0; i < N; i++) {                                     \
            while (*p == ' ' || *p == ',' || *p == '\n' || *p == '\t') {     \
                p++;                                                         \
            }                                                                \
            cases[i].name = p;                                               \
            cases[i].fn = check__fns[i];                                     \
            while (*p != '\0' && *p != ',' && *p != ' ' && *p != '\n') {     \
                p++;                                                         \
            }                                                                \
            if (*p != '\0') {                                                \
                *p++ = '\0';                                                 \
            }                                                                \
        }                                                                    \
        setvbuf(stdout, NULL, _IOLBF, 0);                                    \
        return check__run(cases, N, argc, argv);                             \
    }

#endif /* ROOST_CHECK_H */
