/* test_pools.c: the graded tests of lesson 05 (read-only: the grader uses its own copy).
 *
 * The work items record when they ran, on which thread and in which process, into a trace that
 * lives in shared memory (forked workers record into it too). The tests count what happened
 * (threads and processes seen, tasks running at once, CPU time burned, descriptors open) rather
 * than trusting the results alone. Each test is one behaviour; its name says which.
 */
#define _GNU_SOURCE /* gettid */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "pools.h"
#include "proc.h"
#include "runner.h"
#include "trace.h"
#include "workload.h"

#define MAX_ITEMS   4096
#define GARBAGE     0x5A /* results start full of it: a slot nobody writes stays wrong */
#define CRASH_ABORT 13   /* items that kill their worker in ppool_crash_fails_only_that_item */
#define CRASH_KILL  150

static struct h_trace *trace;
static long in[MAX_ITEMS], out[MAX_ITEMS];
static int status[MAX_ITEMS];
static int64_t cpu_len;          /* numbers to test for a CPU item of about 10 ms */
static _Atomic long primes_sink; /* what CPU items count adds up here: none is optimised away */

/* What an item turns into: distinct for every item, never 0 or the garbage pattern. */
static long answer(long x)
{
    return 3 * x * x + 7;
}

/* in[i] = i, out[] and status[] full of garbage, the trace empty. */
static void reset_items(size_t n)
{
    for (size_t i = 0; i < n; i++)
        in[i] = (long)i;
    memset(out, GARBAGE, sizeof(out));
    memset(status, GARBAGE, sizeof(status));
    h_trace_reset(trace);
}

/* Checks out[i] == answer(i) (and status[i] == 0 if statuses); stops at the first wrong slot. */
static void check_answers(size_t n, int statuses)
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

/* Each item ran exactly once. */
static void check_each_ran_once(size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!H_ASSERT(h_trace_runs(trace, (int)i) == 1, "item %zu ran %d times, want once", i,
                      h_trace_runs(trace, (int)i)))
            return;
}

/* ---- the items: long fn(long), recorded in the trace ---- */

/* Every 5th item sleeps 1 ms: items finish out of input order. */
static long uneven_item(long x)
{
    int span = h_trace_begin(trace, (int)x);

    if (x % 5 == 0)
        h_sleep_ms(1);
    h_trace_end(trace, span);
    return answer(x);
}

static long sleep_1ms_item(long x)
{
    h_io_work(trace, (int)x, 1);
    return answer(x);
}

static long sleep_50ms_item(long x)
{
    h_io_work(trace, (int)x, 50);
    return answer(x);
}

/* Burns about 10 ms of CPU; returns the CPU time it used, in nanoseconds. */
static long cpu_item(long x)
{
    int64_t start = h_thread_cpu_ns();

    atomic_fetch_add(&primes_sink, h_cpu_work(trace, (int)x, H_CPU_BASE + x * cpu_len,
                                              H_CPU_BASE + (x + 1) * cpu_len));
    return (long)(h_thread_cpu_ns() - start);
}

static void cpu_setup(void)
{
    cpu_len = h_cpu_calibrate(10);
}

/* ---- parallelism: how many cores the items kept busy at once ----
 * The CPU time the items used, over the wall time of the map: counting, not timing. A busy
 * machine lowers it whatever the pool does, so each attempt also measures what plain threads
 * get right now (the same work, one thread per worker, no pool), and the pool must reach 0.7
 * of that. Best of three: the machine's load only ever makes a run look worse. */

struct cpu_run {
    int (*map)(void *pool, size_t n);
    void *pool;
    int workers;
    double pool_cores;  /* of the best attempt */
    double plain_cores; /* what plain threads got in that attempt */
};

static void *burn_main(void *arg)
{
    int64_t *cpu = arg, start = h_thread_cpu_ns();

    for (long x = 0; x < 8; x++)
        atomic_fetch_add(&primes_sink, h_cpu_work(NULL, 0, H_CPU_BASE + x * cpu_len,
                                                  H_CPU_BASE + (x + 1) * cpu_len));
    *cpu = h_thread_cpu_ns() - start;
    return NULL;
}

/* Cores that `workers` plain threads kept busy, each counting 8 items' primes. */
static double plain_cores(int workers)
{
    pthread_t threads[4];
    int64_t cpu[4] = { 0 }, start = h_now_ns(), sum = 0;
    int started = 0;

    while (started < workers &&
           pthread_create(&threads[started], NULL, burn_main, &cpu[started]) == 0)
        started++;
    for (int i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
        sum += cpu[i];
    }
    return (double)sum / (double)(h_now_ns() - start);
}

/* Cores the pool's map of 8 items per worker kept busy, or -1 if the map failed. */
static double pool_cores(struct cpu_run *r)
{
    size_t n = (size_t)(8 * r->workers);
    int64_t start, wall, sum = 0;

    reset_items(n);
    start = h_now_ns();
    if (r->map(r->pool, n) != 0)
        return -1;
    wall = h_now_ns() - start;
    for (size_t i = 0; i < n; i++)
        sum += out[i];
    return (double)sum / (double)wall;
}

static void check_parallelism(struct cpu_run *r)
{
    double best = -1;

    for (int i = 0; i < H_TRIES && best < 0.7; i++) {
        double plain = plain_cores(r->workers), pool = pool_cores(r);

        H_ASSERT_FATAL(pool >= 0, "the CPU-bound map failed");
        if (pool / plain > best) {
            best = pool / plain;
            r->pool_cores = pool;
            r->plain_cores = plain;
        }
    }
    H_ASSERT(best >= 0.7,
             "%d CPU-bound items on %d workers kept %.2f cores busy at once, while %d plain "
             "threads kept %.2f busy (best of %d): want at least 0.7 of that. Do the workers "
             "run items side by side?",
             8 * r->workers, r->workers, r->pool_cores, r->workers, r->plain_cores, H_TRIES);
    printf("%d workers kept %.2f cores busy (plain threads: %.2f)\n", r->workers, r->pool_cores,
           r->plain_cores);
}

/* Workers for a CPU-bound test: one per usable CPU, at most 4. */
static int cpu_workers(void)
{
    int cpus = h_cpus();

    return cpus < 4 ? cpus : 4;
}

/* ======================== the thread pool ======================== */

/* The process has `before` threads again. pthread_join returns as a thread's last act begins,
 * and /proc may list the thread for a moment after that: allow it 200 ms to vanish. */
static void check_threads_back(int before)
{
    int64_t deadline = h_deadline_ms(200);
    int now;

    while ((now = h_count_threads()) > before && h_ms_left(deadline) > 0)
        h_sleep_ms(1);
    H_ASSERT(now == before, "%d threads more than before the pool: every worker must be joined",
             now - before);
}

static int tmap(void *pool, size_t n)
{
    return tpool_map(pool, cpu_item, in, out, n);
}

static void tpool_map_in_order(void)
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

static void tpool_never_more_workers(void)
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

static void tpool_cpu_speedup(void)
{
    int workers = cpu_workers();
    struct cpu_run run = { .map = tmap, .workers = workers };
    struct tpool *p;

    cpu_setup();
    H_ASSERT_RC_FATAL(tpool_create(&p, workers), 0);
    run.pool = p;
    if (workers < 2) {
        reset_items(4);
        H_ASSERT_RC(tmap(p, 4), 0);
        puts("skipped: only one CPU is usable here, so CPU-bound work cannot speed up");
    } else {
        check_parallelism(&run);
        H_ASSERT(h_trace_peak(trace) == workers,
                 "at most %d CPU-bound items ran at once, want %d (one per worker)",
                 h_trace_peak(trace), workers);
        check_each_ran_once((size_t)(8 * workers));
    }
    tpool_destroy(p);
}

/* ---- I/O-bound: 32 items of 50 ms on 16 workers take two rounds, 100 ms, on any cores ---- */

struct io_run {
    int (*map)(void *pool);
    void *pool;
};

/* One attempt for h_best_time: seconds the map took, or -1 if it failed. */
static double io_attempt(void *arg)
{
    struct io_run *r = arg;
    int64_t start;

    reset_items(32);
    start = h_now_ns();
    if (r->map(r->pool) != 0)
        return -1;
    return h_ns_to_s(h_now_ns() - start);
}

static void check_io_speedup(struct io_run *r)
{
    double best = io_attempt(r);

    H_ASSERT_FATAL(best >= 0, "the map of 32 sleeping items failed");
    H_ASSERT_FATAL(h_trace_peak(trace) == 16, "at most %d of the items slept at once, want 16",
                   h_trace_peak(trace));
    check_answers(32, 0);
    check_each_ran_once(32);
    if (h_sanitized())
        return; /* no timing under sanitizers: the peak above says enough */
    if (best > 0.150) {
        double retried = h_best_time(io_attempt, r, 0.150);

        best = retried >= 0 && retried < best ? retried : best;
    }
    H_ASSERT_TIME_WITHIN("32 items of 50 ms on 16 workers", best, 0.100, 1.5);
}

static int tmap_io(void *pool)
{
    return tpool_map(pool, sleep_50ms_item, in, out, 32);
}

static void tpool_io_speedup(void)
{
    struct tpool *p;

    H_ASSERT_RC_FATAL(tpool_create(&p, 16), 0);
    check_io_speedup(&(struct io_run){ tmap_io, p });
    H_ASSERT_EQ(h_trace_threads(trace), 16);
    tpool_destroy(p);
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

static void tpool_wait_waits_for_all(void)
{
    int threads = h_count_threads();
    struct h_usage usage;

    H_ASSERT_RC_FATAL(tpool_create(&task_pool, 4), 0);
    h_usage_start(&usage);
    h_sleep_ms(50);
    h_usage_stop(&usage);
    H_ASSERT_MOSTLY_ASLEEP("a pool of 4 idle workers", usage, 0.2);
    H_ASSERT_RC(tpool_wait(task_pool), 0); /* idle: returns at once */
    for (int i = 0; i < 8; i++)
        H_ASSERT_RC_FATAL(tpool_submit(task_pool, early_task, i % 2 ? task_pool : NULL), 0);
    h_usage_start(&usage);
    H_ASSERT_RC(tpool_wait(task_pool), 0);
    h_usage_stop(&usage);
    H_ASSERT(atomic_load(&finished) == 12,
             "tpool_wait returned when %d of 12 tasks had finished (8 submitted, 4 more by "
             "tasks): wait for the queue to empty and every running task to end",
             atomic_load(&finished));
    H_ASSERT_EQ(atomic_load(&submit_errors), 0);
    H_ASSERT_MOSTLY_ASLEEP("tpool_wait while 4 workers run sleeping tasks", usage, 0.25);
    H_ASSERT_RC(tpool_wait(task_pool), 0);
    tpool_destroy(task_pool);
    check_threads_back(threads);
}

static void tpool_destroy_finishes_queued(void)
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

static void tpool_many_submitters(void)
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

/* ======================== the process pool ======================== */

static int pmap(void *pool, size_t n)
{
    return ppool_map(pool, cpu_item, in, out, status, n);
}

/* No child process left, running or zombie. */
static void check_no_children(void)
{
    H_ASSERT(h_count_zombies() == 0, "%d worker processes were never reaped (zombies)",
             h_count_zombies());
    H_ASSERT(h_count_children() == 0, "%d child processes are left after ppool_destroy",
             h_count_children());
}

/* The pool has exactly `want` worker processes, and none of them is a zombie. */
static void check_workers(int want)
{
    H_ASSERT(h_count_children() == want, "the pool has %d child processes, want %d workers",
             h_count_children(), want);
    H_ASSERT(h_count_zombies() == 0, "%d dead workers were never reaped (zombies)",
             h_count_zombies());
}

static long pid_item(long x)
{
    (void)x;
    return (long)getpid();
}

/* Counts, across processes, the runs of an atexit handler registered by the test process. A
 * worker must leave with _exit: exit would run the caller's handlers (and flush copies of its
 * stdio buffers) in every worker. Shared memory, never unmapped: the handler runs at the very
 * end of the test process too. */
static _Atomic int *exits_in_workers;
static pid_t test_pid;

static void note_exit(void)
{
    if (getpid() != test_pid)
        atomic_fetch_add(exits_in_workers, 1);
}

static void ppool_map_in_order(void)
{
    struct ppool *p;
    int wrong = 0;

    exits_in_workers = mmap(NULL, sizeof(*exits_in_workers), PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    H_ASSERT_FATAL(exits_in_workers != MAP_FAILED, "mmap: %s", strerror(errno));
    test_pid = getpid();
    H_ASSERT_RC_FATAL(atexit(note_exit), 0);
    H_ASSERT_RC_FATAL(ppool_create(&p, 3), 0);
    H_ASSERT_RC(ppool_create(&(struct ppool *){ NULL }, 0), -EINVAL);
    reset_items(1000);
    H_ASSERT_RC(ppool_map(p, uneven_item, in, out, status, 1000), 0);
    check_answers(1000, 1);
    check_each_ran_once(1000);
    H_ASSERT_RC(ppool_map(p, uneven_item, NULL, NULL, NULL, 0), 0);
    H_ASSERT_RC(ppool_map(p, NULL, in, out, status, 1), -EINVAL);
    reset_items(30);
    H_ASSERT_RC(ppool_map(p, pid_item, in, out, status, 30), 0);
    for (int i = 0; i < 30; i++)
        wrong += out[i] == (long)getpid() || status[i] != 0;
    H_ASSERT(wrong == 0, "%d of 30 items ran in the calling process, want every one in a worker",
             wrong);
    ppool_destroy(p);
    check_no_children();
    H_ASSERT(atomic_load(exits_in_workers) == 0,
             "%d workers ran the caller's atexit handlers: a worker must end with _exit, not "
             "exit or a return from main",
             atomic_load(exits_in_workers));
}

static void ppool_never_more_workers(void)
{
    int threads = h_count_threads(), fds = h_count_fds(), in_caller = 0, rc;
    struct ppool *p;

    H_ASSERT_RC_FATAL(ppool_create(&p, 3), 0);
    check_workers(3);
    reset_items(300);
    H_ASSERT_RC(ppool_map(p, sleep_1ms_item, in, out, status, 300), 0);
    check_answers(300, 1);
    memset(out, GARBAGE, sizeof(out)); /* the trace keeps both maps' spans */
    H_ASSERT_RC(ppool_map(p, sleep_1ms_item, in, out, status, 300), 0);
    check_answers(300, 1);
    H_ASSERT(h_trace_pids(trace) <= 3,
             "two maps of 300 items ran in %d processes, want at most the 3 workers (a fork "
             "per item, or per map?)",
             h_trace_pids(trace));
    for (size_t i = 0; i < h_trace_count(trace); i++)
        in_caller += trace->spans[i].pid == getpid();
    H_ASSERT(in_caller == 0, "%d items ran in the calling process, want none", in_caller);
    check_workers(3);
    ppool_destroy(p);
    check_no_children();
    check_threads_back(threads);
    H_ASSERT_EQ(h_count_fds(), fds);
    /* A create that cannot fork every worker leaves none behind. */
    if ((rc = h_limit_new_tasks(2)) == -EPERM) {
        puts("skipped the fork-failure check: running as root, where the limit does not apply");
        return;
    }
    H_ASSERT_RC_FATAL(rc, 0);
    H_ASSERT_RC(ppool_create(&p, 4), -EAGAIN);
    check_no_children();
    H_ASSERT_EQ(h_count_fds(), fds);
}

static void ppool_cpu_speedup(void)
{
    int workers = cpu_workers();
    struct cpu_run run = { .map = pmap, .workers = workers };
    struct ppool *p;

    cpu_setup();
    H_ASSERT_RC_FATAL(ppool_create(&p, workers), 0);
    run.pool = p;
    if (workers < 2) {
        reset_items(4);
        H_ASSERT_RC(pmap(p, 4), 0);
        puts("skipped: only one CPU is usable here, so CPU-bound work cannot speed up");
    } else {
        check_parallelism(&run);
        H_ASSERT(h_trace_peak(trace) == workers,
                 "at most %d CPU-bound items ran at once, want %d (one per worker)",
                 h_trace_peak(trace), workers);
        check_each_ran_once((size_t)(8 * workers));
    }
    ppool_destroy(p);
    check_no_children();
}

static int pmap_io(void *pool)
{
    return ppool_map(pool, sleep_50ms_item, in, out, status, 32);
}

static void ppool_io_speedup(void)
{
    struct ppool *p;

    H_ASSERT_RC_FATAL(ppool_create(&p, 16), 0);
    check_io_speedup(&(struct io_run){ pmap_io, p });
    H_ASSERT_EQ(h_trace_pids(trace), 16);
    ppool_destroy(p);
    check_no_children();
}

/* Kills its worker for two inputs: abort(), and a segmentation fault. */
static long crash_item(long x)
{
    int span = h_trace_begin(trace, (int)x);

    if (x == CRASH_ABORT)
        abort();
    if (x == CRASH_KILL) {
        signal(SIGSEGV, SIG_DFL); /* a sanitizer's handler would report it as a bug */
        raise(SIGSEGV);
    }
    h_trace_end(trace, span);
    return answer(x);
}

static void ppool_crash_fails_only_that_item(void)
{
    struct ppool *p;

    H_ASSERT_RC_FATAL(ppool_create(&p, 3), 0);
    reset_items(200);
    H_ASSERT_RC(ppool_map(p, crash_item, in, out, status, 200), -ECHILD);
    for (int i = 0; i < 200; i++) {
        int crashes = i == CRASH_ABORT || i == CRASH_KILL;

        if (crashes && !H_ASSERT(status[i] == -ECHILD,
                                 "item %d crashed its worker: status is "
                                 "%s, want -ECHILD",
                                 i, h_errname(status[i])))
            break;
        if (!crashes && !H_ASSERT(status[i] == 0 && out[i] == answer(i),
                                  "item %d: out %ld, status %s; want %ld, 0: only the items that "
                                  "crashed may fail",
                                  i, out[i], h_errname(status[i]), answer(i)))
            break;
    }
    check_each_ran_once(200);
    check_workers(3); /* the two dead workers were reaped and replaced */
    reset_items(4);
    for (int i = 0; i < 4; i++)
        in[i] = CRASH_ABORT;
    H_ASSERT_RC(ppool_map(p, crash_item, in, out, status, 4), -ECHILD);
    for (int i = 0; i < 4; i++)
        H_ASSERT(status[i] == -ECHILD, "status[%d] is %s, want -ECHILD", i, h_errname(status[i]));
    reset_items(100);
    H_ASSERT_RC(ppool_map(p, uneven_item, in, out, status, 100), 0);
    check_answers(100, 1);
    check_workers(3);
    ppool_destroy(p);
    check_no_children();
}

/* Whether process pid has closed its descriptors: reaped, or a zombie with no thread left
 * (a zombie's other threads, such as a sanitizer's, may still hold its pipes open). */
static int is_gone(pid_t pid)
{
    char path[64];
    int threads = 0;
    DIR *d;

    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    if (!(d = opendir(path)))
        return 1;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        char stat[600];
        FILE *f;

        if (e->d_name[0] == '.')
            continue;
        snprintf(stat, sizeof(stat), "%s/%s/stat", path, e->d_name);
        if ((f = fopen(stat, "re")) != NULL) {
            size_t len = fread(stat, 1, sizeof(stat) - 1, f);
            char *paren;

            stat[len] = '\0';
            paren = strrchr(stat, ')');
            threads += !paren || (paren[2] != 'Z' && paren[2] != 'X');
            fclose(f);
        }
    }
    closedir(d);
    return threads == 0;
}

/* A worker killed while it waits for work: the next map must go on without it, and must not
 * die of SIGPIPE writing to its pipe. */
static void ppool_replaces_killed_worker(void)
{
    int64_t deadline;
    struct ppool *p;
    pid_t victim;

    H_ASSERT_RC_FATAL(ppool_create(&p, 3), 0);
    reset_items(30);
    H_ASSERT_RC_FATAL(ppool_map(p, sleep_1ms_item, in, out, status, 30), 0);
    victim = trace->spans[0].pid;
    H_ASSERT_RC_FATAL(kill(victim, SIGKILL), 0);
    deadline = h_deadline_ms(2000);
    while (!is_gone(victim) && h_ms_left(deadline) > 0)
        h_sleep_ms(1);
    reset_items(300);
    H_ASSERT_RC(ppool_map(p, sleep_1ms_item, in, out, status, 300), 0);
    check_answers(300, 1);
    check_each_ran_once(300);
    for (size_t i = 0; i < h_trace_count(trace); i++)
        if (!H_ASSERT(trace->spans[i].pid != victim, "an item ran in the killed worker"))
            break;
    check_workers(3);
    ppool_destroy(p);
    check_no_children();
}

/* ---- descriptors: what the pool opens stays in the pool ---- */

static unsigned char fd_before[4096]; /* fds open before the pool was created */

/* Calls each(fd) for every open fd but the directory's own; returns how many. */
static int scan_fds(void (*each)(int fd, int *acc), int *acc)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    if (!d)
        return -errno;
    while ((e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);

        if (e->d_name[0] == '.' || fd == dirfd(d))
            continue;
        each(fd, acc);
        n++;
    }
    closedir(d);
    return n;
}

static void mark_before(int fd, int *acc)
{
    (void)acc;
    if (fd < (int)sizeof(fd_before))
        fd_before[fd] = 1;
}

/* Counts the fds opened since mark_before (acc[0]), and those of them that are not
 * close-on-exec (acc[1]). */
static void count_new(int fd, int *acc)
{
    struct rlimit limit;

    if (fd < (int)sizeof(fd_before) && fd_before[fd])
        return;
    /* At or above the limit: not the program's (valgrind keeps its own descriptors there). */
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && (rlim_t)fd >= limit.rlim_cur)
        return;
    acc[0]++;
    acc[1] += !(fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

/* Runs in a worker: 1000 x (the pool's fds it holds) + (those not close-on-exec). */
static long fd_item(long x)
{
    int acc[2] = { 0, 0 };

    h_io_work(trace, (int)x, 2);
    if (scan_fds(count_new, acc) < 0)
        return -1;
    return 1000L * acc[0] + acc[1];
}

static void ppool_no_fd_leaks(void)
{
    int fds = h_count_fds(), acc[2] = { 0, 0 };
    struct ppool *p;

    H_ASSERT_FATAL(scan_fds(mark_before, NULL) >= 0, "cannot read /proc/self/fd");
    H_ASSERT_RC_FATAL(ppool_create(&p, 4), 0);
    scan_fds(count_new, acc);
    H_ASSERT(acc[1] == 0, "%d of the pool's %d descriptors in the parent are not close-on-exec",
             acc[1], acc[0]);
    reset_items(64);
    H_ASSERT_RC(ppool_map(p, fd_item, in, out, status, 64), 0);
    for (int i = 0; i < 64; i++) {
        if (!H_ASSERT(status[i] == 0 && out[i] >= 0 && out[i] / 1000 <= 2,
                      "a worker holds %ld of the pool's descriptors, want its own 2: close the "
                      "other workers' pipes, and the parent's ends of its own",
                      out[i] / 1000))
            break;
        if (!H_ASSERT(out[i] % 1000 == 0,
                      "a worker holds %ld pool descriptors that are not close-on-exec",
                      out[i] % 1000))
            break;
    }
    ppool_destroy(p);
    check_no_children();
    H_ASSERT(h_count_fds() == fds, "%d descriptors more after ppool_destroy than before create",
             h_count_fds() - fds);
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
