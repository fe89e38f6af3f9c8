/* bench_stream.c: when each streamed line reaches the consumer, against when the server sent it.
 *
 * latencyd's /lines/200?interval=5&size=512 sends line k (512 bytes) at k x 5 ms after the
 * request. stream_lines (lesson 08, the reference or the learner's) puts each line into a queue
 * as it arrives, and a consumer thread notes when it takes it out. Two runs:
 *   - a fast consumer and a queue of 64: each line arrives about when it was sent;
 *   - a slow consumer (10 ms a line, half the server's pace) and a queue of 4: the queue fills,
 *     the loop waits for room, and once more than one of libcurl's pieces (16 KiB) waits in the
 *     socket the transfer pauses; the lines reach the consumer at the consumer's pace, the
 *     rest waiting in the sockets' buffers (100 KB in all: the server's writes all fit, so it
 *     still sends on time; a longer body would fill them and make the server wait too).
 * This file also stands in for curl_easy_pause, to note when the transfer was resumed.
 *
 * Writes OUTDIR/stream.csv (stream-yours.csv for the learner's code):
 *     series,line,sent_s,arrived_s         one line per streamed line
 *     series-resume,0,resumed_s,resumed_s  one line per resume of the transfer
 * plots/stream.gp draws arrival against sending, with the resumes as ticks.
 */
#define _GNU_SOURCE /* dlsym's RTLD_NEXT */
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bqueue.h"
#include "clock.h"
#include "server.h"

#define LINES       200
#define INTERVAL_MS 5
#define LINE_SIZE   512
#define SLOW_MS     10
#define MAX_RESUMES 1000

/* ---- curl_easy_pause, with the time of each resume ---- */

typedef CURLcode (*pause_fn)(CURL *, int);
static pause_fn real_pause;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;
static int64_t resumed_ns[MAX_RESUMES];
static atomic_int resumes;

static void find_real_pause(void)
{
    real_pause = (pause_fn)dlsym(RTLD_NEXT, "curl_easy_pause");
}

CURLcode curl_easy_pause(CURL *handle, int bitmask)
{
    pthread_once(&real_once, find_real_pause);
    if (bitmask == CURLPAUSE_CONT) {
        int i = atomic_fetch_add(&resumes, 1);

        if (i < MAX_RESUMES)
            resumed_ns[i] = h_now_ns();
    }
    return real_pause ? real_pause(handle, bitmask) : CURLE_FAILED_INIT;
}

/* ---- one run ---- */

struct run {
    struct bq q;
    int slow_ms;            /* the consumer's time per line */
    int64_t arrived[LINES]; /* when the consumer took line k + 1 out */
    int got;                /* lines it took */
};

static void *consume(void *arg)
{
    struct run *r = arg;
    void *line;

    while (bq_get(&r->q, &line) == 0) {
        if (r->got < LINES)
            r->arrived[r->got] = h_now_ns();
        r->got++;
        free(line);
        if (r->slow_ms > 0)
            h_sleep_ms(r->slow_ms);
    }
    return NULL;
}

/* Streams url through a queue of capacity to a consumer taking slow_ms per line. Writes its
 * lines (and resumes) to csv as series. Returns 0 or a negative errno. */
static int run_one(FILE *csv, const char *series, const char *url, size_t capacity, int slow_ms)
{
    static struct run r;
    struct stream_stats st;
    pthread_t consumer;
    int64_t start, step = h_now_ns();
    int rc;

    r = (struct run){ .slow_ms = slow_ms };
    rc = bq_init(&r.q, capacity);
    if (rc != 0)
        return rc;
    rc = -pthread_create(&consumer, NULL, consume, &r);
    if (rc != 0) {
        bq_destroy(&r.q);
        return rc;
    }
    atomic_store(&resumes, 0);
    start = h_now_ns();
    rc = stream_lines(url, &r.q, &st);
    if (rc != 0)
        bq_close(&r.q, rc); /* (stream_lines has closed it already; a second close is harmless) */
    pthread_join(consumer, NULL);
    bq_destroy(&r.q);
    if (rc == 0 && r.got != LINES)
        rc = -EPROTO;
    for (int k = 0; k < r.got && k < LINES; k++)
        fprintf(csv, "%s%s,%d,%.4f,%.4f\n", series, bench_series(), k + 1,
                (k + 1) * INTERVAL_MS / 1000.0, h_ns_to_s(r.arrived[k] - start));
    for (int i = 0; i < atomic_load(&resumes) && i < MAX_RESUMES; i++)
        fprintf(csv, "%s%s-resume,0,%.4f,%.4f\n", series, bench_series(),
                h_ns_to_s(resumed_ns[i] - start), h_ns_to_s(resumed_ns[i] - start));
    bench_step("stream", step, "%-6s consumer, queue of %2zu: %d lines, last at %.3f s, %ld pauses",
               series, capacity, r.got, r.got ? h_ns_to_s(r.arrived[r.got - 1] - start) : 0.0,
               st.pauses);
    return rc;
}

int main(int argc, char **argv)
{
    const char *outdir = bench_outdir(argc, argv, "stream");
    struct h_server srv;
    char url[128];
    FILE *csv = NULL;
    int rc;

    if (!outdir)
        return 2;
    /* The server first: it forks, which is best done before any thread exists. */
    rc = h_server_start(&srv, NULL);
    if (rc != 0) {
        fprintf(stderr, "bench_stream: cannot start latencyd: %s\n", strerror(-rc));
        return 1;
    }
    h_server_url(&srv, url, sizeof(url), "/lines/%d?interval=%d&size=%d", LINES, INTERVAL_MS,
                 LINE_SIZE);
    rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
    if (rc == 0)
        rc = bench_csv_open(&csv, outdir, "stream");
    if (rc == 0) {
        bench_fact(csv, "lines", "%d", LINES);
        bench_fact(csv, "interval_ms", "%d", INTERVAL_MS);
        bench_fact(csv, "line_size", "%d", LINE_SIZE);
        bench_fact(csv, "slow_ms", "%d", SLOW_MS);
        bench_csv_columns(csv, "series,line,sent_s,arrived_s");
        rc = run_one(csv, "fast", url, 64, 0);
        if (rc == 0)
            rc = run_one(csv, "slow", url, 4, SLOW_MS);
        if (bench_csv_close(csv) != 0 && rc == 0)
            rc = -EIO;
    }
    curl_global_cleanup();
    if (h_server_stop(&srv) != 0 && rc == 0)
        rc = -EIO;
    if (rc != 0) {
        fprintf(stderr, "bench_stream: %s\n", strerror(-rc));
        return 1;
    }
    return 0;
}
