/* test_http.c: the graded tests of lesson 02 (read-only: the grader uses its own copy).
 *
 * Every test talks to a fresh latencyd, the kit's loopback HTTP server, on a free port; its own
 * counts (how many requests it held at once) show what the client really did. libcurl is set up
 * with memory functions of the test's own (curl_global_init_mem): they see every allocation
 * libcurl makes, on which thread, and whether it was freed again. That proves the transfers ran
 * on the calling thread only, with CURLOPT_NOSIGNAL, and that every handle was cleaned up.
 * URLs name 127.0.0.1, never "localhost": a name is resolved on a thread of libcurl's own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "http.h"
#include "proc.h"
#include "suite.h"
#include "server.h"

#define MAX_URLS 300
#define GARBAGE  0xA5 /* results start full of it: a field fetch_all never writes stays wrong */

static struct h_server srv;
static char url_text[MAX_URLS][96];
static const char *urls[MAX_URLS];
static struct fetch_result results[MAX_URLS];

/* ---- libcurl, watched through its memory functions ---- */

static atomic_long curl_blocks;    /* allocations libcurl holds now */
static atomic_bool watching;       /* record what follows (during one fetch_all) */
static pid_t test_tid;             /* the test's own thread */
static atomic_int curl_calls;      /* libcurl allocations seen while watching */
static atomic_int foreign_calls;   /* ...of which on another thread than the test's */
static atomic_int most_threads;    /* the most threads /proc/self/task showed meanwhile */
static atomic_int sigpipe_changes; /* ...times SIGPIPE's handling was not the test's own */

static void on_sigpipe(int sig)
{
    (void)sig;
}

static void observe(void)
{
    struct sigaction sa;

    if (!atomic_load(&watching))
        return;
    if (gettid() != test_tid)
        atomic_fetch_add(&foreign_calls, 1);
    if (atomic_fetch_add(&curl_calls, 1) % 8 == 0) {
        int now = h_count_threads(), most = atomic_load(&most_threads);

        while (now > most && !atomic_compare_exchange_weak(&most_threads, &most, now))
            ;
    }
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler != on_sigpipe)
        atomic_fetch_add(&sigpipe_changes, 1);
}

static void *watched_malloc(size_t size)
{
    void *p;

    observe();
    if ((p = malloc(size)) != NULL)
        atomic_fetch_add(&curl_blocks, 1);
    return p;
}

static void watched_free(void *p)
{
    if (p)
        atomic_fetch_sub(&curl_blocks, 1);
    free(p);
}

static void *watched_realloc(void *p, size_t size)
{
    void *q;

    observe();
    q = realloc(p, size);
    if (!p && q)
        atomic_fetch_add(&curl_blocks, 1);
    else if (p && size == 0)
        atomic_fetch_sub(&curl_blocks, 1);
    return q;
}

static char *watched_strdup(const char *s)
{
    char *d;

    observe();
    if ((d = strdup(s)) != NULL)
        atomic_fetch_add(&curl_blocks, 1);
    return d;
}

static void *watched_calloc(size_t n, size_t size)
{
    void *p;

    observe();
    if ((p = calloc(n, size)) != NULL)
        atomic_fetch_add(&curl_blocks, 1);
    return p;
}

static void watch(bool on)
{
    if (on) {
        atomic_store(&curl_calls, 0);
        atomic_store(&foreign_calls, 0);
        atomic_store(&most_threads, 0);
        atomic_store(&sigpipe_changes, 0);
    }
    atomic_store(&watching, on);
}

/* The server first (fork copies only this thread), then libcurl with the watching functions. */
static int setup(void)
{
    struct sigaction sa = { .sa_handler = on_sigpipe };
    int rc;

    if ((rc = h_server_start(&srv, NULL)) < 0)
        return rc;
    test_tid = gettid();
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGPIPE, &sa, NULL) != 0)
        return -errno;
    if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, watched_malloc, watched_free, watched_realloc,
                             watched_strdup, watched_calloc) != CURLE_OK)
        return -ENOMEM;
    return 0;
}

static void teardown(void)
{
    curl_global_cleanup();
    h_server_stop(&srv);
}

/* ---- URLs and results ---- */

static void set_url(size_t i, const char *path)
{
    h_server_url(&srv, url_text[i], sizeof(url_text[i]), "%s", path);
    urls[i] = url_text[i];
}

/* A port of 127.0.0.1 that refuses connections while *fd stays open: bound, never listening. */
static int refusing_port(int *fd)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);

    *fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    H_ASSERT_FATAL(*fd >= 0 && bind(*fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
                       getsockname(*fd, (struct sockaddr *)&a, &len) == 0,
                   "cannot reserve a port: %s", strerror(errno));
    return ntohs(a.sin_port);
}

static void fill_garbage(size_t n)
{
    memset(results, GARBAGE, n * sizeof(results[0]));
}

/* results[i] is a completed transfer with this status and this body. */
static bool expect_body(size_t i, long status, const char *body)
{
    const struct fetch_result *r = &results[i];

    if (!H_ASSERT(r->error == 0, "%s: error %s (%.80s), want 0", urls[i], h_errname(r->error),
                  r->curl_text))
        return false;
    if (!H_ASSERT(r->status == status, "%s: status %ld, want %ld", urls[i], r->status, status))
        return false;
    if (!H_ASSERT(r->body != NULL, "%s: body is NULL, want \"%s\"", urls[i], body))
        return false;
    return H_ASSERT(r->size == strlen(body) && memcmp(r->body, body, r->size + 1) == 0,
                    "%s: body of %zu bytes \"%.40s\", want %zu bytes \"%s\"%s", urls[i], r->size,
                    r->body, strlen(body), body,
                    r->size == strlen(body) ? " (not NUL-terminated?)" : "") &&
           H_ASSERT(r->curl_text[0] == '\0', "%s: curl_text \"%.60s\" on success", urls[i],
                    r->curl_text) &&
           H_ASSERT(r->curl_code == CURLE_OK, "%s: curl_code %d on success, want CURLE_OK", urls[i],
                    (int)r->curl_code);
}

/* results[i] is a completed /bytes/n: n bytes of 'a'..'z' repeated, then a NUL. */
static bool expect_bytes(size_t i, size_t n)
{
    const struct fetch_result *r = &results[i];
    size_t wrong = 0;

    if (!H_ASSERT(r->error == 0 && r->status == 200 && r->body != NULL,
                  "%s: error %s, status %ld, body %s", urls[i], h_errname(r->error), r->status,
                  r->body ? "set" : "NULL") ||
        !H_ASSERT(r->size == n, "%s: %zu bytes of body, want %zu", urls[i], r->size, n))
        return false;
    for (size_t k = 0; k < n; k++)
        wrong += r->body[k] != 'a' + (char)(k % 26);
    return H_ASSERT(wrong == 0, "%s: %zu bytes of the body are wrong", urls[i], wrong) &&
           H_ASSERT(r->body[n] == '\0', "%s: the body is not NUL-terminated", urls[i]);
}

/* results[i] failed with error want (a negative errno) and libcurl's code curl: no status,
 * no body, libcurl's words in curl_text. */
static bool expect_failure(size_t i, int want, CURLcode curl)
{
    const struct fetch_result *r = &results[i];

    return H_ASSERT(r->error == want, "%s: error %s (%s), want %s (%s)",
                    urls[i] ? urls[i] : "(NULL)", h_errname(r->error),
                    r->error == 0 ? "reported as a success" : "another error", h_errname(want),
                    curl_easy_strerror(curl)) &&
           H_ASSERT(r->curl_code == curl, "%s: curl_code %d (%s), want %d (%s)",
                    urls[i] ? urls[i] : "(NULL)", (int)r->curl_code,
                    curl_easy_strerror(r->curl_code), (int)curl, curl_easy_strerror(curl)) &&
           H_ASSERT(r->status == 0 && r->body == NULL && r->size == 0,
                    "a failed transfer has status %ld, body %s, size %zu; want 0, NULL, 0",
                    r->status, r->body ? "set" : "NULL", r->size) &&
           H_ASSERT(r->curl_text[0] != '\0' && memchr(r->curl_text, '\0', CURL_ERROR_SIZE),
                    "a failed transfer has no curl_text");
}

/* ---- the tests ---- */

static void http_bodies_in_input_order(void)
{
    /* The slow ones first: they finish last, so finishing order is not input order. */
    static const char *const paths[] = { "/delay/300", "/bytes/26", "/delay/200", "/status/201",
                                         "/delay/100", "/bytes/0",  "/delay/0",   "/bytes/1" };
    static const char *const bodies[] = { "waited 300 ms\n", "abcdefghijklmnopqrstuvwxyz",
                                          "waited 200 ms\n", "201 Created\n",
                                          "waited 100 ms\n", "",
                                          "waited 0 ms\n",   "a" };
    const size_t n = sizeof(paths) / sizeof(paths[0]);

    for (size_t i = 0; i < n; i++)
        set_url(i, paths[i]);
    fill_garbage(n);
    H_ASSERT_RC_FATAL(fetch_all(urls, n, results), 0);
    for (size_t i = 0; i < n; i++)
        if (!expect_body(i, paths[i][1] == 's' ? 201 : 200, bodies[i]))
            break;
    fetch_results_free(results, n);
    for (size_t i = 0; i < n; i++)
        if (!H_ASSERT(results[i].body == NULL && results[i].size == 0,
                      "after fetch_results_free, results[%zu] has body %s and size %zu", i,
                      results[i].body ? "set" : "NULL", results[i].size))
            break;
}

static void http_large_bodies_arrive_whole(void)
{
    static const size_t sizes[] = { 1 << 20, 100000, 16385, 3 };
    const size_t n = sizeof(sizes) / sizeof(sizes[0]);
    char path[32];

    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "/bytes/%zu", sizes[i]);
        set_url(i, path);
    }
    fill_garbage(n);
    /* A big body comes in many pieces: each must be appended, none may overwrite another. */
    H_ASSERT_RC_FATAL(fetch_all(urls, n, results), 0);
    for (size_t i = 0; i < n; i++)
        if (!expect_bytes(i, sizes[i]))
            break;
    fetch_results_free(results, n);
}

static void http_status_codes_are_results(void)
{
    static const char *const paths[] = { "/status/404", "/bytes/5", "/status/500", "/status/204",
                                         "/status/503" };
    static const long statuses[] = { 404, 200, 500, 204, 503 };
    static const char *const bodies[] = { "404 Not Found\n", "abcde", "500 Internal Server Error\n",
                                          "", "503 Service Unavailable\n" };
    const size_t n = sizeof(paths) / sizeof(paths[0]);

    for (size_t i = 0; i < n; i++)
        set_url(i, paths[i]);
    fill_garbage(n);
    /* An HTTP error status is the server's answer: the transfer itself worked. */
    H_ASSERT_RC_FATAL(fetch_all(urls, n, results), 0);
    for (size_t i = 0; i < n; i++)
        if (!expect_body(i, statuses[i], bodies[i]))
            break;
    fetch_results_free(results, n);
}

static void http_failures_stay_apart(void)
{
    char refused[64];
    int fd, port = refusing_port(&fd);

    snprintf(refused, sizeof(refused), "http://127.0.0.1:%d/bytes/10", port);
    set_url(0, "/bytes/10");
    urls[1] = refused;
    set_url(2, "/delay/100");
    urls[3] = "http://127.0.0.1:99999/"; /* no such port: malformed */
    urls[4] = NULL;
    set_url(5, "/status/404");
    fill_garbage(6);
    H_ASSERT_RC_FATAL(fetch_all(urls, 6, results), 0);
    close(fd);
    expect_bytes(0, 10);
    expect_failure(1, -ECONNREFUSED, CURLE_COULDNT_CONNECT);
    expect_body(2, 200, "waited 100 ms\n");
    expect_failure(3, -EINVAL, CURLE_URL_MALFORMAT);
    expect_failure(4, -EINVAL, CURLE_URL_MALFORMAT);
    expect_body(5, 404, "404 Not Found\n");
    fetch_results_free(results, 6);
}

struct slow_fetch {
    size_t n;
    int ms;
    long peak; /* the server's peak of requests in flight, during the last attempt */
};

/* n URLs of /delay/ms, all fetched at once. Seconds it took, or -1 if anything was wrong. */
static double fetch_slow(void *arg)
{
    struct slow_fetch *f = arg;
    struct h_server_stats st = { 0 };
    char path[32];
    int64_t start;
    double took;
    size_t ok = 0;

    snprintf(path, sizeof(path), "/delay/%d", f->ms);
    for (size_t i = 0; i < f->n; i++)
        set_url(i, path);
    f->peak = -1;
    if (h_server_reset_stats(&srv) != 0)
        return -1;
    start = h_now_ns();
    if (fetch_all(urls, f->n, results) != 0)
        return -1;
    took = h_ns_to_s(h_now_ns() - start);
    for (size_t i = 0; i < f->n; i++)
        ok += results[i].error == 0 && results[i].status == 200;
    fetch_results_free(results, f->n);
    if (h_server_stats(&srv, &st) == 0)
        f->peak = st.peak_in_flight;
    return ok == f->n && f->peak == (long)f->n ? took : -1;
}

static void http_fetches_concurrently(void)
{
    struct slow_fetch probe = { .n = 10, .ms = 100 }, f = { .n = 50, .ms = 200 };
    const double tolerance = 1.5; /* "well under twice the delay" */
    struct h_server_stats st = { 0 };
    double took;

    /* First by counting, on a small batch: did the server ever hold all ten at once? */
    H_ASSERT_RC_FATAL(h_server_reset_stats(&srv), 0);
    for (size_t i = 0; i < probe.n; i++)
        set_url(i, "/delay/100");
    fill_garbage(probe.n);
    H_ASSERT_RC_FATAL(fetch_all(urls, probe.n, results), 0);
    fetch_results_free(results, probe.n);
    H_ASSERT_RC_FATAL(h_server_stats(&srv, &st), 0);
    H_ASSERT_FATAL(st.peak_in_flight == 10,
                   "10 URLs of /delay/100: the server held at most %ld of them at once, want 10 "
                   "(one transfer performed after another?)",
                   st.peak_in_flight);
    /* Then the time, for fifty: about one delay. Under a sanitizer only the count. */
    if (h_sanitized())
        f.ms = 1000;
    took = h_best_time(fetch_slow, &f, f.ms / 1000.0 * tolerance);
    H_ASSERT(f.peak == 50, "50 URLs of /delay/%d: the server held at most %ld at once, want 50",
             f.ms, f.peak);
    if (took >= 0 && !h_sanitized())
        H_ASSERT_TIME_WITHIN("50 URLs of /delay/200 under fetch_all", took, f.ms / 1000.0,
                             tolerance);
}

static void http_runs_on_one_thread(void)
{
    int before = h_count_threads();
    size_t n = 20;

    for (size_t i = 0; i < n; i++)
        set_url(i, i % 2 ? "/drip/4?interval=50" : "/delay/150");
    fill_garbage(n);
    watch(true);
    H_ASSERT_RC_FATAL(fetch_all(urls, n, results), 0);
    watch(false);
    H_ASSERT_FATAL(atomic_load(&curl_calls) > 0,
                   "libcurl allocated nothing during fetch_all: did it use libcurl at all?");
    H_ASSERT(atomic_load(&foreign_calls) == 0,
             "%d of libcurl's %d allocations happened on another thread than the caller's: "
             "fetch_all must drive every transfer on the calling thread",
             atomic_load(&foreign_calls), atomic_load(&curl_calls));
    H_ASSERT(atomic_load(&most_threads) <= before,
             "the process had %d threads during fetch_all, %d before it: no thread is needed",
             atomic_load(&most_threads), before);
    for (size_t i = 0; i < n; i++)
        if (!(i % 2 ? expect_body(i, 200, "abcd") : expect_body(i, 200, "waited 150 ms\n")))
            break;
    fetch_results_free(results, n);
}

static void http_sets_nosignal(void)
{
    for (size_t i = 0; i < 5; i++)
        set_url(i, "/delay/50");
    fill_garbage(5);
    watch(true);
    H_ASSERT_RC_FATAL(fetch_all(urls, 5, results), 0);
    watch(false);
    H_ASSERT(atomic_load(&sigpipe_changes) == 0,
             "libcurl switched the process's SIGPIPE handling %d times during the transfers: "
             "set CURLOPT_NOSIGNAL on every easy handle",
             atomic_load(&sigpipe_changes));
    fetch_results_free(results, 5);
}

/* Bytes malloc holds for the program now (not meaningful under a sanitizer's allocator). */
static long heap_in_use(void)
{
    return (long)mallinfo2().uordblks;
}

static void http_cleans_up_everything(void)
{
    struct h_server_stats st = { 0 };
    char refused[64];
    int fd, port = refusing_port(&fd);
    long blocks = atomic_load(&curl_blocks), heap = heap_in_use();
    int fds = h_count_fds();
    int64_t deadline;
    size_t n = 24;

    snprintf(refused, sizeof(refused), "http://127.0.0.1:%d/", port);
    for (size_t i = 0; i < n; i++)
        set_url(i, i < 16 ? "/bytes/131072" : i < 20 ? "/status/404" : "/delay/10");
    urls[20] = refused;
    urls[21] = "http://127.0.0.1:99999/";
    fill_garbage(n);
    H_ASSERT_RC_FATAL(fetch_all(urls, n, results), 0);
    expect_bytes(0, 131072);
    fetch_results_free(results, n);
    H_ASSERT(atomic_load(&curl_blocks) == blocks,
             "libcurl still holds %ld allocations it did not hold before fetch_all: every easy "
             "handle needs curl_easy_cleanup, the multi handle curl_multi_cleanup",
             atomic_load(&curl_blocks) - blocks);
    H_ASSERT(h_count_fds() == fds,
             "%d file descriptors more than before fetch_all: connections "
             "left open (curl_multi_cleanup closes them)",
             h_count_fds() - fds);
    /* 2 MiB of bodies went through: freeing them all brings the heap back near where it was. */
    if (!h_sanitized())
        H_ASSERT(heap_in_use() - heap < 256 * 1024,
                 "the heap grew by %ld bytes: fetch_results_free did not free every body?",
                 heap_in_use() - heap);
    close(fd);
    deadline = h_deadline_ms(2000);
    while (h_server_stats(&srv, &st) == 0 && st.connections > 0 && h_now_ns() < deadline)
        h_sleep_ms(10);
    H_ASSERT_EQ(st.connections, 0);
}

/* One fetch_all of 10 slow URLs, its CPU use measured. */
static int http_asleep(void *arg, struct h_usage *usage)
{
    bool ok;

    (void)arg;
    for (size_t i = 0; i < 10; i++)
        set_url(i, "/delay/300");
    fill_garbage(10);
    h_usage_start(usage);
    if (!H_ASSERT_RC(fetch_all(urls, 10, results), 0))
        return -1;
    h_usage_stop(usage);
    ok = expect_body(9, 200, "waited 300 ms\n");
    fetch_results_free(results, 10);
    return ok ? 0 : -1;
}

static void http_sleeps_while_waiting(void)
{
    H_ASSERT_MOSTLY_ASLEEP_BEST("fetch_all while 10 URLs of /delay/300 wait", http_asleep, NULL,
                                0.25);
}

static void http_edge_cases(void)
{
    char path[32];

    H_ASSERT_RC_FATAL(fetch_all(NULL, 0, NULL), 0);
    H_ASSERT_RC(fetch_all(NULL, 3, results), -EINVAL);
    H_ASSERT_RC(fetch_all(urls, 3, NULL), -EINVAL);
    fetch_results_free(NULL, 0);
    /* Many URLs: nothing may be a fixed-size array. */
    for (size_t i = 0; i < MAX_URLS; i++) {
        snprintf(path, sizeof(path), "/bytes/%zu", i % 97);
        set_url(i, path);
    }
    fill_garbage(MAX_URLS);
    H_ASSERT_RC_FATAL(fetch_all(urls, MAX_URLS, results), 0);
    for (size_t i = 0; i < MAX_URLS; i++)
        if (!expect_bytes(i, i % 97))
            break;
    fetch_results_free(results, MAX_URLS);
    fetch_results_free(results, MAX_URLS); /* twice is harmless */
    set_url(0, "/delay/0");
    fill_garbage(1);
    H_ASSERT_RC_FATAL(fetch_all(urls, 1, results), 0);
    expect_body(0, 200, "waited 0 ms\n");
    fetch_results_free(results, 1);
}

const struct h_suite h_suite = {
    .setup = setup,
    .teardown = teardown,
    .tests =
        (const struct h_test[]){
            { H_TEST(http_bodies_in_input_order, 1) },
            { H_TEST(http_large_bodies_arrive_whole, 1) },
            { H_TEST(http_status_codes_are_results, 1) },
            { H_TEST(http_failures_stay_apart, 1) },
            { H_TEST(http_fetches_concurrently, 1), .timeout_ms = 30000 },
            { H_TEST(http_runs_on_one_thread, 1) },
            { H_TEST(http_sets_nosignal, 1) },
            { H_TEST(http_cleans_up_everything, 1) },
            { H_TEST(http_sleeps_while_waiting, 1) },
            { H_TEST(http_edge_cases, 1) },
            { 0 },
        },
};
