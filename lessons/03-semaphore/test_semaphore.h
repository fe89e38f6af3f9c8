/* test_semaphore.h: what the test files of lesson 03 share (tests only, not for csem.c).
 *
 *   test_semaphore.c         the suite table, the waiters, and the semaphore with one waiter
 *   test_semaphore_csem.c    the semaphore with many waiters: wake-ups, stolen permits, load
 *   test_semaphore_gather.c  gather_limited
 *   test_semaphore_fetch.c   fetch_limited
 */
#ifndef TEST_SEMAPHORE_H
#define TEST_SEMAPHORE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "call.h"
#include "check.h"
#include "clock.h"
#include "csem.h"

#define ASLEEP_WITHIN_MS 1000 /* a waiter must be asleep in its wait by then */
#define WAKE_WITHIN_MS   1000 /* a waiter given a permit must have returned by then */

static inline struct timespec ts_of(int64_t ns)
{
    return (struct timespec){ .tv_sec = ns / H_NS_PER_S, .tv_nsec = ns % H_NS_PER_S };
}

static inline int64_t ns_of(const struct timespec *ts)
{
    return ts->tv_sec * H_NS_PER_S + ts->tv_nsec;
}

/* The return of a call the test ran on a thread (a batch or a fetch), named in the message. */
#define CALL_RC(x, want)       h_assert_rc((x)->rc, (want), false, __FILE__, __LINE__, (x)->what)
#define CALL_RC_FATAL(x, want) h_assert_rc((x)->rc, (want), true, __FILE__, __LINE__, (x)->what)

/* ---- waiters: a thread in csem_wait or csem_timedwait (test_semaphore.c) ---- */

struct waiter {
    struct h_call call; /* first: a waiter is a call */
    struct csem *sem;
    bool timed;               /* csem_timedwait(deadline), else csem_wait */
    struct timespec deadline; /* absolute, CLOCK_MONOTONIC */
    int rc;                   /* what the wait returned */
    int64_t called_ns;        /* when it was called */
    long wakeups;             /* voluntary context switches during the wait */
};

/* Starts a waiter on s: csem_wait, or csem_timedwait until deadline_ns if timed. */
void waiter_start(struct waiter *w, struct csem *s, bool timed, int64_t deadline_ns);

/* Joins a waiter; one that still waits is first given permits until it returns. */
void waiter_join(struct waiter *w);

/* True if the waiter's wait has returned (w->rc is then its return). Never blocks. */
bool waiter_done(struct waiter *w);

/* csem_timedwait with a deadline in the past: 0 if it took a permit, else -ETIMEDOUT. */
int take_now(struct csem *s);

/* How many permits s holds, found by taking them all (at most max + 1). */
int drain(struct csem *s, int max);

/* Sets up libcurl with memory functions that watch it, and SIGPIPE with a handler of the
 * test's own (test_semaphore_fetch.c). For the suite's setup: 0 or a negative errno. */
int fetch_watch_setup(void);

/* ---- the tests, for the suite table in test_semaphore.c ---- */

void csem_counts_permits(void);
void csem_wait_sleeps_until_post(void);
void csem_timedwait_honours_deadline(void);
void csem_wait_rechecks_after_wakeup(void);
void csem_post_wakes_one_waiter_per_post(void);
void csem_many_threads_keep_count(void);
void gather_limited_peak_is_limit(void);
void gather_limited_time_near_rounds(void);
void gather_limited_failed_tasks_return_permits(void);
void gather_limited_limit_1_and_above_n(void);
void fetch_limited_peak_is_limit(void);
void fetch_limited_errors_keep_window(void);

#endif
