/* ld_server.c: latencyd's event loop: the listening socket, accepting, timers, start and stop
 * (see ld_server.h; a connection's own life is in ld_conn.c).
 *
 * The loop is level-triggered epoll: a socket that still has something to read is reported
 * again on the next wait, so a handler may stop early (after a batch of accepts, a full buffer)
 * without losing anything. Edge-triggered would save a few epoll_ctl calls but make every
 * handler drain its socket to EAGAIN or stall forever: not worth it here.
 */
#define _GNU_SOURCE
#include "ld_core.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"

#define LD_EVENTS_PER_WAIT 256 /* epoll events taken per wait */
#define LD_ACCEPTS_PER_WAKE                                                                        \
    256 /* accepts before serving the others again: a connect storm                                \
         * must not starve the connections already open */
#define LD_FD_RESERVE                                                                              \
    32 /* descriptors kept back from max_connections for the listening                             \
        * socket, epoll, the eventfd, stdio and the reserve */

long ld_raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -errno;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            return -errno;
    }
    return rl.rlim_cur > LONG_MAX ? LONG_MAX : (long)rl.rlim_cur;
}

/* A non-blocking socket listening on addr:port. Sets *fd and *bound_port; returns 0 or -errno. */
static int listen_on(const char *addr, int port, int *fd, int *bound_port)
{
    struct sockaddr_storage ss = { 0 };
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    socklen_t len = sizeof(ss);
    int one = 1, err;

    if (port < 0 || port > 65535)
        return -EINVAL;
    if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        len = sizeof(*in4);
    } else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        len = sizeof(*in6);
    } else {
        return -EINVAL;
    }
    if ((*fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
        return -errno;
    /* SO_REUSEADDR: a restarted server may bind while old connections sit in TIME_WAIT.
     * SOMAXCONN: a burst of a thousand connects waits in the queue instead of being dropped
     * into the client's one-second SYN retry. */
    if (setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(*fd, (struct sockaddr *)&ss, len) != 0 || listen(*fd, SOMAXCONN) != 0 ||
        getsockname(*fd, (struct sockaddr *)&ss, &len) != 0) {
        err = -errno;
        close(*fd);
        *fd = -1;
        return err;
    }
    *bound_port = ntohs(ss.ss_family == AF_INET ? in4->sin_port : in6->sin6_port);
    return 0;
}

static int watch_fd(struct ld_server *s, int fd, int *tag)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

    return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : -errno;
}

static void fill_defaults(struct ld_config *c, long nofile)
{
    if (!c->bind_addr)
        c->bind_addr = "127.0.0.1";
    if (c->max_connections <= 0) {
        long most = nofile > LD_FD_RESERVE ? nofile - LD_FD_RESERVE : 1;

        c->max_connections = most > INT_MAX ? INT_MAX : (int)most;
    }
    if (c->header_timeout_ms <= 0)
        c->header_timeout_ms = LD_HEADER_TIMEOUT_MS;
    if (c->idle_timeout_ms <= 0)
        c->idle_timeout_ms = LD_IDLE_TIMEOUT_MS;
}

int ld_server_create(struct ld_server **out, const struct ld_config *config)
{
    struct ld_server *s = calloc(1, sizeof(*s));
    struct rlimit rl;
    int rc;

    if (!s)
        return -ENOMEM;
    s->epfd = s->listen_fd = s->wake_fd = s->reserve_fd = -1;
    if (config)
        s->config = *config;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        rl.rlim_cur = 1024;
    fill_defaults(&s->config, rl.rlim_cur > LONG_MAX ? LONG_MAX : (long)rl.rlim_cur);
    for (size_t i = 0; i < sizeof(s->pattern); i++)
        s->pattern[i] = (char)('a' + i % 26);
    ld_heap_init(&s->timers);
    if ((rc = listen_on(s->config.bind_addr, s->config.port, &s->listen_fd, &s->port)) < 0)
        goto fail;
    if ((s->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
        (s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
        (s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
        rc = -errno;
        goto fail;
    }
    if ((rc = watch_fd(s, s->listen_fd, &s->listen_fd)) < 0 ||
        (rc = watch_fd(s, s->wake_fd, &s->wake_fd)) < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    ld_server_destroy(s);
    return rc;
}

int ld_server_port(const struct ld_server *s)
{
    return s->port;
}

void ld_server_stop(struct ld_server *s)
{
    uint64_t one = 1;
    int saved = errno; /* a signal handler must leave errno as it found it */

    /* Only write(): async-signal-safe. A full counter (never, in practice) still wakes it. */
    if (write(s->wake_fd, &one, sizeof(one)) < 0)
        errno = saved;
    errno = saved;
}

void ld_server_destroy(struct ld_server *s)
{
    if (!s)
        return;
    while (s->conns)
        ld_conn_close(s, s->conns);
    ld_heap_destroy(&s->timers);
    if (s->reserve_fd >= 0)
        close(s->reserve_fd);
    if (s->wake_fd >= 0)
        close(s->wake_fd);
    if (s->epfd >= 0)
        close(s->epfd);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    free(s);
}

/* Out of descriptors, the pending connection would stay in the queue and keep the listening
 * socket readable: a busy loop. Give up the reserve descriptor, accept it, close it at once. */
static void shed_one(struct ld_server *s)
{
    int fd;

    if (s->reserve_fd < 0)
        return;
    close(s->reserve_fd);
    if ((fd = accept(s->listen_fd, NULL, NULL)) >= 0) {
        close(fd);
        s->stats.refused++;
    }
    s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void accept_clients(struct ld_server *s)
{
    for (int i = 0; i < LD_ACCEPTS_PER_WAKE; i++) {
        int one = 1, fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
            continue;
        if (fd < 0 && (errno == EMFILE || errno == ENFILE))
            shed_one(s);
        if (fd < 0)
            return; /* EAGAIN: nobody else is waiting */
        if (s->n_conns >= s->config.max_connections) {
            close(fd);
            s->stats.refused++;
            continue;
        }
        /* TCP_NODELAY: a response goes out at once, never held back waiting for an ACK. */
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
            ld_conn_open(s, fd) != 0)
            close(fd);
    }
}

/* Milliseconds until the earliest timer, rounded up (epoll counts whole milliseconds, and a
 * timeout rounded down would wake the loop just before the deadline, for nothing); -1 if none. */
static int wait_ms(const struct ld_server *s)
{
    const struct ld_timer *t = ld_heap_first(&s->timers);
    int64_t left;

    if (!t)
        return -1;
    left = t->deadline_ns - h_now_ns();
    if (left <= 0)
        return 0;
    left = (left + H_NS_PER_MS - 1) / H_NS_PER_MS;
    return left > INT_MAX ? INT_MAX : (int)left;
}

/* Fires every timer that is due. now is read once, so the loop ends even as handlers re-arm
 * timers: a re-armed timer fires again here only if its new deadline has passed as well (a
 * /drip catching up with its schedule), and at most once per interval it missed. */
static void run_timers(struct ld_server *s)
{
    int64_t now = h_now_ns();
    struct ld_timer *t;

    while ((t = ld_heap_first(&s->timers)) != NULL && t->deadline_ns <= now) {
        struct ld_conn *c = (struct ld_conn *)((char *)t - offsetof(struct ld_conn, timer));

        ld_heap_cancel(&s->timers, t);
        ld_conn_timer(s, c);
    }
}

int ld_server_run(struct ld_server *s)
{
    struct epoll_event events[LD_EVENTS_PER_WAIT];

    s->stopping = 0;
    while (!s->stopping) {
        int n = epoll_wait(s->epfd, events, LD_EVENTS_PER_WAIT, wait_ms(s));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        for (int i = 0; i < n; i++) {
            void *tag = events[i].data.ptr;
            uint64_t count;

            if (tag == &s->listen_fd) {
                accept_clients(s);
            } else if (tag == &s->wake_fd) {
                s->stopping = read(s->wake_fd, &count, sizeof(count)) > 0;
            } else {
                ld_conn_event(s, tag, events[i].events);
            }
        }
        run_timers(s);
    }
    return 0;
}
