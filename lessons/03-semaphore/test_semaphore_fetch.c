/* test_semaphore_fetch.c: lesson 03, part 3: fetch_limited.
 *
 * Each test starts latencyd, the loopback HTTP server (server.h), and fetches its URLs through
 * fetch_limited on a thread of its own (struct fetch, an h_call). The server counts the
 * requests it saw and the most it had in flight at once, so the limit is checked by counting
 * on the other side of the socket; time only as a ratio to the ideal, best of 3. Threads, file
 * descriptors and the heap are counted before and after each call, to catch handles that are
 * never cleaned up.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "call.h"
#include "check.h"
#include "clock.h"
#include "csem.h"
#include "proc.h"
#include "server.h"
#include "test_semaphore.h"

#define MAX_URLS    16
#define FETCH_LIMIT 5000 /* ms fetch_limited may take before the test gives up on it */

/* Bytes the heap holds now, or 0 where that cannot be known: under a sanitizer (it has its own
 * allocator, and LeakSanitizer checks leaks better) or without glibc's mallinfo2. */
static size_t heap_in_use(void)
{
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 33)
    return h_sanitized() ? 0 : mallinfo2().uordblks;
#else
    return 0;
#endif
}

/* One call of fetch_limited: its URLs and what it gave back. */
struct fetch {
    struct h_call call; /* first: a fetch is a call */
    size_t n, limit;
    char urls[MAX_URLS][128];
    const char *url_ptrs[MAX_URLS];
    struct fetch_result out[MAX_URLS];
    char what[64]; /* "fetch_limited(12 URLs, limit 4)", for messages */
    int rc;
    int64_t took_ns;
    struct h_usage usage;      /* of the whole process, during the call */
    struct h_usage best_usage; /* the lowest CPU share of the calls so far (best of 3) */
    int calls;
    struct h_server_stats stats; /* what the server counted during the call */
};

static struct fetch *fetch_create(size_t n, size_t limit)
{
    struct fetch *f = calloc(1, sizeof(*f));

    H_ASSERT_FATAL(f != NULL, "out of memory");
    f->n = n;
    f->limit = limit;
    for (size_t i = 0; i < MAX_URLS; i++)
        f->url_ptrs[i] = f->urls[i];
    return f;
}

static void fetch_fn(struct h_call *c)
{
    struct fetch *f = (struct fetch *)c;
    int64_t start = h_now_ns();

    f->rc = fetch_limited(f->url_ptrs, f->n, f->limit, f->out);
    f->took_ns = h_now_ns() - start;
}

/* Runs fetch_limited over f on a thread of its own, with the server's counts reset before and
 * read after. If it has not returned after FETCH_LIMIT ms, the test fails (and f stays with the
 * stuck thread). */
static void fetch_run(struct fetch *f, const struct h_server *srv)
{
    int threads = h_count_threads(), fds = h_count_fds(), after;
    int limit_ms = FETCH_LIMIT * (h_sanitized() ? 3 : 1);
    size_t heap = heap_in_use(), allowed = 4096 + 1024 * f->n, grew;

    snprintf(f->what, sizeof(f->what), "fetch_limited(%zu URLs, limit %zu)", f->n, f->limit);
    for (size_t i = 0; i < MAX_URLS; i++)
        f->out[i] = (struct fetch_result){ .error = 1, .status = -1, .size = 0 };
    H_ASSERT_RC_FATAL(h_server_reset_stats(srv), 0);
    h_usage_start(&f->usage);
    H_ASSERT_RC_FATAL(h_call_start(&f->call, fetch_fn), 0);
    H_ASSERT_FATAL(h_call_wait(&f->call, limit_ms),
                   "%s had not returned after %d ms: is the place of a finished or failed "
                   "transfer never given to the next URL?",
                   f->what, limit_ms);
    h_usage_stop(&f->usage);
    if (f->calls++ == 0 || h_usage_ratio(&f->usage) < h_usage_ratio(&f->best_usage))
        f->best_usage = f->usage;
    h_call_join(&f->call);
    H_ASSERT_RC_FATAL(h_server_stats(srv, &f->stats), 0);
    after = h_settled_threads(threads, 20); /* a joined thread can linger in /proc */
    H_ASSERT(after == threads, "%d threads after %s returned, %d before", after, f->what, threads);
    grew = heap && heap_in_use() > heap ? heap_in_use() - heap : 0;
    H_ASSERT(grew <= allowed,
             "the heap grew by %zu KiB during %s, allowed %zu: is every easy handle cleaned up "
             "(curl_easy_cleanup) after curl_multi_remove_handle?",
             grew / 1024, f->what, allowed / 1024);
    after = h_count_fds();
    H_ASSERT(after == fds,
             "%d open file descriptors after %s returned, %d before: clean up every easy "
             "handle, and the multi handle",
             after, f->what, fds);
}

/* out[i] must be { error (a negative errno, libcurl's code curl), status }, and size too unless
 * it is -1; and no body: fetch_limited keeps none. */
static bool check_outcome(const struct fetch *f, size_t i, int error, CURLcode curl, long status,
                          long size)
{
    const struct fetch_result *r = &f->out[i];

    return H_ASSERT(r->error == error && r->curl_code == curl && r->status == status &&
                        (size < 0 || r->size == (size_t)size),
                    "out[%zu] for %s is { %s (%s), status %ld, %zu bytes }, want { %s (%s), "
                    "status %ld%s }%s",
                    i, f->urls[i], h_errname(r->error), curl_easy_strerror(r->curl_code), r->status,
                    r->size, h_errname(error), curl_easy_strerror(curl), status,
                    size < 0 ? "" : ", that many bytes",
                    r->status == -1 ? " (never written)" : "") &&
           H_ASSERT(r->body == NULL, "out[%zu] for %s has a body: fetch_limited keeps none", i,
                    f->urls[i]);
}

/* The server's own count of requests in flight at once must be want. */
static void check_server_peak(const struct fetch *f, long want)
{
    long peak = f->stats.peak_in_flight;

    H_ASSERT(peak == want,
             "%zu URLs under limit %zu: the server had at most %ld requests in flight at once, "
             "want exactly %ld%s",
             f->n, f->limit, peak, want,
             peak > want ? ": more than the limit"
                         : ": fewer, so transfers waited for no reason (one at a time? batches?)");
}

/* One run of 12 URLs of 100 ms under limit 4: 3 rounds. Returns seconds, or -1 if the call
 * failed or the server saw the limit broken (the test then says how). */
static double fetch_attempt(void *arg)
{
    void **args = arg;
    struct fetch *f = args[0];

    fetch_run(f, args[1]);
    if (f->rc != 0 || f->stats.peak_in_flight != (long)f->limit)
        return -1;
    return h_ns_to_s(f->took_ns);
}

void fetch_limited_peak_is_limit(void)
{
    struct h_server srv;
    struct fetch *f = fetch_create(12, 4);
    void *args[] = { f, &srv };
    double took;

    H_ASSERT_RC_FATAL(h_server_start(&srv, NULL), 0);
    for (size_t i = 0; i < f->n; i++)
        h_server_url(&srv, f->urls[i], sizeof(f->urls[i]), "/delay/%d", 100);
    took = h_sanitized() ? fetch_attempt(args) : h_best_time(fetch_attempt, args, 0.300 * 1.5);
    if (!CALL_RC(f, 0))
        goto out; /* stop the server all the same */
    for (size_t i = 0; i < f->n; i++)
        if (!check_outcome(f, i, 0, CURLE_OK, 200, -1))
            break;
    check_server_peak(f, 4);
    H_ASSERT_EQ(f->stats.requests, 12);
    /* The CPU share is best of 3 too: the timing attempts may have stopped after one. */
    for (int i = f->calls; i < H_TRIES && h_usage_ratio(&f->best_usage) > 0.20; i++)
        if (fetch_attempt(args) < 0)
            break;
    H_ASSERT_MOSTLY_ASLEEP("fetch_limited while the server delays", f->best_usage, 0.20);
    if (!h_sanitized())
        H_ASSERT_TIME_WITHIN("12 URLs of 100 ms under limit 4 (3 rounds)", took, 0.300, 1.5);
    /* Unequal: one of 300 ms and six of 50 ms under limit 2 take 300 ms if a new transfer
     * starts as soon as any one ends; 450 ms in batches of 2, each as slow as its slowest. */
    f->n = 7;
    f->limit = 2;
    for (size_t i = 0; i < f->n; i++)
        h_server_url(&srv, f->urls[i], sizeof(f->urls[i]), "/delay/%d", i == 0 ? 300 : 50);
    took = h_sanitized() ? fetch_attempt(args) : h_best_time(fetch_attempt, args, 0.300 * 1.25);
    CALL_RC(f, 0);
    check_server_peak(f, 2);
    if (!h_sanitized())
        H_ASSERT_TIME_WITHIN("7 URLs of 300, 50, 50... ms under limit 2: does the next start as "
                             "soon as any one ends, or only when a batch has?",
                             took, 0.300, 1.25);
    /* Limit 1: one at a time; limit above n: all at once. */
    for (size_t limit = 1; limit < 100; limit += 63) {
        f->n = limit == 1 ? 4 : 6;
        f->limit = limit;
        for (size_t i = 0; i < f->n; i++)
            h_server_url(&srv, f->urls[i], sizeof(f->urls[i]), "/delay/%d", 100);
        fetch_run(f, &srv);
        CALL_RC(f, 0);
        for (size_t i = 0; i < f->n; i++)
            if (!check_outcome(f, i, 0, CURLE_OK, 200, -1))
                break;
        check_server_peak(f, limit == 1 ? 1 : 6);
    }
out:
    H_ASSERT_RC(h_server_stop(&srv), 0);
    free(f);
}

/* A port on 127.0.0.1 where a connection is refused: bound, but not listening. Returns the
 * socket (close it when done); *port is its port. */
static int refusing_port(int *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    H_ASSERT_FATAL(fd >= 0, "socket: %s", strerror(errno));
    H_ASSERT_FATAL(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
                       getsockname(fd, (struct sockaddr *)&a, &len) == 0,
                   "bind: %s", strerror(errno));
    *port = ntohs(a.sin_port);
    return fd;
}

void fetch_limited_errors_keep_window(void)
{
    /* What each URL is, and what it must give: refused connections, a URL libcurl rejects,
     * HTTP errors (a response, so error 0), and good ones. */
    static const struct {
        const char *path; /* NULL: the refusing port; "!": a scheme libcurl does not know */
        int error;
        CURLcode curl;
        long status, size;
    } cases[] = {
        { NULL, -ECONNREFUSED, CURLE_COULDNT_CONNECT, 0, 0 },
        { "/status/404", 0, CURLE_OK, 404, -1 },
        { NULL, -ECONNREFUSED, CURLE_COULDNT_CONNECT, 0, 0 },
        { "/delay/50", 0, CURLE_OK, 200, -1 },
        { "!", -EINVAL, CURLE_UNSUPPORTED_PROTOCOL, 0, 0 },
        { "/delay/50", 0, CURLE_OK, 200, -1 },
        { NULL, -ECONNREFUSED, CURLE_COULDNT_CONNECT, 0, 0 },
        { "/bytes/1234", 0, CURLE_OK, 200, 1234 },
        { "/delay/50", 0, CURLE_OK, 200, -1 },
        { "/status/503", 0, CURLE_OK, 503, -1 },
        { "/bytes/0", 0, CURLE_OK, 200, 0 },
    };
    size_t n = sizeof(cases) / sizeof(cases[0]);
    struct h_server srv;
    struct fetch *f = fetch_create(n, 2);
    int port, refusing = refusing_port(&port);

    H_ASSERT_RC_FATAL(h_server_start(&srv, NULL), 0);
    for (size_t i = 0; i < n; i++) {
        if (!cases[i].path)
            snprintf(f->urls[i], sizeof(f->urls[i]), "http://127.0.0.1:%d/", port);
        else if (cases[i].path[0] == '!')
            snprintf(f->urls[i], sizeof(f->urls[i]), "nosuchscheme://127.0.0.1/");
        else
            h_server_url(&srv, f->urls[i], sizeof(f->urls[i]), "%s", cases[i].path);
    }
    fetch_run(f, &srv);
    if (!CALL_RC(f, 0))
        goto out; /* stop the server all the same */
    for (size_t i = 0; i < n; i++)
        check_outcome(f, i, cases[i].error, cases[i].curl, cases[i].status, cases[i].size);
    check_server_peak(f, 2);
    H_ASSERT_EQ(f->stats.requests, 7);

    f->limit = 0;
    fetch_run(f, &srv);
    CALL_RC(f, -EINVAL);
    H_ASSERT_EQ(f->stats.requests, 0);
    H_ASSERT_RC(fetch_limited(NULL, 3, 2, NULL), -EINVAL);
    H_ASSERT_RC(fetch_limited(NULL, 0, 2, NULL), 0);
out:
    H_ASSERT_RC(h_server_stop(&srv), 0);
    close(refusing);
    free(f);
}
