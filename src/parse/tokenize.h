/* SPDX-License-Identifier: MIT
 *
 * tokenize.h - words of post text, and case folding of keys.
 *
 * Words are maximal runs of letters, digits, marks, '_' and inner
 * apostrophes; URLs and @mentions are skipped; a '#' sigil is dropped so
 * "#Vote" counts as the word "vote". Non-ASCII code points are word
 * characters unless they are Unicode punctuation/space in the common
 * blocks (General Punctuation, CJK punctuation, fullwidth forms).
 * Thread: reentrant.
 */
#ifndef ROOST_PARSE_TOKENIZE_H
#define ROOST_PARSE_TOKENIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/str.h"

typedef int roost_word_fn(void *arg, const char *word, size_t len);

/*
 * roost_tokenize_words - call fn with each word of text[0..len), lower-cased
 * (roost_fold_case). Stops and returns fn's value when it is non-zero.
 */
int roost_tokenize_words(const char *text, size_t len, roost_word_fn *fn,
                         void *arg);

/*
 * roost_fold_case - append s lower-cased to out: ASCII, Latin-1, Latin
 * Extended-A, Greek and Cyrillic capitals are folded; other code points
 * and invalid bytes are copied as they are.
 */
int roost_fold_case(const char *s, size_t len, struct roost_buf *out);

/* roost_fold_cp - the fold of one code point (the rule above). */
uint32_t roost_fold_cp(uint32_t cp);

#endif /* ROOST_PARSE_TOKENIZE_H */
