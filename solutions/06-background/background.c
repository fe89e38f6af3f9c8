/* background.c: a periodic background worker on an absolute schedule (reference).
 *
 * The worker's thread sleeps on a condition variable with a deadline: the time of the next slot,
 * start + k * period on CLOCK_MONOTONIC. Either the deadline passes (pthread_cond_timedwait says
 * ETIMEDOUT: the tick is due) or bg_stop signals the condition variable, and the thread ends.
 * Because the deadline is computed from the start and the slot number, never from "now", the
 * time a tick takes, and how late the thread woke, never push the later ticks back: each error
 * is paid once, not added up.
 *
 * After a tick, the next slot is the first whose time is still ahead. A tick that overran
 * skips the slots it ran through (counted as missed) instead of running them back to back: a
 * burst of catch-up ticks would hit whatever the tick talks to at the moment it is slowest.
 *
 * Cost: one thread per worker, asleep between ticks (no CPU used while idle), and two lock
 * round trips per tick. The alternative rejected is sleeping with nanosleep until each slot:
 * just as precise, but nothing can wake a nanosleep early, so bg_stop would wait up to a whole
 * period (10 s for a 10 s period), or the thread would have to wake every few milliseconds to
 * look at a stop flag, burning wake-ups all day. One timer thread for many workers (a heap of
 * deadlines, as an event loop keeps) would save threads, and is lesson 09's business.
 */
#include "background.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#define NS_PER_MS INT64_C(1000000)
#define NS_PER_S  INT64_C(1000000000)

/* A worker. fn, arg, start_ns, period_ns and thread are set before the thread starts and never
 * change. lock guards stopping and stats; the worker's thread holds it except while a tick runs.
 * wake is signalled by bg_stop (timed on CLOCK_MONOTONIC, like start_ns). */
struct bg_worker {
    bg_tick_fn fn;
    void *arg;
    int64_t start_ns;  /* when bg_start was called: slot k is due at start_ns + k * period_ns */
    int64_t period_ns; /* > 0 */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping; /* bg_stop has been called: no tick may start any more */
    struct bg_stats stats;
};

static int64_t now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * NS_PER_S + t.tv_nsec;
}

/* Slot k's due time as the absolute timespec pthread_cond_timedwait wants. */
static struct timespec slot_time(const struct bg_worker *w, int64_t k)
{
    int64_t ns = w->start_ns + k * w->period_ns;

    return (struct timespec){ .tv_sec = (time_t)(ns / NS_PER_S), .tv_nsec = (long)(ns % NS_PER_S) };
}

/* Sleeps until slot k is due or the worker is told to stop. Returns true if the tick is due,
 * false to stop. Called with w->lock held; returns with it held. */
static bool wait_for_slot(struct bg_worker *w, int64_t k)
{
    struct timespec due = slot_time(w, k);
    int rc = 0;

    /* A while, not an if: a wake-up for nothing returns 0 with stopping still false, and the
     * thread goes back to sleep until the same deadline. Only ETIMEDOUT means "due". */
    while (!w->stopping && rc == 0)
        rc = pthread_cond_timedwait(&w->wake, &w->lock, &due);
    return !w->stopping;
}

static void *worker_main(void *arg)
{
    struct bg_worker *w = arg;
    int64_t slot = 1, next;
    int status;

    pthread_mutex_lock(&w->lock);
    while (wait_for_slot(w, slot)) {
        pthread_mutex_unlock(&w->lock); /* the tick runs unlocked: bg_stats never waits for it */
        status = w->fn(w->arg);
        /* The first slot still ahead: slot j is due at j * period after the start. */
        next = (now_ns() - w->start_ns) / w->period_ns + 1;
        if (next <= slot)
            next = slot + 1;
        pthread_mutex_lock(&w->lock);
        w->stats.ticks++;
        if (status != 0)
            w->stats.failed++;
        w->stats.missed += next - slot - 1;
        slot = next;
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* Sets up w's lock and condition variable, the latter timed on CLOCK_MONOTONIC.
 * Returns 0 or a negative errno, with nothing left to destroy on failure. */
static int sync_init(struct bg_worker *w)
{
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);

    if (rc != 0)
        return -rc;
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(&w->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (rc != 0)
        return -rc;
    rc = pthread_mutex_init(&w->lock, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&w->wake);
        return -rc;
    }
    return 0;
}

int bg_start(struct bg_worker **out, bg_tick_fn fn, void *arg, int period_ms)
{
    struct bg_worker *w;
    int rc;

    if (!out || !fn || period_ms < 1)
        return -EINVAL;
    w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->fn = fn;
    w->arg = arg;
    w->period_ns = (int64_t)period_ms * NS_PER_MS;
    rc = sync_init(w);
    if (rc != 0)
        goto fail;
    w->start_ns = now_ns(); /* the schedule starts now, not when the thread gets to run */
    rc = -pthread_create(&w->thread, NULL, worker_main, w);
    if (rc != 0) {
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->wake);
        goto fail;
    }
    *out = w;
    return 0;
fail:
    free(w);
    return rc;
}

int bg_stop(struct bg_worker *w)
{
    if (!w)
        return -EINVAL;
    if (pthread_equal(pthread_self(), w->thread))
        return -EDEADLK;
    pthread_mutex_lock(&w->lock);
    if (w->stopping) {
        pthread_mutex_unlock(&w->lock);
        return -EALREADY;
    }
    /* Set the flag and signal with the lock held: the worker checks the flag under the lock
     * before every wait, so it either sees the flag or is already asleep and gets the signal. */
    w->stopping = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    return 0;
}

int bg_stats(struct bg_worker *w, struct bg_stats *out)
{
    if (!w || !out)
        return -EINVAL;
    pthread_mutex_lock(&w->lock);
    *out = w->stats;
    pthread_mutex_unlock(&w->lock);
    return 0;
}

void bg_destroy(struct bg_worker *w)
{
    if (!w)
        return;
    bg_stop(w); /* -EALREADY if it was stopped before: nothing to do then */
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    free(w);
}
