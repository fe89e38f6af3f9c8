/* bench_semaphore.c: how many tasks run at once under a semaphore, over time, for a few limits.
 *
 * Runs lesson 03's gather_limited (the reference, or whichever gather_limited.c this is linked
 * with) over the same 32 tasks of 50 ms under limits 1, 4 and 16, each task recorded in a trace.
 * Writes OUTDIR/semaphore.csv, the number of tasks running after every start and end:
 *     limit,time_s,in_flight
 * with times in seconds since that run began, and for each limit a fact line
 * `# took_<limit>: <seconds>`. Built against the learner's gather_limited.c and run as
 * `bench_semaphore OUTDIR yours`, it writes semaphore-yours.csv, with limits "1-yours" and so on.
 * plots/semaphore.gp draws one step chart per limit: the count
 * climbs to the limit at once, stays there while tasks are left, and the same work (the area)
 * takes ceil(32 / limit) rounds of 50 ms.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "clock.h"
#include "csem.h"
#include "trace.h"
#include "workload.h"

#define N_TASKS 32 /* tasks per run */
#define TASK_MS 50 /* each sleeps this long */

static const size_t limits[] = { 1, 4, 16 };
#define N_LIMITS (sizeof(limits) / sizeof(limits[0]))

struct sleeper {
    struct h_trace *trace;
    int index;
};

static int sleeper_fn(void *arg, long *value)
{
    const struct sleeper *s = arg;

    h_io_work(s->trace, s->index, TASK_MS);
    *value = s->index;
    return 0;
}

/* One run under limit, into a fresh trace (created just before, so its time 0 is the start).
 * Stores the trace in *out and the wall time in *took_s. Returns 0 or a negative errno. */
static int run_limited(void *ctx, struct h_trace *trace)
{
    size_t limit = *(const size_t *)ctx;
    struct sleeper sleepers[N_TASKS];
    struct task tasks[N_TASKS];
    struct task_result results[N_TASKS];
    int rc;

    for (int i = 0; i < N_TASKS; i++) {
        sleepers[i] = (struct sleeper){ .trace = trace, .index = i };
        tasks[i] = (struct task){ .fn = sleeper_fn, .arg = &sleepers[i] };
    }
    rc = gather_limited(tasks, N_TASKS, limit, results);
    for (int i = 0; rc == 0 && i < N_TASKS; i++)
        if (results[i].status != 0 || results[i].value != i)
            rc = -EPROTO; /* a wrong answer: this gather_limited is not one to plot */
    if (rc == 0 && h_trace_peak(trace) > (int)limit)
        rc = -EPROTO; /* nor is one that breaks its limit */
    return rc;
}

static int traced_run(size_t limit, struct h_trace **out, double *took_s)
{
    return bench_traced(N_TASKS, run_limited, &limit, out, took_s);
}

int main(int argc, char **argv)
{
    const char *outdir = bench_outdir(argc, argv, "semaphore");
    struct h_trace *traces[N_LIMITS] = { 0 };
    double took_s[N_LIMITS];
    FILE *csv = NULL;
    int rc = 0;

    if (!outdir)
        return 2;
    /* Measure first, write after: the runs do not wait on the disk. */
    for (size_t l = 0; l < N_LIMITS && rc == 0; l++) {
        int64_t step = h_now_ns();

        rc = traced_run(limits[l], &traces[l], &took_s[l]);
        if (rc == 0)
            bench_step("semaphore", step,
                       "limit %2zu: %d tasks of %d ms in %.3f s (ideal %.3f s), at most %d at once",
                       limits[l], N_TASKS, TASK_MS, took_s[l],
                       (double)((N_TASKS + limits[l] - 1) / limits[l]) * TASK_MS / 1000,
                       h_trace_peak(traces[l]));
    }
    if (rc == 0)
        rc = bench_csv_open(&csv, outdir, "semaphore");
    if (rc == 0) {
        bench_fact(csv, "tasks", "%d", N_TASKS);
        bench_fact(csv, "task_ms", "%d", TASK_MS);
        for (size_t l = 0; l < N_LIMITS; l++) {
            char key[32];

            snprintf(key, sizeof(key), "took_%zu", limits[l]);
            bench_fact(csv, key, "%.3f", took_s[l]);
        }
        bench_csv_columns(csv, "limit,time_s,in_flight");
        for (size_t l = 0; l < N_LIMITS && rc == 0; l++) {
            char label[32];

            /* Whose code ran is in the series' name, as in every chart's data. */
            snprintf(label, sizeof(label), "%zu%s", limits[l], bench_series());
            rc = h_trace_write_inflight_csv(traces[l], csv, label);
        }
        if (bench_csv_close(csv) != 0 && rc == 0)
            rc = -EIO;
    }
    for (size_t l = 0; l < N_LIMITS; l++)
        h_trace_destroy(traces[l]);
    if (rc != 0) {
        fprintf(stderr, "bench_semaphore: %s\n", strerror(-rc));
        return 1;
    }
    return 0;
}
