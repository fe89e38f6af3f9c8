/* verdict.h: the scan of a test's output for sanitizer reports, and the verdict made of how the
 * test's process ended, what it reported (report.h) and what its output showed. Internal to the
 * runner. */
#ifndef H_VERDICT_H
#define H_VERDICT_H

#include <stddef.h>
#include <sys/types.h>

#include "isolate.h"
#include "report.h"

/* Looks through a test's output, as it streams by, for the first report of a sanitizer. */
struct h_scan {
    char tail[256]; /* the end of what was seen so far: a report may straddle two reads */
    size_t tail_len;
    char found[200]; /* "ThreadSanitizer: data race", or "" */
};
void h_scan_init(struct h_scan *s);
void h_scan_feed(struct h_scan *s, const char *data, size_t n);

/* Decides o->verdict and o->message from how the child pid ended (status from waitpid), what
 * it reported, what its output showed and whether the watchdog fired. */
void h_judge(struct h_outcome *o, const struct h_records *rec, const struct h_scan *scan, pid_t pid,
             int status, int timed_out, int timeout_ms, long long cpu_at_timeout_ns);

#endif
