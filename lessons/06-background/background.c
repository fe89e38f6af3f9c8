/* background.c: a periodic background worker, with a thread, a condition variable and an
 * absolute schedule.
 *
 * Your task: write bg_start, bg_stop, bg_stats and bg_destroy as background.h describes. The
 * worker's thread sleeps on a condition variable timed on CLOCK_MONOTONIC until the next slot
 * (start + k * period) or until bg_stop wakes it; after each tick it counts what happened and
 * picks the next slot that is still ahead. Grade it with `make check L=06`; stuck?
 * `make hint L=06`.
 */
#include "background.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>

/* TODO: what the caller and the worker's thread share: fn and arg, the schedule's start and
 * period, the thread, a mutex, a condition variable, a "stop" flag and the counts. */
struct bg_worker {
    int todo;
};

int bg_start(struct bg_worker **out, bg_tick_fn fn, void *arg, int period_ms)
{
    /* TODO: check the arguments, allocate the worker, note the start time, start the thread. */
    (void)out;
    (void)fn;
    (void)arg;
    (void)period_ms;
    return -ENOSYS;
}

int bg_stop(struct bg_worker *w)
{
    /* TODO: set the stop flag under the lock, wake the worker, join its thread. */
    (void)w;
    return -ENOSYS;
}

int bg_stats(struct bg_worker *w, struct bg_stats *out)
{
    /* TODO: copy the counts, under the lock. */
    (void)w;
    (void)out;
    return -ENOSYS;
}

void bg_destroy(struct bg_worker *w)
{
    /* TODO: stop the worker if it still runs, then free it. */
    (void)w;
}
