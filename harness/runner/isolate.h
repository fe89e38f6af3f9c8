/* isolate.h: run one test in a child process of its own and give its verdict.
 *
 * Internal to the runner. The child gets its own process group, lower privileges when the
 * runner is root (so that RLIMIT_NPROC, which root ignores, contains a fork bomb), limits on
 * CPU time, processes and memory, and its stdout and stderr captured. The parent watches it
 * with a wall-clock watchdog, reads what the child reports through a pipe, and afterwards kills
 * whatever the test left running.
 */
#ifndef H_ISOLATE_H
#define H_ISOLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "suite.h"

#define H_OUTPUT_HEAD (16 * 1024) /* a test's output is kept from its start up to this... */
#define H_OUTPUT_TAIL (48 * 1024) /* ...and its end, this long: the middle of a flood is cut */
#define H_OUTPUT_KEEP (H_OUTPUT_HEAD + 64 + H_OUTPUT_TAIL)

/* What the parent knows once the test is over. */
struct h_outcome {
    enum h_verdict verdict;
    double elapsed_s;               /* wall time from fork to the end of the child */
    int failures;                   /* failed checks the child reported */
    int leftovers;                  /* processes still running after the test, which were killed */
    char message[3072];             /* why it did not pass: failures, signal, timeout hint */
    char output[H_OUTPUT_KEEP + 1]; /* the test's stdout and stderr, NUL-terminated */
    size_t output_len;
    size_t output_dropped; /* bytes cut from the middle (a line in output says where) */
};

/* How a test's process is bounded. */
struct h_limits {
    int timeout_ms; /* wall clock, after which the watchdog ends it */
    int max_tasks;  /* threads + processes it may add; 0: the runner's default */
    bool sanitized; /* the code runs under a sanitizer: no address-space limit (see isolate.c) */
    int exec_fd;    /* a descriptor the child keeps at H_EXEC_FD, close-on-exec, to exec; or -1 */
};

#define H_EXEC_FD 4 /* where a contained child finds limits.exec_fd */

/* The child's side, called in the forked child once it is contained: its own process group,
 * unprivileged, limited, stdin from /dev/null, stdout and stderr into the runner's pipe, and no
 * descriptor open but those and report_fd. It runs (or execs) the test and reports through
 * report_fd (report.h). It must not return. */
typedef void (*h_child_fn)(void *ctx, int report_fd);

/* Forks, contains and runs child(ctx, fd) under a watchdog, and fills *out. Returns 0, or a
 * negative errno if the test could not be started at all. */
int h_isolate(const struct h_limits *limits, h_child_fn child, void *ctx, struct h_outcome *out);

/* Call once in the runner before any test: orphans of tests become the runner's children, so
 * it can find and kill them even if they left the test's process group. */
void h_isolate_init(void);

#endif
