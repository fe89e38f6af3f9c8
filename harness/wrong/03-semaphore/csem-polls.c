/* Wrong: csem_wait sleeps a millisecond and looks at the count again (polling) instead of
 * sleeping on the condition variable until a post: it burns wake-ups and answers late.
 * Caught: csem_wait_sleeps_until_post (the waiter woke up hundreds of times in 200 ms). */
#include "csem.h"

#include <errno.h>
#include <time.h>

int csem_init(struct csem *s, unsigned int value)
{
    pthread_condattr_t attr;
    int rc;

    if (!s || value > CSEM_VALUE_MAX)
        return -EINVAL;
    rc = pthread_condattr_init(&attr);
    if (rc != 0)
        return -rc;
    /* Deadlines are on CLOCK_MONOTONIC, which never jumps. The condvar must measure them on the
     * same clock: on its default, CLOCK_REALTIME, a monotonic deadline (seconds since boot)
     * reads as a date in 1970, long past, and every timed wait would time out at once. */
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_mutex_init(&s->lock, NULL);
    if (rc == 0) {
        rc = pthread_cond_init(&s->nonzero, &attr);
        if (rc != 0)
            pthread_mutex_destroy(&s->lock);
    }
    pthread_condattr_destroy(&attr);
    if (rc != 0)
        return -rc;
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
        else {
            pthread_mutex_unlock(&s->lock);
            nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
            pthread_mutex_lock(&s->lock);
        }
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
