/* bench_errors.c: a timeline of the same six tasks, one of which fails, gathered or grouped.
 *
 * Runs lesson 07's gather_all_status and taskgroup_run (the reference, or whichever errors.c this
 * is linked with) over six tasks that work in 1 ms steps for 60 to 250 ms. Task 2 fails at
 * 60 ms. Task 4 never checks its cancel token. Gathered, every task runs to its end; in the
 * group, the failure sets the token, the other tasks see it within a step and stop, and the call
 * still waits for task 4. Each way is run REPS times, and the run whose call took the median
 * time is kept (a timeline cannot be averaged).
 *
 * Writes OUTDIR/errors.csv, one line per run and task, times in ms since the call began:
 *     run,task,start_ms,end_ms,stop_ms,status,deaf
 * stop_ms is when the task saw its token (-1 if it never did); status is what it returned. The
 * facts give, per run, when the failure happened and when the call returned. plots/errors.gp
 * draws the two timelines.
 *
 * Built against the learner's lesson 07 too, and run as `bench_errors OUTDIR yours`, it writes
 * OUTDIR/errors-yours.csv: the same runs, named gather-yours and group-yours.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "clock.h"
#include "errors.h"

#define CSV_NAME "errors"

#define N_TASKS 6
#define FAILING 2 /* fails at its end, at 60 ms */
#define DEAF    4 /* ignores the token */
#define REPS    BENCH_MIN_REPS

static const int task_ms[N_TASKS] = { 200, 120, 60, 250, 150, 180 };

/* One task of one run: what it was told, and what happened (times in ns, h_now_ns). */
struct job {
    int index;
    int64_t start_ns, end_ns, stop_ns;
    int status;
};

/* One run of the six tasks. The jobs' times are written by their threads and read by main only
 * after the call has joined them. */
struct run {
    struct job jobs[N_TASKS];
    int64_t t0, failed_ns, returned_ns;
};

static struct run *current; /* the run being measured (the jobs find failed_ns here) */

static int job_fn(const struct cancel_token *tok, void *arg, long *value)
{
    struct job *j = arg;
    int64_t end;

    j->start_ns = h_now_ns();
    end = j->start_ns + task_ms[j->index] * H_NS_PER_MS;
    j->stop_ns = 0;
    while (h_now_ns() < end) {
        if (j->index != DEAF && cancel_requested(tok)) {
            j->stop_ns = j->end_ns = h_now_ns();
            return -ECANCELED;
        }
        h_sleep_ms(1);
    }
    j->end_ns = h_now_ns();
    if (j->index == FAILING) {
        current->failed_ns = j->end_ns; /* read by main after the join */
        return -EIO;
    }
    *value = j->index;
    return 0;
}

typedef int (*run_fn)(struct cancellable_task *tasks, struct task_result *results);

static int gather_all(struct cancellable_task *tasks, struct task_result *results)
{
    int rc = gather_all_status(tasks, N_TASKS, results);

    return rc == 1 ? 0 : rc < 0 ? rc : -EPROTO; /* exactly one task fails */
}

static int taskgroup(struct cancellable_task *tasks, struct task_result *results)
{
    size_t first = 0;
    int rc = taskgroup_run(tasks, N_TASKS, results, &first);

    return rc == -EIO && first == FAILING ? 0 : rc == 0 ? -EPROTO : rc;
}

/* REPS runs with call; stores the median one (by the call's time) in *out. */
static int measure(run_fn call, struct run *out, const char *name)
{
    static struct run runs[REPS];
    double took_s[REPS], sorted[REPS];
    int64_t step = h_now_ns();
    struct bench_stats st;

    for (int r = 0; r < REPS; r++) {
        struct cancellable_task tasks[N_TASKS];
        struct task_result results[N_TASKS];
        int rc;

        current = &runs[r];
        *current = (struct run){ 0 };
        for (int i = 0; i < N_TASKS; i++) {
            current->jobs[i].index = i;
            tasks[i] = (struct cancellable_task){ .fn = job_fn, .arg = &current->jobs[i] };
        }
        current->t0 = h_now_ns();
        rc = call(tasks, results);
        current->returned_ns = h_now_ns();
        if (rc != 0)
            return rc;
        for (int i = 0; i < N_TASKS; i++)
            current->jobs[i].status = results[i].status;
        took_s[r] = sorted[r] = h_ns_to_s(current->returned_ns - current->t0);
    }
    st = bench_stats_of(sorted, REPS);
    for (int r = 0; r < REPS; r++)
        if (took_s[r] == st.median_s) {
            *out = runs[r];
            break;
        }
    bench_step("errors", step, "%-18s returned after %.1f ms (median of %d)", name,
               st.median_s * 1000, REPS);
    return 0;
}

static double ms_since(const struct run *r, int64_t ns)
{
    return ns ? (double)(ns - r->t0) / H_NS_PER_MS : -1;
}

static void write_run(FILE *csv, const char *name, const struct run *r)
{
    for (int i = 0; i < N_TASKS; i++) {
        const struct job *j = &r->jobs[i];

        fprintf(csv, "%s,%d,%.3f,%.3f,%.3f,%d,%d\n", name, i, ms_since(r, j->start_ns),
                ms_since(r, j->end_ns), ms_since(r, j->stop_ns), j->status, i == DEAF);
    }
}

int main(int argc, char **argv)
{
    const char *outdir = bench_outdir(argc, argv, CSV_NAME);
    static struct run gathered, grouped;
    char gather_name[32], group_name[32];
    FILE *csv = NULL;
    int rc;

    if (!outdir)
        return 2;
    rc = measure(gather_all, &gathered, "gather_all_status");
    if (rc == 0)
        rc = measure(taskgroup, &grouped, "taskgroup_run");
    if (rc == 0)
        rc = bench_csv_open(&csv, outdir, CSV_NAME);
    if (rc == 0) {
        bench_fact(csv, "reps", "%d", REPS);
        bench_fact(csv, "failing_task", "%d", FAILING);
        bench_fact(csv, "deaf_task", "%d", DEAF);
        bench_fact(csv, "gather_failed_ms", "%.3f", ms_since(&gathered, gathered.failed_ns));
        bench_fact(csv, "gather_returned_ms", "%.3f", ms_since(&gathered, gathered.returned_ns));
        bench_fact(csv, "group_failed_ms", "%.3f", ms_since(&grouped, grouped.failed_ns));
        bench_fact(csv, "group_returned_ms", "%.3f", ms_since(&grouped, grouped.returned_ns));
        bench_csv_columns(csv, "run,task,start_ms,end_ms,stop_ms,status,deaf");
        snprintf(gather_name, sizeof(gather_name), "gather%s", bench_series());
        snprintf(group_name, sizeof(group_name), "group%s", bench_series());
        write_run(csv, gather_name, &gathered);
        write_run(csv, group_name, &grouped);
        if (bench_csv_close(csv) != 0)
            rc = -EIO;
    }
    if (rc != 0) {
        fprintf(stderr, "bench_errors: %s\n", strerror(-rc));
        return 1;
    }
    return 0;
}
