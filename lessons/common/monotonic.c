/* monotonic.c: condition variables and deadlines on CLOCK_MONOTONIC (see monotonic.h). */
#include "monotonic.h"

int monotonic_cond_init(pthread_cond_t *c)
{
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);

    if (rc != 0)
        return -rc;
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(c, &attr);
    pthread_condattr_destroy(&attr);
    return -rc;
}

struct timespec monotonic_deadline(int64_t ms)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now); /* cannot fail for this clock on Linux */
    /* Add in nanoseconds, then carry: tv_nsec past 999,999,999 is an invalid time, and a wait
     * given one fails at once with EINVAL. */
    int64_t ns = (int64_t)now.tv_nsec + ms % 1000 * 1000000;
    return (struct timespec){ .tv_sec =
                                  now.tv_sec + (time_t)(ms / 1000) + (time_t)(ns / 1000000000),
                              .tv_nsec = (long)(ns % 1000000000) };
}
