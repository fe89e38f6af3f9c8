/* timeout.h: run a task with a time limit, and tell it to stop when the limit passes.
 *
 * Python:                                        C (this lesson):
 *     try:                                           rc = wait_for(&task, 100, &result);
 *         v = await asyncio.wait_for(coro, 0.1)      if (rc == -ETIMEDOUT)
 *     except TimeoutError:                               ...
 *         ...                                        else
 *                                                        v = result.value;
 *     async with session.get(url,                    rc = fetch_with_timeout(url, 100, &page);
 *             timeout=ClientTimeout(total=0.1)) as r:
 *
 * C has no way to stop a thread safely from outside (pthread_cancel leaves its locks held and
 * its memory in any state), so cancellation is cooperative, as in asyncio: when the time is up,
 * wait_for sets the task's cancel token, and the task, which checks the token now and then,
 * stops and returns -ECANCELED. wait_for waits for that before it returns. So when wait_for
 * returns, the task is over, its thread joined, and nothing of the call is left behind:
 *
 *     call ──► start the task's thread ──► wait, at most until the deadline ─┬─► join ──► return
 *                                                  deadline passed first? ──┴─► cancel token
 *
 * The price of that guarantee: a task that never checks its token cannot be stopped, and
 * wait_for waits for it to end by itself. The deadline is kept to within how often the task
 * checks (a task that checks every millisecond stops within about a millisecond of it).
 *
 * This file is read-only: the tests are written against it.
 */
#ifndef TIMEOUT_H
#define TIMEOUT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "fetch.h"
#include "task.h"

/* How wait_for tells a task to stop: a struct cancel_token (task.h), which wait_for owns (the
 * task gets a pointer for as long as it runs); it starts out clear, and wait_for sets it at most
 * once, when the deadline passes. cancel_requested(tok), declared in task.h, is yours to write
 * in timeout.c: one atomic load. */

/* A task, as in lesson 01, that also gets a cancel token. It returns 0 and stores its answer in
 * *value, or returns a negative errno: -ECANCELED when it stopped because tok was set. It should
 * check cancel_requested(tok) at least every few milliseconds while it works or waits. */
typedef int (*timed_task_fn)(const struct cancel_token *tok, void *arg, long *value);

struct timed_task {
    timed_task_fn fn;
    void *arg; /* passed to fn as is; owned by the caller */
};

/* What the task gave back: a struct task_result, as in lesson 01 (task.h); its status is
 * -ECANCELED if the task was stopped. */

/* Runs task->fn on a new thread and waits, on the calling thread, at most timeout_ms
 * milliseconds for it to finish. The deadline is absolute on CLOCK_MONOTONIC, computed once
 * when the call starts: a wait woken early (spuriously, or by a signal) goes back to sleep
 * until the same deadline. The wait blocks (no polling, no CPU spent).
 *
 * - The task finished before the deadline: returns 0, and *result holds its status and value
 *   (a task that failed still gives 0 here: its own error is in result->status).
 * - The deadline passed first: sets the task's cancel token, waits for the task to stop, and
 *   returns -ETIMEDOUT; *result then holds what the task returned once it stopped (usually
 *   -ECANCELED). The deadline decides: a task that completes while being cancelled is still
 *   late.
 * - timeout_ms 0: the task is started and at once told to stop; the call does not wait for
 *   the deadline (it has passed) but, as always, for the task to stop.
 *
 * In every case in which the task ran, its thread has ended and been joined when wait_for
 * returns, so the task may use anything of the caller's until it returns.
 * Returns -EINVAL if task, task->fn or result is NULL or timeout_ms is negative (the task never
 * runs then, and *result is untouched); or the error of pthread_create (-EAGAIN...), also
 * without running the task. Any thread may call it; several calls may run at once. */
int wait_for(const struct timed_task *task, int timeout_ms, struct task_result *result);

/* ---- part 2: a timeout for an HTTP request ---- */

/* A response: a struct fetch_result (lessons/common/fetch.h). body is NUL-terminated and
 * malloc'd; the caller frees it (fetch_result_free). */

/* GETs url with libcurl, all of it (connecting, sending, receiving the whole body) within
 * timeout_ms milliseconds. Blocks the calling thread for at most about that long.
 * Returns 0 when a whole response arrived in time, whatever its HTTP status (in out->status);
 * otherwise a negative errno, which is also out->error (libcurl's code and words in
 * out->curl_code and out->curl_text: fetch.h's fetch_finish records all of it):
 * -ETIMEDOUT when the time ran out first, with nothing in *out (body NULL); timeout_ms 0 means
 * no time at all: -ETIMEDOUT at once, with no request sent; -ECONNREFUSED when nothing listens
 * at the address; -EINVAL if url or out is NULL, timeout_ms is negative, or libcurl cannot use
 * the URL; -ENOMEM when memory runs out; -EIO for any other failure of the transfer.
 * On every failure out->body is NULL and nothing is left to free. Any thread may call it. */
int fetch_with_timeout(const char *url, int timeout_ms, struct fetch_result *out);

#endif
