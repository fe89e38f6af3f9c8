/* json.h: results.json in the shape Gradescope's autograder reads:
 *     { "score": 8, "max_score": 59, "execution_time": 4.2, "output": "...",
 *       "visibility": "visible", "stdout_visibility": "visible",
 *       "tests": [ { "name", "score", "max_score", "status", "output" }, ... ] }
 * Internal to the grader. */
#ifndef H_JSON_H
#define H_JSON_H

#include "tsv.h"

/* Writes the file at path (to a temporary name first, then renamed into place, so that a reader
 * never sees half a file). Returns 0 or a negative errno. */
int h_json_write(const char *path, const struct h_row *rows, int n, int score, int max,
                 double seconds);

#endif
