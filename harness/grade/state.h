/* state.h: each lesson's latest results, kept between runs of the grader (build/results.tsv).
 *
 * `make check L=03` grades one lesson; the state keeps what earlier runs found for the others,
 * so that the whole picture survives (make plots reads it to know which lessons pass). Two
 * graders may finish at once: the merge holds a lock (a file beside the state) while it reads
 * and rewrites, and the new file replaces the old one whole (written aside, then renamed).
 * Internal to the grader.
 */
#ifndef H_STATE_H
#define H_STATE_H

#include "tsv.h"

/* Replaces, in the state at path, the rows of every lesson that rows[0..n) name, keeps the
 * other lessons' rows, and writes it back. Returns 0 or a negative errno. */
int h_state_merge(const char *path, const struct h_row *rows, int n);

#endif
