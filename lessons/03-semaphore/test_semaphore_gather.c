/* test_semaphore_gather.c: lesson 03, part 2: gather_limited.
 *
 * Each batch of tasks runs through gather_limited on a thread of its own (struct batch, an
 * h_call), so that one that never returns fails with a message. The tasks sleep and record
 * when they ran in a trace, from which the tests count how many ran at once (the peak), how
 * often each ran, and how much of the limit's places were left empty.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "call.h"
#include "check.h"
#include "clock.h"
#include "csem.h"
#include "proc.h"
#include "test_semaphore.h"
#include "trace.h"
#include "workload.h"

#define MAX_TASKS    32
#define NOT_WRITTEN  77777 /* a result slot's status before the call: never written */
#define GATHER_LIMIT 5000  /* ms gather_limited may take before the test gives up on it */

#define HOLD_MS 300 /* how long the first tasks wait for each other (see h_io_work_meeting) */

struct sleeper {
    struct h_trace *trace;
    int index;
    int ms;     /* how long the task sleeps */
    int status; /* what it returns */
    int meet;   /* how many tasks should be able to run at once: min(limit, n) */
};

static int sleeper_fn(void *arg, long *value)
{
    const struct sleeper *p = arg;

    h_io_work_meeting(p->trace, p->index, p->ms, p->meet, HOLD_MS);
    *value = 1000 + p->index;
    return p->status;
}

/* One call of gather_limited: its tasks, their trace, and what it gave back. */
struct batch {
    struct h_call call; /* first: a batch is a call */
    size_t n, limit;
    struct h_trace *trace;
    struct sleeper args[MAX_TASKS];
    struct task tasks[MAX_TASKS];
    struct task_result results[MAX_TASKS];
    char what[64]; /* "gather_limited(16 tasks, limit 4)", for messages */
    int rc;
    int64_t took_ns;
};

/* n tasks that each sleep ms and succeed, for gather_limited under limit. */
static struct batch *batch_create(size_t n, size_t limit, int ms)
{
    struct batch *b = calloc(1, sizeof(*b));

    H_ASSERT_FATAL(b != NULL, "out of memory");
    H_ASSERT_RC_FATAL(h_trace_create(&b->trace, 4 * MAX_TASKS), 0);
    b->n = n;
    b->limit = limit;
    for (size_t i = 0; i < n; i++) {
        b->args[i] = (struct sleeper){
            .trace = b->trace, .index = (int)i, .ms = ms, .meet = (int)(limit < n ? limit : n)
        };
        b->tasks[i] = (struct task){ .fn = sleeper_fn, .arg = &b->args[i] };
    }
    return b;
}

static void batch_destroy(struct batch *b)
{
    h_trace_destroy(b->trace);
    free(b);
}

static void gather_fn(struct h_call *c)
{
    struct batch *b = (struct batch *)c;
    int64_t start = h_now_ns();

    b->rc = gather_limited(b->tasks, b->n, b->limit, b->results);
    b->took_ns = h_now_ns() - start;
}

/* Runs gather_limited over b on a thread of its own. If it has not returned after
 * GATHER_LIMIT ms, the test fails (and b stays with the stuck thread). */
static void batch_run(struct batch *b)
{
    int threads = h_count_threads(), after, limit_ms = GATHER_LIMIT * (h_sanitized() ? 3 : 1);

    snprintf(b->what, sizeof(b->what), "gather_limited(%zu tasks, limit %zu)", b->n, b->limit);
    h_trace_reset(b->trace);
    for (size_t i = 0; i < MAX_TASKS; i++)
        b->results[i] = (struct task_result){ .status = NOT_WRITTEN, .value = -1 };
    H_ASSERT_RC_FATAL(h_call_start(&b->call, gather_fn), 0);
    H_ASSERT_FATAL(h_call_wait(&b->call, limit_ms),
                   "%s had not returned after %d ms: does a task wait for a permit that never "
                   "comes back?",
                   b->what, limit_ms);
    h_call_join(&b->call);
    after = h_settled_threads(threads, 20); /* a joined thread can linger in /proc */
    H_ASSERT(after == threads,
             "%d threads after %s returned, %d before: join every thread it starts", after, b->what,
             threads);
}

/* Every task ran once, and its outcome is in its own slot. Reports the first wrong one. */
static void check_results(const struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        const struct sleeper *a = &b->args[i];
        long want = a->status == 0 ? 1000 + a->index : 0;
        int runs = h_trace_runs(b->trace, a->index);

        if (!H_ASSERT(runs == 1, "task %zu ran %d times, want once", i, runs) ||
            !H_ASSERT(b->results[i].status == a->status && b->results[i].value == want,
                      "results[%zu] is { status %d, value %ld }, want { %d, %ld }%s", i,
                      b->results[i].status, b->results[i].value, a->status, want,
                      b->results[i].status == NOT_WRITTEN ? " (never written)" : ""))
            return;
    }
}

/* At most want tasks ran at once, and at some moment exactly want did. */
static void check_peak(const struct batch *b, int want)
{
    int peak = h_trace_peak(b->trace);

    H_ASSERT(peak == want, "%zu tasks under limit %zu: at most %d ran at once, want exactly %d%s",
             b->n, b->limit, peak, want,
             peak > want ? ": more than the limit (an off-by-one?)"
                         : ": fewer, so tasks waited for no reason (one at a time? in batches?)");
}

void gather_limited_peak_is_limit(void)
{
    struct batch *b = batch_create(16, 4, 50);

    batch_run(b);
    CALL_RC_FATAL(b, 0);
    check_results(b);
    check_peak(b, 4);
    batch_destroy(b);
}

/* One run of 10 tasks of 60 ms under limit 4: 3 rounds. Returns seconds, or -1 if the call
 * failed or broke the limit (the test then says how). */
static double rounds_attempt(void *arg)
{
    struct batch *b = arg;

    batch_run(b);
    if (b->rc != 0 || h_trace_peak(b->trace) != (int)b->limit)
        return -1;
    return h_ns_to_s(b->took_ns);
}

/* The share of the limit's places left empty from the first task's start to the last one's:
 * while tasks wait, every place should be taken, whatever their lengths. 0 is a perfect
 * window; tasks run in batches leave the places of the short ones empty. */
static double idle_share(const struct batch *b)
{
    size_t n = h_trace_count(b->trace);
    int64_t first = INT64_MAX, last = 0, busy = 0;

    for (size_t i = 0; i < n; i++) {
        int64_t start = atomic_load(&b->trace->spans[i].start_ns);

        first = start < first ? start : first;
        last = start > last ? start : last;
    }
    if (n == 0 || last <= first)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int64_t start = atomic_load(&b->trace->spans[i].start_ns);
        int64_t end = atomic_load(&b->trace->spans[i].end_ns);

        end = end < last ? end : last;
        busy += end > start ? end - start : 0;
    }
    return 1 - (double)busy / ((double)b->limit * (double)(last - first));
}

void gather_limited_time_near_rounds(void)
{
    static const int mixed_ms[] = { 20, 60, 100 };
    struct batch *b = batch_create(10, 4, 60);
    double took, idle = 1;

    /* Equal tasks: ceil(10 / 4) = 3 rounds of 60 ms. */
    took = h_sanitized() ? rounds_attempt(b) : h_best_time(rounds_attempt, b, 0.180 * 1.5);
    CALL_RC_FATAL(b, 0);
    check_peak(b, 4);
    if (!h_sanitized())
        H_ASSERT_TIME_WITHIN("10 tasks of 60 ms under limit 4 (3 rounds)", took, 0.180, 1.5);
    batch_destroy(b);
    /* Unequal tasks: a new one starts as soon as any one ends, not when a whole batch has. */
    b = batch_create(12, 3, 0);
    for (size_t i = 0; i < b->n; i++)
        b->args[i].ms = mixed_ms[i % 3];
    for (int i = 0; i < (h_sanitized() ? 1 : H_TRIES) && idle > 0.15; i++) {
        batch_run(b);
        CALL_RC_FATAL(b, 0);
        idle = idle_share(b) < idle ? idle_share(b) : idle;
    }
    if (!h_sanitized())
        H_ASSERT(idle <= 0.15,
                 "12 tasks of 20, 60 and 100 ms under limit 3: %.0f%% of the time, places were "
                 "left empty while tasks waited (best of %d), allowed 15%%: start the next task "
                 "as soon as any one ends, not when a whole batch has",
                 100 * idle, H_TRIES);
    batch_destroy(b);
}

void gather_limited_failed_tasks_return_permits(void)
{
    struct batch *b = batch_create(12, 3, 30);

    for (size_t i = 0; i < b->n; i += 2) {
        b->args[i].status = i % 4 ? -EIO : -ECONNREFUSED;
        b->args[i].ms = 10;
    }
    batch_run(b);
    CALL_RC_FATAL(b, 0);
    check_results(b);
    check_peak(b, 3);
    batch_destroy(b);
}

void gather_limited_limit_1_and_above_n(void)
{
    struct batch *b = batch_create(5, 1, 20);

    batch_run(b);
    CALL_RC_FATAL(b, 0);
    check_results(b);
    check_peak(b, 1);
    batch_destroy(b);

    b = batch_create(6, 64, 50);
    batch_run(b);
    CALL_RC_FATAL(b, 0);
    check_results(b);
    check_peak(b, 6);
    batch_destroy(b);

    b = batch_create(6, 0, 10);
    batch_run(b);
    CALL_RC(b, -EINVAL);
    H_ASSERT_EQ(h_trace_count(b->trace), 0);
    batch_destroy(b);
    H_ASSERT_RC(gather_limited(NULL, 3, 2, NULL), -EINVAL);
    H_ASSERT_RC(gather_limited(NULL, 0, 2, NULL), 0);
}
