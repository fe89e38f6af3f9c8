/* bench_background.c: when the ticks of a periodic task start, against their schedule.
 *
 * Runs lesson 06's bg_start (the reference, or whichever background.c this is linked with) for
 * 50 ticks of a 10 ms period, each tick working 3 ms (a sleep, as waiting for I/O would), and
 * records when each tick started, and for which slot. Beside it, the classic mistake over the same
 * ticks: a loop that sleeps a period after each tick's work, as `while True: await work(); await
 * asyncio.sleep(period)` does. Each series is run REPS times; for tick k (due at k * period
 * after the start) it reports when the tick started and how late that was, median and range.
 *
 * Writes OUTDIR/background.csv, one line per series and slot (tick k is due at k periods), times
 * in milliseconds since the start (bg_start's call, or the loop's first line); reps is how many
 * runs ran that slot (a run that missed it has no start to report):
 *     series,slot,reps,due_ms,median_start_ms,median_late_ms,min_late_ms,max_late_ms
 * plots/background.gp draws the starts against the ideal schedule, and the lateness per tick.
 *
 * Where python3 is installed, plots/python/background.py adds the same two loops written with
 * asyncio: "asyncio sleep(period)" and "asyncio loop.time()" (an absolute schedule).
 *
 * Built against the learner's lesson 06 too, and run as `bench_background OUTDIR yours`, it
 * writes OUTDIR/background-yours.csv with the one series "bg_start-yours", and no loop or Python.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "background.h"
#include "bench.h"
#include "clock.h"

#define CSV_NAME      "background"
#define PYTHON_SCRIPT "plots/python/background.py"

#define PERIOD_MS 10
#define WORK_MS   3
#define N_TICKS   50
#define REPS      BENCH_MIN_REPS

/* One run's ticks: the tick of slot k (1..N_TICKS) started at start_ns[k] (h_now_ns), or 0 if
 * that slot was skipped. */
struct run {
    int64_t t0;
    int64_t start_ns[N_TICKS + 1];
    _Atomic(struct bg_worker *) worker; /* NULL for the loop, whose tick k is slot k */
    atomic_int last_slot;               /* slot of the latest tick started */
};

/* A tick: note when it started and for which slot, then work. On the worker's thread (or the
 * loop's). A worker's tick k is slot k until a slot is missed; bg_stats, read from the tick,
 * says which slot this is: every slot before it either ran (ticks) or was skipped (missed). */
static int tick(void *arg)
{
    struct run *r = arg;
    int64_t now = h_now_ns();
    struct bg_worker *w = atomic_load(&r->worker);
    struct bg_stats st;
    int slot = atomic_load(&r->last_slot) + 1;

    if (w && bg_stats(w, &st) == 0)
        slot = (int)(st.ticks + st.missed + 1);
    if (slot <= N_TICKS)
        r->start_ns[slot] = now;
    atomic_store(&r->last_slot, slot); /* after the write: the reader sees it once it sees this */
    h_sleep_ms(WORK_MS);
    return 0;
}

/* N_TICKS ticks from bg_start, then bg_stop. Returns 0 or a negative errno. */
static int run_worker(struct run *r)
{
    struct bg_worker *w;
    int rc;

    *r = (struct run){ .t0 = h_now_ns() };
    rc = bg_start(&w, tick, r, PERIOD_MS);
    if (rc != 0)
        return rc;
    atomic_store(&r->worker, w); /* one period before the first tick reads it */
    while (atomic_load(&r->last_slot) < N_TICKS)
        h_sleep_ms(1); /* the benchmark's own waiting: not what is measured */
    rc = bg_stop(w);
    bg_destroy(w);
    return rc;
}

/* The mistake: sleep a period, tick, and again, so each round takes the period plus the work. */
static int run_sleep_after_work(struct run *r)
{
    *r = (struct run){ .t0 = h_now_ns() };
    for (int k = 1; k <= N_TICKS; k++) {
        h_sleep_ms(PERIOD_MS);
        tick(r);
    }
    return 0;
}

/* REPS runs of one series; one CSV line per tick. Returns 0 or a negative errno. */
static int measure(FILE *csv, const char *series, int (*run)(struct run *))
{
    static struct run runs[REPS];
    int64_t step = h_now_ns();
    double late_s[REPS], start_s[REPS];

    for (int i = 0; i < REPS; i++) {
        int rc = run(&runs[i]);

        if (rc != 0) {
            fprintf(stderr, "bench_background: %s: %s\n", series, strerror(-rc));
            return rc;
        }
    }
    for (int k = 1; k <= N_TICKS; k++) {
        double due_s = k * PERIOD_MS / 1000.0;
        struct bench_stats late, start;
        int n = 0;

        for (int i = 0; i < REPS; i++) {
            if (runs[i].start_ns[k] == 0)
                continue; /* this run skipped slot k */
            start_s[n] = h_ns_to_s(runs[i].start_ns[k] - runs[i].t0);
            late_s[n] = start_s[n] - due_s;
            n++;
        }
        if (n == 0)
            continue;
        late = bench_stats_of(late_s, n);
        start = bench_stats_of(start_s, n);
        fprintf(csv, "%s,%d,%d,%.3f,%.4f,%.4f,%.4f,%.4f\n", series, k, n, due_s * 1000,
                start.median_s * 1000, late.median_s * 1000, late.min_s * 1000, late.max_s * 1000);
        if (k == N_TICKS)
            bench_step("background", step, "%-18s tick %d due at %.0f ms, started %.2f ms late",
                       series, k, due_s * 1000, late.median_s * 1000);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *outdir = bench_outdir(argc, argv, CSV_NAME);
    FILE *csv = NULL;
    int rc;
    char python[128] = "", args[128], series[64];
    bool yours, have_python;

    if (!outdir)
        return 2;
    yours = bench_series()[0] != '\0';
    have_python = !yours && bench_python_version(PYTHON_SCRIPT, python, sizeof(python)) == 0;
    snprintf(series, sizeof(series), "bg_start%s", bench_series());
    rc = bench_csv_open(&csv, outdir, CSV_NAME);
    if (rc == 0) {
        bench_fact(csv, "reps", "%d", REPS);
        bench_fact(csv, "period_ms", "%d", PERIOD_MS);
        bench_fact(csv, "work_ms", "%d", WORK_MS);
        bench_fact(csv, "ticks", "%d", N_TICKS);
        if (!yours)
            bench_fact(csv, "python", "%s", python);
        bench_csv_columns(csv, "series,slot,reps,due_ms,median_start_ms,median_late_ms,"
                               "min_late_ms,max_late_ms");
        rc = measure(csv, series, run_worker);
        if (rc == 0 && !yours)
            rc = measure(csv, "sleep after work", run_sleep_after_work);
        snprintf(args, sizeof(args), "--period-ms %d --work-ms %d --ticks %d --reps %d", PERIOD_MS,
                 WORK_MS, N_TICKS, REPS);
        if (rc == 0 && have_python && bench_python_run(csv, PYTHON_SCRIPT, args) != 0)
            bench_fact(csv, "python_failed", "some Python rows may be missing");
        if (bench_csv_close(csv) != 0 && rc == 0)
            rc = -EIO;
    }
    if (rc != 0) {
        fprintf(stderr, "bench_background: %s\n", strerror(-rc));
        return 1;
    }
    return 0;
}
