/* timeout.c: asyncio.wait_for, with a thread, a condition variable and a cancel token.
 *
 * Your task: write cancel_requested and wait_for as timeout.h describes. wait_for starts the
 * task on a thread, sleeps on a condition variable timed on CLOCK_MONOTONIC until the task is
 * done or the deadline passes, tells a late task to stop, and joins the thread in every case.
 * Grade it with `make check L=04`; stuck? `make hint L=04`.
 */
#include "timeout.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

bool cancel_requested(const struct cancel_token *tok)
{
    /* TODO: has wait_for asked the task to stop? (The token is read and written by two
     * threads at once: that is why it is atomic.) */
    (void)tok;
    return false;
}

int wait_for(const struct timed_task *task, int timeout_ms, struct task_result *result)
{
    /* TODO: start task->fn on a thread of its own; wait for it until an absolute deadline on
     * CLOCK_MONOTONIC; if the deadline comes first, set the cancel token; join the thread. */
    (void)task;
    (void)timeout_ms;
    (void)result;
    return -ENOSYS;
}
