/* test_background.c: the graded tests of lesson 06 (a periodic background worker): the suite
 * table, the ticker the tests share, the schedule and overruns. Stopping, sleeping while idle and
 * spurious wake-ups are in test_background_stop.c; the counts, two workers and misuse in
 * test_background_counts.c.
 *
 * Timing is checked against the ideal schedule (tick k due k periods after bg_start) with a
 * stated tolerance, best of 3, and skipped under sanitizers; that no tick starts before its slot
 * is checked every time, because a timed wait never ends early. Everything else is counted.
 */
#define _GNU_SOURCE /* gettid */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "call.h"
#include "check.h"
#include "clock.h"
#include "proc.h"
#include "suite.h"
#include "test_background.h"

#define PERIOD_MS  10   /* the schedule test: 50 ticks of 10 ms... */
#define WORK_MS    3    /* ...each working 3 ms */
#define N_TICKS    50   /* so the 50th is due at 500 ms (650 ms for a sleep-after-work loop) */
#define LATE_LIMIT 1.10 /* the 50th tick may start up to 1.10x its due time (best of 3) */
#define MS_OF(ns)  ((double)(ns) / H_NS_PER_MS)

/* ---- the ticker ---- */

int tick_fn(void *arg)
{
    struct ticker *t = arg;
    int n = atomic_fetch_add(&t->calls, 1) + 1;
    int span = h_trace_begin(t->trace, n);

    atomic_store(&t->tid, (int)gettid());
    h_sleep_ms(n == t->overrun_tick ? t->overrun_ms : t->work_ms);
    h_trace_end(t->trace, span);
    return t->fail_every > 0 && n % t->fail_every == 0 ? -EIO : 0;
}

void ticker_init(struct ticker *t, struct ticker like)
{
    *t = like;
    atomic_init(&t->calls, 0);
    atomic_init(&t->tid, 0);
    H_ASSERT_RC_FATAL(h_trace_create(&t->trace, MAX_TICKS), 0);
}

void ticker_destroy(struct ticker *t)
{
    h_trace_destroy(t->trace);
    t->trace = NULL;
}

int wait_ticks(struct ticker *t, int n, int ms)
{
    int64_t give_up = h_deadline_ms(ms);

    while (atomic_load(&t->calls) < n && h_now_ns() < give_up)
        h_sleep_ms(1);
    return atomic_load(&t->calls);
}

int64_t tick_start(const struct ticker *t, int k, int64_t t0)
{
    size_t n = h_trace_count(t->trace);

    for (size_t i = 0; i < n; i++)
        if (t->trace->spans[i].task == k)
            return atomic_load(&t->trace->spans[i].start_ns) - t0;
    return -1;
}

void check_none_early(const struct ticker *t, int64_t t0, int period_ms, const char *what)
{
    size_t n = h_trace_count(t->trace);

    for (size_t i = 0; i < n; i++) {
        const struct h_span *s = &t->trace->spans[i];
        int64_t at = atomic_load(&s->start_ns) - t0,
                due = (int64_t)s->task * period_ms * H_NS_PER_MS;

        if (!H_ASSERT(at >= due,
                      "%s: tick %d started at %.2f ms, before its slot at %.0f ms (%d x %d ms "
                      "after bg_start). Wait until start + k * period, in a while loop",
                      what, s->task, MS_OF(at), MS_OF(due), s->task, period_ms))
            return;
    }
}

/* bg_stop run as a call: static, since a call that never returns keeps it forever. */
static struct stopper {
    struct h_call call;
    struct bg_worker *w;
    int rc;
} stopper;

static void stopper_fn(struct h_call *c)
{
    struct stopper *s = (struct stopper *)c;

    s->rc = bg_stop(s->w);
}

int stop_guarded(struct bg_worker *w, int give_up_ms, double *took_s)
{
    int64_t start = h_now_ns();

    stopper = (struct stopper){ .w = w };
    H_ASSERT_RC_FATAL(h_call_start(&stopper.call, stopper_fn), 0);
    H_ASSERT_FATAL(h_call_wait(&stopper.call, give_up_ms),
                   "bg_stop had not returned after %.1f s: does it wake the worker (signal its "
                   "condition variable)? A worker asleep in nanosleep or sleep() cannot be woken",
                   give_up_ms / 1000.0);
    h_call_join(&stopper.call);
    *took_s = h_ns_to_s(stopper.call.returned_ns - start);
    return stopper.rc;
}

/* ---- the schedule ---- */

/* 50 ticks of 10 ms working 3 ms each: when the 50th started, in seconds after bg_start, or -1
 * if something was wrong. */
static double schedule_attempt(void *arg)
{
    struct ticker t;
    struct bg_worker *w = NULL;
    struct bg_stats st = { 0 };
    int64_t t0, at;
    int calls;

    (void)arg;
    ticker_init(&t, (struct ticker){ .work_ms = WORK_MS });
    t0 = h_now_ns();
    H_ASSERT_RC_FATAL(bg_start(&w, tick_fn, &t, PERIOD_MS), 0);
    calls = wait_ticks(&t, N_TICKS, GIVE_UP_MS);
    H_ASSERT_RC(bg_stop(w), 0);
    H_ASSERT_RC(bg_stats(w, &st), 0);
    bg_destroy(w);
    at = tick_start(&t, N_TICKS, t0);
    if (!H_ASSERT(calls >= N_TICKS, "only %d ticks in %.1f s with a %d ms period", calls,
                  GIVE_UP_MS / 1000.0, PERIOD_MS) ||
        !H_ASSERT(at >= 0, "tick %d is not in the trace", N_TICKS)) {
        ticker_destroy(&t);
        return -1;
    }
    check_none_early(&t, t0, PERIOD_MS, "10 ms period, 3 ms ticks");
    H_ASSERT(atomic_load(&t.tid) != (int)gettid(),
             "the ticks ran on the thread that called bg_start: give the worker a thread");
    H_ASSERT(h_trace_threads(t.trace) == 1,
             "the ticks ran on %d different threads: one worker thread runs them all",
             h_trace_threads(t.trace));
    H_ASSERT_EQ(st.ticks, atomic_load(&t.calls));
    ticker_destroy(&t);
    return h_ns_to_s(at);
}

static void bg_ticks_on_schedule(void)
{
    double best = h_best_time(schedule_attempt, NULL, 0.5 * LATE_LIMIT);

    if (best < 0 || h_sanitized())
        return;
    H_ASSERT(best <= 0.5 * LATE_LIMIT,
             "the 50th tick of 10 ms (each working 3 ms) started %.0f ms after bg_start, best of "
             "%d; its slot is at 500 ms (allowed %.0f ms). %s",
             best * 1000, H_TRIES, 500 * LATE_LIMIT,
             best > 0.6 ? "Each tick's work adds to the schedule: sleeping a period after each "
                          "tick drifts. Wait until start + k * period instead"
                        : "Is the deadline computed from the start, not from now?");
}

/* ---- overruns ---- */

#define OVR_PERIOD_MS 20 /* tick 2 is due at 40 ms and works 50 ms, to 90 ms: the slots at 60 */
#define OVR_MS        50 /* and 80 ms pass meanwhile; tick 3 is at 100 ms, not at once at 90 */
#define OVR_MISSED    2

static void bg_overrun_skips_slots(void)
{
    struct ticker t;
    struct bg_worker *w = NULL;
    struct bg_stats st = { 0 };
    long missed[H_TRIES];
    int64_t t0, third;

    for (int i = 0; i < H_TRIES; i++) {
        ticker_init(&t, (struct ticker){ .work_ms = 1, .overrun_tick = 2, .overrun_ms = OVR_MS });
        t0 = h_now_ns();
        H_ASSERT_RC_FATAL(bg_start(&w, tick_fn, &t, OVR_PERIOD_MS), 0);
        wait_ticks(&t, 4, GIVE_UP_MS);
        H_ASSERT_RC(bg_stop(w), 0);
        H_ASSERT_RC(bg_stats(w, &st), 0);
        bg_destroy(w);
        H_ASSERT_FATAL(h_trace_peak(t.trace) == 1,
                       "%d ticks ran at the same time: a tick that overruns its period must "
                       "end before the next one starts (one worker thread, one tick at a time)",
                       h_trace_peak(t.trace));
        third = tick_start(&t, 3, t0);
        H_ASSERT_FATAL(third >= 0, "no third tick within %.1f s", GIVE_UP_MS / 1000.0);
        H_ASSERT_FATAL(third >= 5 * OVR_PERIOD_MS * H_NS_PER_MS,
                       "tick 2 worked %d ms, past the slots at %d and %d ms; tick 3 then "
                       "started at %.1f ms, before the next slot ahead (%d ms). Skip the slots "
                       "that passed, do not run them late or back to back",
                       OVR_MS, 3 * OVR_PERIOD_MS, 4 * OVR_PERIOD_MS, MS_OF(third),
                       5 * OVR_PERIOD_MS);
        check_none_early(&t, t0, OVR_PERIOD_MS, "after an overrun");
        H_ASSERT_EQ(st.ticks, atomic_load(&t.calls));
        ticker_destroy(&t);
        missed[i] = st.missed;
        /* A busy machine may delay tick 2 past one more slot: a retry, not a looser count. */
        if (st.missed == OVR_MISSED || h_sanitized())
            break;
    }
    H_ASSERT(st.missed == OVR_MISSED || (h_sanitized() && st.missed >= OVR_MISSED),
             "a tick due at 40 ms worked %d ms with a %d ms period: the slots at 60 and 80 ms "
             "passed meanwhile, so bg_stats should say missed = %d; it said %ld (first try), "
             "%ld (last). Count each slot you skip",
             OVR_MS, OVR_PERIOD_MS, OVR_MISSED, missed[0], st.missed);
}

const struct h_suite h_suite = {
    .tests =
        (const struct h_test[]){
            { H_TEST(bg_ticks_on_schedule, 1) },
            { H_TEST(bg_overrun_skips_slots, 1) },
            { H_TEST(bg_stop_is_prompt, 1) },
            { H_TEST(bg_sleeps_while_idle, 1) },
            { H_TEST(bg_counts_failures, 1) },
            { H_TEST(bg_workers_are_independent, 1) },
            { H_TEST(bg_survives_spurious_wakeups, 1) },
            { H_TEST(bg_rejects_bad_calls, 1) },
            { 0 },
        },
};
