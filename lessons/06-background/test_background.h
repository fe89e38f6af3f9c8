/* test_background.h: what the test files of lesson 06 share (read-only).
 *
 * One test binary links test_background.c (the suite table, the ticker, the schedule and
 * overruns), test_background_stop.c (stopping, sleeping while idle, spurious wake-ups) and
 * test_background_counts.c (the counts, two workers, misuse). The ticks are
 * recorded by a ticker: a tick function that notes each call in a trace (its number, thread and
 * start and end time) and in atomics, and does what the test asks of it (work a while, fail).
 * The worker's thread records; the test's thread checks, once the worker is stopped.
 */
#ifndef TEST_BACKGROUND_H
#define TEST_BACKGROUND_H

#include <stdatomic.h>
#include <stdint.h>

#include "background.h"
#include "trace.h"

#define MAX_TICKS  512  /* spans a ticker's trace holds */
#define GIVE_UP_MS 3000 /* how long to wait for ticks that should come long before */

struct ticker {
    int work_ms;      /* how long each tick works (sleeps) */
    int overrun_tick; /* the tick (1, 2...) that works overrun_ms instead; 0: none */
    int overrun_ms;
    int fail_every;        /* every fail_every-th tick returns -EIO; 0: none fails */
    struct h_trace *trace; /* one span per tick, task = the tick's number (1, 2...) */
    atomic_int calls;      /* ticks started */
    atomic_int tid;        /* the thread of the latest tick */
};

/* The tick function every test uses: arg is a struct ticker. */
int tick_fn(void *arg);

/* A ticker with a trace, set up as like says (counts zeroed). Fails the test if it cannot. */
void ticker_init(struct ticker *t, struct ticker like);
void ticker_destroy(struct ticker *t);

/* Waits (polling, the test's own business) until t has started at least n ticks or ms have
 * passed. Returns the ticks started. */
int wait_ticks(struct ticker *t, int n, int ms);

/* When tick k (1, 2...) started, in ns since t0; -1 if it never did. Call once the worker is
 * stopped. */
int64_t tick_start(const struct ticker *t, int k, int64_t t0);

/* Checks that no tick started before its slot: tick k not before t0 + k * period_ms. A timed
 * wait never ends early, so this holds on any machine, however busy. */
void check_none_early(const struct ticker *t, int64_t t0, int period_ms, const char *what);

/* bg_stop on a thread of the test's, waited for up to give_up_ms: fails the test (fatal) if it
 * has not returned by then. Returns what bg_stop returned; *took_s is how long it took. */
int stop_guarded(struct bg_worker *w, int give_up_ms, double *took_s);

/* The tests of test_background_stop.c and test_background_counts.c, for the suite table in
 * test_background.c. */
void bg_stop_is_prompt(void);
void bg_sleeps_while_idle(void);
void bg_survives_spurious_wakeups(void);
void bg_counts_failures(void);
void bg_workers_are_independent(void);
void bg_rejects_bad_calls(void);

#endif
