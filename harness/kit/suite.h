/* suite.h: how a test file declares its tests.
 *
 * A test binary is a lesson's test files, the code under test, the kit and the runner's test
 * main (harness/runner/testmain.c). The test file defines one `h_suite` naming its tests, the
 * points each is worth and, where the default will not do, its own time limit:
 *
 *     static void gather_results_in_order(void) { ... }
 *
 *     const struct h_suite h_suite = {
 *         .tests = (const struct h_test[]){
 *             { H_TEST(gather_results_in_order, 2) },
 *             { H_TEST(gather_many_tasks, 1), .timeout_ms = 20000 },
 *             { 0 },
 *         },
 *     };
 *
 * The runner runs each test in a process of its own, started afresh from the binary (its own
 * process group, unprivileged, a wall-clock watchdog, CPU, process and memory limits, no
 * descriptor but stdio and its report pipe, its output captured and capped), and gives each a
 * verdict: PASS, FAIL, CRASH, TIMEOUT, EXIT or SKIP. Tests assert with check.h.
 */
#ifndef H_SUITE_H
#define H_SUITE_H

/* A test's verdict, as the runner gives it. */
enum h_verdict {
    H_PASS,    /* the test ran to its end and every assertion held */
    H_FAIL,    /* an assertion failed, or a check after the test did (leftovers, sanitizer) */
    H_CRASH,   /* a signal ended the test: SIGSEGV, SIGABRT, the CPU limit... */
    H_TIMEOUT, /* the watchdog ended it: a deadlock, a wait nobody wakes, or a busy loop */
    H_EXIT,    /* the process ended (exit, _exit, return from a thread...) before the test did */
    H_SKIP,    /* the test could not be judged here (one CPU, say), and said why: h_skip. Its
                * points leave the maximum: a skipped test neither earns nor loses them */
};

#define H_DEFAULT_TIMEOUT_MS 10000 /* a test's wall-clock limit unless it sets its own */

/* One test. Only fn, name and points are required. */
struct h_test {
    void (*fn)(void); /* the test body; asserts on the calling thread only */
    const char *name; /* topic_behaviour, as the learner sees it */
    int points;       /* what it is worth when it passes */
    int timeout_ms;   /* wall-clock limit; 0 means H_DEFAULT_TIMEOUT_MS */
    int max_tasks;    /* processes + threads the test may add; 0 means the runner's default */
    /* For the harness's own fixtures only: the verdict this test must get, and a piece of text
     * its message must contain. Graded lessons leave these zero (PASS). */
    enum h_verdict expect;
    const char *expect_text;
};

#define H_TEST(fn_, points_) .fn = (fn_), .name = #fn_, .points = (points_)

/* The test file's one suite. setup and teardown (both optional) run in the test's own process,
 * around every test; setup returns 0, or a negative errno, which fails the test. */
struct h_suite {
    const struct h_test *tests; /* ends with an entry whose fn is NULL */
    int (*setup)(void);
    void (*teardown)(void);
};

/* Defined by each test file. */
extern const struct h_suite h_suite;

/* Says that this test cannot be judged on this machine, and why ("one CPU: no speedup to
 * measure"); the test function should return right after. A test that also failed a check
 * is a FAIL, not a SKIP: check what can be checked first, skip only what cannot. */
void h_skip(const char *why);

/* The reason given to h_skip in this process, or NULL. For the runner's test main. */
const char *h_skip_reason(void);

#endif
