/* test_background_counts.c: lesson 06's tests of the counts (failing ticks, read from another
 * thread while the worker runs), of two workers at once, and of misuse (the suite table is in
 * test_background.c).
 */
#include <errno.h>
#include <limits.h>

#include "call.h"
#include "check.h"
#include "clock.h"
#include "proc.h"
#include "test_background.h"

/* ---- failing ticks, and counts read while the worker runs ---- */

#define FAIL_EVERY   3
#define FAIL_TICKS   30
#define FAIL_PERIOD  2
#define LONG_TICK_MS 300 /* a tick during which bg_stats must still answer */

/* A thread that reads bg_stats again and again while the worker ticks, until done (at least
 * once). */
struct reader {
    struct h_call call;
    struct bg_worker *w;
    struct ticker *t;
    atomic_bool done;          /* set by the test: stop reading */
    int reads, bad_rc;         /* written by the reader, read once it has returned */
    struct bg_stats prev, bad; /* the last snapshot, and the first inconsistent one */
    long bad_calls;
};

static void reader_fn(struct h_call *c)
{
    struct reader *r = (struct reader *)c;
    struct bg_stats st;

    do {
        int rc = bg_stats(r->w, &st);
        long calls = atomic_load(&r->t->calls); /* read after: ticks counted <= ticks started */

        r->reads++;
        if (rc != 0 && r->bad_rc == 0)
            r->bad_rc = rc;
        if (rc == 0 && r->bad_calls == 0 &&
            (st.failed > st.ticks || st.ticks > calls || st.ticks < r->prev.ticks ||
             st.failed < r->prev.failed || st.missed < r->prev.missed || st.missed < 0)) {
            r->bad = st;
            r->bad_calls = calls;
        }
        if (rc == 0)
            r->prev = st;
        h_sleep_ms(1);
    } while (!atomic_load(&r->done));
}

void bg_counts_failures(void)
{
    static struct reader r; /* static: see call.h */
    struct ticker t;
    struct bg_worker *w = NULL;
    struct bg_stats st = { 0 };
    int calls;

    ticker_init(&t, (struct ticker){ .work_ms = 0, .fail_every = FAIL_EVERY });
    H_ASSERT_RC_FATAL(bg_start(&w, tick_fn, &t, FAIL_PERIOD), 0);
    r = (struct reader){ .w = w, .t = &t };
    H_ASSERT_RC_FATAL(h_call_start(&r.call, reader_fn), 0);
    calls = wait_ticks(&t, FAIL_TICKS, GIVE_UP_MS);
    atomic_store(&r.done, true);
    H_ASSERT_FATAL(h_call_wait(&r.call, 2000), "bg_stats never returned: it must not wait for "
                                               "a tick, only for the lock, briefly");
    h_call_join(&r.call);
    H_ASSERT_RC(bg_stop(w), 0);
    H_ASSERT_RC(bg_stats(w, &st), 0);
    bg_destroy(w);
    H_ASSERT(calls >= FAIL_TICKS,
             "the worker stopped after %d ticks (every %dth fails with -EIO): a failing tick is "
             "counted, and the worker goes on",
             calls, FAIL_EVERY);
    calls = atomic_load(&t.calls);
    H_ASSERT_EQ(st.ticks, calls);
    H_ASSERT_EQ(st.failed, calls / FAIL_EVERY);
    H_ASSERT_RC(r.bad_rc, 0);
    H_ASSERT(r.reads > 0, "the reader never read");
    H_ASSERT(r.bad_calls == 0,
             "bg_stats, read while the worker ran, gave ticks %ld, failed %ld, missed %ld with "
             "%ld ticks started (and before that ticks %ld, failed %ld): counts must never go "
             "down or disagree. Update and copy them under the worker's lock",
             r.bad.ticks, r.bad.failed, r.bad.missed, r.bad_calls, r.prev.ticks, r.prev.failed);
    ticker_destroy(&t);

    /* While a tick runs (300 ms here), bg_stats still answers at once. */
    ticker_init(&t, (struct ticker){ .work_ms = LONG_TICK_MS });
    H_ASSERT_RC_FATAL(bg_start(&w, tick_fn, &t, 5), 0);
    wait_ticks(&t, 1, GIVE_UP_MS);
    r = (struct reader){ .w = w, .t = &t };
    atomic_store(&r.done, true); /* one read only */
    H_ASSERT_RC_FATAL(h_call_start(&r.call, reader_fn), 0);
    H_ASSERT(h_call_wait(&r.call, LONG_TICK_MS / 3),
             "bg_stats waited for a running tick (of %d ms) to end: hold the worker's lock only "
             "to update or copy the counts, and run the tick without it",
             LONG_TICK_MS);
    h_call_wait(&r.call, GIVE_UP_MS);
    h_call_join(&r.call);
    H_ASSERT_RC(bg_stop(w), 0);
    bg_destroy(w);
    ticker_destroy(&t);
}

/* ---- two workers ---- */

void bg_workers_are_independent(void)
{
    struct ticker a, b;
    struct bg_worker *wa = NULL, *wb = NULL;
    struct bg_stats sa = { 0 }, sb = { 0 };
    int threads = h_count_threads(), a_calls, b_calls;
    double took;

    ticker_init(&a, (struct ticker){ .work_ms = 1 });
    ticker_init(&b, (struct ticker){ .work_ms = 1, .fail_every = 1 });
    H_ASSERT_RC_FATAL(bg_start(&wa, tick_fn, &a, 10), 0);
    H_ASSERT_RC_FATAL(bg_start(&wb, tick_fn, &b, 15), 0);
    H_ASSERT_FATAL(wa != wb, "two bg_start calls gave the same worker: each needs its own");
    H_ASSERT(wait_ticks(&a, 5, GIVE_UP_MS) >= 5 && wait_ticks(&b, 5, GIVE_UP_MS) >= 5,
             "with two workers running, one of them did not tick: %d and %d ticks (each worker "
             "has its own function, argument, thread and schedule)",
             atomic_load(&a.calls), atomic_load(&b.calls));
    H_ASSERT_RC(stop_guarded(wa, GIVE_UP_MS, &took), 0);
    a_calls = atomic_load(&a.calls);
    b_calls = atomic_load(&b.calls);
    H_ASSERT(wait_ticks(&b, b_calls + 5, GIVE_UP_MS) >= b_calls + 5,
             "stopping one worker stopped the other too: it made %d ticks after the first was "
             "stopped, want 5",
             atomic_load(&b.calls) - b_calls);
    H_ASSERT_EQ(atomic_load(&a.calls), a_calls);
    H_ASSERT_RC(bg_stats(wa, &sa), 0);
    H_ASSERT_RC(bg_stop(wb), 0);
    H_ASSERT_RC(bg_stats(wb, &sb), 0);
    H_ASSERT(atomic_load(&a.tid) != atomic_load(&b.tid), "both workers ran on one thread");
    H_ASSERT_EQ(sa.ticks, a_calls);
    H_ASSERT_EQ(sa.failed, 0);
    H_ASSERT_EQ(sb.ticks, atomic_load(&b.calls));
    H_ASSERT_EQ(sb.failed, sb.ticks);
    bg_destroy(wa);
    bg_destroy(wb);
    H_ASSERT_EQ(h_settled_threads(threads, 1000), threads);
    ticker_destroy(&a);
    ticker_destroy(&b);
}

/* ---- misuse ---- */

/* A tick that tries to stop its own worker, once: bg_stop cannot join the thread it runs on. */
struct self_stopper {
    _Atomic(struct bg_worker *) w; /* set by the test once bg_start has returned */
    atomic_int ticks, tried, rc;
};

static int self_stop_tick(void *arg)
{
    struct self_stopper *s = arg;
    struct bg_worker *w = atomic_load(&s->w);

    atomic_fetch_add(&s->ticks, 1);
    if (w && atomic_fetch_add(&s->tried, 1) == 0)
        atomic_store(&s->rc, bg_stop(w));
    return 0;
}

void bg_rejects_bad_calls(void)
{
    static char not_a_worker;
    struct bg_worker *const sentinel = (struct bg_worker *)&not_a_worker;
    struct bg_worker *w = sentinel;
    struct bg_stats st = { 0 };
    struct ticker t;
    static struct self_stopper self; /* static: the worker may outlive a failed test */
    int threads = h_count_threads();
    int64_t give_up;

    ticker_init(&t, (struct ticker){ .work_ms = 0 });
    H_ASSERT_RC_FATAL(bg_start(NULL, tick_fn, &t, 10), -EINVAL);
    H_ASSERT_RC(bg_start(&w, NULL, &t, 10), -EINVAL);
    H_ASSERT_RC(bg_start(&w, tick_fn, &t, 0), -EINVAL);
    H_ASSERT_RC(bg_start(&w, tick_fn, &t, -10), -EINVAL);
    H_ASSERT_RC(bg_start(&w, tick_fn, &t, INT_MIN), -EINVAL);
    H_ASSERT(w == sentinel, "a bg_start that failed wrote to *out");
    H_ASSERT_EQ(h_count_threads(), threads);
    H_ASSERT_RC(bg_stop(NULL), -EINVAL);
    H_ASSERT_RC(bg_stats(NULL, &st), -EINVAL);

    /* Stopping twice is an error, never a crash; the counts stay readable until bg_destroy. */
    H_ASSERT_RC_FATAL(bg_start(&w, tick_fn, &t, 1000), 0);
    H_ASSERT_RC(bg_stats(w, NULL), -EINVAL);
    H_ASSERT_RC(bg_stop(w), 0);
    H_ASSERT_RC(bg_stop(w), -EALREADY);
    H_ASSERT_RC(bg_stats(w, &st), 0);
    H_ASSERT_EQ(st.ticks, 0);
    bg_destroy(w);
    bg_destroy(NULL);

    /* From inside a tick, bg_stop of its own worker is refused, and the worker goes on. */
    H_ASSERT_RC_FATAL(bg_start(&w, self_stop_tick, &self, 10), 0);
    atomic_store(&self.w, w);
    give_up = h_deadline_ms(GIVE_UP_MS);
    while ((atomic_load(&self.tried) == 0 || atomic_load(&self.ticks) < 3) && h_now_ns() < give_up)
        h_sleep_ms(1);
    H_ASSERT(atomic_load(&self.tried) > 0 && atomic_load(&self.ticks) >= 3,
             "after a tick called bg_stop on its own worker, the worker made %d ticks in %.1f s: "
             "it must go on ticking (bg_stop cannot join the thread it runs on)",
             atomic_load(&self.ticks), GIVE_UP_MS / 1000.0);
    H_ASSERT_RC(bg_stop(w), 0);
    H_ASSERT(atomic_load(&self.rc) == -EDEADLK,
             "bg_stop called from a tick of its own worker returned %s, want -EDEADLK: a thread "
             "cannot join itself (compare pthread_self() with the worker's thread first)",
             h_errname(atomic_load(&self.rc)));
    bg_destroy(w);

    /* bg_destroy of a running worker stops it first. */
    H_ASSERT_RC_FATAL(bg_start(&w, tick_fn, &t, 1000), 0);
    bg_destroy(w);
    H_ASSERT(h_settled_threads(threads, 1000) == threads,
             "bg_destroy of a running worker left its thread behind: stop it first");
    H_ASSERT_EQ(atomic_load(&t.calls), 0);
    ticker_destroy(&t);
}
