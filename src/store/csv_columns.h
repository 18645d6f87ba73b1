/* SPDX-License-Identifier: MIT
 *
 * csv_columns.h - the stable CSV columns of a post (one row per post).
 *
 * Shared by `roost export --format csv` (from the store) and the csv sink
 * (from the live stream), so both write the same file. The set is
 * versioned: columns are only ever appended, and a change of meaning
 * bumps ROOST_CSV_VERSION (written in docs/queries.md). Lists (hashtags,
 * mentions, urls) are joined with a single space; times are ISO 8601 UTC;
 * unknown numbers are empty cells. Files are UTF-8, RFC 4180 quoting,
 * "\n" line ends, a header row: pandas read_csv and DuckDB read_csv_auto
 * read them without options.
 */
#ifndef ROOST_STORE_CSV_COLUMNS_H
#define ROOST_STORE_CSV_COLUMNS_H

#define ROOST_CSV_VERSION 1

/* X(name) for every column, in file order. */
#define ROOST_CSV_COLUMNS(X)                                                 \
    X(id)                                                                    \
    X(created_at)                                                            \
    X(platform)                                                              \
    X(lang)                                                                  \
    X(author_id)                                                             \
    X(author_handle)                                                         \
    X(author_name)                                                           \
    X(author_followers)                                                      \
    X(text)                                                                  \
    X(hashtags)                                                              \
    X(mentions)                                                              \
    X(urls)                                                                  \
    X(reply_to)                                                              \
    X(retweet_of)                                                            \
    X(quote_of)                                                              \
    X(retweets)                                                              \
    X(likes)                                                                 \
    X(replies)                                                               \
    X(quotes)                                                                \
    X(lat)                                                                   \
    X(lon)                                                                   \
    X(place)                                                                 \
    X(country_code)                                                          \
    X(source)                                                                \
    X(referenced)

#endif /* ROOST_STORE_CSV_COLUMNS_H */
