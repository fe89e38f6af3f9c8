/* test_evloop.h: what the test files of lesson 09 share (read-only: the grader uses its own copy).
 *
 * One test binary links test_evloop.c (the suite table, the helpers declared here, and the
 * tests of ev_run itself), test_evloop_timers.c (timers: order, cancelling, the heap's cost),
 * test_evloop_io.c (fds, sleeping, calls from other threads) and test_evloop_curl.c (libcurl on
 * the loop). Each test is one behaviour; its name says which.
 *
 * The loop under test runs on a thread of its own (an h_call), so that a loop that never
 * returns fails its test with a message instead of hanging it; callbacks record what they saw
 * (which thread, when, in what order) in plain memory, and the test checks it once that thread
 * is joined.
 */
#ifndef TEST_EVLOOP_H
#define TEST_EVLOOP_H

#include <stdint.h>

#include "call.h"
#include "evloop.h"

/* ---- helpers, defined in test_evloop.c ---- */

/* A loop, or the test ends (fatally) with what ev_loop_create returned. */
struct ev_loop *new_loop(void);

/* ev_run(loop) running on a thread of its own. */
struct loop_run {
    struct h_call call; /* first: a loop_run is a call */
    struct ev_loop *loop;
    int rc;  /* what ev_run returned */
    int tid; /* the thread that ran it: every callback must run on this one */
};

/* Starts ev_run(loop) on a new thread; the test ends (fatally) if it cannot. The struct is
 * static (a loop that never returns keeps it), one of a few per test. */
struct loop_run *start_loop(struct ev_loop *loop);

/* Waits up to ms for that ev_run to return, joins its thread and gives ev_run's return value;
 * the test ends (fatally) if it had not returned by then, saying what: `what` names the run. */
int finish_loop(struct loop_run *r, int ms, const char *what);

/* start_loop and finish_loop in one. */
int run_loop(struct ev_loop *loop, int ms, const char *what, int *tid);

/* A reproducible random number in [0, n). */
uint32_t rnd(uint32_t n);

/* gettid(), as an int. */
int my_tid(void);

/* Waits up to 200 ms for the thread count to fall back to `before`, then checks it. */
void check_threads_back(int before);

/* ---- the tests, by the file that holds them (test_evloop.c lists them in order) ---- */

/* test_evloop_timers.c */
void ev_timers_fire_in_deadline_order(void);
void ev_cancelled_timers_never_fire(void);
void ev_timer_heap_scales(void);

/* test_evloop_io.c */
void ev_readers_follow_the_fd(void);
void ev_sleeps_while_waiting(void);
void ev_threadsafe_call_wakes_the_loop(void);

/* test_evloop_curl.c */
void ev_fetch_concurrent_on_one_thread(void);
void ev_fetch_errors_and_cleanup(void);

#endif
