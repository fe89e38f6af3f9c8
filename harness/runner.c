/* runner.c: main() of every test binary. Lists the tests, runs each in isolation (isolate.c),
 * prints a line per test as it finishes, and optionally appends machine-readable records for
 * the grader.
 *
 *     test_gather                run every test
 *     test_gather NAME...        run only these tests
 *     test_gather --list         list the tests, their points and time limits
 *     test_gather -v             also show the output of tests that pass
 *     test_gather --tsv FILE     append one record per test to FILE (what grade reads)
 *
 * The lesson's name is the name of the folder the binary sits in (build/.../01-gather/).
 * Exit status: 0 if every test that ran passed, 1 if not, 2 on a usage or system error.
 */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <CUnit/TestRun.h>
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock.h"
#include "isolate.h"
#include "proc.h"
#include "runner.h"
#include "tsv.h"
#include "ui.h"

#define MAX_TESTS 256

static CU_pTest cu_tests[MAX_TESTS]; /* CUnit's handle for each entry of h_suite.tests */
static CU_pSuite cu_suite;

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

/* The child's side: setup, the test under CUnit, teardown, then the records. */
static void run_in_child(const struct h_test *t, int report_fd)
{
    CU_pFailureRecord f;
    int rc = 0;

    struct rlimit nproc;
    int have_nproc = getrlimit(RLIMIT_NPROC, &nproc) == 0;

    settle_sanitizer();
    if (h_suite.setup && (rc = h_suite.setup()) < 0) {
        char msg[160];

        snprintf(msg, sizeof(msg), "the suite's setup failed (%s) before the test could run",
                 strerror(-rc));
        h_report_failure(report_fd, "setup", 0, msg);
    } else {
        /* The core runner, not CUnit's "basic" interface: it prints nothing of its own. */
        CU_run_test(cu_suite, cu_tests[t - h_suite.tests]);
        if (h_suite.teardown)
            h_suite.teardown();
    }
    for (f = CU_get_failure_list(); f; f = f->pNext)
        h_report_failure(report_fd, f->strFileName ? f->strFileName : "?", f->uiLineNumber,
                         f->strCondition ? f->strCondition : "failed");
    /* A test may lower its own process limit (to see how code copes with pthread_create
     * failing); put it back, since LeakSanitizer's check below needs a thread of its own. */
    if (have_nproc)
        setrlimit(RLIMIT_NPROC, &nproc);
#ifdef H_ASAN
    /* Ending with _exit skips LeakSanitizer's check at exit, so run it here, per test. */
    if (__lsan_do_recoverable_leak_check() != 0)
        h_report_failure(report_fd, "LeakSanitizer", 0, "memory leaked (see the output)");
#endif
    fflush(NULL);
    h_report_end(report_fd);
    _exit(0);
}

static int count_tests(void)
{
    int n = 0;

    while (h_suite.tests[n].fn)
        n++;
    return n;
}

static int register_tests(const char *lesson, int n)
{
    if (n > MAX_TESTS || CU_initialize_registry() != CUE_SUCCESS)
        return -ENOMEM;
    cu_suite = CU_add_suite(lesson, NULL, NULL);
    if (!cu_suite)
        return -ENOMEM;
    for (int i = 0; i < n; i++) {
        cu_tests[i] = CU_add_test(cu_suite, h_suite.tests[i].name, h_suite.tests[i].fn);
        if (!cu_tests[i])
            return -ENOMEM;
    }
    return 0;
}

/* Wall-clock limit for t: its own or the default, stretched by H_TIMEOUT_SCALE and, under a
 * sanitizer, by 3 (instrumented code runs several times slower). */
static int timeout_of(const struct h_test *t)
{
    double ms = t->timeout_ms > 0 ? t->timeout_ms : H_DEFAULT_TIMEOUT_MS;
    const char *scale = getenv("H_TIMEOUT_SCALE");

    if (scale && atof(scale) > 0)
        ms *= atof(scale);
    if (h_sanitized())
        ms *= 3;
    return (int)ms;
}

static int wanted(const char *name, char **names, int n_names)
{
    for (int i = 0; i < n_names; i++)
        if (strcmp(names[i], name) == 0)
            return 1;
    return n_names == 0;
}

static void usage(const char *prog)
{
    fprintf(stderr, "usage: %s [--list] [-v] [--tsv FILE] [TEST...]\n", prog);
}

struct options {
    int list, verbose;
    const char *tsv;
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
        } else if (!strcmp(argv[i], "--tsv") && i + 1 < argc) {
            opt->tsv = argv[++i];
        } else if (argv[i][0] == '-') {
            usage(argv[0]);
            return -EINVAL;
        } else {
            opt->names = &argv[i];
            opt->n_names = argc - i;
            break;
        }
    }
    /* A misspelt name would otherwise run nothing and "pass". */
    for (int i = 0; i < opt->n_names; i++) {
        int known = 0;

        for (int j = 0; h_suite.tests[j].fn; j++)
            known |= !strcmp(opt->names[i], h_suite.tests[j].name);
        if (!known) {
            fprintf(stderr, "%s: no test named %s (try --list)\n", argv[0], opt->names[i]);
            return -EINVAL;
        }
    }
    return 0;
}

static void list_tests(int n)
{
    for (int i = 0; i < n; i++) {
        const struct h_test *t = &h_suite.tests[i];

        printf("%-44s %3d point%s %6.1f s\n", t->name, t->points, t->points == 1 ? " " : "s",
               timeout_of(t) / 1e3);
    }
}

/* Runs the chosen tests one by one; returns how many did not pass, or a negative errno. */
static int run_tests(const char *lesson, int n, const struct options *opt, FILE *tsv)
{
    static struct h_outcome o; /* large: keep it off the stack */
    int failed = 0, ran = 0, score = 0, max = 0, rc;

    for (int i = 0; i < n; i++)
        if (wanted(h_suite.tests[i].name, opt->names, opt->n_names))
            max += h_suite.tests[i].points;
    h_ui_lesson(lesson, opt->n_names ? opt->n_names : n, max);
    for (int i = 0; i < n; i++) {
        const struct h_test *t = &h_suite.tests[i];
        int limit = timeout_of(t);

        if (!wanted(t->name, opt->names, opt->n_names))
            continue;
        h_ui_test_start(t);
        if ((rc = h_isolate(t, limit, run_in_child, &o)) < 0)
            return rc;
        h_ui_test_end(t, &o, opt->verbose);
        if (tsv)
            h_tsv_write(tsv, lesson, t, limit, &o);
        ran++;
        failed += o.verdict != H_PASS;
        score += o.verdict == H_PASS ? t->points : 0;
    }
    h_ui_lesson_end(score, max, ran, failed);
    return failed;
}

int main(int argc, char **argv)
{
    struct options opt = { 0 };
    char self[4096];
    const char *lesson;
    FILE *tsv = NULL;
    int n = count_tests(), rc;

    snprintf(self, sizeof(self), "%s", argv[0]);
    lesson = basename(dirname(self));
    if (parse_options(argc, argv, &opt) < 0)
        return 2;
    if (opt.list) {
        list_tests(n);
        return 0;
    }
    if ((rc = register_tests(lesson, n)) < 0) {
        fprintf(stderr, "%s: cannot set up CUnit: %s\n", argv[0], strerror(-rc));
        return 2;
    }
    if (opt.tsv && !(tsv = fopen(opt.tsv, "ae"))) {
        fprintf(stderr, "%s: cannot open %s: %s\n", argv[0], opt.tsv, strerror(errno));
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    h_isolate_init();
    h_ui_init();
    rc = run_tests(lesson, n, &opt, tsv);
    if (rc < 0)
        fprintf(stderr, "%s: cannot run a test: %s\n", argv[0], strerror(-rc));
    if (tsv && fclose(tsv) != 0) {
        fprintf(stderr, "%s: cannot write %s: %s\n", argv[0], opt.tsv, strerror(errno));
        rc = -EIO;
    }
    CU_cleanup_registry();
    return rc < 0 ? 2 : rc > 0;
}
