/* test_latencyd.c: latencyd answers what it promises.
 *
 * Each test starts its own server with the fixture (server.h) and talks to it over plain
 * sockets (ld_client.h). A test ends by stopping the server, which returns 0 only if it exited
 * cleanly: every test also proves the server did not crash. What clients get wrong is tested in
 * test_latencyd_bad.c; load (a thousand requests at once, thousands of idle connections,
 * descriptor leaks) in test_latencyd_load.c. The parser and the timer heap are tested directly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ld_heap.h"
#include "ld_http.h"
#include "ld_test.h"
#include "suite.h"

static void latencyd_endpoints_answer(void)
{
    char body[BODY_CAP], *big = malloc(100001);
    struct ld_response r = { .body = body, .body_cap = sizeof(body) };
    struct ld_response b = { .body = big, .body_cap = 100001 };
    size_t wrong = 0;

    H_ASSERT_FATAL(big != NULL, "out of memory");
    start(NULL);
    H_ASSERT_EQ(get("/delay/0", &r), 200);
    H_ASSERT(strcmp(body, "waited 0 ms\n") == 0, "/delay/0 body is '%s'", body);
    H_ASSERT_EQ(get("/bytes/100000", &b), 200);
    H_ASSERT_EQ(b.body_len, 100000);
    for (size_t i = 0; i < b.body_len && i < 100000; i++)
        wrong += big[i] != 'a' + (char)(i % 26);
    H_ASSERT_EQ(wrong, 0);
    H_ASSERT_EQ(get("/bytes/0", &r), 200);
    H_ASSERT_EQ(r.body_len, 0);
    H_ASSERT_EQ(get("/status/404", &r), 404);
    H_ASSERT(strcmp(body, "404 Not Found\n") == 0, "/status/404 body is '%s'", body);
    H_ASSERT_EQ(get("/status/503", &r), 503);
    H_ASSERT_EQ(get("/status/599", &r), 599);
    H_ASSERT_EQ(get("/status/204", &r), 204);
    H_ASSERT_EQ(r.body_len, 0);
    H_ASSERT_EQ(get("/", &r), 200);
    H_ASSERT_EQ(get("/no/such/thing", &r), 404);
    H_ASSERT_EQ(get("/delay", &r), 404);
    H_ASSERT_EQ(get("/stats", &r), 200);
    H_ASSERT(strstr(body, "\"peak_in_flight\":") != NULL, "/stats body is '%s'", body);
    free(big);
    stop();
}

/* Two delays on two connections, the longer asked first: each answers at its own deadline. */
static void latencyd_delays_fire_at_their_deadlines(void)
{
    char body[BODY_CAP];
    struct ld_response r = { .body = body, .body_cap = sizeof(body) };
    int slow, fast;
    int64_t t0, fast_ns, slow_ns;

    start(NULL);
    slow = connect_srv();
    fast = connect_srv();
    t0 = h_now_ns();
    H_ASSERT_RC_FATAL(ld_client_send(slow, "GET /delay/400 HTTP/1.1\r\n\r\n", 27), 0);
    H_ASSERT_RC_FATAL(ld_client_send(fast, "GET /delay/150 HTTP/1.1\r\n\r\n", 27), 0);
    H_ASSERT_EQ(ld_client_read(fast, &r, false), 200);
    fast_ns = h_now_ns() - t0;
    H_ASSERT(strcmp(body, "waited 150 ms\n") == 0, "body is '%s'", body);
    H_ASSERT_EQ(ld_client_read(slow, &r, false), 200);
    slow_ns = h_now_ns() - t0;
    /* Never early (sleeping cannot end early), and the short one did not wait for the long one. */
    H_ASSERT(fast_ns >= 150 * H_NS_PER_MS, "/delay/150 answered after %.3f s", h_ns_to_s(fast_ns));
    H_ASSERT(slow_ns >= 400 * H_NS_PER_MS, "/delay/400 answered after %.3f s", h_ns_to_s(slow_ns));
    H_ASSERT(fast_ns < 400 * H_NS_PER_MS, "/delay/150 took %.3f s: it waited for /delay/400?",
             h_ns_to_s(fast_ns));
    close(slow);
    close(fast);
    stop();
}

static void latencyd_keeps_alive_and_pipelines(void)
{
    const char *pipelined = "GET /delay/50 HTTP/1.1\r\n\r\nGET /bytes/5 HTTP/1.1\r\n\r\n"
                            "GET /status/404 HTTP/1.1\r\n\r\n";
    char body[BODY_CAP];
    struct ld_response r = { .body = body, .body_cap = sizeof(body) };
    int fd;

    start(NULL);
    fd = connect_srv();
    for (int i = 0; i < 3; i++)
        H_ASSERT_EQ(exchange(fd, "GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n", &r, false), 200);
    H_ASSERT_EQ(exchange(fd, "HEAD /bytes/100 HTTP/1.1\r\n\r\n", &r, true), 200);
    H_ASSERT_EQ(r.content_length, 100);
    /* Three requests in one send: three answers, in order, on the same connection. */
    H_ASSERT_RC_FATAL(ld_client_send(fd, pipelined, strlen(pipelined)), 0);
    H_ASSERT_EQ(ld_client_read(fd, &r, false), 200);
    H_ASSERT(strcmp(body, "waited 50 ms\n") == 0, "first pipelined body is '%s'", body);
    H_ASSERT_EQ(ld_client_read(fd, &r, false), 200);
    H_ASSERT(strcmp(body, "abcde") == 0, "second pipelined body is '%s'", body);
    H_ASSERT_EQ(ld_client_read(fd, &r, false), 404);
    H_ASSERT(!r.close, "a 404 closed the connection");
    /* HTTP/1.0 without keep-alive: one answer, then the server closes. */
    H_ASSERT_EQ(exchange(fd, "GET /delay/0 HTTP/1.0\r\n\r\n", &r, false), 200);
    H_ASSERT(r.close, "no Connection: close for an HTTP/1.0 request");
    H_ASSERT(closed_by_server(fd), "the connection stayed open after HTTP/1.0");
    close(fd);
    stop();
}

static void latencyd_drip_is_slow_and_stall_never_answers(void)
{
    static const char *const defaults[] = { "/drip/3", "/drip/3?", "/drip/3?x=1&y" };
    char body[BODY_CAP];
    struct ld_response r = { .body = body, .body_cap = sizeof(body) };
    struct h_server_stats st = { 0 };
    bool ok;
    int drip, stall[3];
    int64_t t0, took;

    start(NULL);
    drip = connect_srv();
    t0 = h_now_ns();
    H_ASSERT_EQ(exchange(drip, "GET /drip/5?interval=200 HTTP/1.1\r\n\r\n", &r, false), 200);
    took = h_now_ns() - t0;
    H_ASSERT(strcmp(body, "abcde") == 0, "/drip/5 body is '%s'", body);
    H_ASSERT(took >= 1000 * H_NS_PER_MS, "/drip/5?interval=200 took %.3f s, want >= 1 s",
             h_ns_to_s(took));
    /* No query at all (the parser leaves it NULL): the default interval, 100 ms. An empty
     * query and one with other parameters mean the same. */
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        char raw[64];

        snprintf(raw, sizeof(raw), "GET %s HTTP/1.1\r\n\r\n", defaults[i]);
        t0 = h_now_ns();
        H_ASSERT_EQ(exchange(drip, raw, &r, false), 200);
        took = h_now_ns() - t0;
        H_ASSERT(strcmp(body, "abc") == 0, "%s body is '%s', want 'abc'", defaults[i], body);
        H_ASSERT(took >= 300 * H_NS_PER_MS, "%s took %.3f s, want >= 0.3 s (100 ms a byte)",
                 defaults[i], h_ns_to_s(took));
    }
    for (int i = 0; i < 3; i++) {
        stall[i] = connect_srv();
        H_ASSERT_RC(ld_client_send(stall[i], "GET /stall HTTP/1.1\r\n\r\n", 24), 0);
    }
    ok = stats_until(in_flight_is, 3, 1000, &st);
    H_ASSERT(ok, "in flight %ld, want 3", st.in_flight);
    H_ASSERT_RC(h_server_reset_stats(&srv), 0);
    H_ASSERT_RC(h_server_stats(&srv, &st), 0);
    H_ASSERT_EQ(st.requests, 0);
    H_ASSERT_EQ(st.peak_in_flight, 3); /* the peak restarts from what is in flight */
    for (int i = 0; i < 3; i++)
        close(stall[i]);
    ok = stats_until(idle_with, 1, 1000, &st);
    H_ASSERT(ok, "in flight %ld, connections %ld", st.in_flight, st.connections);
    close(drip);
    stop();
}

static void latencyd_http_parser_table(void)
{
    static const struct {
        const char *head;
        int status;
        bool keep_alive, has_body;
    } cases[] = {
        { "GET /a HTTP/1.1\r\n\r\n", 0, true, false },
        { "GET /a HTTP/1.0\r\n\r\n", 0, false, false },
        { "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 0, true, false },
        { "GET /a HTTP/1.1\r\nconnection:   CLOSE  \r\n\r\n", 0, false, false },
        { "GET /a HTTP/1.1\nHost: x\n\n", 0, true, false },
        { "HEAD /a?b=c HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 0, true, false },
        { "PUT /a HTTP/1.1\r\nContent-Length: 3\r\n\r\n", 0, true, true },
        { "GET /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 0, true, true },
        { "GET /a HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, false, false },
        { "GET /a\tb HTTP/1.1\r\n\r\n", 400, false, false },
        { "G@T /a HTTP/1.1\r\n\r\n", 400, false, false },
        { "GET /a HTTP/1.1\r\nBad Name: x\r\n\r\n", 400, false, false },
        { "GET /a HTTP/1.1\r\nX: a\x01z\r\n\r\n", 400, false, false },
        { "GET /a HTTP/3.0\r\n\r\n", 505, false, false },
        { "FROB /a HTTP/1.1\r\n\r\n", 501, false, false },
        /* Framing: what a proxy in front and latencyd must agree on, or requests get smuggled. */
        { "GET /a HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 0, true, true },
        { "GET /a HTTP/1.1\r\nContent-Length: 05\r\ncontent-length:5\r\n\r\n", 0, true, true },
        { "GET /a HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 000\r\n\r\n", 0, true, false },
        { "GET /a HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400, false, false },
        { "GET /a HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 10\r\n\r\n", 400, false, false },
        { "GET /a HTTP/1.1\r\nContent-Length:  7 \r\n\r\n", 0, true, true },
        { "GET /a HTTP/1.1\r\nContent-Length: +7\r\n\r\n", 400, false, false },
        { "GET /a HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", 400, false, false },
        { "GET /a HTTP/1.1\r\nContent-Length: 5,5\r\n\r\n", 400, false, false },
        { "GET /a HTTP/1.1\r\nContent-Length:\r\n\r\n", 400, false, false },
        { "GET /a HTTP/1.1\r\nContent-Length : 5\r\n\r\n", 400, false, false },
        { "GET /a HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400, false,
          false },
        { "GET /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400, false,
          false },
        { "GET /a HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n", 0, true, true },
        { "GET /a HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 400, false, false },
        { "GET /a HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400, false, false },
        { "GET /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", 400,
          false, false },
        { "GET /a HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n", 400, false, false },
        { "GET /a HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n", 400, false, false },
        { "GET /a HTTP/1.1\r\nX-A: 1\r\n\tContent-Length: 5\r\n\r\n", 400, false, false },
        { "GET /a HTTP/1.1\r\nX: a\rContent-Length: 5\r\n\r\n", 400, false, false },
        { "GET /a HTTP/1.1\r\nHost: a\r\n\r\n", 0, true, false },
        { "GET /a HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, false, false },
    };
    const char *plain = "GET /drip/3 HTTP/1.1\r\n\r\n", *empty = "GET /d? HTTP/1.1\r\n\r\n";
    const char *reason = "";
    struct ld_request parts;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *h = cases[i].head, *why = "";
        size_t end = ld_http_head_end(h, strlen(h), 0);
        struct ld_request req;
        int got;

        H_ASSERT_EQ(end, strlen(h));
        got = ld_http_parse(h, end, &req, &why);
        h_assert(got == cases[i].status, false, __FILE__, __LINE__, "case %zu: %d (%s), want %d", i,
                 got, why, cases[i].status);
        if (got == 0 && cases[i].status == 0)
            h_assert(req.keep_alive == cases[i].keep_alive && req.has_body == cases[i].has_body,
                     false, __FILE__, __LINE__, "case %zu: keep_alive %d has_body %d", i,
                     req.keep_alive, req.has_body);
    }
    /* The target's parts: no '?' leaves the query NULL (a route must not do arithmetic on it). */
    H_ASSERT_RC(ld_http_parse(plain, strlen(plain), &parts, &reason), 0);
    H_ASSERT(parts.query == NULL && parts.query_len == 0 && parts.path_len == 7,
             "/drip/3: query %p (%zu bytes), path %zu bytes", (const void *)parts.query,
             parts.query_len, parts.path_len);
    H_ASSERT_RC(ld_http_parse(empty, strlen(empty), &parts, &reason), 0);
    H_ASSERT(parts.query == empty + 7 && parts.query_len == 0 && parts.path_len == 2,
             "/d?: query at %td (%zu bytes), path %zu bytes", parts.query - empty, parts.query_len,
             parts.path_len);
    H_ASSERT_EQ(ld_http_head_end("GET / HTTP/1.1\r\n\r", 17, 0), 0);
    H_ASSERT_EQ(ld_http_head_end("GET / HTTP/1.1\r\n\r\nGET", 21, 17), 18);
}

static void latencyd_timer_heap_orders(void)
{
    enum { N = 2000 };
    static struct ld_timer timers[N];
    struct ld_heap h;
    int64_t last = -1;
    int fired = 0, out_of_order = 0;

    ld_heap_init(&h);
    srand(42);
    for (int i = 0; i < N; i++) {
        ld_timer_init(&timers[i]);
        H_ASSERT_RC_FATAL(ld_heap_arm(&h, &timers[i], rand() % 100000), 0);
    }
    for (int i = 0; i < N; i += 3) /* move some, cancel others */
        H_ASSERT_RC(ld_heap_arm(&h, &timers[i], rand() % 100000), 0);
    for (int i = 1; i < N; i += 3)
        ld_heap_cancel(&h, &timers[i]);
    for (struct ld_timer *t; (t = ld_heap_first(&h)) != NULL; fired++) {
        out_of_order += t->deadline_ns < last;
        last = t->deadline_ns;
        ld_heap_cancel(&h, t);
    }
    H_ASSERT_EQ(fired, N - (N + 1) / 3);
    H_ASSERT_EQ(out_of_order, 0);
    ld_heap_destroy(&h);
}

const struct h_suite h_suite = {
    .tests =
        (const struct h_test[]){
            { H_TEST(latencyd_endpoints_answer, 1) },
            { H_TEST(latencyd_delays_fire_at_their_deadlines, 1) },
            { H_TEST(latencyd_keeps_alive_and_pipelines, 1) },
            { H_TEST(latencyd_drip_is_slow_and_stall_never_answers, 1) },
            { H_TEST(latencyd_http_parser_table, 1) },
            { H_TEST(latencyd_timer_heap_orders, 1) },
            { 0 },
        },
};
