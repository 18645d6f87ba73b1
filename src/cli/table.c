/* SPDX-License-Identifier: MIT
 *
 * table.c - boxed tables like Spark's show(): widths in code points.
 */
#include <string.h>

#include "cli/table.h"
#include "core/str.h"

#define MAX_COLS 16

/* Byte length of the first `cps` code points of s. */
static size_t cut_bytes(const char *s, size_t cps)
{
    size_t i = 0;
    while (s[i] != '\0' && cps > 0) {
        i++;
        while (((unsigned char)s[i] & 0xC0) == 0x80) {
            i++;
        }
        cps--;
    }
    return i;
}

static size_t columns(const char *s)
{
    return roost_utf8_width(s, strlen(s));
}

static size_t width(const char *s, size_t max_width)
{
    size_t w = columns(s);
    return max_width > 0 && w > max_width ? max_width : w;
}

static void rule(FILE *out, const size_t *w, size_t n_cols)
{
    for (size_t c = 0; c < n_cols; c++) {
        fputc('+', out);
        for (size_t i = 0; i < w[c]; i++) {
            fputc('-', out);
        }
    }
    fputs("+\n", out);
}

static void row(FILE *out, const char *const *cells, const size_t *w,
                size_t n_cols, size_t max_width)
{
    for (size_t c = 0; c < n_cols; c++) {
        const char *s = cells[c] ? cells[c] : "null";
        size_t cw = columns(s);
        fputc('|', out);
        if (max_width > 0 && cw > max_width) {
            size_t keep = max_width > 3 ? max_width - 3 : 0;
            fwrite(s, 1, cut_bytes(s, keep), out);
            fputs("...", out);
            continue;
        }
        for (size_t i = cw; i < w[c]; i++) {
            fputc(' ', out);
        }
        fputs(s, out);
    }
    fputs("|\n", out);
}

void cli_table_print(FILE *out, const char *const *cells, size_t n_rows,
                     size_t n_cols, size_t max_width)
{
    size_t w[MAX_COLS] = { 0 };
    if (n_cols > MAX_COLS) {
        n_cols = MAX_COLS;
    }
    for (size_t r = 0; r <= n_rows; r++) {
        for (size_t c = 0; c < n_cols; c++) {
            const char *s = cells[r * n_cols + c];
            size_t cw = width(s ? s : "null", max_width);
            if (cw > w[c]) {
                w[c] = cw;
            }
        }
    }
    rule(out, w, n_cols);
    row(out, cells, w, n_cols, max_width);
    rule(out, w, n_cols);
    for (size_t r = 1; r <= n_rows; r++) {
        row(out, cells + r * n_cols, w, n_cols, max_width);
    }
    rule(out, w, n_cols);
}
