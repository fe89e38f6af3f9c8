/* grade.c: run lessons' tests, each in a contained process of its own, and add up what they show.
 *
 *     grade [--mode check|solution|stub|memcheck] [--json FILE] [--state FILE] [--log FILE]
 *           [--label L] [--wrapper CMD] [--slow X] [--sanitized] [--seed S] [--only TEST] [-v]
 *           [--first-failure]
 *           --lesson NAME LIST BIN [--lesson NAME LIST BIN ...]
 *     grade --summary LOG
 *
 * Each lesson is named, with the binary that lists its tests (LIST: one linked from its test
 * files alone, so that it builds even when the learner's code does not, and holds nothing the
 * learner wrote; "-" means BIN itself) and the test binary (BIN, which may be missing: its
 * lesson did not build). The grader lists the tests, then starts every test afresh from BIN in
 * a contained process (run.h): nothing of the code under test runs in the grader, and every
 * grade comes from what the grader itself observed. A listed test with no verdict does not exist:
 * every listed test gets one.
 *
 * --mode check (the default) grades a learner: a line per test, then the score per lesson,
 *   "Score: x/y" and "N passed, M failed"; --json writes the tests in the shape Gradescope reads,
 *   --state keeps each lesson's latest results (a lesson graded now replaces its old rows; the
 *   others stay). Exit 0 only if every test of every lesson passed (a lesson that could not be
 *   graded, or no test at all, is a failure).
 * --mode solution and --mode stub check the kit itself: every test of a reference solution must
 *   get the verdict it declares (PASS, but the harness's own fixtures declare others), and every
 *   test of an untouched stub must FAIL (not pass, and not crash or hang either). Each outcome is
 *   appended to --log as "ok" or "not ok"; these modes exit 0 unless they could not run.
 * --mode memcheck is for runs under valgrind (--wrapper "valgrind ..."): a test is ok when
 *   valgrind reported nothing in it and it did not crash; timing checks are not its business.
 * --summary reads such a log, lists what was not ok, and ends with "N passed, M failed".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "json.h"
#include "run.h"
#include "state.h"
#include "tsv.h"
#include "ui.h"
#include "verdict.h"

#define MAX_LESSONS 64

enum mode { CHECK, SOLUTION, STUB, MEMCHECK };

struct lesson {
    const char *name, *list, *bin, *race; /* race: the ThreadSanitizer build, or "-" */
    int score, max;
    int ungradable; /* its tests could not even be listed */
    char why[1200]; /* why not */
};

struct grading {
    enum mode mode;
    const char *json, *state, *log, *label, *only;
    const char *chaos; /* the chaos pass's seed, or NULL: no chaos pass */
    char chaos_seed[32];
    int verbose, first_failure;
    struct h_target proto; /* wrapper, slow, sanitized, seed: for every binary */
    struct lesson lessons[MAX_LESSONS];
    int n_lessons, passed, failed, skipped;
    struct h_row *rows; /* every test's result, in order */
    int n_rows, cap_rows;
};

static struct h_row *new_row(struct grading *g)
{
    if (g->n_rows == g->cap_rows) {
        int cap = g->cap_rows ? 2 * g->cap_rows : 64;
        struct h_row *r = realloc(g->rows, (size_t)cap * sizeof(*r));

        if (!r)
            return NULL;
        g->rows = r;
        g->cap_rows = cap;
    }
    memset(&g->rows[g->n_rows], 0, sizeof(g->rows[0]));
    return &g->rows[g->n_rows++];
}

/* A row for test t of lesson l with outcome o. */
static int add_row(struct grading *g, struct lesson *l, const struct h_listed *t,
                   const struct h_outcome *o, int limit_ms)
{
    struct h_row *r = new_row(g);

    if (!r)
        return -ENOMEM;
    snprintf(r->lesson, sizeof(r->lesson), "%s", l->name);
    snprintf(r->test, sizeof(r->test), "%s", t->name);
    r->verdict = o->verdict;
    r->max_points = o->verdict == H_SKIP ? 0 : t->points;
    r->points = o->verdict == H_PASS ? t->points : 0;
    r->elapsed_s = o->elapsed_s;
    r->timeout_ms = limit_ms;
    r->expect = t->expect;
    snprintf(r->expect_text, sizeof(r->expect_text), "%s", t->expect_text);
    snprintf(r->message, sizeof(r->message), "%s", o->message);
    /* Keep the end of long output: that is where a crash or a sanitizer report is. */
    {
        size_t keep = o->output_len < H_TSV_OUTPUT_KEEP ? o->output_len : H_TSV_OUTPUT_KEEP;

        memcpy(r->output, o->output + o->output_len - keep, keep);
        r->output[keep] = '\0';
    }
    l->score += r->points;
    l->max += r->max_points;
    return 0;
}

/* Lists the tests of lesson l: from its list binary, or from the test binary itself. */
static int list_lesson(struct grading *g, struct lesson *l, struct h_listed **tests)
{
    struct h_target t = g->proto;
    const char *from = strcmp(l->list, "-") ? l->list : l->bin;
    int rc;

    if ((rc = h_target_open(&t, from)) < 0) {
        snprintf(l->why, sizeof(l->why),
                 "its tests could not be listed: %s is missing (its test files did not "
                 "compile, or are gone: see above)",
                 from);
        return rc;
    }
    t.wrapper = NULL; /* listing is not what valgrind is asked to look at */
    t.seed = NULL;
    rc = h_list_of(&t, tests, l->why, sizeof(l->why));
    h_target_close(&t);
    if (rc == 0) {
        snprintf(l->why, sizeof(l->why), "%s lists no tests", from);
        free(*tests);
        return -ENOENT;
    }
    return rc;
}

static int wanted(const struct grading *g, const struct h_listed *t)
{
    return !g->only || !strcmp(g->only, t->name);
}

/* After a test passed plainly: once more under the chaos scheduler (with the pass's seed), then
 * on the ThreadSanitizer build. The first of them that does not pass gives the test its
 * verdict, with a message that says which pass it was and how to replay it. */
static int more_passes(struct grading *g, const struct lesson *l, const struct h_target *race,
                       struct h_target *t, const struct h_listed *test, struct h_outcome *o)
{
    static struct h_outcome again; /* large: off the stack */
    char head[600];
    int rc;

    if (o->verdict != H_PASS)
        return 0;
    if (g->chaos) {
        t->seed = g->chaos_seed;
        rc = h_run_test(t, test, &again);
        t->seed = g->proto.seed;
        if (rc < 0)
            return rc;
        if (again.verdict != H_PASS && again.verdict != H_SKIP) {
            snprintf(head, sizeof(head),
                     "under the chaos scheduler, seed %s (make check L=%.2s T=%s SEED=%s replays "
                     "it): ",
                     g->chaos_seed, l->name, test->name, g->chaos_seed);
            h_outcome_prefix(&again, head);
            *o = again;
            return 0;
        }
    }
    if (race) {
        if ((rc = h_run_test(race, test, &again)) < 0)
            return rc;
        if (again.verdict != H_PASS && again.verdict != H_SKIP) {
            if (!h_explain_race(&again))
                h_outcome_prefix(&again, "under ThreadSanitizer (the race pass): ");
            *o = again;
        }
    }
    return 0;
}

/* Grades one lesson: every listed test, run from its binary, or failed if that did not build. */
static int grade_lesson(struct grading *g, struct lesson *l)
{
    static struct h_outcome o; /* large: off the stack */
    struct h_listed *tests = NULL;
    struct h_target t = g->proto, race = g->proto;
    int n = list_lesson(g, l, &tests), built, rc = 0, max = 0, shown = 0, first = g->n_rows;
    int have_race = 0;

    if (n < 0) {
        l->ungradable = 1;
        printf("%s%s%s: cannot be graded: %s\n\n", h_ui_bold(), l->name, h_ui_reset(), l->why);
        return 0;
    }
    built = h_target_open(&t, l->bin) == 0;
    race.sanitized = true;
    race.slow = 3 * (g->proto.slow > 0 ? g->proto.slow : 1);
    race.seed = NULL;
    have_race = built && strcmp(l->race, "-") && h_target_open(&race, l->race) == 0;
    for (int i = 0; i < n; i++)
        if (wanted(g, &tests[i])) {
            max += tests[i].points;
            shown++;
        }
    h_ui_lesson(l->name, shown, max);
    if (!built)
        printf("  (%s did not build: the compiler's errors are above, so it scores 0)\n", l->name);
    for (int i = 0; i < n && rc == 0; i++) {
        int limit = h_limit_of(&t, &tests[i]);

        if (!wanted(g, &tests[i]))
            continue;
        if (!built) {
            memset(&o, 0, sizeof(o));
            o.verdict = H_FAIL;
            snprintf(o.message, sizeof(o.message), "did not build, so it could not run");
        } else {
            h_ui_test_start(&tests[i]);
            if ((rc = h_run_test(&t, &tests[i], &o)) < 0 ||
                (rc = more_passes(g, l, have_race ? &race : NULL, &t, &tests[i], &o)) < 0) {
                fprintf(stderr, "grade: cannot start a test: %s\n", strerror(-rc));
                break;
            }
            h_ui_test_end(&tests[i], &o, g->verbose);
        }
        rc = add_row(g, l, &tests[i], &o, limit);
        if (g->first_failure && o.verdict != H_PASS && o.verdict != H_SKIP) {
            printf("  (stopped at the first test that did not pass: %s)\n", tests[i].name);
            break;
        }
    }
    if (built) {
        int ran = 0, failed = 0;

        for (int i = first; i < g->n_rows; i++, ran++)
            failed += g->rows[i].verdict != H_PASS && g->rows[i].verdict != H_SKIP;
        h_ui_lesson_end(l->score, l->max, ran, failed);
        h_target_close(&t);
        if (have_race)
            h_target_close(&race);
    } else {
        printf("  score 0/%d\n\n", l->max);
    }
    free(tests);
    return rc;
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
        if (r->verdict != H_FAIL && r->verdict != H_SKIP)
            snprintf(why, len, "an untouched stub must FAIL this test, it got %s%s%s",
                     h_verdict_name(r->verdict), r->message[0] ? ": " : "", r->message);
        return r->verdict == H_FAIL || r->verdict == H_SKIP;
    }
    if (r->verdict != r->expect && !(r->verdict == H_SKIP && r->expect == H_PASS)) {
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

/* Counts the rows (and logs them, in the kit's modes). */
static int tally(struct grading *g)
{
    FILE *log = NULL;
    char why[4200];

    if (g->log && !(log = fopen(g->log, "ae")))
        return -errno;
    for (int i = 0; i < g->n_rows; i++) {
        const struct h_row *r = &g->rows[i];
        int ok = g->mode == CHECK ? r->verdict == H_PASS : as_expected(g, r, why, sizeof(why));

        if (g->mode == CHECK && r->verdict == H_SKIP)
            g->skipped++;
        else if (ok)
            g->passed++;
        else
            g->failed++;
        if (log)
            fprintf(log, "%s\t%s\t%s/%s\t%s\n", ok ? "ok" : "not ok", g->label, r->lesson, r->test,
                    ok ? "" : why);
    }
    for (int i = 0; i < g->n_lessons; i++)
        if (g->lessons[i].ungradable && log)
            fprintf(log, "not ok\t%s\t%s\t%s\n", g->label, g->lessons[i].name, g->lessons[i].why);
        else if (g->lessons[i].ungradable && g->mode != CHECK)
            g->failed++;
    if (log && fclose(log) != 0)
        return -EIO;
    return 0;
}

static void print_scores(const struct grading *g)
{
    int score = 0, max = 0, ungradable = 0;

    printf("%sScore by lesson%s\n", h_ui_bold(), h_ui_reset());
    for (int i = 0; i < g->n_lessons; i++) {
        const struct lesson *l = &g->lessons[i];
        enum h_verdict v = l->score == l->max && !l->ungradable ? H_PASS : H_FAIL;

        if (l->ungradable)
            printf("  %-24s %s  0/?  %s cannot be graded\n", l->name, h_ui_color(v), h_ui_reset());
        else
            printf("  %-24s %s%3d/%-3d%s\n", l->name, h_ui_color(v), l->score, l->max,
                   h_ui_reset());
        score += l->score;
        max += l->max;
        ungradable += l->ungradable;
    }
    printf("%sScore: %d/%d%s%s\n", h_ui_bold(), score, max, h_ui_reset(),
           ungradable ? " (and lessons that could not be graded: see above)" : "");
}

/* --summary: the log's "not ok" lines, then the count. */
static int summarize(const char *path)
{
    FILE *f = fopen(path, "re");
    char line[8192];
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
    fprintf(stderr, "usage: grade [--mode check|solution|stub|memcheck] [--json FILE] "
                    "[--state FILE] [--log FILE] [--label NAME] [--wrapper CMD] [--slow X]\n"
                    "             [--sanitized] [--seed S] [--only TEST] [-v] "
                    "--lesson NAME LIST BIN...\n"
                    "       grade --summary LOG\n");
    return 2;
}

static int parse_args(int argc, char **argv, struct grading *g)
{
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

        if (!strcmp(opt, "-v")) {
            g->verbose = 1;
            continue;
        }
        if (!strcmp(opt, "--first-failure")) {
            g->first_failure = 1;
            continue;
        }
        if (!strcmp(opt, "--sanitized")) {
            g->proto.sanitized = true;
            continue;
        }
        if (!val)
            return -EINVAL;
        if (!strcmp(opt, "--lesson")) {
            struct lesson *l = &g->lessons[g->n_lessons];

            if (g->n_lessons == MAX_LESSONS || i + 4 >= argc)
                return -EINVAL;
            l->name = argv[i + 1];
            l->list = argv[i + 2];
            l->bin = argv[i + 3];
            l->race = argv[i + 4];
            g->n_lessons++;
            i += 4;
            continue;
        }
        i++;
        if (!strcmp(opt, "--mode") && parse_mode(val, &g->mode) == 0)
            ;
        else if (!strcmp(opt, "--json"))
            g->json = val;
        else if (!strcmp(opt, "--state"))
            g->state = val;
        else if (!strcmp(opt, "--log"))
            g->log = val;
        else if (!strcmp(opt, "--wrapper"))
            g->proto.wrapper = val;
        else if (!strcmp(opt, "--label"))
            g->label = val;
        else if (!strcmp(opt, "--only"))
            g->only = val;
        else if (!strcmp(opt, "--seed"))
            g->proto.seed = val;
        else if (!strcmp(opt, "--chaos"))
            g->chaos = val;
        else if (!strcmp(opt, "--slow") && atof(val) > 0)
            g->proto.slow = atof(val);
        else
            return -EINVAL;
    }
    return g->n_lessons > 0 ? 0 : -EINVAL;
}

static int write_outputs(struct grading *g, double seconds)
{
    int score = 0, max = 0, rc;

    for (int k = 0; k < g->n_lessons; k++) {
        score += g->lessons[k].score;
        max += g->lessons[k].max;
    }
    if (g->json && (rc = h_json_write(g->json, g->rows, g->n_rows, score, max, seconds)) < 0) {
        fprintf(stderr, "grade: cannot write %s: %s\n", g->json, strerror(-rc));
        return rc;
    }
    if (g->state && (rc = h_state_merge(g->state, g->rows, g->n_rows)) < 0) {
        fprintf(stderr, "grade: cannot write %s: %s\n", g->state, strerror(-rc));
        return rc;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static struct grading g = { .mode = CHECK, .label = "check" };
    int64_t start = h_now_ns();
    int rc = 0, ungradable = 0;

    h_ui_init();
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 3 && !strcmp(argv[1], "--summary"))
        return summarize(argv[2]);
    g.proto.slow = 1;
    g.proto.bin_fd = -1;
    if (parse_args(argc, argv, &g) < 0)
        return usage();
    h_isolate_init();
    if (g.chaos) {
        unsigned long seed = strtoul(g.chaos, NULL, 10);

        if (!strcmp(g.chaos, "random") || seed == 0)
            seed = (unsigned long)(h_now_ns() ^ ((int64_t)getpid() << 20)) % 1000000 + 1;
        snprintf(g.chaos_seed, sizeof(g.chaos_seed), "%lu", seed);
        g.chaos = g.chaos_seed;
        if (g.mode == CHECK)
            printf("Every test that passes runs again under the chaos scheduler, seed %s (SEED=%s "
                   "replays this run)%s.\n\n",
                   g.chaos_seed, g.chaos_seed,
                   g.lessons[0].race[0] != '-' ? ", and on a ThreadSanitizer build" : "");
    }
    for (int i = 0; i < g.n_lessons && rc == 0; i++) {
        rc = grade_lesson(&g, &g.lessons[i]);
        ungradable += g.lessons[i].ungradable;
    }
    if (rc < 0 || tally(&g) < 0) {
        fprintf(stderr, "grade: could not grade: %s\n", strerror(rc < 0 ? -rc : EIO));
        return 2;
    }
    if (g.mode == CHECK) {
        print_scores(&g);
        if (g.skipped)
            printf("(a skipped test could not be judged here; its points are left out of the "
                   "maximum)\n");
        printf("%s%d passed, %d failed",
               h_ui_color(g.failed || ungradable || !g.passed ? H_FAIL : H_PASS), g.passed,
               g.failed + ungradable);
        if (g.skipped)
            printf(", %d skipped", g.skipped);
        printf("%s\n", h_ui_reset());
    }
    if (write_outputs(&g, h_ns_to_s(h_now_ns() - start)) < 0)
        return 2;
    free(g.rows);
    if (g.mode != CHECK)
        return 0;
    return g.failed || ungradable || !(g.passed + g.skipped) ? 1 : 0;
}
