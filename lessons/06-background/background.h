/* background.h: a background worker that calls a function once per period, until it is stopped.
 *
 * Python:                                           C (this lesson):
 *     async def ticker():                               int tick(void *arg) { ...; return 0; }
 *         while True:
 *             await tick()
 *             await asyncio.sleep(0.01)  # drifts!
 *     task = asyncio.create_task(ticker())              bg_start(&w, tick, arg, 10);
 *     ...                                               ...
 *     task.cancel()                                     bg_stop(w);
 *     try: await task                                   bg_stats(w, &st);
 *     except asyncio.CancelledError: pass               bg_destroy(w);
 *
 * The worker is a thread of its own that sleeps on a condition variable until the next tick is
 * due, or until it is told to stop, whichever comes first. The schedule is absolute: tick k
 * (k = 1, 2, 3...) is due at start + k * period on CLOCK_MONOTONIC, where start is the moment
 * bg_start was called. So the time a tick takes never adds up: after 50 ticks of 10 ms that each
 * work 3 ms, the 50th is due at 500 ms, where a loop that sleeps a period after each tick (what
 * `await asyncio.sleep(period)` does) would be at 650 ms.
 *
 *     bg_start ─► thread: ┌─► wait (condvar) until the next slot, or stop ─► stop? ─► end
 *                         └── tick(arg); count it; pick the next slot ◄─── due ──┘
 *     bg_stop  ─► set stop, signal, join ─► no tick will ever start again
 *
 * A tick that takes longer than a period does not make the next one start at once, or two run
 * at once: the worker skips the slots whose time passed while the tick ran, counts them as
 * missed, and the next tick runs at the next slot that is still ahead.
 *
 * Errors: functions that return int return 0 or a negative errno. A worker is made with
 * bg_start and freed with bg_destroy; in between it may be stopped once.
 *
 * This file is read-only: the tests are written against it.
 */
#ifndef BACKGROUND_H
#define BACKGROUND_H

/* A background worker: opaque; made by bg_start, freed by bg_destroy. */
struct bg_worker;

/* What the worker calls once per period: fn(arg), always on the worker's own thread, never two
 * at once. Returns 0, or a negative errno for a tick that failed: the failure is counted, and the
 * worker goes on with the next tick (one bad tick does not end a background task). */
typedef int (*bg_tick_fn)(void *arg);

/* What a worker has done so far. */
struct bg_stats {
    long ticks;  /* ticks that have run to their end, failed ones included */
    long failed; /* of those, ticks whose fn returned non-zero */
    long missed; /* slots skipped because the tick before them was still running at their time */
};

/* Starts a worker that calls fn(arg) at start + period_ms, start + 2 * period_ms, ... on a
 * thread of its own, where start is the time of this call (CLOCK_MONOTONIC). Does not wait for
 * the first tick (it is one period away). arg belongs to the caller and must stay valid until
 * bg_stop (or bg_destroy) has returned.
 * Returns 0 and stores the worker in *out; or -EINVAL if out or fn is NULL or period_ms < 1,
 * -ENOMEM, or the error of pthread_create (-EAGAIN...): then no thread was started, nothing is
 * left to free, and *out is untouched. Any thread may call it; workers are independent of one
 * another (any number may run at once). */
int bg_start(struct bg_worker **out, bg_tick_fn fn, void *arg, int period_ms);

/* Stops the worker: tells its thread to stop (waking it at once if it is waiting, however long
 * its period), waits for a tick that is running to end, and joins the thread. No tick starts
 * once bg_stop has been called, and the worker's thread has ended when it returns. So it returns
 * within about the time the current tick still needs, or at once when no tick runs.
 * Returns 0; -EINVAL if w is NULL; -EALREADY if w was stopped before (nothing happens then);
 * -EDEADLK if called from the worker's own thread (from inside a tick: it cannot join itself).
 * Call it from one thread at a time (usually the one that started the worker). */
int bg_stop(struct bg_worker *w);

/* Stores in *out what the worker has done so far: a consistent snapshot (failed <= ticks).
 * Works while the worker runs and after it has stopped, until bg_destroy. Any thread may call
 * it at any time, several at once; it never waits for a tick to end (it takes the worker's lock
 * only for as long as copying three numbers takes). Returns 0, or -EINVAL if w or out is NULL. */
int bg_stats(struct bg_worker *w, struct bg_stats *out);

/* Frees the worker, stopping it first (as bg_stop) if it still runs. w NULL does nothing. After
 * it, w is gone: call it once, after every other call on w has returned. */
void bg_destroy(struct bg_worker *w);

#endif
