/* monotonic.h: condition variables and deadlines on CLOCK_MONOTONIC, for every lesson that waits.
 *
 * A deadline is an absolute time, computed once, on a clock that never jumps: CLOCK_MONOTONIC
 * (seconds since boot). A condition variable measures the deadlines of its timed waits on the
 * clock it was made with, CLOCK_REALTIME unless told otherwise, so it must be made with
 * CLOCK_MONOTONIC too: on the wall clock, a monotonic deadline reads as a date in 1970, long
 * past, and every timed wait would end at once. Read-only, like the lesson headers.
 */
#ifndef MONOTONIC_H
#define MONOTONIC_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* Initialises *c as a condition variable whose timed waits are on CLOCK_MONOTONIC. Returns 0,
 * or the error of the pthread call that failed, negated (nothing is left to destroy then).
 * Destroy it with pthread_cond_destroy. */
int monotonic_cond_init(pthread_cond_t *c);

/* The absolute time ms milliseconds from now on CLOCK_MONOTONIC, as a timespec for
 * pthread_cond_timedwait (tv_nsec always within 0..999,999,999). ms >= 0. */
struct timespec monotonic_deadline(int64_t ms);

#endif
