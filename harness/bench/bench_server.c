/* bench_server: how fast latencyd is, measured with a libcurl multi client (`make bench-server`).
 *
 * Starts its own server on a free port, then measures:
 *   1. requests per second for /delay/0, over CONCURRENCY keep-alive connections, each handle
 *      put back as soon as it finishes (a window, so the connections stay busy);
 *   2. 1,000 concurrent /delay/200, all added at once: how long past the 200 ms the last one
 *      came back (the overshoot), best of three, with the server's own peak in flight.
 * The server must never be the bottleneck of a lesson: the overshoot is the proof.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ld_server.h"
#include "server.h"

#define CONCURRENCY 50   /* connections for the requests-per-second run */
#define RPS_SECONDS 2    /* how long that run lasts */
#define BURST       1000 /* requests at once for the overshoot run */
#define BURST_MS    200  /* their delay */
#define RUNS                                                                                       \
    3 /* overshoot runs over kept-alive connections; the best counts, as                           \
       * noise only adds */

/* Bodies are not kept: only their size matters here. */
static size_t discard(char *data, size_t size, size_t n, void *user)
{
    (void)data;
    (void)user;
    return size * n;
}

static CURL *new_easy(const char *url)
{
    CURL *e = curl_easy_init();

    if (!e)
        return NULL;
    if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK) {
        curl_easy_cleanup(e);
        return NULL;
    }
    return e;
}

/* Per-transfer times of a run: how long each request took, as libcurl saw it. */
struct times {
    curl_off_t us[BURST];
    int n;
};

/* Runs the multi's `active` transfers to the end. A finished one is counted (and its time kept
 * in t, if not NULL) and, while until_ns has not come (0: no second rounds), put back for another
 * round on its kept-alive connection. Returns the transfers that completed with 200, or -1. */
static long drive(CURLM *m, int active, int64_t until_ns, int64_t *last_done_ns, struct times *t)
{
    long ok = 0;

    while (active > 0) {
        CURLMsg *msg;
        int running, left;

        if (curl_multi_perform(m, &running) != CURLM_OK)
            return -1;
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            CURL *e = msg->easy_handle;
            long status = 0;

            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
            ok += msg->data.result == CURLE_OK && status == 200;
            if (t && t->n < BURST &&
                curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &t->us[t->n]) == CURLE_OK)
                t->n++;
            *last_done_ns = h_now_ns();
            curl_multi_remove_handle(m, e);
            active--;
            if (h_now_ns() < until_ns && curl_multi_add_handle(m, e) == CURLM_OK)
                active++;
        }
        if (active > 0 && curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK)
            return -1;
    }
    return ok;
}

/* Creates n handles for url in m. Returns 0 or -1. */
static int add_all(CURLM *m, CURL **easy, int n, const char *url)
{
    for (int i = 0; i < n; i++)
        if (!(easy[i] = new_easy(url)) || curl_multi_add_handle(m, easy[i]) != CURLM_OK)
            return -1;
    return 0;
}

static void cleanup_all(CURLM *m, CURL **easy, int n)
{
    for (int i = 0; i < n; i++) {
        if (easy[i]) {
            curl_multi_remove_handle(m, easy[i]);
            curl_easy_cleanup(easy[i]);
        }
    }
}

static int requests_per_second(const struct h_server *srv)
{
    CURL *easy[CONCURRENCY] = { 0 };
    CURLM *m = curl_multi_init();
    char url[64];
    int64_t t0, last = 0;
    long done;

    h_server_url(srv, url, sizeof(url), "/delay/0");
    if (!m || add_all(m, easy, CONCURRENCY, url) != 0) {
        fprintf(stderr, "bench-server: cannot set up libcurl\n");
        cleanup_all(m, easy, CONCURRENCY);
        curl_multi_cleanup(m);
        return -1;
    }
    t0 = h_now_ns();
    done = drive(m, CONCURRENCY, t0 + RPS_SECONDS * H_NS_PER_S, &last, NULL);
    if (done > 0)
        printf("  /delay/0 over %d keep-alive connections: %ld requests in %.2f s, %.0f "
               "requests/s\n",
               CONCURRENCY, done, h_ns_to_s(last - t0), (double)done / h_ns_to_s(last - t0));
    cleanup_all(m, easy, CONCURRENCY);
    curl_multi_cleanup(m);
    return done > 0 ? 0 : -1;
}

/* One run of BURST concurrent /delay/BURST_MS on m, whose connection cache may still hold the
 * connections of the run before. Returns the seconds to the last answer, or -1. */
static double burst(CURLM *m, const struct h_server *srv, long *peak, struct times *t)
{
    static CURL *easy[BURST];
    struct h_server_stats st;
    char url[64];
    int64_t t0, last = 0;
    long ok = -1;

    memset(easy, 0, sizeof(easy));
    t->n = 0;
    h_server_url(srv, url, sizeof(url), "/delay/%d", BURST_MS);
    if (h_server_reset_stats(srv) == 0) {
        t0 = h_now_ns(); /* from the first handle added: setting them up is part of the cost */
        if (add_all(m, easy, BURST, url) == 0)
            ok = drive(m, BURST, 0, &last, t);
        last -= t0;
    }
    cleanup_all(m, easy, BURST);
    *peak = h_server_stats(srv, &st) == 0 ? st.peak_in_flight : -1;
    return ok == BURST ? h_ns_to_s(last) : -1;
}

static int by_value(const void *a, const void *b)
{
    curl_off_t x = *(const curl_off_t *)a, y = *(const curl_off_t *)b;

    return (x > y) - (x < y);
}

/* Run 0 opens a thousand new connections; the later runs find them in the multi handle's
 * connection cache. Returns 0, or -1 if a run went wrong. */
static int overshoot(const struct h_server *srv)
{
    static struct times t;
    CURLM *m = curl_multi_init();
    double best = -1;
    int rc = m && curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)BURST) == CURLM_OK ? 0 : -1;

    for (int run = 0; run <= RUNS && rc == 0; run++) {
        long peak;
        double took = burst(m, srv, &peak, &t);

        if (took < 0) {
            fprintf(stderr, "bench-server: not every /delay/%d came back 200\n", BURST_MS);
            rc = -1;
            break;
        }
        qsort(t.us, (size_t)t.n, sizeof(t.us[0]), by_value);
        printf("  %d x /delay/%d at once over %s connections: all done in %.1f ms, overshoot "
               "%.1f ms (per request %.1f median, %.1f max); server peak in flight %ld\n",
               BURST, BURST_MS, run == 0 ? "new" : "reused", took * 1000, took * 1000 - BURST_MS,
               (double)t.us[t.n / 2] / 1000, (double)t.us[t.n - 1] / 1000, peak);
        if (run > 0 && (best < 0 || took < best))
            best = took;
    }
    if (rc == 0)
        printf("  overshoot of %d concurrent /delay/%d: %.1f ms at best (%.2fx the delay), over "
               "kept-alive connections\n",
               BURST, BURST_MS, best * 1000 - BURST_MS, best * 1000 / BURST_MS);
    curl_multi_cleanup(m);
    return rc;
}

int main(void)
{
    struct h_server srv;
    int rc;

    if (ld_raise_nofile() < BURST + 100) {
        fprintf(stderr, "bench-server: needs %d file descriptors (ulimit -n)\n", BURST + 100);
        return 1;
    }
    /* Fork the server before libcurl starts any thread of its own. */
    if ((rc = h_server_start(&srv, NULL)) < 0) {
        fprintf(stderr, "bench-server: cannot start latencyd: %s\n", strerror(-rc));
        return 1;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        h_server_stop(&srv);
        return 1;
    }
    printf("latencyd on 127.0.0.1:%d; the client is libcurl %s (multi), on the same machine\n",
           srv.port, curl_version_info(CURLVERSION_NOW)->version);
    rc = requests_per_second(&srv);
    if (rc == 0)
        rc = overshoot(&srv);
    curl_global_cleanup();
    if (h_server_stop(&srv) != 0) {
        fprintf(stderr, "bench-server: latencyd did not stop cleanly\n");
        rc = -1;
    }
    return rc == 0 ? 0 : 1;
}
