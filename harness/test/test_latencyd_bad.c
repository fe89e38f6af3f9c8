/* test_latencyd_bad.c: latencyd survives what clients get wrong, with a 4xx or a close.
 *
 * Malformed request lines, unknown methods, heads over 8 KiB, numbers that are not numbers, a
 * client that sends its head a byte at a time, more connections than the cap, and requests
 * whose length two servers could read two ways (the request-smuggling classics). Sent over plain
 * sockets, which can send what no HTTP library would. After each, the server must still serve
 * others, and stop cleanly (h_server_stop returns 0 only then).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ld_test.h"
#include "suite.h"

static void latencyd_rejects_malformed_requests(void)
{
    static const char *const bad[] = {
        "GARBAGE\r\n\r\n",
        "GET\r\n\r\n",
        "GET /delay/0\r\n\r\n",
        "GET  /delay/0 HTTP/1.1\r\n\r\n",
        "GET delay/0 HTTP/1.1\r\n\r\n",
        "GET /delay/0 HTTP/1.1 extra\r\n\r\n",
        "GET /delay/0 HTTX/1.1\r\n\r\n",
        "GET /delay/0 HTTP/1.1\r\nNo colon here\r\n\r\n",
        "GET /delay/0 HTTP/1.1\r\n Folded: line\r\n\r\n",
        "GET /delay/0 HTTP/1.1\r\nContent-Length: ten\r\n\r\n",
        "\x01\x02\x03\xff\r\n\r\n",
        "\r\n\r\n",
    };
    struct ld_response r = { 0 };

    start(NULL);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_refusal(bad[i], 400);
    expect_refusal("GET /delay/0 HTTP/2.0\r\n\r\n", 505);
    H_ASSERT_EQ(get("/delay/0", &r), 200);
    stop();
}

/* Where a proxy in front and latencyd could disagree on where a request ends (RFC 9112, 6.3):
 * the second request hidden in the first's body would reach one of them only. */
static void latencyd_rejects_ambiguous_framing(void)
{
    static const char *const bad[] = {
        "GET /delay/0 HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 27\r\n\r\n"
        "GET /stats HTTP/1.1\r\n\r\n",
        "GET /delay/0 HTTP/1.1\r\nContent-Length: 27\r\nContent-Length: 0\r\n\r\n"
        "GET /stats HTTP/1.1\r\n\r\n",
        "GET /delay/0 HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        "0\r\n\r\n",
        "GET /delay/0 HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
        "0\r\n\r\n",
        "GET /delay/0 HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n",
        "GET /delay/0 HTTP/1.1\r\nContent-Length: +5\r\n\r\nhello",
        "GET /delay/0 HTTP/1.1\r\nContent-Length: 1 0\r\n\r\nhello",
        "GET /delay/0 HTTP/1.1\r\nContent-Length : 5\r\n\r\nhello",
        "GET /delay/0 HTTP/1.1\r\nX-Pad: a\r\n Content-Length: 5\r\n\r\nhello",
        "GET /delay/0 HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    };
    struct ld_response r = { 0 };
    int fd;

    start(NULL);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_refusal(bad[i], 400);
    /* The same length twice is one length: served, and the connection stays usable. */
    fd = connect_srv();
    H_ASSERT_EQ(exchange(fd,
                         "GET /delay/0 HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
                         &r, false),
                200);
    H_ASSERT(!r.close, "two 'Content-Length: 0' lines closed the connection");
    H_ASSERT_EQ(exchange(fd, "GET /delay/0 HTTP/1.1\r\n\r\n", &r, false), 200);
    close(fd);
    stop();
}

static void latencyd_rejects_unknown_methods(void)
{
    struct ld_response r = { 0 };
    int fd;

    start(NULL);
    expect_refusal("BREW /delay/0 HTTP/1.1\r\n\r\n", 501);
    expect_refusal("get /delay/0 HTTP/1.1\r\n\r\n", 501); /* methods are case-sensitive */
    expect_refusal("POST /delay/0 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 405);
    fd = connect_srv(); /* no body to skip: the connection stays usable */
    H_ASSERT_EQ(exchange(fd, "DELETE /delay/0 HTTP/1.1\r\n\r\n", &r, false), 405);
    H_ASSERT_EQ(exchange(fd, "GET /delay/0 HTTP/1.1\r\n\r\n", &r, false), 200);
    close(fd);
    stop();
}

/* A head of exactly `size` bytes: the request line, header lines of up to 100 bytes, the blank
 * line. (For the sizes used here the last header line is never too short to be one.) */
static char *head_of(size_t size)
{
    char *h = malloc(size + 1);
    size_t len;

    H_ASSERT_FATAL(h != NULL, "out of memory");
    len = (size_t)sprintf(h, "GET /delay/0 HTTP/1.1\r\n");
    while (len + 2 < size) {
        size_t line = size - 2 - len > 100 ? 100 : size - 2 - len;

        memcpy(h + len, "X-Pad: ", 7);
        memset(h + len + 7, 'p', line - 9);
        memcpy(h + len + line - 2, "\r\n", 2);
        len += line;
    }
    memcpy(h + len, "\r\n", 3);
    return h;
}

static void latencyd_rejects_oversized_heads(void)
{
    struct ld_response r = { 0 };
    char *ok = head_of(8000), *big = head_of(9000), *endless = malloc(20000);
    int fd;

    H_ASSERT_FATAL(endless != NULL, "out of memory");
    memset(endless, 'a', 20000);
    start(NULL);
    fd = connect_srv();
    H_ASSERT_EQ(exchange(fd, ok, &r, false), 200); /* under the limit: served */
    close(fd);
    expect_refusal(big, 431);
    fd = connect_srv(); /* one endless line, never a blank line */
    H_ASSERT_RC(ld_client_send(fd, endless, 9000), 0);
    H_ASSERT_EQ(ld_client_read(fd, &r, false), 431);
    close(fd);
    H_ASSERT_EQ(get("/delay/0", &r), 200);
    free(ok);
    free(big);
    free(endless);
    stop();
}

static void latencyd_rejects_bad_numbers(void)
{
    static const char *const bad[] = {
        "/delay/abc",   "/delay/-5",   "/delay/+5",          "/delay/1.5",
        "/delay/",      "/delay/1e3",  "/delay/60001",       "/delay/99999999999999999999999",
        "/delay/0x10",  "/bytes/x",    "/bytes/67108865",    "/status/99",
        "/status/600",  "/status/abc", "/drip/5?interval=0", "/drip/5?interval=x",
        "/drip/100001", "/delay/5/",   "/drip/5?interval=",
    };
    char body[BODY_CAP], raw[200];
    struct ld_response r = { .body = body, .body_cap = sizeof(body) };
    int fd;

    start(NULL);
    fd = connect_srv();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(raw, sizeof(raw), "GET %s HTTP/1.1\r\n\r\n", bad[i]);
        h_assert(exchange(fd, raw, &r, false) == 400, false, __FILE__, __LINE__,
                 "GET %s got %d, want 400", bad[i], r.status);
    }
    /* A 400 for a bad number is an answer, not a broken connection: it is still usable. */
    H_ASSERT_EQ(exchange(fd, "GET /delay/0 HTTP/1.1\r\n\r\n", &r, false), 200);
    close(fd);
    stop();
}

static void latencyd_header_timeout_closes_slow_clients(void)
{
    const struct h_server_config config = { .header_timeout_ms = 300 };
    const char *request = "GET /delay/0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    char body[BODY_CAP];
    struct ld_response r = { .body = body, .body_cap = sizeof(body) };
    struct h_server_stats st = { 0 };
    bool ok;
    int slow, idle, served = 0, sent = 0;
    int64_t t0, took;

    start(&config);
    idle = connect_srv(); /* an idle keep-alive connection is not a slow client */
    H_ASSERT_EQ(exchange(idle, request, &r, false), 200);
    slow = connect_srv();
    t0 = h_now_ns();
    /* A byte every 100 ms (as one a second, only sooner): the head never completes in time.
     * Meanwhile other clients are served at once. */
    for (; request[sent] && recv(slow, body, 1, MSG_PEEK | MSG_DONTWAIT) < 0; sent++) {
        if (ld_client_send(slow, request + sent, 1) != 0)
            break;
        served += get("/delay/0", &r) == 200;
        h_sleep_ms(100);
    }
    H_ASSERT_EQ(ld_client_read(slow, &r, false), 408);
    took = h_now_ns() - t0;
    H_ASSERT(took >= 300 * H_NS_PER_MS, "closed after %.3f s, before the 0.3 s timeout",
             h_ns_to_s(took));
    H_ASSERT(took < (h_sanitized() ? 3000 : 1500) * H_NS_PER_MS, "closed only after %.3f s",
             h_ns_to_s(took));
    H_ASSERT_EQ(served, sent);
    H_ASSERT(closed_by_server(slow), "the slow client's connection stayed open");
    close(slow);
    H_ASSERT_EQ(exchange(idle, request, &r, false), 200); /* idle for > 300 ms, still open */
    close(idle);
    ok = stats_until(idle_with, 0, 1000, &st);
    H_ASSERT(ok, "connections %ld, in flight %ld", st.connections, st.in_flight);
    H_ASSERT_EQ(st.timeouts, 1);
    stop();
}

static void latencyd_caps_connections(void)
{
    enum { CAP = 8 };
    const struct h_server_config config = { .max_connections = CAP };
    struct ld_response r = { 0 };
    struct h_server_stats st = { 0 };
    bool ok;
    int fds[CAP], extra;

    start(&config);
    for (int i = 0; i < CAP; i++) {
        fds[i] = connect_srv();
        H_ASSERT_EQ(exchange(fds[i], "GET /delay/0 HTTP/1.1\r\n\r\n", &r, false), 200);
    }
    extra = connect_srv(); /* the kernel accepts the connection; latencyd closes it at once */
    H_ASSERT_EQ(exchange(extra, "GET /delay/0 HTTP/1.1\r\n\r\n", &r, false) > 0, 0);
    close(extra);
    close(fds[0]);
    ok = stats_until(idle_with, CAP - 1, 1000, &st);
    H_ASSERT(ok, "connections %ld, want %d", st.connections, CAP - 1);
    H_ASSERT_GE(st.refused, 1);
    for (int i = 1; i < CAP; i++) /* those already in were never disturbed */
        H_ASSERT_EQ(exchange(fds[i], "GET /delay/0 HTTP/1.1\r\n\r\n", &r, false), 200);
    for (int i = 1; i < CAP; i++)
        close(fds[i]);
    stop();
}

const struct h_suite h_suite = {
    .tests =
        (const struct h_test[]){
            { H_TEST(latencyd_rejects_malformed_requests, 1) },
            { H_TEST(latencyd_rejects_ambiguous_framing, 1) },
            { H_TEST(latencyd_rejects_unknown_methods, 1) },
            { H_TEST(latencyd_rejects_oversized_heads, 1) },
            { H_TEST(latencyd_rejects_bad_numbers, 1) },
            { H_TEST(latencyd_header_timeout_closes_slow_clients, 1) },
            { H_TEST(latencyd_caps_connections, 1) },
            { 0 },
        },
};
