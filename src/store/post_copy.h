/* SPDX-License-Identifier: MIT
 *
 * post_copy.h - a deep copy of a sink batch, for a sink that writes on a
 * thread of its own (sink.h: the batch's views live for the call only).
 *
 * The copy is one allocation: the header, the post and control arrays,
 * every nested array (refs, entities, media, rules) and every string.
 * A NULL string stays NULL; a string that is not NULL gets its bytes and
 * a NUL after them; an empty array becomes NULL.
 */
#ifndef ROOST_STORE_POST_COPY_H
#define ROOST_STORE_POST_COPY_H

#include <stddef.h>

#include "store/sink.h"

struct roost_post_copy {
    struct roost_sink_batch batch; /* read-only: views into this copy */
    size_t n_bytes;                /* read-only: size of the allocation */
};

/*
 * roost_post_copy_new - copy b and everything it points to.
 *
 * Ownership: *out is the caller's (roost_post_copy_free); b stays borrowed.
 * Returns: 0; ROOST_ENOMEM; ROOST_ELIMIT when the copy would not fit in a
 * size_t.
 */
int roost_post_copy_new(const struct roost_sink_batch *b,
                        struct roost_post_copy **out);
void roost_post_copy_free(struct roost_post_copy *c);

#endif /* ROOST_STORE_POST_COPY_H */
