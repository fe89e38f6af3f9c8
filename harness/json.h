/* json.h: results.json in the shape Gradescope's autograder reads:
 *     { "score": 8, "max_score"..., "tests": [ { "name", "score", "max_score", "status",
 *       "output" }, ... ] }
 * Internal to the grader. */
#ifndef H_JSON_H
#define H_JSON_H

#include <stdio.h>

#include "tsv.h"

struct h_json {
    FILE *f;
    int tests; /* written so far */
};

/* Starts the file; returns 0 or a negative errno. */
int h_json_open(struct h_json *j, const char *path);
/* Adds one test. */
void h_json_test(struct h_json *j, const struct h_row *r);
/* Adds the totals and closes the file; returns 0 or -EIO. */
int h_json_close(struct h_json *j, int score, int max, double seconds);

#endif
