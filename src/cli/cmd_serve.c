/* SPDX-License-Identifier: MIT
 *
 * cmd_serve.c - `roost serve`: the dashboard, the REST API, the event
 * stream and /metrics over an existing SQLite store, without collecting.
 *
 * Wires serve/http.h (the server), serve/api.h (the routes over the
 * store) and serve/publisher.h (the SSE thread), prints the URL and waits
 * for SIGINT or SIGTERM; then stops the publisher, the server and the
 * API, in that order.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "serve/api.h"
#include "serve/assets.h"
#include "serve/http.h"
#include "serve/publisher.h"

const char *cmd_serve_usage =
    "usage: roost serve --db FILE [--listen HOST:PORT] [--token T]\n"
    "                   [--max-sse-clients N] [--quiet]\n"
    "\n"
    "Serves the dashboard at / and the JSON API under /api/v1 over the\n"
    "SQLite store FILE (read-only: nothing here writes it), with live\n"
    "updates on /api/v1/stream (Server-Sent Events, every 2 s) while\n"
    "another roost fills the store, /metrics for Prometheus and /health.\n"
    "Listens on 127.0.0.1:8080 by default; any non-loopback address needs\n"
    "--token (clients send `Authorization: Bearer T` or ?token=T).\n"
    "SIGINT or SIGTERM stops it.\n";

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int cmd_serve(int argc, char **argv)
{
    struct roost_http_cfg hcfg = { .listen = "127.0.0.1:8080" };
    struct roost_api_cfg acfg = { .version = ROOST_VERSION, .sse = true };
    struct roost_http *http = NULL;
    struct roost_api *api = NULL;
    struct roost_publisher *pub = NULL;
    struct roost_diag diag = { 0 };
    bool quiet = false;
    int status = CLI_EXIT_FAIL;

    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (strcmp(argv[i], "--quiet") == 0) {
            quiet = true;
            continue;
        }
        if (cli_opt_value(argc, argv, &i, "--db", &v)) {
            acfg.db_path = v;
        } else if (cli_opt_value(argc, argv, &i, "--listen", &v)) {
            hcfg.listen = v;
        } else if (cli_opt_value(argc, argv, &i, "--token", &v)) {
            hcfg.token = v;
        } else if (cli_opt_value(argc, argv, &i, "--max-sse-clients", &v)) {
            hcfg.max_sse_clients = v ? (unsigned)strtoul(v, NULL, 10) : 0;
            if (hcfg.max_sse_clients == 0) {
                v = NULL;
            }
        } else {
            fprintf(stderr, "roost serve: unknown argument '%s'\n%s",
                    argv[i], cmd_serve_usage);
            return CLI_EXIT_USAGE;
        }
        if (v == NULL) {
            fprintf(stderr, "roost serve: %s needs a value\n", argv[i]);
            return CLI_EXIT_USAGE;
        }
    }
    if (acfg.db_path == NULL || hcfg.listen == NULL) {
        fprintf(stderr, "roost serve: --db FILE is required\n%s",
                cmd_serve_usage);
        return CLI_EXIT_USAGE;
    }
    catch_signals();
    if (roost_http_new(&hcfg, &http, &diag) < 0) {
        fprintf(stderr, "roost serve: %s\n", diag.msg);
        return CLI_EXIT_USAGE;
    }
    roost_http_assets(http, roost_web_assets, roost_web_n_assets);
    if (roost_api_new(&acfg, http, &api, &diag) < 0) {
        fprintf(stderr, "roost serve: %s\n", diag.msg);
        goto out_http;
    }
    if (roost_http_start(http, &diag) < 0) {
        fprintf(stderr, "roost serve: %s\n", diag.msg);
        goto out_http;
    }
    struct roost_publisher_cfg pcfg = { .http = http, .api = api };
    if (roost_publisher_start(&pcfg, &pub, &diag) < 0) {
        fprintf(stderr, "roost serve: %s\n", diag.msg);
        goto out_http;
    }
    const char *colon = strrchr(hcfg.listen, ':');
    int host_len = colon ? (int)(colon - hcfg.listen) : 0;
    printf("http://%.*s:%d/\n", host_len, hcfg.listen,
           roost_http_port(http));
    if (!quiet) {
        fprintf(stderr, "roost serve: serving %s; Ctrl-C stops\n",
                acfg.db_path);
    }
    fflush(stdout);
    while (!stop_flag) {
        usleep(100 * 1000);
    }
    status = CLI_EXIT_OK;
    roost_publisher_stop(pub);

out_http:
    roost_http_free(http); /* stops serving before the API goes */
    roost_api_free(api);
    return status;
}
