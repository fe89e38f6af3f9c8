/* test_semaphore.c: the graded tests of lesson 03 (csem.h): the suite, and part 1 begun.
 *
 * Everything that could block runs on a thread of its own (struct h_call, harness/call.h), and
 * the test waits for it with a deadline: a semaphore that never wakes its waiter fails with a
 * message saying so, instead of hanging until the watchdog. Threads only record what they saw;
 * the test's thread asserts (CUnit is not thread-safe).
 *
 * This file: the suite table, the waiters (a thread in csem_wait), and the semaphore with one
 * waiter. The other parts are in test_semaphore_csem.c (many waiters), test_semaphore_gather.c
 * and test_semaphore_fetch.c; test_semaphore.h lists what they share.
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <errno.h>
#include <stdbool.h>
#include <sys/resource.h>

#include "call.h"
#include "check.h"
#include "clock.h"
#include "csem.h"
#include "proc.h"
#include "suite.h"
#include "test_semaphore.h"

#define MAX_WAKEUPS 5 /* context switches a waiter may make in one wait: 1 is typical */

/* ---- waiters: a thread in csem_wait or csem_timedwait ---- */

static void waiter_fn(struct h_call *c)
{
    struct waiter *w = (struct waiter *)c;
    struct rusage before, after;

    getrusage(RUSAGE_THREAD, &before);
    w->called_ns = h_now_ns();
    w->rc = w->timed ? csem_timedwait(w->sem, &w->deadline) : csem_wait(w->sem);
    getrusage(RUSAGE_THREAD, &after);
    w->wakeups = after.ru_nvcsw - before.ru_nvcsw;
}

/* Starts a waiter on s: csem_wait, or csem_timedwait until deadline_ns if timed. */
void waiter_start(struct waiter *w, struct csem *s, bool timed, int64_t deadline_ns)
{
    *w = (struct waiter){ .sem = s, .timed = timed, .deadline = ts_of(deadline_ns) };
    H_ASSERT_RC_FATAL(h_call_start(&w->call, waiter_fn), 0);
}

/* Joins a waiter. One still waiting is first given permits until it returns: the test has
 * already failed then, but the thread must not outlive it. */
void waiter_join(struct waiter *w)
{
    for (int i = 0; i < 10 && !h_call_wait(&w->call, 0); i++) {
        csem_post(w->sem);
        h_call_wait(&w->call, 100);
    }
    H_ASSERT_FATAL(h_call_wait(&w->call, 0), "a thread is still in csem_wait after 10 more posts");
    h_call_join(&w->call);
}

bool waiter_done(struct waiter *w)
{
    return h_call_wait(&w->call, 0);
}

/* csem_timedwait with a deadline already 1 s past: takes a free permit, or returns
 * -ETIMEDOUT at once. On a thread of its own, so that one that blocks fails the test. */
int take_now(struct csem *s)
{
    struct waiter w;
    bool returned;

    waiter_start(&w, s, true, h_now_ns() - H_NS_PER_S);
    returned = h_call_wait(&w.call, WAKE_WITHIN_MS);
    waiter_join(&w);
    H_ASSERT_FATAL(returned, "csem_timedwait with a deadline 1 s in the past had not returned "
                             "after 1 s: the deadline is an absolute time, not a duration");
    return w.rc;
}

/* How many permits s holds, found by taking them all (at most max + 1). */
int drain(struct csem *s, int max)
{
    int n = 0, rc;

    while (n <= max && (rc = take_now(s)) == 0)
        n++;
    if (n <= max)
        H_ASSERT_RC(rc, -ETIMEDOUT);
    return n;
}

/* ---- part 1: the semaphore ---- */

void csem_counts_permits(void)
{
    struct csem s;

    H_ASSERT_RC_FATAL(csem_init(&s, 3), 0);
    H_ASSERT_EQ(drain(&s, 10), 3);
    H_ASSERT_RC(csem_post(&s), 0);
    H_ASSERT_RC(csem_post(&s), 0);
    H_ASSERT_EQ(drain(&s, 10), 2);
    H_ASSERT_RC(csem_destroy(&s), 0);

    H_ASSERT_RC_FATAL(csem_init(&s, CSEM_VALUE_MAX), 0);
    H_ASSERT_RC(csem_post(&s), -EOVERFLOW);
    H_ASSERT_RC(take_now(&s), 0);
    H_ASSERT_RC(csem_post(&s), 0);
    H_ASSERT_RC(csem_destroy(&s), 0);

    H_ASSERT_RC(csem_init(NULL, 1), -EINVAL);
    H_ASSERT_RC(csem_init(&s, (unsigned int)CSEM_VALUE_MAX + 1), -EINVAL);
    H_ASSERT_RC(csem_wait(NULL), -EINVAL);
    H_ASSERT_RC(csem_timedwait(NULL, NULL), -EINVAL);
    H_ASSERT_RC(csem_post(NULL), -EINVAL);
}

/* 200 ms of the test doing nothing, its CPU use measured: what a waiter burns meanwhile. */
static int idle_stretch(void *arg, struct h_usage *u)
{
    (void)arg;
    h_usage_start(u);
    h_sleep_ms(200);
    h_usage_stop(u);
    return 0;
}

void csem_wait_sleeps_until_post(void)
{
    struct csem s;
    struct waiter w;

    H_ASSERT_RC_FATAL(csem_init(&s, 0), 0);
    waiter_start(&w, &s, false, 0);
    h_call_asleep(&w.call, ASLEEP_WITHIN_MS);
    if (waiter_done(&w))
        H_ASSERT_FATAL(false, "csem_wait returned %s with no permit to take", h_errname(w.rc));
    H_ASSERT_MOSTLY_ASLEEP_BEST("a thread in csem_wait for 200 ms, with no permit", idle_stretch,
                                NULL, 0.10);
    if (waiter_done(&w))
        H_ASSERT(false, "csem_wait returned %s with no permit to take", h_errname(w.rc));
    H_ASSERT_RC(csem_post(&s), 0);
    H_ASSERT(h_call_wait(&w.call, WAKE_WITHIN_MS),
             "csem_wait was still waiting 1 s after csem_post: a lost wake-up?");
    waiter_join(&w);
    H_ASSERT_RC(w.rc, 0);
    H_ASSERT(w.wakeups <= MAX_WAKEUPS,
             "the thread in csem_wait woke up %ld times in 200 ms, allowed %d: it polls (sleeps "
             "and looks again) instead of sleeping on the condition variable until a post",
             w.wakeups, MAX_WAKEUPS);
    H_ASSERT_EQ(drain(&s, 10), 0);
    H_ASSERT_RC(csem_destroy(&s), 0);
}

/* One timed wait of 100 ms on an empty semaphore; returns its length in seconds, or -1 if it
 * returned anything but -ETIMEDOUT, or before its deadline (checked again by the test). */
static double timed_out_wait(void *arg)
{
    struct csem *s = arg;
    struct waiter w;

    waiter_start(&w, s, true, h_deadline_ms(100));
    h_call_wait(&w.call, 100 + WAKE_WITHIN_MS);
    if (!waiter_done(&w)) {
        waiter_join(&w);
        H_ASSERT_FATAL(false, "csem_timedwait had not returned 1 s after its deadline, 100 ms "
                              "ahead: it must wait until that absolute time on CLOCK_MONOTONIC");
    }
    waiter_join(&w);
    H_ASSERT_RC_FATAL(w.rc, -ETIMEDOUT);
    H_ASSERT_FATAL(w.call.returned_ns >= ns_of(&w.deadline),
                   "csem_timedwait returned -ETIMEDOUT %.1f ms before its deadline: is the "
                   "condition variable on CLOCK_MONOTONIC (pthread_condattr_setclock)?",
                   (double)(ns_of(&w.deadline) - w.call.returned_ns) / H_NS_PER_MS);
    return h_ns_to_s(w.call.returned_ns - w.called_ns);
}

void csem_timedwait_honours_deadline(void)
{
    struct csem s;
    struct waiter w;
    double took;

    H_ASSERT_RC_FATAL(csem_init(&s, 0), 0);
    /* Already past: at once. */
    H_ASSERT_RC(take_now(&s), -ETIMEDOUT);
    /* 100 ms ahead, and no post: -ETIMEDOUT, not before the deadline and not long after. */
    took = h_sanitized() ? timed_out_wait(&s) : h_best_time(timed_out_wait, &s, 0.110);
    if (!h_sanitized())
        H_ASSERT_TIME_WITHIN("csem_timedwait 100 ms ahead, no post", took, 0.100, 1.2);
    /* 2 s ahead, and a post comes: the permit, long before the deadline. */
    waiter_start(&w, &s, true, h_deadline_ms(2000));
    h_call_asleep(&w.call, ASLEEP_WITHIN_MS);
    if (waiter_done(&w))
        H_ASSERT_FATAL(false,
                       "csem_timedwait with a deadline 2 s ahead returned %s at once: is the "
                       "condition variable on CLOCK_MONOTONIC (pthread_condattr_setclock)?",
                       h_errname(w.rc));
    H_ASSERT_RC(csem_post(&s), 0);
    H_ASSERT(h_call_wait(&w.call, WAKE_WITHIN_MS),
             "csem_timedwait was still waiting 1 s after csem_post: a lost wake-up?");
    waiter_join(&w);
    H_ASSERT_RC(w.rc, 0);
    H_ASSERT_EQ(drain(&s, 10), 0);
    H_ASSERT_RC(csem_destroy(&s), 0);
}

/* ---- the suite ---- */

static int setup(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -ENOMEM;
}

static void teardown(void)
{
    curl_global_cleanup();
}

const struct h_suite h_suite = {
    .setup = setup,
    .teardown = teardown,
    .tests =
        (const struct h_test[]){
            { H_TEST(csem_counts_permits, 1) },
            { H_TEST(csem_wait_sleeps_until_post, 1) },
            { H_TEST(csem_timedwait_honours_deadline, 1) },
            { H_TEST(csem_wait_rechecks_after_wakeup, 1) },
            { H_TEST(csem_post_wakes_one_waiter_per_post, 1) },
            { H_TEST(csem_many_threads_keep_count, 1), .timeout_ms = 30000 },
            { H_TEST(gather_limited_peak_is_limit, 1) },
            { H_TEST(gather_limited_time_near_rounds, 1) },
            { H_TEST(gather_limited_failed_tasks_return_permits, 1) },
            { H_TEST(gather_limited_limit_1_and_above_n, 1) },
            { H_TEST(fetch_limited_peak_is_limit, 1) },
            { H_TEST(fetch_limited_errors_keep_window, 1) },
            { 0 },
        },
};
