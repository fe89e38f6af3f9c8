/* timeout.c: asyncio.wait_for with a thread, a condition variable and a cancel token (reference).
 *
 * The task runs on a thread of its own; the caller sleeps on a condition variable until the
 * task says it is done or the deadline passes, whichever comes first. The condition variable
 * measures its timeout on CLOCK_MONOTONIC (set with pthread_condattr_setclock), the clock that
 * never jumps when someone sets the date, and the deadline is an absolute time on that clock,
 * computed once: however often the wait wakes early, it goes back to sleep until the same
 * instant.
 *
 * Everything the call shares with its thread lives in one struct on the caller's stack. That
 * is safe only because wait_for joins the thread before it returns, on every path: the thread
 * can never touch the struct after the call is over. A wait_for that detached a late thread
 * instead would have to move the struct to the heap and let the last of the two free it.
 *
 * Cost: a thread per call (about 36 us to create and join), and a wake-up when the task ends.
 */
#include "monotonic.h"
#include "timeout.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* One call of wait_for: what the caller and the task's thread share.
 * lock guards done and result. token is atomic and needs no lock: the task polls it. */
struct call {
    const struct timed_task *task;
    struct cancel_token token;
    pthread_mutex_t lock;
    pthread_cond_t finished; /* signalled once, when done becomes true */
    bool done;               /* the task has returned and result holds what it gave */
    struct task_result result;
};

bool cancel_requested(const struct cancel_token *tok)
{
    return atomic_load(&tok->requested);
}

static void *call_main(void *arg)
{
    struct call *c = arg;
    long value = 0;
    int status = c->task->fn(&c->token, c->task->arg, &value);

    pthread_mutex_lock(&c->lock);
    c->result = (struct task_result){ .status = status, .value = status == 0 ? value : 0 };
    c->done = true;
    /* Signal while holding the lock: the waiter cannot miss it between checking done and
     * going to sleep, since it checks done with the lock held. */
    pthread_cond_signal(&c->finished);
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* Sets up c's lock and condition variable, the latter timed on CLOCK_MONOTONIC.
 * Returns 0 or a negative errno, with nothing left to destroy on failure. */
static int call_init(struct call *c, const struct timed_task *task)
{
    int rc;

    *c = (struct call){ .task = task };
    atomic_init(&c->token.requested, false);
    if ((rc = monotonic_cond_init(&c->finished)) < 0)
        return rc;
    rc = pthread_mutex_init(&c->lock, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&c->finished);
        return -rc;
    }
    return 0;
}

static void call_destroy(struct call *c)
{
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->finished);
}

/* Sleeps until the task is done or the deadline passes. Returns true if the task was done in
 * time. Called with c->lock held; returns with it held. */
static bool wait_until_done(struct call *c, const struct timespec *deadline)
{
    int rc = 0;

    /* A while, not an if: pthread_cond_timedwait may return 0 with nothing signalled (a
     * spurious wake-up), and only done says whether the task has finished. */
    while (!c->done && rc == 0)
        rc = pthread_cond_timedwait(&c->finished, &c->lock, deadline);
    return c->done;
}

int wait_for(const struct timed_task *task, int timeout_ms, struct task_result *result)
{
    struct call c;
    struct timespec deadline;
    pthread_t thread;
    bool in_time;
    int rc;

    if (!task || !task->fn || !result || timeout_ms < 0)
        return -EINVAL;
    rc = call_init(&c, task);
    if (rc != 0)
        return rc;
    deadline = monotonic_deadline(timeout_ms); /* once: a wake-up does not move it */
    rc = pthread_create(&thread, NULL, call_main, &c);
    if (rc != 0) {
        call_destroy(&c);
        return -rc;
    }
    pthread_mutex_lock(&c.lock);
    in_time = wait_until_done(&c, &deadline);
    pthread_mutex_unlock(&c.lock);
    if (!in_time)
        atomic_store(&c.token.requested, true);
    /* On both paths: the task ends (by itself, or soon after seeing its token) before the call
     * returns, so c, on this stack, outlives every use the thread makes of it. */
    pthread_join(thread, NULL);
    *result = c.result;
    call_destroy(&c);
    return in_time ? 0 : -ETIMEDOUT;
}
