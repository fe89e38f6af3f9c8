/* ld_test.h: what latencyd's own tests share (test_latencyd.c, test_latencyd_bad.c): a server
 * per test, plain-socket requests, and waiting for the server's counts to settle. Header-only,
 * every function static inline, so that each test file takes what it uses.
 */
#ifndef LD_TEST_H
#define LD_TEST_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "ld_client.h"
#include "proc.h"
#include "server.h"

#define BODY_CAP 256 /* what the tests keep of a body; the length is always counted in full */

static struct h_server srv;

static inline void start(const struct h_server_config *config)
{
    H_ASSERT_RC_FATAL(h_server_start(&srv, config), 0);
}

static inline void stop(void)
{
    H_ASSERT_RC(h_server_stop(&srv), 0);
}

static inline int connect_srv(void)
{
    int fd = ld_client_connect(srv.port, LD_CLIENT_TIMEOUT_MS);

    H_ASSERT_FATAL(fd >= 0, "connecting to latencyd: %s", h_errname(fd));
    return fd;
}

/* Sends raw on fd, reads one response into r; returns the status (or 0 / -errno). */
static inline int exchange(int fd, const char *raw, struct ld_response *r, bool head_request)
{
    int rc = ld_client_send(fd, raw, strlen(raw));

    return rc < 0 ? rc : ld_client_read(fd, r, head_request);
}

/* GET path on a fresh connection; returns the status and fills r (body up to BODY_CAP). */
static inline int get(const char *path, struct ld_response *r)
{
    return ld_client_get(srv.port, path, r);
}

/* The server closed fd, maybe after a last response: the next read is the end of the stream. */
static inline bool closed_by_server(int fd)
{
    char c;
    ssize_t n = recv(fd, &c, 1, 0);

    return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* raw made printable for a message: CR and LF as \r and \n, other bytes outside ASCII's
 * printable range as \xNN, cut short at the end of out (with "..."). Returns out. */
static inline const char *printable(const char *raw, char *out, size_t size)
{
    size_t n = 0;

    for (; *raw && n + 8 < size; raw++) {
        unsigned char c = (unsigned char)*raw;

        if (c == '\r' || c == '\n')
            n += (size_t)snprintf(out + n, size - n, "\\%c", c == '\r' ? 'r' : 'n');
        else if (c < ' ' || c > '~')
            n += (size_t)snprintf(out + n, size - n, "\\x%02x", c);
        else
            out[n++] = (char)c;
    }
    snprintf(out + n, size - n, "%s", *raw ? "..." : "");
    return out;
}

/* Sends raw on a fresh connection: the answer must be want, then a close. */
static inline void expect_refusal(const char *raw, int want)
{
    struct ld_response r = { 0 };
    int fd = connect_srv(), got = exchange(fd, raw, &r, false);
    char shown[160];

    h_assert(got == want, false, __FILE__, __LINE__, "'%s' got %d (%s), want %d",
             printable(raw, shown, sizeof(shown)), got, got < 0 ? h_errname(got) : "status", want);
    H_ASSERT(got <= 0 || (r.close && closed_by_server(fd)), "'%s' left the connection open",
             printable(raw, shown, sizeof(shown)));
    close(fd);
}

/* Polls /stats until check(st) holds or ms pass; returns whether it held. */
static inline bool stats_until(bool (*check)(const struct h_server_stats *, long), long want,
                               int ms, struct h_server_stats *st)
{
    int64_t deadline = h_deadline_ms(h_sanitized() ? 3 * ms : ms);

    do {
        if (h_server_stats(&srv, st) == 0 && check(st, want))
            return true;
        h_sleep_ms(5);
    } while (h_now_ns() < deadline);
    return false;
}

static inline bool in_flight_is(const struct h_server_stats *st, long want)
{
    return st->in_flight == want;
}

static inline bool idle_with(const struct h_server_stats *st, long want)
{
    return st->in_flight == 0 && st->connections == want;
}

#endif
