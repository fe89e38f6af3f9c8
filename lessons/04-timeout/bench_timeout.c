/* bench_timeout.c: how late a timeout fires, for wait_for and for fetch_with_timeout.
 *
 * Runs lesson 04's wait_for (the reference, or whichever timeout.c this is linked with) on a
 * task that never ends by itself, for limits from 1 to 100 ms, and measures how long after its
 * deadline each call returns: the overshoot. The task checks its cancel token every 1 ms in one
 * series and every 0.1 ms in another, which shows the contract at work: wait_for returns once
 * the task has stopped, so the overshoot is the condition variable's wake-up plus however long
 * the task takes to notice. A third series is fetch_with_timeout against latencyd's /stall,
 * where libcurl keeps the deadline itself.
 *
 * Writes OUTDIR/timeout.csv, one line per series and limit, overshoots in milliseconds:
 *     series,timeout_ms,reps,median_ms,min_ms,max_ms
 * Built against the learner's timeout.c and fetch_timeout.c and run as `bench_timeout OUTDIR
 * yours`, it writes timeout-yours.csv, each series named with " (yours)" after it.
 * plots/timeout.gp draws the medians with min-max bars against the limit.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "clock.h"
#include "server.h"
#include "timeout.h"

#define REPS 25 /* calls per series and limit */

static const int limits_ms[] = { 1, 2, 5, 10, 20, 50, 100 };
#define N_LIMITS ((int)(sizeof(limits_ms) / sizeof(limits_ms[0])))

/* A task that works until told to stop, checking its token every poll_us microseconds. */
static int until_cancelled(const struct cancel_token *tok, void *arg, long *value)
{
    int64_t poll_ns = *(const int *)arg * INT64_C(1000);

    (void)value;
    while (!cancel_requested(tok))
        h_sleep_until(h_now_ns() + poll_ns);
    return -ECANCELED;
}

/* One series: REPS timed-out calls per limit, each through call(limit, ctx), which returns 0
 * for a call that timed out as it should. Writes a line per limit. */
static int measure(FILE *csv, const char *what, int (*call)(int limit_ms, void *ctx), void *ctx)
{
    double overshoot_s[REPS];
    char series[64];

    /* Whose code ran is in the series' name, as in every chart's data. */
    snprintf(series, sizeof(series), "%s%s", what, bench_series()[0] ? " (yours)" : "");

    for (int l = 0; l < N_LIMITS; l++) {
        int64_t step = h_now_ns();
        struct bench_stats st;

        for (int i = 0; i < REPS; i++) {
            int64_t start = h_now_ns();
            int rc = call(limits_ms[l], ctx);

            if (rc != 0) {
                fprintf(stderr, "bench_timeout: %s, %d ms: %s\n", series, limits_ms[l],
                        strerror(-rc));
                return rc;
            }
            overshoot_s[i] = h_ns_to_s(h_now_ns() - start) - limits_ms[l] / 1000.0;
        }
        st = bench_stats_of(overshoot_s, REPS);
        fprintf(csv, "%s,%d,%d,%.4f,%.4f,%.4f\n", series, limits_ms[l], st.reps, st.median_s * 1000,
                st.min_s * 1000, st.max_s * 1000);
        bench_step("timeout", step, "%-33s %3d ms: late by %.3f ms (median)", series, limits_ms[l],
                   st.median_s * 1000);
    }
    return 0;
}

static int call_wait_for(int limit_ms, void *ctx)
{
    struct timed_task task = { .fn = until_cancelled, .arg = ctx };
    struct task_result r;
    int rc = wait_for(&task, limit_ms, &r);

    return rc == -ETIMEDOUT ? 0 : rc == 0 ? -EPROTO : rc;
}

static int call_fetch(int limit_ms, void *ctx)
{
    struct fetch_result out;
    int rc = fetch_with_timeout(ctx, limit_ms, &out);

    return rc == -ETIMEDOUT ? 0 : rc == 0 ? -EPROTO : rc;
}

int main(int argc, char **argv)
{
    const char *outdir = bench_outdir(argc, argv, "timeout");
    int poll_1ms = 1000, poll_100us = 100;
    struct h_server srv;
    char stall[128];
    FILE *csv = NULL;
    int rc;

    if (!outdir)
        return 2;
    /* The server first: it forks, which is best done before any thread exists. */
    rc = h_server_start(&srv, NULL);
    if (rc != 0) {
        fprintf(stderr, "bench_timeout: cannot start latencyd: %s\n", strerror(-rc));
        return 1;
    }
    h_server_url(&srv, stall, sizeof(stall), "/stall");
    rc = bench_csv_open(&csv, outdir, "timeout");
    if (rc == 0) {
        bench_fact(csv, "reps", "%d", REPS);
        bench_fact(csv, "overshoot", "wall time of the call minus its limit, in ms");
        bench_csv_columns(csv, "series,timeout_ms,reps,median_ms,min_ms,max_ms");
        rc = measure(csv, "wait_for (task polls 1 ms)", call_wait_for, &poll_1ms);
        if (rc == 0)
            rc = measure(csv, "wait_for (task polls 0.1 ms)", call_wait_for, &poll_100us);
        if (rc == 0)
            rc = measure(csv, "fetch_with_timeout /stall", call_fetch, stall);
        if (bench_csv_close(csv) != 0 && rc == 0)
            rc = -EIO;
    }
    if (h_server_stop(&srv) != 0 && rc == 0)
        rc = -EIO;
    if (rc != 0) {
        fprintf(stderr, "bench_timeout: %s\n", strerror(-rc));
        return 1;
    }
    return 0;
}
