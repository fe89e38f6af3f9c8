/* verdict.h: the scan of a test's output for sanitizer reports, and the verdict made of how the
 * test's process ended, what it reported (report.h) and what its output showed. Internal to the
 * runner. */
#ifndef H_VERDICT_H
#define H_VERDICT_H

#include <stdbool.h>
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
 * it reported, what its output showed and whether the watchdog fired (then, how much CPU it had
 * used, and whether its threads were mostly running rather than asleep). */
void h_judge(struct h_outcome *o, const struct h_records *rec, const struct h_scan *scan, pid_t pid,
             int status, int timed_out, int timeout_ms, long long cpu_at_timeout_ns,
             bool running_at_timeout);

/* Is the source file path[0..len) the code under test: a .c file that is not a test file, not
 * the harness's, not a library's? */
bool h_is_learners_file(const char *path, size_t len);

/* Puts head before o->message ("under the chaos scheduler...: "). */
void h_outcome_prefix(struct h_outcome *o, const char *head);

/* If o's output holds a ThreadSanitizer data race report, makes o a FAIL whose message says it
 * in words a learner can act on: where each of the two accesses is in the code under test (not
 * in the tests or the harness), read or write, and whether a lock was held:
 *     "data race: csem.c:41 (csem_post) writes without a lock, while csem.c:57 (csem_wait)
 *      reads holding a lock: guard every access with the same mutex"
 * Returns true if it found one. */
bool h_explain_race(struct h_outcome *o);

#endif
