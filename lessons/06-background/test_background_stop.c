/* test_background_stop.c: lesson 06's tests of stopping, of sleeping while idle and of spurious
 * wake-ups (the suite table is in test_background.c).
 *
 * A worker with a 10 s period spends the whole test asleep: a correct one is in a condition
 * variable wait, which bg_stop ends at once. These tests look at it from outside: how long
 * bg_stop takes, whether the worker's thread is gone, how much CPU the process burnt, how often
 * the worker's thread woke up (its context switches, from /proc), and which waits it made
 * (counted by the kit's stand-in for pthread_cond_*wait, which also injects wake-ups for
 * nothing on demand).
 */
#define _GNU_SOURCE /* gettid */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "clock.h"
#include "proc.h"
#include "test_background.h"
#include "wake.h"

#define LONG_PERIOD_MS 10000 /* a period no test waits for: every tick of it would be a bug */
#define STOP_LIMIT_S   0.050 /* bg_stop of an idle worker, best of 3 (a wake-up takes ~0.1 ms) */
#define IDLE_MS        300   /* how long the idle worker is watched */
#define MAX_SWITCHES   5     /* times it may wake up meanwhile (a 1 ms poll: about 300) */
#define MAX_THREADS    64

/* ---- bg_stop ---- */

/* Starts an idle worker, lets it fall asleep, stops it: bg_stop's seconds, or -1 if wrong. */
static double stop_attempt(void *arg)
{
    struct ticker t;
    struct bg_worker *w = NULL;
    struct bg_stats st = { 0 };
    int threads = h_count_threads();
    double took;
    bool ok;

    (void)arg;
    ticker_init(&t, (struct ticker){ .work_ms = 0 });
    H_ASSERT_RC_FATAL(bg_start(&w, tick_fn, &t, LONG_PERIOD_MS), 0);
    h_sleep_ms(30); /* the worker is asleep in its wait by now */
    ok = H_ASSERT_RC(stop_guarded(w, GIVE_UP_MS, &took), 0);
    ok &= H_ASSERT(atomic_load(&t.calls) == 0,
                   "bg_stop woke the worker and it ran a tick (9.97 s early): after every "
                   "wake-up, look at the stop flag before anything else");
    ok &= H_ASSERT_RC(bg_stats(w, &st), 0) && H_ASSERT_EQ(st.ticks, 0);
    ok &= H_ASSERT(h_settled_threads(threads, 1000) == threads,
                   "bg_stop returned, and the worker's thread still existed a second later: "
                   "join it before bg_stop returns");
    bg_destroy(w);
    ticker_destroy(&t);
    return ok ? took : -1;
}

#define AFTER_ROUNDS 10 /* stops of a busy worker (ticks of 1 ms every 2 ms) */

void bg_stop_is_prompt(void)
{
    double best = h_best_time(stop_attempt, NULL, STOP_LIMIT_S);
    struct ticker t;
    struct bg_worker *w = NULL;
    struct bg_stats st = { 0 };

    if (best < 0)
        return;
    if (!h_sanitized())
        H_ASSERT(best <= STOP_LIMIT_S,
                 "bg_stop of a worker with a 10 s period took %.3f s, best of %d (allowed %.3f "
                 "s): wake the worker through its condition variable, do not wait for its "
                 "period or poll a flag",
                 best, H_TRIES, STOP_LIMIT_S);
    /* A worker stopped in the middle of a tick: bg_stop waits for that tick, and none starts
     * after it returns. */
    for (int i = 0; i < AFTER_ROUNDS; i++) {
        int calls, running;

        ticker_init(&t, (struct ticker){ .work_ms = 1 });
        H_ASSERT_RC_FATAL(bg_start(&w, tick_fn, &t, 2), 0);
        wait_ticks(&t, 3 + i % 3, GIVE_UP_MS);
        H_ASSERT_RC_FATAL(bg_stop(w), 0);
        running = h_trace_running(t.trace);
        calls = atomic_load(&t.calls);
        h_sleep_ms(10);
        H_ASSERT_FATAL(running == 0,
                       "bg_stop returned while a tick was still running (round "
                       "%d): join the worker's thread, which ends after its tick",
                       i);
        H_ASSERT_FATAL(atomic_load(&t.calls) == calls,
                       "%d ticks started after bg_stop had returned (round %d): once bg_stop is "
                       "called, no tick may start, and its thread must be joined",
                       atomic_load(&t.calls) - calls, i);
        H_ASSERT_RC(bg_stats(w, &st), 0);
        H_ASSERT_EQ(st.ticks, calls);
        bg_destroy(w);
        ticker_destroy(&t);
    }
}

/* ---- asleep while idle ---- */

/* The thread ids of this process now, into tids (at most max); returns how many. */
static int list_threads(int *tids, int max)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;

    if (!d)
        return 0;
    while ((e = readdir(d)) && n < max)
        if (e->d_name[0] != '.')
            tids[n++] = atoi(e->d_name);
    closedir(d);
    return n;
}

/* A thread that exists now and was not among before[0..n-1]; 0 if none. */
static int new_thread(const int *before, int n)
{
    int now[MAX_THREADS], m = list_threads(now, MAX_THREADS);

    for (int i = 0; i < m; i++) {
        bool old = false;

        for (int j = 0; j < n && !old; j++)
            old = now[i] == before[j];
        if (!old)
            return now[i];
    }
    return 0;
}

/* Times thread tid has fallen asleep so far (voluntary context switches), or -1. */
static long switches_of(int tid)
{
    char path[64], line[128];
    long n = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "voluntary_ctxt_switches:", 24) == 0)
            n = atol(line + 24);
    fclose(f);
    return n;
}

void bg_sleeps_while_idle(void)
{
    struct ticker t;
    struct bg_worker *w = NULL;
    struct h_usage u;
    struct h_wake_stats ws;
    int before[MAX_THREADS], n = list_threads(before, MAX_THREADS), tid;
    long sw0, sw1;
    double took;

    ticker_init(&t, (struct ticker){ .work_ms = 0 });
    h_wake_reset();
    H_ASSERT_RC_FATAL(bg_start(&w, tick_fn, &t, LONG_PERIOD_MS), 0);
    tid = new_thread(before, n);
    h_sleep_ms(20); /* let it fall asleep */
    sw0 = switches_of(tid);
    h_usage_start(&u);
    h_sleep_ms(IDLE_MS);
    h_usage_stop(&u);
    sw1 = switches_of(tid);
    ws = h_wake_stats();
    H_ASSERT_RC(stop_guarded(w, GIVE_UP_MS, &took), 0);
    bg_destroy(w);
    ticker_destroy(&t);
    H_ASSERT_FATAL(tid > 0 && sw0 >= 0 && sw1 >= 0,
                   "bg_start returned and no new thread was running: the worker needs a thread "
                   "of its own, started by bg_start");
    H_ASSERT_MOSTLY_ASLEEP("a worker with a 10 s period, idle for 300 ms", u, 0.20);
    H_ASSERT(sw1 - sw0 <= MAX_SWITCHES,
             "the idle worker's thread woke up %ld times in %d ms (allowed %d): a loop of short "
             "sleeps looking at a flag? Sleep on the condition variable until the next slot",
             sw1 - sw0, IDLE_MS, MAX_SWITCHES);
    H_ASSERT(ws.timed >= 1, "the worker never waited on a condition variable with a deadline "
                            "(pthread_cond_timedwait): nothing else can be woken by bg_stop");
    H_ASSERT(ws.realtime == 0,
             "%d of the worker's waits had a deadline on CLOCK_REALTIME, the wall clock, which "
             "jumps when the date is set: time the condition variable on CLOCK_MONOTONIC",
             ws.realtime);
}

/* ---- spurious wake-ups ---- */

#define SPUR_PERIOD_MS 40
#define SPUR_DELAY_MS  5 /* a wake-up for nothing comes this long into a wait */

void bg_survives_spurious_wakeups(void)
{
    struct ticker t;
    struct bg_worker *w = NULL;
    struct h_wake_stats ws;
    int64_t t0;
    int calls;
    double took;

    /* Every other wait ends early, for nothing: ticks still come at their slots, no sooner. */
    ticker_init(&t, (struct ticker){ .work_ms = 0 });
    h_wake_reset();
    h_wake_spurious(2, SPUR_DELAY_MS);
    t0 = h_now_ns();
    H_ASSERT_RC_FATAL(bg_start(&w, tick_fn, &t, SPUR_PERIOD_MS), 0);
    calls = wait_ticks(&t, 5, GIVE_UP_MS);
    h_wake_spurious(0, 0);
    ws = h_wake_stats();
    H_ASSERT_RC(bg_stop(w), 0);
    bg_destroy(w);
    H_ASSERT(ws.spurious >= 1, "the worker never waited on a condition variable, so no "
                               "wake-up for nothing reached it");
    H_ASSERT(calls >= 5,
             "with wake-ups for nothing, the worker made %d ticks in %.1f s with a %d ms period: "
             "did it take one for bg_stop? Only the stop flag means stop",
             calls, GIVE_UP_MS / 1000.0, SPUR_PERIOD_MS);
    check_none_early(&t, t0, SPUR_PERIOD_MS, "with a wake-up for nothing in every other wait");
    ticker_destroy(&t);

    /* Every wait ends early, for nothing, for 100 ms: a 10 s period still means no tick. */
    ticker_init(&t, (struct ticker){ .work_ms = 0 });
    h_wake_spurious(1, SPUR_DELAY_MS);
    H_ASSERT_RC_FATAL(bg_start(&w, tick_fn, &t, LONG_PERIOD_MS), 0);
    h_sleep_ms(100);
    h_wake_spurious(0, 0);
    calls = atomic_load(&t.calls);
    H_ASSERT_RC(stop_guarded(w, GIVE_UP_MS, &took), 0);
    bg_destroy(w);
    H_ASSERT(calls == 0,
             "a worker with a 10 s period ran %d ticks in its first 100 ms when its waits woke "
             "up for nothing: wait in a while loop until the slot's time has come (ETIMEDOUT)",
             calls);
    ticker_destroy(&t);
}
