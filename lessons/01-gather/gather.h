/* gather.h: run tasks one after another, or all at once on threads of their own.
 *
 * Python:                                   C (this lesson):
 *     for coro in coros:                        run_sequential(tasks, n, results);
 *         results.append(await coro)
 *     results = await asyncio.gather(*coros)    run_gather(tasks, n, results);
 *
 * A task is a function and its argument. It returns 0 or a negative errno, and on success
 * stores its answer through `value`. Both functions run every task exactly once and store what
 * each returned in results[i], in input order, whatever order the tasks finish in. A task that
 * fails does not stop the others: its status is recorded and the rest go on (like
 * asyncio.gather(..., return_exceptions=True)).
 *
 * This file is read-only: the tests are written against it.
 */
#ifndef GATHER_H
#define GATHER_H

#include <stddef.h>

#include "task.h"

/* A task (task_fn, struct task) and what it gives back (struct task_result): see task.h. */

/* Runs tasks[0], then tasks[1], ... on the calling thread, each after the previous one has
 * returned, and stores each outcome in results[i].
 * Returns 0 once every task has run (whatever their statuses), or -EINVAL if tasks or results
 * is NULL while n > 0. n == 0 is fine and does nothing. Takes the sum of the tasks' times. */
int run_sequential(const struct task *tasks, size_t n, struct task_result *results);

/* Runs every task at the same time, each on a thread of its own, waits for all of them, and
 * stores each outcome in results[i] (input order). When it returns, every thread it started has
 * ended and been joined. Takes about as long as the longest task.
 * Returns 0 once every task has run, or -EINVAL as run_sequential. If a thread cannot be
 * created, the tasks already started are still waited for, the task that could not start and
 * every later one get that error as their status (they never run), and the call returns it
 * (for example -EAGAIN). -ENOMEM if memory for its own bookkeeping runs out (before any task
 * has started: none runs, and results is untouched). */
int run_gather(const struct task *tasks, size_t n, struct task_result *results);

#endif
