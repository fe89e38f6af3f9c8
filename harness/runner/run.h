/* run.h: what the runner runs: the tests a binary lists, and one of them in a process of its own.
 *
 * A test binary lists its tests with `--manifest` (one line each, tab-separated: name, points,
 * timeout_ms, max_tasks, expected verdict, expected text) and runs one with `--run NAME`. The
 * runner (the grader, or the test binary itself when run by hand) starts every test afresh from
 * the binary, in a contained process (isolate.h): the code under test, constructors included,
 * runs there and nowhere else, unprivileged, bounded from its first instruction, holding nothing
 * but stdio and its report pipe. What the runner then saw is the verdict.
 *
 * The list can come from another binary than the tests: the grader lists a lesson from a binary
 * linked from its test files alone, so that a lesson whose code does not compile still shows its
 * tests and points, and so that nothing the learner wrote can change the list.
 */
#ifndef H_RUN_H
#define H_RUN_H

#include <stdbool.h>
#include <stdio.h>

#include "isolate.h"
#include "suite.h"

/* One test, as a binary lists it. */
struct h_listed {
    char name[128];
    int points;
    int timeout_ms; /* as declared: 0 means H_DEFAULT_TIMEOUT_MS */
    int max_tasks;
    enum h_verdict expect;
    char expect_text[128];
};

/* Writes the manifest of tests (ending with an entry whose fn is NULL) to f. */
void h_list_write(FILE *f, const struct h_test *tests);

/* Parses a manifest. Returns the number of tests (>= 0) with *out malloc'd (free it), or
 * -EINVAL if a line is not a manifest line, -ENOMEM. */
int h_list_parse(const char *text, struct h_listed **out);

/* Where tests are run from. */
struct h_target {
    int bin_fd;          /* the test binary, opened once: every test is started from it */
    char bin_path[4096]; /* for messages, and for a wrapper */
    const char *wrapper; /* a command to run the binary under ("valgrind -q ..."), or NULL */
    double slow;         /* time limits are multiplied by this (a sanitizer's build: 3) */
    bool sanitized;      /* the binary is built with a sanitizer */
    const char *seed;    /* passed on as --seed, or NULL */
};

/* Opens path as the binary of t, whose other fields the caller sets (all zero but slow = 1 is
 * a plain build run as is). Returns 0 or a negative errno (-ENOENT: not built). */
int h_target_open(struct h_target *t, const char *path);
void h_target_close(struct h_target *t);

/* How much longer a test may run under the chaos scheduler (t->seed set). */
#define H_CHAOS_SLOW 3

/* The wall-clock limit of test: its own or the default, times t->slow and H_TIMEOUT_SCALE, and
 * H_CHAOS_SLOW under chaos. */
int h_limit_of(const struct h_target *t, const struct h_listed *test);

/* Lists the tests of t (runs `BIN --manifest`, contained, within 10 s). Returns how many, with
 * *out malloc'd, or a negative errno with why (for a message) in why. */
int h_list_of(const struct h_target *t, struct h_listed **out, char *why, size_t why_size);

/* Runs one test: a process started from t with `--run NAME`, contained. Returns 0 with *o
 * filled, or a negative errno if no process could be started. */
int h_run_test(const struct h_target *t, const struct h_listed *test, struct h_outcome *o);

#endif
