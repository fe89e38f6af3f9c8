/* test_pools.c: the graded tests of lesson 05 (read-only: the grader uses its own copy).
 *
 * The work items record when they ran, on which thread and in which process, into a trace that
 * lives in shared memory (forked workers record into it too). The tests count what happened
 * (threads and processes seen, tasks running at once, CPU time burned, descriptors open) rather
 * than trusting the results alone. Each test is one behaviour; its name says which.
 *
 * This file holds the suite table and what the tests share (declared in test_pools.h). The tests
 * themselves: test_pools_thread.c (the thread pool), test_pools_speedup.c (how much faster both
 * pools make CPU-bound and I/O-bound work), test_pools_process.c (the process pool).
 */
#include <string.h>

#include "check.h"
#include "clock.h"
#include "proc.h"
#include "suite.h"
#include "test_pools.h"
#include "trace.h"
#include "workload.h"

struct h_trace *trace;
long in[MAX_ITEMS], out[MAX_ITEMS];
int status[MAX_ITEMS];

long answer(long x)
{
    return 3 * x * x + 7;
}

void reset_items(size_t n)
{
    for (size_t i = 0; i < n; i++)
        in[i] = (long)i;
    memset(out, GARBAGE, sizeof(out));
    memset(status, GARBAGE, sizeof(status));
    h_trace_reset(trace);
}

void check_answers(size_t n, int statuses)
{
    for (size_t i = 0; i < n; i++) {
        int st = statuses ? status[i] : 0;

        if (!H_ASSERT(out[i] == answer((long)i) && st == 0,
                      "item %zu: out is %ld, status %s, want out %ld, status 0%s", i, out[i],
                      h_errname(st), answer((long)i),
                      n > 1 && out[i] == answer((long)(n - 1 - i))
                          ? " (results stored in the order they finished?)"
                          : ""))
            return;
    }
}

void check_each_ran_once(size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!H_ASSERT(h_trace_runs(trace, (int)i) == 1, "item %zu ran %d times, want once", i,
                      h_trace_runs(trace, (int)i)))
            return;
}

long uneven_item(long x)
{
    int span = h_trace_begin(trace, (int)x);

    if (x % 5 == 0)
        h_sleep_ms(1);
    h_trace_end(trace, span);
    return answer(x);
}

long sleep_1ms_item(long x)
{
    h_io_work(trace, (int)x, 1);
    return answer(x);
}

/* pthread_join returns as a thread's last act begins, and /proc may list the thread for a
 * moment after that: allow it 200 ms to vanish. */
void check_threads_back(int before)
{
    int64_t deadline = h_deadline_ms(200);
    int now;

    while ((now = h_count_threads()) > before && h_ms_left(deadline) > 0)
        h_sleep_ms(1);
    H_ASSERT(now == before, "%d threads more than before the pool: every worker must be joined",
             now - before);
}

void check_no_children(void)
{
    H_ASSERT(h_count_zombies() == 0, "%d worker processes were never reaped (zombies)",
             h_count_zombies());
    H_ASSERT(h_count_children() == 0, "%d child processes are left after ppool_destroy",
             h_count_children());
}

static int setup(void)
{
    return h_trace_create(&trace, 4 * MAX_ITEMS);
}

static void teardown(void)
{
    h_trace_destroy(trace);
}

const struct h_suite h_suite = {
    .setup = setup,
    .teardown = teardown,
    .tests =
        (const struct h_test[]){
            { H_TEST(tpool_map_in_order, 1), .timeout_ms = 4000 },
            { H_TEST(tpool_never_more_workers, 1), .timeout_ms = 4000 },
            { H_TEST(tpool_cpu_speedup, 1), .timeout_ms = 4000 },
            { H_TEST(tpool_io_speedup, 1), .timeout_ms = 4000 },
            { H_TEST(tpool_wait_waits_for_all, 1), .timeout_ms = 4000 },
            { H_TEST(tpool_destroy_finishes_queued, 1), .timeout_ms = 3000 },
            { H_TEST(tpool_many_submitters, 1), .timeout_ms = 4000 },
            { H_TEST(ppool_map_in_order, 1), .timeout_ms = 4000 },
            { H_TEST(ppool_never_more_workers, 1), .timeout_ms = 4000 },
            { H_TEST(ppool_cpu_speedup, 1), .timeout_ms = 4000 },
            { H_TEST(ppool_io_speedup, 1), .timeout_ms = 4000 },
            { H_TEST(ppool_crash_fails_only_that_item, 1), .timeout_ms = 4000 },
            { H_TEST(ppool_replaces_killed_worker, 1), .timeout_ms = 4000 },
            { H_TEST(ppool_no_fd_leaks, 1), .timeout_ms = 4000 },
            { 0 },
        },
};
