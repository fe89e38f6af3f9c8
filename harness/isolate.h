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

#include <stddef.h>

#include "runner.h"

#define H_OUTPUT_HEAD (16 * 1024) /* a test's output is kept from its start up to this... */
#define H_OUTPUT_TAIL (48 * 1024) /* ...and its end, this long: the middle of a flood is cut */
#define H_OUTPUT_KEEP (H_OUTPUT_HEAD + 64 + H_OUTPUT_TAIL)

/* What the parent knows once the test is over. */
struct h_outcome {
    enum h_verdict verdict;
    double elapsed_s;               /* wall time from fork to the end of the child */
    int failures;                   /* failed assertions the child reported */
    int leftovers;                  /* processes still running after the test, which were killed */
    char message[1024];             /* why it did not pass: first failure, signal, timeout hint */
    char output[H_OUTPUT_KEEP + 1]; /* the test's stdout and stderr, NUL-terminated */
    size_t output_len;
    size_t output_dropped; /* bytes cut from the middle (a line in output says where) */
};

/* The child's side: runs the test and reports through report_fd with h_report_failure and
 * h_report_end. Called in the forked child after isolation is in place; must not return. */
typedef void (*h_child_fn)(const struct h_test *t, int report_fd);

/* Forks, isolates and runs child(t, fd) with a watchdog of timeout_ms, and fills *out.
 * Returns 0, or a negative errno if the test could not be started at all. */
int h_isolate(const struct h_test *t, int timeout_ms, h_child_fn child, struct h_outcome *out);

/* Child side of the report pipe. Each record is one write(), so records stay whole. */
void h_report_failure(int fd, const char *file, unsigned line, const char *message);
void h_report_end(int fd);

/* Call once in the runner before any test: orphans of tests become the runner's children, so
 * it can find and kill them even if they left the test's process group. */
void h_isolate_init(void);

#endif
