/* errors.h: run many tasks when some of them fail: collect every outcome, or fail fast.
 *
 * Python:                                            C (this lesson):
 *     rs = await asyncio.gather(*coros,                  rc = gather_all_status(tasks, n, results);
 *                               return_exceptions=True)  (rc: how many failed; results[i])
 *
 *     try:                                               rc = taskgroup_run(tasks, n, results,
 *         async with asyncio.TaskGroup() as tg:                             &first);
 *             for c in coros: tg.create_task(c)          if (rc != 0)
 *     except* OSError as eg:                                 ... tasks[first] failed first, with
 *         ...                                                    rc; results[] says what became
 *                                                                of every other task
 *
 * gather_all_status runs every task to its end, whatever the others do, and reports each
 * outcome. taskgroup_run fails fast: the first task to fail (first in time, not in index) makes
 * the group tell every other task to stop, through a cancel token they all share; the group
 * still waits for every task to end before it returns, so nothing it started outlives the call:
 *
 *     taskgroup_run ─► a thread per task ─► a task fails ─► set the token ─► join every task ─►
 * return (the first to fail)    the others see it, stop, return -ECANCELED
 *
 * C cannot stop a thread from outside safely (pthread_cancel ends it wherever it is, with its
 * locks held and its memory half-written), so cancellation is cooperative, as in asyncio: a task
 * checks cancel_requested(tok) every few milliseconds and stops when it is set. A task that
 * never checks cannot be stopped, and the group waits for it to end by itself.
 *
 * A task here is lesson 01's (task.h) with a cancel token added, as lesson 04's timed tasks have.
 * This file is read-only: the tests are written against it.
 */
#ifndef ERRORS_H
#define ERRORS_H

#include <stddef.h>

#include "task.h"

/* The cancel token, cancel_requested and struct task_result are the kit's (task.h): the group
 * owns one token, sets it at most once (when the first task fails), and every task of the group
 * gets a pointer to that same token. cancel_requested(tok), declared in task.h, is yours to
 * write again here (one atomic load, as in lesson 04). */

/* A task: returns 0 and stores its answer in *value, or returns a negative errno. A task that
 * stops because tok was set returns -ECANCELED. It should check cancel_requested(tok) at least
 * every few milliseconds while it works or waits. Tasks run on threads of their own, several at
 * once. */
typedef int (*cancellable_fn)(const struct cancel_token *tok, void *arg, long *value);

struct cancellable_task {
    cancellable_fn fn;
    void *arg; /* passed to fn as is; owned by the caller */
};

/* Runs every task at once, each on a thread of its own, lets every one run to its end whatever
 * the others return (the token they get is never set), waits for all of them, and stores each
 * outcome in results[i], in input order. When it returns, every thread it started has ended and
 * been joined. Takes about as long as the longest task.
 * Returns how many tasks failed: 0 when every task returned 0, else the number of non-zero
 * statuses in results[]. If a thread cannot be created, the tasks already started still run to
 * their end, and that task and every later one get the error of pthread_create as their status
 * (-EAGAIN...: they never run, and count as failed).
 * Returns -EINVAL, with no task run, if tasks or results is NULL while n > 0 or any task's fn is
 * NULL; -ENOMEM, with no task run, if memory runs out. n == 0 is fine and returns 0. Any thread
 * may call it. */
int gather_all_status(const struct cancellable_task *tasks, size_t n, struct task_result *results);

/* Runs every task at once, each on a thread of its own, all with one shared cancel token. The
 * first task to return non-zero, first in time (whichever the group sees end first, whatever its
 * index), makes the group set the token at once; the group then waits for every task to end,
 * those that ignore the token included, and stores each outcome in results[i], in input order:
 * the first failure; -ECANCELED from the tasks that stopped because of the token; 0 and a value
 * from tasks that ended before the token took effect (or ignored it); and every other error that
 * happened meanwhile, kept as it was (several tasks may fail at about the same time: an
 * ExceptionGroup holds all of them). When it returns, every thread it started has been joined.
 * Returns 0 when every task returned 0, and sets *first_failed to n. Otherwise returns the
 * status of the first task to fail and sets *first_failed to its index. If a thread cannot be
 * created, that counts as a failure of the task that could not start (the group cancels the
 * others, if nothing failed before); that task and every later one get the error of
 * pthread_create as their status (-EAGAIN...) and never run.
 * Returns -EINVAL, with no task run, if tasks or results is NULL while n > 0, any task's fn is
 * NULL, or first_failed is NULL; -ENOMEM, with no task run, if memory runs out. n == 0 is fine:
 * returns 0 and sets *first_failed to 0.
 * Any thread may call it; several groups may run at once, each with its own token. */
int taskgroup_run(const struct cancellable_task *tasks, size_t n, struct task_result *results,
                  size_t *first_failed);

#endif
