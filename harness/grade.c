/* grade.c: run lessons' test binaries and add up what they show.
 *
 *     grade [--mode check|solution|stub|memcheck] [--tsv FILE] [--json FILE] [--log FILE]
 *           [--label L] [--wrapper CMD] BIN...
 *     grade --summary LOG
 *
 * --mode check (the default) grades a learner: runs each binary (they print their own lines as
 *   they go), then prints the score per lesson, "Score: x/y", and "N passed, M failed", and
 *   writes --json in the shape Gradescope reads. Exit 0 only if every test passed.
 * --mode solution and --mode stub check the kit itself: every test of a reference solution must
 *   get the verdict it declares (PASS, but the harness's own fixtures declare others), and every
 *   test of an untouched stub must FAIL (not pass, and not crash or hang either). Each outcome is
 *   appended to --log as "ok" or "not ok"; these modes exit 0 unless they could not run.
 * --mode memcheck is for runs under valgrind (--wrapper "valgrind ..."): a test is ok when
 *   valgrind reported nothing in it and it did not crash; timing checks are not its business.
 * --summary reads such a log, lists what was not ok, and ends with "N passed, M failed".
 *
 * A binary that does not exist (its lesson did not compile) scores zero: its tests and points
 * are read from the lesson's test file, lessons/<lesson>/<binary name>.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "json.h"
#include "tsv.h"
#include "ui.h"

enum mode { CHECK, SOLUTION, STUB, MEMCHECK };

struct lesson_score {
    char name[64];
    int score, max;
    int built;
};

struct grading {
    enum mode mode;
    const char *tsv, *json, *log, *label, *wrapper;
    struct lesson_score lessons[64];
    int n_lessons, passed, failed;
};

/* Runs bin --tsv tsv, under wrapper (a command and its options, split at spaces) if given. */
static int run_binary(const char *bin, const char *tsv, const char *wrapper)
{
    pid_t pid;
    int status;

    fflush(NULL);
    pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        char *argv[32], copy[1024];
        int argc = 0;

        snprintf(copy, sizeof(copy), "%s", wrapper ? wrapper : "");
        for (char *w = strtok(copy, " "); w && argc < 27; w = strtok(NULL, " "))
            argv[argc++] = w;
        argv[argc++] = (char *)bin;
        argv[argc++] = "--tsv";
        argv[argc++] = (char *)tsv;
        argv[argc] = NULL;
        execvp(argv[0], argv);
        fprintf(stderr, "grade: cannot run %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    if (waitpid(pid, &status, 0) != pid)
        return -errno;
    /* 0: all passed, 1: some did not; anything else means the runner itself failed. */
    return WIFEXITED(status) && WEXITSTATUS(status) <= 1 ? 0 : -EPROTO;
}

/* For a lesson that did not build: appends a FAIL record for each H_TEST(name, points) in its
 * test file, so that its points still count in the maximum. */
static void record_unbuilt(const char *bin, FILE *tsv)
{
    char dir[4096], file[4096], src[8400], line[1024];
    const char *lesson, *base;
    FILE *f;

    snprintf(dir, sizeof(dir), "%s", bin);
    snprintf(file, sizeof(file), "%s", bin);
    lesson = basename(dirname(dir));
    base = basename(file);
    snprintf(src, sizeof(src), "lessons/%s/%s.c", lesson, base);
    printf("%s%s%s: did not build (the compiler's errors are above), so it scores 0\n\n",
           h_ui_bold(), lesson, h_ui_reset());
    if (!(f = fopen(src, "re")))
        return;
    while (fgets(line, sizeof(line), f)) {
        char name[128];
        int points;
        const char *p = strstr(line, "H_TEST(");

        if (p && sscanf(p, "H_TEST(%127[A-Za-z0-9_], %d)", name, &points) == 2)
            fprintf(tsv, "%s\t%s\tFAIL\t0\t%d\t0\t0\tPASS\t\tdid not build\t\n", lesson, name,
                    points);
    }
    fclose(f);
}

static struct lesson_score *lesson_of(struct grading *g, const char *name)
{
    for (int i = 0; i < g->n_lessons; i++)
        if (!strcmp(g->lessons[i].name, name))
            return &g->lessons[i];
    if (g->n_lessons == (int)(sizeof(g->lessons) / sizeof(*g->lessons)))
        return &g->lessons[g->n_lessons - 1];
    snprintf(g->lessons[g->n_lessons].name, sizeof(g->lessons[0].name), "%s", name);
    return &g->lessons[g->n_lessons++];
}

/* Did the kit get what it expects of this test? Returns 1 or 0, with why not in why. */
static int as_expected(const struct grading *g, const struct h_row *r, char *why, size_t len)
{
    why[0] = '\0';
    if (g->mode == MEMCHECK) {
        /* Under valgrind, threads run one at a time: timing and overlap checks fail by design.
         * What counts is that memcheck found nothing and nothing crashed. */
        int ok = !strstr(r->message, "valgrind") && r->verdict != H_CRASH;

        if (!ok)
            snprintf(why, len, "%s: %s", h_verdict_name(r->verdict), r->message);
        return ok;
    }
    if (g->mode == STUB) {
        if (r->verdict != H_FAIL)
            snprintf(why, len, "an untouched stub must FAIL this test, it got %s%s%s",
                     h_verdict_name(r->verdict), r->message[0] ? ": " : "", r->message);
        return r->verdict == H_FAIL;
    }
    if (r->verdict != r->expect) {
        snprintf(why, len, "expected %s, got %s%s%s", h_verdict_name(r->expect),
                 h_verdict_name(r->verdict), r->message[0] ? ": " : "", r->message);
        return 0;
    }
    if (r->expect_text[0] && !strstr(r->message, r->expect_text)) {
        snprintf(why, len, "the message should mention \"%s\": %s", r->expect_text, r->message);
        return 0;
    }
    /* The watchdog must end a test promptly: within its limit plus a second. */
    if (r->verdict == H_TIMEOUT && r->elapsed_s > r->timeout_ms / 1000.0 + 1.0) {
        snprintf(why, len, "TIMEOUT came after %.2f s, limit %.1f s + 1 s", r->elapsed_s,
                 r->timeout_ms / 1000.0);
        return 0;
    }
    return 1;
}

/* Reads the records of this run, scores them, and logs or collects them. */
static int tally(struct grading *g, struct h_json *json)
{
    static struct h_row r;
    FILE *tsv = fopen(g->tsv, "re"), *log = NULL;
    char why[1400];
    int rc;

    if (!tsv)
        return -errno;
    if (g->log && !(log = fopen(g->log, "ae"))) {
        fclose(tsv);
        return -errno;
    }
    while ((rc = h_tsv_read(tsv, &r)) != 0) {
        struct lesson_score *l;
        int ok;

        if (rc < 0)
            continue;
        l = lesson_of(g, r.lesson);
        l->score += r.points;
        l->max += r.max_points;
        ok = g->mode == CHECK ? r.verdict == H_PASS : as_expected(g, &r, why, sizeof(why));
        if (ok)
            g->passed++;
        else
            g->failed++;
        if (log)
            fprintf(log, "%s\t%s\t%s/%s\t%s\n", ok ? "ok" : "not ok", g->label, r.lesson, r.test,
                    ok ? "" : why);
        if (json)
            h_json_test(json, &r);
    }
    fclose(tsv);
    if (log)
        fclose(log);
    return 0;
}

static void print_scores(const struct grading *g)
{
    int score = 0, max = 0;

    printf("%sScore by lesson%s\n", h_ui_bold(), h_ui_reset());
    for (int i = 0; i < g->n_lessons; i++) {
        const struct lesson_score *l = &g->lessons[i];
        enum h_verdict v = l->score == l->max ? H_PASS : H_FAIL;

        printf("  %-24s %s%3d/%-3d%s\n", l->name, h_ui_color(v), l->score, l->max, h_ui_reset());
        score += l->score;
        max += l->max;
    }
    printf("%sScore: %d/%d%s\n", h_ui_bold(), score, max, h_ui_reset());
}

/* --summary: the log's "not ok" lines, then the count. */
static int summarize(const char *path)
{
    FILE *f = fopen(path, "re");
    char line[4096];
    int passed = 0, failed = 0;

    if (!f) {
        fprintf(stderr, "grade: cannot read %s: %s\n", path, strerror(errno));
        return 2;
    }
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, "ok\t", 3)) {
            passed++;
        } else if (!strncmp(line, "not ok\t", 7)) {
            if (failed++ == 0)
                printf("%sNot as expected:%s\n", h_ui_bold(), h_ui_reset());
            printf("  %s", line + 7);
        }
    }
    fclose(f);
    printf("%s%d passed, %d failed%s\n", h_ui_color(failed || !passed ? H_FAIL : H_PASS), passed,
           failed, h_ui_reset());
    return failed || !passed ? 1 : 0;
}

static int parse_mode(const char *s, enum mode *m)
{
    static const char *const names[] = { "check", "solution", "stub", "memcheck" };

    for (int i = 0; i < 4; i++)
        if (!strcmp(s, names[i])) {
            *m = (enum mode)i;
            return 0;
        }
    return -EINVAL;
}

static int usage(void)
{
    fprintf(stderr, "usage: grade [--mode check|solution|stub|memcheck] [--tsv FILE] [--json FILE] "
                    "[--log FILE] [--label NAME] [--wrapper CMD] BIN...\n"
                    "       grade --summary LOG\n");
    return 2;
}

/* Runs every binary, appending their records to g->tsv; returns how many could not run. */
static int run_all(struct grading *g, char **bins, int n)
{
    FILE *tsv = fopen(g->tsv, "we");
    int broken = 0;

    if (!tsv) {
        fprintf(stderr, "grade: cannot write %s: %s\n", g->tsv, strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (access(bins[i], X_OK) != 0) {
            record_unbuilt(bins[i], tsv);
            fflush(tsv);
        } else if (run_binary(bins[i], g->tsv, g->wrapper) < 0) {
            fprintf(stderr, "grade: %s did not run to its end\n", bins[i]);
            broken++;
        }
    }
    fclose(tsv);
    return broken;
}

int main(int argc, char **argv)
{
    struct grading g = { .mode = CHECK, .tsv = "results.tsv", .label = "check" };
    struct h_json json;
    int i, broken, rc;
    int64_t start = h_now_ns();

    h_ui_init();
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (i = 1; i < argc && argv[i][0] == '-'; i += 2) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

        if (!val)
            return usage();
        if (!strcmp(opt, "--summary"))
            return summarize(val);
        else if (!strcmp(opt, "--mode") && parse_mode(val, &g.mode) == 0)
            ;
        else if (!strcmp(opt, "--tsv"))
            g.tsv = val;
        else if (!strcmp(opt, "--json"))
            g.json = val;
        else if (!strcmp(opt, "--log"))
            g.log = val;
        else if (!strcmp(opt, "--wrapper"))
            g.wrapper = val;
        else if (!strcmp(opt, "--label"))
            g.label = val;
        else
            return usage();
    }
    if (i == argc)
        return usage();
    if ((broken = run_all(&g, &argv[i], argc - i)) < 0)
        return 2;
    if (g.json && h_json_open(&json, g.json) < 0) {
        fprintf(stderr, "grade: cannot write %s: %s\n", g.json, strerror(errno));
        return 2;
    }
    if ((rc = tally(&g, g.json ? &json : NULL)) < 0) {
        fprintf(stderr, "grade: cannot read the results: %s\n", strerror(-rc));
        return 2;
    }
    if (g.mode == CHECK) {
        print_scores(&g);
        printf("%s%d passed, %d failed%s\n", h_ui_color(g.failed ? H_FAIL : H_PASS), g.passed,
               g.failed, h_ui_reset());
    }
    if (g.json) {
        int score = 0, max = 0;

        for (int k = 0; k < g.n_lessons; k++) {
            score += g.lessons[k].score;
            max += g.lessons[k].max;
        }
        if (h_json_close(&json, score, max, h_ns_to_s(h_now_ns() - start)) < 0) {
            fprintf(stderr, "grade: cannot write %s\n", g.json);
            return 2;
        }
    }
    if (broken)
        return 2;
    return g.mode == CHECK && g.failed ? 1 : 0;
}
