/* ui.c: the runner's and the grader's output (see ui.h). */
#include "ui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsv.h"

#define NAME_WIDTH   44 /* test names are padded with dots to here */
#define OUTPUT_LINES 15 /* lines of a failing test's output shown (the last ones) */

static int colors;

void h_ui_init(void)
{
    const char *no = getenv("NO_COLOR");

    colors = isatty(STDOUT_FILENO) && !(no && no[0]);
}

const char *h_ui_color(enum h_verdict v)
{
    if (!colors)
        return "";
    switch (v) {
    case H_PASS:
        return "\033[32m";
    case H_FAIL:
        return "\033[31m";
    case H_SKIP:
        return "\033[33m";
    default:
        return "\033[35m"; /* CRASH, TIMEOUT, EXIT: the test did not even finish */
    }
}

const char *h_ui_bold(void)
{
    return colors ? "\033[1m" : "";
}

const char *h_ui_reset(void)
{
    return colors ? "\033[0m" : "";
}

void h_ui_lesson(const char *lesson, int tests, int points)
{
    printf("%s%s%s  (%d test%s, %d point%s)\n", h_ui_bold(), lesson, h_ui_reset(), tests,
           tests == 1 ? "" : "s", points, points == 1 ? "" : "s");
}

void h_ui_test_start(const struct h_listed *t)
{
    int dots = NAME_WIDTH - (int)strlen(t->name);

    /* The name goes out now, the verdict when the test ends: a slow test shows which it is. */
    printf("  %s %.*s ", t->name, dots > 1 ? dots : 1,
           ".............................................");
    fflush(stdout);
}

/* Prints the last OUTPUT_LINES lines of output (all of it when verbose), indented. */
static void show_output(const struct h_outcome *o, int verbose)
{
    const char *start = o->output, *p = o->output + o->output_len;
    int lines = 0;

    while (!verbose && p > o->output && lines <= OUTPUT_LINES)
        if (*--p == '\n' && p + 1 < o->output + o->output_len)
            lines++;
    if (!verbose && lines > OUTPUT_LINES)
        start = p + 1;
    printf("      output%s:\n", start > o->output ? " (the last lines)" : "");
    while (start < o->output + o->output_len) {
        const char *eol = memchr(start, '\n', (size_t)(o->output + o->output_len - start));
        int len = (int)(eol ? eol - start : o->output + o->output_len - start);

        printf("      | %.*s\n", len, start);
        start += len + 1;
    }
}

void h_ui_test_end(const struct h_listed *t, const struct h_outcome *o, int verbose)
{
    const char *m = o->message;

    if (o->verdict == H_SKIP)
        printf("%s%-7s%s  -/%-2d %6.2f s  (not counted)\n", h_ui_color(o->verdict), "SKIP",
               h_ui_reset(), t->points, o->elapsed_s);
    else
        printf("%s%-7s%s %2d/%-2d %6.2f s\n", h_ui_color(o->verdict), h_verdict_name(o->verdict),
               h_ui_reset(), o->verdict == H_PASS ? t->points : 0, t->points, o->elapsed_s);
    while (*m) { /* one line per failed check */
        int len = (int)strcspn(m, "\n");

        printf("      %.*s\n", len, m);
        m += len + (m[len] == '\n');
    }
    if (o->output_len && (verbose || o->verdict != H_PASS))
        show_output(o, verbose);
}

void h_ui_lesson_end(int score, int max, int ran, int failed)
{
    printf("  score %d/%d: %d of %d test%s passed\n\n", score, max, ran - failed, ran,
           ran == 1 ? "" : "s");
}
