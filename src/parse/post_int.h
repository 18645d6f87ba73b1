/* SPDX-License-Identifier: MIT
 *
 * post_int.h - what the wire-format files (fmt_*.c) share with post.c.
 *
 * Each format file implements one entry point that reads a parsed record
 * and appends posts/control events with the helpers below. The helpers
 * copy any string that does not live in the record's input bytes (escaped
 * strings live in the JSON doc's scratch, which the next parse reuses)
 * into the normalizer's arena, so posts stay valid until roost_norm_reset.
 * All helpers return NULL / ROOST_STR_NULL-with-error only on arena
 * exhaustion; format code checks the returned pointers.
 */
#ifndef ROOST_PARSE_POST_INT_H
#define ROOST_PARSE_POST_INT_H

#include "parse/post.h"

/* Format entry points: append what record `root` of d holds. */
int roost__fmt_x1(struct roost_norm *n, const struct roost_json_doc *d,
                  uint32_t root, struct roost_diag *diag);
int roost__fmt_x2(struct roost_norm *n, const struct roost_json_doc *d,
                  uint32_t root, struct roost_diag *diag);
int roost__fmt_jetstream(struct roost_norm *n, const struct roost_json_doc *d,
                         uint32_t root, struct roost_diag *diag);
int roost__fmt_mastodon(struct roost_norm *n, const struct roost_json_doc *d,
                        uint32_t root, struct roost_diag *diag);
/* issue 4: GitHub events (fmt_github.c) */
int roost__fmt_github(struct roost_norm *n, const struct roost_json_doc *d,
                      uint32_t root, struct roost_diag *diag);

/* roost__mastodon_event - one Mastodon streaming event named ev whose
 * payload is token `payload` of d (an object, a JSON string holding one,
 * or a post id for "delete"). */
int roost__mastodon_event(struct roost_norm *n, struct roost_str ev,
                          const struct roost_json_doc *d, uint32_t payload,
                          int64_t ts_ms, struct roost_diag *diag);

/* roost__norm_add_post - a new zeroed post (counts ROOST_UNKNOWN_COUNT). */
struct roost_post *roost__norm_add_post(struct roost_norm *n);
/* roost__norm_add_ctl - a new zeroed control event. */
struct roost_ctl *roost__norm_add_ctl(struct roost_norm *n);

/*
 * roost__norm_push - append one zeroed element of elem_size to the array
 * *arr of *count elements (arena-backed; grows by copying) and return it.
 * Use: `struct roost_entity *e = roost__norm_push(n, (void **)&p->hashtags,
 *       &p->n_hashtags, sizeof(*e));`
 */
void *roost__norm_push(struct roost_norm *n, void **arr, uint32_t *count,
                       size_t elem_size);

/* roost__norm_str - stable view of string token i (NULL view if absent or
 * not a string). */
struct roost_str roost__norm_str(struct roost_norm *n,
                                 const struct roost_json_doc *d, uint32_t i);
/* roost__norm_text - like _str but numbers give their text (ids). */
struct roost_str roost__norm_text(struct roost_norm *n,
                                  const struct roost_json_doc *d, uint32_t i);
/* roost__norm_dup - copy bytes into the arena. */
struct roost_str roost__norm_dup(struct roost_norm *n, const char *p,
                                 size_t len);
/* roost__norm_stable - s itself if it lives in the input, else a copy. */
struct roost_str roost__norm_stable(struct roost_norm *n, struct roost_str s);

/* roost__norm_count - integer member `key` of obj, or ROOST_UNKNOWN_COUNT. */
int64_t roost__norm_count(const struct roost_json_doc *d, uint32_t obj,
                          const char *key);

/* roost__norm_time - parse a time string token into ms; 0 if absent/bad. */
int64_t roost__norm_time(const struct roost_json_doc *d, uint32_t i);

/* roost__html_unescape - &amp; &lt; &gt; &quot; &apos; &#NN; &#xNN; decoded
 * (a new arena string, or s itself when it has no '&'). */
struct roost_str roost__html_unescape(struct roost_norm *n, struct roost_str s);

/* roost__html_to_text - Mastodon HTML content to plain text: <br> and </p>
 * become newlines, tags dropped, entities decoded, invisible spans kept. */
struct roost_str roost__html_to_text(struct roost_norm *n, struct roost_str s);

/*
 * roost__norm_extract - fill p's hashtags/mentions/urls/cashtags from
 * p->text for every kind in `kinds` whose array is empty. Returns 0 or
 * ROOST_ENOMEM.
 */
int roost__norm_extract(struct roost_norm *n, struct roost_post *p,
                        unsigned kinds);

/* roost__cp_offset - code-point offset of byte offset b in s (clamped). */
uint32_t roost__cp_offset(struct roost_str s, size_t b);

#endif /* ROOST_PARSE_POST_INT_H */
