/* test_gather.c: the graded tests of lesson 01 (read-only: the grader uses its own copy).
 *
 * The tasks here sleep (simulated I/O) and record when they ran into a trace, so each test can
 * check what really happened (how many ran at once, on which threads, in which order) rather
 * than trusting the results alone. Each test is one behaviour; its name says which.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "call.h"
#include "chaos.h"
#include "check.h"
#include "clock.h"
#include "gather.h"
#include "proc.h"
#include "suite.h"
#include "trace.h"
#include "workload.h"

#define MAX_TASKS 300
#define GARBAGE   0xA5 /* results start full of it: a slot nobody writes stays wrong */

/* What one test task does: sleep ms, then return status, or 0 with value_of(index). */
struct sleeper {
    int index;
    int ms;
    int status;
    int meet;         /* 0, or hold until that many tasks run at once (h_io_work_meeting) */
    unsigned creates; /* 0, or hold (up to 2 s) until h_creates_returned() reaches it */
};

static struct h_trace *trace;
static struct sleeper sleepers[MAX_TASKS];
static struct task tasks[MAX_TASKS];
static struct task_result results[MAX_TASKS];

/* Distinct for every task, and never 0 or the garbage pattern. */
static long value_of(int index)
{
    return 1000L * index + 7;
}

static int sleeper_fn(void *arg, long *value)
{
    const struct sleeper *s = arg;
    int64_t deadline = h_deadline_ms(2000);

    while (s->creates && h_creates_returned() < s->creates && h_ms_left(deadline) > 0)
        h_sleep_ms(1);
    if (s->meet)
        h_io_work_meeting(trace, s->index, s->ms, s->meet, 300);
    else
        h_io_work(trace, s->index, s->ms);
    if (s->status != 0) {
        *value = -1; /* a failing task may leave junk behind: it must not reach the result */
        return s->status;
    }
    *value = value_of(s->index);
    return 0;
}

/* n tasks; task i sleeps ms_of(i) ms. Clears the trace and fills results with garbage. */
static void make_tasks(size_t n, int (*ms_of)(size_t i, size_t n))
{
    h_trace_reset(trace);
    for (size_t i = 0; i < n; i++) {
        sleepers[i] = (struct sleeper){ .index = (int)i, .ms = ms_of(i, n) };
        tasks[i] = (struct task){ .fn = sleeper_fn, .arg = &sleepers[i] };
    }
    memset(results, GARBAGE, sizeof(results));
}

/* run_gather on a call of its own, awaited for at most limit_ms (five times that under a
 * sanitizer). A gather that runs its tasks one after another (a join inside the loop that creates
 * the threads) takes the sum of the tasks and would end as a bare TIMEOUT that reads like a
 * deadlock; this fails saying what the trace saw instead. Returns run_gather's result. */
struct gather_call {
    struct h_call call; /* first: a gather_call is a call */
    size_t n;
    int rc;
};

static void gather_call_fn(struct h_call *c)
{
    struct gather_call *g = (struct gather_call *)c;

    g->rc = run_gather(tasks, g->n, results);
}

static int run_gather_within(size_t n, int64_t limit_ms)
{
    static struct gather_call g; /* static: a call that never returns keeps it for good */
    int running, peak;
    size_t begun;

    g = (struct gather_call){ .n = n };
    H_ASSERT_RC_FATAL(h_call_start(&g.call, gather_call_fn), 0);
    if (h_call_wait(&g.call, h_sanitized() ? 5 * limit_ms : limit_ms)) {
        h_call_join(&g.call);
        return g.rc;
    }
    running = h_trace_running(trace);
    peak = h_trace_peak(trace);
    begun = h_trace_count(trace);
    H_ASSERT_FATAL(false,
                   "run_gather of %zu tasks had not returned after %.1f s: %zu had started (%d "
                   "still running), and at most %d ever ran at the same time%s",
                   n, (h_sanitized() ? 5 : 1) * limit_ms / 1e3, begun, running, peak,
                   peak <= 1 && begun > 1 ? ": one after another, as if each thread were joined "
                                            "in the loop that creates them"
                                          : "");
    return -ETIMEDOUT; /* not reached: the failure above is fatal */
}

static int ms_100(size_t i, size_t n)
{
    (void)i, (void)n;
    return 100;
}

static int ms_30(size_t i, size_t n)
{
    (void)i, (void)n;
    return 30;
}

/* The first task sleeps longest, the last shortest: tasks finish in reverse order. */
static int ms_reversed(size_t i, size_t n)
{
    return 10 + 15 * (int)(n - 1 - i);
}

/* From 10 ms to 100 ms: the longest is 100. */
static int ms_mixed(size_t i, size_t n)
{
    return 10 + (int)(90 * i / (n - 1));
}

/* Every result as a successful task i would leave it; stops at the first wrong slot. */
static void check_results(size_t n)
{
    struct task_result fill;

    memset(&fill, GARBAGE, sizeof(fill));
    for (size_t i = 0; i < n; i++) {
        int want_status = sleepers[i].status;
        long want_value = want_status ? 0 : value_of((int)i);

        if (results[i].status == fill.status && results[i].value == fill.value) {
            H_ASSERT(false,
                     "results[%zu] was never written (it still holds the bytes the test filled "
                     "it with), want {status %d, value %ld}",
                     i, want_status, want_value);
            return;
        }
        if (!H_ASSERT(results[i].status == want_status && results[i].value == want_value,
                      "results[%zu] is {status %d, value %ld}, want {status %d, value %ld}%s", i,
                      results[i].status, results[i].value, want_status, want_value,
                      results[i].value == value_of((int)(n - 1 - i)) && n > 1
                          ? ": that is another task's value (stored by finishing order?)"
                          : ""))
            return;
    }
}

/* Each task ran exactly once. */
static void check_each_ran_once(size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!H_ASSERT(h_trace_runs(trace, (int)i) == 1, "task %zu ran %d times, want once", i,
                      h_trace_runs(trace, (int)i)))
            return;
}

static int setup(void)
{
    return h_trace_create(&trace, 4 * MAX_TASKS);
}

static void teardown(void)
{
    h_trace_destroy(trace);
}

/* ---- run_sequential ---- */

static void sequential_results_in_order(void)
{
    make_tasks(6, ms_reversed);
    sleepers[2].status = -EIO; /* a failure in the middle: the rest still run */
    H_ASSERT_RC_FATAL(run_sequential(tasks, 6, results), 0);
    check_results(6);
    check_each_ran_once(6);
}

static void sequential_runs_one_at_a_time(void)
{
    int64_t start;
    double took;

    make_tasks(5, ms_30);
    start = h_now_ns();
    H_ASSERT_RC_FATAL(run_sequential(tasks, 5, results), 0);
    took = h_ns_to_s(h_now_ns() - start);
    H_ASSERT_EQ(h_trace_peak(trace), 1);
    H_ASSERT(h_trace_is_sequential(trace),
             "the tasks did not run one after another, in input order");
    /* Sleeps never end early, so five of 30 ms take at least 150 ms: no retries needed. */
    H_ASSERT(took >= 0.150, "5 tasks of 30 ms took %.3f s; one after another is at least 0.150 s",
             took);
    check_results(5);
}

/* ---- run_gather ---- */

static void gather_results_in_order(void)
{
    make_tasks(8, ms_reversed);
    H_ASSERT_RC_FATAL(run_gather(tasks, 8, results), 0);
    check_results(8);
    check_each_ran_once(8);
}

static void gather_runs_all_at_once(void)
{
    make_tasks(16, ms_100);
    for (size_t i = 0; i < 16; i++)
        sleepers[i].meet = 16; /* however slow thread creation is today: see workload.h */
    /* 100 ms each, and a hold of at most 300 ms while fewer than 16 run: ideally 0.1 s. */
    H_ASSERT_RC_FATAL(run_gather_within(16, 2000), 0);
    H_ASSERT_EQ(h_trace_peak(trace), 16);
    H_ASSERT_EQ(h_trace_threads(trace), 16);
    H_ASSERT(h_trace_pids(trace) == 1, "the tasks ran in %d processes, want threads of this one",
             h_trace_pids(trace));
    check_each_ran_once(16);
    check_results(16);
}

/* One attempt for h_best_time: seconds run_gather took, or -1 if it went wrong. */
static double time_gather_16(void *arg)
{
    int64_t start;
    double took;

    (void)arg;
    make_tasks(16, ms_mixed);
    start = h_now_ns();
    if (run_gather(tasks, 16, results) != 0)
        return -1;
    took = h_ns_to_s(h_now_ns() - start);
    return h_trace_runs(trace, 0) == 1 ? took : -1;
}

static void gather_takes_the_longest_task(void)
{
    const double ideal = 0.100, tolerance = 1.5;
    double best = h_best_time(time_gather_16, NULL, ideal * tolerance);

    H_ASSERT_FATAL(best >= 0, "run_gather failed, or ran a task more than once");
    /* Under a sanitizer, creating a thread costs a hundred times more: the overlap is checked
     * by gather_runs_all_at_once, and the time only in a plain build. */
    if (!h_sanitized())
        H_ASSERT_TIME_WITHIN("16 tasks of 10 to 100 ms under run_gather", best, ideal, tolerance);
    check_results(16);
}

static void gather_keeps_failures_apart(void)
{
    make_tasks(8, ms_reversed);
    sleepers[0].status = -ETIMEDOUT; /* fails last: the slowest task */
    sleepers[6].status = -EIO;       /* fails early, while the others still sleep */
    H_ASSERT_RC_FATAL(run_gather(tasks, 8, results), 0);
    check_results(8);
    check_each_ran_once(8);
    H_ASSERT_EQ(h_trace_running(trace), 0);
}

/* Counts threads that have completely ended. A thread-specific value's destructor runs as its
 * thread exits, and this one takes 50 ms: pthread_join waits for it, but code that only waits
 * for the results (detached threads, a counter) returns before the threads have ended. */
static pthread_key_t exit_key;
static atomic_int threads_ended;

static void slow_exit(void *value)
{
    (void)value;
    h_sleep_ms(50);
    atomic_fetch_add(&threads_ended, 1);
}

static int marking_fn(void *arg, long *value)
{
    pthread_setspecific(exit_key, &exit_key);
    return sleeper_fn(arg, value);
}

static void gather_leaves_no_thread_behind(void)
{
    int before = h_count_threads();

    H_ASSERT_RC_FATAL(pthread_key_create(&exit_key, slow_exit), 0);
    make_tasks(8, ms_reversed);
    for (size_t i = 0; i < 8; i++)
        tasks[i].fn = marking_fn;
    H_ASSERT_RC_FATAL(run_gather(tasks, 8, results), 0);
    H_ASSERT_EQ(h_trace_running(trace), 0);
    H_ASSERT(atomic_load(&threads_ended) == 8,
             "run_gather returned while %d of its 8 threads had not ended: join every thread",
             8 - atomic_load(&threads_ended));
    H_ASSERT_EQ(h_settled_threads(before, 200), before);
    check_results(8);
}

/* One run_gather of 8 sleeping tasks, its CPU use measured. */
static int gather_asleep(void *arg, struct h_usage *usage)
{
    (void)arg;
    make_tasks(8, ms_100);
    h_usage_start(usage);
    if (!H_ASSERT_RC(run_gather(tasks, 8, results), 0))
        return -1;
    h_usage_stop(usage);
    check_results(8);
    return 0;
}

static void gather_sleeps_while_waiting(void)
{
    H_ASSERT_MOSTLY_ASLEEP_BEST("run_gather while 8 tasks of 100 ms sleep", gather_asleep, NULL,
                                0.25);
}

static int ms_50(size_t i, size_t n)
{
    (void)i, (void)n;
    return 50;
}

static void gather_many_tasks(void)
{
    make_tasks(MAX_TASKS, ms_50);
    H_ASSERT_RC_FATAL(run_gather_within(MAX_TASKS, 3000), 0); /* ideally 0.05 s */
    check_results(MAX_TASKS);
    check_each_ran_once(MAX_TASKS);
    /* Creating 300 threads takes milliseconds, each task 50 ms: most overlap. (Not so under a
     * sanitizer, where creating a thread costs a hundred times more.) */
    if (!h_sanitized())
        H_ASSERT_GE(h_trace_peak(trace), MAX_TASKS / 2);
}

static void gather_reports_thread_failure(void)
{
    int before = h_count_threads(), rc;

    make_tasks(10, ms_30);
    rc = h_limit_new_tasks(4);
    if (rc == -EPERM) {
        puts("skipped: running as root, where the thread limit does not apply");
        return;
    }
    H_ASSERT_RC_FATAL(rc, 0);
    /* Room for 4 threads: the 5th pthread_create fails with EAGAIN, if the first 4 are still
     * alive then. Where creating a thread is slow (a sanitizer, a busy machine) a 30 ms task
     * could end first and make room, so each task holds until the 5th create has returned. */
    for (size_t i = 0; i < 10; i++)
        sleepers[i].creates = h_creates_returned() + 5;
    H_ASSERT_RC(run_gather(tasks, 10, results), -EAGAIN);
    for (size_t i = 0; i < 10; i++) {
        int ran = i < 4;

        sleepers[i].status = ran ? 0 : -EAGAIN;
        H_ASSERT(h_trace_runs(trace, (int)i) == ran, "task %zu ran %d times, want %d", i,
                 h_trace_runs(trace, (int)i), ran);
    }
    check_results(10);
    H_ASSERT_EQ(h_trace_running(trace), 0);
    H_ASSERT_EQ(h_settled_threads(before, 200), before);
}

static void gather_edge_cases(void)
{
    make_tasks(1, ms_30);
    H_ASSERT_RC(run_gather(NULL, 0, NULL), 0);
    H_ASSERT_RC(run_sequential(NULL, 0, NULL), 0);
    H_ASSERT_RC(run_gather(NULL, 3, results), -EINVAL);
    H_ASSERT_RC(run_gather(tasks, 3, NULL), -EINVAL);
    H_ASSERT_RC(run_sequential(NULL, 3, results), -EINVAL);
    H_ASSERT_EQ(h_trace_count(trace), 0);
    H_ASSERT_RC_FATAL(run_gather(tasks, 1, results), 0);
    check_results(1);
    check_each_ran_once(1);
}

const struct h_suite h_suite = {
    .setup = setup,
    .teardown = teardown,
    .tests =
        (const struct h_test[]){
            { H_TEST(sequential_results_in_order, 1) },
            { H_TEST(sequential_runs_one_at_a_time, 1) },
            { H_TEST(gather_results_in_order, 1) },
            { H_TEST(gather_runs_all_at_once, 1) },
            { H_TEST(gather_takes_the_longest_task, 1) },
            { H_TEST(gather_keeps_failures_apart, 1) },
            { H_TEST(gather_leaves_no_thread_behind, 1) },
            { H_TEST(gather_sleeps_while_waiting, 1) },
            { H_TEST(gather_many_tasks, 1) },
            { H_TEST(gather_reports_thread_failure, 1) },
            { H_TEST(gather_edge_cases, 1) },
            { 0 },
        },
};
