/* test_latencyd_load.c: latencyd under load: a thousand slow requests at once, thousands of idle
 * keep-alive connections, clients that vanish mid-answer; and afterwards not one descriptor
 * more in the server than it started with (counted in /proc/PID/fd).
 *
 * The thousand requests go out over raw non-blocking sockets and one epoll, not libcurl: the
 * test measures the server, so the client must not be the bottleneck. Concurrency is proven by
 * counting (the server's own peak of requests in flight); the time is checked too, as best of
 * three against the ideal, and not under sanitizers.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "ld_client.h"
#include "ld_server.h"
#include "proc.h"
#include "suite.h"
#include "server.h"

#define BURST       1000 /* concurrent /delay requests */
#define BURST_MS    200  /* each one's delay */
#define BURST_LIMIT 0.4  /* seconds the whole burst may take: the promise (2x the delay) */
#define IDLE_CONNS  3000 /* idle keep-alive connections held at once */

static struct h_server srv;

/* Descriptors the server process holds now. */
static int server_fds(void)
{
    char path[64];
    DIR *d;
    int n = 0;

    snprintf(path, sizeof(path), "/proc/%d/fd", (int)srv.pid);
    if (!(d = opendir(path)))
        return -errno;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* Waits until the server has seen every client leave: no connection, nothing in flight, and
 * its descriptors back to want. Closes take a moment to reach it; a leak never does. */
static bool server_settles(int want_fds, struct h_server_stats *st, int *fds)
{
    int64_t deadline = h_deadline_ms(h_sanitized() ? 6000 : 2000);

    do {
        *fds = server_fds();
        if (h_server_stats(&srv, st) == 0 && st->connections == 0 && st->in_flight == 0 &&
            (*fds = server_fds()) == want_fds)
            return true;
        h_sleep_ms(10);
    } while (h_now_ns() < deadline);
    return false;
}

/* Waits until the server has exactly want requests in flight; *seen is the last count read. */
static bool in_flight_reaches(long want, long *seen)
{
    struct h_server_stats st;
    int64_t deadline = h_deadline_ms(h_sanitized() ? 6000 : 2000);

    *seen = -1;
    do {
        if (h_server_stats(&srv, &st) == 0 && (*seen = st.in_flight) == want)
            return true;
        h_sleep_ms(2);
    } while (h_now_ns() < deadline);
    return false;
}

/* This process needs a descriptor per connection too. */
static void need_fds(long n)
{
    long limit = ld_raise_nofile();

    H_ASSERT_FATAL(limit >= n + 64, "the file limit is %ld; this test needs %ld (ulimit -n)", limit,
                   n + 64);
}

struct burst {
    int n, delay_ms;
    int fds[BURST];
    char replies[BURST][160];
    size_t lens[BURST];
    int answered; /* 200s with the right body */
    long peak;    /* the server's peak in flight */
};

/* Connects and sends all n requests, then collects the answers through one epoll. Returns the
 * seconds from the first connect to the last answer, or -1 if any answer was missing or wrong,
 * or the server did not hold them all in flight at once. */
static double burst_attempt(void *arg)
{
    struct burst *b = arg;
    struct epoll_event ev, evs[64];
    char request[64], want[32];
    int ep = epoll_create1(EPOLL_CLOEXEC), done = 0, len;
    struct h_server_stats st;
    int64_t t0;

    b->answered = 0;
    b->peak = -1;
    if (ep < 0 || h_server_reset_stats(&srv) != 0)
        return -1;
    len = snprintf(request, sizeof(request), "GET /delay/%d HTTP/1.1\r\n\r\n", b->delay_ms);
    snprintf(want, sizeof(want), "\r\n\r\nwaited %d ms\n", b->delay_ms);
    t0 = h_now_ns();
    for (int i = 0; i < b->n; i++) {
        b->lens[i] = 0;
        /* A blocking connect to loopback completes from the listen queue, at once. */
        if ((b->fds[i] = ld_client_connect(srv.port, LD_CLIENT_TIMEOUT_MS)) < 0 ||
            ld_client_send(b->fds[i], request, (size_t)len) != 0)
            break;
        ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = (uint32_t)i };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, b->fds[i], &ev) != 0)
            break;
        done++;
    }
    for (int left = done, n; left > 0 && (n = epoll_wait(ep, evs, 64, 10000)) > 0;) {
        for (int k = 0; k < n; k++) {
            int i = (int)evs[k].data.u32;
            ssize_t got =
                read(b->fds[i], b->replies[i] + b->lens[i], sizeof(b->replies[i]) - 1 - b->lens[i]);

            if (got > 0)
                b->lens[i] += (size_t)got;
            b->replies[i][b->lens[i]] = '\0';
            if (got <= 0 || strstr(b->replies[i], want)) {
                b->answered += got > 0 && !strncmp(b->replies[i], "HTTP/1.1 200 ", 13);
                epoll_ctl(ep, EPOLL_CTL_DEL, b->fds[i], NULL);
                left--;
            }
        }
    }
    double took = h_ns_to_s(h_now_ns() - t0);
    for (int i = 0; i < done; i++)
        close(b->fds[i]);
    close(ep);
    if (h_server_stats(&srv, &st) == 0)
        b->peak = st.peak_in_flight;
    return b->answered == b->n && b->peak == b->n ? took : -1;
}

static void latencyd_thousand_concurrent_delays(void)
{
    struct burst *b = calloc(1, sizeof(*b));
    double took;

    H_ASSERT_FATAL(b != NULL, "out of memory");
    need_fds(BURST);
    H_ASSERT_RC_FATAL(h_server_start(&srv, NULL), 0);
    b->n = BURST;
    /* Under sanitizers the server is several times slower to take a thousand requests in; a
     * longer delay keeps them all in flight at once, which is what is counted. */
    b->delay_ms = h_sanitized() ? 5 * BURST_MS : BURST_MS;
    took = h_best_time(burst_attempt, b, 2.0 * b->delay_ms / 1000);
    H_ASSERT_EQ(b->answered, BURST);
    H_ASSERT_EQ(b->peak, BURST);
    if (!h_sanitized())
        H_ASSERT_TIME_WITHIN("1000 concurrent /delay/200", took, BURST_MS / 1000.0,
                             BURST_LIMIT / (BURST_MS / 1000.0));
    free(b);
    H_ASSERT_RC(h_server_stop(&srv), 0);
}

static void latencyd_holds_idle_keep_alive_connections(void)
{
    const char *request = "GET /delay/0 HTTP/1.1\r\n\r\n";
    struct ld_response r = { 0 };
    struct h_server_stats st = { 0 };
    int *fds = calloc(IDLE_CONNS, sizeof(*fds)), base, now_fds, open = 0, second = 0;
    bool settled;
    int64_t t0;

    H_ASSERT_FATAL(fds != NULL, "out of memory");
    need_fds(IDLE_CONNS);
    H_ASSERT_RC_FATAL(h_server_start(&srv, NULL), 0);
    base = server_fds();
    for (; open < IDLE_CONNS; open++) {
        if ((fds[open] = ld_client_connect(srv.port, LD_CLIENT_TIMEOUT_MS)) < 0)
            break;
        if (ld_client_send(fds[open], request, strlen(request)) != 0 ||
            ld_client_read(fds[open], &r, false) != 200) {
            close(fds[open]);
            break;
        }
    }
    H_ASSERT_EQ_FATAL(open, IDLE_CONNS);
    H_ASSERT_RC(h_server_stats(&srv, &st), 0);
    H_ASSERT_EQ(st.connections, IDLE_CONNS);
    /* With all of them open, a newcomer is served at once... */
    t0 = h_now_ns();
    H_ASSERT_EQ(h_server_get(&srv, "/delay/100", NULL, 0), 200);
    H_ASSERT(h_now_ns() - t0 < (h_sanitized() ? 3000 : 1000) * H_NS_PER_MS,
             "/delay/100 beside %d idle connections took %.3f s", IDLE_CONNS,
             h_ns_to_s(h_now_ns() - t0));
    /* ...and every idle connection is still alive and answers again. */
    for (int i = 0; i < open; i++)
        second += ld_client_send(fds[i], request, strlen(request)) == 0 &&
                  ld_client_read(fds[i], &r, false) == 200;
    H_ASSERT_EQ(second, IDLE_CONNS);
    for (int i = 0; i < open; i++)
        close(fds[i]);
    free(fds);
    settled = server_settles(base, &st, &now_fds);
    H_ASSERT(settled, "connections %ld, in flight %ld, fds %d (was %d)", st.connections,
             st.in_flight, now_fds, base);
    H_ASSERT_RC(h_server_stop(&srv), 0);
}

/* Connects and sends raw; returns the socket. */
static int send_raw(const char *raw)
{
    int fd = ld_client_connect(srv.port, LD_CLIENT_TIMEOUT_MS);

    H_ASSERT_FATAL(fd >= 0, "connect: %s", h_errname(fd));
    H_ASSERT_RC(ld_client_send(fd, raw, strlen(raw)), 0);
    return fd;
}

/* Closes fd with a reset instead of a FIN (SO_LINGER 0): a client killed mid-transfer. */
static void reset_close(int fd)
{
    struct linger l = { .l_onoff = 1, .l_linger = 0 };

    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    close(fd);
}

static void latencyd_survives_vanishing_clients(void)
{
    char buf[4096];
    struct h_server_stats st = { 0 };
    int base, now_fds, fd, waiting[2];
    bool settled, reached;
    long seen;

    H_ASSERT_RC_FATAL(h_server_start(&srv, NULL), 0);
    base = server_fds();
    for (int round = 0; round < 20; round++) {
        /* Mid-body of 64 MiB: after reading a little, gone with a FIN, or with a reset. */
        fd = send_raw("GET /bytes/67108864 HTTP/1.1\r\n\r\n");
        H_ASSERT(recv(fd, buf, sizeof(buf), MSG_WAITALL) > 0, "no answer to /bytes");
        if (round % 2)
            reset_close(fd);
        else
            close(fd);
        /* While the answer is still being waited for (once the server has the requests in
         * flight: a client that closes at once is gone before its request is even read), or
         * dripped; half-way through a head. */
        waiting[0] = send_raw("GET /delay/10000 HTTP/1.1\r\n\r\n");
        waiting[1] = send_raw("GET /stall HTTP/1.1\r\n\r\n");
        reached = in_flight_reaches(2, &seen);
        H_ASSERT_FATAL(reached,
                       "in flight %ld, want 2 (/delay/10000 and /stall): requests of "
                       "clients that left are still counted?",
                       seen);
        close(waiting[0]);
        reset_close(waiting[1]);
        fd = send_raw("GET /drip/100?interval=10 HTTP/1.1\r\n\r\n");
        H_ASSERT(recv(fd, buf, 16, MSG_WAITALL) > 0, "no answer to /drip");
        reset_close(fd);
        close(send_raw("GET /delay/0 HTTP/1.1\r\nHost: "));
        reset_close(send_raw("GET /bytes/1000 HTTP/1.1\r\n\r\n"));
        /* An oversized head, abandoned while the server drains it. */
        fd = send_raw("GET /");
        memset(buf, 'x', sizeof(buf));
        for (int i = 0; i < 3; i++)
            ld_client_send(fd, buf, sizeof(buf));
        close(fd);
    }
    /* None of them is left in flight or open (a /delay/10000 would still be, for 10 s, if the
     * server did not notice its client leave), and the server answers the next one. */
    settled = server_settles(base, &st, &now_fds);
    H_ASSERT(settled, "connections %ld, in flight %ld, fds %d (was %d)", st.connections,
             st.in_flight, now_fds, base);
    H_ASSERT_EQ(h_server_get(&srv, "/delay/0", NULL, 0), 200);
    H_ASSERT_RC(h_server_stop(&srv), 0);
}

const struct h_suite h_suite = {
    .tests =
        (const struct h_test[]){
            { H_TEST(latencyd_thousand_concurrent_delays, 1), .timeout_ms = 30000 },
            { H_TEST(latencyd_holds_idle_keep_alive_connections, 1), .timeout_ms = 30000 },
            { H_TEST(latencyd_survives_vanishing_clients, 1), .timeout_ms = 20000 },
            { 0 },
        },
};
