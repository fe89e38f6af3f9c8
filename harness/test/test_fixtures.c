/* test_fixtures.c: tests that misbehave on purpose, to prove the runner contains them.
 *
 * Each declares the verdict the runner must give it (.expect) and, where it matters, a piece
 * of text the verdict's message must hold. `make test` runs them with grade --mode solution,
 * which checks exactly that, and that a TIMEOUT comes within the time limit plus one second.
 * Nothing here may harm the machine if the runner failed to contain it: each is bounded by
 * itself (a fork bomb that stops after 2,047 processes at worst, output that stops at 1 MB).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>

#include "check.h"
#include "clock.h"
#include "proc.h"
#include "suite.h"

/* The fixtures that hang get a 1 s watchdog, to keep make test quick. */
#define SHORT_LIMIT_MS 1000

/* The name a left-behind child gives itself: "orphan-" and the runner's pid, so that runs of
 * the kit's tests side by side never see each other's orphans. */
static void orphan_name(char *buf, size_t size, pid_t runner)
{
    snprintf(buf, size, "orphan-%d", (int)runner);
}

/* In a process the test forked: take the orphan name, then wait to be killed. */
static void become_orphan(pid_t runner)
{
    char name[16];

    orphan_name(name, sizeof(name), runner);
    prctl(PR_SET_NAME, name);
    for (;;)
        pause();
}

static void fixture_passes(void)
{
    H_ASSERT_EQ(2 + 2, 4);
}

static void fixture_fails_with_values(void)
{
    int got = 3, want = 4;

    H_ASSERT_EQ(got, want);
}

static void fixture_reports_errno_names(void)
{
    H_ASSERT_RC(-ENOSYS, 0);
}

static void fixture_hangs_asleep(void)
{
    pause();
}

static void fixture_busy_loop(void)
{
    for (volatile unsigned long i = 0;; i++)
        ;
}

static void fixture_segfault(void)
{
    volatile int *p = NULL;

    *p = 1; // cppcheck-suppress nullPointer
}

static void fixture_abort(void)
{
    abort();
}

static void fixture_exit_zero_mid_test(void)
{
    exit(0);
}

static void fixture_underscore_exit(void)
{
    _exit(0);
}

static void fixture_ignores_sigterm(void)
{
    signal(SIGTERM, SIG_IGN);
    for (;;)
        pause();
}

/* A real fork bomb, bounded so that it is harmless even if containment fails: every process
 * forks children until fork fails or its generation reaches 10 (2,047 processes at worst),
 * then sleeps. With the runner's process limit, fork fails long before that. */
static void fixture_fork_bomb(void)
{
    int generation = 0, refused = 0;
    pid_t root = getpid();
    int64_t stop = h_deadline_ms(3000);

    while (generation < 10 && h_now_ns() < stop) {
        pid_t pid = fork();

        if (pid < 0) {
            refused = errno == EAGAIN;
            break;
        }
        if (pid == 0)
            generation++;
    }
    if (getpid() != root)
        for (;;)
            pause();
    H_ASSERT(refused, "fork was never refused: the process limit did not hold");
}

/* A child left running after the test passes: the runner must kill it and fail the test. */
static void fixture_leaves_child(void)
{
    pid_t runner = getppid(), pid = fork();

    H_ASSERT_FATAL(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0)
        become_orphan(runner);
}

/* The same, but the child leaves the process group first (setsid) and its parent dies. */
static void fixture_escapes_group(void)
{
    pid_t runner = getppid(), pid = fork();

    H_ASSERT_FATAL(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        if (fork() == 0) {
            setsid();
            become_orphan(runner);
        }
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    h_sleep_ms(50); /* let the grandchild call setsid before the test ends */
}

/* Runs after the two above: none of their children may still exist. */
static void fixture_no_orphans_survive(void)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    char name[16];
    int found = 0;

    orphan_name(name, sizeof(name), getppid());
    H_ASSERT_FATAL(d != NULL, "cannot read /proc");
    while ((e = readdir(d)) != NULL) {
        char path[300], comm[32] = "";
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
        if ((f = fopen(path, "re")) != NULL) {
            if (fgets(comm, sizeof(comm), f) && !strncmp(comm, name, strlen(name)))
                found++;
            fclose(f);
        }
    }
    closedir(d);
    H_ASSERT_EQ(found, 0);
}

/* 1 MB of output: cut to what the runner keeps, and the test still gets its verdict. */
static void fixture_floods_output(void)
{
    char line[100];

    memset(line, 'x', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\0';
    for (int i = 0; i < 10000; i++)
        puts(line);
    H_ASSERT_EQ(1, 2);
}

/* Prints until the runner stops it: the TIMEOUT must say it was printing, not guess at a
 * deadlock (a learner's pool that floods stdout was once told to look for one). */
static void fixture_prints_forever(void)
{
    char line[100];

    memset(line, 'y', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\0';
    for (;;)
        puts(line);
}

/* As root, the runner must not run tests as root: the process limit would not hold, and test
 * code could change anything on the machine. */
static void fixture_runs_unprivileged(void)
{
    H_ASSERT(geteuid() != 0, "the test runs as root");
    if (geteuid() != 0)
        H_ASSERT(setuid(0) != 0, "a test could become root again");
}

/* The test's process holds stdin, stdout, stderr and its report pipe, and nothing else of the
 * runner's: no results file, no other test's pipe, no copy of the binary. */
static void fixture_holds_only_its_descriptors(void)
{
    H_ASSERT_EQ(h_count_fds(), 4);
    H_ASSERT(fcntl(3, F_GETFD) >= 0, "descriptor 3, the report pipe, is not open");
}

static void fixture_fatal_stops_test(void)
{
    H_ASSERT_FATAL(0, "stopped here");
    H_ASSERT(0, "never reached");
}

const struct h_suite h_suite = {
    .tests =
        (const struct h_test[]){
            { H_TEST(fixture_passes, 1) },
            { H_TEST(fixture_fails_with_values, 1), .expect = H_FAIL,
              .expect_text = "got is 3, want 4" },
            { H_TEST(fixture_reports_errno_names, 1), .expect = H_FAIL, .expect_text = "-ENOSYS" },
            { H_TEST(fixture_hangs_asleep, 1), .timeout_ms = SHORT_LIMIT_MS, .expect = H_TIMEOUT,
              .expect_text = "asleep" },
            { H_TEST(fixture_busy_loop, 1), .timeout_ms = SHORT_LIMIT_MS, .expect = H_TIMEOUT,
              .expect_text = "busy loop" },
            { H_TEST(fixture_segfault, 1), .expect = H_CRASH, .expect_text = "SIGSEGV" },
            { H_TEST(fixture_abort, 1), .expect = H_CRASH, .expect_text = "SIGABRT" },
            { H_TEST(fixture_exit_zero_mid_test, 1), .expect = H_EXIT, .expect_text = "status 0" },
            { H_TEST(fixture_underscore_exit, 1), .expect = H_EXIT },
            { H_TEST(fixture_ignores_sigterm, 1), .timeout_ms = SHORT_LIMIT_MS,
              .expect = H_TIMEOUT },
            { H_TEST(fixture_fork_bomb, 1), .max_tasks = 64, .expect = H_FAIL,
              .expect_text = "left" },
            { H_TEST(fixture_leaves_child, 1), .expect = H_FAIL, .expect_text = "left 1 process" },
            { H_TEST(fixture_escapes_group, 1), .expect = H_FAIL, .expect_text = "left 1 process" },
            { H_TEST(fixture_no_orphans_survive, 1) },
            { H_TEST(fixture_floods_output, 1), .expect = H_FAIL, .expect_text = "want 2" },
            { H_TEST(fixture_prints_forever, 1), .timeout_ms = SHORT_LIMIT_MS, .expect = H_TIMEOUT,
              .expect_text = "printing in a loop" },
            { H_TEST(fixture_fatal_stops_test, 1), .expect = H_FAIL,
              .expect_text = "stopped here" },
            { H_TEST(fixture_runs_unprivileged, 1) },
            { H_TEST(fixture_holds_only_its_descriptors, 1) },
            { 0 },
        },
};
