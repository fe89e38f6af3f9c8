/* tsv.h: the record of one test's result, as the grader keeps it between runs; and the names
 * of the verdicts.
 *
 * One line per test, tab-separated, in this order:
 *     lesson test verdict points max_points elapsed_s timeout_ms expect expect_text message output
 * Tabs, newlines and backslashes inside a field are written as \t, \n and \\.
 */
#ifndef H_TSV_H
#define H_TSV_H

#include <stdio.h>

#include "suite.h"

#define H_TSV_OUTPUT_KEEP (8 * 1024) /* bytes of a test's output kept in its record */

struct h_row {
    char lesson[256];
    char test[128];
    enum h_verdict verdict;
    int points;     /* earned */
    int max_points; /* possible */
    double elapsed_s;
    int timeout_ms;
    enum h_verdict expect;
    char expect_text[128];
    char message[3072];
    char output[H_TSV_OUTPUT_KEEP + 1];
};

/* Appends row to f. Returns 0, or -EIO. */
int h_tsv_write(FILE *f, const struct h_row *row);

/* Reads the next record from f into row. Returns 1, 0 at end of file, or -EINVAL for a line
 * that is not a record (it is skipped). */
int h_tsv_read(FILE *f, struct h_row *row);

/* "PASS", "FAIL"...; and back (-1 for an unknown name). */
const char *h_verdict_name(enum h_verdict v);
int h_verdict_parse(const char *name);

#endif
