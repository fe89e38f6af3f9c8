/* clock.h: monotonic time in nanoseconds, absolute deadlines, CPU time.
 *
 * Every time the harness measures is CLOCK_MONOTONIC: it never jumps when the wall clock is
 * set, so a deadline computed once stays right however long the wait. Functions here are
 * thread-safe and never block, except h_sleep_until and h_sleep_ms, which sleep.
 */
#ifndef H_CLOCK_H
#define H_CLOCK_H

#include <stdint.h>

#define H_NS_PER_MS INT64_C(1000000)    /* nanoseconds in a millisecond */
#define H_NS_PER_S  INT64_C(1000000000) /* nanoseconds in a second */

/* Now, in nanoseconds on CLOCK_MONOTONIC (an arbitrary but fixed origin). */
int64_t h_now_ns(void);

/* The absolute deadline ms milliseconds from now, on the same clock as h_now_ns. */
int64_t h_deadline_ms(int64_t ms);

/* Milliseconds left until deadline_ns, or 0 if it has passed. */
int64_t h_ms_left(int64_t deadline_ns);

/* Sleeps until the absolute time deadline_ns (CLOCK_MONOTONIC), resuming after signals.
 * Sleeping to an absolute time, not for a duration, keeps overshoots from adding up in loops. */
void h_sleep_until(int64_t deadline_ns);

/* Sleeps for ms milliseconds (h_sleep_until of a deadline computed now). */
void h_sleep_ms(int64_t ms);

/* CPU time this process has used so far, all threads together, in nanoseconds.
 * Compare its change with the wall time's: a wait that blocks burns almost none. */
int64_t h_cpu_ns(void);

/* CPU time the calling thread has used so far, in nanoseconds. */
int64_t h_thread_cpu_ns(void);

/* Nanoseconds as seconds, for printing. */
static inline double h_ns_to_s(int64_t ns)
{
    return (double)ns / (double)H_NS_PER_S;
}

#endif
