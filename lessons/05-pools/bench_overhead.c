/* bench_overhead.c: what it costs to run one task that does nothing, by each way of running it.
 *
 * A task that does nothing shows the price of the machinery alone: a thread created and joined
 * (what lesson 01's run_gather does per task), a queue operation in a thread pool (lesson 05), a
 * trip through a pipe to a worker process, a whole fork. Real work must cost well above it for the
 * machinery to pay off. Pools are made before the clock starts, as a program that keeps its pool
 * would; each case runs BENCH_MIN_REPS times, and the figure is the median time per task.
 *
 * Writes OUTDIR/overhead.csv: case,impl,tasks,median_us,min_us,max_us,target_us (target_us is
 * the goal the reference must meet, 0 where there is none), then the Python equivalents from
 * plots/python/overhead.py where python3 is installed (impl "python"). When lesson 09 (the event
 * loop) exists, its cost per callback belongs here too, as one more case.
 *
 * Built against the learner's pools and run as `bench_overhead OUTDIR yours`, it writes
 * overhead-yours.csv with the pool cases only (impl "yours"), named as in the reference's file so
 * that the chart can set each beside the reference's: a process or a thread per task is written
 * here, not by the learner, so measuring it again would only show noise.
 */
#define _GNU_SOURCE /* MAP_ANONYMOUS */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "clock.h"
#include "pools.h"

#define PYTHON_SCRIPT "plots/python/overhead.py"
#define MAX_TASKS     200000 /* the largest case */
#define BATCH         64     /* items per message in the batched process pool case */
#define GATHER_TASKS  1000   /* threads started at once by the thread-per-task case */

static int workers; /* every pool's size: the cores */

/* The maps' items and results. Shared, so that the batched process pool's workers (forked
 * copies) can write their results where the parent reads them. */
static long *in, *out;
static int status[MAX_TASKS];
static long batch_out[MAX_TASKS / BATCH + 1]; /* what each batch returns: its number */

static long noop(long x)
{
    return x;
}

static void noop_task(void *arg)
{
    (void)arg;
}

static void *empty_thread(void *arg)
{
    return arg;
}

/* Runs BATCH items in one message: the worker reads them from, and writes them to, the shared
 * arrays, so only the batch's number crosses the pipe. (Python's map(chunksize=64) batches too,
 * sending the items themselves, pickled.) */
static long batch_of_items(long batch)
{
    for (long i = batch * BATCH; i < (batch + 1) * BATCH && i < MAX_TASKS; i++)
        out[i] = noop(in[i]);
    return batch;
}

/* Each case below runs n tasks and stores the time they took, without setup and teardown, in
 * *took. Returns 0 or a negative errno. */
static int thread_per_task(size_t n, int64_t *took)
{
    static pthread_t threads[GATHER_TASKS];
    int64_t start = h_now_ns();
    size_t started = 0;
    int rc = 0;

    /* Create all, then join all: what run_gather does, without a result to store. */
    while (started < n && (rc = pthread_create(&threads[started], NULL, empty_thread, NULL)) == 0)
        started++;
    for (size_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    *took = h_now_ns() - start;
    return -rc;
}

static int fork_per_task(size_t n, int64_t *took)
{
    int64_t start = h_now_ns();

    for (size_t i = 0; i < n; i++) {
        pid_t pid = fork();

        if (pid < 0)
            return -errno;
        if (pid == 0)
            _exit(0);
        if (waitpid(pid, NULL, 0) != pid)
            return -errno;
    }
    *took = h_now_ns() - start;
    return 0;
}

/* Times body(p, n) on a fresh thread pool: creating and destroying it are not counted. */
static int tpool_timed(int (*body)(struct tpool *p, size_t n), size_t n, int64_t *took)
{
    struct tpool *p;
    int64_t start;
    int rc = tpool_create(&p, workers);

    if (rc != 0)
        return rc;
    start = h_now_ns();
    rc = body(p, n);
    *took = h_now_ns() - start;
    tpool_destroy(p);
    return rc;
}

static int map_all(struct tpool *p, size_t n)
{
    return tpool_map(p, noop, in, out, n);
}

/* One task at a time: each submit waits for its task, a cross-CPU wake-up each time. */
static int submit_and_wait_each(struct tpool *p, size_t n)
{
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = tpool_submit(p, noop_task, NULL);
        if (rc == 0)
            rc = tpool_wait(p);
    }
    return rc;
}

static int submit_all_then_wait(struct tpool *p, size_t n)
{
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = tpool_submit(p, noop_task, NULL);
    return rc == 0 ? tpool_wait(p) : rc;
}

static int tpool_mapped(size_t n, int64_t *took)
{
    return tpool_timed(map_all, n, took);
}

static int tpool_handoff(size_t n, int64_t *took)
{
    return tpool_timed(submit_and_wait_each, n, took);
}

static int tpool_submitted(size_t n, int64_t *took)
{
    return tpool_timed(submit_all_then_wait, n, took);
}

/* Times map(p, n) on a fresh process pool: creating and destroying it are not counted. */
static int ppool_timed(int (*map)(struct ppool *p, size_t n), size_t n, int64_t *took)
{
    struct ppool *p;
    int64_t start;
    int rc = ppool_create(&p, workers);

    if (rc != 0)
        return rc;
    start = h_now_ns();
    rc = map(p, n);
    *took = h_now_ns() - start;
    ppool_destroy(p);
    return rc;
}

static int map_singles(struct ppool *p, size_t n)
{
    return ppool_map(p, noop, in, out, status, n);
}

/* One item per worker per map call: each item waits for the one before it on that worker to
 * come back, a round trip per item. This is what a pool without pipelining costs. */
static int map_one_per_worker(struct ppool *p, size_t n)
{
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < n; i += (size_t)workers) {
        size_t k = n - i < (size_t)workers ? n - i : (size_t)workers;

        rc = ppool_map(p, noop, in + i, out + i, status + i, k);
    }
    return rc;
}

static int map_batches(struct ppool *p, size_t n)
{
    return ppool_map(p, batch_of_items, in, batch_out, status, (n + BATCH - 1) / BATCH);
}

static int ppool_stop_and_wait(size_t n, int64_t *took)
{
    return ppool_timed(map_one_per_worker, n, took);
}

static int ppool_single(size_t n, int64_t *took)
{
    return ppool_timed(map_singles, n, took);
}

static int ppool_batched(size_t n, int64_t *took)
{
    return ppool_timed(map_batches, n, took);
}

/* One case: its name on the chart, the tasks in one run, the goal, the run, and whether it runs
 * the lesson's code (a pool) or only code of this file. */
struct ocase {
    const char *name;
    size_t tasks;
    double target_us;
    int (*run)(size_t n, int64_t *took);
    bool lesson_code;
};

/* Names go into a CSV: no commas. */
static const struct ocase cases[] = {
    { "a process per task (fork + waitpid)", 200, 0, fork_per_task, false },
    { "a thread per task (create all then join)", GATHER_TASKS, 0, thread_per_task, false },
    { "thread pool: submit 1 task then wait", 2000, 0, tpool_handoff, true },
    { "process pool map: 1 item per worker per map (stop-and-wait)", 10000, 0, ppool_stop_and_wait,
      true },
    { "process pool map: 1 item per message (pipelined)", 50000, 3.0, ppool_single, true },
    { "process pool map: 64 items per message", MAX_TASKS, 0, ppool_batched, true },
    { "thread pool: submit all then wait once", MAX_TASKS, 0, tpool_submitted, true },
    { "thread pool map: 200000 tasks in chunks", MAX_TASKS, 0.3, tpool_mapped, true },
};

static int measure(FILE *csv, const struct ocase *c, const char *impl)
{
    double per_task[BENCH_MIN_REPS];
    int64_t start = h_now_ns();
    struct bench_stats st;

    for (int r = 0; r < BENCH_MIN_REPS; r++) {
        int64_t took = 0;
        int rc = c->run(c->tasks, &took);

        if (rc != 0) {
            fprintf(stderr, "bench_overhead: %s: %s\n", c->name, strerror(-rc));
            return rc;
        }
        per_task[r] = h_ns_to_s(took) / (double)c->tasks;
    }
    st = bench_stats_of(per_task, BENCH_MIN_REPS);
    fprintf(csv, "%s,%s,%zu,%.4f,%.4f,%.4f,%g\n", c->name, impl, c->tasks, st.median_s * 1e6,
            st.min_s * 1e6, st.max_s * 1e6, c->target_us);
    fflush(csv);
    bench_step("overhead", start, "%-52s %9.3f us per task%s", c->name, st.median_s * 1e6,
               c->target_us == 0                   ? ""
               : st.median_s * 1e6 <= c->target_us ? " (goal met)"
                                                   : " (GOAL MISSED)");
    return 0;
}

int main(int argc, char **argv)
{
    const char *outdir = bench_outdir(argc, argv, "overhead");
    size_t bytes = MAX_TASKS * sizeof(long);
    char python[128], args[64];
    bool have_python, yours;
    FILE *csv;
    int rc;

    if (!outdir)
        return 2;
    yours = bench_series()[0] != '\0';
    workers = bench_cores();
    in = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    out = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (in == MAP_FAILED || out == MAP_FAILED) {
        fprintf(stderr, "bench_overhead: %s\n", strerror(errno));
        return 1;
    }
    for (long i = 0; i < MAX_TASKS; i++)
        in[i] = i;
    rc = bench_csv_open(&csv, outdir, "overhead");
    if (rc != 0) {
        fprintf(stderr, "bench_overhead: %s\n", strerror(-rc));
        return 1;
    }
    bench_fact(csv, "workers", "%d per pool (the cores)", workers);
    bench_fact(csv, "reps", "%d", BENCH_MIN_REPS);
    /* The learner's run needs no Python beside it: the reference's run has it. */
    have_python = !yours && bench_python_version(PYTHON_SCRIPT, python, sizeof(python)) == 0;
    bench_fact(csv, "python", "%s", yours ? "not run beside your pools" : python);
    bench_csv_columns(csv, "case,impl,tasks,median_us,min_us,max_us,target_us");
    for (size_t c = 0; rc == 0 && c < sizeof(cases) / sizeof(cases[0]); c++)
        if (cases[c].lesson_code || !yours)
            rc = measure(csv, &cases[c], yours ? "yours" : "C");
    snprintf(args, sizeof(args), "--workers %d --reps %d", workers, BENCH_MIN_REPS);
    if (rc == 0 && have_python && bench_python_run(csv, PYTHON_SCRIPT, args) != 0)
        bench_fact(csv, "python_failed", "some Python rows may be missing");
    if (bench_csv_close(csv) != 0 && rc == 0)
        rc = -EIO;
    munmap(in, bytes);
    munmap(out, bytes);
    return rc == 0 ? 0 : 1;
}
