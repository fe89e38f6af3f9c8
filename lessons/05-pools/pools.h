/* pools.h: a fixed set of workers that run many small tasks: threads, or processes.
 *
 * Python:                                          C (this lesson):
 *     with ThreadPoolExecutor(4) as ex:                tpool_create(&tp, 4);
 *         out = list(ex.map(fn, items))                tpool_map(tp, fn, in, out, n);
 *         ex.submit(job, arg); wait(futures)           tpool_submit(tp, job, arg); tpool_wait(tp);
 *                                                      tpool_destroy(tp);
 *     with ProcessPoolExecutor(4) as ex:               ppool_create(&pp, 4);
 *         out = list(ex.map(fn, items))                ppool_map(pp, fn, in, out, status, n);
 *                                                      ppool_destroy(pp);
 *
 * A pool starts its workers once and hands each of them many tasks, so a task costs a queue
 * operation, not a thread or process creation. Threads share memory and are cheap to hand work
 * to; processes run on every core without sharing anything, and one can crash without taking
 * the others down.
 *
 * Errors: functions that return int return 0 or a negative errno. On an error nothing is
 * half-made: a create that fails has started no worker (or has stopped and reaped the ones it
 * started) and leaves *out untouched.
 *
 * This file is read-only: the tests are written against it.
 */
#ifndef POOLS_H
#define POOLS_H

#include <stddef.h>

/* ======================== the thread pool ========================
 *
 * Worker threads wait on a work queue (a mutex and condition variables). A task is a function
 * and its argument; the pool runs each submitted task exactly once, on one of its own workers,
 * never on the thread that submitted it. The queue has no fixed bound: it grows as needed. */
struct tpool;

/* What a submitted task runs: fn(arg) on a worker thread. arg belongs to the caller, who must
 * keep it valid until the task has run (tpool_wait tells when). */
typedef void (*tpool_task_fn)(void *arg);

/* Starts a pool of `workers` threads and stores it in *out. Returns only once every worker
 * runs (has started and is waiting for work), so the pool has exactly `workers` threads from
 * then until tpool_destroy: never more, whatever the number of tasks.
 * Returns 0, -EINVAL if out is NULL or workers < 1, -ENOMEM, or the error of pthread_create
 * (-EAGAIN...). Any thread may call it. */
int tpool_create(struct tpool **out, int workers);

/* Queues fn(arg) to run on a worker and returns without waiting for it; tasks start in the
 * order they were submitted (with several workers, they may finish in any order).
 * Returns 0, -EINVAL if p or fn is NULL, or -ENOMEM (then the task will not run).
 * Any thread may call it, several at once, and so may a running task (to queue more work). */
int tpool_submit(struct tpool *p, tpool_task_fn fn, void *arg);

/* Blocks until every task submitted so far has finished, and every task those tasks submitted
 * in turn: the queue is empty and no worker is running a task. Returns at once when the pool is
 * idle. Waits without using CPU. Returns 0, or -EINVAL if p is NULL.
 * Any thread but a worker may call it (a task that waits for all tasks would wait for itself). */
int tpool_wait(struct tpool *p);

/* Stops the pool and frees it. Tasks already queued are not dropped: destroy lets the workers
 * finish every one of them (and whatever they submit), then tells the workers to stop, wakes
 * them all, joins every worker and frees the queue. When it returns, the pool's threads have
 * all ended and the pool is gone. Blocks until then.
 * Call it once, from a thread that is not a worker, after every other call on p has returned.
 * p NULL does nothing. */
void tpool_destroy(struct tpool *p);

/* out[i] = fn(in[i]) for i in 0..n-1, run on the pool's workers, several at once; blocks until
 * every one is done. Results go to their own index: out[] is in input order, whatever order the
 * items finish in. fn runs once per item, on worker threads only. in and out belong to the
 * caller; they must not overlap. n == 0 is fine and does nothing.
 * Returns 0, -EINVAL if p or fn is NULL, or in or out is NULL while n > 0, or -ENOMEM.
 * Any thread but a worker may call it, several threads at once; it may run alongside
 * tpool_submit calls (tpool_wait then waits for the map's items too). */
int tpool_map(struct tpool *p, long (*fn)(long), const long *in, long *out, size_t n);

/* ======================== the process pool ========================
 *
 * Worker processes are forked copies of the caller. The parent sends each item (its index and
 * value) to a worker through a pipe, and the worker sends fn's result back through another.
 * Function pointers may cross the pipe as they are: a forked child has the parent's code at the
 * same addresses. Everything else a worker sees is its own copy of the parent's memory as it
 * was when that worker was forked: what fn writes to memory stays in the worker (shared memory,
 * from mmap with MAP_SHARED, excepted).
 *
 * Several items are in flight per worker at a time (pipelined, not stop-and-wait), so a fast
 * fn costs about a pipe write and a read per item, not a round trip.
 *
 * A worker that dies (fn crashed, called abort or exit, was killed) fails the one item it was
 * running, with status -ECHILD. The pool reaps it and forks a replacement, and the items that
 * worker had been sent but had not started go to the other workers: the map goes on.
 *
 * File descriptors: every descriptor the pool opens is close-on-exec (O_CLOEXEC), so a program
 * that fn or the caller runs with exec inherits none of them. A worker process holds exactly two
 * of the pool's descriptors: its end of the pipe it reads items from and its end of the pipe it
 * writes results to; it closes the other workers' pipes, and the parent's ends of its own.
 *
 * Signals: writing to a pipe whose worker has died raises SIGPIPE, which kills a process by
 * default. The pool must never let that happen to the caller, and must not change the process's
 * signal dispositions to avoid it (block SIGPIPE on the calling thread while the map writes,
 * and discard any that is left pending). */
struct ppool;

/* Forks `workers` worker processes and stores the pool in *out. Returns only once every worker
 * runs (is forked and ready to read items), so the caller has exactly `workers` more child
 * processes from then until ppool_destroy.
 * Returns 0, -EINVAL if out is NULL or workers < 1, -ENOMEM, -EMFILE, or the error of fork
 * (-EAGAIN...). On failure, every worker it forked has been stopped and reaped.
 * Fork copies only the calling thread: call it from a moment when no other thread of the caller
 * holds a lock that fn would need (best: before the program starts threads of its own). */
int ppool_create(struct ppool **out, int workers);

/* out[i] = fn(in[i]) for i in 0..n-1, each item run in one of the worker processes; blocks until
 * every item has a result or has failed. status[i] is 0 when out[i] holds fn's result, or
 * -ECHILD when the worker running item i died (out[i] is then 0). Results and statuses go to
 * their own index: input order, whatever order the items finish in. Each item runs at most once
 * (a failed item is not retried: it may crash again). n == 0 is fine and does nothing.
 * Returns 0 when every item succeeded; -ECHILD when some failed (status says which; every other
 * result is valid, and the pool has replaced the dead workers and can map again); -EINVAL if p
 * or fn is NULL or in, out or status is NULL while n > 0 (nothing runs); or, when dead workers
 * could not be replaced (fork failed) and none is left, that error (-EAGAIN...): the items no
 * worker could run get it as their status. A slot left empty is forked again by the next map.
 * Call it from one thread at a time. in, out and status belong to the caller. */
int ppool_map(struct ppool *p, long (*fn)(long), const long *in, long *out, int *status, size_t n);

/* Stops the pool and frees it: closes the pipes to the workers (a worker reads end-of-file and
 * exits), waits for every worker to exit and reaps it (no zombies), closes every descriptor the
 * pool opened. Blocks until then. No work is queued between maps, so none is lost.
 * Call it once, after every other call on p has returned. p NULL does nothing. */
void ppool_destroy(struct ppool *p);

#endif
