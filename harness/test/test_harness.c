/* test_harness.c: unit tests of the harness's own parts (trace, timing checks, workloads,
 * counters). They run in `make test`, also under ThreadSanitizer and AddressSanitizer. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "proc.h"
#include "suite.h"
#include "trace.h"
#include "workload.h"

static struct h_trace *trace;

static int setup(void)
{
    return h_trace_create(&trace, 64);
}

static void teardown(void)
{
    h_trace_destroy(trace);
}

static void trace_peak_counts_overlap(void)
{
    int a = h_trace_begin(trace, 0), b = h_trace_begin(trace, 1), c;

    h_trace_end(trace, a);
    c = h_trace_begin(trace, 2); /* starts after a ended: b and c overlap, a and c do not */
    H_ASSERT_EQ(h_trace_running(trace), 2);
    h_trace_end(trace, b);
    h_trace_end(trace, c);
    H_ASSERT_EQ(h_trace_peak(trace), 2);
    H_ASSERT_EQ(h_trace_count(trace), 3);
    H_ASSERT_EQ(h_trace_running(trace), 0);
    H_ASSERT_EQ(h_trace_threads(trace), 1);
    H_ASSERT_EQ(h_trace_runs(trace, 1), 1);
    H_ASSERT_EQ(h_trace_is_sequential(trace), 0);
}

static void trace_sees_sequential_order(void)
{
    for (int i = 0; i < 4; i++)
        h_io_work(trace, i, 1);
    H_ASSERT_EQ(h_trace_is_sequential(trace), 1);
    H_ASSERT_EQ(h_trace_peak(trace), 1);
    H_ASSERT_GE(h_trace_makespan_ns(trace), 4 * H_NS_PER_MS);
}

static void trace_records_from_forked_child(void)
{
    pid_t pid = fork();
    int status = 0;

    H_ASSERT_FATAL(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        h_io_work(trace, 7, 1);
        _exit(0);
    }
    h_io_work(trace, 8, 1);
    H_ASSERT_EQ(waitpid(pid, &status, 0), pid);
    H_ASSERT_EQ(h_trace_count(trace), 2);
    H_ASSERT_EQ(h_trace_pids(trace), 2);
    H_ASSERT_EQ(h_trace_runs(trace, 7), 1);
}

static void trace_overflow_is_reported(void)
{
    for (int i = 0; i < 70; i++)
        h_trace_end(trace, h_trace_begin(trace, i));
    H_ASSERT_EQ(h_trace_count(trace), 64);
    H_ASSERT_EQ(h_trace_dropped(trace), 6);
    H_ASSERT(h_trace_runs(trace, 0) != 1, "an overflowing trace must not look like one run each");
}

static int attempts;

static double fixed_attempt(void *arg)
{
    attempts++;
    return *(double *)arg + attempts * 0.001; /* each later attempt a little slower */
}

static void best_time_stops_early_and_keeps_best(void)
{
    double base = 0.1;

    attempts = 0;
    H_ASSERT(h_best_time(fixed_attempt, &base, 0.2) < 0.102, "best of a fast first attempt");
    H_ASSERT_EQ(attempts, 1);
    attempts = 0;
    H_ASSERT(h_best_time(fixed_attempt, &base, 0.05) < 0.102, "keeps the best of three");
    H_ASSERT_EQ(attempts, H_TRIES);
}

static void cpu_work_matches_sieve(void)
{
    H_ASSERT_EQ(h_cpu_work(NULL, 0, 0, 100), 25);
    H_ASSERT_EQ(h_cpu_expected(0, 100), 25);
    H_ASSERT_EQ(h_cpu_work(NULL, 0, H_CPU_BASE, H_CPU_BASE + 3000),
                h_cpu_expected(H_CPU_BASE, H_CPU_BASE + 3000));
    H_ASSERT_GE(h_cpu_calibrate(5), 1);
}

/* This thread's CPU time, in nanoseconds. */
static int64_t thread_cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * H_NS_PER_S + ts.tv_nsec;
}

static void usage_tells_sleep_from_spin(void)
{
    struct h_usage sleeping, spinning;
    int64_t until, spun;

    h_usage_start(&sleeping);
    h_sleep_ms(50);
    h_usage_stop(&sleeping);
    /* Spin until this thread has burnt 20 ms of CPU, however long that takes: on a busy machine
     * a spinning thread gets only its share of a core, so its CPU per wall second proves
     * nothing; what it burnt, h_usage must count. */
    h_usage_start(&spinning);
    spun = thread_cpu_ns();
    for (until = h_deadline_ms(5000); thread_cpu_ns() - spun < 20 * H_NS_PER_MS;)
        if (h_now_ns() >= until)
            break;
    spun = thread_cpu_ns() - spun;
    h_usage_stop(&spinning);
    H_ASSERT_GE(sleeping.wall_ns, 50 * H_NS_PER_MS);
    H_ASSERT(sleeping.cpu_ns * 5 < sleeping.wall_ns, "sleeping used %lld ns of CPU",
             (long long)sleeping.cpu_ns);
    H_ASSERT(spun >= 20 * H_NS_PER_MS, "spinning for 5 s burnt only %lld ns of CPU",
             (long long)spun);
    H_ASSERT(spinning.cpu_ns >= spun, "spinning burnt %lld ns of CPU, h_usage counted %lld",
             (long long)spun, (long long)spinning.cpu_ns);
}

static void *sleeper(void *arg)
{
    (void)arg;
    h_sleep_ms(100);
    return NULL;
}

static void counts_threads_children_zombies(void)
{
    int threads = h_count_threads(), fds = h_count_fds();
    pthread_t t;
    pid_t pid;

    H_ASSERT_RC_FATAL(pthread_create(&t, NULL, sleeper, NULL), 0);
    H_ASSERT_EQ(h_count_threads(), threads + 1);
    H_ASSERT_RC(pthread_join(t, NULL), 0);
    H_ASSERT_EQ(h_settled_threads(threads, 200), threads);
    H_ASSERT_EQ(h_count_children(), 0);
    pid = fork();
    H_ASSERT_FATAL(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0)
        _exit(0);
    H_ASSERT_EQ(h_count_children(), 1);
    while (h_count_zombies() == 0)
        h_sleep_ms(1); /* the child exits on its own; the runner's watchdog bounds this */
    H_ASSERT_EQ(waitpid(pid, NULL, 0), pid);
    H_ASSERT_EQ(h_count_zombies(), 0);
    H_ASSERT_EQ(h_count_fds(), fds);
    H_ASSERT_GE(h_cpus(), 1);
}

static void errnames_are_readable(void)
{
    H_ASSERT(!strcmp(h_errname(-ETIMEDOUT), "-ETIMEDOUT"), "%s", h_errname(-ETIMEDOUT));
    H_ASSERT(!strcmp(h_errname(0), "0"), "%s", h_errname(0));
    H_ASSERT(!strcmp(h_errname(-4000), "-4000"), "%s", h_errname(-4000));
}

const struct h_suite h_suite = {
    .setup = setup,
    .teardown = teardown,
    .tests =
        (const struct h_test[]){
            { H_TEST(trace_peak_counts_overlap, 1) },
            { H_TEST(trace_sees_sequential_order, 1) },
            { H_TEST(trace_records_from_forked_child, 1) },
            { H_TEST(trace_overflow_is_reported, 1) },
            { H_TEST(best_time_stops_early_and_keeps_best, 1) },
            { H_TEST(cpu_work_matches_sieve, 1) },
            { H_TEST(usage_tells_sleep_from_spin, 1) },
            { H_TEST(counts_threads_children_zombies, 1) },
            { H_TEST(errnames_are_readable, 1) },
            { 0 },
        },
};
