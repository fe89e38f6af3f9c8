/* clock.c: monotonic time, deadlines and CPU time (see clock.h). */
#include "clock.h"

#include <errno.h>
#include <time.h>

static int64_t read_clock(clockid_t id)
{
    struct timespec ts;

    /* These clocks exist on every Linux; a failure here is a broken system, not a test result. */
    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * H_NS_PER_S + ts.tv_nsec;
}

int64_t h_now_ns(void)
{
    return read_clock(CLOCK_MONOTONIC);
}

int64_t h_deadline_ms(int64_t ms)
{
    return h_now_ns() + ms * H_NS_PER_MS;
}

int64_t h_ms_left(int64_t deadline_ns)
{
    int64_t left = deadline_ns - h_now_ns();

    return left > 0 ? (left + H_NS_PER_MS - 1) / H_NS_PER_MS : 0;
}

void h_sleep_until(int64_t deadline_ns)
{
    struct timespec ts = {
        .tv_sec = deadline_ns / H_NS_PER_S,
        .tv_nsec = deadline_ns % H_NS_PER_S,
    };

    /* clock_nanosleep returns the error number itself; EINTR means a signal woke us early,
     * and since the deadline is absolute we simply sleep again to the same instant. */
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

void h_sleep_ms(int64_t ms)
{
    h_sleep_until(h_deadline_ms(ms));
}

int64_t h_cpu_ns(void)
{
    return read_clock(CLOCK_PROCESS_CPUTIME_ID);
}

int64_t h_thread_cpu_ns(void)
{
    return read_clock(CLOCK_THREAD_CPUTIME_ID);
}
