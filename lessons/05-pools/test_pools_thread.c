/* test_pools_thread.c: lesson 05's tests of the thread pool, tpool (read-only: the grader uses
 * its own copy). Its speedup tests are in test_pools_speedup.c.
 */
#define _GNU_SOURCE /* gettid */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "pools.h"
#include "proc.h"
#include "test_pools.h"
#include "trace.h"

void tpool_map_in_order(void)
{
    int threads = h_count_threads();
    struct tpool *p;

    H_ASSERT_RC_FATAL(tpool_create(&p, 4), 0);
    H_ASSERT_RC(tpool_create(&(struct tpool *){ NULL }, 0), -EINVAL);
    reset_items(1000);
    H_ASSERT_RC(tpool_map(p, uneven_item, in, out, 1000), 0);
    check_answers(1000, 0);
    check_each_ran_once(1000);
    H_ASSERT_RC(tpool_map(p, uneven_item, NULL, NULL, 0), 0);
    H_ASSERT_RC(tpool_map(p, NULL, in, out, 1), -EINVAL);
    tpool_destroy(p);
    check_threads_back(threads);
}

static void count_up(void *arg)
{
    atomic_fetch_add((atomic_int *)arg, 1);
}

void tpool_never_more_workers(void)
{
    int threads = h_count_threads(), on_caller = 0, rc;
    atomic_int ran = 0;
    struct tpool *p;

    H_ASSERT_RC_FATAL(tpool_create(&p, 4), 0);
    H_ASSERT(h_count_threads() == threads + 4,
             "after tpool_create(4) the process has %d threads more, want 4",
             h_count_threads() - threads);
    reset_items(200);
    H_ASSERT_RC(tpool_map(p, sleep_1ms_item, in, out, 200), 0);
    for (int i = 0; i < 100; i++)
        H_ASSERT_RC_FATAL(tpool_submit(p, count_up, &ran), 0);
    H_ASSERT_RC(tpool_wait(p), 0);
    H_ASSERT_EQ(atomic_load(&ran), 100);
    H_ASSERT(h_trace_threads(trace) <= 4,
             "200 items ran on %d threads, want at most the 4 workers (a thread per task?)",
             h_trace_threads(trace));
    H_ASSERT(h_count_threads() == threads + 4,
             "after 300 tasks the process has %d threads more, want the 4 workers",
             h_count_threads() - threads);
    for (size_t i = 0; i < h_trace_count(trace); i++)
        on_caller += trace->spans[i].tid == gettid();
    H_ASSERT(on_caller == 0, "%d items ran on the thread that called tpool_map, want none",
             on_caller);
    check_answers(200, 0);
    tpool_destroy(p);
    check_threads_back(threads);
    /* A create that cannot start every worker leaves none behind. */
    if ((rc = h_limit_new_tasks(2)) == -EPERM) {
        puts("skipped the thread-failure check: running as root, where the limit does not "
             "apply");
        return;
    }
    H_ASSERT_RC_FATAL(rc, 0);
    H_ASSERT_RC(tpool_create(&p, 4), -EAGAIN);
    check_threads_back(threads);
}

/* ---- tasks for tpool_wait and tpool_destroy ---- */

static struct tpool *task_pool; /* where spawning tasks submit their follow-up */
static atomic_int finished, submit_errors;

static void late_task(void *arg)
{
    (void)arg;
    h_sleep_ms(30);
    atomic_fetch_add(&finished, 1);
}

/* Sleeps 30 ms; with a non-NULL arg, then queues a late_task of its own. */
static void early_task(void *arg)
{
    h_sleep_ms(30);
    if (arg && tpool_submit(task_pool, late_task, NULL) != 0)
        atomic_fetch_add(&submit_errors, 1);
    atomic_fetch_add(&finished, 1);
}

static void short_task(void *arg)
{
    (void)arg;
    h_sleep_ms(2);
    atomic_fetch_add(&finished, 1);
}

/* 50 ms of an idle pool, its CPU use measured. */
static int idle_pool(void *arg, struct h_usage *usage)
{
    (void)arg;
    h_usage_start(usage);
    h_sleep_ms(50);
    h_usage_stop(usage);
    return 0;
}

/* 8 tasks, 4 of which queue one more, and tpool_wait for all 12; its CPU use measured. */
static int wait_for_twelve(void *arg, struct h_usage *usage)
{
    (void)arg;
    atomic_store(&finished, 0);
    for (int i = 0; i < 8; i++)
        if (!H_ASSERT_RC(tpool_submit(task_pool, early_task, i % 2 ? task_pool : NULL), 0))
            return -1;
    h_usage_start(usage);
    if (!H_ASSERT_RC(tpool_wait(task_pool), 0))
        return -1;
    h_usage_stop(usage);
    if (!H_ASSERT(atomic_load(&finished) == 12,
                  "tpool_wait returned when %d of 12 tasks had finished (8 submitted, 4 more by "
                  "tasks): wait for the queue to empty and every running task to end",
                  atomic_load(&finished)))
        return -1;
    return H_ASSERT_EQ(atomic_load(&submit_errors), 0) ? 0 : -1;
}

void tpool_wait_waits_for_all(void)
{
    int threads = h_count_threads();

    H_ASSERT_RC_FATAL(tpool_create(&task_pool, 4), 0);
    H_ASSERT_MOSTLY_ASLEEP_BEST("a pool of 4 idle workers", idle_pool, NULL, 0.2);
    H_ASSERT_RC(tpool_wait(task_pool), 0); /* idle: returns at once */
    H_ASSERT_MOSTLY_ASLEEP_BEST("tpool_wait while 4 workers run sleeping tasks", wait_for_twelve,
                                NULL, 0.25);
    H_ASSERT_RC(tpool_wait(task_pool), 0);
    tpool_destroy(task_pool);
    check_threads_back(threads);
}

void tpool_destroy_finishes_queued(void)
{
    int threads = h_count_threads();
    struct tpool *p;

    /* Workers asleep on an empty queue must all wake up and leave: else this hangs. */
    for (int i = 0; i < 200; i++) {
        H_ASSERT_RC_FATAL(tpool_create(&p, 1 + i % 3), 0);
        tpool_destroy(p);
    }
    check_threads_back(threads);
    H_ASSERT_RC_FATAL(tpool_create(&p, 2), 0);
    for (int i = 0; i < 40; i++)
        H_ASSERT_RC_FATAL(tpool_submit(p, short_task, NULL), 0);
    tpool_destroy(p);
    H_ASSERT(atomic_load(&finished) == 40,
             "tpool_destroy returned when %d of 40 queued tasks had run: pools.h says it lets "
             "the workers finish every queued task",
             atomic_load(&finished));
    check_threads_back(threads);
}

/* ---- many threads using one pool at once ---- */

#define SUBMITTERS    4
#define PER_SUBMITTER 10000
#define MAPPERS       2
#define PER_MAPPER    3000

static atomic_int hits[SUBMITTERS * PER_SUBMITTER];
static long mapped[MAPPERS][PER_MAPPER];

struct user {
    struct tpool *pool;
    int id;
    int rc; /* the first error the thread met */
};

static void *submitter_main(void *arg)
{
    struct user *u = arg;

    for (int j = 0; j < PER_SUBMITTER && u->rc == 0; j++)
        u->rc = tpool_submit(u->pool, count_up, &hits[u->id * PER_SUBMITTER + j]);
    return NULL;
}

static void *mapper_main(void *arg)
{
    struct user *u = arg;

    u->rc = tpool_map(u->pool, answer, in, mapped[u->id], PER_MAPPER);
    return NULL;
}

void tpool_many_submitters(void)
{
    struct user users[SUBMITTERS + MAPPERS];
    pthread_t threads[SUBMITTERS + MAPPERS];
    int started = 0, wrong = 0;
    struct tpool *p;

    H_ASSERT_RC_FATAL(tpool_create(&p, 3), 0);
    reset_items(PER_MAPPER);
    for (int i = 0; i < SUBMITTERS + MAPPERS; i++) {
        users[i] = (struct user){ p, i < SUBMITTERS ? i : i - SUBMITTERS, 0 };
        if (pthread_create(&threads[i], NULL, i < SUBMITTERS ? submitter_main : mapper_main,
                           &users[i]) != 0)
            break;
        started++;
    }
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    H_ASSERT_EQ_FATAL(started, SUBMITTERS + MAPPERS);
    H_ASSERT_RC(tpool_wait(p), 0);
    for (int i = 0; i < SUBMITTERS + MAPPERS; i++)
        H_ASSERT(users[i].rc == 0, "thread %d's tpool_%s returned %s, want 0", i,
                 i < SUBMITTERS ? "submit" : "map", h_errname(users[i].rc));
    for (int i = 0; i < SUBMITTERS * PER_SUBMITTER; i++)
        wrong += atomic_load(&hits[i]) != 1;
    H_ASSERT(wrong == 0, "%d of %d tasks from %d threads did not run exactly once", wrong,
             SUBMITTERS * PER_SUBMITTER, SUBMITTERS);
    for (int m = 0; m < MAPPERS; m++)
        for (int i = 0; i < PER_MAPPER; i++)
            if (!H_ASSERT(mapped[m][i] == answer(i), "map %d, item %d: out is %ld, want %ld", m, i,
                          mapped[m][i], answer(i)))
                break;
    tpool_destroy(p);
}
