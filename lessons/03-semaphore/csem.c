/* csem.c: a counting semaphore from a mutex and a condition variable.
 *
 * Your task, part 1 of 3: write csem_init, csem_destroy, csem_wait, csem_timedwait and
 * csem_post as csem.h describes, using the fields of struct csem. Write csem_timedwait first;
 * csem_wait is csem_timedwait with no deadline.
 * Grade it with `make check L=03` (the csem_* tests); stuck? `make hint L=03`.
 */
#include "csem.h"

#include <errno.h>

int csem_init(struct csem *s, unsigned int value)
{
    /* TODO: set up the mutex and the condition variable (on CLOCK_MONOTONIC: monotonic_cond_init
     * in lessons/common/monotonic.h does it, and says why), then the count. */
    (void)s;
    (void)value;
    return -ENOSYS;
}

int csem_destroy(struct csem *s)
{
    /* TODO: tear down what csem_init set up, in reverse order. */
    (void)s;
    return -ENOSYS;
}

int csem_wait(struct csem *s)
{
    /* TODO: one line. */
    (void)s;
    return -ENOSYS;
}

int csem_timedwait(struct csem *s, const struct timespec *deadline)
{
    /* TODO: under the lock, sleep while there is no permit (and the deadline has not passed),
     * then take one. */
    (void)s;
    (void)deadline;
    return -ENOSYS;
}

int csem_post(struct csem *s)
{
    /* TODO: under the lock, give one permit back and wake a waiter. */
    (void)s;
    return -ENOSYS;
}
