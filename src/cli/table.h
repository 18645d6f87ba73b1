/* SPDX-License-Identifier: MIT
 *
 * table.h - Spark-style tables (`df.show()`) for console output.
 */
#ifndef ROOST_CLI_TABLE_H
#define ROOST_CLI_TABLE_H

#include <stddef.h>
#include <stdio.h>

/*
 * cli_table_print - print rows of n_cols cells (row-major; cells[0..n_cols)
 * is the header) as a +---+ boxed table, cells right-aligned like Spark,
 * cut to max_width code points with "..." when max_width > 0.
 */
void cli_table_print(FILE *out, const char *const *cells, size_t n_rows,
                     size_t n_cols, size_t max_width);

#endif /* ROOST_CLI_TABLE_H */
