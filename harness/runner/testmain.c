/* testmain.c: main() of every test binary.
 *
 *     test_gather                run every test, each in a process of its own
 *     test_gather NAME...        run only these tests
 *     test_gather -v             also show the output of tests that pass
 *     test_gather --list         list the tests, their points and time limits
 *     test_gather --manifest     the same for programs (run.h: one tab-separated line a test)
 *     test_gather --run NAME     (the runner's: run one test in this process, report on fd 3)
 *
 * Run by hand, the binary is its own runner: it starts each test afresh from itself with
 * --run, contained (run.h, isolate.h), and prints a line per test as it finishes. The grader
 * does the same from outside, so that nothing of the code under test ever runs in the grader's
 * process. The lesson's name is the name of the folder the binary sits in.
 * Exit status: 0 if every test that ran passed (or was skipped), 1 if not, 2 on a usage or
 * system error.
 */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <CUnit/TestRun.h>
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock.h"
#include "report.h"
#include "run.h"
#include "suite.h"
#include "sysinfo.h"
#include "ui.h"

/* Weak, so that main can tell the list binary (which links no base) from a runnable one. */
#pragma weak h_sanitized

#ifdef __has_feature
#if __has_feature(address_sanitizer)
#define H_ASAN 1
#endif
#endif
#ifdef __SANITIZE_ADDRESS__
#define H_ASAN 1
#endif
#ifdef H_ASAN
#include <sanitizer/lsan_interface.h>
#endif

/* Defined by the chaos scheduler when it is linked in (kit/chaos.c): seeds it for this test. */
extern void h_chaos_start(const char *seed) __attribute__((weak));

static void *note_tid(void *arg)
{
    *(pid_t *)arg = gettid();
    return NULL;
}

/* ThreadSanitizer starts a background thread of its own along with the first thread the
 * program creates. Start it now, so that it does not appear in the middle of a test that
 * counts threads or limits how many may start. The thread made for that is joined, and then
 * waited for until it has left /proc/self/task too (it stays listed for a moment after the
 * join): a test that counted it in its baseline would later find one thread "missing". */
static void settle_sanitizer(void)
{
    char path[64];
    pthread_t t;
    pid_t tid = 0;
    int64_t give_up = h_deadline_ms(1000);

    if (!h_sanitized() || pthread_create(&t, NULL, note_tid, &tid) != 0)
        return;
    pthread_join(t, NULL);
    snprintf(path, sizeof(path), "/proc/self/task/%d", (int)tid);
    while (access(path, F_OK) == 0 && h_now_ns() < give_up)
        h_sleep_ms(1);
}

static int count_tests(void)
{
    int n = 0;

    while (h_suite.tests[n].fn)
        n++;
    return n;
}

static const struct h_test *find_test(const char *name)
{
    for (const struct h_test *t = h_suite.tests; t->fn; t++)
        if (!strcmp(t->name, name))
            return t;
    return NULL;
}

/* ---- where a crash happened ----
 * A plain build has no sanitizer to say where a segfault was. On a crash signal the test's
 * process writes its stack, as offsets into this binary, on one line ("crash trace: 1a2b ..."),
 * then dies of the same signal; the runner turns the offsets into file:line with addr2line. */
static void *exe_base;
static char alt_stack[64 * 1024]; /* a stack overflow leaves no stack for the handler */

static void on_crash(int sig)
{
    void *frames[32];
    char line[900];
    int n = backtrace(frames, 32), len = snprintf(line, sizeof(line), "crash trace:");

    /* Frame 0 is this handler and frame 1 the C library's return from it: the crash is at
     * frame 2, an exact address; later frames are return addresses, which point just after
     * their call, so step back a byte into it. */
    for (int i = 2; i < n && len < (int)sizeof(line) - 24; i++) {
        Dl_info info;

        if (dladdr(frames[i], &info) && info.dli_fbase == exe_base)
            len += snprintf(line + len, sizeof(line) - (size_t)len, " %lx",
                            (unsigned long)((char *)frames[i] - (char *)exe_base - (i > 2)));
    }
    line[len++] = '\n';
    while (write(STDERR_FILENO, line, (size_t)len) < 0 && errno == EINTR)
        ;
    raise(sig); /* SA_RESETHAND: now the default action, a crash the runner sees as one */
}

static void note_crashes(void)
{
    static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL };
    stack_t ss = { .ss_sp = alt_stack, .ss_size = sizeof(alt_stack) };
    struct sigaction sa = { .sa_handler = on_crash, .sa_flags = SA_RESETHAND | SA_ONSTACK };
    Dl_info info;
    void *warm[1];

    if (h_sanitized() || !dladdr((void *)note_crashes, &info))
        return; /* a sanitizer says where, better */
    exe_base = info.dli_fbase;
    backtrace(warm, 1); /* the first call loads libgcc: not in a signal handler */
    sigemptyset(&sa.sa_mask);
    if (sigaltstack(&ss, NULL) != 0)
        return;
    for (size_t i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
        sigaction(sigs[i], &sa, NULL);
}

/* --run NAME: this process is the test's, contained by the runner; the report pipe is fd 3.
 * Setup, the test under CUnit, teardown, then the records. */
static int run_here(const char *name, const char *seed)
{
    const struct h_test *t = find_test(name);
    CU_pSuite suite;
    CU_pTest test;
    CU_pFailureRecord f;
    struct rlimit nproc;
    int have_nproc = getrlimit(RLIMIT_NPROC, &nproc) == 0, rc;

    if (fcntl(H_REPORT_FD, F_GETFD) < 0) {
        fprintf(stderr,
                "--run is for the runner, which gives the test its report pipe on "
                "descriptor %d: run the binary without it\n",
                H_REPORT_FD);
        return 2;
    }
    if (!t) {
        h_report_failure(H_REPORT_FD, "runner", 0, "no such test in this binary");
        h_report_end(H_REPORT_FD);
        return 0;
    }
    if (CU_initialize_registry() != CUE_SUCCESS || !(suite = CU_add_suite("lesson", NULL, NULL)) ||
        !(test = CU_add_test(suite, t->name, t->fn))) {
        h_report_failure(H_REPORT_FD, "runner", 0, "cannot set up CUnit (out of memory?)");
        h_report_end(H_REPORT_FD);
        return 0;
    }
    settle_sanitizer();
    note_crashes();
    if (seed && h_chaos_start)
        h_chaos_start(seed);
    if (h_suite.setup && (rc = h_suite.setup()) < 0) {
        char msg[160];

        snprintf(msg, sizeof(msg), "the suite's setup failed (%s) before the test could run",
                 strerror(-rc));
        h_report_failure(H_REPORT_FD, "setup", 0, msg);
    } else {
        /* The core runner, not CUnit's "basic" interface: it prints nothing of its own. */
        CU_run_test(suite, test);
        if (h_suite.teardown)
            h_suite.teardown();
    }
    for (f = CU_get_failure_list(); f; f = f->pNext)
        h_report_failure(H_REPORT_FD, f->strFileName ? f->strFileName : "?", f->uiLineNumber,
                         f->strCondition ? f->strCondition : "failed");
    if (h_skip_reason())
        h_report_skip(H_REPORT_FD, h_skip_reason());
    /* A test may lower its own process limit (to see how code copes with pthread_create
     * failing); put it back, since LeakSanitizer's check below needs a thread of its own. */
    if (have_nproc)
        setrlimit(RLIMIT_NPROC, &nproc);
#ifdef H_ASAN
    /* Ending with _exit skips LeakSanitizer's check at exit, so run it here, per test. */
    if (__lsan_do_recoverable_leak_check() != 0)
        h_report_failure(H_REPORT_FD, "LeakSanitizer", 0, "memory leaked (see the output)");
#endif
    fflush(NULL);
    h_report_end(H_REPORT_FD);
    /* _exit: the code under test's atexit handlers and destructors are not the test's. */
    _exit(0);
}

static void list_tests(const struct h_target *target)
{
    for (const struct h_test *t = h_suite.tests; t->fn; t++) {
        struct h_listed l = { .timeout_ms = t->timeout_ms };

        printf("%-44s %3d point%s %6.1f s\n", t->name, t->points, t->points == 1 ? " " : "s",
               h_limit_of(target, &l) / 1e3);
    }
}

struct options {
    int list, verbose;
    char **names; /* tests named on the command line, or none: all */
    int n_names;
};

static int parse_options(int argc, char **argv, struct options *opt)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--list") || !strcmp(argv[i], "-l")) {
            opt->list = 1;
        } else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
            opt->verbose = 1;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: %s [--list] [--manifest] [-v] [TEST...]\n", argv[0]);
            return -EINVAL;
        } else {
            opt->names = &argv[i];
            opt->n_names = argc - i;
            break;
        }
    }
    /* A misspelt name would otherwise run nothing and "pass". */
    for (int i = 0; i < opt->n_names; i++) {
        if (!find_test(opt->names[i])) {
            fprintf(stderr, "%s: no test named %s (try --list)\n", argv[0], opt->names[i]);
            return -EINVAL;
        }
    }
    return 0;
}

static int wanted(const char *name, const struct options *opt)
{
    for (int i = 0; i < opt->n_names; i++)
        if (!strcmp(opt->names[i], name))
            return 1;
    return opt->n_names == 0;
}

/* Run by hand: this binary is the runner of its own tests. */
static int run_all(const char *lesson, struct h_target *target, const struct options *opt)
{
    static struct h_outcome o; /* large: keep it off the stack */
    int failed = 0, ran = 0, score = 0, max = 0, rc;
    struct h_listed l;

    for (const struct h_test *t = h_suite.tests; t->fn; t++)
        if (wanted(t->name, opt))
            max += t->points;
    h_ui_lesson(lesson, opt->n_names ? opt->n_names : count_tests(), max);
    for (const struct h_test *t = h_suite.tests; t->fn; t++) {
        if (!wanted(t->name, opt))
            continue;
        l = (struct h_listed){ .points = t->points,
                               .timeout_ms = t->timeout_ms,
                               .max_tasks = t->max_tasks,
                               .expect = t->expect };
        snprintf(l.name, sizeof(l.name), "%s", t->name);
        h_ui_test_start(&l);
        if ((rc = h_run_test(target, &l, &o)) < 0) {
            fprintf(stderr, "cannot run a test: %s\n", strerror(-rc));
            return -1;
        }
        h_ui_test_end(&l, &o, opt->verbose);
        ran++;
        failed += o.verdict != H_PASS && o.verdict != H_SKIP;
        score += o.verdict == H_PASS ? t->points : 0;
        max -= o.verdict == H_SKIP ? t->points : 0;
    }
    h_ui_lesson_end(score, max, ran, failed);
    return failed;
}

int main(int argc, char **argv)
{
    struct options opt = { 0 };
    struct h_target target = { .slow = 1 };
    char self[4096];
    const char *lesson;
    int rc;

    if (argc >= 2 && !strcmp(argv[1], "--manifest")) {
        h_list_write(stdout, h_suite.tests);
        fflush(stdout);
        if (fcntl(H_REPORT_FD, F_GETFD) >= 0) /* under the runner, which wants an end */
            h_report_end(H_REPORT_FD);
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "--run"))
        return run_here(argv[2], argc >= 5 && !strcmp(argv[3], "--seed") ? argv[4] : NULL);
    /* The list binary (the test files alone, for the grader's --manifest) has no runner and no
     * base in it: say where the runnable binary is rather than jump to address 0. */
    if (!h_sanitized) {
        fprintf(stderr,
                "%s only lists the tests for the grader (--manifest); run the test binary "
                "of the same name under build/gcc/lessons/ (make check L=NN T=TEST V=1 runs one "
                "test)\n",
                argv[0]);
        return 2;
    }
    snprintf(self, sizeof(self), "%s", argv[0]);
    lesson = basename(dirname(self));
    if (parse_options(argc, argv, &opt) < 0)
        return 2;
    if ((rc = h_target_open(&target, "/proc/self/exe")) < 0) {
        fprintf(stderr, "%s: cannot open its own binary: %s\n", argv[0], strerror(-rc));
        return 2;
    }
    snprintf(target.bin_path, sizeof(target.bin_path), "%s", argv[0]);
    target.sanitized = h_sanitized();
    target.slow = h_sanitized() ? 3 : 1;
    target.seed = getenv("SEED") && getenv("SEED")[0] ? getenv("SEED") : NULL;
    if (opt.list) {
        list_tests(&target);
        return 0;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    h_isolate_init();
    h_ui_init();
    rc = run_all(lesson, &target, &opt);
    h_target_close(&target);
    return rc < 0 ? 2 : rc > 0;
}
