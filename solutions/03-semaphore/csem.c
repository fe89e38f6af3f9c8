/* csem.c: a counting semaphore from a mutex and a condition variable (reference).
 *
 * The count is the state; the mutex guards it; the condition variable is only where a thread
 * sleeps until the count may have changed. Every wait re-checks the count in a while loop,
 * because a wake-up is a hint, not a promise: another thread may take the permit first, and
 * POSIX allows wake-ups for no reason at all. There is one wait path, csem_timedwait; csem_wait
 * is that with no deadline, so the logic exists (and is tested) once.
 *
 * pthread_mutex_lock and _unlock are not checked: on a default mutex that csem_init set up they
 * cannot fail, and using s after csem_destroy is a bug no return value could report reliably.
 *
 * Cost: a permit that is free costs one uncontended lock and unlock (tens of nanoseconds); a
 * wait that has to sleep costs a wake-up, about 7 us on one CPU and 50 us across CPUs here.
 * POSIX's sem_t does the same job with one atomic in the common case, and a futex underneath;
 * building it from a mutex and a condvar is the pattern every other blocking structure in this
 * kit (queues, pools) follows.
 */
#include "csem.h"
#include "monotonic.h"

#include <errno.h>

int csem_init(struct csem *s, unsigned int value)
{
    int rc;

    if (!s || value > CSEM_VALUE_MAX)
        return -EINVAL;
    /* Deadlines are on CLOCK_MONOTONIC, which never jumps. The condvar must measure them on the
     * same clock: on its default, CLOCK_REALTIME, a monotonic deadline (seconds since boot)
     * reads as a date in 1970, long past, and every timed wait would time out at once. */
    if ((rc = monotonic_cond_init(&s->nonzero)) < 0)
        return rc;
    if ((rc = pthread_mutex_init(&s->lock, NULL)) != 0) {
        pthread_cond_destroy(&s->nonzero);
        return -rc;
    }
    s->count = value;
    return 0;
}

int csem_destroy(struct csem *s)
{
    int rc, rc2;

    if (!s)
        return -EINVAL;
    /* Reverse order of csem_init; report the first error, but still try both. */
    rc = pthread_cond_destroy(&s->nonzero);
    rc2 = pthread_mutex_destroy(&s->lock);
    return -(rc != 0 ? rc : rc2);
}

int csem_wait(struct csem *s)
{
    return csem_timedwait(s, NULL);
}

int csem_timedwait(struct csem *s, const struct timespec *deadline)
{
    int rc = 0;

    if (!s)
        return -EINVAL;
    pthread_mutex_lock(&s->lock);
    /* A while, never an if: by the time this thread holds the lock again, the permit that woke
     * it may be gone, or there never was one. Only the count, read under the lock, says. */
    while (s->count == 0 && rc == 0) {
        if (deadline)
            rc = pthread_cond_timedwait(&s->nonzero, &s->lock, deadline);
        else
            rc = pthread_cond_wait(&s->nonzero, &s->lock);
    }
    /* A permit given back just as the deadline passed is still taken: the caller asked for a
     * permit, and one is here. */
    if (s->count > 0) {
        s->count--;
        rc = 0;
    }
    pthread_mutex_unlock(&s->lock);
    return -rc;
}

int csem_post(struct csem *s)
{
    int rc = 0;

    if (!s)
        return -EINVAL;
    pthread_mutex_lock(&s->lock);
    if (s->count == CSEM_VALUE_MAX) {
        rc = -EOVERFLOW;
    } else {
        s->count++;
        /* One permit can satisfy one waiter: signal wakes one, where broadcast would wake them
         * all to find a single permit (correct, thanks to the while loop, but wasteful).
         * Signalling on every post, not only when the count leaves 0, is what keeps a second
         * post from being lost while the first waiter has yet to run. */
        pthread_cond_signal(&s->nonzero);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}
