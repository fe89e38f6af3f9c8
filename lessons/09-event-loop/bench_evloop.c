/* bench_evloop.c: what waiting costs: one thread's event loop, a thread per task, asyncio.
 *
 * n tasks that each wait 100 ms, all at once, for n from 100 to 100,000, three ways: n timers
 * on lesson 09's loop (one thread), n threads that each sleep (64 KiB stacks), and, where
 * python3 is installed, n coroutines awaiting asyncio.sleep under asyncio.gather
 * (plots/python/evloop.py). Each point runs in a forked child of its own, so that memory one
 * point used is never counted by the next: the child reads VmRSS from /proc/self/status before
 * it starts and VmHWM (the peak) after, and the difference is the memory the waiting took.
 * The wall time runs from before the first task is made to after the last has finished.
 *
 * Then the same loop driving libcurl: 1,000 concurrent GETs of latencyd's /delay/200 with
 * lesson 09's ev_fetch_all, against the way lesson 02's fetch_all drives them (one multi handle,
 * curl_multi_perform and curl_multi_poll; written out below, since a lesson's benchmark links
 * its own lesson only): how far past the 200 ms each call returns, and the CPU time it took.
 *
 * Built against the learner's code (`bench_evloop OUTDIR yours`), it measures the learner's
 * loop alone, for evloop-yours.csv: the loop's waits and ev_fetch_all, no threads, no Python.
 *
 * Writes OUTDIR/evloop.csv:
 *     part,series,n,reps,median_s,min_s,max_s,median_mb,cpu_s
 * part "wait": wall times of n waits, the memory they added (MB) and the CPU time they took
 * (median); part "curl": wall times of the 1,000 requests (the chart subtracts the delay) and
 * the CPU time of the thread that drove them. plots/evloop.gp draws both.
 */
#define _GNU_SOURCE /* pthread_attr_setstacksize is POSIX; MAP_ANONYMOUS is not */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "clock.h"
#include "ev_curl.h"
#include "evloop.h"
#include "server.h"

#define PYTHON_SCRIPT "plots/python/evloop.py"
#define WAIT_MS       100   /* each task's wait */
#define MAX_THREADS   10000 /* thread per task stops here: near the machine's limit of tasks */
#define THREAD_STACK  65536 /* bytes; the default 8 MiB would only raise the address space */
#define CURL_N        1000  /* concurrent requests in the libcurl part */
#define CURL_DELAY_MS 200

static const int sizes[] = { 100, 300, 1000, 3000, 10000, 30000, 100000 };
#define N_SIZES ((int)(sizeof(sizes) / sizeof(sizes[0])))

#define S_LOOP    "C event loop (lesson 09)"
#define S_THREADS "C thread per task"
#define S_EVCURL  "ev_fetch_all on the loop (lesson 09)"
#define S_POLL    "curl_multi_poll (lesson 02's way)"

/* A field of /proc/self/status in kB ("VmRSS", "VmHWM"), or -1. */
static long status_kb(const char *key)
{
    char line[256];
    size_t len = strlen(key);
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, key, len) == 0 && line[len] == ':')
            kb = strtol(line + len + 1, NULL, 10);
    fclose(f);
    return kb;
}

/* ---- n waits on the event loop ---- */

static void timer_done(struct ev_loop *loop, void *arg)
{
    (void)loop;
    ++*(int *)arg;
}

/* Seconds for n timers of WAIT_MS on one loop, or a negative errno. */
static double wait_on_loop(int n)
{
    struct ev_timer *timers;
    struct ev_loop *loop;
    int fired = 0, rc;
    int64_t start = h_now_ns();

    if (!(timers = calloc((size_t)n, sizeof(*timers))))
        return -ENOMEM;
    if ((rc = ev_loop_create(&loop)) != 0) {
        free(timers);
        return rc;
    }
    for (int i = 0; i < n && rc == 0; i++)
        rc = ev_call_later(loop, &timers[i], WAIT_MS, timer_done, &fired);
    if (rc == 0)
        rc = ev_run(loop);
    ev_loop_destroy(loop);
    free(timers);
    if (rc == 0 && fired != n)
        rc = -EPROTO;
    return rc != 0 ? rc : h_ns_to_s(h_now_ns() - start);
}

/* ---- n waits, a thread each ---- */

static void *sleeper(void *arg)
{
    struct timespec ts = { 0, WAIT_MS * 1000000L };

    (void)arg;
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
        ;
    return NULL;
}

/* Seconds for n threads that each sleep WAIT_MS, created all and then joined all. */
static double wait_on_threads(int n)
{
    pthread_t *threads = calloc((size_t)n, sizeof(*threads));
    int64_t start = h_now_ns();
    pthread_attr_t attr;
    int made = 0, rc = 0;

    if (!threads)
        return -ENOMEM;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, THREAD_STACK);
    while (made < n && (rc = pthread_create(&threads[made], &attr, sleeper, NULL)) == 0)
        made++;
    for (int i = 0; i < made; i++)
        pthread_join(threads[i], NULL);
    pthread_attr_destroy(&attr);
    free(threads);
    return rc != 0 ? -rc : h_ns_to_s(h_now_ns() - start);
}

/* ---- one point in a child of its own ---- */

struct point {
    double seconds; /* or a negative errno */
    double cpu_s;   /* CPU time the child used meanwhile, all its threads */
    long added_kb;  /* VmHWM after, minus VmRSS before */
};

static int run_in_child(double (*fn)(int), int n, struct point *p)
{
    int fds[2], status;
    ssize_t got;
    pid_t pid;

    if (pipe(fds) != 0)
        return -errno;
    fflush(NULL);
    if ((pid = fork()) < 0) {
        close(fds[0]);
        close(fds[1]);
        return -errno;
    }
    if (pid == 0) {
        struct point mine;
        long before = status_kb("VmRSS");
        int64_t cpu = h_cpu_ns();

        close(fds[0]);
        mine.seconds = fn(n);
        mine.cpu_s = h_ns_to_s(h_cpu_ns() - cpu);
        mine.added_kb = status_kb("VmHWM") - before;
        _exit(write(fds[1], &mine, sizeof(mine)) == (ssize_t)sizeof(mine) ? 0 : 1);
    }
    close(fds[1]);
    got = read(fds[0], p, sizeof(*p));
    close(fds[0]);
    if (waitpid(pid, &status, 0) != pid || got != (ssize_t)sizeof(*p) || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return -ECHILD;
    return p->seconds < 0 ? (int)p->seconds : 0;
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;

    return (x > y) - (x < y);
}

/* BENCH_MIN_REPS points of fn for every size up to max_n; a line each. */
static int measure_waits(FILE *csv, const char *series, double (*fn)(int), int max_n)
{
    for (int s = 0; s < N_SIZES && sizes[s] <= max_n; s++) {
        double secs[BENCH_MIN_REPS], cpu[BENCH_MIN_REPS];
        long kb[BENCH_MIN_REPS];
        int64_t step = h_now_ns();
        struct bench_stats st;
        double mb;

        for (int r = 0; r < BENCH_MIN_REPS; r++) {
            struct point p;
            int rc = run_in_child(fn, sizes[s], &p);

            if (rc != 0) {
                fprintf(stderr, "bench_evloop: %s, %d tasks: %s\n", series, sizes[s],
                        strerror(-rc));
                return rc;
            }
            secs[r] = p.seconds;
            cpu[r] = p.cpu_s;
            kb[r] = p.added_kb;
        }
        st = bench_stats_of(secs, BENCH_MIN_REPS);
        qsort(kb, BENCH_MIN_REPS, sizeof(kb[0]), cmp_long);
        mb = kb[BENCH_MIN_REPS / 2] / 1024.0;
        fprintf(csv, "wait,%s,%d,%d,%.5f,%.5f,%.5f,%.3f,%.5f\n", series, sizes[s], st.reps,
                st.median_s, st.min_s, st.max_s, mb, bench_stats_of(cpu, BENCH_MIN_REPS).median_s);
        bench_step("evloop", step, "%-26s %6d waits of %d ms: %8.2f ms, +%.2f MB", series, sizes[s],
                   WAIT_MS, st.median_s * 1e3, mb);
        if (fn == wait_on_loop && (sizes[s] == 10000 || sizes[s] == 100000)) {
            double tol = sizes[s] == 10000 ? 1.02 : 1.20, max_mb = sizes[s] == 10000 ? 1 : 6;
            bool met = st.median_s <= WAIT_MS / 1000.0 * tol && mb < max_mb;

            printf("  evloop  target for %d timers: within %.0f%% of %d ms and under +%.0f MB: "
                   "%s\n",
                   sizes[s], (tol - 1) * 100, WAIT_MS, max_mb, met ? "met" : "MISSED");
        }
    }
    return 0;
}

/* ---- libcurl: the loop against curl_multi_poll ---- */

/* Lesson 02's way: every URL on one multi handle, driven with curl_multi_perform and asleep in
 * curl_multi_poll; each result's status and body in out[i]. Returns 0 or a negative errno. */
static int poll_fetch_all(const char *const *urls, size_t n, struct fetch_result *out)
{
    CURLM *multi = curl_multi_init();
    int running = 1, rc = 0;
    CURLMsg *msg;

    if (!multi)
        return -ENOMEM;
    for (size_t i = 0; i < n && rc == 0; i++) {
        CURL *easy = curl_easy_init();

        out[i] = (struct fetch_result){ .error = -EIO };
        if (!easy || curl_easy_setopt(easy, CURLOPT_URL, urls[i]) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, fetch_body_append) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_WRITEDATA, &out[i]) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_PRIVATE, &out[i]) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            curl_multi_add_handle(multi, easy) != CURLM_OK) {
            curl_easy_cleanup(easy);
            rc = -EIO;
        }
    }
    while (rc == 0 && running > 0) {
        if (curl_multi_perform(multi, &running) != CURLM_OK ||
            (running > 0 && curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK))
            rc = -EIO;
        while ((msg = curl_multi_info_read(multi, &(int){ 0 })))
            if (msg->msg == CURLMSG_DONE) {
                struct fetch_result *r;
                char *priv;

                curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
                r = (struct fetch_result *)priv;
                curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &r->status);
                fetch_finish(r, msg->data.result);
                curl_multi_remove_handle(multi, msg->easy_handle);
                curl_easy_cleanup(msg->easy_handle);
            }
    }
    curl_multi_cleanup(multi); /* handles still in it on an error are freed with it */
    return rc;
}

#define SETTLE_MS 300 /* before each call: the server closes the last call's connections */

/* One call of 1,000 requests, the loop's way (loop) or lesson 02's (loop NULL): its wall and
 * CPU seconds in *secs and *cpu. Returns 0, or a negative errno (-EPROTO: a request failed). */
static int one_curl_call(struct ev_loop *loop, const char *const *urls, double *secs, double *cpu)
{
    static struct fetch_result out[CURL_N];
    int64_t start, cpu_start;
    int rc;

    h_sleep_ms(SETTLE_MS);
    start = h_now_ns();
    cpu_start = h_thread_cpu_ns();
    rc = loop ? ev_fetch_all(loop, urls, CURL_N, out) : poll_fetch_all(urls, CURL_N, out);
    *secs = h_ns_to_s(h_now_ns() - start);
    *cpu = h_ns_to_s(h_thread_cpu_ns() - cpu_start);
    for (int i = 0; rc == 0 && i < CURL_N; i++)
        if (out[i].error != 0 || out[i].status != 200)
            rc = -EPROTO;
    ev_fetch_results_free(out, CURL_N);
    return rc;
}

/* The libcurl part: ev_fetch_all (series ev_series), and lesson 02's way too if with_poll. */
static int measure_curl(FILE *csv, const struct h_server *srv, const char *ev_series,
                        bool with_poll)
{
    static const char *urls[CURL_N];
    static char url[96];
    double secs[2][BENCH_MIN_REPS], cpu[2][BENCH_MIN_REPS];
    struct ev_loop *loop;
    int rc;

    h_server_url(srv, url, sizeof(url), "/delay/%d", CURL_DELAY_MS);
    for (int i = 0; i < CURL_N; i++)
        urls[i] = url;
    if ((rc = ev_loop_create(&loop)) != 0)
        return rc;
    /* The two ways take turns, and which goes first alternates too, so that neither is always
     * the one that follows the other (or a noisy moment of the machine). */
    for (int r = 0; r < BENCH_MIN_REPS && rc == 0; r++) {
        for (int k = 0; k < 2 && rc == 0; k++) {
            int way = (r + k) % 2; /* 0: the loop, 1: lesson 02's */

            if (way == 0 || with_poll)
                rc = one_curl_call(way == 0 ? loop : NULL, urls, &secs[way][r], &cpu[way][r]);
        }
    }
    ev_loop_destroy(loop);
    if (rc != 0)
        return rc;
    for (int k = 0; k < (with_poll ? 2 : 1); k++) {
        struct bench_stats st = bench_stats_of(secs[k], BENCH_MIN_REPS);
        double cpu_s = bench_stats_of(cpu[k], BENCH_MIN_REPS).median_s;

        fprintf(csv, "curl,%s,%d,%d,%.5f,%.5f,%.5f,0,%.5f\n", k == 0 ? ev_series : S_POLL, CURL_N,
                st.reps, st.median_s, st.min_s, st.max_s, cpu_s);
        printf("  evloop  %d x /delay/%d, %-42s %6.1f ms over the delay (median; best %.1f), "
               "%.1f ms of CPU\n",
               CURL_N, CURL_DELAY_MS, k == 0 ? ev_series : S_POLL,
               (st.median_s - CURL_DELAY_MS / 1000.0) * 1e3,
               (st.min_s - CURL_DELAY_MS / 1000.0) * 1e3, cpu_s * 1e3);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *outdir = bench_outdir(argc, argv, "evloop");
    char python[128], args[160], loop_series[64], curl_series[64];
    struct h_server srv;
    FILE *csv = NULL;
    bool have_python, yours;
    int rc;

    if (!outdir)
        return 2;
    yours = bench_series()[0] != '\0'; /* the learner's loop: it alone is measured */
    snprintf(loop_series, sizeof(loop_series), "%s%s", S_LOOP, bench_series());
    snprintf(curl_series, sizeof(curl_series), "%s%s", S_EVCURL, bench_series());
    /* The server first: it forks, which is best done before anything else. */
    if ((rc = h_server_start(&srv, NULL)) != 0) {
        fprintf(stderr, "bench_evloop: cannot start latencyd: %s\n", strerror(-rc));
        return 1;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        rc = -EIO;
    /* One small run first, in this process: what the first call of anything sets up (the
     * forwarding of pthread calls through the kit, the C library's lazy bindings) is then done
     * before the children fork, and not counted as memory the waiting took. */
    if (rc == 0 && wait_on_loop(100) < 0)
        rc = -EIO;
    if (rc == 0 && wait_on_threads(10) < 0)
        rc = -EIO;
    if (rc == 0)
        rc = bench_csv_open(&csv, outdir, "evloop");
    if (rc == 0) {
        have_python = bench_python_version(PYTHON_SCRIPT, python, sizeof(python)) == 0;
        bench_fact(csv, "reps", "%d", BENCH_MIN_REPS);
        bench_fact(csv, "wait_ms", "%d", WAIT_MS);
        bench_fact(csv, "thread_stack", "%d KiB; thread per task stops at %d", THREAD_STACK / 1024,
                   MAX_THREADS);
        bench_fact(csv, "curl_delay_ms", "%d", CURL_DELAY_MS);
        bench_fact(csv, "python", "%s", python);
        bench_csv_columns(csv, "part,series,n,reps,median_s,min_s,max_s,median_mb,cpu_s");
        rc = measure_waits(csv, loop_series, wait_on_loop, 100000);
        if (rc == 0 && !yours)
            rc = measure_waits(csv, S_THREADS, wait_on_threads, MAX_THREADS);
        snprintf(args, sizeof(args), "--reps %d --wait-ms %d --sizes %d,%d,%d,%d,%d,%d,%d",
                 BENCH_MIN_REPS, WAIT_MS, sizes[0], sizes[1], sizes[2], sizes[3], sizes[4],
                 sizes[5], sizes[6]);
        if (rc == 0 && !yours && have_python && bench_python_run(csv, PYTHON_SCRIPT, args) != 0)
            bench_fact(csv, "python_failed", "some Python rows may be missing");
        if (rc == 0)
            rc = measure_curl(csv, &srv, curl_series, !yours);
        if (bench_csv_close(csv) != 0 && rc == 0)
            rc = -EIO;
    }
    curl_global_cleanup();
    if (h_server_stop(&srv) != 0 && rc == 0)
        rc = -EIO;
    if (rc != 0) {
        fprintf(stderr, "bench_evloop: %s\n", strerror(-rc));
        return 1;
    }
    return 0;
}
