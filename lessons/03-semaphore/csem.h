/* csem.h: a counting semaphore, and two ways to bound concurrency with it.
 *
 * Python:                                        C (this lesson):
 *     sem = asyncio.Semaphore(10)                    csem_init(&sem, 10);
 *     async with sem:   # acquire ... release        csem_wait(&sem); ... csem_post(&sem);
 *     await asyncio.wait_for(sem.acquire(), 0.5)     csem_timedwait(&sem, &deadline);
 *
 *     async def limited(coro):                       gather_limited(tasks, n, 10, results);
 *         async with sem:
 *             return await coro
 *     await asyncio.gather(*(limited(c) for c in coros))
 *
 *     (the same, each coroutine an aiohttp GET)      fetch_limited(urls, n, 10, out);
 *
 * Three parts, in this order, each in a file of its own: csem.c (the semaphore), then
 * gather_limited.c (threads, bounded by your semaphore), then fetch_limited.c (libcurl's multi
 * interface, bounded by a window of transfers). Every function returns 0 or a negative errno.
 *
 * This file is read-only: the tests are written against it.
 */
#ifndef CSEM_H
#define CSEM_H

#include <curl/curl.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include "fetch.h"
#include "task.h"

/* ---- 1. the semaphore (csem.c) ---- */

#define CSEM_VALUE_MAX INT_MAX /* the most permits a semaphore holds, as SEM_VALUE_MAX */

/* A counting semaphore: count permits; csem_wait takes one, waiting while there are none;
 * csem_post gives one back. The caller allocates it (embeds it, or puts it on the stack), and
 * csem_init / csem_destroy set it up and tear it down.
 *
 * Lock order: lock alone; nothing else is ever taken while holding it. */
struct csem {
    pthread_mutex_t lock;   /* guards count */
    pthread_cond_t nonzero; /* signalled when a permit is given back; waits on CLOCK_MONOTONIC */
    unsigned int count;     /* permits free now, 0 to CSEM_VALUE_MAX; guarded by lock */
};

/* Sets up s with value permits. The condition variable must measure deadlines on
 * CLOCK_MONOTONIC (pthread_condattr_setclock), the clock csem_timedwait's deadlines are on.
 * Returns 0; -EINVAL if s is NULL or value > CSEM_VALUE_MAX; or the error of a failed
 * pthread_*_init, negated (then nothing is left to destroy). Not thread-safe: call it before
 * any other thread can see s. */
int csem_init(struct csem *s, unsigned int value);

/* Tears s down. No thread may be waiting on s, or use it again until csem_init. Returns 0, the
 * error of a failed pthread_*_destroy, negated, or -EINVAL if s is NULL. */
int csem_destroy(struct csem *s);

/* Takes one permit, waiting (asleep: no CPU) for as long as it takes until one is free; it is
 * csem_timedwait with no deadline. Any thread. Returns 0, or -EINVAL if s is NULL. */
int csem_wait(struct csem *s);

/* Takes one permit, waiting until one is free or until deadline, whichever comes first.
 * deadline is an absolute time on CLOCK_MONOTONIC (clock_gettime(CLOCK_MONOTONIC, ...) plus
 * the timeout, computed once by the caller), not a duration; NULL means no deadline. A permit
 * that is free at once is taken even if the deadline has passed; otherwise a deadline already
 * in the past returns -ETIMEDOUT at once. Waking up does not mean a permit is free (another
 * thread may have taken it; POSIX allows wake-ups for no reason at all): check again.
 * Any thread. Returns 0 with the permit taken, -ETIMEDOUT without it, or -EINVAL (s NULL, or
 * deadline->tv_nsec outside 0..999,999,999 while it had to wait). */
int csem_timedwait(struct csem *s, const struct timespec *deadline);

/* Gives one permit back and wakes one waiter, if any is waiting. Never blocks for long (only
 * for the lock). Any thread, including one that never took a permit. Returns 0; -EOVERFLOW if
 * s already holds CSEM_VALUE_MAX permits (nothing changes); -EINVAL if s is NULL. */
int csem_post(struct csem *s);

/* ---- 2. a bounded gather on threads (gather_limited.c) ---- */

/* A task (task_fn, struct task) and what it gives back (struct task_result), as in lesson 01:
 * see task.h. */

/* Runs every task exactly once, with at most limit of them running at any moment, and stores
 * each outcome in results[i] (input order, whatever order they finish in). As soon as one task
 * ends, the next waiting one starts: limit tasks keep running while any are left. A limit of n
 * or more runs every task at once, whatever its size (SIZE_MAX too, though no semaphore holds
 * that many permits: it never needs more than n). A task that
 * fails does not stop the others, and its permit comes back like any other's. Blocks the
 * caller until every task has run; when it returns, every thread it started has been joined.
 * Returns 0 once every task has run (whatever their statuses); -EINVAL if limit is 0, or if
 * tasks or results is NULL while n > 0 (n == 0 with a valid limit does nothing); -ENOMEM; or,
 * as lesson 01's run_gather, the error of a thread that could not be created (the tasks that
 * never started get it as their status, and those already started are still waited for). */
int gather_limited(const struct task *tasks, size_t n, size_t limit, struct task_result *results);

/* ---- 3. a bounded set of HTTP transfers (fetch_limited.c) ---- */

/* What one URL gave: a struct fetch_result (lessons/common/fetch.h), as in lesson 02, except
 * that fetch_limited keeps no bodies: body stays NULL and size counts the bytes that came.
 * error is 0 or a negative errno, with libcurl's code and words in curl_code and curl_text
 * (fetch_set_error records them). */

/* GETs every URL once with libcurl's multi interface on the calling thread (no other thread),
 * with at most limit transfers in flight at any moment: it keeps a window of its own, adding
 * the next URL's transfer as soon as one finishes, so limit stay in flight while any are left.
 * Stores each outcome in out[i] (input order). A URL that fails (refused, timed out, bad) is
 * reported in its out[i] and frees its place in the window like any other. Each transfer has
 * CURLOPT_NOSIGNAL set. The program must have called curl_global_init before (the tests do).
 * Blocks, asleep in curl_multi_poll while transfers wait; when it returns, every handle it
 * made is cleaned up.
 * Returns 0 once every URL has an outcome (whatever it was); -EINVAL if limit is 0, or if urls
 * or out is NULL while n > 0; -ENOMEM; or -EIO if the multi interface itself failed. */
int fetch_limited(const char *const *urls, size_t n, size_t limit, struct fetch_result *out);

#endif
