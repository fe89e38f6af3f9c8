/* test_errors.c: the graded tests of lesson 07 (errors in tasks): the jobs they share, and the
 * tests of gather_all_status and of bad arguments. taskgroup_run's tests are in
 * test_errors_group.c.
 *
 * Nothing here is timed that can be counted: how much work the siblings of a failed task did
 * after the failure is counted in their 1 ms steps, whether tasks ran at once is read from their
 * start and end times (the latest start before the earliest end), and whether the call left a
 * task running is read the moment it returns.
 */
#define _GNU_SOURCE /* gettid */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "clock.h"
#include "proc.h"
#include "suite.h"
#include "test_errors.h"

struct job jobs[MAX_JOBS];
struct cancellable_task tasks[MAX_JOBS];
struct task_result results[MAX_JOBS];
_Atomic int64_t failed_at_ns;

/* ---- the jobs ---- */

int job_fn(const struct cancel_token *tok, void *arg, long *value)
{
    struct job *j = arg;
    int64_t start = h_now_ns(), end = start + j->run_ms * H_NS_PER_MS, next, zero = 0;

    atomic_store(&j->start_ns, start);
    atomic_fetch_add(&j->started, 1);
    while (h_now_ns() < end) {
        if (!j->deaf && cancel_requested(tok)) {
            atomic_store(&j->saw_ns, h_now_ns());
            atomic_store(&j->saw_token, 1);
            h_sleep_ms(j->cleanup_ms); /* stopping takes a while: the call must wait for it */
            *value = -1;               /* a late write into the result: it must still exist */
            atomic_store(&j->end_ns, h_now_ns());
            atomic_store(&j->finished, 1);
            return -ECANCELED;
        }
        next = h_now_ns() + H_NS_PER_MS;
        h_sleep_until(next < end ? next : end);
        atomic_fetch_add(&j->steps, 1);
        if (atomic_load(&failed_at_ns) != 0)
            atomic_fetch_add(&j->steps_after, 1);
    }
    if (j->status != 0)
        atomic_compare_exchange_strong(&failed_at_ns, &zero, h_now_ns());
    else
        *value = j->value;
    atomic_store(&j->end_ns, h_now_ns());
    atomic_store(&j->finished, 1); /* the job's last act: after it, only its return */
    return j->status;
}

void make_jobs(const struct job *like, int n)
{
    H_ASSERT_FATAL(n <= MAX_JOBS, "%d jobs, at most %d", n, MAX_JOBS);
    atomic_store(&failed_at_ns, 0);
    for (int i = 0; i < n; i++) {
        struct job *j = &jobs[i];

        j->run_ms = like[i].run_ms;
        j->status = like[i].status;
        j->value = like[i].value;
        j->deaf = like[i].deaf;
        j->cleanup_ms = like[i].cleanup_ms;
        atomic_store(&j->started, 0);
        atomic_store(&j->finished, 0);
        atomic_store(&j->saw_token, 0);
        atomic_store(&j->steps, 0);
        atomic_store(&j->steps_after, 0);
        atomic_store(&j->start_ns, 0);
        atomic_store(&j->saw_ns, 0);
        atomic_store(&j->end_ns, 0);
        tasks[i] = (struct cancellable_task){ .fn = job_fn, .arg = j };
    }
    for (int i = 0; i < MAX_JOBS; i++)
        results[i] = (struct task_result){ .status = GARBAGE, .value = GARBAGE };
}

static int unended(int n)
{
    int count = 0;

    for (int i = 0; i < n; i++)
        count += atomic_load(&jobs[i].started) && !atomic_load(&jobs[i].finished);
    return count;
}

struct outcome run_gather_all(int n)
{
    struct outcome o = { .first = GARBAGE };
    int64_t start = h_now_ns();

    o.rc = gather_all_status(tasks, (size_t)n, results);
    o.unended = unended(n);
    o.took = h_ns_to_s(h_now_ns() - start);
    snprintf(o.what, sizeof(o.what), "gather_all_status(%d tasks)", n);
    return o;
}

struct outcome run_taskgroup(int n)
{
    struct outcome o = { .first = GARBAGE };
    int64_t start = h_now_ns();

    o.rc = taskgroup_run(tasks, (size_t)n, results, &o.first);
    o.unended = unended(n);
    o.took = h_ns_to_s(h_now_ns() - start);
    snprintf(o.what, sizeof(o.what), "taskgroup_run(%d tasks)", n);
    return o;
}

bool ran_at_once(int n)
{
    int64_t last_start = 0, first_end = INT64_MAX;

    for (int i = 0; i < n; i++) {
        int64_t s = atomic_load(&jobs[i].start_ns), e = atomic_load(&jobs[i].end_ns);

        if (s > last_start)
            last_start = s;
        if (e != 0 && e < first_end)
            first_end = e;
    }
    return last_start < first_end;
}

/* ---- gather_all_status ---- */

static void check_gathered(int n, const struct job *like, struct outcome o)
{
    int failed = 0;

    for (int i = 0; i < n; i++)
        failed += like[i].status != 0;
    H_ASSERT(o.unended == 0,
             "%s returned while %d of its tasks still ran: join every thread before returning",
             o.what, o.unended);
    h_assert_rc(o.rc, failed, false, __FILE__, __LINE__, o.what);
    for (int i = 0; i < n; i++) {
        const struct job *j = &jobs[i];

        if (!H_ASSERT(atomic_load(&j->started) == 1, "task %d started %d times, want once", i,
                      atomic_load(&j->started)) ||
            !H_ASSERT(atomic_load(&j->saw_token) == 0,
                      "%s cancelled task %d: gather-all lets every task run to its end, "
                      "whatever the others return (its token is never set)",
                      o.what, i) ||
            !H_ASSERT(results[i].status == like[i].status,
                      "results[%d].status is %s, want %s (task %d's own status, in its own slot)",
                      i, h_errname(results[i].status), h_errname(like[i].status), i) ||
            !H_ASSERT(results[i].value == (like[i].status == 0 ? like[i].value : 0),
                      "results[%d].value is %ld, want %ld (0 for a task that failed)", i,
                      results[i].value, like[i].status == 0 ? like[i].value : 0))
            return;
    }
}

static void gather_all_reports_every_status(void)
{
    static const struct job mixed[] = {
        { .run_ms = 40, .value = 10 },      { .run_ms = 50, .status = -EIO },
        { .run_ms = 90, .value = 30 },      { .run_ms = 60, .value = 40 },
        { .run_ms = 70, .status = -EPERM }, { .run_ms = 80, .value = 60 },
    };
    static const struct job fine[] = {
        { .run_ms = 20, .value = 7 },
        { .run_ms = 10, .value = 8 },
        { .run_ms = 30, .value = 9 },
        { .run_ms = 15, .value = 10 },
    };
    int threads = h_count_threads();
    struct outcome o;

    /* Two tasks fail, at 50 and 70 ms: the others still run to their ends, at up to 90 ms. */
    make_jobs(mixed, 6);
    o = run_gather_all(6);
    H_ASSERT_FATAL(o.rc >= 0, "%s returned %s, want 2 (the number of tasks that failed)", o.what,
                   h_errname(o.rc));
    check_gathered(6, mixed, o);
    H_ASSERT(h_sanitized() || ran_at_once(6),
             "the tasks ran one after another: start them all, then join them");
    H_ASSERT(o.took >= 0.090, "%s returned after %.3f s, before its 90 ms task could end", o.what,
             o.took);
    H_ASSERT_EQ(h_settled_threads(threads, 1000), threads);

    /* Nothing fails: 0, and every value. */
    make_jobs(fine, 4);
    o = run_gather_all(4);
    check_gathered(4, fine, o);
    H_ASSERT_EQ(h_settled_threads(threads, 1000), threads);
}

/* ---- bad arguments ---- */

static void errors_reject_bad_arguments(void)
{
    static const struct job like[] = { { .run_ms = 0 }, { .run_ms = 0 }, { .run_ms = 0 } };
    size_t first = GARBAGE;

    make_jobs(like, 3);
    H_ASSERT_RC_FATAL(gather_all_status(NULL, 3, results), -EINVAL);
    H_ASSERT_RC(gather_all_status(tasks, 3, NULL), -EINVAL);
    H_ASSERT_RC(taskgroup_run(NULL, 3, results, &first), -EINVAL);
    H_ASSERT_RC(taskgroup_run(tasks, 3, NULL, &first), -EINVAL);
    H_ASSERT_RC(taskgroup_run(tasks, 3, results, NULL), -EINVAL);
    /* One task without a function: refused before any task runs. */
    tasks[2].fn = NULL;
    H_ASSERT_RC(gather_all_status(tasks, 3, results), -EINVAL);
    H_ASSERT_RC(taskgroup_run(tasks, 3, results, &first), -EINVAL);
    for (int i = 0; i < 2; i++)
        H_ASSERT(atomic_load(&jobs[i].started) == 0,
                 "task %d ran although the call was refused (task 2 has no fn): check every "
                 "argument before starting anything",
                 i);
    H_ASSERT_EQ(first, GARBAGE);
    /* No tasks at all is fine. */
    H_ASSERT_RC(gather_all_status(NULL, 0, NULL), 0);
    H_ASSERT_RC(taskgroup_run(NULL, 0, NULL, &first), 0);
    H_ASSERT_EQ(first, 0);
}

const struct h_suite h_suite = {
    .tests =
        (const struct h_test[]){
            { H_TEST(gather_all_reports_every_status, 1) },
            { H_TEST(taskgroup_reports_first_error_in_time, 1) },
            { H_TEST(taskgroup_cancels_siblings_promptly, 1) },
            { H_TEST(taskgroup_waits_for_deaf_tasks, 1) },
            { H_TEST(taskgroup_all_succeed, 1) },
            { H_TEST(errors_leave_no_thread, 1) },
            { H_TEST(errors_reject_bad_arguments, 1) },
            { 0 },
        },
};
