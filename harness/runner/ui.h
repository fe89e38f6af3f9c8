/* ui.h: what the runner and the grader print. Colours only on a terminal, and never when the
 * NO_COLOR environment variable is set (see no-color.org). */
#ifndef H_UI_H
#define H_UI_H

#include "isolate.h"
#include "run.h"
#include "suite.h"

/* Decides once whether stdout gets colours. */
void h_ui_init(void);

/* The escape sequence for a verdict's colour, for bold, and to reset; "" without colours. */
const char *h_ui_color(enum h_verdict v);
const char *h_ui_bold(void);
const char *h_ui_reset(void);

/* The runner's lines: a heading per lesson, a line per test, a score per lesson. */
void h_ui_lesson(const char *lesson, int tests, int points);
void h_ui_test_start(const struct h_listed *t);
void h_ui_test_end(const struct h_listed *t, const struct h_outcome *o, int verbose);
void h_ui_lesson_end(int score, int max, int ran, int failed);

#endif
