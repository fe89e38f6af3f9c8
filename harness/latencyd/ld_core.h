/* ld_core.h: latencyd's insides, shared by ld_server.c (the loop, accepting, timers), ld_conn.c
 * (one connection's life: read a head, answer, keep alive or close) and ld_routes.c (what each
 * endpoint answers). Nothing outside latencyd includes this.
 *
 * Everything here belongs to the one thread that runs ld_server_run: no locks anywhere.
 */
#ifndef LD_CORE_H
#define LD_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ld_heap.h"
#include "ld_http.h"
#include "ld_server.h"

/* Status line, headers and any short text body of an answer. */
#define LD_RESPONSE_HEAD 768
/* The body pattern, 'a'..'z' repeated: a whole number of periods, so any offset of a body of any
 * length maps back into it, and a /bytes answer of 64 MiB needs no buffer of its own. */
#define LD_PATTERN_LEN (26 * 2048)
/* After answering a bad request: how long to drain what the client still sends before closing. */
#define LD_LINGER_MS 1000
/* A client that stops reading an answer is closed after this long without progress. */
#define LD_SEND_TIMEOUT_MS LD_IDLE_TIMEOUT_MS

/* Where a connection is in its life. The timer means something different in each. */
enum ld_state {
    LD_READING,   /* waiting for (the rest of) a request head. Timer: header or idle timeout */
    LD_WAITING,   /* the request is in; its answer is due at the timer (/delay), or never
                   * (/stall: no timer) */
    LD_SENDING,   /* writing the answer. Timer: the next /drip byte, or the send timeout while
                   * the client does not read */
    LD_LINGERING, /* answered, our side shut down; discarding the client's rest until it closes.
                   * Timer: LD_LINGER_MS */
};

struct ld_conn {
    int fd;
    enum ld_state state;
    uint32_t events;             /* what epoll watches for it now */
    struct ld_timer timer;       /* see enum ld_state */
    struct ld_conn *prev, *next; /* the server's list of open connections */

    bool idle;       /* READING, with no byte of a next request yet: the idle timeout applies */
    bool in_flight;  /* its request is counted in the server's in_flight */
    bool keep_alive; /* after this answer, read the next request; otherwise close */
    bool linger;     /* the client may still be sending (a body, an oversized head): drain it
                      * before closing, or our close would reset the answer away */

    /* The answer: head[] (status line, headers, short body), then body_len bytes of the
     * pattern, of which body_ready may be sent now (all of it, except while dripping). */
    char head[LD_RESPONSE_HEAD];
    size_t head_len, head_sent;
    size_t body_len, body_ready, body_sent;
    int64_t drip_interval_ns;

    /* The request: bytes read and not yet consumed, and how far they were searched. */
    size_t in_len, scanned;
    char in[LD_MAX_HEAD];
};

struct ld_server {
    int epfd;
    int listen_fd;  /* its address in epoll's data tells the loop "the listening socket" */
    int wake_fd;    /* an eventfd that ld_server_stop writes: "stop" */
    int reserve_fd; /* /dev/null, given up to accept-and-close when out of descriptors */
    int port;
    bool stopping;           /* set by the loop itself, when wake_fd says so */
    struct ld_config config; /* with every default filled in */
    struct ld_heap timers;
    struct ld_conn *conns; /* every open connection: closed on destroy */
    long n_conns;
    struct ld_stats stats;
    char pattern[LD_PATTERN_LEN];
};

/* ld_conn.c */
int ld_conn_open(struct ld_server *s, int fd);
void ld_conn_event(struct ld_server *s, struct ld_conn *c, uint32_t events);
void ld_conn_timer(struct ld_server *s, struct ld_conn *c);
void ld_conn_close(struct ld_server *s, struct ld_conn *c);

/* ld_routes.c: answers the request req on c. Sets c->state to LD_WAITING (with the timer
 * armed, or not for /stall) or LD_SENDING (answer prepared, to be sent now). */
void ld_route(struct ld_server *s, struct ld_conn *c, const struct ld_request *req);

/* Prepares an answer in c: the status line and headers (Content-Length, Connection as
 * c->keep_alive says), then text, then pattern_len bytes of the pattern; no body at all for a
 * HEAD request (head_only) or a bodyless status. Sets c->state to LD_SENDING. */
void ld_respond(struct ld_conn *c, int status, const char *content_type, const char *text,
                size_t pattern_len, bool head_only);

#endif
