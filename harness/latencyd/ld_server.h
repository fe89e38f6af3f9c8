/* ld_server.h: latencyd, the loopback HTTP/1.1 server the lessons, tests and benchmarks use.
 *
 * One thread runs everything: an epoll loop over non-blocking sockets, with a timer heap for
 * the delays and timeouts. It is the pattern lesson 09 builds, and the reason one thread can hold
 * thousands of slow requests at once: a request that waits costs a timer and a buffer, not a
 * thread. The program harness/latencyd.c runs it from the command line; the test fixture
 * (server.h) runs it in a forked child.
 *
 * Endpoints (GET or HEAD; HTTP/1.0 and 1.1, keep-alive):
 *   /delay/<ms>      200 after ms milliseconds (0..LD_MAX_DELAY_MS), body "waited <ms> ms\n"
 *   /bytes/<n>       200 with n bytes (0..LD_MAX_BYTES): byte i is 'a' + i % 26
 *   /status/<code>   that status (200..599), body "<code> <reason>\n" (none for 204 and 304)
 *   /stall           never answers; the request stays in flight until the client goes away
 *   /drip/<n>?interval=<ms>   200 with n bytes (0..LD_MAX_DRIP), the head at once and then one
 *                    byte every interval ms (1..LD_MAX_DRIP_INTERVAL_MS, default 100)
 *   /stats           JSON: {"requests":R,"connections":C,"in_flight":F,"peak_in_flight":P,
 *                    "refused":X,"header_timeouts":T} (see struct ld_stats)
 *   /stats/reset     zeroes the counters (the peak restarts from what is in flight now)
 *   /                a plain-text list of these
 * A number that is not a plain decimal, or out of its range, gets 400; an unknown path 404;
 * POST and the other HTTP methods 405; an unknown method 501; a head over 8 KiB 431; a head
 * that takes longer than the header timeout 408 and a close. A client that closes its side of
 * the connection is gone: its request is dropped and the connection closed.
 */
#ifndef LD_SERVER_H
#define LD_SERVER_H

#define LD_MAX_DELAY_MS         60000       /* longest /delay: a minute */
#define LD_MAX_BYTES            (64L << 20) /* largest /bytes body: 64 MiB */
#define LD_MAX_DRIP             100000      /* largest /drip body */
#define LD_MAX_DRIP_INTERVAL_MS 10000       /* longest pause between two dripped bytes */
#define LD_HEADER_TIMEOUT_MS    10000       /* default: a request head must arrive within 10 s */
#define LD_IDLE_TIMEOUT_MS      60000       /* default: an idle keep-alive connection is closed */
#define LD_DEFAULT_PORT         8080        /* what `make server` listens on */

struct ld_config {
    const char *bind_addr; /* IPv4 or IPv6 literal; NULL means 127.0.0.1 */
    int port;              /* 0 picks a free port (read it back with ld_server_port) */
    int max_connections;   /* 0: as many as the file descriptor limit allows; more are closed
                            * at once (counted as refused) */
    int header_timeout_ms; /* 0: LD_HEADER_TIMEOUT_MS */
    int idle_timeout_ms;   /* 0: LD_IDLE_TIMEOUT_MS */
};

/* What the server counted. /stats and /stats/reset requests are not counted themselves, and the
 * connection that asks for /stats is not among `connections`, so the numbers describe the other
 * clients only. */
struct ld_stats {
    long requests;        /* request heads received and routed since the last reset */
    long connections;     /* connections open now */
    long in_flight;       /* requests received and not yet fully answered, now */
    long peak_in_flight;  /* the most in flight at once since the last reset */
    long refused;         /* connections closed at once for going over max_connections */
    long header_timeouts; /* connections closed for sending their head too slowly */
};

struct ld_server;

/* Creates a server listening on config's address and port (config NULL: the defaults), with
 * SO_REUSEADDR, TCP_NODELAY on every connection and a SOMAXCONN backlog. Does not print. Returns
 * 0, or a negative errno (-EADDRINUSE, -EACCES, -EINVAL for an address it cannot parse...). */
int ld_server_create(struct ld_server **out, const struct ld_config *config);

/* The port it listens on (the one picked, when the config said 0). */
int ld_server_port(const struct ld_server *s);

/* Runs the event loop on the calling thread until ld_server_stop. Returns 0 after a stop, or a
 * negative errno if epoll itself failed. */
int ld_server_run(struct ld_server *s);

/* Makes ld_server_run return soon. Async-signal-safe (one write to an eventfd): call it from a
 * signal handler or another thread. */
void ld_server_stop(struct ld_server *s);

/* Closes every connection and the listening socket and frees the server. Not while it runs. */
void ld_server_destroy(struct ld_server *s);

/* Raises this process's soft RLIMIT_NOFILE to its hard limit, so that the server can hold as
 * many connections as the system allows. Returns the new soft limit, or a negative errno. */
long ld_raise_nofile(void);

#endif
