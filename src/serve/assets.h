/* SPDX-License-Identifier: MIT
 *
 * assets.h - the dashboard files (web/), embedded into the binary at build
 * time by cmake/embed.cmake. The table ends with a zeroed entry.
 */
#ifndef ROOST_SERVE_ASSETS_H
#define ROOST_SERVE_ASSETS_H

#include <stddef.h>

#include "serve/http.h"

extern const struct roost_asset roost_web_assets[];
extern const size_t roost_web_n_assets;

#endif /* ROOST_SERVE_ASSETS_H */
