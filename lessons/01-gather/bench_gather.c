/* bench_gather.c: a timeline of the same sleeping tasks run one after another, then gathered.
 *
 * Runs lesson 01's run_sequential and run_gather (the reference, or whichever gather.c this is
 * linked with) over tasks that sleep for different times, with every task recorded in a trace.
 * Writes OUTDIR/gather.csv, one line per task and run:
 *     run,task,pid,tid,start_s,end_s
 * with times in seconds since that run began (runs "sequential" and "gather"; built against the
 * learner's gather.c and run as `bench_gather OUTDIR yours`, gather-yours.csv with runs
 * "sequential-yours" and "gather-yours"). plots/gather.gp draws it as a Gantt chart: the
 * sequential bars follow one another and add up; the gathered bars all start together, and the
 * whole takes as long as the longest one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "clock.h"
#include "gather.h"
#include "trace.h"
#include "workload.h"

/* How long each task sleeps, in ms: uneven on purpose, so that "as long as the longest" and
 * "the sum of all" look different. 560 ms in all, 120 ms the longest. */
static const int task_ms[] = { 60, 120, 40, 90, 30, 100, 70, 50 };
#define N_TASKS ((int)(sizeof(task_ms) / sizeof(task_ms[0])))

struct sleeper {
    struct h_trace *trace;
    int index;
};

static int sleeper_fn(void *arg, long *value)
{
    const struct sleeper *s = arg;

    h_io_work(s->trace, s->index, task_ms[s->index]);
    *value = s->index;
    return 0;
}

typedef int (*runner_fn)(const struct task *, size_t, struct task_result *);

/* Runs the tasks with run_sequential or run_gather (ctx), recording into trace. */
static int run_traced(void *ctx, struct h_trace *trace)
{
    struct sleeper sleepers[N_TASKS];
    struct task tasks[N_TASKS];
    struct task_result results[N_TASKS];
    int rc;

    for (int i = 0; i < N_TASKS; i++) {
        sleepers[i] = (struct sleeper){ .trace = trace, .index = i };
        tasks[i] = (struct task){ .fn = sleeper_fn, .arg = &sleepers[i] };
    }
    rc = (*(runner_fn *)ctx)(tasks, N_TASKS, results);
    for (int i = 0; rc == 0 && i < N_TASKS; i++)
        if (results[i].status != 0 || results[i].value != i)
            rc = -EPROTO; /* a wrong answer: this gather.c is not one to plot */
    return rc;
}

/* One traced run with run into *out, its wall time in *took_s. */
static int traced_run(runner_fn run, struct h_trace **out, double *took_s)
{
    return bench_traced(N_TASKS, run_traced, &run, out, took_s);
}

int main(int argc, char **argv)
{
    const char *outdir = bench_outdir(argc, argv, "gather");
    struct h_trace *seq = NULL, *gat = NULL;
    double seq_s = 0, gat_s = 0;
    int64_t start = h_now_ns();
    FILE *csv = NULL;
    int rc;

    if (!outdir)
        return 2;
    rc = traced_run(run_sequential, &seq, &seq_s);
    if (rc == 0) {
        bench_step("gather", start, "run_sequential, %d tasks: %.3f s", N_TASKS, seq_s);
        start = h_now_ns();
        rc = traced_run(run_gather, &gat, &gat_s);
    }
    if (rc == 0) {
        bench_step("gather", start, "run_gather,     %d tasks: %.3f s", N_TASKS, gat_s);
        rc = bench_csv_open(&csv, outdir, "gather");
    }
    if (rc == 0) {
        char seq_run[32], gat_run[32];

        /* Each run is named after whose code ran it, as in every chart's data. */
        snprintf(seq_run, sizeof(seq_run), "sequential%s", bench_series());
        snprintf(gat_run, sizeof(gat_run), "gather%s", bench_series());
        bench_fact(csv, "sequential_s", "%.6f", seq_s);
        bench_fact(csv, "gather_s", "%.6f", gat_s);
        bench_csv_columns(csv, "run,task,pid,tid,start_s,end_s");
        rc = h_trace_write_csv(seq, csv, seq_run);
        if (rc == 0)
            rc = h_trace_write_csv(gat, csv, gat_run);
        if (bench_csv_close(csv) != 0 && rc == 0)
            rc = -EIO;
    }
    h_trace_destroy(seq);
    h_trace_destroy(gat);
    if (rc != 0) {
        fprintf(stderr, "bench_gather: %s\n", strerror(-rc));
        return 1;
    }
    return 0;
}
