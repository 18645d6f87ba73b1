/* SPDX-License-Identifier: MIT
 *
 * spec.h - parse a plug-in spec: NAME[:ARG][?key=value&key=value].
 *
 *     file:/data/in?follow=true     tcp://127.0.0.1:9999?mode=server
 *     sqlite:/data/roost.db?fts=true   pg:postgresql://u@h/db
 *
 * NAME is [A-Za-z0-9_-]+; ARG is everything up to '?'; options are
 * %XX-decoded; a bare key means key=true.
 */
#ifndef ROOST_CORE_SPEC_H
#define ROOST_CORE_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/option.h"

#define ROOST_SPEC_MAX_BYTES 8192
#define ROOST_SPEC_MAX_KVS   64

struct roost_spec {
    char *copy; /* private: owns every string below */
    char *name;
    char *arg;  /* NULL when absent */
    struct roost_kv kvs[ROOST_SPEC_MAX_KVS];
    size_t n_kvs;
};

/*
 * roost_spec_parse - split text into sp. `what` names the kind in
 * messages ("source", "sink"); strip_slashes drops a leading "//" of ARG
 * (tcp://h:p), which URLs given as ARG (pg:postgresql://...) must keep.
 * Returns: 0, ROOST_EINVAL (diag says what is wrong) or ROOST_ENOMEM.
 * Call roost_spec_fini() afterwards, also after an error.
 */
int roost_spec_parse(const char *text, const char *what, bool strip_slashes,
                     struct roost_spec *sp, struct roost_diag *diag);
void roost_spec_fini(struct roost_spec *sp);

#endif /* ROOST_CORE_SPEC_H */
