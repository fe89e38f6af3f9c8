/* test_evloop_curl.c: libcurl driven by the loop: concurrent on one thread, errors per URL,
 * nothing left behind. Each test starts its own latencyd on 127.0.0.1 (before any thread). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "ev_curl.h"
#include "proc.h"
#include "server.h"
#include "test_evloop.h"

#define N_SLOW   20 /* /delay/SLOW_MS URLs fetched at once */
#define SLOW_MS  300
#define N_SIZED  10   /* /bytes/<100 + i> URLs among them: their sizes show the order */
#define SLOW_TOL 1.50 /* all of them may take this times one delay (best of 3) */
#define GARBAGE  0x5A

static struct h_server srv;
static char url_buf[N_SLOW + N_SIZED][96];
static const char *urls[N_SLOW + N_SIZED];
static struct fetch_result results[N_SLOW + N_SIZED];

static void start_server(void)
{
    H_ASSERT_RC_FATAL(h_server_start(&srv, NULL), 0);
}

static void stop_server(void)
{
    H_ASSERT_RC(h_server_stop(&srv), 0);
}

/* ---- n slow URLs in about one delay, on one thread ---- */

static struct ev_timer probe;
static int probe_threads, probe_tid;
static bool probe_fired;

static void probe_cb(struct ev_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
    probe_fired = true;
    probe_tid = my_tid();
    probe_threads = h_count_threads();
}

/* All the URLs once; the seconds it took, or -1 if anything was wrong. */
static double fetch_attempt(void *arg)
{
    const size_t n = N_SLOW + N_SIZED;
    struct ev_loop *loop = new_loop();
    int threads = h_count_threads();
    int64_t start;
    double took;
    bool ok = true;

    (void)arg;
    memset(results, GARBAGE, sizeof(results));
    probe = (struct ev_timer){ 0 };
    probe_fired = false;
    /* A timer of the caller's on the same loop: it fires while the transfers wait. */
    H_ASSERT_RC_FATAL(ev_call_later(loop, &probe, SLOW_MS / 3, probe_cb, NULL), 0);
    start = h_now_ns();
    if (!H_ASSERT_RC(ev_fetch_all(loop, urls, n, results), 0)) {
        ev_loop_destroy(loop);
        return -1;
    }
    took = h_ns_to_s(h_now_ns() - start);
    for (size_t i = 0; i < n && ok; i++) {
        size_t want = i < N_SLOW ? strlen("waited 300 ms\n") : 100 + (i - N_SLOW);

        ok = H_ASSERT(results[i].error == 0 && results[i].status == 200 &&
                          results[i].body != NULL && results[i].size == want,
                      "%s: error %s, status %ld, %zu bytes, want 0, 200, %zu bytes: each "
                      "transfer writes into its own out[i] (CURLOPT_PRIVATE)",
                      urls[i], h_errname(results[i].error), results[i].status, results[i].size,
                      want);
    }
    ev_fetch_results_free(results, n);
    H_ASSERT(probe_fired && probe_tid == my_tid() && probe_threads == threads,
             "a 100 ms timer on the same loop %s during the fetch%s (threads then: %d, before: "
             "%d): the transfers must be driven by the loop, on the thread that called "
             "ev_fetch_all, and need no thread",
             probe_fired ? "fired" : "never fired",
             probe_fired && probe_tid != my_tid() ? ", on another thread" : "", probe_threads,
             threads);
    H_ASSERT_RC(run_loop(loop, 1000, "ev_fetch_all (anything left watched or armed?)", NULL), 0);
    ev_loop_destroy(loop);
    return ok ? took : -1;
}

void ev_fetch_concurrent_on_one_thread(void)
{
    double best;

    ev_loop_destroy(new_loop()); /* a loop that cannot be made fails here, before the server */
    start_server();
    for (int i = 0; i < N_SLOW + N_SIZED; i++) {
        if (i < N_SLOW)
            h_server_url(&srv, url_buf[i], sizeof(url_buf[i]), "/delay/%d", SLOW_MS);
        else
            h_server_url(&srv, url_buf[i], sizeof(url_buf[i]), "/bytes/%d", 100 + i - N_SLOW);
        urls[i] = url_buf[i];
    }
    /* Best of 3, as h_best_time; but a run of many delays is not noise: no retry for it. */
    best = -1;
    for (int i = 0; i < H_TRIES; i++) {
        double took = fetch_attempt(NULL);

        if (took < 0) {
            best = -1;
            break;
        }
        if (best < 0 || took < best)
            best = took;
        if (took <= SLOW_MS / 1000.0 * SLOW_TOL || took > SLOW_MS / 1000.0 * 4)
            break;
    }
    if (best >= 0 && !h_sanitized())
        H_ASSERT_TIME_WITHIN("20 x /delay/300 and 10 x /bytes/N under ev_fetch_all", best,
                             SLOW_MS / 1000.0, SLOW_TOL);
    stop_server();
}

/* ---- errors per URL, and nothing left behind ---- */

static int nested_rc = 1;

static void nested_fetch(struct ev_loop *loop, void *arg)
{
    (void)arg;
    nested_rc = ev_fetch_all(loop, urls, 1, results); /* the loop runs: -EBUSY */
}

static void expect_failure(size_t i, int want, CURLcode curl)
{
    const struct fetch_result *r = &results[i];

    H_ASSERT(r->error == want && r->curl_code == curl && r->body == NULL && r->curl_text[0] != '\0',
             "URL %zu (%s): error %s, curl_code %d (\"%.60s\"), body %s; want %s, curl_code %d "
             "(%s), no body, and libcurl's words in curl_text (fetch_finish records all that)",
             i, urls[i] ? urls[i] : "NULL", h_errname(r->error), (int)r->curl_code, r->curl_text,
             r->body ? "set" : "NULL", h_errname(want), (int)curl, curl_easy_strerror(curl));
}

void ev_fetch_errors_and_cleanup(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int fds_before, threads, reserved;
    struct ev_loop *loop;
    char refused[64];

    fds_before = h_count_fds();
    loop = new_loop(); /* first: a loop that cannot be made fails before the server starts */
    start_server();
    threads = h_count_threads();
    /* A port bound but not listening: connecting to it is refused. */
    reserved = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    H_ASSERT_FATAL(reserved >= 0 && bind(reserved, (struct sockaddr *)&a, sizeof(a)) == 0 &&
                       getsockname(reserved, (struct sockaddr *)&a, &len) == 0,
                   "cannot reserve a port");
    snprintf(refused, sizeof(refused), "http://127.0.0.1:%d/bytes/10", ntohs(a.sin_port));
    h_server_url(&srv, url_buf[0], sizeof(url_buf[0]), "/status/404");
    h_server_url(&srv, url_buf[1], sizeof(url_buf[1]), "/bytes/10");
    urls[0] = url_buf[0];
    urls[1] = refused;
    urls[2] = "http://127.0.0.1:99999/"; /* no such port: malformed */
    urls[3] = NULL;
    urls[4] = url_buf[1];
    memset(results, GARBAGE, sizeof(results));
    H_ASSERT_RC_FATAL(ev_fetch_all(loop, urls, 5, results), 0);
    H_ASSERT(results[0].error == 0 && results[0].status == 404 && results[0].body,
             "/status/404: error %s, status %ld: a 404 is the server's answer, not an error",
             h_errname(results[0].error), results[0].status);
    expect_failure(1, -ECONNREFUSED, CURLE_COULDNT_CONNECT);
    expect_failure(2, -EINVAL, CURLE_URL_MALFORMAT);
    expect_failure(3, -EINVAL, CURLE_URL_MALFORMAT);
    H_ASSERT(results[4].error == 0 && results[4].size == 10,
             "/bytes/10 after three failures: error %s, %zu bytes", h_errname(results[4].error),
             results[4].size);
    ev_fetch_results_free(results, 5);
    ev_fetch_results_free(results, 5); /* twice is harmless */
    close(reserved);

    H_ASSERT_RC(ev_fetch_all(loop, urls, 0, NULL), 0);
    H_ASSERT_RC(ev_fetch_all(NULL, urls, 1, results), -EINVAL);
    H_ASSERT_RC(ev_fetch_all(loop, NULL, 1, results), -EINVAL);
    H_ASSERT_RC(ev_fetch_all(loop, urls, 1, NULL), -EINVAL);
    H_ASSERT_RC_FATAL(ev_call_soon(loop, nested_fetch, NULL), 0);
    H_ASSERT_RC(run_loop(loop, 2000, "a callback calling ev_fetch_all", NULL), 0);
    H_ASSERT_RC(nested_rc, -EBUSY);

    /* Nothing of libcurl's is left on the loop, and every socket is closed. */
    H_ASSERT_RC(run_loop(loop, 1000, "ev_fetch_all (anything left watched or armed?)", NULL), 0);
    ev_loop_destroy(loop);
    H_ASSERT(h_count_fds() == fds_before,
             "%d fds more than before: every easy handle and the multi handle must be cleaned "
             "up (curl_multi_remove_handle, curl_easy_cleanup, curl_multi_cleanup)",
             h_count_fds() - fds_before);
    check_threads_back(threads);
    stop_server();
}
