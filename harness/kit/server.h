/* server.h: a fresh latencyd for each test, on a free port of 127.0.0.1.
 *
 * h_server_start forks; the child runs the server loop of latencyd in-process (no exec: a test
 * may run as an unprivileged user who cannot execute files under the checkout) and the call
 * returns once the server listens. Stop it with h_server_stop; the runner also kills it with the
 * rest of the test's process group, should a test end early.
 *
 * Call these from the test's own thread, before starting threads of your own (fork copies only
 * the calling thread).
 */
#ifndef H_SERVER_H
#define H_SERVER_H

#include <stddef.h>
#include <sys/types.h>

struct h_server {
    pid_t pid; /* the server's process */
    int port;  /* where it listens, on 127.0.0.1 */
};

/* Limits for the bad-input tests; zero fields keep latencyd's defaults. */
struct h_server_config {
    int max_connections;   /* more are refused (closed at once) */
    int header_timeout_ms; /* a client slower than this to send its headers is closed */
};

/* Starts a server (config NULL: the defaults). Returns 0, or a negative errno. */
int h_server_start(struct h_server *s, const struct h_server_config *config);

/* Stops it and reaps it. Returns 0, or a negative errno. */
int h_server_stop(struct h_server *s);

/* Writes "http://127.0.0.1:PORT" followed by the printf-formatted path into buf, e.g.
 * h_server_url(s, buf, sizeof(buf), "/delay/%d", 200). Returns buf. */
char *h_server_url(const struct h_server *s, char *buf, size_t size, const char *path_fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* What the server itself counted, from GET /stats. */
struct h_server_stats {
    long requests;       /* requests served since the last reset */
    long connections;    /* connections open now */
    long in_flight;      /* requests received and not yet answered, now */
    long peak_in_flight; /* the most in flight at once since the last reset */
    long refused;        /* connections closed at once for going over max_connections */
    long timeouts;       /* connections closed for sending their request head too slowly */
};

/* Reads /stats (over a plain socket, not libcurl). Returns 0, or a negative errno. */
int h_server_stats(const struct h_server *s, struct h_server_stats *st);

/* GET /stats/reset. Returns 0, or a negative errno. */
int h_server_reset_stats(const struct h_server *s);

/* One GET of path over a plain socket (Connection: close), waiting at most 5 s. Stores up to
 * size - 1 bytes of the body in body (NUL-terminated; body may be NULL when size is 0). Returns
 * the HTTP status (200, 404...), or a negative errno (-ECONNREFUSED, -ETIMEDOUT, -EPROTO for a
 * reply that is not HTTP). Counts as a request like any other, unless path is /stats. */
int h_server_get(const struct h_server *s, const char *path, char *body, size_t size);

/* Notes on the stats: requests counts every request the server received and routed, answered
 * yet or not (a /stall counts at once). /stats and /stats/reset are not counted in requests or
 * in_flight, and the connection that asks is not among connections, so a test sees only its own
 * clients. A client that closed its connection may still count in connections for a moment,
 * until the server has read the close: poll with a deadline rather than expect 0 at once.
 * h_server_stop returns 0 only if the server exited cleanly (-ECHILD if it crashed or failed,
 * -ETIMEDOUT if it had to be killed), so a test that ends with it also checks that the server
 * survived. */

#endif
