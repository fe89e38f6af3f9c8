/* report.h: the report protocol, what a test's process tells the runner through its pipe.
 *
 * The test process (harness/runner/testmain.c, in the test binary) writes records on
 * descriptor H_REPORT_FD, the write end of a pipe the runner made for that test alone; the
 * runner reads them. Each record is one line, written with one write() (shorter than PIPE_BUF,
 * so records never interleave), stamped with the writer's pid:
 *
 *     F <pid> <line> <file>\t<message>     a failed check
 *     S <pid> <reason>                     the test skipped itself (h_skip)
 *     E <pid>                              the test function returned: the test is over
 *
 * The runner counts only records whose pid is the process it started for that test: a process
 * the test forked cannot report for it. A test passes only with its E record, no F record, and
 * a clean exit; whatever the process printed elsewhere does not count.
 */
#ifndef H_REPORT_H
#define H_REPORT_H

#include <stddef.h>
#include <sys/types.h>

#define H_REPORT_FD    3           /* where the test process finds its report pipe */
#define H_RECORDS_KEEP (64 * 1024) /* bytes of records the runner keeps per test */
#define H_FAILURES_MAX 8           /* failed checks a verdict's message lists in full */

/* ---- the test process's side ---- */
void h_report_failure(int fd, const char *file, unsigned line, const char *message);
void h_report_skip(int fd, const char *reason);
void h_report_end(int fd);

/* ---- the runner's side ---- */

/* What a test's process wrote to its pipe, as raw lines. */
struct h_records {
    char buf[H_RECORDS_KEEP + 1];
    size_t len;
};
void h_records_init(struct h_records *r);
void h_records_feed(struct h_records *r, const char *data, size_t n);

/* What the records of process pid say. */
struct h_report {
    int ended;         /* its E record came */
    int failures;      /* F records */
    int skipped;       /* an S record came */
    char detail[2048]; /* "file:line: message" of the first H_FAILURES_MAX failures, one a line;
                        * or the skip's reason */
};
void h_records_parse(const struct h_records *r, pid_t pid, struct h_report *out);

#endif
